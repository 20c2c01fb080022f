/* wire.h - the framed channel between the host and the agent.
 *
 * A frame is an 8-byte header followed by a payload:
 *
 *     u32 length    payload length, little-endian, <= the receiver's bound
 *     u16 type      lr_msg_t
 *     u16 version   LR_WIRE_VERSION
 *
 * The payload is a sequence of fields, each `u16 tag, u32 length, bytes`.
 * A tag may appear at most once; unknown tags, truncated fields and trailing
 * garbage are errors.  Integers are u64 little-endian in 8-byte fields.
 *
 * The host treats everything the agent sends as hostile: the receiver passes
 * its own bound to lr_wire_recv(), and every field is length-checked before
 * use.  The same code decodes on both sides, and tests/fuzz/fuzz_wire.c
 * fuzzes the decoder.
 */
#ifndef LR_WIRE_H
#define LR_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/util.h"

#define LR_WIRE_VERSION 1
#define LR_WIRE_HDR 8
/* Absolute ceiling for any frame, whatever the configuration says. */
#define LR_WIRE_MAX_FRAME (512u << 20)

typedef enum {
        LR_MSG_INIT = 1,     /* host -> agent: environment and limits */
        LR_MSG_EXEC = 2,     /* host -> agent */
        LR_MSG_OPEN = 3,     /* host -> agent */
        LR_MSG_WRITE = 4,    /* host -> agent */
        LR_MSG_SHUTDOWN = 5, /* host -> agent */
        LR_MSG_WALK = 6,     /* host -> agent: stat a path, or list a tree */
        LR_MSG_MKDIR = 7,    /* host -> agent: mkdir -p */
        LR_MSG_MOVE = 8,     /* host -> agent: rename, never replacing */
        LR_MSG_HELLO = 64,   /* agent -> host: ready, after INIT */
        LR_MSG_RESULT = 65,  /* agent -> host: reply to EXEC/OPEN/WRITE */
} lr_msg_t;

typedef enum {
        LR_T_CMD = 1,         /* exec: shell script for /bin/sh -c */
        LR_T_STDIN = 2,       /* exec: stdin bytes */
        LR_T_TIMEOUT_MS = 3,  /* exec: u64 */
        LR_T_PATH = 4,        /* open/write */
        LR_T_DATA = 5,        /* write content / open content */
        LR_T_MAX = 6,         /* open: max bytes; init: max write */
        LR_T_OUTCAP = 7,      /* exec: bytes kept per stream */
        LR_T_CODE = 8,        /* result: lr_code_t */
        LR_T_ERRNO = 9,       /* result: errno */
        LR_T_MSG = 10,        /* result: message */
        LR_T_EXIT = 11,       /* exec: exit status (0-255) */
        LR_T_SIGNAL = 12,     /* exec: terminating signal, 0 if none */
        LR_T_TIMEDOUT = 13,   /* exec: 1 if killed at the timeout */
        LR_T_DURATION = 14,   /* exec: nanoseconds */
        LR_T_OUT_HEAD = 15,   /* exec: first bytes of stdout */
        LR_T_OUT_TAIL = 16,   /* exec: last bytes of stdout (after the head) */
        LR_T_OUT_TOTAL = 17,  /* exec: total stdout bytes */
        LR_T_ERR_HEAD = 18,
        LR_T_ERR_TAIL = 19,
        LR_T_ERR_TOTAL = 20,
        LR_T_SIZE = 21,       /* open: file size; write: bytes written */
        LR_T_CREATED = 22,    /* write: 1 if the file was created */
        LR_T_ENV = 23,        /* init: "K=V\0K=V\0..." */
        LR_T_NOFILE = 24,     /* init: RLIMIT_NOFILE for commands */
        LR_T_FSIZE = 25,      /* init: RLIMIT_FSIZE for commands */
        LR_T_CWD = 26,        /* init: working directory for commands */
        LR_T_SHELL = 27,      /* init: shell path */
        LR_T_GRACE_MS = 28,   /* init: SIGTERM-to-SIGKILL grace */
        LR_T_VERSION = 29,    /* hello: agent version string */
        LR_T_PID = 30,        /* hello: agent pid as seen inside */
        LR_T_DEPTH = 31,      /* walk: 0 = stat the path itself, N = N levels */
        LR_T_PATTERN = 32,    /* walk: glob; only matching entries are returned */
        LR_T_EXCLUDE = 33,    /* walk: "glob\0glob\0..."; matches are skipped, not entered */
        LR_T_DEST = 34,       /* move: destination path */
        LR_T_TRUNCATED = 35,  /* walk: 1 if a limit cut the listing short */
        LR_T_OOM_KILLS = 36,  /* exec: the sandbox cgroup's oom_kill count, as the agent sees it */
        LR_T_MAX_TAG_
} lr_tag_t;

