#include "pipe/pipe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/utf8.h"
#include "parse/scanner.h"
#include "pipe/format.h"
#include "policy/approve.h"

typedef struct {
        const lr_config_t *cfg;
        lr_session_t *session;
        lr_audit_t *audit;
        int out_fd;
        uint64_t commands_ok;
        uint64_t start_ns;
        lr_buf_t out;
        lr_approver_t approver;
        lr_error_t out_err; /* set when writing the output failed */
        bool out_failed;
} pipe_ctx_t;

static void audit_result(pipe_ctx_t *c, const lr_result_view_t *r, const char *limit)
{
        if (!c->audit)
                return;
        _cleanup_free_ char *arg = r->arg ? lr_xstrndup(r->arg, r->arg_len) : NULL;
        lr_audit_record_t rec = {
                .operation = r->code == LR_E_PARSE       ? "parse"
                             : r->type == LR_CMD_OPEN  ? "open"
                             : r->type == LR_CMD_WRITE ? "write"
                             : r->type == LR_CMD_EXEC  ? "exec"
                                                       : "parse",
                .path = r->type == LR_CMD_EXEC ? NULL : arg,
                .command = r->type == LR_CMD_EXEC ? arg : NULL,
                .bytes = r->type == LR_CMD_OPEN    ? (int64_t)r->content_len
                         : r->type == LR_CMD_WRITE ? (int64_t)r->bytes
                         : r->has_exec             ? (int64_t)(r->out_total + r->err_total)
                                                   : -1,
                .exit_code = r->has_exec ? r->exit_code : -1,
                .has_exit = r->has_exec,
                .duration_s = r->has_exec ? r->duration_s : -1,
                .outcome = r->code == LR_OK ? "ok" : lr_code_name(r->code),
                .limit = limit,
                .detail = r->code == LR_OK ? NULL : r->message,
        };
        lr_error_t err;
        if (lr_audit_write(c->audit, &rec, &err) < 0)
                fprintf(stderr, "llm-runtime: audit log: %s\n", err.msg);
}

static void emit_result(pipe_ctx_t *c, lr_result_view_t *r, const char *limit)
{
        if (r->code == LR_OK)
                c->commands_ok++;
        r->commands_ok = c->commands_ok;
        r->elapsed_s = (double)(lr_now_ns() - c->start_ns) / 1e9;
        lr_buf_reset(&c->out);
        if (c->cfg->json)
                lr_format_json(&c->out, r);
        else
                lr_format_text(&c->out, r);
        audit_result(c, r, limit);
        if (!c->out_failed && lr_write_full(c->out_fd, c->out.data, c->out.len) < 0) {
                c->out_failed = true;
                lr_error_set(&c->out_err, LR_E_IO, errno, "cannot write output: %s",
                             strerror(errno));
        }
}

static void run_open(pipe_ctx_t *c, const lr_cmd_t *cmd, lr_result_view_t *r)
{
        lr_open_result_t res;
        lr_error_t err;
        const char *limit = NULL;
        if (lr_session_open_file(c->session, cmd->arg, &res, &err) < 0) {
                r->code = err.code == LR_E_PROTOCOL ? LR_E_PROTOCOL : LR_E_SANDBOX_UNAVAILABLE;
                r->message = err.msg;
                emit_result(c, r, NULL);
                return;
        }
        r->code = res.code;
        r->message = res.message;
        r->size = res.size;
        if (res.code == LR_OK && lr_looks_binary(res.data.data, res.data.len)) {
                r->code = LR_E_BINARY_FILE;
                snprintf(res.message, sizeof res.message,
                         "%s is a binary file (%llu bytes); read it with <exec base64 %s>",
                         cmd->arg, (unsigned long long)res.size, cmd->arg);
        } else if (res.code == LR_OK) {
                r->content = res.data.data;
                r->content_len = res.data.len;
        }
        if (res.code == LR_E_RESOURCE_LIMIT)
                limit = "max_read";
        emit_result(c, r, limit);
        lr_open_result_free(&res);
}

static void run_write(pipe_ctx_t *c, const lr_cmd_t *cmd, lr_result_view_t *r)
{
        lr_write_result_t res;
        lr_error_t err;
        if (lr_session_write_file(c->session, cmd->arg, cmd->content, cmd->content_len, &res,
                                  &err) < 0) {
                r->code = err.code == LR_E_PROTOCOL ? LR_E_PROTOCOL : LR_E_SANDBOX_UNAVAILABLE;
                r->message = err.msg;
                emit_result(c, r, NULL);
                return;
        }
        r->code = res.code;
        r->message = res.message;
        r->created = res.created;
        r->bytes = res.bytes;
        emit_result(c, r, res.code == LR_E_RESOURCE_LIMIT ? "max_write" : NULL);
}

