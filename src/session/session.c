/* session.c - the host side of the channel: requests out, validated replies in. */
#include "session/session.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "channel/wire.h"
#include "sandbox/sandbox.h"

#define GRACE_MS 2000
/* Slack for the agent's own bookkeeping on top of a command's timeout. */
#define WATCHDOG_SLACK_MS 10000
#define FILE_OP_TIMEOUT_MS 60000
#define SMALL_REPLY 8192

struct lr_session {
        const lr_config_t *cfg;
        char *id;
        lr_sandbox_t *sb;
        uint64_t agent_ooms; /* the last oom_kill count the agent reported */
        lr_buf_t tx, rx;
        char desc[512];
};

static const char *const env_passthrough[] = { "LANG", "LC_ALL", "LC_CTYPE", "TERM", "TZ" };

/* A caller variable may pass only if it is short and printable: it is the
 * caller's environment, not a channel for arbitrary bytes. */
static bool env_value_sane(const char *v)
{
        size_t n = 0;
        for (; v[n]; n++)
                if ((unsigned char)v[n] < 0x20 || v[n] == 0x7f || n > 128)
                        return false;
        return true;
}

static void build_env(const lr_config_t *cfg, lr_buf_t *b)
{
        static const char *const fixed[] = {
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "HOME=/workspace", "USER=sandbox", "LOGNAME=sandbox", "SHELL=/bin/sh",
                "TMPDIR=/tmp",
        };
        lr_buf_init(b, 0);
        for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
                lr_buf_append(b, fixed[i], strlen(fixed[i]) + 1);
        bool have_lang = false;
        for (size_t i = 0; i < ARRAY_SIZE(env_passthrough); i++) {
                const char *v = getenv(env_passthrough[i]);
                if (!v || !env_value_sane(v))
                        continue;
                char *kv = lr_xasprintf("%s=%s", env_passthrough[i], v);
                lr_buf_append(b, kv, strlen(kv) + 1);
                free(kv);
                have_lang |= strcmp(env_passthrough[i], "LANG") == 0;
        }
        if (!have_lang)
                lr_buf_append(b, "LANG=C.UTF-8", sizeof "LANG=C.UTF-8");
        for (size_t i = 0; i < cfg->n_env; i++) {
                char *kv = lr_xasprintf("%s=%s", cfg->env[i].name, cfg->env[i].value);
                lr_buf_append(b, kv, strlen(kv) + 1);
                free(kv);
        }
}

