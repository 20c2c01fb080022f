/* Unit tests for result formatting (src/pipe/format.c) and the text/UTF-8
 * helpers it relies on (src/core/utf8.c). */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"
#include "pipe/format.h"

static char *render_text(const lr_result_view_t *r)
{
        lr_buf_t b;
        lr_buf_init(&b, 0);
        lr_format_text(&b, r);
        return lr_buf_cstr(&b);
}

static void text_open_envelope(void **state)
{
        (void)state;
        lr_result_view_t r = { .type = LR_CMD_OPEN, .arg = "src/main.go", .arg_len = 11,
                               .code = LR_OK, .content = "hello world", .content_len = 11,
                               .commands_ok = 1, .elapsed_s = 0.5 };
        char *s = render_text(&r);
        assert_string_equal(s, "=== LLM TOOL START ===\n"
                               "=== COMMAND: <open src/main.go> ===\n"
                               "=== FILE: src/main.go ===\n"
                               "hello world\n"
                               "=== END FILE ===\n"
                               "=== END COMMAND ===\n"
                               "=== LLM TOOL COMPLETE ===\n"
                               "Commands executed: 1\n"
                               "Time elapsed: 0.50s\n"
                               "=== END ===\n");
        free(s);
}

static void text_write_envelope(void **state)
{
        (void)state;
        lr_result_view_t r = { .type = LR_CMD_WRITE, .arg = "a.txt", .arg_len = 5, .code = LR_OK,
                               .created = true, .bytes = 5, .commands_ok = 2 };
        char *s = render_text(&r);
        assert_non_null(strstr(s, "=== WRITE SUCCESSFUL: a.txt ===\nAction: CREATED\n"
                                  "Bytes written: 5\n=== END WRITE ===\n"));
        free(s);
}

/* The Go tool hid the stdout of a failed exec; we show both streams. */
static void text_failed_exec_shows_both_streams(void **state)
{
        (void)state;
        lr_result_view_t r = { .type = LR_CMD_EXEC, .arg = "make", .arg_len = 4,
                               .code = LR_E_EXEC_FAILED, .message = "command exited with code 2",
                               .has_exec = true, .exit_code = 2, .out = "compiling\n",
                               .out_len = 10, .err = "error: x\n", .err_len = 9 };
        char *s = render_text(&r);
        assert_non_null(strstr(s, "=== ERROR: EXEC_FAILED ===\n"
                                  "Message: EXEC_FAILED: command exited with code 2\n"
                                  "Command: <exec make>\n"
                                  "Exit code: 2\n"));
        assert_non_null(strstr(s, "Stdout:\ncompiling\n"));
        assert_non_null(strstr(s, "Stderr:\nerror: x\n"));
        free(s);
}

/* Paths in messages are printed as given (the Go tool rewrote them). */
static void text_paths_not_mangled(void **state)
{
        (void)state;
        lr_result_view_t r = { .type = LR_CMD_OPEN, .arg = "../../etc/passwd", .arg_len = 16,
                               .code = LR_E_FILE_NOT_FOUND,
                               .message = "open: ../../etc/passwd: No such file or directory" };
        char *s = render_text(&r);
        assert_non_null(strstr(s, "Message: FILE_NOT_FOUND: open: ../../etc/passwd: No such"));
        assert_null(strstr(s, "[path]"));
        free(s);
}

static void text_escapes_neutralized(void **state)
{
        (void)state;
        const char *evil = "\033]0;owned\007\033[2J\rFAKE$ rm -rf ~\n";
        lr_result_view_t r = { .type = LR_CMD_EXEC, .arg = "printf", .arg_len = 6, .code = LR_OK,
                               .has_exec = true, .out = evil, .out_len = strlen(evil) };
        char *s = render_text(&r);
        assert_null(strchr(s, '\033'));
        assert_null(strchr(s, '\007'));
        assert_null(strchr(s, '\r'));
        assert_non_null(strstr(s, "\\x1b]0;owned\\x07"));
        free(s);
}

/* The byte-at-a-time rule lr_text_neutralize must implement, written out
 * plainly so the word-at-a-time fast path is checked against it. */
static void neutralize_reference(lr_buf_t *out, const unsigned char *s, size_t len)
{
        for (size_t i = 0; i < len; i++) {
                unsigned char c = s[i];
                bool crlf = c == '\r' && i + 1 < len && s[i + 1] == '\n';
                if (c == 0x7f || (c < 0x20 && c != '\n' && c != '\t' && !crlf)) {
                        char esc[8];
                        snprintf(esc, sizeof esc, "\\x%02x", c);
                        lr_buf_append(out, esc, 4);
                } else {
                        lr_buf_putc(out, (char)c);
                }
        }
}

