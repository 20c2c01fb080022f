/* serve.c - `llm-runtime serve`: a JSON-RPC 2.0 API over stdio for
 * orchestrators that manage several sandboxes (docs/PROTOCOL.md).
 *
 * Methods: sandbox.create, sandbox.exec, sandbox.read, sandbox.write,
 * sandbox.list, sandbox.destroy.  Every result carries "timings" (total
 * milliseconds spent on the host for the call, plus the step that matters
 * for that call).  An operation that fails inside a sandbox is a JSON-RPC
 * error -32000 with data {code, message} using the protocol's error codes;
 * an unknown sandbox id is -32001.  A command that runs and exits non-zero
 * is a result, not an error.
 *
 * The orchestrator is trusted (it runs this process and chooses its
 * flags); the sandboxes are not.  Approvals apply as in MCP mode: "ask"
 * cannot be answered here and becomes a deny.
 */
#include "cli/serve.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/utf8.h"
#include "core/util.h"
#include "policy/approve.h"
#include "rpc/jsonrpc.h"
#include "session/session.h"

#define MAX_SANDBOXES 32
#define ERR_FAILED -32000
#define ERR_UNKNOWN_SANDBOX -32001

typedef struct {
        char id[32];
        lr_config_t cfg;  /* shallow copy of the server's, limits overridden */
        char *root;       /* owned; cfg.root points here */
        lr_session_t *session;
        uint64_t created_ns;
        uint64_t calls;
} sbx_t;

typedef struct {
        const lr_config_t *cfg;
        lr_audit_t *audit;
        lr_approver_t approver;
        sbx_t *sb[MAX_SANDBOXES];
        uint64_t next_id;
        const char *server_id;
        bool fuzzing; /* lr_serve_feed_for_fuzzing: validate, never start */
} serve_t;

static double ms_since(uint64_t t0)
{
        return (double)(lr_now_ns() - t0) / 1e6;
}

static void reply(lr_rpc_t *rpc, json_t *id, json_t *result, uint64_t t0, json_t *timings)
{
        if (!timings)
                timings = json_object();
        json_object_set_new(timings, "totalMs", json_real(ms_since(t0)));
        json_object_set_new(result, "timings", timings);
        lr_rpc_result(rpc, id, result);
}

static int fail(lr_rpc_t *rpc, json_t *id, lr_code_t code, const char *msg, uint64_t t0)
{
        lr_rpc_error(rpc, id, ERR_FAILED, lr_code_name(code),
                     json_pack("{s:s,s:o,s:{s:f}}", "code", lr_code_name(code), "message",
                               lr_json_text(msg, strlen(msg)), "timings", "totalMs",
                               ms_since(t0)));
        return -1;
}

static int bad_params(lr_rpc_t *rpc, json_t *id, const char *msg)
{
        lr_rpc_error(rpc, id, LR_RPC_INVALID_PARAMS, msg, NULL);
        return -1;
}

static const char *str_param(json_t *params, const char *key)
{
        json_t *v = json_object_get(params, key);
        if (!json_is_string(v) || memchr(json_string_value(v), '\0', json_string_length(v)))
                return NULL;
        return json_string_value(v);
}

static sbx_t **find(serve_t *sv, json_t *params)
{
        const char *id = str_param(params, "sandbox");
        for (size_t i = 0; id && i < MAX_SANDBOXES; i++)
                if (sv->sb[i] && strcmp(sv->sb[i]->id, id) == 0)
                        return &sv->sb[i];
        return NULL;
}

static void audit_op(serve_t *sv, const char *op, const sbx_t *b, const char *path,
                  const char *cmd, int64_t exit_code, double secs, const char *outcome)
{
        if (!sv->audit)
                return;
        char o[64];
        snprintf(o, sizeof o, "serve:%s", op);
        lr_audit_record_t rec = { .operation = o, .path = path, .command = cmd, .bytes = -1,
                                  .exit_code = exit_code, .has_exit = exit_code >= 0,
                                  .duration_s = secs, .outcome = outcome,
                                  .detail = b ? b->id : NULL };
        lr_audit_write(sv->audit, &rec, NULL);
}

static void sbx_free(sbx_t *b)
{
        if (!b)
                return;
        lr_session_close(b->session);
        free(b->root);
        free(b);
}

