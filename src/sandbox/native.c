/* native.c - the recipe: how a sandbox is built, in order, in one place.
 *
 * Host side (before clone): check the kernel allows user namespaces; plan
 * the id map; open every host path the mounts need; build the seccomp
 * filter; create the cgroup; make the channel.
 *
 * clone(NEWUSER|NEWNS|NEWPID|NEWNET|NEWIPC|NEWUTS): the child is PID 1 of
 * the new PID namespace, born inside its cgroup where the kernel allows it
 * (clone_sandbox), and waits on the sync pipe.
 *
 * Host side (after clone): step back out of the cgroup (v1), write the
 * child's id maps and release it ("g"); if it was not born inside, attach
 * it to the cgroup while it builds its mounts; release it again ("c"),
 * then wait for its report: EOF means it reached the agent, a record
 * means a step failed (step name + errno).
 *
 * Child side, in this order (each step's reason is at the step):
 *   0. open the mount sources     mount.c, with the caller's credentials
 *   1. switch to the sandbox uid  userns.c; capabilities in the new user
 *                                 namespace are kept until step 6
 *   2. sethostname                UTS namespace
 *   3. mounts + pivot_root        mount.c
 *   4. loopback up                net.c
 *   5. wait for "c" (in its cgroup), then unshare(CLONE_NEWCGROUP), so
 *      the namespace's root is the sandbox's own cgroup
 *   6. drop every capability      caps.c
 *   7. parent-death signal, not dumpable, no_new_privs
 *   8. setsid, fds 0-2 to /dev/null, close every other fd but the channel
 *   9. seccomp                    last: nothing after it needs a syscall
 *                                 it denies
 *  10. agent loop                 agent.c
 */
#include "sandbox/sandbox.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/agent.h"
#include "docker/docker.h"
#include "core/util.h"

#define SETUP_TIMEOUT_MS 20000
#define CHAN_FD 3

struct lr_sandbox {
        pid_t pid;
        int chan;
        lr_cgroup_t *cg;
        lr_docker_t *docker; /* set for the docker backend, which owns chan */
        char desc[768];
};

typedef struct {
        int err;
        char step[PATH_MAX + 64];
} report_t;

typedef struct {
        const lr_idmap_t *map;
        lr_mount_plan_t *mounts;
        lr_seccomp_t *seccomp;
        int sync_fd;   /* read end: one byte = go */
        int report_fd; /* write end: a report_t on failure, EOF on success */
        int chan_fd;   /* our end of the channel */
} child_ctx_t;

static __attribute__((noreturn)) void child_fail(int report_fd, const char *step)
{
        report_t r = { .err = errno };
        snprintf(r.step, sizeof r.step, "%s", step);
        (void)!write(report_fd, &r, sizeof r);
        _exit(1);
}

#define CHILD_STEP(name, expr)                                                                     \
        do {                                                                                       \
                if ((expr) < 0)                                                                    \
                        child_fail(c->report_fd, (name));                                         \
        } while (0)

