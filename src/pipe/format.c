#include "pipe/format.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"

static void puts_buf(lr_buf_t *b, const char *s)
{
        lr_buf_append(b, s, strlen(s));
}

static void printf_buf(lr_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void printf_buf(lr_buf_t *b, const char *fmt, ...)
{
        char tmp[1024];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        if ((size_t)n < sizeof tmp) {
                lr_buf_append(b, tmp, (size_t)n);
                return;
        }
        char *big = lr_xmalloc((size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        lr_buf_append(b, big, (size_t)n);
        free(big);
}

static const char *type_name(lr_cmd_type_t t)
{
        switch (t) {
        case LR_CMD_OPEN: return "open";
        case LR_CMD_WRITE: return "write";
        case LR_CMD_EXEC: return "exec";
        case LR_CMD_ERROR: break;
        }
        return "unknown";
}

/* Sandbox-derived text, made safe to display, always ending in a newline. */
static void put_block(lr_buf_t *b, const char *s, size_t len)
{
        lr_text_neutralize(b, s, len);
        if (len == 0 || s[len - 1] != '\n')
                lr_buf_putc(b, '\n');
}

static void put_arg(lr_buf_t *b, const lr_result_view_t *r)
{
        lr_text_neutralize(b, r->arg ? r->arg : "", r->arg ? r->arg_len : 0);
}

static void put_command(lr_buf_t *b, const lr_result_view_t *r)
{
        printf_buf(b, "<%s ", type_name(r->type));
        put_arg(b, r);
        lr_buf_putc(b, '>');
}

void lr_format_text(lr_buf_t *b, const lr_result_view_t *r)
{
        puts_buf(b, "=== LLM TOOL START ===\n=== COMMAND: ");
        put_command(b, r);
        puts_buf(b, " ===\n");

        if (r->code == LR_OK) {
                switch (r->type) {
                case LR_CMD_OPEN:
                        puts_buf(b, "=== FILE: ");
                        put_arg(b, r);
                        puts_buf(b, " ===\n");
                        put_block(b, r->content, r->content_len);
                        puts_buf(b, "=== END FILE ===\n");
                        break;
                case LR_CMD_WRITE:
                        puts_buf(b, "=== WRITE SUCCESSFUL: ");
                        put_arg(b, r);
                        puts_buf(b, " ===\n");
                        printf_buf(b, "Action: %s\nBytes written: %llu\n",
                                   r->created ? "CREATED" : "UPDATED",
                                   (unsigned long long)r->bytes);
                        puts_buf(b, "=== END WRITE ===\n");
                        break;
                case LR_CMD_EXEC:
                        puts_buf(b, "=== EXEC SUCCESSFUL: ");
                        put_arg(b, r);
                        puts_buf(b, " ===\n");
                        printf_buf(b, "Exit code: %d\nDuration: %.3fs\n", r->exit_code,
                                   r->duration_s);
                        if (r->out_len && r->err_len) {
                                puts_buf(b, "Output:\nSTDOUT:\n");
                                put_block(b, r->out, r->out_len);
                                puts_buf(b, "\nSTDERR:\n");
                                put_block(b, r->err, r->err_len);
                        } else if (r->out_len || r->err_len) {
                                puts_buf(b, "Output:\n");
                                if (r->out_len)
                                        put_block(b, r->out, r->out_len);
                                else
                                        put_block(b, r->err, r->err_len);
                        }
                        puts_buf(b, "=== END EXEC ===\n");
                        break;
                case LR_CMD_ERROR:
                        break;
                }
        } else {
                printf_buf(b, "=== ERROR: %s ===\n", lr_code_name(r->code));
                printf_buf(b, "Message: %s: ", lr_code_name(r->code));
                lr_text_neutralize(b, r->message ? r->message : "",
                                   r->message ? strlen(r->message) : 0);
                puts_buf(b, "\nCommand: ");
                put_command(b, r);
                lr_buf_putc(b, '\n');
                if (r->has_exec) {
                        printf_buf(b, "Exit code: %d\nDuration: %.3fs\n", r->exit_code,
                                   r->duration_s);
                        if (r->out_len) {
                                puts_buf(b, "Stdout:\n");
                                put_block(b, r->out, r->out_len);
                        }
                        if (r->err_len) {
                                puts_buf(b, "Stderr:\n");
                                put_block(b, r->err, r->err_len);
                        }
                }
                puts_buf(b, "=== END ERROR ===\n");
        }
        puts_buf(b, "=== END COMMAND ===\n=== LLM TOOL COMPLETE ===\n");
        printf_buf(b, "Commands executed: %llu\nTime elapsed: %.2fs\n=== END ===\n",
                   (unsigned long long)r->commands_ok, r->elapsed_s);
}

static json_t *jstr(const char *s, size_t len)
{
        lr_buf_t tmp;
        lr_buf_init(&tmp, 0);
        lr_utf8_sanitize(&tmp, s ? s : "", s ? len : 0);
        json_t *j = json_stringn(lr_buf_cstr(&tmp), tmp.len);
        lr_buf_free(&tmp);
        return j ? j : json_string("");
}

void lr_format_json(lr_buf_t *b, const lr_result_view_t *r)
{
        json_t *o = json_object();
        json_object_set_new(o, "type", json_string(type_name(r->type)));
        json_object_set_new(o, r->type == LR_CMD_EXEC ? "command" : "path",
                            jstr(r->arg, r->arg_len));
        json_object_set_new(o, "line", json_integer((json_int_t)r->line));
        json_object_set_new(o, "ok", json_boolean(r->code == LR_OK));
        if (r->code != LR_OK) {
                json_t *e = json_object();
                json_object_set_new(e, "code", json_string(lr_code_name(r->code)));
                json_object_set_new(e, "message",
                                    jstr(r->message, r->message ? strlen(r->message) : 0));
                json_object_set_new(o, "error", e);
        }
        if (r->type == LR_CMD_OPEN && r->code == LR_OK) {
                json_object_set_new(o, "content", jstr(r->content, r->content_len));
                json_object_set_new(o, "size", json_integer((json_int_t)r->size));
        } else if (r->type == LR_CMD_OPEN && r->size) {
                json_object_set_new(o, "size", json_integer((json_int_t)r->size));
        }
        if (r->type == LR_CMD_WRITE && r->code == LR_OK) {
                json_object_set_new(o, "action", json_string(r->created ? "created" : "updated"));
                json_object_set_new(o, "bytes", json_integer((json_int_t)r->bytes));
        }
        if (r->has_exec) {
                json_object_set_new(o, "exit_code", json_integer(r->exit_code));
                if (r->signal)
                        json_object_set_new(o, "signal", json_integer(r->signal));
                json_object_set_new(o, "duration_s", json_real(r->duration_s));
                json_object_set_new(o, "stdout", jstr(r->out, r->out_len));
                json_object_set_new(o, "stderr", jstr(r->err, r->err_len));
                json_object_set_new(o, "stdout_bytes", json_integer((json_int_t)r->out_total));
                json_object_set_new(o, "stderr_bytes", json_integer((json_int_t)r->err_total));
                json_object_set_new(o, "truncated",
                                    json_boolean(r->out_truncated || r->err_truncated));
        }
        char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
        json_decref(o);
        if (s) {
                puts_buf(b, s);
                lr_buf_putc(b, '\n');
                free(s);
        }
}
