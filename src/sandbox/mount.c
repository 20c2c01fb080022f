/* mount.c - the sandbox's filesystem view.
 *
 * Layout inside:
 *   /            tmpfs, read-only once populated
 *   /usr /bin /lib* /sbin   host system dirs, read-only binds (or, with
 *                --rootfs DIR, every top-level entry of DIR, read-only)
 *   /etc         a filtered set of host /etc entries, read-only, plus our own
 *                passwd, group, hosts and hostname
 *   /workspace   the workspace, read-write, nosuid, nodev
 *   /tmp, /dev/shm  size-capped tmpfs, nosuid, nodev
 *   /dev         null zero full random urandom (binds of the host nodes),
 *                fd/stdin/stdout/stderr links; no tty, no pts
 *   /proc        fresh procfs for the PID namespace, hidepid=invisible,
 *                sensitive files masked, /proc/sys & co read-only
 * Nothing else: no /sys, no /run, no /home, no /root, no sockets.
 *
 * The host side lists what to mount (lstat, readlink) before clone.  The
 * child opens every source with O_PATH|O_NOFOLLOW first thing, in its own
 * mount namespace (a bind from an fd of another namespace is refused with
 * EINVAL), then binds them through /proc/self/fd/N.  So mounting our
 * scratch tmpfs over /tmp cannot hide a workspace that lives under /tmp,
 * and no source path is resolved once building has started.
 */
#include "sandbox/sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/util.h"

#define MAX_ENTRIES 128

typedef enum { ENT_DIR, ENT_FILE, ENT_LINK } ent_kind_t;

typedef struct {
        char name[NAME_MAX + 1];
        ent_kind_t kind;
        char *src;                /* host path, for DIR/FILE (owned) */
        int fd;                   /* O_PATH, opened by the child */
        char *target;             /* for LINK (owned) */
} entry_t;

struct lr_mount_plan {
        char ws_path[PATH_MAX];
        int ws_fd;
        entry_t root[MAX_ENTRIES];
        size_t n_root;
        entry_t etc[MAX_ENTRIES];
        size_t n_etc;
        bool synth_etc; /* host mode: write passwd/group/hosts ourselves */
        int dev_fd[5];
        char tmp_opts[128];
        char passwd[512];
        char group[256];
};

static const char *const dev_nodes[5] = { "null", "zero", "full", "random", "urandom" };

/* Host-mode system directories. */
static const char *const host_dirs[] = { "usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32" };

/* Host /etc entries the sandbox may see: what dynamic linking, locales,
 * TLS roots and common toolchains read.  Secrets (shadow, ssh host keys,
 * sudoers, machine-id, credentials of services) are never on the list. */
static const char *const etc_allow[] = {
        "alternatives", "bash.bashrc", "ca-certificates", "ca-certificates.conf",
        "debian_version", "gai.conf", "gitconfig", "host.conf", "inputrc", "java-*",
        "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "locale.alias", "locale.conf",
        "localtime", "magic", "magic.mime", "mime.types", "nsswitch.conf", "os-release",
        "perl", "profile", "protocols", "python3*", "rpc", "services", "ssl", "timezone",
        "vim", "xdg",
};

/* Top-level rootfs entries we provide ourselves. */
static const char *const rootfs_skip[] = { "proc", "dev", "sys", "tmp", "workspace", "run",
                                           ".", ".." };

/* Every /etc entry is checked against the list on every sandbox start, so
 * plain names are compared as strings and fnmatch runs only for the two
 * globs, and only on names with the right first byte (fnmatch on every
 * pair cost ~0.3 ms of a ~6 ms start). */
static bool etc_allowed(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(etc_allow); i++) {
                const char *pat = etc_allow[i];
                if (pat[0] != name[0])
                        continue;
                if (strchr(pat, '*') ? fnmatch(pat, name, 0) == 0 : strcmp(pat, name) == 0)
                        return true;
        }
        return false;
}

