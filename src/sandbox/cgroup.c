/* cgroup.c - memory, pids and CPU limits for the whole sandbox.
 *
 * The sandbox's PID 1 is attached to a fresh cgroup before it runs any
 * setup, so everything it ever forks is counted.  Both hierarchies work:
 *
 *  - cgroup v2 (a unified mount at /sys/fs/cgroup with cgroup.controllers):
 *    memory.max + memory.swap.max=0, pids.max, cpu.max.  As root we create
 *    /sys/fs/cgroup/llm-runtime/<name>; otherwise we need a delegated cgroup
 *    (systemd's user@.service delegates one): we move ourselves into a leaf
 *    of our own cgroup so the "no internal processes" rule lets us enable
 *    controllers, and create the sandbox cgroup beside it.
 *  - cgroup v1 (including hybrid systems, where the unified mount has no
 *    controllers): one directory per controller under our own cgroup in
 *    that controller, memory.limit_in_bytes + memory.memsw.limit_in_bytes,
 *    pids.max, cpu.cfs_quota_us.
 *
 * Cgroup names carry the owner's pid and its start time
 * ("llm-runtime.<pid>.<start>.<session>"), so a later run can remove what a
 * killed runtime left behind, even after the pid has been reused.
 */
#include "sandbox/sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <linux/sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"

#define CG_PREFIX "llm-runtime."

/* Where the hierarchy and our membership are read from.  Only the unit
 * tests change these (cgroup_test_set_paths), to run the v1 and v2 code on
 * a fake tree: this machine's hybrid layout cannot host a real v2 one. */
static const char *cg_root = "/sys/fs/cgroup";
static const char *cg_self = "/proc/self/cgroup";
/* A fake tree has no kernel-made control files: tests let writes create
 * them.  Production never creates files in cgroupfs. */
static int cg_write_flags = O_WRONLY | O_CLOEXEC;

/* In a fake tree, the files the kernel would create in a new cgroup
 * directory (e.g. memory.swap.max), so the code that probes for them runs. */
static const char *const *fake_kernel_files;

void cgroup_test_set_paths(const char *root, const char *self_cgroup)
{
        cg_root = root;
        cg_self = self_cgroup;
        cg_write_flags = O_WRONLY | O_CLOEXEC | O_CREAT | O_TRUNC;
}

void cgroup_test_set_kernel_files(const char *const *names)
{
        fake_kernel_files = names;
}

/* mkdir of a cgroup directory (plus, in a fake tree, its kernel files). */
static int cg_mkdir(const char *dir)
{
        if (mkdir(dir, 0755) < 0)
                return -1;
        for (size_t i = 0; fake_kernel_files && fake_kernel_files[i]; i++) {
                char path[PATH_MAX];
                snprintf(path, sizeof path, "%s/%s", dir, fake_kernel_files[i]);
                int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
                if (fd >= 0)
                        close(fd);
        }
        return 0;
}

struct lr_cgroup {
        int version;
        size_t n;
        char *dirs[3]; /* v1: memory, pids, cpu; v2: one */
        char *parents[3]; /* v1: our own cgroup in each, where dirs[i] lives */
        char *host_leaf; /* v2 non-root: the leaf we moved ourselves into */
        char desc[256];
};

static const char *const v1_ctrls[] = { "memory", "pids", "cpu" };

static int read_small(const char *path, char *buf, size_t len)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        ssize_t n = lr_read_full(fd, buf, len - 1);
        if (n < 0)
                return -1;
        buf[n] = '\0';
        return 0;
}

static int write_str(const char *dir, const char *file, const char *val)
{
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, file);
        _cleanup_close_ int fd = open(path, cg_write_flags, 0644);
        if (fd < 0)
                return -1;
        return lr_write_full(fd, val, strlen(val));
}

static bool file_exists(const char *dir, const char *file)
{
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, file);
        return access(path, F_OK) == 0;
}

/* Our own cgroup path for a v1 controller (or v2 when ctrl is NULL), from
 * /proc/self/cgroup. */
static int own_cgroup(const char *ctrl, char *ret, size_t len)
{
        char buf[8192];
        if (read_small(cg_self, buf, sizeof buf) < 0)
                return -1;
        for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
                char *c1 = strchr(line, ':');
                char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2)
                        continue;
                *c2 = '\0';
                const char *ctrls = c1 + 1;
                const char *path = c2 + 1;
                if (!ctrl) {
                        if (strncmp(line, "0:", 2) == 0 && *ctrls == '\0') {
                                snprintf(ret, len, "%s", path);
                                return 0;
                        }
                        continue;
                }
                char list[256];
                snprintf(list, sizeof list, "%s", ctrls);
                char *save = NULL;
                for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save))
                        if (strcmp(t, ctrl) == 0) {
                                snprintf(ret, len, "%s", path);
                                return 0;
                        }
        }
        errno = ENOENT;
        return -1;
}

