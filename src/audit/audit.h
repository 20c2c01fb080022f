/* audit.h - the append-only audit log: one JSON object per line.
 *
 * Each record is written with a single write(2) on an O_APPEND fd, so
 * concurrent runtimes never interleave partial lines; a short write or
 * ENOSPC is reported, not ignored.
 */
#ifndef LR_AUDIT_H
#define LR_AUDIT_H

#include <stdint.h>

#include "core/error.h"

typedef struct lr_audit lr_audit_t;

typedef struct {
        const char *operation; /* "open", "write", "exec", "session_start", ... */
        const char *path;      /* path for open/write, NULL otherwise */
        const char *command;   /* command for exec, NULL otherwise */
        int64_t bytes;         /* bytes read/written/output; -1 = omit */
        int64_t exit_code;     /* exec exit code; -1 = omit (unless has_exit) */
        int has_exit;
        double duration_s;     /* seconds; < 0 = omit */
        const char *outcome;   /* "ok" or an error name such as "FILE_NOT_FOUND" */
        const char *limit;     /* limit hit ("timeout", "output", "max_read", ...) or NULL */
        const char *detail;    /* free text (error message, backend, ...) or NULL */
} lr_audit_record_t;

/* Open (creating parents with 0700) the log at `path`.  When path is NULL
 * the default is $XDG_STATE_HOME/llm-runtime/audit.jsonl (default
 * ~/.local/state/llm-runtime/audit.jsonl), refused when it lies inside
 * `workspace` (NULL: not checked). */
int lr_audit_open(lr_audit_t **ret, const char *path, const char *workspace,
                  const char *session_id, lr_error_t *err);

/* Append one record, adding "time" (RFC 3339 UTC, ms) and "session". */
int lr_audit_write(lr_audit_t *a, const lr_audit_record_t *rec, lr_error_t *err);

/* The path in use (for --verbose). */
const char *lr_audit_path(const lr_audit_t *a);

void lr_audit_close(lr_audit_t *a); /* accepts NULL */

#endif