static int add_entry(entry_t *arr, size_t *n, int dirfd, const char *dirpath, const char *name,
                     lr_error_t *err)
{
        struct stat st;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, errno,
                                                          "cannot stat %s: %s", name,
                                                          strerror(errno));
        if (*n >= MAX_ENTRIES)
                return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, 0,
                                    "too many top-level entries (max %d)", MAX_ENTRIES);
        /* Entries hold their strings on the heap: with two PATH_MAX arrays
         * each, the plan was 2 MiB, and touching it cost page faults on
         * every sandbox start. */
        entry_t *e = &arr[*n];
        memset(e, 0, sizeof *e);
        e->fd = -1;
        snprintf(e->name, sizeof e->name, "%s", name);
        if (S_ISLNK(st.st_mode)) {
                char target[PATH_MAX];
                ssize_t l = readlinkat(dirfd, name, target, sizeof target - 1);
                if (l < 0)
                        return 0;
                target[l] = '\0';
                e->target = lr_xstrdup(target);
                e->kind = ENT_LINK;
        } else if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) {
                e->kind = S_ISDIR(st.st_mode) ? ENT_DIR : ENT_FILE;
                if (strlen(dirpath) + 1 + strlen(name) >= PATH_MAX)
                        return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, ENAMETOOLONG,
                                            "path too long: %s/%s", dirpath, name);
                e->src = lr_xasprintf("%s/%s", dirpath, name);
        } else {
                return 0; /* sockets, fifos, devices: never exposed */
        }
        (*n)++;
        return 0;
}

int mount_plan_new(const lr_config_t *cfg, const char *workspace, const lr_idmap_t *map,
                   lr_mount_plan_t **ret, lr_error_t *err)
{
        lr_mount_plan_t *p = lr_xcalloc(1, sizeof *p);
        p->ws_fd = -1;
        for (size_t i = 0; i < 5; i++)
                p->dev_fd[i] = -1;

        if (snprintf(p->ws_path, sizeof p->ws_path, "%s", workspace) >= (int)sizeof p->ws_path) {
                lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, ENAMETOOLONG, "workspace path too long");
                goto fail;
        }
        if (cfg->rootfs) {
                _cleanup_close_ int rfd = open(cfg->rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (rfd < 0) {
                        lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, errno,
                                     "cannot open --rootfs %s: %s", cfg->rootfs,
                                     strerror(errno));
                        goto fail;
                }
                DIR *d = fdopendir(fcntl(rfd, F_DUPFD_CLOEXEC, 3));
                if (!d) {
                        lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, errno, "cannot list %s",
                                     cfg->rootfs);
                        goto fail;
                }
                struct dirent *de;
                int r = 0;
                while (r == 0 && (de = readdir(d))) {
                        bool skip = false;
                        for (size_t i = 0; i < ARRAY_SIZE(rootfs_skip); i++)
                                skip |= strcmp(de->d_name, rootfs_skip[i]) == 0;
                        if (!skip)
                                r = add_entry(p->root, &p->n_root, rfd, cfg->rootfs,
                                              de->d_name, err);
                }
                closedir(d);
                if (r < 0)
                        goto fail;
                /* The image must have a shell for <exec>. */
                if (faccessat(rfd, "bin/sh", X_OK, 0) < 0 &&
                    faccessat(rfd, "usr/bin/sh", X_OK, 0) < 0) {
                        lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, ENOENT,
                                     "--rootfs %s has no /bin/sh", cfg->rootfs);
                        goto fail;
                }
        } else {
                _cleanup_close_ int rootfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                for (size_t i = 0; i < ARRAY_SIZE(host_dirs); i++)
                        if (add_entry(p->root, &p->n_root, rootfd, "", host_dirs[i], err) < 0)
                                goto fail;
                _cleanup_close_ int etcfd = open("/etc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (etcfd >= 0) {
                        DIR *d = fdopendir(fcntl(etcfd, F_DUPFD_CLOEXEC, 3));
                        struct dirent *de;
                        int r = 0;
                        while (d && r == 0 && (de = readdir(d)))
                                if (etc_allowed(de->d_name))
                                        r = add_entry(p->etc, &p->n_etc, etcfd, "/etc",
                                                      de->d_name, err);
                        if (d)
                                closedir(d);
                        if (r < 0)
                                goto fail;
                }
                p->synth_etc = true;
                snprintf(p->passwd, sizeof p->passwd,
                         "root:x:0:0:root:/nonexistent:/usr/sbin/nologin\n"
                         "sandbox:x:%u:%u:llm-runtime sandbox:/workspace:/bin/sh\n"
                         "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
                         map->inside_uid, map->inside_gid);
                snprintf(p->group, sizeof p->group,
                         "root:x:0:\nsandbox:x:%u:\nnogroup:x:65534:\n", map->inside_gid);
        }
        snprintf(p->tmp_opts, sizeof p->tmp_opts, "mode=1777,size=%llu,nr_inodes=%llu",
                 (unsigned long long)cfg->tmpfs_size,
                 (unsigned long long)(cfg->tmpfs_size / 4096 > 1024 ? cfg->tmpfs_size / 4096
                                                                     : 1024));
        *ret = p;
        return 0;
