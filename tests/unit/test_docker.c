/* Unit tests for the docker backend's parsers: DOCKER_HOST, the Engine's
 * stream multiplexing, and the seccomp profile generated from the native
 * filter's rules.  The backend against a real dockerd is tested by
 * tests/e2e/test_docker.sh and the docker pass of scripts/test.sh. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "docker/engine.h"
#include "sandbox/sandbox.h"

static void host(const char *in, const char *want_unix, const char *want_url)
{
        char *u = NULL, *url = NULL;
        lr_error_t e = { 0 };
        int r = lr_engine_parse_host(in, &u, &url, &e);
        if (!want_unix && !want_url) {
                assert_int_equal(r, -1);
                assert_non_null(strstr(e.msg, "DOCKER_HOST"));
        } else {
                assert_int_equal(r, 0);
                if (want_unix)
                        assert_string_equal(u, want_unix);
                else
                        assert_null(u);
                if (want_url)
                        assert_string_equal(url, want_url);
                else
                        assert_null(url);
        }
        free(u);
        free(url);
}

static void docker_host(void **state)
{
        (void)state;
        host("unix:///var/run/docker.sock", "/var/run/docker.sock", NULL);
        host("unix:///run/user/1000/podman/podman.sock", "/run/user/1000/podman/podman.sock", NULL);
        host("tcp://127.0.0.1:2375", NULL, "http://127.0.0.1:2375");
        host("tcp://docker.internal", NULL, "http://docker.internal:2375");
        host("tcp://[::1]:2376", NULL, "http://[::1]:2376");
        host("unix://relative.sock", NULL, NULL);
        host("ssh://me@box", NULL, NULL);
        host("tcp://", NULL, NULL);
        host("tcp://a b:1", NULL, NULL);
        host("tcp://user@evil:1", NULL, NULL);
        host("ftp://x", NULL, NULL);
        host("", NULL, NULL);
}

typedef struct {
        char out[256], err[256];
        size_t nout, nerr;
} collect_t;

static int sink(void *arg, int stream, const char *p, size_t n)
{
        collect_t *c = arg;
        char *buf = stream == 1 ? c->out : c->err;
        size_t *len = stream == 1 ? &c->nout : &c->nerr;
        if (*len + n >= 256)
                return -1;
        memcpy(buf + *len, p, n);
        *len += n;
        return 0;
}

static void mux_any_split(void **state)
{
        (void)state;
        /* stdout "hello", stderr "oops", empty stdout frame, stdout "!" */
        static const char stream[] = "\x01\0\0\0\0\0\0\x05hello"
                                     "\x02\0\0\0\0\0\0\x04oops"
                                     "\x01\0\0\0\0\0\0\0"
                                     "\x01\0\0\0\0\0\0\x01!";
        size_t len = sizeof stream - 1;
        for (size_t step = 1; step <= len; step++) {
                lr_mux_t m;
                collect_t c = { 0 };
                lr_mux_init(&m, 1024);
                for (size_t off = 0; off < len; off += step) {
                        size_t n = len - off < step ? len - off : step;
                        assert_int_equal(lr_mux_feed(&m, stream + off, n, sink, &c), 0);
                }
                assert_int_equal(c.nout, 6);
                assert_memory_equal(c.out, "hello!", 6);
                assert_int_equal(c.nerr, 4);
                assert_memory_equal(c.err, "oops", 4);
        }
}

