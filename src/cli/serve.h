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

/* libFuzzer entry (tests/fuzz/fuzz_serve.c): feed bytes through the
 * JSON-RPC front end and the serve handler; sandbox.create validates its
 * parameters but starts nothing, and "sb-1" exists without a sandbox. */
int lr_serve_feed_for_fuzzing(const lr_config_t *cfg, int out_fd, const char *data, size_t len);

#endif
