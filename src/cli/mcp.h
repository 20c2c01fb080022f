/* mcp.h - `llm-runtime mcp`: an MCP tool server over stdio (see mcp.c). */
#ifndef LR_MCP_H
#define LR_MCP_H

#include "audit/audit.h"
#include "core/config.h"
#include "core/error.h"
#include "session/session.h"

/* Serve newline-delimited JSON-RPC from in_fd to out_fd until EOF.  All
 * tool calls run in `session`.  Returns 0 at EOF, -1 on an I/O error. */
int lr_mcp_serve(const lr_config_t *cfg, lr_session_t *session, lr_audit_t *audit, int in_fd,
                 int out_fd, lr_error_t *err);

/* The largest message accepted, from the configured write limit. */
size_t lr_mcp_max_message(const lr_config_t *cfg);

/* For tests/fuzz/fuzz_rpc.c: run bytes through the JSON-RPC front end and
 * the MCP handler with no sandbox (tool calls fail with
 * SANDBOX_UNAVAILABLE after their arguments are checked). */
int lr_mcp_feed_for_fuzzing(const lr_config_t *cfg, int out_fd, const char *data, size_t len);

#endif
