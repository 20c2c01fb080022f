/* fileops.c - <open> and <write>, performed by the agent inside the sandbox.
 *
 * Paths are resolved by the kernel in the sandbox's mount namespace, so
 * "..", absolute paths and symlinks can only reach what the sandbox itself
 * can see.  There is deliberately no path policy here: the namespace is the
 * boundary (container-only design).
 */
#include "agent/agent.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

static void result_errno(lr_buf_t *out, int e, const char *what, const char *path)
{
        lr_agent_result_error(out, lr_code_from_errno(e), e, "%s: %s: %s", what, path,
                              strerror(e));
}

void lr_agent_do_open(lr_agent_t *a, const lr_msg_view_t *req, lr_buf_t *out)
{
        _cleanup_free_ char *path = NULL;
        uint64_t max = lr_wire_u64_or(req, LR_T_MAX, 1ull << 20);
        struct stat st;

        if (lr_wire_get_str(req, LR_T_PATH, &path, NULL) < 0 || path[0] == '\0') {
                lr_agent_result_error(out, LR_E_INVALID, 0, "invalid path");
                return;
        }
        /* O_NONBLOCK: opening a FIFO must not hang waiting for a writer; the
         * fstat below then refuses anything that is not a regular file. */
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                result_errno(out, errno, "open", path);
                return;
        }
        if (fstat(fd, &st) < 0) {
                result_errno(out, errno, "stat", path);
                return;
        }
        if (S_ISDIR(st.st_mode)) {
                lr_agent_result_error(out, LR_E_IS_DIRECTORY, EISDIR, "%s is a directory", path);
                return;
        }
        if (!S_ISREG(st.st_mode)) {
                lr_agent_result_error(out, LR_E_NOT_REGULAR, 0,
                                      "%s is not a regular file (%s)", path,
                                      S_ISFIFO(st.st_mode)  ? "fifo"
                                      : S_ISSOCK(st.st_mode) ? "socket"
                                      : S_ISCHR(st.st_mode)  ? "character device"
                                      : S_ISBLK(st.st_mode)  ? "block device"
                                                             : "special file");
                return;
        }
        if ((uint64_t)st.st_size > max) {
                lr_wire_begin(out, LR_MSG_RESULT);
                lr_wire_put_u64(out, LR_T_CODE, LR_E_RESOURCE_LIMIT);
                lr_wire_put_u64(out, LR_T_SIZE, (uint64_t)st.st_size);
                return;
        }
        (void)lr_fd_nonblock(fd, false);

        /* Read at most max+1 bytes: a file that grew past the limit since
         * fstat is still refused, and memory stays bounded. */
        size_t want = (size_t)max + 1;
        lr_buf_t data;
        lr_buf_init(&data, want);
        char chunk[65536];
        for (;;) {
                size_t room = want - data.len;
                if (room == 0)
                        break;
                ssize_t n = read(fd, chunk, room < sizeof chunk ? room : sizeof chunk);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        int e = errno;
                        lr_buf_free(&data);
                        result_errno(out, e, "read", path);
                        return;
                }
                if (n == 0)
                        break;
                lr_buf_append(&data, chunk, (size_t)n);
        }
        lr_wire_begin(out, LR_MSG_RESULT);
        if (data.len > max) {
                lr_wire_put_u64(out, LR_T_CODE, LR_E_RESOURCE_LIMIT);
                lr_wire_put_u64(out, LR_T_SIZE, data.len);
        } else {
                lr_wire_put_u64(out, LR_T_CODE, LR_OK);
                lr_wire_put_u64(out, LR_T_SIZE, data.len);
                lr_wire_put(out, LR_T_DATA, data.data ? data.data : "", data.len);
        }
        lr_buf_free(&data);
}

int lr_mkdir_parents(const char *dir)
{
        char buf[PATH_MAX];
        size_t len = strlen(dir);
        if (len == 0 || len >= sizeof buf) {
                errno = ENAMETOOLONG;
                return len == 0 ? 0 : -1;
        }
        memcpy(buf, dir, len + 1);
        for (char *p = buf + 1; ; p++) {
                if (*p == '/' || *p == '\0') {
                        char c = *p;
                        *p = '\0';
                        if (mkdir(buf, 0777) < 0 && errno != EEXIST)
                                return -1;
                        *p = c;
                        if (c == '\0')
                                break;
                }
        }
        return 0;
}

