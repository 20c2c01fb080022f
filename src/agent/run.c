/* run.c - <exec>: run one command and end its whole process tree.
 *
 * The agent is PID 1 of the sandbox's PID namespace.  When the command's
 * main process exits (or its timeout fires), kill(-1, SIGKILL) from PID 1
 * reaches every other process in the namespace, daemons and double-forked
 * children included, and the agent reaps them all before answering.  We
 * wait for the main process's exit, never for pipe EOF, so a background
 * process holding stdout cannot stretch a command to its timeout.
 */
#include "agent/agent.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Head + tail capture of one output stream, bounded by `cap` bytes. */
typedef struct {
        lr_buf_t head;
        char *ring;
        size_t ring_cap, ring_start, ring_len;
        uint64_t total;
} capture_t;

static void capture_init(capture_t *c, size_t cap)
{
        size_t head = cap / 2;
        lr_buf_init(&c->head, head ? head : 1);
        c->ring_cap = cap - head;
        c->ring = c->ring_cap ? lr_xmalloc(c->ring_cap) : NULL;
        c->ring_start = c->ring_len = 0;
        c->total = 0;
}

static void capture_add(capture_t *c, const char *p, size_t n)
{
        c->total += n;
        size_t room = c->head.cap - c->head.len;
        size_t h = n < room ? n : room;
        if (h) {
                lr_buf_append(&c->head, p, h);
                p += h;
                n -= h;
        }
        if (!c->ring_cap)
                return;
        if (n >= c->ring_cap) {
                p += n - c->ring_cap;
                n = c->ring_cap;
        }
        for (size_t i = 0; i < n; i++) {
                size_t pos = (c->ring_start + c->ring_len) % c->ring_cap;
                c->ring[pos] = p[i];
                if (c->ring_len < c->ring_cap)
                        c->ring_len++;
                else
                        c->ring_start = (c->ring_start + 1) % c->ring_cap;
        }
}

static void capture_put(capture_t *c, lr_buf_t *out, lr_tag_t thead, lr_tag_t ttail,
                        lr_tag_t ttotal)
{
        lr_wire_put(out, thead, c->head.data ? c->head.data : "", c->head.len);
        char *tail = lr_xmalloc(c->ring_len ? c->ring_len : 1);
        for (size_t i = 0; i < c->ring_len; i++)
                tail[i] = c->ring[(c->ring_start + i) % c->ring_cap];
        lr_wire_put(out, ttail, tail, c->ring_len);
        free(tail);
        lr_wire_put_u64(out, ttotal, c->total);
}

static void capture_free(capture_t *c)
{
        lr_buf_free(&c->head);
        free(c->ring);
}

/* Read what is available; returns 1 at EOF, 0 otherwise. */
static int drain(int fd, capture_t *c)
{
        char buf[65536];
        for (;;) {
                ssize_t n = read(fd, buf, sizeof buf);
                if (n > 0) {
                        capture_add(c, buf, (size_t)n);
                        continue;
                }
                if (n == 0)
                        return 1;
                if (errno == EINTR)
                        continue;
                if (errno == EAGAIN)
                        return 0;
                return 1; /* treat read errors as EOF */
        }
}

/* Signal every process of the command.  As PID 1 that is kill(-1): it
 * reaches all processes of the namespace except ourselves, whatever session
 * or process group they moved to.  Outside PID 1 (unit tests only) the
 * command's process group is the best we can do. */
static void kill_tree(pid_t pgid, int sig)
{
        if (getpid() == 1)
                kill(-1, sig);
        else
                kill(-pgid, sig);
}

static int signalfd_chld(void)
{
        static int sfd = -1;
        if (sfd >= 0)
                return sfd;
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        /* SIGCHLD is blocked and read from a signalfd, so the poll loop wakes
         * on child exit without a racy handler.  A command can send us a
         * spurious SIGCHLD; that only causes an extra waitpid(WNOHANG). */
        sigprocmask(SIG_BLOCK, &set, NULL);
        sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        return sfd;
}