static bool is_pure_v2(void)
{
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/cgroup.controllers", cg_root);
        return access(path, F_OK) == 0;
}

/* Kill whatever is still in a cgroup directory and remove it. */
static void cg_remove_dir(const char *dir)
{
        /* Up to 3 s: a killed tree can take a moment to leave the cgroup. */
        for (int tries = 0; tries < 150; tries++) {
                if (rmdir(dir) == 0 || errno == ENOENT)
                        return;
                if (errno != EBUSY)
                        return;
                /* cgroup.kill (v2, >= 5.14) ends everything at once. */
                if (write_str(dir, "cgroup.kill", "1") < 0) {
                        char path[PATH_MAX], buf[65536];
                        snprintf(path, sizeof path, "%s/cgroup.procs", dir);
                        if (read_small(path, buf, sizeof buf) == 0)
                                for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
                                        /* Never ourselves: after a failed
                                         * cgroup_leave_self we are listed. */
                                        pid_t p = (pid_t)strtol(l, NULL, 10);
                                        if (p > 0 && p != getpid())
                                                kill(p, SIGKILL);
                                }
                }
                usleep(20000);
        }
}

/* Whether the runtime that named a cgroup "llm-runtime.<pid>[.<start>]..."
 * is gone.  A live pid with another start time is a reused pid. */
static bool owner_gone(const char *suffix)
{
        char *end;
        long pid = strtol(suffix, &end, 10);
        if (pid <= 0 || pid > INT_MAX)
                return true;
        if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
                return true;
        if (*end != '.')
                return false;
        char *end2;
        unsigned long long start = strtoull(end + 1, &end2, 10);
        if (end2 == end + 1 || *end2 != '.')
                return false; /* no start time in the name: the pid decides */
        unsigned long long now = lr_proc_start_time((pid_t)pid);
        return now != 0 && now != start;
}

static void sweep_dir(const char *parent)
{
        DIR *d = opendir(parent);
        if (!d)
                return;
        struct dirent *e;
        while ((e = readdir(d))) {
                if (strncmp(e->d_name, CG_PREFIX, strlen(CG_PREFIX)) != 0)
                        continue;
                if (owner_gone(e->d_name + strlen(CG_PREFIX))) {
                        char path[PATH_MAX];
                        snprintf(path, sizeof path, "%s/%s", parent, e->d_name);
                        cg_remove_dir(path);
                }
        }
        closedir(d);
}

static int v1_parent(const char *ctrl, char *ret, size_t len)
{
        char own[PATH_MAX];
        if (own_cgroup(ctrl, own, sizeof own) < 0)
                return -1;
        snprintf(ret, len, "%s/%s%s", cg_root, ctrl, strcmp(own, "/") == 0 ? "" : own);
        return 0;
}

void cgroup_sweep_stale(void)
{
        char parent[PATH_MAX];
        if (is_pure_v2()) {
                snprintf(parent, sizeof parent, "%s/llm-runtime", cg_root);
                sweep_dir(parent);
                char own[PATH_MAX];
                if (own_cgroup(NULL, own, sizeof own) == 0) {
                        snprintf(parent, sizeof parent, "%s%s", cg_root, own);
                        sweep_dir(parent);
                }
                return;
        }
        for (size_t i = 0; i < ARRAY_SIZE(v1_ctrls); i++)
                if (v1_parent(v1_ctrls[i], parent, sizeof parent) == 0)
                        sweep_dir(parent);
}

static const char *fix_hint(void)
{
        return "run as root, use a delegated cgroup (e.g. `systemd-run --user --scope -p "
               "Delegate=yes llm-runtime ...`), or pass --cgroup off to rely on rlimits only "
               "(memory, pids and CPU are then not enforced)";
}