static __attribute__((noreturn)) void child_main(const child_ctx_t *c)
{
        char go;
        const char *step = NULL;

        /* Wait until the host has written our id maps.  EOF means the host
         * gave up. */
        if (read(c->sync_fd, &go, 1) != 1)
                _exit(1);

        /* Open the mount sources while we still have the caller's
         * credentials: a root caller may sandbox a workspace or image under
         * a directory only root can traverse. */
        if (mount_child_open_sources(c->mounts, &step) < 0)
                child_fail(c->report_fd, step);
        /* Then become the sandbox user.  Capabilities in our own user
         * namespace survive the switch (inside uid 0 is unmapped, so no
         * "leaving root" rule fires), and files we create on the tmpfs
         * mounts below need an owner that is mapped in this namespace. */
        CHILD_STEP("switch to the sandbox user", userns_child_switch(c->map));
        CHILD_STEP("sethostname", sethostname("sandbox", 7));
        if (mount_child_setup(c->mounts, &step) < 0)
                child_fail(c->report_fd, step);
        CHILD_STEP("bring up loopback", net_child_loopback_up());
        /* The host moves us into the sandbox cgroup while we build the
         * mounts (a v1 attach waits for an RCU grace period, milliseconds
         * we would otherwise add to every session).  Nothing of the model's
         * runs before this second byte: we wait for it here. */
        if (read(c->sync_fd, &go, 1) != 1)
                _exit(1);
        close(c->sync_fd);
        CHILD_STEP("unshare cgroup namespace", unshare(CLONE_NEWCGROUP));
        CHILD_STEP("drop capabilities", caps_child_drop_all());
        /* Credentials changed above; these flags are reset by credential
         * changes, so they come after. */
        CHILD_STEP("set parent-death signal", prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0));
        /* Not dumpable: commands (same uid) cannot ptrace us, read our
         * memory, or open our /proc entries, and hidepid hides us. */
        CHILD_STEP("set non-dumpable", prctl(PR_SET_DUMPABLE, 0, 0, 0, 0));
        CHILD_STEP("set no_new_privs", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));

        /* Detach from the caller's terminal (TIOCSTI, CVE-2017-5226). */
        if (getsid(0) != getpid())
                CHILD_STEP("setsid", setsid());
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        CHILD_STEP("open /dev/null", null);
        for (int fd = 0; fd < 3; fd++)
                CHILD_STEP("redirect stdio", dup2(null, fd));

        /* The channel becomes fd 3 and everything above it is closed; the
         * report pipe is closed only at the very end, by close_range. */
        if (c->chan_fd != CHAN_FD) {
                CHILD_STEP("move channel", dup3(c->chan_fd, CHAN_FD, O_CLOEXEC));
        }
        int r = seccomp_child_load(c->seccomp);
        if (r < 0) {
                errno = -r;
                child_fail(c->report_fd, "load seccomp filter");
        }
        /* Last: close everything but the channel, the report pipe included;
         * its EOF tells the host that setup is complete. */
        if (syscall(SYS_close_range, CHAN_FD + 1, ~0U, 0) < 0) {
                for (int fd = CHAN_FD + 1; fd < 65536; fd++)
                        close(fd);
        }
        /* The agent is a fork of the runtime and still holds the caller's
         * environment; commands get their own allowlisted envp, and the
         * agent needs none of it. */
        clearenv();
        _exit(lr_agent_main(CHAN_FD, CHAN_FD));
}

/* Refuse early, with the fix, when the kernel forbids what we need. */
static int check_userns(lr_error_t *err)
{
        char buf[32];
        int fd = open("/proc/sys/user/max_user_namespaces", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
                ssize_t n = read(fd, buf, sizeof buf - 1);
                close(fd);
                if (n > 0) {
                        buf[n] = '\0';
                        if (strtol(buf, NULL, 10) == 0)
                                return lr_error_set(
                                        err, LR_E_SANDBOX_UNAVAILABLE, 0,
                                        "user namespaces are disabled "
                                        "(/proc/sys/user/max_user_namespaces is 0); enable them "
                                        "with `sysctl -w user.max_user_namespaces=15000`, or use "
                                        "another backend");
                }
        }
        if (geteuid() != 0) {
                fd = open("/proc/sys/kernel/unprivileged_userns_clone", O_RDONLY | O_CLOEXEC);
                if (fd >= 0) {
                        ssize_t n = read(fd, buf, sizeof buf - 1);
                        close(fd);
                        if (n > 0 && buf[0] == '0')
                                return lr_error_set(
                                        err, LR_E_SANDBOX_UNAVAILABLE, 0,
                                        "unprivileged user namespaces are disabled "
                                        "(kernel.unprivileged_userns_clone=0); enable them with "
                                        "`sysctl -w kernel.unprivileged_userns_clone=1`");
                }
        }
        return 0;
}