/* limits: {"memory":"256m","timeout":"10s","cpus":0.5,...} onto cfg. */
static int apply_limits(lr_config_t *cfg, json_t *limits, char *msg, size_t len)
{
        static const struct {
                const char *param, *key;
        } map[] = {
                { "memory", "exec_memory" },      { "cpus", "exec_cpu" },
                { "pids", "exec_pids" },          { "timeout", "exec_timeout" },
                { "maxRead", "max_size" },        { "maxWrite", "max_write_size" },
                { "outputLimit", "output_limit" }, { "tmpfs", "tmpfs_size" },
                { "openFiles", "open_files" },    { "fileSize", "exec_file_size" },
        };
        const char *k;
        json_t *v;
        json_object_foreach(limits, k, v) {
                const char *key = NULL;
                for (size_t i = 0; i < ARRAY_SIZE(map); i++)
                        if (strcmp(k, map[i].param) == 0)
                                key = map[i].key;
                if (!key) {
                        snprintf(msg, len, "unknown limit '%s' (memory, cpus, pids, timeout, "
                                 "maxRead, maxWrite, outputLimit, tmpfs, openFiles, fileSize)", k);
                        return -1;
                }
                char val[64];
                if (json_is_string(v))
                        snprintf(val, sizeof val, "%s", json_string_value(v));
                else if (json_is_number(v))
                        snprintf(val, sizeof val, "%.17g", json_number_value(v));
                else {
                        snprintf(msg, len, "limit '%s' must be a string or a number", k);
                        return -1;
                }
                lr_error_t err;
                if (lr_config_set(cfg, key, val, &err) < 0) {
                        snprintf(msg, len, "limit '%s': %s", k, err.msg);
                        return -1;
                }
        }
        return 0;
}

static int m_create(serve_t *sv, lr_rpc_t *rpc, json_t *id, json_t *params, uint64_t t0)
{
        json_t *limits = json_object_get(params, "limits");
        json_t *jroot = json_object_get(params, "root");
        const char *backend = str_param(params, "backend");
        json_t *net = json_object_get(params, "network");
        if ((limits && !json_is_object(limits)) || (jroot && !json_is_string(jroot)))
                return bad_params(rpc, id, "'limits' must be an object and 'root' a string");
        if (backend && strcmp(backend, "native") != 0 && strcmp(backend, "docker") != 0 &&
            strcmp(backend, "auto") != 0)
                return bad_params(rpc, id, "'backend' must be native, docker or auto");
        if (net && !(json_is_string(net) && strcmp(json_string_value(net), "none") == 0))
                return fail(rpc, id, LR_E_CONFIG,
                            "network policies other than \"none\" are not supported yet", t0);
        size_t slot = MAX_SANDBOXES;
        for (size_t i = 0; i < MAX_SANDBOXES; i++)
                if (!sv->sb[i]) {
                        slot = i;
                        break;
                }
        if (slot == MAX_SANDBOXES)
                return fail(rpc, id, LR_E_RESOURCE_LIMIT,
                            "too many sandboxes (32); destroy one first", t0);

        sbx_t *b = lr_xcalloc(1, sizeof *b);
        b->cfg = *sv->cfg; /* shallow: strings and policy stay the server's */
        char buf[PATH_MAX], msg[600];
        const char *root = jroot ? json_string_value(jroot) : sv->cfg->root;
        struct stat st;
        if (!realpath(root, buf) || stat(buf, &st) < 0 || !S_ISDIR(st.st_mode)) {
                snprintf(msg, sizeof msg, "root %s is not a directory", root);
                free(b);
                return fail(rpc, id, LR_E_CONFIG, msg, t0);
        }
        b->root = lr_xstrdup(buf);
        b->cfg.root = b->root;
        if (backend)
                b->cfg.backend = (char *)backend; /* read during lr_session_open only */
        if (limits && apply_limits(&b->cfg, limits, msg, sizeof msg) < 0) {
                free(b->root);
                free(b);
                return bad_params(rpc, id, msg);
        }
        if (sv->fuzzing) {
                free(b->root);
                free(b);
                return fail(rpc, id, LR_E_SANDBOX_UNAVAILABLE, "no sandboxes while fuzzing", t0);
        }
        snprintf(b->id, sizeof b->id, "sb-%llu", (unsigned long long)++sv->next_id);
        char sid[96];
        snprintf(sid, sizeof sid, "%s-%s", sv->server_id, b->id);
        lr_error_t err;
        uint64_t t1 = lr_now_ns();
        if (lr_session_open(&b->cfg, sid, &b->session, &err) < 0) {
                audit_op(sv, "create", b, b->root, NULL, -1, -1, lr_code_name(err.code));
                free(b->root);
                free(b);
                return fail(rpc, id, err.code, err.msg, t0);
        }
        b->created_ns = lr_now_ns();
        sv->sb[slot] = b;
        audit_op(sv, "create", b, b->root, NULL, -1, ms_since(t1) / 1e3, "ok");
        reply(rpc, id,
              json_pack("{s:s,s:s,s:s,s:s}", "sandbox", b->id, "root", b->root, "backend",
                        lr_session_backend(b->session), "description",
                        lr_session_describe(b->session)),
              t0, json_pack("{s:f}", "startMs", ms_since(t1)));
        return 0;
}