/* Bound how long a blocking read of the agent's reply may take. */
static void set_recv_timeout(int fd, uint64_t ms)
{
        struct timeval tv = { .tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000 };
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

static void session_kill_sandbox(lr_session_t *s)
{
        lr_sandbox_destroy(s->sb);
        s->sb = NULL;
}

static int session_start_once(lr_session_t *s, lr_error_t *err, bool *pooled)
{
        const lr_config_t *cfg = s->cfg;
        lr_msg_view_t v;
        lr_buf_t env;

        if (lr_sandbox_create(cfg, s->id, &s->sb, err) < 0)
                return -1;
        *pooled = lr_sandbox_from_pool(s->sb);
        int chan = lr_sandbox_channel(s->sb);

        build_env(cfg, &env);
        lr_wire_begin(&s->tx, LR_MSG_INIT);
        lr_wire_put(&s->tx, LR_T_ENV, env.data, env.len);
        lr_buf_free(&env);
        lr_wire_put_str(&s->tx, LR_T_CWD, "/workspace");
        lr_wire_put_str(&s->tx, LR_T_SHELL, "/bin/sh");
        lr_wire_put_u64(&s->tx, LR_T_NOFILE, cfg->open_files);
        lr_wire_put_u64(&s->tx, LR_T_FSIZE, cfg->file_size);
        lr_wire_put_u64(&s->tx, LR_T_GRACE_MS, GRACE_MS);
        lr_wire_put_u64(&s->tx, LR_T_MAX, cfg->max_write);
        set_recv_timeout(chan, FILE_OP_TIMEOUT_MS);
        if (lr_wire_send(chan, &s->tx, err) < 0 ||
            lr_wire_recv(chan, SMALL_REPLY, &s->rx, &v, err) < 0)
                goto fail;
        if (v.type != LR_MSG_HELLO) {
                lr_error_set(err, LR_E_PROTOCOL, 0, "agent sent message %d instead of HELLO",
                             v.type);
                goto fail;
        }
        snprintf(s->desc, sizeof s->desc, "%s", lr_sandbox_describe(s->sb));
        return 0;
fail:
        lr_error_wrap(err, "sandbox agent did not start");
        session_kill_sandbox(s);
        return -1;
}

/* A warm-pool container that fails the INIT/HELLO exchange (its agent died
 * after the claim's health check) is replaced: the next try claims another
 * or creates a fresh one.  Any other failure is reported as it is. */
static int session_start_sandbox(lr_session_t *s, lr_error_t *err)
{
        for (int attempt = 0;; attempt++) {
                bool pooled = false;
                int r = session_start_once(s, err, &pooled);
                if (r == 0 || !pooled || attempt == 3)
                        return r;
        }
}

int lr_session_open(const lr_config_t *cfg, const char *session_id, lr_session_t **ret,
                    lr_error_t *err)
{
        lr_session_t *s = lr_xcalloc(1, sizeof *s);
        s->cfg = cfg;
        s->id = lr_xstrdup(session_id);
        lr_buf_init(&s->tx, 0);
        lr_buf_init(&s->rx, 0);
        if (session_start_sandbox(s, err) < 0) {
                lr_session_close(s);
                return -1;
        }
        *ret = s;
        return 0;
}

void lr_session_close(lr_session_t *s)
{
        if (!s)
                return;
        if (s->sb) {
                /* Ask politely so the agent reaps its tree; destroy() kills
                 * PID 1 regardless, which ends the namespace. */
                lr_wire_begin(&s->tx, LR_MSG_SHUTDOWN);
                (void)lr_wire_send(lr_sandbox_channel(s->sb), &s->tx, NULL);
                session_kill_sandbox(s);
        }
        lr_buf_free(&s->tx);
        lr_buf_free(&s->rx);
        free(s->id);
        free(s);
}

const char *lr_session_backend(const lr_session_t *s)
{
        return s && s->sb ? lr_sandbox_backend(s->sb) : "none";
}

const char *lr_session_describe(const lr_session_t *s)
{
        return s->desc;
}

/* Send s->tx and receive one RESULT of at most max_reply bytes within
 * timeout_ms.  On any failure the sandbox is torn down: after a protocol
 * violation nothing it says can be trusted.  The next call starts a fresh
 * sandbox. */
static int roundtrip(lr_session_t *s, size_t max_reply, uint64_t timeout_ms, lr_msg_view_t *v,
                     lr_error_t *err)
{
        if (!s->sb && session_start_sandbox(s, err) < 0)
                return -1;
        int chan = lr_sandbox_channel(s->sb);
        set_recv_timeout(chan, timeout_ms);
        if (lr_wire_send(chan, &s->tx, err) < 0 ||
            lr_wire_recv(chan, max_reply, &s->rx, v, err) < 0)
                goto fail;
        if (v->type != LR_MSG_RESULT) {
                lr_error_set(err, LR_E_PROTOCOL, 0, "agent sent message %d instead of RESULT",
                             v->type);
                goto fail;
        }
        uint64_t code;
        if (lr_wire_get_u64(v, LR_T_CODE, &code, err) < 0)
                goto fail;
        if (code >= LR_CODE_MAX_) {
                lr_error_set(err, LR_E_PROTOCOL, 0, "agent sent unknown result code %llu",
                             (unsigned long long)code);
                goto fail;
        }
        return 0;
fail:
        if (err && (err->errnum == EAGAIN || err->errnum == EWOULDBLOCK))
                lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, ETIMEDOUT,
                             "the sandbox did not answer within %llu ms",
                             (unsigned long long)timeout_ms);
        session_kill_sandbox(s);
        return -1;
}

