/* Unit tests for src/tools/edit.c: exact-match edits (unique, ordered,
 * all-or-nothing, CRLF-preserving) and the unified diff format. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "tools/edit.h"

#define E(o, n) { o, sizeof(o) - 1, n, sizeof(n) - 1 }

static int apply(const char *text, const lr_edit_t *e, size_t n, lr_buf_t *out, char *why)
{
        lr_buf_init(out, 0);
        return lr_edit_apply(text, strlen(text), e, n, out, why, 512);
}

static void edits(void **state)
{
        (void)state;
        lr_buf_t out;
        char why[512];

        lr_edit_t one[] = { E("two", "2") };
        assert_int_equal(apply("one\ntwo\nthree\n", one, 1, &out, why), 0);
        assert_string_equal(lr_buf_cstr(&out), "one\n2\nthree\n");
        lr_buf_free(&out);

        /* Sequential: the second edit sees the first one's result. */
        lr_edit_t seq[] = { E("a", "bc"), E("bcd", "X") };
        assert_int_equal(apply("ad", seq, 2, &out, why), 0);
        assert_string_equal(lr_buf_cstr(&out), "X");
        lr_buf_free(&out);

        /* Byte-exact: shell metacharacters, tabs and Unicode survive. */
        lr_edit_t meta[] = { E("$HOME\t`x`", "é 🙂 $((1+1))") };
        assert_int_equal(apply("echo $HOME\t`x`;\n", meta, 1, &out, why), 0);
        assert_string_equal(lr_buf_cstr(&out), "echo é 🙂 $((1+1));\n");
        lr_buf_free(&out);

        /* Missing and ambiguous matches fail, naming the edit. */
        lr_edit_t miss[] = { E("one", "1"), E("nope", "x") };
        assert_int_equal(apply("one two", miss, 2, &out, why), -1);
        assert_non_null(strstr(why, "edit 2: could not find an exact match"));
        assert_int_equal(out.len, 0); /* nothing produced */
        lr_buf_free(&out);
        lr_edit_t amb[] = { E("x", "y") };
        assert_int_equal(apply("x x", amb, 1, &out, why), -1);
        assert_non_null(strstr(why, "more than once"));
        lr_buf_free(&out);
        lr_edit_t empty[] = { E("", "y") };
        assert_int_equal(apply("abc", empty, 1, &out, why), -1);
        assert_non_null(strstr(why, "empty"));
        lr_buf_free(&out);

        /* Whitespace is significant: this is an exact match. */
        lr_edit_t ws[] = { E("a  b", "c") };
        assert_int_equal(apply("a b", ws, 1, &out, why), -1);
        lr_buf_free(&out);
}

static void crlf(void **state)
{
        (void)state;
        lr_buf_t out;
        char why[512];
        lr_edit_t e[] = { E("one\ntwo", "uno\ndos") };
        assert_int_equal(apply("one\r\ntwo\r\nthree\r\n", e, 1, &out, why), 0);
        assert_string_equal(lr_buf_cstr(&out), "uno\r\ndos\r\nthree\r\n");
        lr_buf_free(&out);
}

static void diff(void **state)
{
        (void)state;
        lr_buf_t d;
        lr_buf_init(&d, 0);
        const char *a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n";
        const char *b = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n10\n";
        assert_int_equal(lr_unified_diff("f.txt", a, strlen(a), b, strlen(b), &d), 0);
        assert_string_equal(lr_buf_cstr(&d),
                            "Index: f.txt\n"
                            "===================================================================\n"
                            "--- f.txt\toriginal\n"
                            "+++ f.txt\tmodified\n"
                            "@@ -2,7 +2,7 @@\n"
                            " 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
        lr_buf_free(&d);

        /* A missing final newline is marked. */
        lr_buf_init(&d, 0);
        assert_int_equal(lr_unified_diff("g", "a\n", 2, "a\nb", 3, &d), 0);
        assert_non_null(strstr(lr_buf_cstr(&d), "+b\n\\ No newline at end of file\n"));
        lr_buf_free(&d);

        /* Identical texts: headers only. */
        lr_buf_init(&d, 0);
        assert_int_equal(lr_unified_diff("h", "x\n", 2, "x\n", 2, &d), 0);
        assert_null(strstr(lr_buf_cstr(&d), "@@"));
        lr_buf_free(&d);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(edits),
                cmocka_unit_test(crlf),
                cmocka_unit_test(diff),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
