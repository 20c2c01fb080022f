#include "core/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int lr_close(int fd)
{
        if (fd < 0)
                return -1;
        int saved = errno;
        /* Never retry close() on EINTR: Linux has released the fd already,
         * and a retry could close an fd another path just opened. */
        (void)close(fd);
        errno = saved;
        return -1;
}

ssize_t lr_read_full(int fd, void *buf, size_t len)
{
        size_t done = 0;
        while (done < len) {
                ssize_t n = read(fd, (char *)buf + done, len - done);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -1;
                }
                if (n == 0)
                        break;
                done += (size_t)n;
        }
        return (ssize_t)done;
}

int lr_write_full(int fd, const void *buf, size_t len)
{
        const char *p = buf;
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -1;
                }
                if (n == 0) {
                        errno = EIO;
                        return -1;
                }
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

static void oom(void)
{
        static const char m[] = "llm-runtime: out of memory\n";
        (void)!write(STDERR_FILENO, m, sizeof m - 1);
        abort();
}

void *lr_xmalloc(size_t n)
{
        void *p = malloc(n ? n : 1);
        if (!p)
                oom();
        return p;
}

void *lr_xcalloc(size_t n, size_t m)
{
        void *p = calloc(n ? n : 1, m ? m : 1);
        if (!p)
                oom();
        return p;
}

void *lr_xrealloc(void *p, size_t n)
{
        void *q = realloc(p, n ? n : 1);
        if (!q)
                oom();
        return q;
}

char *lr_xstrdup(const char *s)
{
        char *p = strdup(s);
        if (!p)
                oom();
        return p;
}

char *lr_xstrndup(const char *s, size_t n)
{
        char *p = lr_xmalloc(n + 1);
        memcpy(p, s, n);
        p[n] = '\0';
        return p;
}

char *lr_xasprintf(const char *fmt, ...)
{
        va_list ap;
        char *p = NULL;
        va_start(ap, fmt);
        int r = vasprintf(&p, fmt, ap);
        va_end(ap);
        if (r < 0)
                oom();
        return p;
}

void lr_buf_init(lr_buf_t *b, size_t cap)
{
        *b = (lr_buf_t){ .cap = cap ? cap : SIZE_MAX };
}

int lr_buf_append(lr_buf_t *b, const void *data, size_t len)
{
        if (len > b->cap - b->len) {
                b->toobig = true;
                return -1;
        }
        if (b->len + len + 1 > b->alloc) {
                size_t want = b->alloc ? b->alloc : 256;
                while (want < b->len + len + 1)
                        want = want > SIZE_MAX / 2 ? b->len + len + 1 : want * 2;
                b->data = lr_xrealloc(b->data, want);
                b->alloc = want;
        }
        if (len)
                memcpy(b->data + b->len, data, len);
        b->len += len;
        b->data[b->len] = '\0';
        return 0;
}

int lr_buf_putc(lr_buf_t *b, char c)
{
        return lr_buf_append(b, &c, 1);
}

void lr_buf_reset(lr_buf_t *b)
{
        b->len = 0;
        b->toobig = false;
        if (b->data)
                b->data[0] = '\0';
}

void lr_buf_free(lr_buf_t *b)
{
        free(b->data);
        size_t cap = b->cap;
        *b = (lr_buf_t){ .cap = cap };
}

char *lr_buf_cstr(lr_buf_t *b)
{
        if (!b->data) {
                b->data = lr_xmalloc(1);
                b->alloc = 1;
                b->data[0] = '\0';
        }
        return b->data;
}

uint64_t lr_now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Parse a decimal number with an optional fractional part into a
 * value * mult, rejecting overflow and garbage. */
static int parse_scaled(const char *s, const char **end, long double *ret)
{
        errno = 0;
        char *e;
        while (isspace((unsigned char)*s))
                s++;
        if (!isdigit((unsigned char)*s) && *s != '.')
                return -1;
        long double v = strtold(s, &e);
        if (errno || e == s || v < 0)
                return -1;
        *end = e;
        *ret = v;
        return 0;
}

