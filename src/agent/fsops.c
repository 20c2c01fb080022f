/* fsops.c - stat, directory walks, mkdir -p and move, inside the sandbox.
 *
 * These serve the MCP file tools (get_file_info, list_directory,
 * directory_tree, search_files, create_directory, move_file).  Like <open>
 * and <write>, every path is resolved by the kernel in the sandbox's mount
 * namespace, so there is no path policy here.
 *
 * A walk never follows symlinks below its root (a link is reported as 'l'
 * and not entered, so a link loop or a link to / cannot blow it up), is
 * bounded in depth, entries returned, bytes returned, entries visited and
 * time, and reports when a bound cut it short.
 */
#include "agent/agent.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/glob.h"

#define WALK_MAX_VISITS 1000000
#define WALK_MAX_DIR_ENTRIES 200000
#define WALK_DEADLINE_NS (15ull * 1000000000ull)

static void result_errno(lr_buf_t *out, int e, const char *what, const char *path)
{
        lr_agent_result_error(out, lr_code_from_errno(e), e, "%s: %s: %s", what, path,
                              strerror(e));
}

static char type_of(mode_t m)
{
        return S_ISREG(m) ? 'f' : S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : 'o';
}

static void entry_from_statx(lr_entry_t *e, const struct statx *st, const char *name,
                             size_t name_len)
{
        e->type = type_of(st->stx_mode);
        e->mode = st->stx_mode;
        e->uid = st->stx_uid;
        e->gid = st->stx_gid;
        e->size = st->stx_size;
        e->mtime = st->stx_mtime.tv_sec;
        e->atime = st->stx_atime.tv_sec;
        e->btime = (st->stx_mask & STATX_BTIME) ? st->stx_btime.tv_sec : -1;
        e->name = name;
        e->name_len = (uint16_t)name_len;
}

typedef struct {
        lr_buf_t *data;
        uint64_t max_entries;
        uint64_t count;
        uint64_t visits;
        uint64_t deadline;
        lr_glob_t pattern;
        bool has_pattern;
        lr_glob_t *excludes;
        size_t nexcludes;
        bool truncated;
        bool stop;
} walk_t;

static int cmp_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool excluded(const walk_t *w, const char *rel)
{
        for (size_t i = 0; i < w->nexcludes; i++)
                if (lr_glob_match(&w->excludes[i], rel))
                        return true;
        return false;
}

/* Walk the directory open at dfd, whose path relative to the root is rel
 * (rlen bytes in a PATH_MAX buffer).  Takes ownership of dfd. */
static void walk_dir(walk_t *w, int dfd, char *rel, size_t rlen, uint64_t depth_left)
{
        DIR *d = fdopendir(dfd);
        if (!d) {
                close(dfd);
                return;
        }
        char **names = NULL;
        size_t n = 0, cap = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (n == WALK_MAX_DIR_ENTRIES) {
                        w->truncated = true;
                        break;
                }
                if (n == cap) {
                        cap = cap ? cap * 2 : 64;
                        names = lr_xrealloc(names, cap * sizeof *names);
                }
                names[n++] = lr_xstrdup(de->d_name);
        }
        qsort(names, n, sizeof *names, cmp_names);

        for (size_t i = 0; i < n && !w->stop; i++) {
                if (++w->visits > WALK_MAX_VISITS ||
                    (w->visits % 1024 == 0 && lr_now_ns() > w->deadline)) {
                        w->truncated = w->stop = true;
                        break;
                }
                size_t nl = strlen(names[i]);
                size_t sub = rlen + (rlen ? 1 : 0) + nl;
                if (sub >= PATH_MAX || sub > LR_ENTRY_MAX_NAME) {
                        w->truncated = true;
                        continue;
                }
                if (rlen)
                        rel[rlen] = '/';
                memcpy(rel + rlen + (rlen ? 1 : 0), names[i], nl + 1);
                struct statx st;
                if (statx(dirfd(d), names[i], AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT,
                          STATX_BASIC_STATS | STATX_BTIME, &st) < 0) {
                        rel[rlen] = '\0';
                        continue; /* vanished or unreadable: skip, as ls would */
                }
                if (excluded(w, rel)) {
                        rel[rlen] = '\0';
                        continue;
                }
                if (!w->has_pattern || lr_glob_match(&w->pattern, rel)) {
                        if (w->count == w->max_entries ||
                            w->data->len + LR_ENTRY_FIXED + sub > LR_WALK_MAX_BYTES) {
                                w->truncated = w->stop = true;
                                rel[rlen] = '\0';
                                break;
                        }
                        lr_entry_t e;
                        entry_from_statx(&e, &st, rel, sub);
                        lr_entry_put(w->data, &e);
                        w->count++;
                }
                if (S_ISDIR(st.stx_mode) && depth_left > 1) {
                        int sfd = openat(dirfd(d), names[i],
                                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sfd >= 0)
                                walk_dir(w, sfd, rel, sub, depth_left - 1);
                }
                rel[rlen] = '\0';
        }
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        closedir(d);
}

