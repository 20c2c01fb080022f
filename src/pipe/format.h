/* format.h - render one command result: the llm-runtime text envelope or
 * a JSON Lines record.
 *
 * The text envelope is the Go llm-runtime's, so existing prompts and
 * parsers keep working (docs/PROTOCOL.md shows every block), with its bugs
 * fixed: a failed exec shows both stdout and stderr, and paths are printed
 * as given, never rewritten.
 */
#ifndef LR_FORMAT_H
#define LR_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/util.h"
#include "parse/scanner.h"

typedef struct {
        lr_cmd_type_t type;  /* OPEN, WRITE, EXEC; for parse errors the intended type or 0 */
        const char *arg;     /* path or command */
        size_t arg_len;
        uint64_t line;       /* line of the command in the input */
        lr_code_t code;      /* LR_OK on success */
        const char *message; /* error message (without the code) */

        /* open */
        const char *content;
        size_t content_len;
        uint64_t size;

        /* write */
        bool created;
        uint64_t bytes;

        /* exec */
        bool has_exec;       /* the command ran: exit code and output are meaningful */
        int exit_code;
        int signal;
        double duration_s;
        const char *out;
        size_t out_len;
        const char *err;
        size_t err_len;
        uint64_t out_total, err_total;
        bool out_truncated, err_truncated;

        /* envelope footer */
        uint64_t commands_ok; /* successful commands so far, this one included */
        double elapsed_s;     /* since the session started */
} lr_result_view_t;

void lr_format_text(lr_buf_t *out, const lr_result_view_t *r);
void lr_format_json(lr_buf_t *out, const lr_result_view_t *r);

#endif