/* The m_* handlers answer the request themselves and return 0 on success,
 * -1 after sending an error. */
static bool approved(serve_t *sv, lr_rpc_t *rpc, json_t *id, const char *tool, const char *arg,
                     uint64_t t0)
{
        char msg[600];
        if (lr_approve(&sv->approver, tool, arg, msg, sizeof msg))
                return true;
        fail(rpc, id, LR_E_DENIED, msg, t0);
        return false;
}

static int m_exec(serve_t *sv, lr_rpc_t *rpc, json_t *id, json_t *params, sbx_t *b, uint64_t t0)
{
        const char *cmd = str_param(params, "command");
        json_t *in = json_object_get(params, "stdin"), *to = json_object_get(params, "timeout");
        if (!cmd || !*cmd || (in && !json_is_string(in)) || (to && !json_is_number(to)) ||
            (to && (json_number_value(to) < 0 || json_number_value(to) > 1e6)))
                return bad_params(rpc, id, "sandbox.exec needs 'command' (string), optional "
                                           "'stdin' (string) and 'timeout' (seconds)");
        if (!approved(sv, rpc, id, "exec", cmd, t0))
                return -1;
        lr_exec_result_t res;
        lr_error_t err;
        b->calls++;
        if (lr_session_exec(b->session, cmd, in ? json_string_value(in) : NULL,
                            in ? json_string_length(in) : 0, in != NULL,
                            to ? (uint64_t)(json_number_value(to) * 1000.0) : 0, &res, &err) < 0) {
                audit_op(sv, "exec", b, NULL, cmd, -1, -1, lr_code_name(err.code));
                return fail(rpc, id, err.code, err.msg, t0);
        }
        audit_op(sv, "exec", b, NULL, cmd, res.exit_code, res.duration_s, lr_code_name(res.code));
        if (res.code != LR_OK && res.code != LR_E_EXEC_FAILED && res.code != LR_E_EXEC_TIMEOUT) {
                fail(rpc, id, res.code, res.message, t0);
                lr_exec_result_free(&res);
                return -1;
        }
        json_t *r = json_pack("{s:i,s:i,s:o,s:o,s:b,s:b,s:b,s:I,s:I}", "exitCode",
                              res.exit_code, "signal", res.signal, "stdout",
                              lr_json_text(res.out.data, res.out.len), "stderr",
                              lr_json_text(res.err.data, res.err.len), "timedOut", res.timed_out,
                              "oomKilled", res.oom_killed, "truncated",
                              res.out_truncated || res.err_truncated, "stdoutBytes",
                              (json_int_t)res.out_total, "stderrBytes",
                              (json_int_t)res.err_total);
        reply(rpc, id, r, t0, json_pack("{s:f}", "commandMs", res.duration_s * 1e3));
        lr_exec_result_free(&res);
        return 0;
}

