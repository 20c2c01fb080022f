/* Unit tests for src/core/glob.c: the minimatch-like dialect used by
 * search_files and exclude patterns, and its bounds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/glob.h"
#include "core/util.h"

static bool m(const char *pat, const char *path)
{
        lr_glob_t g;
        const char *why = NULL;
        if (lr_glob_compile(&g, pat, &why) < 0)
                fail_msg("compile(\"%s\") failed: %s", pat, why);
        bool r = lr_glob_match(&g, path);
        lr_glob_free(&g);
        return r;
}

static void table(void **state)
{
        (void)state;
        struct {
                const char *pat, *path;
                bool want;
        } t[] = {
                { "*.c", "main.c", true },
                { "*.c", "src/main.c", false },      /* '*' stays in one component */
                { "**/*.c", "main.c", true },        /* '**' may match nothing */
                { "**/*.c", "src/core/util.c", true },
                { "src/**", "src/a/b/c", true },
                { "src/**", "src", true },
                { "src/**/x.h", "src/x.h", true },
                { "src/**/x.h", "src/a/b/x.h", true },
                { "src/**/x.h", "lib/a/x.h", false },
                { "**", "anything/at/all", true },
                { "*.env", ".env", true },           /* dot files are not special */
                { "?.txt", "a.txt", true },
                { "?.txt", "ab.txt", false },
                { "[abc].md", "b.md", true },
                { "[!abc].md", "b.md", false },
                { "[^abc].md", "d.md", true },
                { "[a-c]x", "cx", true },
                { "[a-c]x", "dx", false },
                { "[]]", "]", true },
                { "[unclosed", "[unclosed", true },  /* a lone '[' is literal */
                { "\\*", "*", true },
                { "\\*", "a", false },
                { "*.{c,h}", "x.h", true },
                { "*.{c,h}", "x.o", false },
                { "{src,lib}/**/*.{js,jsx}", "lib/a/b.jsx", true },
                { "{a,{b,c}}", "c", true },
                { "{a}", "{a}", true },              /* no comma: literal */
                { "./src/*.c", "src/a.c", true },
                { "a*b*c", "axxbyyc", true },
                { "a*b*c", "axxbyy", false },
                { "node_modules", "node_modules", true },
                { "node_modules", "a/node_modules", false },
                { "**/node_modules", "a/node_modules", true },
                { "*", "", false },
        };
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
                if (m(t[i].pat, t[i].path) != t[i].want)
                        fail_msg("glob \"%s\" vs \"%s\": want %s", t[i].pat, t[i].path,
                                 t[i].want ? "match" : "no match");
}

/* Patterns that would be exponential for a naive recursive matcher finish
 * at once here (the test has a 60 s meson timeout as its backstop). */
static void no_blowup(void **state)
{
        (void)state;
        char pat[200], path[300];
        strcpy(pat, "");
        for (int i = 0; i < 30; i++)
                strcat(pat, "*a");
        strcat(pat, "*b");
        memset(path, 'a', sizeof path - 1);
        path[sizeof path - 1] = '\0';
        assert_false(m(pat, path));

        char gpat[400] = "";
        for (int i = 0; i < 40; i++)
                strcat(gpat, "**/a/");
        strcat(gpat, "b");
        char gpath[600] = "";
        for (int i = 0; i < 120; i++)
                strcat(gpath, "a/");
        strcat(gpath, "c");
        assert_false(m(gpat, gpath));
}

static void limits(void **state)
{
        (void)state;
        lr_glob_t g;
        const char *why = NULL;
        assert_int_equal(lr_glob_compile(&g, "", &why), -1);
        assert_non_null(why);
        char big[LR_GLOB_MAX_LEN + 10];
        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        assert_int_equal(lr_glob_compile(&g, big, &why), -1);
        assert_non_null(strstr(why, "too long"));
        /* 2^7 = 128 alternatives: over the limit. */
        assert_int_equal(lr_glob_compile(&g, "{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}", &why), -1);
        assert_non_null(strstr(why, "alternatives"));
        /* 2^6 = 64: allowed. */
        assert_int_equal(lr_glob_compile(&g, "{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}", &why), 0);
        assert_int_equal(g.n, 64);
        assert_true(lr_glob_match(&g, "bababa"));
        lr_glob_free(&g);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(table),
                cmocka_unit_test(no_blowup),
                cmocka_unit_test(limits),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