/* Follow a final-component symlink chain so a write through a link updates
 * its target, as editors do.  A dangling link creates its target.  Every
 * step is resolved inside the sandbox's namespace. */
static int resolve_final_link(const char *path, char *ret, size_t retlen)
{
        char cur[PATH_MAX];
        if (snprintf(cur, sizeof cur, "%s", path) >= (int)sizeof cur)
                return errno = ENAMETOOLONG, -1;
        for (int hops = 0; hops < 40; hops++) {
                struct stat st;
                if (lstat(cur, &st) < 0 || !S_ISLNK(st.st_mode)) {
                        snprintf(ret, retlen, "%s", cur);
                        return 0;
                }
                char target[PATH_MAX];
                ssize_t n = readlink(cur, target, sizeof target - 1);
                if (n < 0)
                        return -1;
                target[n] = '\0';
                if (target[0] == '/') {
                        snprintf(cur, sizeof cur, "%s", target);
                } else {
                        char *slash = strrchr(cur, '/');
                        char next[PATH_MAX];
                        if (slash) {
                                *slash = '\0';
                                if (snprintf(next, sizeof next, "%s/%s", cur, target) >=
                                    (int)sizeof next)
                                        return errno = ENAMETOOLONG, -1;
                        } else {
                                snprintf(next, sizeof next, "%s", target);
                        }
                        snprintf(cur, sizeof cur, "%s", next);
                }
        }
        errno = ELOOP;
        return -1;
}

static void random_suffix(char *buf, size_t len)
{
        static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789";
        unsigned char r[16];
        if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
                uint64_t t = lr_now_ns() ^ (uint64_t)getpid();
                memcpy(r, &t, sizeof t);
                memcpy(r + 8, &t, sizeof t);
        }
        size_t i;
        for (i = 0; i + 1 < len && i < sizeof r; i++)
                buf[i] = al[r[i] % (sizeof al - 1)];
        buf[i] = '\0';
}

/* Atomic replace: the data goes into an unnamed O_TMPFILE inode (or a
 * named temp file where the filesystem lacks O_TMPFILE), is fsynced, linked
 * under a temp name and renamed over the target, then the directory is
 * fsynced.  A crash at any point leaves the old file or the new one, never a
 * partial one; with O_TMPFILE a crash before the link leaves nothing. */
