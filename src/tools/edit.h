/* edit.h - exact-match text edits and unified diffs (MCP edit_file).
 *
 * Edits apply in order to the result of the previous one.  Each oldText
 * must occur exactly once in the current text: a missing match and an
 * ambiguous one are both errors, and then nothing is changed (the caller
 * writes only a fully edited text).  Where the file uses CRLF line endings
 * and an oldText written with LF does not match, the edit is retried with
 * both texts converted to CRLF, so the file keeps its line endings.
 *
 * The diff is computed by libgit2 (xdiff) and printed in the format of
 * jsdiff's createTwoFilesPatch, which the reference filesystem server
 * returns: "Index:" and "===" lines, "--- path\toriginal",
 * "+++ path\tmodified", then @@ hunks with 3 lines of context.
 */
#ifndef LR_EDIT_H
#define LR_EDIT_H

#include <stddef.h>

#include "core/util.h"

typedef struct {
        const char *old_text;
        size_t old_len;
        const char *new_text;
        size_t new_len;
} lr_edit_t;

/* Apply edits to text[0..len) into *out (initialised by the caller).
 * Returns 0, or -1 with a message for the model in why. */
int lr_edit_apply(const char *text, size_t len, const lr_edit_t *edits, size_t n, lr_buf_t *out,
                  char *why, size_t whylen);

/* Append a unified diff of a -> b, labelled with path, to out.  An empty
 * diff (identical texts) appends only the two header lines.  Returns 0, or
 * -1 if the diff library failed or could not be loaded. */
int lr_unified_diff(const char *path, const char *a, size_t alen, const char *b, size_t blen,
                    lr_buf_t *out);

/* NULL when libgit2 (loaded on first use) is usable, else why not. */
const char *lr_diff_unavailable(void);

#endif
