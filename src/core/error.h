/* error.h - stable result codes and the library error contract.
 *
 * Contract (after crun): a function `int f(..., lr_error_t *err)` returns 0 on
 * success and leaves *err untouched.  On failure it returns a negative value
 * and fills *err with a code, an errno (0 if none) and a message.  Library
 * code never prints; the CLI reports an error once.
 *
 * lr_code_t values are append-only: their numbers appear in JSON output and
 * audit logs.  The names are the protocol's error names (docs/PROTOCOL.md).
 */
#ifndef LR_ERROR_H
#define LR_ERROR_H

#include <stdarg.h>

typedef enum {
        LR_OK = 0,
        LR_E_PARSE = 1,               /* PARSE_ERROR */
        LR_E_FILE_NOT_FOUND = 2,      /* FILE_NOT_FOUND */
        LR_E_IS_DIRECTORY = 3,        /* IS_DIRECTORY */
        LR_E_BINARY_FILE = 4,         /* BINARY_FILE */
        LR_E_RESOURCE_LIMIT = 5,      /* RESOURCE_LIMIT */
        LR_E_PERMISSION_DENIED = 6,   /* PERMISSION_DENIED */
        LR_E_EXEC_TIMEOUT = 7,        /* EXEC_TIMEOUT */
        LR_E_EXEC_FAILED = 8,         /* EXEC_FAILED */
        LR_E_SANDBOX_UNAVAILABLE = 9, /* SANDBOX_UNAVAILABLE */
        LR_E_IO = 10,                 /* IO_ERROR */
        LR_E_NOT_REGULAR = 11,        /* NOT_REGULAR_FILE: fifo, socket, device */
        LR_E_INVALID = 12,            /* INVALID_ARGUMENT: empty path, NUL byte */
        LR_E_CONFIG = 13,             /* CONFIG_ERROR */
        LR_E_PROTOCOL = 14,           /* PROTOCOL_ERROR: the agent broke the wire format */
        LR_E_NO_SPACE = 15,           /* NO_SPACE: ENOSPC / EDQUOT / EFBIG */
        LR_E_INTERNAL = 16,           /* INTERNAL_ERROR */
        LR_E_EXISTS = 17,             /* ALREADY_EXISTS: move onto an existing path */
        LR_E_DENIED = 18,             /* APPROVAL_DENIED: the host policy refused the call */
        LR_CODE_MAX_
} lr_code_t;

/* Protocol name of a code, e.g. "FILE_NOT_FOUND".  Never NULL. */
const char *lr_code_name(lr_code_t code);

/* Map an errno from a file operation onto a protocol code. */
lr_code_t lr_code_from_errno(int errnum);

typedef struct {
        lr_code_t code;
        int errnum;
        char msg[512];
} lr_error_t;

/* Fill *err (if err is non-NULL) and return -1.  errnum may be 0. */
int lr_error_set(lr_error_t *err, lr_code_t code, int errnum, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* Prefix context to an existing error message ("ctx: old message"). */
int lr_error_wrap(lr_error_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
