/* Unit tests for the pipe-mode scanner (src/parse/scanner.c).
 *
 * Table-driven: each case is an input and the exact list of commands it
 * must produce.  Every case is run three ways (whole, one byte at a time,
 * and in 7-byte chunks) and must give the same result: the scanner is
 * streaming and must not depend on how reads split the input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "parse/scanner.h"

#define MAXC 8

typedef struct {
        lr_cmd_type_t type;
        lr_cmd_type_t intended;
        const char *arg;
        const char *content; /* NULL: no content */
        size_t content_len;  /* 0: strlen(content) */
        int has_stdin;
        lr_code_t code;
        uint64_t line;       /* 0: don't check */
} want_t;

typedef struct {
        const char *name;
        const char *input;
        size_t input_len; /* 0: strlen */
        size_t max_write; /* 0: default */
        want_t want[MAXC];
        int n;
} case_t;

typedef struct {
        lr_cmd_type_t type, intended;
        char arg[256];
        char content[512];
        size_t content_len;
        int has_content, has_stdin;
        lr_code_t code;
        uint64_t line;
} got_t;

typedef struct {
        got_t got[MAXC + 2];
        int n;
        int stop_after; /* return non-zero after this many; 0 = never */
} collect_t;

static int collect(const lr_cmd_t *c, void *ud)
{
        collect_t *col = ud;
        if (col->n < MAXC + 2) {
                got_t *g = &col->got[col->n];
                memset(g, 0, sizeof *g);
                g->type = c->type;
                g->intended = c->intended;
                snprintf(g->arg, sizeof g->arg, "%.*s", (int)c->arg_len, c->arg ? c->arg : "");
                /* arg must be NUL-terminated at arg_len */
                if (c->arg && c->type != LR_CMD_ERROR)
                        assert_int_equal(strlen(c->arg), c->arg_len);
                if (c->content) {
                        g->has_content = 1;
                        g->content_len = c->content_len;
                        memcpy(g->content, c->content,
                               c->content_len < sizeof g->content ? c->content_len
                                                                  : sizeof g->content);
                }
                if (c->type == LR_CMD_ERROR)
                        g->content_len = c->content_len;
                g->has_stdin = c->has_stdin;
                g->code = c->code;
                g->line = c->line;
        }
        col->n++;
        return col->stop_after && col->n >= col->stop_after ? 42 : 0;
}

static void run_chunked(const case_t *tc, size_t chunk, collect_t *col)
{
        size_t len = tc->input_len ? tc->input_len : strlen(tc->input);
        lr_scanner_limits_t lim = { .max_write = tc->max_write };
        lr_scanner_t *s = lr_scanner_new(&lim, collect, col);
        for (size_t off = 0; off < len; off += chunk) {
                size_t n = len - off < chunk ? len - off : chunk;
                assert_int_equal(lr_scanner_feed(s, tc->input + off, n), 0);
        }
        assert_int_equal(lr_scanner_finish(s), 0);
        lr_scanner_free(s);
}

static void check_case(const case_t *tc, const collect_t *col, size_t chunk)
{
        if (col->n != tc->n)
                fail_msg("[%s, chunk %zu] expected %d commands, got %d", tc->name, chunk, tc->n,
                         col->n);
        for (int i = 0; i < tc->n; i++) {
                const want_t *w = &tc->want[i];
                const got_t *g = &col->got[i];
                if (g->type != w->type)
                        fail_msg("[%s, chunk %zu] command %d: type %d, want %d", tc->name, chunk, i,
                                 g->type, w->type);
                if (w->type == LR_CMD_ERROR) {
                        if (g->code != w->code || g->intended != w->intended)
                                fail_msg("[%s] command %d: code %d/%d, want %d/%d", tc->name, i,
                                         g->code, g->intended, w->code, w->intended);
                } else if (strcmp(g->arg, w->arg) != 0) {
                        fail_msg("[%s, chunk %zu] command %d: arg '%s', want '%s'", tc->name, chunk,
                                 i, g->arg, w->arg);
                }
                if (w->arg && w->type == LR_CMD_ERROR && strcmp(g->arg, w->arg) != 0)
                        fail_msg("[%s] error %d: arg '%s', want '%s'", tc->name, i, g->arg, w->arg);
                if (w->content) {
                        size_t wl = w->content_len ? w->content_len : strlen(w->content);
                        if (!g->has_content || g->content_len != wl ||
                            memcmp(g->content, w->content, wl) != 0)
                                fail_msg("[%s, chunk %zu] command %d: content (%zu bytes) differs "
                                         "from the expected %zu bytes",
                                         tc->name, chunk, i, g->content_len, wl);
                } else if (w->type != LR_CMD_ERROR && g->has_content && w->type == LR_CMD_EXEC) {
                        fail_msg("[%s] command %d: unexpected stdin", tc->name, i);
                }
                if (w->has_stdin != g->has_stdin)
                        fail_msg("[%s] command %d: has_stdin %d, want %d", tc->name, i,
                                 g->has_stdin, w->has_stdin);
                if (w->line && g->line != w->line)
                        fail_msg("[%s] command %d: line %llu, want %llu", tc->name, i,
                                 (unsigned long long)g->line, (unsigned long long)w->line);
        }
}