static int wait_report(int fd, const lr_idmap_t *map, lr_error_t *err)
{
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int r = poll(&pfd, 1, SETUP_TIMEOUT_MS);
        if (r == 0)
                return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, ETIMEDOUT,
                                    "sandbox setup did not finish within %d ms",
                                    SETUP_TIMEOUT_MS);
        report_t rep;
        ssize_t n = lr_read_full(fd, &rep, sizeof rep);
        if (n == 0)
                return 0; /* EOF: the child reached the agent */
        if (n != (ssize_t)sizeof rep)
                return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, errno,
                                    "sandbox setup failed (no report from the child)");
        rep.step[sizeof rep.step - 1] = '\0';
        char hint[256] = "";
        bool denied = rep.err == EPERM || rep.err == EACCES;
        if (denied && strcmp(rep.step, "chdir /workspace") == 0)
                snprintf(hint, sizeof hint,
                         "; the sandbox user is host uid %u%s, which cannot enter the workspace: "
                         "give the workspace to an unprivileged user (SECURITY.md, \"Identity\")",
                         map->host_uid, map->host_is_root && map->host_uid == 65534
                                                ? " (nobody, because the workspace is owned by root)"
                                                : "");
        else if (denied && (strstr(rep.step, "mount") || strstr(rep.step, "bind") ||
                            strstr(rep.step, "pivot")))
                snprintf(hint, sizeof hint,
                         " (is this running inside a container, or under a security module "
                         "that forbids mounts in user namespaces?)");
        return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, rep.err,
                            "sandbox setup failed at '%s': %s%s", rep.step, strerror(rep.err),
                            hint);
}

/* Live sandboxes, for lr_native_emergency_stop().  A fixed array of
 * pointers: a signal handler may walk it, never allocate. */
#define MAX_LIVE 64
static lr_sandbox_t *volatile live[MAX_LIVE];

static void live_add(lr_sandbox_t *sb)
{
        for (size_t i = 0; i < MAX_LIVE; i++)
                if (!live[i]) {
                        live[i] = sb;
                        return;
                }
}

static void live_remove(lr_sandbox_t *sb)
{
        for (size_t i = 0; i < MAX_LIVE; i++)
                if (live[i] == sb)
                        live[i] = NULL;
}