/* Split "a\0b\0" into compiled globs. */
static int compile_excludes(walk_t *w, const lr_field_t *f, const char **why)
{
        w->excludes = NULL;
        w->nexcludes = 0;
        if (!f->present)
                return 0;
        for (size_t i = 0; i < f->len;) {
                const char *p = f->data + i;
                const char *z = memchr(p, '\0', f->len - i);
                size_t l = z ? (size_t)(z - p) : f->len - i;
                i += l + 1;
                if (l == 0)
                        continue;
                if (w->nexcludes == 64) {
                        *why = "too many exclude patterns (limit 64)";
                        return -1;
                }
                char *pat = lr_xstrndup(p, l);
                w->excludes = lr_xrealloc(w->excludes, (w->nexcludes + 1) * sizeof(lr_glob_t));
                int r = lr_glob_compile(&w->excludes[w->nexcludes], pat, why);
                free(pat);
                if (r < 0)
                        return -1;
                w->nexcludes++;
        }
        return 0;
}

static void walk_free(walk_t *w)
{
        for (size_t i = 0; i < w->nexcludes; i++)
                lr_glob_free(&w->excludes[i]);
        free(w->excludes);
        if (w->has_pattern)
                lr_glob_free(&w->pattern);
}

void lr_agent_do_walk(lr_agent_t *a, const lr_msg_view_t *req, lr_buf_t *out)
{
        (void)a;
        _cleanup_free_ char *path = NULL;
        _cleanup_free_ char *pattern = NULL;
        uint64_t depth = lr_wire_u64_or(req, LR_T_DEPTH, 1);
        walk_t w = { .max_entries = lr_wire_u64_or(req, LR_T_MAX, 10000) };
        const char *why = NULL;

        if (lr_wire_get_str(req, LR_T_PATH, &path, NULL) < 0 || path[0] == '\0') {
                lr_agent_result_error(out, LR_E_INVALID, 0, "invalid path");
                return;
        }
        if (depth > LR_WALK_MAX_DEPTH)
                depth = LR_WALK_MAX_DEPTH;

        struct statx st;
        if (depth == 0) {
                /* Stat: follow a final symlink like stat(1) -L; report a
                 * dangling one as the link itself. */
                if (statx(AT_FDCWD, path, AT_NO_AUTOMOUNT, STATX_BASIC_STATS | STATX_BTIME,
                          &st) < 0 &&
                    (errno != ENOENT ||
                     statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT,
                           STATX_BASIC_STATS | STATX_BTIME, &st) < 0)) {
                        result_errno(out, errno, "stat", path);
                        return;
                }
                lr_buf_t data;
                lr_buf_init(&data, 0);
                lr_entry_t e;
                entry_from_statx(&e, &st, "", 0);
                lr_entry_put(&data, &e);
                lr_wire_begin(out, LR_MSG_RESULT);
                lr_wire_put_u64(out, LR_T_CODE, LR_OK);
                lr_wire_put(out, LR_T_DATA, data.data, data.len);
                lr_wire_put_u64(out, LR_T_TRUNCATED, 0);
                lr_buf_free(&data);
                return;
        }

        if (req->f[LR_T_PATTERN].present) {
                if (lr_wire_get_str(req, LR_T_PATTERN, &pattern, NULL) < 0 ||
                    lr_glob_compile(&w.pattern, pattern, &why) < 0) {
                        lr_agent_result_error(out, LR_E_INVALID, 0, "bad pattern: %s",
                                              why ? why : "NUL byte");
                        return;
                }
                w.has_pattern = true;
        }
        if (compile_excludes(&w, &req->f[LR_T_EXCLUDE], &why) < 0) {
                lr_agent_result_error(out, LR_E_INVALID, 0, "bad exclude pattern: %s", why);
                walk_free(&w);
                return;
        }
        /* The root is followed if it is a link (list_directory on a link to
         * a directory lists the directory); nothing below it is. */
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                int e = errno;
                if (e == ENOTDIR)
                        lr_agent_result_error(out, LR_E_INVALID, e, "%s is not a directory",
                                              path);
                else
                        result_errno(out, e, "open directory", path);
                walk_free(&w);
                return;
        }
        lr_buf_t data;
        lr_buf_init(&data, 0);
        char rel[PATH_MAX] = "";
        w.data = &data;
        w.deadline = lr_now_ns() + WALK_DEADLINE_NS;
        walk_dir(&w, fd, rel, 0, depth);
        lr_wire_begin(out, LR_MSG_RESULT);
        lr_wire_put_u64(out, LR_T_CODE, LR_OK);
        lr_wire_put(out, LR_T_DATA, data.data ? data.data : "", data.len);
        lr_wire_put_u64(out, LR_T_TRUNCATED, w.truncated ? 1 : 0);
        lr_buf_free(&data);
        walk_free(&w);
}