static void run_exec(pipe_ctx_t *c, const lr_cmd_t *cmd, lr_result_view_t *r)
{
        lr_exec_result_t res;
        lr_error_t err;
        if (lr_session_exec(c->session, cmd->arg, cmd->content, cmd->content_len,
                            cmd->has_stdin, 0, &res, &err) < 0) {
                r->code = err.code == LR_E_PROTOCOL ? LR_E_PROTOCOL : LR_E_SANDBOX_UNAVAILABLE;
                r->message = err.msg;
                emit_result(c, r, NULL);
                return;
        }
        r->code = res.code;
        r->message = res.message;
        if (res.code == LR_OK || res.code == LR_E_EXEC_TIMEOUT || res.code == LR_E_EXEC_FAILED) {
                r->has_exec = res.code != LR_E_EXEC_FAILED || res.exit_code != 0;
                r->exit_code = res.exit_code;
                r->signal = res.signal;
                r->duration_s = res.duration_s;
                r->out = res.out.data;
                r->out_len = res.out.len;
                r->err = res.err.data;
                r->err_len = res.err.len;
                r->out_total = res.out_total;
                r->err_total = res.err_total;
                r->out_truncated = res.out_truncated;
                r->err_truncated = res.err_truncated;
        }
        const char *limit = res.timed_out                          ? "timeout"
                            : res.oom_killed                       ? "memory"
                            : res.out_truncated || res.err_truncated ? "output"
                                                                   : NULL;
        emit_result(c, r, limit);
        lr_exec_result_free(&res);
}

static int on_command(const lr_cmd_t *cmd, void *userdata)
{
        pipe_ctx_t *c = userdata;
        lr_result_view_t r = {
                .type = cmd->type == LR_CMD_ERROR ? cmd->intended : cmd->type,
                .arg = cmd->arg,
                .arg_len = cmd->arg ? cmd->arg_len : 0,
                .line = cmd->line,
        };
        if (cmd->type != LR_CMD_ERROR && !lr_approver_trivial(&c->approver)) {
                /* Approvals are decided here, on the host, before the
                 * sandbox sees the call (no work at all without a policy). */
                const char *tool = cmd->type == LR_CMD_OPEN    ? "open"
                                   : cmd->type == LR_CMD_WRITE ? "write"
                                                               : "exec";
                _cleanup_free_ char *arg = lr_xstrndup(cmd->arg, cmd->arg_len);
                char msg[600];
                if (!lr_approve(&c->approver, tool, arg, msg, sizeof msg)) {
                        r.code = LR_E_DENIED;
                        r.message = msg;
                        emit_result(c, &r, NULL);
                        return c->out_failed ? 1 : 0;
                }
        }
        switch (cmd->type) {
        case LR_CMD_OPEN:
                run_open(c, cmd, &r);
                break;
        case LR_CMD_WRITE:
                run_write(c, cmd, &r);
                break;
        case LR_CMD_EXEC:
                run_exec(c, cmd, &r);
                break;
        case LR_CMD_ERROR:
                r.code = cmd->code;
                r.message = cmd->message;
                emit_result(c, &r, cmd->code == LR_E_RESOURCE_LIMIT ? "max_write" : NULL);
                break;
        }
        return c->out_failed ? 1 : 0;
}

int lr_pipe_run(const lr_config_t *cfg, lr_session_t *session, lr_audit_t *audit, int in_fd,
                int out_fd, lr_error_t *err)
{
        pipe_ctx_t c = {
                .cfg = cfg,
                .session = session,
                .audit = audit,
                .out_fd = out_fd,
                .start_ns = lr_now_ns(),
                .approver = { .policy = &cfg->policy, .audit = audit, .can_ask = true,
                              .mode = "pipe" },
        };
        lr_scanner_limits_t lim = {
                .max_arg = 65536,
                .max_write = (size_t)cfg->max_write,
                .max_stdin = (size_t)cfg->max_write,
        };
        lr_buf_init(&c.out, 0);
        lr_scanner_t *sc = lr_scanner_new(&lim, on_command, &c);
        char buf[65536];
        int r = 0;
        for (;;) {
                ssize_t n = read(in_fd, buf, sizeof buf);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = lr_error_set(err, LR_E_IO, errno, "cannot read input: %s",
                                         strerror(errno));
                        break;
                }
                if (n == 0) {
                        lr_scanner_finish(sc);
                        break;
                }
                if (lr_scanner_feed(sc, buf, (size_t)n) != 0)
                        break;
        }
        if (r == 0 && c.out_failed) {
                *err = c.out_err;
                r = -1;
        }
        lr_scanner_free(sc);
        lr_buf_free(&c.out);
        return r;
}
