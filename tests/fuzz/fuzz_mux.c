/* libFuzzer target: the Docker Engine stream demultiplexer, fed the input
 * in pieces whose sizes come from the input itself. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "docker/engine.h"

static int sink(void *arg, int stream, const char *p, size_t n)
{
        size_t *total = arg;
        if (stream < 0 || stream > 2 || (n && !p))
                __builtin_trap();
        *total += n;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        size_t step = (size_t)data[0] % 17 + 1;
        data++;
        size--;
        lr_mux_t m;
        lr_mux_init(&m, 4096);
        size_t total = 0;
        for (size_t off = 0; off < size; off += step) {
                size_t n = size - off < step ? size - off : step;
                if (lr_mux_feed(&m, (const char *)data + off, n, sink, &total) < 0)
                        break;
        }
        if (total > size)
                __builtin_trap();
        return 0;
}