#define OPEN(a) { .type = LR_CMD_OPEN, .arg = (a) }
#define EXEC(a) { .type = LR_CMD_EXEC, .arg = (a) }
#define WRITE(a, c) { .type = LR_CMD_WRITE, .arg = (a), .content = (c) }
#define ERR(t, c) { .type = LR_CMD_ERROR, .intended = (t), .code = (c) }

static const case_t cases[] = {
        { "empty input", "", 0, 0, { { 0 } }, 0 },
        { "plain text", "Hello, I will now think about it.\nNo commands here.\n", 0, 0, { { 0 } }, 0 },
        { "invalid command", "<invalid command>\n", 0, 0, { { 0 } }, 0 },
        { "a < b is text", "if a < b and c > d then\n", 0, 0, { { 0 } }, 0 },
        { "open", "<open README.md>\n", 0, 0, { OPEN("README.md") }, 1 },
        { "open trimmed", "<open  src/main.go  >", 0, 0, { OPEN("src/main.go") }, 1 },
        { "open with tab", "<open\ta.go>", 0, 0, { OPEN("a.go") }, 1 },
        { "open without newline at EOF", "<open x>", 0, 0, { OPEN("x") }, 1 },
        { "three on three lines", "<open a>\n<open b>\n<exec ls>\n", 0, 0,
          { OPEN("a"), OPEN("b"), EXEC("ls") }, 3 },
        { "three on one line", "<open a.txt> <open b.txt> <exec echo third>", 0, 0,
          { OPEN("a.txt"), OPEN("b.txt"), EXEC("echo third") }, 3 },
        { "opener is not open", "<opener x>\n", 0, 0, { { 0 } }, 0 },
        { "execute is not exec", "<execute x>\n", 0, 0, { { 0 } }, 0 },
        { "upper case is not a tag", "<OPEN x>\n<Exec y>\n", 0, 0, { { 0 } }, 0 },
        { "open newline is text", "<open\nx>\n", 0, 0, { { 0 } }, 0 },
        { "double < before tag", "<<open x>", 0, 0, { OPEN("x") }, 1 },
        { "unterminated open", "<open a\nb>\n", 0, 0, { ERR(LR_CMD_OPEN, LR_E_PARSE) }, 1 },
        { "empty open path", "<open   >\n", 0, 0, { ERR(LR_CMD_OPEN, LR_E_PARSE) }, 1 },
        { "write inline", "<write a.txt>hello</write>", 0, 0, { WRITE("a.txt", "hello") }, 1 },
        { "write empty", "<write empty.txt></write>", 0, 0, { WRITE("empty.txt", "") }, 1 },
        { "write block keeps final newline", "<write a>\nline1\nline2\n</write>\n", 0, 0,
          { WRITE("a", "line1\nline2\n") }, 1 },
        { "write block drops only one leading newline", "<write a>\n\nx</write>", 0, 0,
          { WRITE("a", "\nx") }, 1 },
        { "write CRLF", "<write a>\r\nl1\r\nl2\r\n</write>", 0, 0, { WRITE("a", "l1\r\nl2\r\n") },
          1 },
        { "write yaml", "<write c.yaml>\nserver:\n  port: 8080\n  host: localhost\n</write>\n", 0,
          0, { WRITE("c.yaml", "server:\n  port: 8080\n  host: localhost\n") }, 1 },
        { "write metacharacters", "<write s.sh>$HOME `id` $(x) \"q\" 's' \\n\t!@#$%^&*()</write>",
          0, 0, { WRITE("s.sh", "$HOME `id` $(x) \"q\" 's' \\n\t!@#$%^&*()") }, 1 },
        { "write unicode", "<write u.txt>Hello 世界 🌍</write>", 0, 0,
          { WRITE("u.txt", "Hello 世界 🌍") }, 1 },
        { "write brackets", "<write b.txt><brackets> !@#$%</write>", 0, 0,
          { WRITE("b.txt", "<brackets> !@#$%") }, 1 },
        { "tags in write body are literal", "<write a.html><div><open x></div></write>", 0, 0,
          { WRITE("a.html", "<div><open x></div>") }, 1 },
        { "partial terminators in body", "<write a></writ </write </wr></write>", 0, 0,
          { WRITE("a", "</writ </write </wr>") }, 1 },
        { "text after </write> is scanned", "<write w>x</write> <open after>\n", 0, 0,
          { WRITE("w", "x"), OPEN("after") }, 2 },
        { "unterminated write", "<write x.txt>partial content\n<open y>\n", 0, 0,
          { ERR(LR_CMD_WRITE, LR_E_PARSE) }, 1 },
        { "write over the limit", "<write big>0123456789</write> <open next>", 0, 4,
          { ERR(LR_CMD_WRITE, LR_E_RESOURCE_LIMIT), OPEN("next") }, 2 },
        { "write at the limit", "<write ok>0123</write>", 0, 4, { WRITE("ok", "0123") }, 1 },
        { "write NUL in content", "<write n>a\0b</write>", 20, 0,
          { { .type = LR_CMD_WRITE, .arg = "n", .content = "a\0b", .content_len = 3 } }, 1 },
        { "exec", "<exec go test ./...>\n", 0, 0, { EXEC("go test ./...") }, 1 },
        { "exec final without newline", "<exec ls -la>", 0, 0, { EXEC("ls -la") }, 1 },
        { "exec with redirect", "<exec echo hi > out.txt>\n", 0, 0,
          { EXEC("echo hi > out.txt") }, 1 },
        { "exec with 2>&1", "<exec make 2>&1 | tail -5>\n", 0, 0, { EXEC("make 2>&1 | tail -5") },
          1 },
        { "exec then open", "<exec ls> <open a>", 0, 0, { EXEC("ls"), OPEN("a") }, 2 },
        { "exec then exec block", "<exec ls> <exec>\npwd\n</exec>", 0, 0,
          { EXEC("ls"), EXEC("pwd") }, 2 },
        { "exec > < not a tag", "<exec a ><b>", 0, 0, { EXEC("a ><b") }, 1 },
        { "exec trailing blanks", "<exec ls>   \t\n", 0, 0, { EXEC("ls") }, 1 },
        { "exec CRLF", "<exec ls>\r\n<open a>\r\n", 0, 0, { EXEC("ls"), OPEN("a") }, 2 },
        { "unterminated exec", "<exec ls\n", 0, 0,
          { { .type = LR_CMD_ERROR, .intended = LR_CMD_EXEC, .code = LR_E_PARSE, .arg = "ls" } },
          1 },
        /* Prose after a one-line exec (the Go tool ran these): the last '>'
         * on the line closes the command. */
        { "exec then prose", "Run <exec echo one> to see.\n", 0, 0, { EXEC("echo one") }, 1 },
        { "exec in inline code", "Try `<exec echo two>` now\n", 0, 0, { EXEC("echo two") }, 1 },
        { "exec then a full stop", "<exec echo three>.\n<open a>\n", 0, 0,
          { EXEC("echo three"), OPEN("a") }, 2 },
        { "exec, redirect, then prose", "<exec echo hi > out.txt> and then\n", 0, 0,
          { EXEC("echo hi > out.txt") }, 1 },
        { "exec then a broken tag", "<exec echo four > <ope\n", 0, 0, { EXEC("echo four") }, 1 },
        { "exec then prose at EOF", "<exec echo five> ok", 0, 0, { EXEC("echo five") }, 1 },
        { "open unterminated keeps its path", "<open a b\n", 0, 0,
          { { .type = LR_CMD_ERROR, .intended = LR_CMD_OPEN, .code = LR_E_PARSE, .arg = "a b" } },
          1 },
        { "unterminated exec at EOF", "<exec ls", 0, 0, { ERR(LR_CMD_EXEC, LR_E_PARSE) }, 1 },
        { "empty exec", "<exec  >\n", 0, 0, { ERR(LR_CMD_EXEC, LR_E_PARSE) }, 1 },
        { "exec block", "<exec>\nfor i in 1 2; do\n  echo $i\ndone\n</exec>\n", 0, 0,
          { EXEC("for i in 1 2; do\n  echo $i\ndone") }, 1 },
        { "exec block with stdin", "<exec>\nwc -l\n<stdin>\none\ntwo\n</exec>", 0, 0,
          { { .type = LR_CMD_EXEC, .arg = "wc -l", .content = "one\ntwo\n", .has_stdin = 1 } },
          1 },
        { "exec block with empty stdin", "<exec>\ncat\n<stdin>\n</exec>", 0, 0,
          { { .type = LR_CMD_EXEC, .arg = "cat", .content = "", .has_stdin = 1 } }, 1 },
        { "stdin marker not at line start", "<exec>\necho <stdin>\n</exec>", 0, 0,
          { EXEC("echo <stdin>") }, 1 },
        { "exec block CRLF stdin", "<exec>\r\ncat\r\n<stdin>\r\nx\r\n</exec>", 0, 0,
          { { .type = LR_CMD_EXEC, .arg = "cat", .content = "x\r\n", .has_stdin = 1 } }, 1 },
        { "exec block empty script", "<exec>\n<stdin>\nx\n</exec>", 0, 0,
          { ERR(LR_CMD_EXEC, LR_E_PARSE) }, 1 },
        { "unterminated exec block", "<exec>\nls\n", 0, 0, { ERR(LR_CMD_EXEC, LR_E_PARSE) }, 1 },
        { "commands in code fences run", "Here:\n```\n<exec echo fenced>\n<open x>\n```\n", 0, 0,
          { EXEC("echo fenced"), OPEN("x") }, 2 },
        { "line numbers", "text\n\n<open a>\nmore\n<exec b>", 0, 0,
          { { .type = LR_CMD_OPEN, .arg = "a", .line = 3 },
            { .type = LR_CMD_EXEC, .arg = "b", .line = 5 } },
          2 },
        { "NUL in path", "<open a\0b>", 10, 0, { ERR(LR_CMD_OPEN, LR_E_PARSE) }, 1 },
};

