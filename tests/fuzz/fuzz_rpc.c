/* libFuzzer target: the JSON-RPC front end of the server modes (framing,
 * size and depth limits, parsing, envelope checks) and the MCP handler
 * behind it, including every tool's argument validation.  There is no
 * sandbox here: a tool call whose arguments pass validation ends in
 * SANDBOX_UNAVAILABLE.  Invariants: no crash, no leak, no UB; every line
 * written is one JSON object. */
#include <fcntl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/mcp.h"
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
        lr_mcp_feed_for_fuzzing(&cfg, pipefd[1], (const char *)data, size);

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
                        if (!json_is_object(msg) ||
                            !json_is_string(json_object_get(msg, "jsonrpc")))
                                abort();
                        json_decref(msg);
                        p = nl + 1;
                }
        }
        return 0;
}