/* Walk results (LR_T_DATA of a WALK reply) are a sequence of entries:
 *
 *     u8  type      'f' file, 'd' directory, 'l' symlink, 'o' other
 *     u32 mode      st_mode
 *     u32 uid, gid  as seen inside the sandbox
 *     u64 size
 *     i64 mtime, atime, btime   seconds since the epoch; btime -1 if unknown
 *     u16 name_len  then the name: the path relative to the walk's root
 *                   ("" for the root itself), no NUL bytes
 *
 * The agent stops adding entries at LR_WALK_MAX_BYTES or at the requested
 * count and sets LR_T_TRUNCATED. */
#define LR_WALK_MAX_BYTES (8u << 20)
#define LR_WALK_MAX_DEPTH 64
#define LR_ENTRY_FIXED 47
#define LR_ENTRY_MAX_NAME 4096

typedef struct {
        char type;
        uint32_t mode, uid, gid;
        uint64_t size;
        int64_t mtime, atime, btime;
        const char *name; /* not NUL-terminated */
        uint16_t name_len;
} lr_entry_t;

void lr_entry_put(lr_buf_t *b, const lr_entry_t *e);
/* Decode the entry at *off in data[0..len).  Returns 1 and advances *off,
 * 0 at the end, or -1 (err set) for a malformed entry. */
int lr_entry_next(const char *data, size_t len, size_t *off, lr_entry_t *e, lr_error_t *err);

/* Encoder: build a frame in a buffer, then send it. */
void lr_wire_begin(lr_buf_t *b, lr_msg_t type);
void lr_wire_put(lr_buf_t *b, lr_tag_t tag, const void *data, size_t len);
void lr_wire_put_str(lr_buf_t *b, lr_tag_t tag, const char *s);
void lr_wire_put_u64(lr_buf_t *b, lr_tag_t tag, uint64_t v);
/* Patch the length and write the frame to fd (full write, EINTR-safe). */
int lr_wire_send(int fd, lr_buf_t *b, lr_error_t *err);

/* A decoded message: fields point into the receive buffer. */
typedef struct {
        bool present;
        const char *data;
        uint32_t len;
} lr_field_t;

typedef struct {
        lr_msg_t type;
        lr_field_t f[LR_T_MAX_TAG_];
} lr_msg_view_t;

/* Read one frame of at most `max_payload` bytes into b (reset first) and
 * decode it into *view.  EOF before a complete frame, an oversized frame, a
 * bad version or a malformed field list fail with LR_E_PROTOCOL (EOF at a
 * frame boundary sets errnum = EPIPE). */
int lr_wire_recv(int fd, size_t max_payload, lr_buf_t *b, lr_msg_view_t *view, lr_error_t *err);

/* Decode an in-memory frame (header + payload).  Used by lr_wire_recv and
 * by the fuzzer. */
int lr_wire_decode(const char *frame, size_t len, lr_msg_view_t *view, lr_error_t *err);

/* Field accessors: return -1 (and set err) when the field is missing or has
 * the wrong size. */
int lr_wire_get_u64(const lr_msg_view_t *v, lr_tag_t tag, uint64_t *ret, lr_error_t *err);
/* Like get_u64 but a missing field yields `dflt`. */
uint64_t lr_wire_u64_or(const lr_msg_view_t *v, lr_tag_t tag, uint64_t dflt);
/* Copy a field into a freshly allocated NUL-terminated string; fails if the
 * field is missing or contains a NUL byte. */
int lr_wire_get_str(const lr_msg_view_t *v, lr_tag_t tag, char **ret, lr_error_t *err);

#endif
