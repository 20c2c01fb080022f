/* jsonrpc.c - newline-delimited JSON-RPC 2.0 framing (see jsonrpc.h). */
#include "rpc/jsonrpc.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/utf8.h"

void lr_rpc_init(lr_rpc_t *r, int out_fd, size_t max_message, lr_rpc_handler_t handler,
                 void *ctx)
{
        memset(r, 0, sizeof *r);
        r->out_fd = out_fd;
        r->max_message = max_message;
        r->handler = handler;
        r->ctx = ctx;
        lr_buf_init(&r->line, 0);
}

void lr_rpc_free(lr_rpc_t *r)
{
        lr_buf_free(&r->line);
}

void lr_rpc_send(lr_rpc_t *r, json_t *msg)
{
        if (r->batch) {
                json_array_append_new(r->batch, msg);
                return;
        }
        char *s = json_dumps(msg, JSON_COMPACT | JSON_ENSURE_ASCII);
        json_decref(msg);
        if (!s)
                return;
        size_t n = strlen(s);
        s = lr_xrealloc(s, n + 2);
        s[n++] = '\n';
        if (!r->out_failed && lr_write_full(r->out_fd, s, n) < 0)
                r->out_failed = true;
        free(s);
}

void lr_rpc_result(lr_rpc_t *r, json_t *id, json_t *result)
{
        lr_rpc_send(r, json_pack("{s:s,s:O,s:o}", "jsonrpc", "2.0", "id", id, "result", result));
}

void lr_rpc_error(lr_rpc_t *r, json_t *id, int code, const char *msg, json_t *data)
{
        json_t *e = json_pack("{s:i,s:s}", "code", code, "message", msg);
        if (r->error_timings) {
                if (!data)
                        data = json_object();
                if (json_is_object(data) && !json_object_get(data, "timings")) {
                        uint64_t t0 = r->msg_t0 ? r->msg_t0 : lr_now_ns();
                        json_object_set_new(data, "timings",
                                            json_pack("{s:f}", "totalMs",
                                                      (double)(lr_now_ns() - t0) / 1e6));
                }
        }
        if (data)
                json_object_set_new(e, "data", data);
        lr_rpc_send(r, json_pack("{s:s,s:O,s:o}", "jsonrpc", "2.0", "id", id ? id : json_null(),
                                 "error", e));
}

int lr_json_depth(const char *s, size_t n)
{
        int d = 0, max = 0;
        bool str = false, esc = false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (str) {
                        if (esc)
                                esc = false;
                        else if (c == '\\')
                                esc = true;
                        else if (c == '"')
                                str = false;
                        continue;
                }
                if (c == '"')
                        str = true;
                else if (c == '[' || c == '{') {
                        if (++d > max)
                                max = d;
                } else if (c == ']' || c == '}')
                        d--;
        }
        return max;
}

json_t *lr_json_text(const char *s, size_t len)
{
        lr_buf_t b;
        lr_buf_init(&b, 0);
        lr_utf8_sanitize(&b, s ? s : "", s ? len : 0);
        json_t *j = json_stringn(lr_buf_cstr(&b), b.len);
        lr_buf_free(&b);
        return j ? j : json_string("");
}

static bool valid_id(json_t *id)
{
        return json_is_string(id) || json_is_integer(id);
}

static void dispatch(lr_rpc_t *r, json_t *msg)
{
        json_t *id = json_object_get(msg, "id");
        json_t *method = json_object_get(msg, "method");
        json_t *params = json_object_get(msg, "params");
        json_t *ver = json_object_get(msg, "jsonrpc");
        bool notification = id == NULL;

        if (!json_is_string(method) || !json_is_string(ver) ||
            strcmp(json_string_value(ver), "2.0") != 0 || (id && !valid_id(id))) {
                /* A response from the peer (result/error, no method) or a
                 * broken envelope.  Answer only what has a usable id. */
                if (!notification && !json_object_get(msg, "result") &&
                    !json_object_get(msg, "error"))
                        lr_rpc_error(r, valid_id(id) ? id : NULL, LR_RPC_INVALID_REQUEST,
                                     "Invalid Request", NULL);
                return;
        }
        if (params && !json_is_object(params)) {
                if (!notification)
                        lr_rpc_error(r, id, LR_RPC_INVALID_PARAMS, "params must be an object",
                                     NULL);
                return;
        }
        if (memchr(json_string_value(method), '\0', json_string_length(method))) {
                if (!notification)
                        lr_rpc_error(r, id, LR_RPC_INVALID_REQUEST, "Invalid Request", NULL);
                return;
        }
        r->handler(r->ctx, r, id, json_string_value(method), params);
}