fail:
        mount_plan_free(p);
        return -1;
}

void mount_plan_free(lr_mount_plan_t *p)
{
        if (!p)
                return;
        entry_t *lists[2] = { p->root, p->etc };
        size_t ns[2] = { p->n_root, p->n_etc };
        for (size_t l = 0; l < 2; l++)
                for (size_t i = 0; i < ns[l]; i++) {
                        free(lists[l][i].src);
                        free(lists[l][i].target);
                }
        free(p);
}

/* ---- child side: syscalls only, no allocation ---- */

#define STEP(name, expr)                                                                           \
        do {                                                                                       \
                if ((expr) < 0) {                                                                  \
                        *step = (name);                                                            \
                        return -1;                                                                 \
                }                                                                                  \
        } while (0)

static void fd_path(int fd, char *buf, size_t len)
{
        snprintf(buf, len, "/proc/self/fd/%d", fd);
}

/* Flags of the mount at `path` that an unprivileged remount must keep: the
 * kernel locks nosuid/nodev/noexec/atime flags a less privileged namespace
 * inherited, and a remount that drops them fails with EPERM. */
static unsigned long locked_flags(const char *path)
{
        struct statvfs sv;
        unsigned long fl = 0;
        if (statvfs(path, &sv) < 0)
                return 0;
        if (sv.f_flag & ST_NOSUID)
                fl |= MS_NOSUID;
        if (sv.f_flag & ST_NODEV)
                fl |= MS_NODEV;
        if (sv.f_flag & ST_NOEXEC)
                fl |= MS_NOEXEC;
        if (sv.f_flag & ST_NOATIME)
                fl |= MS_NOATIME;
        if (sv.f_flag & ST_NODIRATIME)
                fl |= MS_NODIRATIME;
        if (sv.f_flag & ST_RELATIME)
                fl |= MS_RELATIME;
        return fl;
}

static int remount(const char *path, unsigned long add)
{
        return mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | locked_flags(path) | add, NULL);
}

/* Make every mount strictly below `prefix` read-only: a recursive bind
 * copies submounts, and each needs its own remount. */
static int remount_tree_ro(const char *prefix, unsigned long add)
{
        int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        static char buf[1 << 20];
        ssize_t n = lr_read_full(fd, buf, sizeof buf - 1);
        close(fd);
        if (n < 0)
                return -1;
        buf[n] = '\0';
        size_t plen = strlen(prefix);
        int r = 0;
        for (char *line = buf; line && *line;) {
                char *nl = strchr(line, '\n');
                if (nl)
                        *nl = '\0';
                /* field 5 is the mount point (octal-escaped) */
                char *f = line;
                for (int i = 0; i < 4 && f; i++) {
                        f = strchr(f, ' ');
                        if (f)
                                f++;
                }
                if (f) {
                        char *end = strchr(f, ' ');
                        if (end)
                                *end = '\0';
                        if (strncmp(f, prefix, plen) == 0 && f[plen] == '/' &&
                            !strchr(f, '\\')) {
                                if (remount(f, MS_RDONLY | add) < 0 && errno != EINVAL &&
                                    errno != ENOENT && errno != EACCES)
                                        r = -1;
                        }
                }
                line = nl ? nl + 1 : NULL;
        }
        return r;
}

static int make_tree_ro(void)
{
        struct mount_attr attr = {
                .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
        };
        if (syscall(SYS_mount_setattr, AT_FDCWD, ".", AT_RECURSIVE, &attr, sizeof attr) == 0)
                return 0;
        if (errno != ENOSYS)
                return -1;
        if (remount_tree_ro("/tmp", MS_NOSUID | MS_NODEV) < 0)
                return -1;
        return mount(NULL, ".", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
                     NULL);
}

static int touch(const char *path)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -1;
        close(fd);
        return 0;
}

static int write_file(const char *path, const char *data)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -1;
        int r = lr_write_full(fd, data, strlen(data));
        close(fd);
        return r;
}