static void mux_rejects(void **state)
{
        (void)state;
        collect_t c = { 0 };
        lr_mux_t m;
        lr_mux_init(&m, 16);
        /* stream 3 */
        assert_int_equal(lr_mux_feed(&m, "\x03\0\0\0\0\0\0\x01x", 9, sink, &c), -1);
        /* and it stays failed */
        assert_int_equal(lr_mux_feed(&m, "\x01\0\0\0\0\0\0\x01x", 9, sink, &c), -1);
        lr_mux_init(&m, 16);
        assert_int_equal(lr_mux_feed(&m, "\x01\0\x01\0\0\0\0\x01x", 9, sink, &c), -1);
        lr_mux_init(&m, 16);
        assert_int_equal(lr_mux_feed(&m, "\x01\0\0\0\0\0\0\x11", 8, sink, &c), -1); /* 17 > 16 */
        lr_mux_init(&m, 16);
        assert_int_equal(lr_mux_feed(&m, "\x01\0\0\0\xff\xff\xff\xff", 8, sink, &c), -1);
        /* a sink failure is reported apart from a malformed stream */
        lr_mux_init(&m, 1024);
        char big[8 + 300] = "\x01\0\0\0\0\0\x01\x2c";
        memset(big + 8, 'a', 300);
        collect_t c2 = { 0 };
        assert_int_equal(lr_mux_feed(&m, big, sizeof big, sink, &c2), -2);
}

/* The profile says what the native filter says. */
static void seccomp_profile(void **state)
{
        (void)state;
        char *s = NULL;
        lr_error_t e = { 0 };
        assert_int_equal(seccomp_docker_profile(&s, &e), 0);
        json_t *p = json_loads(s, 0, NULL);
        assert_non_null(p);
        assert_string_equal(json_string_value(json_object_get(p, "defaultAction")),
                            "SCMP_ACT_ALLOW");
        assert_int_equal(json_array_size(json_object_get(p, "architectures")), 1);
        json_t *rules = json_object_get(p, "syscalls");
        const char *must[] = { "mount", "unshare", "setns", "ptrace", "keyctl", "bpf",
                               "io_uring_setup", "open_by_handle_at", "init_module",
                               "userfaultfd", "perf_event_open" };
        for (size_t k = 0; k < sizeof must / sizeof *must; k++) {
                bool found = false;
                size_t i;
                json_t *r;
                json_array_foreach(rules, i, r)
                {
                        if (!strcmp(json_string_value(json_array_get(json_object_get(r, "names"), 0)),
                                    must[k]) &&
                            json_array_size(json_object_get(r, "args")) == 0) {
                                found = true;
                                assert_int_equal(json_integer_value(json_object_get(r, "errnoRet")),
                                                 EPERM);
                        }
                }
                if (!found)
                        fail_msg("%s is not denied outright", must[k]);
        }
        /* clone3: ENOSYS; clone with CLONE_NEWUSER: masked compare; AF_ALG via
         * socket(family > AF_INET6) or == 38 is not needed: GT 10 covers it */
        bool clone3 = false, clone_user = false, sock_gt = false, tiocsti = false;
        size_t i;
        json_t *r;
        json_array_foreach(rules, i, r)
        {
                const char *n = json_string_value(json_array_get(json_object_get(r, "names"), 0));
                json_t *a = json_array_get(json_object_get(r, "args"), 0);
                const char *op = json_string_value(json_object_get(a, "op"));
                json_int_t v = json_integer_value(json_object_get(a, "value"));
                json_int_t v2 = json_integer_value(json_object_get(a, "valueTwo"));
                if (!strcmp(n, "clone3"))
                        clone3 = json_integer_value(json_object_get(r, "errnoRet")) == ENOSYS;
                if (!strcmp(n, "clone") && op && !strcmp(op, "SCMP_CMP_MASKED_EQ") &&
                    v == 0x10000000 && v2 == 0x10000000)
                        clone_user = true;
                if (!strcmp(n, "socket") && op && !strcmp(op, "SCMP_CMP_GT") && v == 10)
                        sock_gt = json_integer_value(json_object_get(r, "errnoRet")) == EAFNOSUPPORT;
                if (!strcmp(n, "ioctl") && op && !strcmp(op, "SCMP_CMP_MASKED_EQ") &&
                    v == 0xFFFFFFFF && v2 == 0x5412)
                        tiocsti = json_integer_value(json_object_get(a, "index")) == 1;
        }
        assert_true(clone3);
        assert_true(clone_user);
        assert_true(sock_gt);
        assert_true(tiocsti);
        json_decref(p);
        free(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(docker_host),
                cmocka_unit_test(mux_any_split),
                cmocka_unit_test(mux_rejects),
                cmocka_unit_test(seccomp_profile),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
