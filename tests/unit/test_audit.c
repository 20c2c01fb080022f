/* Unit tests for the audit log (src/audit/audit.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
        (void)state;
        snprintf(dir, sizeof dir, "/tmp/lr-audit-test.XXXXXX");
        if (!mkdtemp(dir))
                return -1;
        snprintf(path, sizeof path, "%s/sub/dir/audit.jsonl", dir);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        char cmd[256];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}

/* Read the log back: every line must be one JSON object. */
static json_t *read_lines(size_t *n)
{
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        json_t *arr = json_array();
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        while ((len = getline(&line, &cap, f)) > 0) {
                assert_int_equal(line[len - 1], '\n');
                json_error_t je;
                json_t *o = json_loads(line, 0, &je);
                if (!o)
                        fail_msg("invalid JSON line: %s (%s)", line, je.text);
                json_array_append_new(arr, o);
        }
        free(line);
        fclose(f);
        *n = json_array_size(arr);
        return arr;
}

static void records(void **state)
{
        (void)state;
        lr_audit_t *a = NULL;
        lr_error_t e;
        assert_int_equal(lr_audit_open(&a, path, NULL, "sess1", &e), 0);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);

        lr_audit_record_t r1 = { .operation = "exec", .command = "echo 'a\nb'\x01", .bytes = 4,
                                 .exit_code = 3, .has_exit = 1, .duration_s = 0.25,
                                 .outcome = "EXEC_FAILED", .limit = "timeout" };
        const char bad[] = { 'x', (char)0xff, (char)0xfe, '\0' };
        lr_audit_record_t r2 = { .operation = "open", .path = bad, .bytes = -1, .exit_code = -1,
                                 .duration_s = -1, .outcome = "ok" };
        assert_int_equal(lr_audit_write(a, &r1, &e), 0);
        assert_int_equal(lr_audit_write(a, &r2, &e), 0);
        lr_audit_close(a);

        size_t n;
        json_t *arr = read_lines(&n);
        assert_int_equal(n, 2);
        json_t *o = json_array_get(arr, 0);
        assert_string_equal(json_string_value(json_object_get(o, "session")), "sess1");
        assert_string_equal(json_string_value(json_object_get(o, "operation")), "exec");
        assert_string_equal(json_string_value(json_object_get(o, "command")), "echo 'a\nb'\x01");
        assert_int_equal(json_integer_value(json_object_get(o, "exit_code")), 3);
        assert_string_equal(json_string_value(json_object_get(o, "limit")), "timeout");
        const char *t = json_string_value(json_object_get(o, "time"));
        assert_non_null(t);
        assert_int_equal(strlen(t), 24); /* 2026-11-24T12:00:00.123Z */
        assert_int_equal(t[23], 'Z');
        json_t *o2 = json_array_get(arr, 1);
        assert_string_equal(json_string_value(json_object_get(o2, "path")),
                            "x\xEF\xBF\xBD\xEF\xBF\xBD");
        assert_null(json_object_get(o2, "exit_code"));
        assert_null(json_object_get(o2, "bytes"));
        json_decref(arr);
}

/* Two writers on the same file append whole lines. */
static void two_writers_append(void **state)
{
        (void)state;
        lr_audit_t *a = NULL, *b = NULL;
        lr_error_t e;
        unlink(path);
        assert_int_equal(lr_audit_open(&a, path, NULL, "A", &e), 0);
        assert_int_equal(lr_audit_open(&b, path, NULL, "B", &e), 0);
        for (int i = 0; i < 200; i++) {
                lr_audit_record_t r = { .operation = "exec", .command = "x", .bytes = i,
                                        .exit_code = -1, .duration_s = -1, .outcome = "ok" };
                assert_int_equal(lr_audit_write(i % 2 ? a : b, &r, &e), 0);
        }
        lr_audit_close(a);
        lr_audit_close(b);
        size_t n;
        json_t *arr = read_lines(&n);
        assert_int_equal(n, 200);
        json_decref(arr);
}

static void huge_field_is_capped(void **state)
{
        (void)state;
        lr_audit_t *a = NULL;
        lr_error_t e;
        unlink(path);
        assert_int_equal(lr_audit_open(&a, path, NULL, "S", &e), 0);
        char *big = malloc(300000);
        memset(big, 'c', 299999);
        big[299999] = '\0';
        lr_audit_record_t r = { .operation = "exec", .command = big, .bytes = -1, .exit_code = -1,
                                .duration_s = -1, .outcome = "ok" };
        assert_int_equal(lr_audit_write(a, &r, &e), 0);
        free(big);
        lr_audit_close(a);
        size_t n;
        json_t *arr = read_lines(&n);
        assert_int_equal(n, 1);
        const char *c = json_string_value(json_object_get(json_array_get(arr, 0), "command"));
        assert_true(strlen(c) < 70000);
        assert_non_null(strstr(c, "truncated"));
        json_decref(arr);
}

static void unwritable_path_fails_clearly(void **state)
{
        (void)state;
        lr_audit_t *a = NULL;
        lr_error_t e = { 0 };
        assert_int_equal(lr_audit_open(&a, "/proc/nope/audit.jsonl", NULL, "S", &e), -1);
        assert_non_null(strstr(e.msg, "/proc/nope"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(records),
                cmocka_unit_test(two_writers_append),
                cmocka_unit_test(huge_field_is_capped),
                cmocka_unit_test(unwritable_path_fails_clearly),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