void lr_native_emergency_stop(void)
{
        int saved = errno;
        for (size_t i = 0; i < MAX_LIVE; i++) {
                lr_sandbox_t *sb = live[i];
                if (!sb || sb->pid <= 0)
                        continue;
                /* SIGKILL to PID 1 ends the whole PID namespace; then the
                 * cgroup empties and can be removed. */
                kill(sb->pid, SIGKILL);
                while (waitpid(sb->pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                cgroup_emergency_remove(sb->cg);
        }
        errno = saved;
}

#define SANDBOX_NS_FLAGS                                                                           \
        (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS)

/* The sandbox's PID 1, by a fork-like clone: the child continues on a copy
 * of our stack.  We are single-threaded here, so the child may use malloc
 * (libseccomp does while loading).  CLONE_NEWCGROUP is deliberately not in
 * the flags: see the child's second step.
 *
 * Where it can, the child is born inside its cgroup (*born_inside), which
 * spares the global cgroup lock a later attach would wait for (cgroup.c,
 * cgroup_enter_self): on v2 with clone3(CLONE_INTO_CGROUP), on v1 by
 * stepping this thread into the cgroups around the clone; the caller then
 * steps it back out with cgroup_leave_self().  If neither works (an older
 * kernel, a cgroup we may create but not enter), a plain clone follows and
 * the caller attaches the child afterwards. */
static pid_t clone_sandbox(lr_cgroup_t *cg, bool *born_inside)
{
        *born_inside = false;
        if (cg) {
                int cgfd = cgroup_open_v2_dir(cg);
                if (cgfd >= 0) {
                        pid_t pid = cgroup_clone_into(cgfd, SANDBOX_NS_FLAGS);
                        if (pid == 0)
                                return 0;
                        close(cgfd);
                        if (pid > 0) {
                                *born_inside = true;
                                return pid;
                        }
                        /* ENOSYS (before 5.7) or a cgroup clone3 refuses:
                         * the plain clone below reports any real error. */
                } else if (cgroup_enter_self(cg) == 0) {
                        pid_t pid = (pid_t)syscall(SYS_clone, SANDBOX_NS_FLAGS | SIGCHLD, NULL,
                                                   NULL, NULL, 0);
                        if (pid == 0)
                                return 0;
                        int e = errno;
                        if (pid > 0) {
                                *born_inside = true;
                                return pid;
                        }
                        lr_error_t ignored;
                        (void)cgroup_leave_self(cg, &ignored);
                        errno = e;
                        return -1;
                }
        }
        return (pid_t)syscall(SYS_clone, SANDBOX_NS_FLAGS | SIGCHLD, NULL, NULL, NULL, 0);
}

int lr_native_create(const lr_config_t *cfg, const char *session_id, lr_sandbox_t **ret,
                     lr_error_t *err)
{
        lr_idmap_t map;
        lr_mount_plan_t *mounts = NULL;
        lr_seccomp_t *filter = NULL;
        lr_sandbox_t *sb = lr_xcalloc(1, sizeof *sb);
        int sv[2] = { -1, -1 }, sync[2] = { -1, -1 }, rep[2] = { -1, -1 };
        int r = -1;

        sb->pid = -1;
        sb->chan = -1;

        if (check_userns(err) < 0 || userns_plan(cfg, cfg->root, &map, err) < 0 ||
            mount_plan_new(cfg, cfg->root, &map, &mounts, err) < 0 ||
            seccomp_build(&filter, err) < 0)
                goto out;
        if (cfg->cgroup != LR_CGROUP_OFF && cgroup_create(cfg, session_id, &sb->cg, err) < 0)
                goto out;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ||
            pipe2(sync, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0) {
                lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, errno, "cannot create pipes: %s",
                             strerror(errno));
                goto out;
        }

        bool born_inside = false;
        pid_t pid = clone_sandbox(sb->cg, &born_inside);
        if (pid < 0) {
                int e = errno;
                lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, e,
                             "cannot create the sandbox namespaces: %s%s", strerror(e),
                             e == EPERM || e == ENOSPC
                                     ? " (user namespaces are disabled or exhausted; check "
                                       "sysctl user.max_user_namespaces and "
                                       "kernel.unprivileged_userns_clone)"
                                     : "");
                goto out;
        }
        if (pid == 0) {
                close(sv[0]);
                close(sync[1]);
                close(rep[0]);
                child_ctx_t c = { .map = &map, .mounts = mounts, .seccomp = filter,
                                  .sync_fd = sync[0], .report_fd = rep[1], .chan_fd = sv[1] };
                child_main(&c);
        }
        sb->pid = pid;
        /* v1: this thread stepped into the sandbox cgroups for the clone;
         * out again before anything else is charged there. */
        if (born_inside && sb->cg && cgroup_version(sb->cg) == 1 &&
            cgroup_leave_self(sb->cg, err) < 0)
                goto out;
        sync[0] = lr_close(sync[0]);
        rep[1] = lr_close(rep[1]);
        sv[1] = lr_close(sv[1]);
        sb->chan = TAKE_FD(sv[0]);

        if (userns_parent_write_maps(pid, &map, err) < 0)
                goto out;
        if (lr_write_full(sync[1], "g", 1) < 0) {
                lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, errno, "cannot start the sandbox");
                goto out;
        }
        /* Not born in its cgroup (see clone_sandbox): attach it while it
         * builds its mounts; it waits for the second byte before anything
         * else runs in it. */
        if (sb->cg && !born_inside && cgroup_parent_attach(sb->cg, pid, err) < 0)
                goto out;
        if (lr_write_full(sync[1], "c", 1) < 0) {
                lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, errno, "cannot start the sandbox");
                goto out;
        }
        sync[1] = lr_close(sync[1]);
        if (wait_report(rep[0], &map, err) < 0)
                goto out;

        snprintf(sb->desc, sizeof sb->desc,
                 "native sandbox: pid %d, uid %u->%u, %s%s%s", (int)pid, map.inside_uid,
                 map.host_uid, cgroup_describe(sb->cg), cfg->rootfs ? ", rootfs " : "",
                 cfg->rootfs ? cfg->rootfs : "");
        live_add(sb);
        *ret = sb;
        sb = NULL;
        r = 0;