/* Fast path: a command that is a plain list of words (no quoting,
 * expansion, redirection, globbing or shell syntax) runs without the shell,
 * saving an exec.  Anything else, or a first word that is a shell builtin
 * or not found on PATH, goes through /bin/sh -c as written. */
#define MAX_WORDS 64

static bool simple_words(char *buf, char **argv)
{
        static const char *const builtins[] = {
                "cd", "export", "set", "unset", "exit", "exec", "alias", "source", ".",
                "eval", "readonly", "shift", "trap", "ulimit", "umask", "wait", "read",
                "return", "break", "continue", "local", "type", "command", "hash", "times",
                "getopts", "jobs", "fg", "bg", ":", "unalias", "let", "declare", "typeset",
        };
        for (const char *p = buf; *p; p++) {
                unsigned char c = (unsigned char)*p;
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      strchr(" _-./=:,+@%", c)))
                        return false;
        }
        int n = 0;
        char *save = NULL; /* strtok_r: the child shares our memory (spawn()) */
        for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
                if (n == MAX_WORDS)
                        return false;
                argv[n++] = t;
        }
        argv[n] = NULL;
        if (n == 0 || strchr(argv[0], '='))
                return false; /* empty, or VAR=value assignments */
        for (size_t i = 0; i < ARRAY_SIZE(builtins); i++)
                if (strcmp(argv[0], builtins[i]) == 0)
                        return false;
        return true;
}

/* execve() the words directly, searching PATH from the command's own
 * environment; returns only if nothing was found. */
static void exec_words(lr_agent_t *a, char **argv)
{
        if (strchr(argv[0], '/')) {
                execve(argv[0], argv, a->envp);
                return;
        }
        const char *path = "/usr/local/bin:/usr/bin:/bin";
        for (char **e = a->envp; *e; e++)
                if (strncmp(*e, "PATH=", 5) == 0)
                        path = *e + 5;
        char full[4096];
        for (const char *d = path; *d;) {
                const char *end = strchr(d, ':');
                size_t dl = end ? (size_t)(end - d) : strlen(d);
                if (dl > 0 && dl + strlen(argv[0]) + 2 < sizeof full) {
                        memcpy(full, d, dl);
                        full[dl] = '/';
                        memcpy(full + dl + 1, argv[0], strlen(argv[0]) + 1);
                        execve(full, argv, a->envp);
                }
                if (!end)
                        break;
                d = end + 1;
        }
}

static __attribute__((noreturn)) void child_exec(lr_agent_t *a, const char *cmd, int in_fd,
                                                 int out_fd, int err_fd, int report_fd)
{
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        /* Dispositions set to SIG_IGN survive execve; commands get defaults. */
        signal(SIGPIPE, SIG_DFL);

        /* Own session: no controlling terminal, and a process group the
         * non-PID-1 fallback can signal as a whole. */
        setsid();

        if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
                goto fail;
        if (chdir(a->cwd) < 0)
                goto fail;

        struct rlimit rl;
        rl = (struct rlimit){ a->nofile, a->nofile };
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                goto fail;
        rl = (struct rlimit){ a->fsize, a->fsize };
        if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
                goto fail;
        rl = (struct rlimit){ 0, 0 };
        setrlimit(RLIMIT_CORE, &rl);

        /* No fd beyond 0-2 crosses into the command (CVE-2024-21626 class):
         * mark them all close-on-exec.  report_fd is already CLOEXEC and
         * closes on a successful exec, telling the parent it worked. */
        if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
                for (int fd = 3; fd < 65536; fd++)
                        if (fd != report_fd)
                                close(fd);
        }

        if (strlen(cmd) < 4096) {
                char words[4096];
                char *wargv[MAX_WORDS + 1];
                memcpy(words, cmd, strlen(cmd) + 1);
                if (simple_words(words, wargv))
                        exec_words(a, wargv); /* returns only if not found */
        }
        char *argv[] = { "sh", "-c", (char *)cmd, NULL };
        execve(a->shell, argv, a->envp);
fail:;
        int e = errno;
        (void)!write(report_fd, &e, sizeof e);
        _exit(127);
}

