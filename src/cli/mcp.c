/* mcp.c - `llm-runtime mcp`: a Model Context Protocol tool server on stdio.
 *
 * Newline-delimited JSON-RPC 2.0 on stdin/stdout; logs go to stderr.  Both
 * lifecycles are served by one process: the legacy `initialize` handshake
 * (2024-11-05, 2025-03-26, 2025-06-18, 2025-11-25) and the stateless
 * 2026-07-28 style (`server/discover`, per-request `_meta`, `resultType`).
 * Every tool runs in the one sandbox session that lives as long as the
 * server.  Tool failures are results with isError; protocol errors are
 * JSON-RPC errors.  Input is untrusted: each message is bounded in size and
 * nesting depth before it is parsed, and a malformed one gets -32700 while
 * the server keeps serving.
 */
#include "cli/mcp.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/mcp_tools.h"
#include "core/util.h"
#include "policy/approve.h"
#include "rpc/jsonrpc.h"

#define SERVER_NAME "llm-runtime"
#define SERVER_VERSION "0.1.0"
#define MODERN "2026-07-28"
#define INSTRUCTIONS                                                                        \
        "Tools run inside an isolated sandbox: the workspace is /workspace (relative paths "  \
        "start there), /tmp is scratch space, there is no network, and commands have time "   \
        "and memory limits. Files and state persist between calls for the life of this "     \
        "server."

static const char *const legacy_versions[] = { "2025-11-25", "2025-06-18", "2025-03-26",
                                               "2024-11-05" };

typedef struct {
        const lr_config_t *cfg;
        lr_session_t *session;
        lr_audit_t *audit;
        lr_approver_t approver;
} mcp_t;

/* Judge every path or command a call carries; the first refusal stops it.
 * Returns NULL when the call may run, else an isError result. */
static json_t *approve_call(mcp_t *m, const char *tool, json_t *args)
{
        if (lr_approver_trivial(&m->approver))
                return NULL;
        char msg[600];
        const char *keys[] = { "command", "path", "source", "destination" };
        bool any = false;
        for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
                json_t *v = json_object_get(args, keys[i]);
                if (!json_is_string(v))
                        continue;
                any = true;
                if (!lr_approve(&m->approver, tool, json_string_value(v), msg, sizeof msg))
                        return lr_mcp_error("APPROVAL_DENIED: %s", msg);
        }
        json_t *paths = json_object_get(args, "paths");
        size_t i;
        json_t *p;
        json_array_foreach(paths, i, p) {
                if (!json_is_string(p))
                        continue;
                any = true;
                if (!lr_approve(&m->approver, tool, json_string_value(p), msg, sizeof msg))
                        return lr_mcp_error("APPROVAL_DENIED: %s", msg);
        }
        if (!any && !lr_approve(&m->approver, tool, NULL, msg, sizeof msg))
                return lr_mcp_error("APPROVAL_DENIED: %s", msg);
        return NULL;
}

static void send_result(lr_rpc_t *rpc, json_t *id, json_t *result, bool modern)
{
        if (modern) {
                json_object_set_new(result, "resultType", json_string("complete"));
                json_t *meta = json_object();
                json_object_set_new(meta, "io.modelcontextprotocol/serverInfo",
                                    json_pack("{s:s,s:s}", "name", SERVER_NAME, "version",
                                              SERVER_VERSION));
                json_object_set_new(result, "_meta", meta);
        }
        lr_rpc_result(rpc, id, result);
}

static void audit_call(mcp_t *m, const char *tool, json_t *args, json_t *result, double secs)
{
        if (!m->audit)
                return;
        char op[160];
        snprintf(op, sizeof op, "mcp:%s", tool);
        json_t *p = json_object_get(args, "path");
        json_t *src = json_object_get(args, "source");
        json_t *c = json_object_get(args, "command");
        bool is_err = json_is_true(json_object_get(result, "isError"));
        json_t *st = json_object_get(result, "structuredContent");
        json_t *ec = json_object_get(st, "exitCode");
        lr_audit_record_t rec = {
                .operation = op,
                .path = json_is_string(p) ? json_string_value(p)
                        : json_is_string(src) ? json_string_value(src) : NULL,
                .command = json_is_string(c) ? json_string_value(c) : NULL,
                .bytes = -1,
                .exit_code = ec ? json_integer_value(ec) : -1,
                .has_exit = ec != NULL,
                .duration_s = secs,
                .outcome = is_err ? "error" : "ok",
        };
        lr_audit_write(m->audit, &rec, NULL);
}

static bool is_modern(json_t *params)
{
        json_t *meta = json_object_get(params, "_meta");
        return json_is_object(meta) &&
               json_object_get(meta, "io.modelcontextprotocol/protocolVersion") != NULL;
}

static void tools_call(mcp_t *m, lr_rpc_t *rpc, json_t *id, json_t *params, bool modern)
{
        json_t *jn = json_object_get(params, "name");
        const char *name = json_is_string(jn) ? json_string_value(jn) : NULL;
        json_t *args = json_object_get(params, "arguments");
        const lr_mcp_tool_t *t = lr_mcp_tool_find(name);
        if (!t) {
                char text[200];
                snprintf(text, sizeof text, "Unknown tool: %.100s", name ? name : "(none)");
                lr_rpc_error(rpc, id, LR_RPC_INVALID_PARAMS, text, NULL);
                return;
        }
        if (args && !json_is_null(args) && !json_is_object(args)) {
                lr_rpc_error(rpc, id, LR_RPC_INVALID_PARAMS, "arguments must be an object", NULL);
                return;
        }
        json_t *empty = json_is_object(args) ? NULL : json_object();
        json_t *a = empty ? empty : args;
        uint64_t t0 = lr_now_ns();
        json_t *r = approve_call(m, t->name, a);
        if (!r)
                r = t->fn(m->session, a);
        audit_call(m, t->name, a, r, (double)(lr_now_ns() - t0) / 1e9);
        json_decref(empty);
        send_result(rpc, id, r, modern);
}