/* ---- base64, for files that are not UTF-8 text ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64_encode(const unsigned char *s, size_t n, lr_buf_t *out)
{
        for (size_t i = 0; i < n; i += 3) {
                uint32_t v = (uint32_t)s[i] << 16;
                if (i + 1 < n)
                        v |= (uint32_t)s[i + 1] << 8;
                if (i + 2 < n)
                        v |= s[i + 2];
                lr_buf_putc(out, b64[v >> 18 & 63]);
                lr_buf_putc(out, b64[v >> 12 & 63]);
                lr_buf_putc(out, i + 1 < n ? b64[v >> 6 & 63] : '=');
                lr_buf_putc(out, i + 2 < n ? b64[v & 63] : '=');
        }
}

static int b64_decode(const char *s, size_t n, lr_buf_t *out)
{
        uint32_t acc = 0;
        int bits = 0;
        size_t pad = 0;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (c == '\n' || c == '\r' || c == ' ')
                        continue;
                if (c == '=') {
                        pad++;
                        continue;
                }
                const char *p = strchr(b64, c);
                if (!p || !c || pad)
                        return -1;
                acc = acc << 6 | (uint32_t)(p - b64);
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        lr_buf_putc(out, (char)(acc >> bits & 0xff));
                }
        }
        return pad > 2 ? -1 : 0;
}

static int m_read(serve_t *sv, lr_rpc_t *rpc, json_t *id, json_t *params, sbx_t *b, uint64_t t0)
{
        const char *path = str_param(params, "path");
        if (!path || !*path)
                return bad_params(rpc, id, "sandbox.read needs 'path' (string)");
        if (!approved(sv, rpc, id, "open", path, t0))
                return -1;
        lr_open_result_t res;
        lr_error_t err;
        b->calls++;
        if (lr_session_open_file(b->session, path, &res, &err) < 0) {
                audit_op(sv, "read", b, path, NULL, -1, -1, lr_code_name(err.code));
                return fail(rpc, id, err.code, err.msg, t0);
        }
        audit_op(sv, "read", b, path, NULL, -1, -1, lr_code_name(res.code));
        if (res.code != LR_OK) {
                fail(rpc, id, res.code, res.message, t0);
                lr_open_result_free(&res);
                return -1;
        }
        lr_buf_t tmp;
        lr_buf_init(&tmp, 0);
        bool text = !lr_looks_binary(res.data.data, res.data.len) &&
                    lr_utf8_sanitize(&tmp, res.data.data, res.data.len) == 0;
        json_t *content;
        if (text) {
                content = json_stringn(lr_buf_cstr(&tmp), tmp.len);
        } else {
                lr_buf_reset(&tmp);
                b64_encode((const unsigned char *)res.data.data, res.data.len, &tmp);
                content = json_stringn(tmp.data ? tmp.data : "", tmp.len);
        }
        lr_buf_free(&tmp);
        reply(rpc, id,
              json_pack("{s:o,s:s,s:I}", "content", content, "encoding",
                        text ? "utf-8" : "base64", "size", (json_int_t)res.size),
              t0, NULL);
        lr_open_result_free(&res);
        return 0;
}

static int m_write(serve_t *sv, lr_rpc_t *rpc, json_t *id, json_t *params, sbx_t *b, uint64_t t0)
{
        const char *path = str_param(params, "path");
        json_t *c = json_object_get(params, "content");
        const char *enc = str_param(params, "encoding");
        if (!path || !*path || !json_is_string(c) ||
            (enc && strcmp(enc, "utf-8") != 0 && strcmp(enc, "base64") != 0))
                return bad_params(rpc, id, "sandbox.write needs 'path' and 'content' (strings) "
                                           "and an optional 'encoding' (utf-8 or base64)");
        if (!approved(sv, rpc, id, "write", path, t0))
                return -1;
        lr_buf_t data;
        lr_buf_init(&data, 0);
        if (enc && strcmp(enc, "base64") == 0) {
                if (b64_decode(json_string_value(c), json_string_length(c), &data) < 0) {
                        lr_buf_free(&data);
                        return bad_params(rpc, id, "content is not valid base64");
                }
        } else {
                lr_buf_append(&data, json_string_value(c), json_string_length(c));
        }
        lr_write_result_t res;
        lr_error_t err;
        b->calls++;
        int r = lr_session_write_file(b->session, path, data.data ? data.data : "", data.len,
                                      &res, &err);
        lr_buf_free(&data);
        if (r < 0) {
                audit_op(sv, "write", b, path, NULL, -1, -1, lr_code_name(err.code));
                return fail(rpc, id, err.code, err.msg, t0);
        }
        audit_op(sv, "write", b, path, NULL, -1, -1, lr_code_name(res.code));
        if (res.code != LR_OK) {
                fail(rpc, id, res.code, res.message, t0);
                return -1;
        }
        reply(rpc, id,
              json_pack("{s:I,s:b}", "bytes", (json_int_t)res.bytes, "created", res.created), t0,
              NULL);
        return 0;
}

static void handle(void *ctx, lr_rpc_t *rpc, json_t *id, const char *meth, json_t *params)
{
        serve_t *sv = ctx;
        uint64_t t0 = lr_now_ns();
        if (!id)
                return; /* notifications: nothing to do */
        json_t *empty = params ? NULL : json_object();
        if (empty)
                params = empty;

        if (strcmp(meth, "sandbox.create") == 0) {
                m_create(sv, rpc, id, params, t0);
        } else if (strcmp(meth, "sandbox.list") == 0) {
                json_t *arr = json_array();
                for (size_t i = 0; i < MAX_SANDBOXES; i++) {
                        sbx_t *b = sv->sb[i];
                        if (b)
                                json_array_append_new(
                                        arr, json_pack("{s:s,s:s,s:s,s:I,s:f}", "sandbox", b->id,
                                                       "root", b->root, "backend",
                                                       lr_session_backend(b->session),
                                                       "calls", (json_int_t)b->calls,
                                                       "ageSeconds",
                                                       ms_since(b->created_ns) / 1e3));
                }
                reply(rpc, id, json_pack("{s:o}", "sandboxes", arr), t0, NULL);
        } else if (strcmp(meth, "sandbox.exec") == 0 || strcmp(meth, "sandbox.read") == 0 ||
                   strcmp(meth, "sandbox.write") == 0 || strcmp(meth, "sandbox.destroy") == 0) {
                sbx_t **slot = find(sv, params);
                if (!slot) {
                        lr_rpc_error(rpc, id, ERR_UNKNOWN_SANDBOX, "Unknown sandbox",
                                     json_pack("{s:o}", "sandbox",
                                               json_object_get(params, "sandbox")
                                                       ? json_incref(json_object_get(params,
                                                                                     "sandbox"))
                                                       : json_null()));
                } else if (strcmp(meth, "sandbox.destroy") == 0) {
                        sbx_t *b = *slot;
                        *slot = NULL;
                        uint64_t t1 = lr_now_ns();
                        audit_op(sv, "destroy", b, b->root, NULL, -1, -1, "ok");
                        json_t *r = json_pack("{s:s,s:b}", "sandbox", b->id, "destroyed", 1);
                        sbx_free(b);
                        reply(rpc, id, r, t0, json_pack("{s:f}", "teardownMs", ms_since(t1)));
                } else if (strcmp(meth, "sandbox.exec") == 0) {
                        m_exec(sv, rpc, id, params, *slot, t0);
                } else if (strcmp(meth, "sandbox.read") == 0) {
                        m_read(sv, rpc, id, params, *slot, t0);
                } else {
                        m_write(sv, rpc, id, params, *slot, t0);
                }
        } else {
                lr_rpc_error(rpc, id, LR_RPC_METHOD_NOT_FOUND, "Method not found",
                             json_pack("{s:s}", "method", meth));
        }
        json_decref(empty);
}

