/* Unit tests for src/core/util.c: size/duration parsing, formatting, and
 * the capped buffer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"

static void sizes(void **state)
{
        (void)state;
        struct {
                const char *in;
                int ok;
                uint64_t out;
        } t[] = {
                { "0", 1, 0 },         { "1048576", 1, 1048576 }, { "512k", 1, 512 * 1024 },
                { "512K", 1, 512 * 1024 }, { "64m", 1, 64u << 20 }, { "1g", 1, 1u << 30 },
                { "1GiB", 1, 1u << 30 }, { "2mb", 1, 2u << 20 },  { "1.5m", 1, 1572864 },
                { "10b", 1, 10 },        { "", 0, 0 },             { "abc", 0, 0 },
                { "-1", 0, 0 },          { "5x", 0, 0 },           { "1kk", 0, 0 },
                { "99999999999t", 0, 0 },
        };
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
                uint64_t v = 12345;
                int r = lr_parse_size(t[i].in, &v);
                if ((r == 0) != t[i].ok)
                        fail_msg("lr_parse_size(\"%s\") returned %d", t[i].in, r);
                if (t[i].ok && v != t[i].out)
                        fail_msg("lr_parse_size(\"%s\") = %llu, want %llu", t[i].in,
                                 (unsigned long long)v, (unsigned long long)t[i].out);
        }
}

static void durations(void **state)
{
        (void)state;
        struct {
                const char *in;
                int ok;
                uint64_t ms;
        } t[] = {
                { "30s", 1, 30000 }, { "30", 1, 30000 }, { "500ms", 1, 500 }, { "2m", 1, 120000 },
                { "1h", 1, 3600000 }, { "1.5s", 1, 1500 }, { "abc", 0, 0 }, { "5d", 0, 0 },
                { "", 0, 0 }, { "-3s", 0, 0 },
        };
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
                uint64_t v = 0;
                int r = lr_parse_duration_ms(t[i].in, &v);
                if ((r == 0) != t[i].ok)
                        fail_msg("lr_parse_duration_ms(\"%s\") returned %d", t[i].in, r);
                if (t[i].ok && v != t[i].ms)
                        fail_msg("lr_parse_duration_ms(\"%s\") = %llu", t[i].in,
                                 (unsigned long long)v);
        }
}

static void format_sizes(void **state)
{
        (void)state;
        char b[32];
        assert_string_equal(lr_format_size(0, b, sizeof b), "0 B");
        assert_string_equal(lr_format_size(1023, b, sizeof b), "1023 B");
        assert_string_equal(lr_format_size(1024, b, sizeof b), "1.0 KiB");
        assert_string_equal(lr_format_size(1536, b, sizeof b), "1.5 KiB");
        assert_string_equal(lr_format_size(1u << 20, b, sizeof b), "1.0 MiB");
}

static void buffer_cap(void **state)
{
        (void)state;
        lr_buf_t b;
        lr_buf_init(&b, 8);
        assert_int_equal(lr_buf_append(&b, "12345", 5), 0);
        assert_false(b.toobig);
        assert_int_equal(lr_buf_append(&b, "6789", 4), -1);
        assert_true(b.toobig);
        assert_int_equal(b.len, 5); /* a failed append changes nothing */
        assert_int_equal(lr_buf_append(&b, "678", 3), 0);
        assert_int_equal(b.len, 8);
        assert_string_equal(lr_buf_cstr(&b), "12345678");
        lr_buf_reset(&b);
        assert_int_equal(b.len, 0);
        assert_false(b.toobig);
        lr_buf_free(&b);
        lr_buf_t u;
        lr_buf_init(&u, 0); /* 0 = unbounded */
        for (int i = 0; i < 100000; i++)
                assert_int_equal(lr_buf_putc(&u, 'x'), 0);
        assert_int_equal(u.len, 100000);
        lr_buf_free(&u);
}

static void path_inside(void **state)
{
        (void)state;
        char tmpl[] = "/tmp/lr-inside.XXXXXX";
        assert_non_null(mkdtemp(tmpl));
        char ws[PATH_MAX], out[PATH_MAX], p[PATH_MAX + 64];
        assert_non_null(realpath(tmpl, ws));
        snprintf(out, sizeof out, "%s.out", ws);
        assert_int_equal(mkdir(out, 0700), 0);

        assert_true(lr_path_inside(ws, ws));
        snprintf(p, sizeof p, "%s/a/b/not-yet.yaml", ws); /* parents missing */
        assert_true(lr_path_inside(p, ws));
        snprintf(p, sizeof p, "%s/x", out); /* a sibling with the same prefix */
        assert_false(lr_path_inside(p, ws));
        assert_false(lr_path_inside("/etc/passwd", ws));
        /* A link placed in the workspace that points out is still inside
         * (whoever writes the workspace chose it)... */
        snprintf(p, sizeof p, "%s/link", ws);
        assert_int_equal(symlink(out, p), 0);
        snprintf(p, sizeof p, "%s/link/file", ws);
        assert_true(lr_path_inside(p, ws));
        /* ...and a path outside that leads in through a link is inside. */
        snprintf(p, sizeof p, "%s/in", out);
        assert_int_equal(symlink(ws, p), 0);
        snprintf(p, sizeof p, "%s/in/missing/f", out);
        assert_true(lr_path_inside(p, ws));
        assert_true(lr_path_inside("/anything", "/"));

        snprintf(p, sizeof p, "rm -rf '%s' '%s'", ws, out);
        assert_int_equal(system(p), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(sizes),
                cmocka_unit_test(durations),
                cmocka_unit_test(format_sizes),
                cmocka_unit_test(buffer_cap),
                cmocka_unit_test(path_inside),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
