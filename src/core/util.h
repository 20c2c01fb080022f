/* util.h - ownership helpers, bounded buffers, EINTR-safe I/O loops.
 *
 * Ownership: variables marked _cleanup_free_ / _cleanup_close_ release what
 * they hold when they leave scope.  TAKE_PTR / TAKE_FD hand ownership out.
 * Every fd this program opens is O_CLOEXEC from birth.
 */
#ifndef LR_UTIL_H
#define LR_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(lr_freep)
#define _cleanup_close_ _cleanup_(lr_closep)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define TAKE_PTR(p)                                                                                \
        ({                                                                                         \
                __typeof__(p) taken_ = (p);                                                        \
                (p) = NULL;                                                                        \
                taken_;                                                                            \
        })
#define TAKE_FD(fd)                                                                                \
        ({                                                                                         \
                int taken_ = (fd);                                                                 \
                (fd) = -1;                                                                         \
                taken_;                                                                            \
        })

static inline void lr_freep(void *p)
{
        free(*(void **)p);
}

/* close() that never retries on EINTR (on Linux the fd is gone either way)
 * and preserves errno.  Accepts -1.  Returns -1 so callers can write
 * fd = lr_close(fd). */
int lr_close(int fd);

static inline void lr_closep(int *fd)
{
        if (*fd >= 0)
                lr_close(*fd);
}

/* Full-length read/write loops that retry on EINTR and short transfers.
 * lr_read_full returns the number of bytes read (< len only at EOF) or -1. */
ssize_t lr_read_full(int fd, void *buf, size_t len);
int lr_write_full(int fd, const void *buf, size_t len);

/* A process's start time (clock ticks after boot, /proc/PID/stat field
 * 22), or 0 when it does not exist.  With the pid it identifies a process
 * even after the pid is reused. */
unsigned long long lr_proc_start_time(pid_t pid);

/* Allocation that aborts on failure: out-of-memory is not a recoverable
 * condition for a CLI that must not lose track of its sandbox. */
void *lr_xmalloc(size_t n);
void *lr_xcalloc(size_t n, size_t m);
void *lr_xrealloc(void *p, size_t n);
char *lr_xstrdup(const char *s);
char *lr_xstrndup(const char *s, size_t n);
char *lr_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable byte buffer with a hard cap.  Appending past the cap fails
 * with lr_buf_append() returning -1 and sets `toobig`, so callers can report
 * "too large" distinctly from other failures (curl's dynbuf idea). */
typedef struct {
        char *data;
        size_t len;
        size_t alloc;
        size_t cap; /* maximum len; 0 means SIZE_MAX */
        bool toobig;
} lr_buf_t;

void lr_buf_init(lr_buf_t *b, size_t cap);
int lr_buf_append(lr_buf_t *b, const void *data, size_t len);
int lr_buf_putc(lr_buf_t *b, char c);
void lr_buf_reset(lr_buf_t *b); /* len = 0, keeps memory and cap */
void lr_buf_free(lr_buf_t *b);
/* Ensure data is NUL-terminated (not counted in len). Returns data. */
char *lr_buf_cstr(lr_buf_t *b);

/* Monotonic clock in nanoseconds. */
uint64_t lr_now_ns(void);

/* Parse "512m", "1g", "1048576", "64k" (binary units).  Returns -1 on a
 * malformed value or overflow. */
int lr_parse_size(const char *s, uint64_t *ret);
/* Parse "30s", "500ms", "2m", "1h", or a bare number of seconds. */
int lr_parse_duration_ms(const char *s, uint64_t *ret);

/* Format a size as "1.5 MiB" etc. into buf. */
const char *lr_format_size(uint64_t n, char *buf, size_t len);

/* Set or clear O_NONBLOCK. */
int lr_fd_nonblock(int fd, bool on);

/* Whether `path` is the canonical directory `dir` or lies under it: the
 * path itself or any of its ancestors, with symlinks resolved, is `dir` or
 * below it.  So a link placed in `dir` that points out still counts as
 * inside (whoever writes `dir` chose it), and so does a path outside that
 * leads in through a link. */
bool lr_path_inside(const char *path, const char *dir);

#endif
