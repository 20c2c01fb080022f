/* libFuzzer targets: the JSON-RPC front end of the server modes (framing,
 * size and depth limits, parsing, envelope checks, batches) and, behind it,
 * the MCP handler with every tool's argument validation (fuzz_rpc) or, built
 * with -DFUZZ_SERVE, the orchestrator API's handler: sandbox.create limits,
 * base64 writes, ids (fuzz_serve).  There is no sandbox here: a call whose
 * arguments pass validation ends in SANDBOX_UNAVAILABLE.  Invariants: no
 * crash, no leak, no UB; every line written is JSON with "jsonrpc" (an
 * object, or a batch's array of them). */
#include <fcntl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/mcp.h"
#include "cli/serve.h"
#include "core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static lr_config_t cfg;
        static int pipefd[2] = { -1, -1 };
        if (pipefd[0] < 0) {
                lr_config_defaults(&cfg);
                cfg.max_write = 4096; /* small limit: the size check is reachable */
                if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) < 0)
                        abort();
                fcntl(pipefd[1], F_SETPIPE_SZ, 1 << 20);
        }
#ifdef FUZZ_SERVE
        lr_serve_feed_for_fuzzing(&cfg, pipefd[1], (const char *)data, size);
#else
        lr_mcp_feed_for_fuzzing(&cfg, pipefd[1], (const char *)data, size);
#endif

        /* Every reply is a single-line JSON object with "jsonrpc":"2.0". */
        static char out[1 << 20];
        ssize_t n = read(pipefd[0], out, sizeof out);
        if (n > 0) {
                char *p = out, *end = out + n;
                while (p < end) {
                        char *nl = memchr(p, '\n', (size_t)(end - p));
                        if (!nl)
                                break; /* a reply larger than the pipe read; skip */
                        json_error_t je;
                        json_t *msg = json_loadb(p, (size_t)(nl - p), 0, &je);
                        json_t *first = json_is_array(msg) ? json_array_get(msg, 0) : msg;
                        if (!json_is_object(first) ||
                            !json_is_string(json_object_get(first, "jsonrpc")))
                                abort();
                        json_decref(msg);
                        p = nl + 1;
                }
        }
        return 0;
}