/* Starting a command: clone(CLONE_VM | CLONE_VFORK), as posix_spawn does,
 * instead of fork().  The child borrows our address space until its
 * execve, so neither copying our page tables at fork nor tearing a copy
 * down at exec is paid per command (the native agent is a fork of the
 * whole runtime, libraries and heap included).  The child runs on its own
 * stack, touches only that stack and the kernel (syscalls, no allocation,
 * no stdio, strtok_r rather than strtok), and we are suspended until it
 * has exec'd or exited. */
#define SPAWN_STACK (256u << 10)

/* Under AddressSanitizer the child would run instrumented code and ASan's
 * interceptors on our memory and shadow, poisoning frames on a stack that
 * the next command reuses: ASan builds start commands with fork(). */
#if defined(__SANITIZE_ADDRESS__)
#define SPAWN_SHARED_VM 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPAWN_SHARED_VM 0
#endif
#endif
#ifndef SPAWN_SHARED_VM
#define SPAWN_SHARED_VM 1
#endif

typedef struct {
        lr_agent_t *a;
        const char *cmd;
        int in, out, err, report;
} spawn_args_t;

static int spawn_child(void *arg)
{
        spawn_args_t *s = arg;
        child_exec(s->a, s->cmd, s->in, s->out, s->err, s->report);
}