/* Copy the agent's message (bounded, NULs and control bytes replaced). */
static void copy_message(const lr_msg_view_t *v, char *dst, size_t len)
{
        const lr_field_t *f = &v->f[LR_T_MSG];
        size_t n = 0;
        if (f->present)
                for (; n < f->len && n + 1 < len; n++) {
                        unsigned char c = (unsigned char)f->data[n];
                        dst[n] = (c < 0x20 && c != '\t') || c == 0x7f ? '?' : (char)c;
                }
        dst[n] = '\0';
}

static int get_u64_max(const lr_msg_view_t *v, lr_tag_t tag, uint64_t max, uint64_t *ret,
                       lr_error_t *err)
{
        if (lr_wire_get_u64(v, tag, ret, err) < 0)
                return -1;
        if (*ret > max)
                return lr_error_set(err, LR_E_PROTOCOL, 0, "field %d out of range", (int)tag);
        return 0;
}

/* Assemble head + marker + tail, checking the sizes the agent claims. */
static int assemble_stream(const lr_msg_view_t *v, lr_tag_t thead, lr_tag_t ttail,
                           lr_tag_t ttotal, uint64_t cap, lr_buf_t *out, uint64_t *total,
                           bool *truncated, lr_error_t *err)
{
        const lr_field_t *h = &v->f[thead], *t = &v->f[ttail];
        if (!h->present || !t->present || (uint64_t)h->len + t->len > cap)
                return lr_error_set(err, LR_E_PROTOCOL, 0, "bad output fields from the agent");
        if (lr_wire_get_u64(v, ttotal, total, err) < 0)
                return -1;
        if (*total < (uint64_t)h->len + t->len)
                return lr_error_set(err, LR_E_PROTOCOL, 0, "output total below captured size");
        lr_buf_init(out, 0);
        lr_buf_append(out, h->data, h->len);
        *truncated = *total > (uint64_t)h->len + t->len;
        if (*truncated) {
                char mark[128];
                snprintf(mark, sizeof mark, "\n[... %llu bytes truncated ...]\n",
                         (unsigned long long)(*total - h->len - t->len));
                lr_buf_append(out, mark, strlen(mark));
        }
        lr_buf_append(out, t->data, t->len);
        lr_buf_cstr(out);
        return 0;
}

