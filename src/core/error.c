#include "core/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *lr_code_name(lr_code_t code)
{
        switch (code) {
        case LR_OK: return "OK";
        case LR_E_PARSE: return "PARSE_ERROR";
        case LR_E_FILE_NOT_FOUND: return "FILE_NOT_FOUND";
        case LR_E_IS_DIRECTORY: return "IS_DIRECTORY";
        case LR_E_BINARY_FILE: return "BINARY_FILE";
        case LR_E_RESOURCE_LIMIT: return "RESOURCE_LIMIT";
        case LR_E_PERMISSION_DENIED: return "PERMISSION_DENIED";
        case LR_E_EXEC_TIMEOUT: return "EXEC_TIMEOUT";
        case LR_E_EXEC_FAILED: return "EXEC_FAILED";
        case LR_E_SANDBOX_UNAVAILABLE: return "SANDBOX_UNAVAILABLE";
        case LR_E_IO: return "IO_ERROR";
        case LR_E_NOT_REGULAR: return "NOT_REGULAR_FILE";
        case LR_E_INVALID: return "INVALID_ARGUMENT";
        case LR_E_CONFIG: return "CONFIG_ERROR";
        case LR_E_PROTOCOL: return "PROTOCOL_ERROR";
        case LR_E_NO_SPACE: return "NO_SPACE";
        case LR_E_INTERNAL: return "INTERNAL_ERROR";
        case LR_E_EXISTS: return "ALREADY_EXISTS";
        case LR_E_DENIED: return "APPROVAL_DENIED";
        case LR_CODE_MAX_: break;
        }
        return "INTERNAL_ERROR";
}

lr_code_t lr_code_from_errno(int errnum)
{
        switch (errnum) {
        case ENOENT:
        case ENOTDIR:
                return LR_E_FILE_NOT_FOUND;
        case EISDIR:
                return LR_E_IS_DIRECTORY;
        case EACCES:
        case EPERM:
        case EROFS:
                return LR_E_PERMISSION_DENIED;
        case ENOSPC:
        case EDQUOT:
        case EFBIG:
                return LR_E_NO_SPACE;
        case ENAMETOOLONG:
        case EINVAL:
                return LR_E_INVALID;
        case ENXIO:
                return LR_E_NOT_REGULAR;
        case EEXIST:
        case ENOTEMPTY:
                return LR_E_EXISTS;
        default:
                return LR_E_IO;
        }
}

int lr_error_set(lr_error_t *err, lr_code_t code, int errnum, const char *fmt, ...)
{
        if (!err)
                return -1;
        err->code = code;
        err->errnum = errnum;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        return -1;
}

int lr_error_wrap(lr_error_t *err, const char *fmt, ...)
{
        if (!err)
                return -1;
        char prefix[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof prefix, fmt, ap);
        va_end(ap);
        char old[sizeof err->msg];
        memcpy(old, err->msg, sizeof old);
        snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
        return -1;
}
