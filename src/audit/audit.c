/* audit.c - append-only JSON Lines audit log (see audit.h). */
#include "audit/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/utf8.h"
#include "core/util.h"

/* Commands and paths come from the model: cap what one record may hold. */
#define FIELD_MAX (64u << 10)

struct lr_audit {
        int fd;
        char *path;
        char *session;
};

static int mkdir_p(char *path, mode_t mode)
{
        for (char *p = path + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                int r = mkdir(path, mode);
                *p = '/';
                if (r < 0 && errno != EEXIST)
                        return -1;
        }
        return 0;
}

int lr_audit_open(lr_audit_t **ret, const char *path, const char *workspace,
                  const char *session_id, lr_error_t *err)
{
        char buf[PATH_MAX];
        if (!path) {
                const char *state = getenv("XDG_STATE_HOME");
                const char *home = getenv("HOME");
                if (state && *state == '/')
                        snprintf(buf, sizeof buf, "%s/llm-runtime/audit.jsonl", state);
                else if (home && *home)
                        snprintf(buf, sizeof buf, "%s/.local/state/llm-runtime/audit.jsonl", home);
                else
                        return lr_error_set(err, LR_E_CONFIG, 0,
                                            "no HOME or XDG_STATE_HOME for the default audit log");
                path = buf;
                /* The default follows HOME; a workspace that holds it would
                 * let the sandbox rewrite its own record.  A path set in the
                 * trusted config or on the command line is the user's call. */
                char canon[PATH_MAX];
                if (workspace && realpath(workspace, canon) && lr_path_inside(path, canon))
                        return lr_error_set(err, LR_E_CONFIG, 0,
                                            "the default audit log %s lies inside the workspace "
                                            "%s, where the sandbox could rewrite it; set "
                                            "audit_log (or --audit-log) to a path outside it",
                                            path, canon);
        }
        char *dir = lr_xstrdup(path);
        int r = mkdir_p(dir, 0700);
        free(dir);
        if (r < 0)
                return lr_error_set(err, LR_E_IO, errno, "cannot create the directory of %s: %s",
                                    path, strerror(errno));
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY,
                      0600);
        if (fd < 0)
                return lr_error_set(err, LR_E_IO, errno, "cannot open %s: %s", path,
                                    strerror(errno));
        lr_audit_t *a = lr_xcalloc(1, sizeof *a);
        a->fd = fd;
        a->path = lr_xstrdup(path);
        a->session = lr_xstrdup(session_id ? session_id : "");
        *ret = a;
        return 0;
}

/* A JSON string from arbitrary bytes: invalid UTF-8 becomes U+FFFD, and
 * more than FIELD_MAX bytes are cut with a marker. */
static json_t *jfield(const char *s)
{
        size_t len = strlen(s);
        lr_buf_t b;
        lr_buf_init(&b, 0);
        lr_utf8_sanitize(&b, s, len > FIELD_MAX ? FIELD_MAX : len);
        if (len > FIELD_MAX) {
                char mark[64];
                snprintf(mark, sizeof mark, "…[truncated %zu bytes]", len - FIELD_MAX);
                lr_buf_append(&b, mark, strlen(mark));
        }
        json_t *j = json_stringn(lr_buf_cstr(&b), b.len);
        lr_buf_free(&b);
        return j ? j : json_string("");
}

int lr_audit_write(lr_audit_t *a, const lr_audit_record_t *rec, lr_error_t *err)
{
        struct timespec ts;
        struct tm tm;
        char when[40];
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        size_t n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(when + n, sizeof when - n, ".%03ldZ", ts.tv_nsec / 1000000);

        json_t *o = json_object();
        json_object_set_new(o, "time", json_string(when));
        json_object_set_new(o, "session", jfield(a->session));
        json_object_set_new(o, "operation", jfield(rec->operation ? rec->operation : "unknown"));
        if (rec->path)
                json_object_set_new(o, "path", jfield(rec->path));
        if (rec->command)
                json_object_set_new(o, "command", jfield(rec->command));
        if (rec->bytes >= 0)
                json_object_set_new(o, "bytes", json_integer(rec->bytes));
        if (rec->has_exit)
                json_object_set_new(o, "exit_code", json_integer(rec->exit_code));
        if (rec->duration_s >= 0)
                json_object_set_new(o, "duration_s", json_real(rec->duration_s));
        if (rec->outcome)
                json_object_set_new(o, "outcome", jfield(rec->outcome));
        if (rec->limit)
                json_object_set_new(o, "limit", jfield(rec->limit));
        if (rec->detail)
                json_object_set_new(o, "detail", jfield(rec->detail));
        char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(o);
        if (!line)
                return lr_error_set(err, LR_E_INTERNAL, 0, "cannot encode the audit record");
        size_t len = strlen(line);
        line = lr_xrealloc(line, len + 2);
        line[len++] = '\n';
        line[len] = '\0';
        /* One write(2) on an O_APPEND fd: concurrent runtimes never
         * interleave within a line.  A short write is an error, not a retry
         * (a retry could interleave). */
        ssize_t w;
        do
                w = write(a->fd, line, len);
        while (w < 0 && errno == EINTR);
        int e = errno;
        free(line);
        if (w < 0)
                return lr_error_set(err, e == ENOSPC ? LR_E_NO_SPACE : LR_E_IO, e,
                                    "cannot write the audit log %s: %s", a->path, strerror(e));
        if ((size_t)w != len)
                return lr_error_set(err, LR_E_IO, 0, "short write to the audit log %s (%zd of %zu)",
                                    a->path, w, len);
        return 0;
}

const char *lr_audit_path(const lr_audit_t *a)
{
        return a->path;
}

void lr_audit_close(lr_audit_t *a)
{
        if (!a)
                return;
        lr_close(a->fd);
        free(a->path);
        free(a->session);
        free(a);
}