int lr_session_exec(lr_session_t *s, const char *cmd, const char *stdin_data, size_t stdin_len,
                    bool has_stdin, uint64_t timeout_ms, lr_exec_result_t *res, lr_error_t *err)
{
        if (!s)
                return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, 0, "no sandbox session");
        const lr_config_t *cfg = s->cfg;
        lr_msg_view_t v;
        uint64_t x;
        if (timeout_ms == 0 || timeout_ms > cfg->exec_timeout_ms)
                timeout_ms = cfg->exec_timeout_ms;

        memset(res, 0, sizeof *res);
        lr_buf_init(&res->out, 0);
        lr_buf_init(&res->err, 0);

        lr_wire_begin(&s->tx, LR_MSG_EXEC);
        lr_wire_put_str(&s->tx, LR_T_CMD, cmd);
        if (has_stdin)
                lr_wire_put(&s->tx, LR_T_STDIN, stdin_data ? stdin_data : "", stdin_len);
        lr_wire_put_u64(&s->tx, LR_T_TIMEOUT_MS, timeout_ms);
        lr_wire_put_u64(&s->tx, LR_T_OUTCAP, cfg->output_limit);

        uint64_t oom_before = s->sb ? lr_sandbox_oom_kills(s->sb) : 0;
        if (roundtrip(s, 2 * cfg->output_limit + SMALL_REPLY,
                      timeout_ms + GRACE_MS + WATCHDOG_SLACK_MS, &v, err) < 0)
                return -1;

        res->code = (lr_code_t)lr_wire_u64_or(&v, LR_T_CODE, LR_E_PROTOCOL);
        copy_message(&v, res->message, sizeof res->message);
        if (res->code != LR_OK)
                return 0;
        if (get_u64_max(&v, LR_T_EXIT, 255, &x, err) < 0)
                goto bad;
        res->exit_code = (int)x;
        if (get_u64_max(&v, LR_T_SIGNAL, 64, &x, err) < 0)
                goto bad;
        res->signal = (int)x;
        if (get_u64_max(&v, LR_T_TIMEDOUT, 1, &x, err) < 0)
                goto bad;
        res->timed_out = x == 1;
        if (lr_wire_get_u64(&v, LR_T_DURATION, &x, err) < 0)
                goto bad;
        res->duration_s = (double)x / 1e9;
        if (assemble_stream(&v, LR_T_OUT_HEAD, LR_T_OUT_TAIL, LR_T_OUT_TOTAL, cfg->output_limit,
                            &res->out, &res->out_total, &res->out_truncated, err) < 0 ||
            assemble_stream(&v, LR_T_ERR_HEAD, LR_T_ERR_TAIL, LR_T_ERR_TOTAL, cfg->output_limit,
                            &res->err, &res->err_total, &res->err_truncated, err) < 0)
                goto bad;
        if (s->sb && lr_sandbox_oom_kills(s->sb) > oom_before)
                res->oom_killed = true;
        /* Containers: the host cannot see the cgroup, the agent reports it. */
        if (s->sb && strcmp(lr_sandbox_backend(s->sb), "docker") == 0 &&
            lr_wire_get_u64(&v, LR_T_OOM_KILLS, &x, NULL) == 0) {
                if (x > s->agent_ooms)
                        res->oom_killed = true;
                s->agent_ooms = x;
        }
        if (res->timed_out) {
                res->code = LR_E_EXEC_TIMEOUT;
                res->exit_code = 124;
                snprintf(res->message, sizeof res->message, "command timed out after %.3gs",
                         (double)timeout_ms / 1000.0);
        } else if (res->exit_code != 0) {
                res->code = LR_E_EXEC_FAILED;
                if (res->oom_killed)
                        snprintf(res->message, sizeof res->message,
                                 "command exited with code %d (killed at the memory limit)",
                                 res->exit_code);
                else
                        snprintf(res->message, sizeof res->message,
                                 "command exited with code %d", res->exit_code);
        }
        return 0;
bad:
        lr_exec_result_free(res);
        session_kill_sandbox(s);
        return -1;
}

int lr_session_open_file(lr_session_t *s, const char *path, lr_open_result_t *res,
                         lr_error_t *err)
{
        if (!s)
                return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, 0, "no sandbox session");
        const lr_config_t *cfg = s->cfg;
        lr_msg_view_t v;

        memset(res, 0, sizeof *res);
        lr_buf_init(&res->data, 0);
        lr_wire_begin(&s->tx, LR_MSG_OPEN);
        lr_wire_put_str(&s->tx, LR_T_PATH, path);
        lr_wire_put_u64(&s->tx, LR_T_MAX, cfg->max_read);
        if (roundtrip(s, cfg->max_read + SMALL_REPLY, FILE_OP_TIMEOUT_MS, &v, err) < 0)
                return -1;
        res->code = (lr_code_t)lr_wire_u64_or(&v, LR_T_CODE, LR_E_PROTOCOL);
        copy_message(&v, res->message, sizeof res->message);
        res->size = lr_wire_u64_or(&v, LR_T_SIZE, 0);
        if (res->code == LR_E_RESOURCE_LIMIT)
                snprintf(res->message, sizeof res->message, "file too large (%llu bytes, max %llu)",
                         (unsigned long long)res->size, (unsigned long long)cfg->max_read);
        if (res->code != LR_OK)
                return 0;
        const lr_field_t *d = &v.f[LR_T_DATA];
        if (!d->present || d->len > cfg->max_read || d->len != res->size) {
                lr_error_set(err, LR_E_PROTOCOL, 0, "bad file data from the agent");
                session_kill_sandbox(s);
                return -1;
        }
        lr_buf_append(&res->data, d->data, d->len);
        lr_buf_cstr(&res->data);
        return 0;
}

