/* session.h - one sandbox, many tool calls.
 *
 * A session creates its sandbox once (lr_session_open), runs every command
 * in it, and tears it down with everything inside (lr_session_close).  The
 * session talks to the agent over the framed channel and validates every
 * reply: sizes are bounded by what this side asked for, and any violation
 * is a PROTOCOL_ERROR that ends the sandbox.
 *
 * Results carry an lr_code_t; LR_OK means the operation itself succeeded
 * (for exec: the command ran and exited, whatever its exit code).
 */
#ifndef LR_SESSION_H
#define LR_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/error.h"
#include "core/util.h"

typedef struct lr_session lr_session_t;

typedef struct {
        lr_code_t code;     /* LR_OK, LR_E_EXEC_TIMEOUT, LR_E_EXEC_FAILED (could not start), ... */
        char message[512];
        int exit_code;      /* 0-255; 124 for a timeout */
        int signal;         /* terminating signal, 0 if none */
        bool timed_out;
        bool oom_killed;    /* the memory limit killed something */
        double duration_s;
        lr_buf_t out;       /* stdout: head, truncation marker, tail */
        lr_buf_t err;
        uint64_t out_total; /* bytes the command wrote */
        uint64_t err_total;
        bool out_truncated;
        bool err_truncated;
} lr_exec_result_t;

typedef struct {
        lr_code_t code;
        char message[512];
        uint64_t size;      /* file size (also when over the limit) */
        lr_buf_t data;      /* content when code == LR_OK */
} lr_open_result_t;

typedef struct {
        lr_code_t code;
        char message[512];
        uint64_t bytes;
        bool created;
} lr_write_result_t;

int lr_session_open(const lr_config_t *cfg, const char *session_id, lr_session_t **ret,
                    lr_error_t *err);
void lr_session_close(lr_session_t *s); /* accepts NULL */
const char *lr_session_describe(const lr_session_t *s);
/* "native" or "docker": the backend the session's sandbox runs on. */
const char *lr_session_backend(const lr_session_t *s);

/* Each call fills *res (caller frees with the matching _free).  They return
 * 0 when the agent answered (res->code tells the outcome), or -1 when the
 * sandbox itself failed (err set; the session is then dead and further
 * calls fail with SANDBOX_UNAVAILABLE). */
/* timeout_ms: 0 = the configured --exec-timeout; larger values are
 * clamped to it (a caller may shorten a command's time, never extend it). */
int lr_session_exec(lr_session_t *s, const char *cmd, const char *stdin_data, size_t stdin_len,
                    bool has_stdin, uint64_t timeout_ms, lr_exec_result_t *res, lr_error_t *err);
int lr_session_open_file(lr_session_t *s, const char *path, lr_open_result_t *res,
                         lr_error_t *err);
int lr_session_write_file(lr_session_t *s, const char *path, const char *data, size_t len,
                          lr_write_result_t *res, lr_error_t *err);

/* A stat or directory walk.  data holds validated lr_entry_t records
 * (decode them with lr_entry_next); each name is a clean relative path
 * ("" only for a stat).  */
typedef struct {
        lr_code_t code;
        char message[512];
        lr_buf_t data;
        size_t count;
        bool truncated;     /* a limit cut the listing short */
} lr_walk_result_t;

/* For mkdir and move. */
typedef struct {
        lr_code_t code;
        char message[512];
        bool created;
} lr_fsop_result_t;

/* depth 0 stats `path` itself (following a final symlink); depth N lists N
 * levels below it.  pattern (may be NULL) keeps only entries whose relative
 * path matches; excludes (n of them) drop matching entries and do not enter
 * them.  At most max_entries entries come back. */
int lr_session_walk(lr_session_t *s, const char *path, unsigned depth, const char *pattern,
                    const char *const *excludes, size_t nexcludes, uint64_t max_entries,
                    lr_walk_result_t *res, lr_error_t *err);
int lr_session_mkdir(lr_session_t *s, const char *path, lr_fsop_result_t *res, lr_error_t *err);
/* Rename src to dst; never replaces an existing dst (ALREADY_EXISTS). */
int lr_session_move(lr_session_t *s, const char *src, const char *dst, lr_fsop_result_t *res,
                    lr_error_t *err);

void lr_walk_result_free(lr_walk_result_t *r);
void lr_exec_result_free(lr_exec_result_t *r);
void lr_open_result_free(lr_open_result_t *r);

#endif