static pid_t spawn(lr_agent_t *a, const char *cmd, int in, int out, int err, int report)
{
        static char *stack;
        if (SPAWN_SHARED_VM && !stack) {
                void *m = mmap(NULL, SPAWN_STACK, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
                stack = m == MAP_FAILED ? NULL : m;
        }
        if (stack) {
                spawn_args_t s = { a, cmd, in, out, err, report };
                pid_t pid = clone(spawn_child, stack + SPAWN_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD,
                                  &s);
                if (pid >= 0 || errno != EINVAL)
                        return pid;
        }
        pid_t pid = fork();
        if (pid == 0)
                child_exec(a, cmd, in, out, err, report);
        return pid;
}

/* The OOM-kill count of the cgroup we are in, where the container's
 * cgroup is mounted at /sys/fs/cgroup (Docker, Podman: v2 memory.events,
 * v1 memory/memory.oom_control).  The native backend reads it on the host
 * instead; the host only uses this to word an error message. */
static int oom_kills(uint64_t *ret)
{
        static const char *const files[] = { "/sys/fs/cgroup/memory.events",
                                             "/sys/fs/cgroup/memory/memory.oom_control" };
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                int fd = open(files[i], O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                char buf[1024];
                ssize_t n = lr_read_full(fd, buf, sizeof buf - 1);
                lr_close(fd);
                if (n <= 0)
                        continue;
                buf[n] = '\0';
                char *p = strstr(buf, "oom_kill ");
                if (!p)
                        continue;
                *ret = strtoull(p + 9, NULL, 10);
                return 0;
        }
        return -1;
}

void lr_agent_do_exec(lr_agent_t *a, const lr_msg_view_t *req, lr_buf_t *out)
{
        _cleanup_free_ char *cmd = NULL;
        const lr_field_t *in = &req->f[LR_T_STDIN];
        uint64_t timeout_ms = lr_wire_u64_or(req, LR_T_TIMEOUT_MS, 30000);
        uint64_t outcap = lr_wire_u64_or(req, LR_T_OUTCAP, 256 * 1024);
        int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, pi[2] = { -1, -1 }, pr[2] = { -1, -1 };
        capture_t co, ce;
        int sfd = signalfd_chld();

        if (lr_wire_get_str(req, LR_T_CMD, &cmd, NULL) < 0) {
                lr_agent_result_error(out, LR_E_INVALID, 0, "invalid command");
                return;
        }
        if (outcap > 64u << 20)
                outcap = 64u << 20;
        if (sfd < 0 || pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0 ||
            pipe2(pr, O_CLOEXEC) < 0) {
                int e = errno;
                lr_agent_result_error(out, LR_E_EXEC_FAILED, e, "cannot set up pipes: %s",
                                      strerror(e));
                goto close_pipes;
        }
        if (in->present) {
                if (pipe2(pi, O_CLOEXEC) < 0) {
                        int e = errno;
                        lr_agent_result_error(out, LR_E_EXEC_FAILED, e,
                                              "cannot set up pipes: %s", strerror(e));
                        goto close_pipes;
                }
        } else {
                pi[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
        }

        uint64_t start = lr_now_ns();
        pid_t pid = spawn(a, cmd, pi[0], po[1], pe[1], pr[1]);
        if (pid < 0) {
                int e = errno;
                lr_agent_result_error(out, LR_E_EXEC_FAILED, e, "cannot start the command: %s",
                                      strerror(e));
                goto close_pipes;
        }
        pi[0] = lr_close(pi[0]);
        po[1] = lr_close(po[1]);
        pe[1] = lr_close(pe[1]);
        pr[1] = lr_close(pr[1]);

        /* The report pipe reaches EOF when the child's exec closes it (or
         * carries its errno when it could not start).  After a vfork-style
         * spawn that has already happened; after fork() this waits for it. */
        int exec_errno = 0;
        bool exec_failed;
        {
                ssize_t r;
                while ((r = read(pr[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR)
                        ;
                exec_failed = r == (ssize_t)sizeof exec_errno;
        }
        /* Under memory pressure the kernel should kill the command, not the
         * agent that reports on it.  Set here, once it has exec'd: before that
         * it is still non-dumpable like us, and its /proc files are not
         * its own to write.  Raising a score needs no privilege, and the
         * command's children inherit it. */
        {
                char path[64];
                snprintf(path, sizeof path, "/proc/%d/oom_score_adj", (int)pid);
                int oom = open(path, O_WRONLY | O_CLOEXEC);
                if (oom >= 0) {
                        (void)!write(oom, "1000", 4);
                        close(oom);
                }
        }

        lr_fd_nonblock(po[0], true);
        lr_fd_nonblock(pe[0], true);
        if (pi[1] >= 0)
                lr_fd_nonblock(pi[1], true);

        capture_init(&co, (size_t)outcap);
        capture_init(&ce, (size_t)outcap);

        size_t in_off = 0;
        if (pi[1] >= 0 && in->len == 0)
                pi[1] = lr_close(pi[1]);

        uint64_t deadline = start + timeout_ms * 1000000ull;
        bool timed_out = false, main_done = false, killed = false;
        int wstatus = 0;
        bool out_eof = false, err_eof = false;

        while (!main_done) {
                struct pollfd pfd[5];
                int n = 0;
                int i_out = -1, i_err = -1, i_in = -1, i_host = -1;
                pfd[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
                /* The host hanging up (its end of the channel closed) ends
                 * the command: natively the parent-death signal does it, in
                 * a container this is the only sign that the host is gone. */
                if (!killed)
                        i_host = n, pfd[n++] = (struct pollfd){ .fd = a->chan_in, .events = 0 };
                if (!out_eof)
                        i_out = n, pfd[n++] = (struct pollfd){ .fd = po[0], .events = POLLIN };
                if (!err_eof)
                        i_err = n, pfd[n++] = (struct pollfd){ .fd = pe[0], .events = POLLIN };
                if (pi[1] >= 0)
                        i_in = n, pfd[n++] = (struct pollfd){ .fd = pi[1], .events = POLLOUT };

                uint64_t now = lr_now_ns();
                int wait_ms;
                if (now >= deadline) {
                        if (!timed_out) {
                                /* Timeout: ask politely, then insist. */
                                timed_out = true;
                                kill_tree(pid, SIGTERM);
                                kill_tree(pid, SIGCONT);
                                deadline = now + a->grace_ms * 1000000ull;
                        } else if (!killed) {
                                killed = true;
                                kill_tree(pid, SIGKILL);
                                deadline = now + 3600ull * 1000000000ull;
                        }
                        continue;
                }
                wait_ms = (int)((deadline - now + 999999) / 1000000);
                if (wait_ms > 1000)
                        wait_ms = 1000;
                if (poll(pfd, (nfds_t)n, wait_ms) < 0 && errno != EINTR)
                        break;

                if (i_host >= 0 && (pfd[i_host].revents & (POLLHUP | POLLERR | POLLNVAL))) {
                        killed = true;
                        kill_tree(pid, SIGKILL);
                }
                if (i_out >= 0 && pfd[i_out].revents)
                        out_eof = drain(po[0], &co);
                if (i_err >= 0 && pfd[i_err].revents)
                        err_eof = drain(pe[0], &ce);
                if (i_in >= 0 && pfd[i_in].revents) {
                        ssize_t w = write(pi[1], in->data + in_off, in->len - in_off);
                        if (w > 0)
                                in_off += (size_t)w;
                        if ((w < 0 && errno != EAGAIN && errno != EINTR) || in_off == in->len)
                                pi[1] = lr_close(pi[1]);
                }
                if (pfd[0].revents) {
                        struct signalfd_siginfo si;
                        while (read(sfd, &si, sizeof si) > 0)
                                ;
                }
                /* Reap whatever exited; note the main process's status. */
                for (;;) {
                        int st;
                        pid_t w = waitpid(-1, &st, WNOHANG);
                        if (w <= 0)
                                break;
                        if (w == pid) {
                                wstatus = st;
                                main_done = true;
                        }
                }
        }

        /* The main process is gone: nothing it started may outlive it.  Loop
         * because a fork bomb can race a single kill(-1). */
        for (int round = 0; round < 1000; round++) {
                kill_tree(pid, SIGKILL);
                pid_t w = waitpid(-1, NULL, getpid() == 1 ? 0 : WNOHANG);
                if (w < 0 && errno == ECHILD)
                        break;
                if (w <= 0 && getpid() != 1)
                        break;
        }
        if (pi[1] >= 0)
                pi[1] = lr_close(pi[1]);

        /* All writers are dead, so the pipes reach EOF promptly. */
        for (int spins = 0; (!out_eof || !err_eof) && spins < 200; spins++) {
                struct pollfd pfd[2] = { { .fd = po[0], .events = POLLIN },
                                         { .fd = pe[0], .events = POLLIN } };
                poll(pfd, 2, 10);
                if (!out_eof)
                        out_eof = drain(po[0], &co);
                if (!err_eof)
                        err_eof = drain(pe[0], &ce);
        }
        uint64_t duration = lr_now_ns() - start;


        lr_wire_begin(out, LR_MSG_RESULT);
        if (exec_failed) {
                lr_wire_put_u64(out, LR_T_CODE, LR_E_EXEC_FAILED);
                lr_wire_put_u64(out, LR_T_ERRNO, (uint64_t)exec_errno);
                char msg[256];
                snprintf(msg, sizeof msg, "cannot start %s: %s", a->shell, strerror(exec_errno));
                lr_wire_put_str(out, LR_T_MSG, msg);
        } else {
                lr_wire_put_u64(out, LR_T_CODE, LR_OK);
        }
        int exit_code = 0, sig = 0;
        if (WIFEXITED(wstatus)) {
                exit_code = WEXITSTATUS(wstatus);
        } else if (WIFSIGNALED(wstatus)) {
                sig = WTERMSIG(wstatus);
                exit_code = 128 + sig;
        }
        lr_wire_put_u64(out, LR_T_EXIT, (uint64_t)exit_code);
        lr_wire_put_u64(out, LR_T_SIGNAL, (uint64_t)sig);
        lr_wire_put_u64(out, LR_T_TIMEDOUT, timed_out ? 1 : 0);
        lr_wire_put_u64(out, LR_T_DURATION, duration);
        uint64_t ooms;
        if (oom_kills(&ooms) == 0)
                lr_wire_put_u64(out, LR_T_OOM_KILLS, ooms);
        capture_put(&co, out, LR_T_OUT_HEAD, LR_T_OUT_TAIL, LR_T_OUT_TOTAL);
        capture_put(&ce, out, LR_T_ERR_HEAD, LR_T_ERR_TAIL, LR_T_ERR_TOTAL);
        capture_free(&co);
        capture_free(&ce);

close_pipes:
        lr_close(po[0]);
        lr_close(po[1]);
        lr_close(pe[0]);
        lr_close(pe[1]);
        lr_close(pi[0]);
        lr_close(pi[1]);
        lr_close(pr[0]);
        lr_close(pr[1]);
}