int lr_session_write_file(lr_session_t *s, const char *path, const char *data, size_t len,
                          lr_write_result_t *res, lr_error_t *err)
{
        if (!s)
                return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, 0, "no sandbox session");
        const lr_config_t *cfg = s->cfg;
        lr_msg_view_t v;

        memset(res, 0, sizeof *res);
        if (len > cfg->max_write) {
                res->code = LR_E_RESOURCE_LIMIT;
                snprintf(res->message, sizeof res->message,
                         "content too large (%zu bytes, max %llu)", len,
                         (unsigned long long)cfg->max_write);
                return 0;
        }
        lr_wire_begin(&s->tx, LR_MSG_WRITE);
        lr_wire_put_str(&s->tx, LR_T_PATH, path);
        lr_wire_put(&s->tx, LR_T_DATA, data, len);
        if (roundtrip(s, SMALL_REPLY, FILE_OP_TIMEOUT_MS, &v, err) < 0)
                return -1;
        res->code = (lr_code_t)lr_wire_u64_or(&v, LR_T_CODE, LR_E_PROTOCOL);
        copy_message(&v, res->message, sizeof res->message);
        if (res->code != LR_OK)
                return 0;
        res->bytes = lr_wire_u64_or(&v, LR_T_SIZE, 0);
        res->created = lr_wire_u64_or(&v, LR_T_CREATED, 0) == 1;
        if (res->bytes != len) {
                lr_error_set(err, LR_E_PROTOCOL, 0, "agent reported %llu bytes written, sent %zu",
                             (unsigned long long)res->bytes, len);
                session_kill_sandbox(s);
                return -1;
        }
        return 0;
}

/* A name from the agent must be a clean relative path: callers split it
 * on '/' and print it. */
static bool clean_relative(const char *n, size_t len)
{
        if (len == 0 || n[0] == '/' || n[len - 1] == '/')
                return false;
        for (size_t i = 0; i < len;) {
                size_t j = i;
                while (j < len && n[j] != '/')
                        j++;
                size_t l = j - i;
                if (l == 0 || (l == 1 && n[i] == '.') || (l == 2 && n[i] == '.' && n[i + 1] == '.'))
                        return false;
                i = j + 1;
        }
        return true;
}