int lr_parse_size(const char *s, uint64_t *ret)
{
        const char *e;
        long double v;
        if (!s || parse_scaled(s, &e, &v) < 0)
                return -1;
        long double mult = 1;
        switch (tolower((unsigned char)*e)) {
        case '\0': break;
        case 'b': mult = 1; e++; goto suffix_done;
        case 'k': mult = 1024.0L; break;
        case 'm': mult = 1024.0L * 1024; break;
        case 'g': mult = 1024.0L * 1024 * 1024; break;
        case 't': mult = 1024.0L * 1024 * 1024 * 1024; break;
        default: return -1;
        }
        if (*e) {
                e++;
                /* accept k, kb, kib, K, KiB */
                if (tolower((unsigned char)*e) == 'i')
                        e++;
                if (tolower((unsigned char)*e) == 'b')
                        e++;
        }
suffix_done:
        if (*e)
                return -1;
        long double r = v * mult;
        if (r > (long double)UINT64_MAX)
                return -1;
        *ret = (uint64_t)r;
        return 0;
}

int lr_parse_duration_ms(const char *s, uint64_t *ret)
{
        const char *e;
        long double v;
        if (!s || parse_scaled(s, &e, &v) < 0)
                return -1;
        long double mult;
        if (*e == '\0' || strcmp(e, "s") == 0)
                mult = 1000;
        else if (strcmp(e, "ms") == 0)
                mult = 1;
        else if (strcmp(e, "m") == 0 || strcmp(e, "min") == 0)
                mult = 60000;
        else if (strcmp(e, "h") == 0)
                mult = 3600000;
        else
                return -1;
        long double r = v * mult;
        if (r > (long double)UINT64_MAX / 2)
                return -1;
        *ret = (uint64_t)r;
        return 0;
}

const char *lr_format_size(uint64_t n, char *buf, size_t len)
{
        static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
        if (n < 1024) {
                snprintf(buf, len, "%llu B", (unsigned long long)n);
                return buf;
        }
        double v = (double)n;
        size_t u = 0;
        while (v >= 1024 && u + 1 < ARRAY_SIZE(units)) {
                v /= 1024;
                u++;
        }
        snprintf(buf, len, "%.1f %s", v, units[u]);
        return buf;
}

int lr_fd_nonblock(int fd, bool on)
{
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0)
                return -1;
        int nfl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
        if (nfl != fl && fcntl(fd, F_SETFL, nfl) < 0)
                return -1;
        return 0;
}

unsigned long long lr_proc_start_time(pid_t pid)
{
        char path[64], buf[1024];
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        ssize_t n = lr_read_full(fd, buf, sizeof buf - 1);
        lr_close(fd);
        if (n <= 0)
                return 0;
        buf[n] = '\0';
        /* The command name (field 2) may contain spaces and parentheses:
         * count fields from its last ')'.  Each step moves to the space
         * before the next field, 3 to 22. */
        char *p = strrchr(buf, ')');
        if (!p)
                return 0;
        for (int field = 3; field <= 22; field++) {
                p = strchr(p + 1, ' ');
                if (!p)
                        return 0;
        }
        return strtoull(p + 1, NULL, 10);
}

static bool canonical_under(const char *canon, const char *dir)
{
        size_t n = strlen(dir);
        if (n == 1 && dir[0] == '/')
                return true;
        return strncmp(canon, dir, n) == 0 && (canon[n] == '\0' || canon[n] == '/');
}

bool lr_path_inside(const char *path, const char *dir)
{
        char buf[PATH_MAX];
        if (realpath(path, buf) && canonical_under(buf, dir))
                return true;
        /* Every ancestor, each with its symlinks resolved: one that is in
         * dir means dir's owner can replace what lies below it. */
        char *up = lr_xstrdup(path);
        bool inside = false;
        while (!inside) {
                char *slash = strrchr(up, '/');
                if (!slash) {
                        inside = realpath(".", buf) && canonical_under(buf, dir);
                        break;
                }
                if (slash == up) {
                        inside = canonical_under("/", dir);
                        break;
                }
                *slash = '\0';
                inside = realpath(up, buf) && canonical_under(buf, dir);
        }
        free(up);
        return inside;
}