/* Place entries under `dir` (relative to the new root, which is the cwd). */
static int place_entries(const entry_t *arr, size_t n, const char *dir, const char **step)
{
        char dst[PATH_MAX], src[64];
        for (size_t i = 0; i < n; i++) {
                const entry_t *e = &arr[i];
                snprintf(dst, sizeof dst, "%s%s", dir, e->name);
                switch (e->kind) {
                case ENT_LINK:
                        STEP("symlink", symlink(e->target, dst));
                        break;
                case ENT_DIR:
                case ENT_FILE:
                        if (e->kind == ENT_DIR)
                                STEP("mkdir", mkdir(dst, 0755));
                        else
                                STEP("create mount point", touch(dst));
                        fd_path(e->fd, src, sizeof src);
                        STEP("bind system dir", mount(src, dst, NULL, MS_BIND | MS_REC, NULL));
                        break;
                }
        }
        return 0;
}

/* Names the source that failed to open, for the error report. */
static char failed_source[PATH_MAX + 32];

static int open_source(const char *path, int flags, int *ret, const char **step)
{
        *ret = open(path, flags | O_PATH | O_CLOEXEC);
        if (*ret < 0) {
                snprintf(failed_source, sizeof failed_source, "open %s", path);
                *step = failed_source;
                return -1;
        }
        return 0;
}

int mount_child_open_sources(lr_mount_plan_t *p, const char **step)
{
        entry_t *lists[2] = { p->root, p->etc };
        size_t counts[2] = { p->n_root, p->n_etc };
        for (size_t l = 0; l < 2; l++)
                for (size_t i = 0; i < counts[l]; i++) {
                        entry_t *e = &lists[l][i];
                        if (e->kind != ENT_LINK && open_source(e->src, O_NOFOLLOW, &e->fd, step) < 0)
                                return -1;
                }
        if (open_source(p->ws_path, O_DIRECTORY, &p->ws_fd, step) < 0)
                return -1;
        for (size_t i = 0; i < 5; i++) {
                char path[32];
                snprintf(path, sizeof path, "/dev/%s", dev_nodes[i]);
                if (open_source(path, 0, &p->dev_fd[i], step) < 0)
                        return -1;
        }
        return 0;
}

