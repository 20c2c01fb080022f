/* pipe.h - pipe mode: LLM text in, results out, one sandbox session. */
#ifndef LR_PIPE_H
#define LR_PIPE_H

#include "audit/audit.h"
#include "core/config.h"
#include "core/error.h"
#include "session/session.h"

/* Read the reply from in_fd until EOF, running each command as soon as the
 * scanner completes it and writing its result to out_fd at once.  Returns 0
 * when the input was consumed (command failures are results, not errors),
 * or -1 when input or output failed. */
int lr_pipe_run(const lr_config_t *cfg, lr_session_t *session, lr_audit_t *audit, int in_fd,
                int out_fd, lr_error_t *err);

#endif
