/* libFuzzer target: the pipe-mode scanner, the parser of untrusted model
 * output.  The first byte picks the chunk size, so the fuzzer also explores
 * how reads split the input.  Invariants checked on every emitted command:
 * NUL-terminated arguments of the stated length, write content within the
 * limit, and identical results for whole and chunked feeding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/scanner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
        uint64_t hash;
        size_t n;
} sum_t;

static int check(const lr_cmd_t *c, void *ud)
{
        sum_t *s = ud;
        if (c->type != LR_CMD_ERROR) {
                if (!c->arg || strlen(c->arg) != c->arg_len || c->arg_len == 0)
                        abort();
        }
        if (c->type == LR_CMD_WRITE && c->content_len > 4096)
                abort();
        if (c->content && c->content_len)
                for (size_t i = 0; i < c->content_len; i++)
                        s->hash = s->hash * 31 + (unsigned char)c->content[i];
        for (size_t i = 0; c->arg && i < c->arg_len; i++)
                s->hash = s->hash * 131 + (unsigned char)c->arg[i];
        s->hash = s->hash * 7 + (uint64_t)c->type * 3 + (uint64_t)c->code;
        s->n++;
        return 0;
}

static sum_t run(const uint8_t *data, size_t size, size_t chunk)
{
        sum_t s = { 0 };
        lr_scanner_limits_t lim = { .max_arg = 512, .max_write = 4096, .max_stdin = 4096 };
        lr_scanner_t *sc = lr_scanner_new(&lim, check, &s);
        for (size_t off = 0; off < size; off += chunk)
                lr_scanner_feed(sc, (const char *)data + off, size - off < chunk ? size - off : chunk);
        lr_scanner_finish(sc);
        lr_scanner_free(sc);
        return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size == 0)
                return 0;
        size_t chunk = (size_t)(data[0] % 17) + 1;
        sum_t a = run(data + 1, size - 1, size);
        sum_t b = run(data + 1, size - 1, chunk);
        if (a.n != b.n || a.hash != b.hash)
                abort();
        return 0;
}