int mount_child_setup(const lr_mount_plan_t *p, const char **step)
{
        char src[64];

        /* Mount events must never propagate back to the host: make every
         * mount a slave before touching anything. */
        STEP("make / rslave", mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL));

        /* Scratch tmpfs that becomes the new root.  It is mounted over /tmp
         * in our private mount namespace only. */
        STEP("mount root tmpfs", mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
                                       "mode=0755,size=4m,nr_inodes=4096"));
        STEP("chdir new root", chdir("/tmp"));

        if (place_entries(p->root, p->n_root, "", step) < 0)
                return -1;
        if (p->synth_etc) {
                STEP("mkdir /etc", mkdir("etc", 0755));
                if (place_entries(p->etc, p->n_etc, "etc/", step) < 0)
                        return -1;
                STEP("write /etc/passwd", write_file("etc/passwd", p->passwd));
                STEP("write /etc/group", write_file("etc/group", p->group));
                STEP("write /etc/hosts",
                     write_file("etc/hosts", "127.0.0.1\tlocalhost sandbox\n::1\tlocalhost\n"));
                STEP("write /etc/hostname", write_file("etc/hostname", "sandbox\n"));
        }
        /* Mount points for what comes after the tree turns read-only. */
        STEP("mkdir /workspace", mkdir("workspace", 0755));
        STEP("mkdir /tmp", mkdir("tmp", 01777));
        STEP("mkdir /dev", mkdir("dev", 0755));
        STEP("mkdir /proc", mkdir("proc", 0555));
        /* Everything bound so far (submounts included) and the root itself
         * become read-only, nosuid, nodev.  mount_setattr(AT_RECURSIVE)
         * does the whole tree in one call; older kernels get a remount per
         * mount. */
        STEP("make the root read-only", make_tree_ro());
        /* Never expose TLS private keys even though /etc/ssl is allowed. */
        if (access("etc/ssl/private", F_OK) == 0)
                STEP("mask /etc/ssl/private",
                     mount("tmpfs", "etc/ssl/private", "tmpfs",
                           MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0755"));

        /* The workspace: the one read-write bind. */
        fd_path(p->ws_fd, src, sizeof src);
        STEP("bind workspace", mount(src, "workspace", NULL, MS_BIND | MS_REC, NULL));
        STEP("remount workspace nosuid,nodev", remount("workspace", MS_NOSUID | MS_NODEV));

        STEP("mount /tmp", mount("tmpfs", "tmp", "tmpfs", MS_NOSUID | MS_NODEV, p->tmp_opts));

        /* /dev: just the harmless nodes, as binds of the host's (mknod is
         * impossible in a user namespace, and rightly so). */
        STEP("mount /dev", mount("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_NOEXEC,
                                 "mode=0755,size=64k,nr_inodes=64"));
        for (size_t i = 0; i < 5; i++) {
                char dst[32];
                snprintf(dst, sizeof dst, "dev/%s", dev_nodes[i]);
                STEP("create device node", touch(dst));
                fd_path(p->dev_fd[i], src, sizeof src);
                STEP("bind device node", mount(src, dst, NULL, MS_BIND, NULL));
        }
        STEP("symlink /dev/fd", symlink("/proc/self/fd", "dev/fd"));
        STEP("symlink /dev/stdin", symlink("/proc/self/fd/0", "dev/stdin"));
        STEP("symlink /dev/stdout", symlink("/proc/self/fd/1", "dev/stdout"));
        STEP("symlink /dev/stderr", symlink("/proc/self/fd/2", "dev/stderr"));
        STEP("mkdir /dev/shm", mkdir("dev/shm", 01777));
        STEP("mount /dev/shm",
             mount("tmpfs", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, p->tmp_opts));
        STEP("remount /dev read-only",
             mount(NULL, "dev", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC,
                   "mode=0755,size=64k,nr_inodes=64"));

        /* A fresh procfs for our PID namespace.  hidepid=invisible hides
         * processes the viewer may not ptrace, which includes the
         * non-dumpable agent (PID 1). */
        if (mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=invisible") <
            0)
                STEP("mount /proc", mount("proc", "proc", "proc",
                                          MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2"));
        static const char *const masked_files[] = { "proc/kcore",       "proc/keys",
                                                    "proc/key-users",   "proc/timer_list",
                                                    "proc/sched_debug", "proc/sysrq-trigger",
                                                    "proc/latency_stats", "proc/kallsyms",
                                                    "proc/kpagecount",  "proc/kpageflags",
                                                    "proc/kpagecgroup", "proc/config.gz" };
        for (size_t i = 0; i < ARRAY_SIZE(masked_files); i++)
                if (access(masked_files[i], F_OK) == 0)
                        STEP("mask /proc file",
                             mount("dev/null", masked_files[i], NULL, MS_BIND, NULL));
        static const char *const masked_dirs[] = { "proc/acpi", "proc/scsi", "proc/asound",
                                                   "proc/driver" };
        for (size_t i = 0; i < ARRAY_SIZE(masked_dirs); i++)
                if (access(masked_dirs[i], F_OK) == 0)
                        STEP("mask /proc dir",
                             mount("tmpfs", masked_dirs[i], "tmpfs",
                                   MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                   "size=4k,mode=0555"));
        static const char *const ro_dirs[] = { "proc/sys", "proc/irq", "proc/bus", "proc/fs" };
        for (size_t i = 0; i < ARRAY_SIZE(ro_dirs); i++) {
                if (access(ro_dirs[i], F_OK) != 0)
                        continue;
                STEP("bind /proc subdir", mount(ro_dirs[i], ro_dirs[i], NULL, MS_BIND | MS_REC, NULL));
                STEP("remount /proc subdir read-only",
                     remount(ro_dirs[i], MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC));
        }

        /* The root itself becomes read-only. */
        STEP("remount / read-only", mount(NULL, ".", NULL,
                                          MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
                                          "mode=0755,size=4m,nr_inodes=4096"));

        /* pivot_root(".", ".") stacks the old root on top of the new one;
         * detaching it leaves only our tree (bubblewrap's idiom). */
        STEP("pivot_root", syscall(SYS_pivot_root, ".", "."));
        STEP("make old root private", mount(NULL, ".", NULL, MS_REC | MS_PRIVATE, NULL));
        STEP("detach old root", umount2(".", MNT_DETACH));
        STEP("chdir /", chdir("/"));
        STEP("chdir /workspace", chdir("/workspace"));
        return 0;
}
