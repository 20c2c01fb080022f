/* mcp_tools.h - the MCP tools: names, schemas and implementations.
 *
 * The file tools follow the reference filesystem server
 * (@modelcontextprotocol/server-filesystem): the same names, argument
 * names, output formats and annotations, so clients and models already
 * know them.  The differences are documented in docs/PROTOCOL.md: paths
 * resolve inside the sandbox (there is no allowed-directories check; the
 * namespace is the boundary), edits must match exactly and uniquely, and
 * exec exists.
 *
 * A tool failure is a result with isError: true whose text starts with the
 * protocol code ("FILE_NOT_FOUND: ..."), so a model can act on it.
 */
#ifndef LR_MCP_TOOLS_H
#define LR_MCP_TOOLS_H

#include <jansson.h>
#include <stdbool.h>

#include "channel/wire.h"
#include "session/session.h"

typedef struct {
        const char *name, *title, *description;
        const char *input_schema;  /* JSON text */
        const char *output_schema; /* JSON text or NULL */
        bool read_only, destructive, idempotent;
        /* args is always an object; returns a CallToolResult (new ref). */
        json_t *(*fn)(lr_session_t *s, json_t *args);
} lr_mcp_tool_t;

const lr_mcp_tool_t *lr_mcp_tool_find(const char *name);
/* {"tools":[...]} for tools/list. */
json_t *lr_mcp_tools_list(void);

/* Build a CallToolResult with one text block. */
json_t *lr_mcp_result(json_t *text, bool is_error, json_t *structured);
json_t *lr_mcp_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
