/* Unit tests for the host<->agent frame codec (src/channel/wire.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "channel/wire.h"

static void roundtrip_fields(void **state)
{
        (void)state;
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        lr_buf_t tx, rx;
        lr_buf_init(&tx, 0);
        lr_buf_init(&rx, 0);
        lr_wire_begin(&tx, LR_MSG_WRITE);
        lr_wire_put_str(&tx, LR_T_PATH, "a/b.txt");
        lr_wire_put(&tx, LR_T_DATA, "x\0y", 3);
        lr_wire_put_u64(&tx, LR_T_MAX, 0x0102030405060708ull);
        assert_int_equal(lr_wire_send(sv[0], &tx, NULL), 0);

        lr_msg_view_t v;
        lr_error_t err;
        assert_int_equal(lr_wire_recv(sv[1], 1024, &rx, &v, &err), 0);
        assert_int_equal(v.type, LR_MSG_WRITE);
        char *path = NULL;
        assert_int_equal(lr_wire_get_str(&v, LR_T_PATH, &path, &err), 0);
        assert_string_equal(path, "a/b.txt");
        free(path);
        assert_int_equal(v.f[LR_T_DATA].len, 3);
        assert_memory_equal(v.f[LR_T_DATA].data, "x\0y", 3);
        /* a field with a NUL is not a string */
        assert_int_equal(lr_wire_get_str(&v, LR_T_DATA, &path, &err), -1);
        uint64_t x = 0;
        assert_int_equal(lr_wire_get_u64(&v, LR_T_MAX, &x, &err), 0);
        assert_true(x == 0x0102030405060708ull);
        assert_int_equal(lr_wire_get_u64(&v, LR_T_SIZE, &x, &err), -1);
        assert_true(lr_wire_u64_or(&v, LR_T_SIZE, 42) == 42);
        lr_buf_free(&tx);
        lr_buf_free(&rx);
        close(sv[0]);
        close(sv[1]);
}

static void oversized_frame_rejected(void **state)
{
        (void)state;
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        lr_buf_t tx, rx;
        lr_buf_init(&tx, 0);
        lr_buf_init(&rx, 0);
        lr_wire_begin(&tx, LR_MSG_RESULT);
        char big[2048] = { 0 };
        lr_wire_put(&tx, LR_T_DATA, big, sizeof big);
        assert_int_equal(lr_wire_send(sv[0], &tx, NULL), 0);
        lr_msg_view_t v;
        lr_error_t err;
        assert_int_equal(lr_wire_recv(sv[1], 1024, &rx, &v, &err), -1);
        assert_int_equal(err.code, LR_E_PROTOCOL);
        assert_non_null(strstr(err.msg, "too large"));
        lr_buf_free(&tx);
        lr_buf_free(&rx);
        close(sv[0]);
        close(sv[1]);
}

static void eof_is_distinct(void **state)
{
        (void)state;
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        close(sv[0]);
        lr_buf_t rx;
        lr_buf_init(&rx, 0);
        lr_msg_view_t v;
        lr_error_t err;
        assert_int_equal(lr_wire_recv(sv[1], 1024, &rx, &v, &err), -1);
        assert_int_equal(err.code, LR_E_SANDBOX_UNAVAILABLE);
        lr_buf_free(&rx);
        close(sv[1]);
}

/* Malformed payloads: each must be rejected by the decoder. */
static void malformed_frames(void **state)
{
        (void)state;
        struct {
                const char *name;
                const char *bytes;
                size_t len;
        } cases[] = {
                { "short header", "\x00\x00\x00", 3 },
                { "length mismatch", "\x05\x00\x00\x00\x41\x00\x01\x00", 8 },
                { "bad version", "\x00\x00\x00\x00\x41\x00\x09\x00", 8 },
                { "truncated field header", "\x03\x00\x00\x00\x41\x00\x01\x00\x04\x00\x00", 11 },
                { "field overruns", "\x06\x00\x00\x00\x41\x00\x01\x00\x04\x00\x09\x00\x00\x00",
                  14 },
                { "unknown tag", "\x06\x00\x00\x00\x41\x00\x01\x00\x63\x00\x00\x00\x00\x00", 14 },
                { "tag zero", "\x06\x00\x00\x00\x41\x00\x01\x00\x00\x00\x00\x00\x00\x00", 14 },
                { "duplicate tag",
                  "\x0c\x00\x00\x00\x41\x00\x01\x00\x04\x00\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00",
                  20 },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                lr_msg_view_t v;
                lr_error_t err;
                int r = lr_wire_decode(cases[i].bytes, cases[i].len, &v, &err);
                if (r != -1)
                        fail_msg("case '%s' was accepted", cases[i].name);
                assert_int_equal(err.code, LR_E_PROTOCOL);
        }
        /* and a well-formed empty RESULT is accepted */
        lr_msg_view_t v;
        assert_int_equal(lr_wire_decode("\x00\x00\x00\x00\x41\x00\x01\x00", 8, &v, NULL), 0);
        assert_int_equal(v.type, LR_MSG_RESULT);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(roundtrip_fields),
                cmocka_unit_test(oversized_frame_rejected),
                cmocka_unit_test(eof_is_distinct),
                cmocka_unit_test(malformed_frames),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