static void serve_rpc_init(lr_rpc_t *rpc, serve_t *sv, int out_fd)
{
        /* Writes may be base64: 4/3 of the bytes, then JSON escaping. */
        lr_rpc_init(rpc, out_fd, (size_t)sv->cfg->max_write * 6 + (1u << 20), handle, sv);
        rpc->error_timings = true;
}

int lr_serve(const lr_config_t *cfg, lr_audit_t *audit, const char *server_id, int in_fd,
             int out_fd, lr_error_t *err)
{
        serve_t sv = { .cfg = cfg, .audit = audit, .server_id = server_id,
                       .approver = { .policy = &cfg->policy, .audit = audit, .mode = "serve" } };
        lr_rpc_t rpc;
        serve_rpc_init(&rpc, &sv, out_fd);
        int r = lr_rpc_run(&rpc, in_fd, err);
        lr_rpc_free(&rpc);
        /* Every sandbox ends with the server. */
        for (size_t i = 0; i < MAX_SANDBOXES; i++) {
                if (sv.sb[i])
                        audit_op(&sv, "destroy", sv.sb[i], sv.sb[i]->root, NULL, -1, -1,
                              "server exit");
                sbx_free(sv.sb[i]);
        }
        return r;
}

int lr_serve_feed_for_fuzzing(const lr_config_t *cfg, int out_fd, const char *data, size_t len)
{
        serve_t sv = { .cfg = cfg, .server_id = "fuzz", .fuzzing = true,
                       .approver = { .policy = &cfg->policy, .mode = "serve" } };
        /* One sandbox without a session, so exec/read/write get past the
         * id lookup into their parameter checks (base64, paths, limits) and
         * end in SANDBOX_UNAVAILABLE. */
        sbx_t *b = lr_xcalloc(1, sizeof *b);
        b->cfg = *cfg;
        b->root = lr_xstrdup("/");
        b->cfg.root = b->root;
        snprintf(b->id, sizeof b->id, "sb-1");
        sv.sb[0] = b;
        sv.next_id = 1;
        lr_rpc_t rpc;
        serve_rpc_init(&rpc, &sv, out_fd);
        lr_rpc_feed(&rpc, data, len);
        lr_rpc_flush(&rpc);
        lr_rpc_free(&rpc);
        for (size_t i = 0; i < MAX_SANDBOXES; i++)
                sbx_free(sv.sb[i]);
        return 0;
}