/* Every element is handled as a message of its own; the responses (none
 * for notifications) go out together as one array, as JSON-RPC 2.0 asks. */
static void run_batch(lr_rpc_t *r, json_t *msgs)
{
        json_t *out = json_array();
        r->batch = out;
        size_t i;
        json_t *m;
        json_array_foreach(msgs, i, m) {
                if (json_is_object(m))
                        dispatch(r, m);
                else
                        lr_rpc_error(r, NULL, LR_RPC_INVALID_REQUEST, "Invalid Request", NULL);
        }
        r->batch = NULL;
        if (json_array_size(out) > 0)
                lr_rpc_send(r, out);
        else
                json_decref(out);
}

static void handle_line(lr_rpc_t *r, const char *s, size_t n)
{
        if (n > 0 && s[n - 1] == '\r')
                n--;
        size_t i = 0;
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
                i++;
        if (i == n)
                return; /* blank line */
        if (lr_json_depth(s, n) > LR_RPC_MAX_DEPTH) {
                lr_rpc_error(r, NULL, LR_RPC_INVALID_REQUEST, "Message nested too deeply",
                             json_pack("{s:i}", "maxDepth", LR_RPC_MAX_DEPTH));
                return;
        }
        json_error_t je;
        json_t *msg = json_loadb(s, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
        if (!msg)
                lr_rpc_error(r, NULL, LR_RPC_PARSE_ERROR, "Parse error",
                             json_pack("{s:s}", "detail", je.text));
        else if (json_is_array(msg) && r->allow_batches && json_array_size(msg) > 0)
                run_batch(r, msg);
        else if (json_is_array(msg))
                lr_rpc_error(r, NULL, LR_RPC_INVALID_REQUEST,
                             r->allow_batches ? "Invalid Request: empty batch"
                                              : "Batches are not supported",
                             NULL);
        else if (!json_is_object(msg))
                lr_rpc_error(r, NULL, LR_RPC_INVALID_REQUEST, "Invalid Request", NULL);
        else
                dispatch(r, msg);
        json_decref(msg);
}

void lr_rpc_feed(lr_rpc_t *r, const char *data, size_t len)
{
        while (len > 0) {
                const char *nl = memchr(data, '\n', len);
                size_t chunk = nl ? (size_t)(nl - data) : len;
                if (!r->skipping) {
                        if (r->line.len + chunk > r->max_message) {
                                r->skipping = true;
                                r->msg_t0 = lr_now_ns();
                                lr_buf_reset(&r->line);
                                lr_rpc_error(r, NULL, LR_RPC_INVALID_REQUEST, "Message too large",
                                             json_pack("{s:I}", "maxBytes",
                                                       (json_int_t)r->max_message));
                        } else {
                                lr_buf_append(&r->line, data, chunk);
                        }
                }
                if (!nl)
                        return;
                if (!r->skipping) {
                        r->msg_t0 = lr_now_ns();
                        handle_line(r, r->line.data ? r->line.data : "", r->line.len);
                }
                r->skipping = false;
                lr_buf_reset(&r->line);
                data = nl + 1;
                len -= chunk + 1;
        }
}

void lr_rpc_flush(lr_rpc_t *r)
{
        if (!r->skipping && r->line.len > 0)
                handle_line(r, r->line.data, r->line.len);
        r->skipping = false;
        lr_buf_reset(&r->line);
}

int lr_rpc_run(lr_rpc_t *r, int in_fd, lr_error_t *err)
{
        char buf[65536];
        for (;;) {
                ssize_t n = read(in_fd, buf, sizeof buf);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return lr_error_set(err, LR_E_IO, errno, "cannot read stdin: %s",
                                            strerror(errno));
                }
                if (n == 0)
                        break; /* EOF: the client is done */
                lr_rpc_feed(r, buf, (size_t)n);
                if (r->out_failed)
                        return lr_error_set(err, LR_E_IO, EPIPE, "cannot write to stdout");
        }
        lr_rpc_flush(r);
        return r->out_failed ? lr_error_set(err, LR_E_IO, EPIPE, "cannot write to stdout") : 0;
}