static void table(void **state)
{
        (void)state;
        static const size_t chunks[] = { (size_t)-1, 1, 7 };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
                for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
                        collect_t col = { 0 };
                        run_chunked(&cases[i], chunks[k] == (size_t)-1 ? 1u << 20 : chunks[k],
                                    &col);
                        check_case(&cases[i], &col, chunks[k]);
                }
}

static void resource_limit_reports_true_size(void **state)
{
        (void)state;
        collect_t col = { 0 };
        case_t tc = { "big", "<write big>0123456789</write>", 0, 4, { { 0 } }, 0 };
        run_chunked(&tc, 3, &col);
        assert_int_equal(col.n, 1);
        assert_int_equal(col.got[0].code, LR_E_RESOURCE_LIMIT);
        assert_int_equal(col.got[0].content_len, 10);
        assert_string_equal(col.got[0].arg, "big");
}

static void emit_nonzero_stops(void **state)
{
        (void)state;
        collect_t col = { .stop_after = 2 };
        lr_scanner_t *s = lr_scanner_new(NULL, collect, &col);
        const char *in = "<open a>\n<open b>\n<open c>\n";
        assert_int_equal(lr_scanner_feed(s, in, strlen(in)), 42);
        assert_int_equal(col.n, 2);
        lr_scanner_free(s);
}