static void handle(void *ctx, lr_rpc_t *rpc, json_t *id, const char *meth, json_t *params)
{
        mcp_t *m = ctx;
        bool modern = is_modern(params);

        if (!id)
                return; /* notifications/initialized, cancelled, ...: nothing to answer */

        if (modern) {
                json_t *meta = json_object_get(params, "_meta");
                json_t *jv = json_object_get(meta, "io.modelcontextprotocol/protocolVersion");
                const char *v = json_is_string(jv) ? json_string_value(jv) : NULL;
                if (!v || strcmp(v, MODERN) != 0) {
                        lr_rpc_error(rpc, id, -32022, "Unsupported protocol version",
                                     json_pack("{s:[s,s,s,s,s],s:s?}", "supported", MODERN,
                                               legacy_versions[0], legacy_versions[1],
                                               legacy_versions[2], legacy_versions[3],
                                               "requested", v));
                        return;
                }
                if (!json_is_object(json_object_get(meta,
                                                    "io.modelcontextprotocol/clientCapabilities"))) {
                        lr_rpc_error(rpc, id, LR_RPC_INVALID_PARAMS,
                                     "_meta[\"io.modelcontextprotocol/clientCapabilities\"] is "
                                     "required",
                                     NULL);
                        return;
                }
        }

        if (strcmp(meth, "initialize") == 0) {
                json_t *jw = json_object_get(params, "protocolVersion");
                const char *want = json_is_string(jw) ? json_string_value(jw) : NULL;
                const char *ver = legacy_versions[0];
                for (size_t i = 0; want && i < ARRAY_SIZE(legacy_versions); i++)
                        if (strcmp(want, legacy_versions[i]) == 0)
                                ver = legacy_versions[i];
                /* Batches exist only in 2025-03-26 (and must be accepted
                 * there); later revisions removed them. */
                rpc->allow_batches = strcmp(ver, "2025-03-26") == 0;
                send_result(rpc, id,
                            json_pack("{s:s,s:{s:{s:b}},s:{s:s,s:s},s:s}", "protocolVersion", ver,
                                      "capabilities", "tools", "listChanged", 0, "serverInfo",
                                      "name", SERVER_NAME, "version", SERVER_VERSION,
                                      "instructions", INSTRUCTIONS),
                            false);
        } else if (strcmp(meth, "server/discover") == 0 && !modern) {
                /* A 2026-07-28 method: its _meta is required like on every
                 * modern request. */
                lr_rpc_error(rpc, id, LR_RPC_INVALID_PARAMS,
                             "server/discover needs _meta[\"io.modelcontextprotocol/"
                             "protocolVersion\"] and [\"io.modelcontextprotocol/"
                             "clientCapabilities\"]",
                             NULL);
        } else if (strcmp(meth, "server/discover") == 0) {
                json_t *r = json_pack("{s:[s,s,s,s,s],s:{s:{}},s:i,s:s,s:s}",
                                      "supportedVersions", MODERN, legacy_versions[0],
                                      legacy_versions[1], legacy_versions[2], legacy_versions[3],
                                      "capabilities", "tools", "ttlMs", 3600000, "cacheScope",
                                      "public", "instructions", INSTRUCTIONS);
                send_result(rpc, id, r, true);
        } else if (strcmp(meth, "ping") == 0) {
                send_result(rpc, id, json_object(), modern);
        } else if (strcmp(meth, "tools/list") == 0) {
                json_t *r = lr_mcp_tools_list();
                if (modern) {
                        json_object_set_new(r, "ttlMs", json_integer(3600000));
                        json_object_set_new(r, "cacheScope", json_string("public"));
                }
                send_result(rpc, id, r, modern);
        } else if (strcmp(meth, "tools/call") == 0) {
                tools_call(m, rpc, id, params, modern);
        } else {
                lr_rpc_error(rpc, id, LR_RPC_METHOD_NOT_FOUND, "Method not found",
                             json_pack("{s:s}", "method", meth));
        }
}

size_t lr_mcp_max_message(const lr_config_t *cfg)
{
        /* A message must fit the largest write plus JSON escaping (up to 6x
         * for \u escapes) and some envelope. */
        return (size_t)cfg->max_write * 6 + (1u << 20);
}


int lr_mcp_serve(const lr_config_t *cfg, lr_session_t *session, lr_audit_t *audit, int in_fd,
                 int out_fd, lr_error_t *err)
{
        mcp_t m = { .cfg = cfg, .session = session, .audit = audit,
                    .approver = { .policy = &cfg->policy, .audit = audit, .mode = "MCP" } };
        lr_rpc_t rpc;
        lr_rpc_init(&rpc, out_fd, lr_mcp_max_message(cfg), handle, &m);
        int r = lr_rpc_run(&rpc, in_fd, err);
        lr_rpc_free(&rpc);
        return r;
}

int lr_mcp_feed_for_fuzzing(const lr_config_t *cfg, int out_fd, const char *data, size_t len)
{
        mcp_t m = { .cfg = cfg, .approver = { .policy = &cfg->policy, .mode = "MCP" } };
        lr_rpc_t rpc;
        lr_rpc_init(&rpc, out_fd, lr_mcp_max_message(cfg), handle, &m);
        lr_rpc_feed(&rpc, data, len);
        lr_rpc_flush(&rpc);
        lr_rpc_free(&rpc);
        return 0;
}