static void neutralize_matches_reference(const unsigned char *s, size_t len)
{
        lr_buf_t got, want;
        lr_buf_init(&got, 0);
        lr_buf_init(&want, 0);
        lr_text_neutralize(&got, (const char *)s, len);
        neutralize_reference(&want, s, len);
        assert_int_equal(got.len, want.len);
        if (want.len)
                assert_memory_equal(got.data, want.data, want.len);
        lr_buf_free(&got);
        lr_buf_free(&want);
}

static void text_neutralize_word_path(void **state)
{
        (void)state;
        /* Every byte value at every offset of a 131-byte clean text (so it
         * lands in either 64-byte block or the byte tail), and
         * next to each of the bytes the word check treats specially. */
        const unsigned char specials[] = { '\n', '\t', '\r', 0x7f, 0x80, 0x1f, 0x20, 0xff, 0 };
        unsigned char buf[131];
        for (unsigned v = 0; v < 256; v++)
                for (size_t at = 0; at < sizeof buf; at++)
                        for (size_t k = 0; k < sizeof specials; k++) {
                                memset(buf, 'a', sizeof buf);
                                buf[at] = (unsigned char)v;
                                buf[(at + 1) % sizeof buf] = specials[k];
                                neutralize_matches_reference(buf, sizeof buf);
                        }
        /* Random bytes skewed towards the interesting ones, many lengths. */
        unsigned seed = 12345;
        unsigned char big[4099];
        for (int round = 0; round < 200; round++) {
                for (size_t i = 0; i < sizeof big; i++) {
                        seed = seed * 1103515245u + 12345u;
                        unsigned r = seed >> 16;
                        big[i] = r % 4 ? (unsigned char)(0x20 + r % 0x5f)
                                       : specials[r % sizeof specials];
                }
                neutralize_matches_reference(big, (size_t)round * 20 % sizeof big);
        }
        /* CRLF split across a block boundary, and a lone CR at the end. */
        char crlf[130];
        memset(crlf, 'a', sizeof crlf);
        memcpy(crlf + 63, "\r\n", 2);
        memcpy(crlf + 127, "\r\n\r", 3);
        neutralize_matches_reference((const unsigned char *)crlf, sizeof crlf);
}

static void json_record(void **state)
{
        (void)state;
        const char bad[] = { 'o', 'k', (char)0xff, '\n' };
        lr_result_view_t r = { .type = LR_CMD_EXEC, .arg = "cat x", .arg_len = 5, .line = 3,
                               .code = LR_E_EXEC_FAILED, .message = "command exited with code 1",
                               .has_exec = true, .exit_code = 1, .out = bad, .out_len = 4,
                               .out_total = 4 };
        lr_buf_t b;
        lr_buf_init(&b, 0);
        lr_format_json(&b, &r);
        assert_int_equal(b.data[b.len - 1], '\n');
        assert_null(memchr(b.data, '\n', b.len - 1));
        json_error_t je;
        json_t *o = json_loads(lr_buf_cstr(&b), 0, &je);
        assert_non_null(o);
        assert_string_equal(json_string_value(json_object_get(o, "type")), "exec");
        assert_string_equal(json_string_value(json_object_get(o, "command")), "cat x");
        assert_false(json_is_true(json_object_get(o, "ok")));
        assert_string_equal(
                json_string_value(json_object_get(json_object_get(o, "error"), "code")),
                "EXEC_FAILED");
        assert_int_equal(json_integer_value(json_object_get(o, "exit_code")), 1);
        assert_string_equal(json_string_value(json_object_get(o, "stdout")), "ok\xEF\xBF\xBD\n");
        json_decref(o);
        lr_buf_free(&b);
}

static void utf8_sanitize_cases(void **state)
{
        (void)state;
        struct {
                const char *in;
                const char *out;
        } cases[] = {
                { "plain", "plain" },
                { "Hello 世界 🌍", "Hello 世界 🌍" },
                { "\xc0\xaf", "\xEF\xBF\xBD\xEF\xBF\xBD" },   /* overlong */
                { "\xed\xa0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" }, /* surrogate */
                { "a\xe4\xb8", "a\xEF\xBF\xBD\xEF\xBF\xBD" },   /* truncated */
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                lr_buf_t b;
                lr_buf_init(&b, 0);
                lr_utf8_sanitize(&b, cases[i].in, strlen(cases[i].in));
                assert_string_equal(lr_buf_cstr(&b), cases[i].out);
                lr_buf_free(&b);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(text_open_envelope),
                cmocka_unit_test(text_write_envelope),
                cmocka_unit_test(text_failed_exec_shows_both_streams),
                cmocka_unit_test(text_paths_not_mangled),
                cmocka_unit_test(text_escapes_neutralized),
                cmocka_unit_test(text_neutralize_word_path),
                cmocka_unit_test(json_record),
                cmocka_unit_test(utf8_sanitize_cases),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
