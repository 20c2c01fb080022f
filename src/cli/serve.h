/* serve.h - `llm-runtime serve`: JSON-RPC over stdio for orchestrators
 * (see serve.c and docs/PROTOCOL.md). */
#ifndef LR_SERVE_H
#define LR_SERVE_H

#include "audit/audit.h"
#include "core/config.h"
#include "core/error.h"

/* Serve until EOF on in_fd; every sandbox is destroyed before returning.
 * Returns 0 at EOF, -1 on an I/O error. */
int lr_serve(const lr_config_t *cfg, lr_audit_t *audit, const char *server_id, int in_fd,
             int out_fd, lr_error_t *err);

#endif
