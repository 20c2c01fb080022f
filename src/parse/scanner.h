/* scanner.h - the pipe-mode scanner: finds tool commands in LLM text.
 *
 * The input is untrusted model output.  The scanner is push-based so that
 * commands run as soon as they are complete (streaming, no wait for EOF):
 * feed it bytes as they arrive and it calls `emit` once per complete command
 * (or per malformed one, as LR_CMD_ERROR).  Memory is bounded by the limits
 * passed at creation.
 *
 * Grammar (docs/PROTOCOL.md is the user-facing version):
 *
 *   Text outside tags is ignored.  Markdown code fences are ordinary text, so
 *   commands inside them run.  Several commands may share a line.  Tag names
 *   are lower-case and matched exactly: the tag name must be followed by a
 *   space or tab (or '>' for the exec block form), so "<opener x>" and
 *   "<execute x>" are plain text.
 *
 *   <open PATH>      PATH runs to the first '>' on the same line, trimmed of
 *                    spaces and tabs.  A newline or EOF before '>' is a
 *                    PARSE_ERROR.  An empty PATH is a PARSE_ERROR.
 *
 *   <write PATH>CONTENT</write>
 *                    PATH as for open.  CONTENT is every byte up to the first
 *                    "</write>", byte-exact, except that ONE newline ("\n" or
 *                    "\r\n") directly after the opening tag's '>' is dropped.
 *                    (So a block written on its own lines keeps its final
 *                    newline, as text files should.)  EOF before "</write>"
 *                    is a PARSE_ERROR and nothing is written.  Content larger
 *                    than max_write is consumed up to "</write>" without being
 *                    stored and reported as LR_CMD_ERROR with RESOURCE_LIMIT
 *                    and the true size in `content_len`.
 *
 *   <exec COMMAND>   Single-line form.  COMMAND may contain '>'.  The tag is
 *                    closed by the first '>' that is followed by optional
 *                    spaces/tabs and then end of line, end of input, or the
 *                    start of another tag ("<open ", "<write ", "<exec ",
 *                    "<exec>").  A newline before any such '>' is a
 *                    PARSE_ERROR.  Surrounding spaces/tabs are trimmed; an
 *                    empty COMMAND is a PARSE_ERROR.
 *
 *   <exec>SCRIPT</exec>
 *                    Block form, for multi-line scripts and any characters.
 *                    Same newline rule as write (one leading newline
 *                    dropped).  If a line consisting exactly of "<stdin>"
 *                    appears, the script ends before it and every byte after
 *                    that line (up to "</exec>") is the command's standard
 *                    input.  EOF before "</exec>" is a PARSE_ERROR.
 *
 * A completed command is emitted as soon as its closing delimiter is known:
 * for the single-line exec that needs one byte of look-ahead (the newline),
 * or lr_scanner_finish() at EOF.
 */
#ifndef LR_SCANNER_H
#define LR_SCANNER_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef enum {
        LR_CMD_OPEN = 1,
        LR_CMD_WRITE = 2,
        LR_CMD_EXEC = 3,
        LR_CMD_ERROR = 4, /* malformed or over-limit command; see code/message */
} lr_cmd_type_t;

typedef struct {
        lr_cmd_type_t type;
        /* For ERROR: which command it was meant to be (OPEN/WRITE/EXEC), or 0
         * when unknown. */
        lr_cmd_type_t intended;
        /* Path for open/write, command for exec.  NUL-terminated; may
         * contain any bytes except NUL (a NUL byte makes it a PARSE_ERROR). */
        const char *arg;
        size_t arg_len;
        /* Write content, or exec stdin (NULL when no <stdin> section). */
        const char *content;
        size_t content_len; /* for RESOURCE_LIMIT errors: the true size */
        int has_stdin;
        /* For ERROR */
        lr_code_t code;
        const char *message;
        /* 1-based line of the opening '<' */
        uint64_t line;
} lr_cmd_t;

/* Return 0 to continue, non-zero to stop scanning (feed returns it). */
typedef int (*lr_scanner_emit_fn)(const lr_cmd_t *cmd, void *userdata);

typedef struct lr_scanner lr_scanner_t;

typedef struct {
        size_t max_arg;   /* max path/command length in bytes (default 65536) */
        size_t max_write; /* max write content (default 10 MiB) */
        size_t max_stdin; /* max exec block script + stdin (default 10 MiB) */
} lr_scanner_limits_t;

lr_scanner_t *lr_scanner_new(const lr_scanner_limits_t *limits, lr_scanner_emit_fn emit,
                             void *userdata);
void lr_scanner_free(lr_scanner_t *s);

/* Feed bytes.  Returns 0, or the non-zero value an emit callback returned. */
int lr_scanner_feed(lr_scanner_t *s, const char *data, size_t len);

/* End of input: emits a pending single-line exec, and PARSE_ERROR for an
 * unterminated tag/write/exec block.  Returns like lr_scanner_feed. */
int lr_scanner_finish(lr_scanner_t *s);

#endif