out:
        lr_close(sv[0]);
        lr_close(sv[1]);
        lr_close(sync[0]);
        lr_close(sync[1]);
        lr_close(rep[0]);
        lr_close(rep[1]);
        mount_plan_free(mounts);
        seccomp_free(filter);
        lr_sandbox_destroy(sb);
        return r;
}

/* Whether this kernel lets us build the native sandbox: a throwaway child
 * tries the namespaces lr_native_create() needs. */
static bool native_possible(char *why, size_t len)
{
        pid_t pid = fork();
        if (pid < 0) {
                snprintf(why, len, "fork: %s", strerror(errno));
                return false;
        }
        if (pid == 0)
                _exit(unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET |
                              CLONE_NEWIPC | CLONE_NEWUTS) < 0
                              ? 1
                              : 0);
        int st = 0;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
                return true;
        snprintf(why, len, "unprivileged user namespaces are not available");
        return false;
}

int lr_sandbox_create(const lr_config_t *cfg, const char *session_id, lr_sandbox_t **ret,
                      lr_error_t *err)
{
        const char *backend = cfg->backend ? cfg->backend : "native";
        char why[128] = "";
        bool chosen = strcmp(backend, "auto") == 0;
        if (chosen)
                backend = native_possible(why, sizeof why) ? "native" : "docker";
        if (strcmp(backend, "docker") != 0) {
                if (lr_native_create(cfg, session_id, ret, err) < 0)
                        return -1;
                if (chosen) {
                        char tmp[sizeof (*ret)->desc];
                        snprintf(tmp, sizeof tmp, "%s", (*ret)->desc);
                        snprintf((*ret)->desc, sizeof (*ret)->desc,
                                 "%s (backend auto: the kernel allows it)", tmp);
                }
                return 0;
        }
        lr_docker_t *d = NULL;
        if (lr_docker_create(cfg, session_id, &d, err) < 0) {
                if (chosen)
                        lr_error_wrap(err, "backend auto chose docker (%s)", why);
                return -1;
        }
        lr_sandbox_t *sb = lr_xcalloc(1, sizeof *sb);
        sb->pid = -1;
        sb->docker = d;
        sb->chan = lr_docker_channel(d);
        snprintf(sb->desc, sizeof sb->desc, "%s%s%s%s", lr_docker_describe(d),
                 chosen ? " (backend auto: " : "", chosen ? why : "", chosen ? ")" : "");
        *ret = sb;
        return 0;
}

bool lr_sandbox_from_pool(const lr_sandbox_t *sb)
{
        return sb->docker && lr_docker_from_pool(sb->docker);
}

const char *lr_sandbox_backend(const lr_sandbox_t *sb)
{
        return sb->docker ? "docker" : "native";
}

int lr_sandbox_channel(const lr_sandbox_t *sb)
{
        return sb->chan;
}

pid_t lr_sandbox_pid(const lr_sandbox_t *sb)
{
        return sb->pid;
}

uint64_t lr_sandbox_oom_kills(const lr_sandbox_t *sb)
{
        if (sb->docker)
                return 0; /* not visible from here; see docker.h */
        return cgroup_oom_kills(sb->cg);
}

const char *lr_sandbox_describe(const lr_sandbox_t *sb)
{
        return sb->desc;
}

void lr_sandbox_destroy(lr_sandbox_t *sb)
{
        if (!sb)
                return;
        if (sb->docker) {
                lr_docker_destroy(sb->docker);
                free(sb);
                return;
        }
        live_remove(sb);
        sb->chan = lr_close(sb->chan);
        if (sb->pid > 0) {
                /* Killing PID 1 of the namespace kills every process in it. */
                kill(sb->pid, SIGKILL);
                while (waitpid(sb->pid, NULL, 0) < 0 && errno == EINTR)
                        ;
        }
        cgroup_destroy(sb->cg);
        free(sb);
}
