/* jsonrpc.h - newline-delimited JSON-RPC 2.0 framing for the server modes.
 *
 * `llm-runtime mcp` and `llm-runtime serve` both read one JSON-RPC message
 * per line from an untrusted peer.  This module owns that front end:
 *
 *   - a line longer than max_message is discarded (up to its newline)
 *     and answered with -32600 "Message too large";
 *   - nesting deeper than LR_RPC_MAX_DEPTH is refused with -32600 before
 *     the JSON parser sees it, so "[[[[..." cannot recurse the parser;
 *   - malformed JSON gets -32700 and the next line is served as usual;
 *   - batches (arrays) get -32600;
 *   - a valid envelope ({"jsonrpc":"2.0","method":...,"id"?,"params"?})
 *     reaches the handler; anything else gets -32600 (or, for a
 *     notification, is dropped).
 *
 * Output is one compact, ASCII-only JSON object per line, written in full.
 * tests/fuzz/fuzz_rpc.c drives lr_rpc_feed() with the MCP handler.
 */
#ifndef LR_JSONRPC_H
#define LR_JSONRPC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/util.h"

#define LR_RPC_MAX_DEPTH 64

/* JSON-RPC error codes. */
#define LR_RPC_PARSE_ERROR -32700
#define LR_RPC_INVALID_REQUEST -32600
#define LR_RPC_METHOD_NOT_FOUND -32601
#define LR_RPC_INVALID_PARAMS -32602
#define LR_RPC_INTERNAL_ERROR -32603

typedef struct lr_rpc lr_rpc_t;

/* Called for each well-formed request or notification.  id is NULL for a
 * notification; params is NULL or an object.  The handler must answer a
 * request (id != NULL) exactly once, and never a notification. */
typedef void (*lr_rpc_handler_t)(void *ctx, lr_rpc_t *rpc, json_t *id, const char *method,
                                 json_t *params);

struct lr_rpc {
        int out_fd;
        size_t max_message;
        bool out_failed;
        bool skipping;
        lr_buf_t line;
        lr_rpc_handler_t handler;
        void *ctx;
        /* serve: every error also carries data.timings.totalMs, measured
         * from when its message began to be handled. */
        bool error_timings;
        uint64_t msg_t0;
        /* MCP 2025-03-26 (the one revision with batching): a JSON array of
         * requests is answered with one array of responses.  While a batch
         * runs, lr_rpc_send collects into `batch` instead of writing. */
        bool allow_batches;
        json_t *batch;
};

void lr_rpc_init(lr_rpc_t *r, int out_fd, size_t max_message, lr_rpc_handler_t handler,
                 void *ctx);
void lr_rpc_free(lr_rpc_t *r);

/* Consume bytes; every complete line is handled before this returns. */
void lr_rpc_feed(lr_rpc_t *r, const char *data, size_t len);
/* Handle a final line that had no newline (at EOF). */
void lr_rpc_flush(lr_rpc_t *r);

/* Read in_fd until EOF, feeding.  Returns 0 at EOF, -1 (err set) when
 * reading stdin or writing stdout failed. */
int lr_rpc_run(lr_rpc_t *r, int in_fd, lr_error_t *err);

/* Send a message (stolen). */
void lr_rpc_send(lr_rpc_t *r, json_t *msg);
/* Send {"jsonrpc":"2.0","id":id,"result":result} (result stolen). */
void lr_rpc_result(lr_rpc_t *r, json_t *id, json_t *result);
/* Send an error; id may be NULL (sent as null); data (stolen) may be NULL. */
void lr_rpc_error(lr_rpc_t *r, json_t *id, int code, const char *msg, json_t *data);

/* Nesting depth of a JSON text, ignoring brackets inside strings. */
int lr_json_depth(const char *s, size_t n);

/* A JSON string from bytes that may not be UTF-8 (invalid sequences are
 * replaced).  Never NULL. */
json_t *lr_json_text(const char *s, size_t len);

#endif