static int atomic_write(const char *dir, const char *base, const char *data, size_t len,
                        mode_t mode, int *ret_errno, const char **ret_step)
{
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int fd = -1;
        char tmp[NAME_MAX + 1];
        char rnd[13];
        bool named = false;

        if (dfd < 0) {
                *ret_step = "open directory";
                goto fail;
        }
        fd = openat(dfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
        if (fd < 0) {
                if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL &&
                    errno != ENOENT) {
                        *ret_step = "create temporary file";
                        goto fail;
                }
                for (int i = 0; i < 16 && fd < 0; i++) {
                        random_suffix(rnd, sizeof rnd);
                        snprintf(tmp, sizeof tmp, ".%.200s.lrtmp-%s", base, rnd);
                        fd = openat(dfd, tmp,
                                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
                        if (fd < 0 && errno != EEXIST) {
                                *ret_step = "create temporary file";
                                goto fail;
                        }
                }
                if (fd < 0) {
                        *ret_step = "create temporary file";
                        goto fail;
                }
                named = true;
        }
        if (lr_write_full(fd, data, len) < 0) {
                *ret_step = "write";
                goto fail_unlink;
        }
        /* O_TMPFILE and open() apply the umask; the mode of an existing file
         * is preserved exactly. */
        if (fchmod(fd, mode) < 0) {
                *ret_step = "chmod";
                goto fail_unlink;
        }
        if (fsync(fd) < 0) {
                *ret_step = "fsync";
                goto fail_unlink;
        }
        if (!named) {
                char proc[64];
                snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
                int r = -1;
                for (int i = 0; i < 16; i++) {
                        random_suffix(rnd, sizeof rnd);
                        snprintf(tmp, sizeof tmp, ".%.200s.lrtmp-%s", base, rnd);
                        r = linkat(AT_FDCWD, proc, dfd, tmp, AT_SYMLINK_FOLLOW);
                        if (r == 0 || errno != EEXIST)
                                break;
                }
                if (r < 0) {
                        *ret_step = "link temporary file";
                        goto fail;
                }
                named = true;
        }
        if (renameat(dfd, tmp, dfd, base) < 0) {
                *ret_step = "rename";
                goto fail_unlink;
        }
        /* Make the rename durable: without this a crash can lose it. */
        (void)fsync(dfd);
        return 0;

fail_unlink:;
        int e = errno;
        if (named)
                unlinkat(dfd, tmp, 0);
        errno = e;
fail:
        *ret_errno = errno;
        return -1;
}

void lr_agent_do_write(lr_agent_t *a, const lr_msg_view_t *req, lr_buf_t *out)
{
        _cleanup_free_ char *path = NULL;
        const lr_field_t *data = &req->f[LR_T_DATA];
        char target[PATH_MAX];
        struct stat st;

        if (lr_wire_get_str(req, LR_T_PATH, &path, NULL) < 0 || path[0] == '\0') {
                lr_agent_result_error(out, LR_E_INVALID, 0, "invalid path");
                return;
        }
        if (!data->present) {
                lr_agent_result_error(out, LR_E_PROTOCOL, 0, "write without data");
                return;
        }
        if (data->len > a->max_write) {
                lr_wire_begin(out, LR_MSG_RESULT);
                lr_wire_put_u64(out, LR_T_CODE, LR_E_RESOURCE_LIMIT);
                lr_wire_put_u64(out, LR_T_SIZE, data->len);
                return;
        }
        size_t plen = strlen(path);
        if (path[plen - 1] == '/') {
                lr_agent_result_error(out, LR_E_IS_DIRECTORY, EISDIR, "%s names a directory",
                                      path);
                return;
        }
        if (resolve_final_link(path, target, sizeof target) < 0) {
                result_errno(out, errno, "resolve", path);
                return;
        }

        bool existed = stat(target, &st) == 0;
        if (existed && S_ISDIR(st.st_mode)) {
                lr_agent_result_error(out, LR_E_IS_DIRECTORY, EISDIR, "%s is a directory", path);
                return;
        }
        if (existed && !S_ISREG(st.st_mode)) {
                lr_agent_result_error(out, LR_E_NOT_REGULAR, 0, "%s is not a regular file",
                                      path);
                return;
        }
        /* Keep the permission bits of the file being replaced, minus setuid
         * and setgid; new files get 0666 & ~umask. */
        mode_t mode = existed ? (st.st_mode & 01777) : (0666 & ~022);

        char dir[PATH_MAX];
        const char *base;
        char *slash = strrchr(target, '/');
        if (!slash) {
                snprintf(dir, sizeof dir, ".");
                base = target;
        } else if (slash == target) {
                snprintf(dir, sizeof dir, "/");
                base = slash + 1;
        } else {
                snprintf(dir, sizeof dir, "%.*s", (int)(slash - target), target);
                base = slash + 1;
        }
        if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
                lr_agent_result_error(out, LR_E_IS_DIRECTORY, EISDIR, "%s names a directory",
                                      path);
                return;
        }
        if (lr_mkdir_parents(dir) < 0) {
                result_errno(out, errno, "create parent directories", path);
                return;
        }
        int e = 0;
        const char *step = "write";
        if (atomic_write(dir, base, data->data, data->len, mode, &e, &step) < 0) {
                lr_agent_result_error(out, lr_code_from_errno(e), e, "%s: %s: %s", step, path,
                                      strerror(e));
                return;
        }
        lr_wire_begin(out, LR_MSG_RESULT);
        lr_wire_put_u64(out, LR_T_CODE, LR_OK);
        lr_wire_put_u64(out, LR_T_SIZE, data->len);
        lr_wire_put_u64(out, LR_T_CREATED, existed ? 0 : 1);
}