static int create_v1(const lr_config_t *cfg, const char *name, lr_cgroup_t *cg, lr_error_t *err)
{
        char buf[64];
        cg->version = 1;
        for (size_t i = 0; i < ARRAY_SIZE(v1_ctrls); i++) {
                char parent[PATH_MAX];
                if (v1_parent(v1_ctrls[i], parent, sizeof parent) < 0)
                        return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, errno,
                                            "cgroup v1 controller '%s' is not available; %s",
                                            v1_ctrls[i], fix_hint());
                cg->dirs[i] = lr_xasprintf("%s/%s", parent, name);
                cg->parents[i] = lr_xstrdup(parent);
                cg->n = i + 1;
                if (cg_mkdir(cg->dirs[i]) < 0)
                        return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, errno,
                                            "cannot create cgroup %s: %s; %s", cg->dirs[i],
                                            strerror(errno), fix_hint());
        }
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)cfg->memory);
        if (write_str(cg->dirs[0], "memory.limit_in_bytes", buf) < 0)
                goto fail;
        /* No swap: memsw (memory+swap) gets the same limit.  Without swap
         * accounting the file is absent; swappiness 0 is the fallback. */
        if (file_exists(cg->dirs[0], "memory.memsw.limit_in_bytes")) {
                if (write_str(cg->dirs[0], "memory.memsw.limit_in_bytes", buf) < 0)
                        goto fail;
        } else {
                (void)write_str(cg->dirs[0], "memory.swappiness", "0");
        }
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)cfg->pids);
        if (write_str(cg->dirs[1], "pids.max", buf) < 0)
                goto fail;
        if (write_str(cg->dirs[2], "cpu.cfs_period_us", "100000") < 0)
                goto fail;
        snprintf(buf, sizeof buf, "%lld", (long long)(cfg->cpus * 100000.0));
        if (write_str(cg->dirs[2], "cpu.cfs_quota_us", buf) < 0)
                goto fail;
        snprintf(cg->desc, sizeof cg->desc, "cgroup v1 (%s)", cg->dirs[0]);
        return 0;
fail:
        return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, errno,
                            "cannot set cgroup v1 limits: %s; %s", strerror(errno), fix_hint());
}

static int enable_controllers(const char *dir)
{
        return write_str(dir, "cgroup.subtree_control", "+memory +pids +cpu");
}

static int create_v2(const lr_config_t *cfg, const char *name, lr_cgroup_t *cg, lr_error_t *err)
{
        char parent[PATH_MAX];
        char buf[64];
        cg->version = 2;
        if (geteuid() == 0) {
                snprintf(parent, sizeof parent, "%s/llm-runtime", cg_root);
                if (mkdir(parent, 0755) < 0 && errno != EEXIST)
                        return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, errno,
                                            "cannot create %s: %s; %s", parent,
                                            strerror(errno), fix_hint());
                if (enable_controllers(cg_root) < 0 || enable_controllers(parent) < 0)
                        return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, errno,
                                            "cannot enable cgroup v2 controllers in %s: %s; %s",
                                            parent, strerror(errno), fix_hint());
        } else {
                char own[PATH_MAX];
                if (own_cgroup(NULL, own, sizeof own) < 0)
                        return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, errno,
                                            "cannot find our cgroup; %s", fix_hint());
                snprintf(parent, sizeof parent, "%s%s", cg_root, own);
                if (enable_controllers(parent) < 0) {
                        /* "No internal processes": move ourselves into a leaf
                         * first, then the parent can delegate controllers. */
                        cg->host_leaf = lr_xasprintf("%s/" CG_PREFIX "%d.host", parent,
                                                     (int)getpid());
                        char pid[32];
                        snprintf(pid, sizeof pid, "%d", (int)getpid());
                        if ((mkdir(cg->host_leaf, 0755) < 0 && errno != EEXIST) ||
                            write_str(cg->host_leaf, "cgroup.procs", pid) < 0 ||
                            enable_controllers(parent) < 0)
                                return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, errno,
                                                    "cgroup v2 %s is not delegated to us (%s); %s",
                                                    parent, strerror(errno), fix_hint());
                }
        }
        cg->dirs[0] = lr_xasprintf("%s/%s", parent, name);
        cg->n = 1;
        if (cg_mkdir(cg->dirs[0]) < 0)
                return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, errno,
                                    "cannot create cgroup %s: %s; %s", cg->dirs[0],
                                    strerror(errno), fix_hint());
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)cfg->memory);
        if (write_str(cg->dirs[0], "memory.max", buf) < 0)
                goto fail;
        if (file_exists(cg->dirs[0], "memory.swap.max") &&
            write_str(cg->dirs[0], "memory.swap.max", "0") < 0)
                goto fail;
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)cfg->pids);
        if (write_str(cg->dirs[0], "pids.max", buf) < 0)
                goto fail;
        snprintf(buf, sizeof buf, "%lld 100000", (long long)(cfg->cpus * 100000.0));
        if (write_str(cg->dirs[0], "cpu.max", buf) < 0)
                goto fail;
        snprintf(cg->desc, sizeof cg->desc, "cgroup v2 (%s)", cg->dirs[0]);
        return 0;
fail:
        return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, errno,
                            "cannot set cgroup v2 limits in %s: %s; %s", cg->dirs[0],
                            strerror(errno), fix_hint());
}