static void long_path_is_an_error(void **state)
{
        (void)state;
        collect_t col = { 0 };
        lr_scanner_limits_t lim = { .max_arg = 16 };
        lr_scanner_t *s = lr_scanner_new(&lim, collect, &col);
        const char *in = "<open aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa> <open ok>";
        lr_scanner_feed(s, in, strlen(in));
        lr_scanner_finish(s);
        assert_int_equal(col.n, 2);
        assert_int_equal(col.got[0].type, LR_CMD_ERROR);
        assert_int_equal(col.got[0].code, LR_E_PARSE);
        assert_int_equal(col.got[1].type, LR_CMD_OPEN);
        lr_scanner_free(s);
}

/* Memory stays bounded: a 50 MiB body over a 1 KiB limit is counted, not
 * stored.  (The limit check in the scanner is what keeps this flat.) */
static void huge_body_is_not_stored(void **state)
{
        (void)state;
        collect_t col = { 0 };
        lr_scanner_limits_t lim = { .max_write = 1024 };
        lr_scanner_t *s = lr_scanner_new(&lim, collect, &col);
        lr_scanner_feed(s, "<write f>", 9);
        char buf[65536];
        memset(buf, 'x', sizeof buf);
        for (int i = 0; i < 800; i++)
                lr_scanner_feed(s, buf, sizeof buf);
        lr_scanner_feed(s, "</write>", 8);
        lr_scanner_finish(s);
        assert_int_equal(col.n, 1);
        assert_int_equal(col.got[0].code, LR_E_RESOURCE_LIMIT);
        assert_true(col.got[0].content_len == 800u * 65536u);
        lr_scanner_free(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(table),
                cmocka_unit_test(resource_limit_reports_true_size),
                cmocka_unit_test(emit_nonzero_stops),
                cmocka_unit_test(long_path_is_an_error),
                cmocka_unit_test(huge_body_is_not_stored),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
