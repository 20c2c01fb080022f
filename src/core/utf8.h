/* utf8.h - make arbitrary bytes safe for JSON and for a terminal. */
#ifndef LR_UTF8_H
#define LR_UTF8_H

#include <stdbool.h>
#include <stddef.h>

#include "core/util.h"

/* Append `s` to `out`, replacing every invalid UTF-8 sequence with U+FFFD,
 * so jansson (which requires UTF-8) accepts it.  Returns the number of
 * replacements made. */
size_t lr_utf8_sanitize(lr_buf_t *out, const char *s, size_t len);

/* Append `s` to `out` for display on a terminal or in an LLM transcript:
 * C0 control bytes other than \n and \t, a \r not followed by \n, and DEL
 * become visible "\xNN" text, so output cannot move the cursor, retitle the
 * terminal or fake a prompt (hostile test T27). */
void lr_text_neutralize(lr_buf_t *out, const char *s, size_t len);

/* True if the first `len` bytes contain a NUL byte (git's binary test). */
bool lr_looks_binary(const char *s, size_t len);

#endif