int lr_session_walk(lr_session_t *s, const char *path, unsigned depth, const char *pattern,
                    const char *const *excludes, size_t nexcludes, uint64_t max_entries,
                    lr_walk_result_t *res, lr_error_t *err)
{
        if (!s)
                return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, 0, "no sandbox session");
        lr_msg_view_t v;
        memset(res, 0, sizeof *res);
        lr_buf_init(&res->data, 0);
        if (depth > LR_WALK_MAX_DEPTH)
                depth = LR_WALK_MAX_DEPTH;
        lr_wire_begin(&s->tx, LR_MSG_WALK);
        lr_wire_put_str(&s->tx, LR_T_PATH, path);
        lr_wire_put_u64(&s->tx, LR_T_DEPTH, depth);
        lr_wire_put_u64(&s->tx, LR_T_MAX, max_entries);
        if (pattern)
                lr_wire_put_str(&s->tx, LR_T_PATTERN, pattern);
        if (nexcludes) {
                lr_buf_t ex;
                lr_buf_init(&ex, 0);
                for (size_t i = 0; i < nexcludes; i++)
                        lr_buf_append(&ex, excludes[i], strlen(excludes[i]) + 1);
                lr_wire_put(&s->tx, LR_T_EXCLUDE, ex.data, ex.len);
                lr_buf_free(&ex);
        }
        if (roundtrip(s, LR_WALK_MAX_BYTES + SMALL_REPLY, FILE_OP_TIMEOUT_MS, &v, err) < 0)
                return -1;
        res->code = (lr_code_t)lr_wire_u64_or(&v, LR_T_CODE, LR_E_PROTOCOL);
        copy_message(&v, res->message, sizeof res->message);
        if (res->code != LR_OK)
                return 0;
        const lr_field_t *d = &v.f[LR_T_DATA];
        uint64_t trunc;
        if (!d->present || d->len > LR_WALK_MAX_BYTES ||
            get_u64_max(&v, LR_T_TRUNCATED, 1, &trunc, err) < 0)
                goto bad;
        res->truncated = trunc == 1;
        size_t off = 0;
        lr_entry_t e;
        int r;
        while ((r = lr_entry_next(d->data, d->len, &off, &e, err)) == 1) {
                res->count++;
                bool name_ok = depth == 0 ? e.name_len == 0 : clean_relative(e.name, e.name_len);
                if (!name_ok || (depth == 0 && res->count > 1) || res->count > max_entries) {
                        lr_error_set(err, LR_E_PROTOCOL, 0, "bad directory listing from the agent");
                        goto bad;
                }
        }
        if (r < 0 || (depth == 0 && res->count != 1))
                goto bad;
        lr_buf_append(&res->data, d->data, d->len);
        return 0;
bad:
        if (err && err->code != LR_E_PROTOCOL)
                lr_error_set(err, LR_E_PROTOCOL, 0, "bad directory listing from the agent");
        lr_walk_result_free(res);
        session_kill_sandbox(s);
        return -1;
}

static int simple_op(lr_session_t *s, lr_fsop_result_t *res, lr_error_t *err)
{
        lr_msg_view_t v;
        if (roundtrip(s, SMALL_REPLY, FILE_OP_TIMEOUT_MS, &v, err) < 0)
                return -1;
        res->code = (lr_code_t)lr_wire_u64_or(&v, LR_T_CODE, LR_E_PROTOCOL);
        copy_message(&v, res->message, sizeof res->message);
        res->created = lr_wire_u64_or(&v, LR_T_CREATED, 0) == 1;
        return 0;
}

int lr_session_mkdir(lr_session_t *s, const char *path, lr_fsop_result_t *res, lr_error_t *err)
{
        if (!s)
                return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, 0, "no sandbox session");
        memset(res, 0, sizeof *res);
        lr_wire_begin(&s->tx, LR_MSG_MKDIR);
        lr_wire_put_str(&s->tx, LR_T_PATH, path);
        return simple_op(s, res, err);
}

int lr_session_move(lr_session_t *s, const char *src, const char *dst, lr_fsop_result_t *res,
                    lr_error_t *err)
{
        if (!s)
                return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, 0, "no sandbox session");
        memset(res, 0, sizeof *res);
        lr_wire_begin(&s->tx, LR_MSG_MOVE);
        lr_wire_put_str(&s->tx, LR_T_PATH, src);
        lr_wire_put_str(&s->tx, LR_T_DEST, dst);
        return simple_op(s, res, err);
}

void lr_walk_result_free(lr_walk_result_t *r)
{
        lr_buf_free(&r->data);
}

void lr_exec_result_free(lr_exec_result_t *r)
{
        lr_buf_free(&r->out);
        lr_buf_free(&r->err);
}

void lr_open_result_free(lr_open_result_t *r)
{
        lr_buf_free(&r->data);
}