int cgroup_create(const lr_config_t *cfg, const char *name, lr_cgroup_t **ret, lr_error_t *err)
{
        lr_cgroup_t *cg = lr_xcalloc(1, sizeof *cg);
        char full[256];
        snprintf(full, sizeof full, CG_PREFIX "%d.%llu.%s", (int)getpid(),
                 lr_proc_start_time(getpid()), name);
        cgroup_sweep_stale();
        int r = is_pure_v2() ? create_v2(cfg, full, cg, err) : create_v1(cfg, full, cg, err);
        if (r < 0) {
                cgroup_destroy(cg);
                return -1;
        }
        *ret = cg;
        return 0;
}

/* Moving another process into a cgroup (a pid written to cgroup.procs)
 * takes the kernel's global threadgroup rwsem for writing, which waits for
 * an RCU grace period: 5-9 ms on this machine kind, more under load, and
 * the largest single cost of starting a sandbox.  A thread that moves only
 * itself ("0" written to a v1 `tasks` file) skips that lock on current
 * kernels (measured here: 5 us), and a child forked there is born inside.
 * So on v1 the thread that clones the sandbox steps into its cgroups,
 * clones, and steps back out; on v2, clone3(CLONE_INTO_CGROUP) does the
 * same in one call (native.c).  Only the calling thread moves, so other
 * threads of the runtime are never counted against the sandbox. */
int cgroup_enter_self(lr_cgroup_t *cg)
{
        if (cg->version != 1) {
                errno = EOPNOTSUPP;
                return -1;
        }
        for (size_t i = 0; i < cg->n; i++) {
                if (write_str(cg->dirs[i], "tasks", "0") < 0) {
                        int e = errno;
                        while (i-- > 0)
                                (void)write_str(cg->parents[i], "tasks", "0");
                        errno = e;
                        return -1;
                }
        }
        return 0;
}

int cgroup_leave_self(lr_cgroup_t *cg, lr_error_t *err)
{
        int r = 0;
        for (size_t i = 0; i < cg->n; i++)
                if (write_str(cg->parents[i], "tasks", "0") < 0 && r == 0)
                        r = lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, errno,
                                         "cannot move back into %s: %s", cg->parents[i],
                                         strerror(errno));
        return r;
}

int cgroup_version(const lr_cgroup_t *cg)
{
        return cg->version;
}

int cgroup_open_v2_dir(const lr_cgroup_t *cg)
{
        if (cg->version != 2) {
                errno = EOPNOTSUPP;
                return -1;
        }
        return open(cg->dirs[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

pid_t cgroup_clone_into(int cgfd, uint64_t flags)
{
        /* Fork-like (no stack given): the child continues here with 0. */
        struct clone_args args = {
                .flags = flags | CLONE_INTO_CGROUP,
                .exit_signal = SIGCHLD,
                .cgroup = (uint64_t)cgfd,
        };
        return (pid_t)syscall(SYS_clone3, &args, sizeof args);
}

int cgroup_parent_attach(lr_cgroup_t *cg, pid_t pid, lr_error_t *err)
{
        char buf[32];
        snprintf(buf, sizeof buf, "%d", (int)pid);
        for (size_t i = 0; i < cg->n; i++)
                if (write_str(cg->dirs[i], "cgroup.procs", buf) < 0)
                        return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, errno,
                                            "cannot move the sandbox into %s: %s", cg->dirs[i],
                                            strerror(errno));
        return 0;
}

uint64_t cgroup_oom_kills(const lr_cgroup_t *cg)
{
        char path[PATH_MAX], buf[4096];
        if (!cg || cg->n == 0)
                return 0;
        snprintf(path, sizeof path, "%s/%s", cg->dirs[0],
                 cg->version == 2 ? "memory.events" : "memory.oom_control");
        if (read_small(path, buf, sizeof buf) < 0)
                return 0;
        char *p = strstr(buf, "oom_kill ");
        return p ? strtoull(p + 9, NULL, 10) : 0;
}

const char *cgroup_describe(const lr_cgroup_t *cg)
{
        return cg ? cg->desc : "no cgroup (rlimits only)";
}

/* Async-signal-safe removal for lr_native_emergency_stop(): only rmdir
 * and nanosleep, on paths computed long before the signal. */
void cgroup_emergency_remove(const lr_cgroup_t *cg)
{
        if (!cg)
                return;
        for (size_t i = 0; i < cg->n; i++) {
                for (int tries = 0; tries < 100; tries++) {
                        if (rmdir(cg->dirs[i]) == 0 || errno != EBUSY)
                                break;
                        struct timespec ts = { 0, 10 * 1000 * 1000 };
                        nanosleep(&ts, NULL);
                }
        }
}

void cgroup_destroy(lr_cgroup_t *cg)
{
        if (!cg)
                return;
        for (size_t i = 0; i < cg->n; i++) {
                if (cg->dirs[i])
                        cg_remove_dir(cg->dirs[i]);
                free(cg->dirs[i]);
                free(cg->parents[i]);
        }
        free(cg->host_leaf);
        free(cg);
}