void lr_agent_do_mkdir(lr_agent_t *a, const lr_msg_view_t *req, lr_buf_t *out)
{
        (void)a;
        _cleanup_free_ char *path = NULL;
        if (lr_wire_get_str(req, LR_T_PATH, &path, NULL) < 0 || path[0] == '\0') {
                lr_agent_result_error(out, LR_E_INVALID, 0, "invalid path");
                return;
        }
        struct stat st;
        bool existed = stat(path, &st) == 0;
        if (existed && !S_ISDIR(st.st_mode)) {
                lr_agent_result_error(out, LR_E_EXISTS, EEXIST,
                                      "%s exists and is not a directory", path);
                return;
        }
        if (!existed && lr_mkdir_parents(path) < 0) {
                result_errno(out, errno, "create directory", path);
                return;
        }
        lr_wire_begin(out, LR_MSG_RESULT);
        lr_wire_put_u64(out, LR_T_CODE, LR_OK);
        lr_wire_put_u64(out, LR_T_CREATED, existed ? 0 : 1);
}

void lr_agent_do_move(lr_agent_t *a, const lr_msg_view_t *req, lr_buf_t *out)
{
        (void)a;
        _cleanup_free_ char *src = NULL, *dst = NULL;
        if (lr_wire_get_str(req, LR_T_PATH, &src, NULL) < 0 || src[0] == '\0' ||
            lr_wire_get_str(req, LR_T_DEST, &dst, NULL) < 0 || dst[0] == '\0') {
                lr_agent_result_error(out, LR_E_INVALID, 0, "invalid path");
                return;
        }
        struct stat st;
        if (lstat(src, &st) < 0) {
                result_errno(out, errno, "move", src);
                return;
        }
        /* Create the destination's missing parents, as write does. */
        char parent[PATH_MAX];
        if (snprintf(parent, sizeof parent, "%s", dst) >= (int)sizeof parent) {
                result_errno(out, ENAMETOOLONG, "move", dst);
                return;
        }
        char *slash = strrchr(parent, '/');
        if (slash && slash != parent) {
                *slash = '\0';
                if (lr_mkdir_parents(parent) < 0) {
                        result_errno(out, errno, "create parent directories", dst);
                        return;
                }
        }
        /* RENAME_NOREPLACE: the check and the rename are one atomic step,
         * so an existing destination is never clobbered. */
        if (renameat2(AT_FDCWD, src, AT_FDCWD, dst, RENAME_NOREPLACE) < 0) {
                int e = errno;
                if (e == EEXIST)
                        lr_agent_result_error(out, LR_E_EXISTS, e,
                                              "move: destination %s already exists", dst);
                else if (e == EXDEV)
                        lr_agent_result_error(out, LR_E_IO, e,
                                              "move: %s and %s are on different filesystems "
                                              "(copy with exec instead)",
                                              src, dst);
                else
                        lr_agent_result_error(out, lr_code_from_errno(e), e, "move %s to %s: %s",
                                              src, dst, strerror(e));
                return;
        }
        lr_wire_begin(out, LR_MSG_RESULT);
        lr_wire_put_u64(out, LR_T_CODE, LR_OK);
}
