/* lr-probe - runs inside the sandbox and reports what it can and cannot do.
 *
 * Built static and without sanitizers (it runs inside the sandbox, where a
 * sanitizer runtime's assumptions do not hold).  Each check prints one line,
 * "<name> BLOCKED <detail>" or "<name> REACHED <detail>", or for `status`
 * "key: value" lines.  The hostile suite asserts on those lines: a REACHED
 * line for an attack is a failure.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static void report(const char *name, long r, int e)
{
        /* A syscall counts as blocked when it fails with EPERM, EACCES or
         * ENOSYS: the errors seccomp, missing capabilities or the LSM give.
         * Anything else (success, EINVAL, EFAULT, EBADF) means the kernel
         * looked at the arguments, so the filter let it through. */
        bool blocked = r == -1 && (e == EPERM || e == EACCES || e == ENOSYS || e == EAFNOSUPPORT);
        printf("%s %s r=%ld errno=%d(%s)\n", name, blocked ? "BLOCKED" : "REACHED", r, e,
               strerror(e));
}

#define TRY(name, call)                                                                            \
        do {                                                                                       \
                errno = 0;                                                                         \
                long r_ = (long)(call);                                                            \
                report(name, r_, errno);                                                           \
        } while (0)

static int cmd_syscalls(void)
{
        char buf[256] = { 0 };
        TRY("ptrace", syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, 1, 0, 0));
        TRY("personality_norandom", syscall(SYS_personality, 0x0040000));
        TRY("keyctl", syscall(SYS_keyctl, 0, -3, 0));
        TRY("add_key", syscall(SYS_add_key, "user", "x", "y", 1, -3));
        TRY("unshare_user", syscall(SYS_unshare, CLONE_NEWUSER));
        TRY("unshare_net", syscall(SYS_unshare, CLONE_NEWNET));
        TRY("unshare_mnt", syscall(SYS_unshare, CLONE_NEWNS));
        TRY("perf_event_open", syscall(SYS_perf_event_open, buf, 0, -1, -1, 0));
        TRY("open_by_handle_at", syscall(SYS_open_by_handle_at, AT_FDCWD, buf, 0));
        TRY("name_to_handle_at", syscall(SYS_name_to_handle_at, AT_FDCWD, ".", buf, buf, 0));
        TRY("setns", syscall(SYS_setns, -1, 0));
        TRY("bpf", syscall(SYS_bpf, 0, buf, 0));
        TRY("userfaultfd", syscall(SYS_userfaultfd, 1));
        TRY("io_uring_setup", syscall(SYS_io_uring_setup, 1, buf));
        TRY("open_tree", syscall(SYS_open_tree, AT_FDCWD, "/", 0));
        TRY("fsopen", syscall(SYS_fsopen, "tmpfs", 0));
        TRY("clone3", syscall(SYS_clone3, buf, 0));
        TRY("mount", syscall(SYS_mount, "x", "/tmp", "tmpfs", 0, 0));
        TRY("umount", syscall(SYS_umount2, "/proc", MNT_DETACH));
        TRY("pivot_root", syscall(SYS_pivot_root, "/", "/"));
        TRY("chroot", syscall(SYS_chroot, "/tmp"));
        TRY("process_vm_readv", syscall(SYS_process_vm_readv, 1, buf, 1, buf, 1, 0));
        TRY("kcmp", syscall(SYS_kcmp, 1, 1, 0, 0, 0));
        TRY("init_module", syscall(SYS_init_module, buf, 0, ""));
        TRY("kexec_load", syscall(SYS_kexec_load, 0, 0, 0, 0));
        TRY("swapon", syscall(SYS_swapon, "/tmp/x", 0));
        TRY("syslog", syscall(SYS_syslog, 3, buf, 10));
        TRY("sethostname", syscall(SYS_sethostname, "x", 1));
        TRY("settimeofday", syscall(SYS_settimeofday, NULL, NULL));
        TRY("reboot", syscall(SYS_reboot, 0, 0, 0, 0));
        /* clone with a namespace flag, through the raw syscall */
        TRY("clone_newuser", syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0));
        return 0;
}

static int cmd_sockets(void)
{
        static const struct {
                const char *name;
                int fam, type;
        } fams[] = {
                { "AF_NETLINK", 16, SOCK_RAW }, { "AF_PACKET", 17, SOCK_RAW },
                { "AF_ALG", 38, SOCK_SEQPACKET }, { "AF_VSOCK", 40, SOCK_STREAM },
                { "AF_KEY", 15, SOCK_RAW },     { "AF_BLUETOOTH", 31, SOCK_RAW },
                { "AF_ALG_highbits", 38, SOCK_SEQPACKET },
        };
        for (size_t i = 0; i < sizeof fams / sizeof fams[0]; i++) {
                long fam = fams[i].fam;
                if (strstr(fams[i].name, "highbits"))
                        fam |= 0x100000000L;
                TRY(fams[i].name, syscall(SYS_socket, fam, fams[i].type, 0));
        }
        /* The allowed families must still work (a local socketpair). */
        int sv[2];
        errno = 0;
        int r = socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
        printf("AF_UNIX %s\n", r == 0 ? "ALLOWED" : "DENIED");
        return 0;
}

static int cmd_tty(void)
{
        char c = 'x';
        TRY("TIOCSTI", ioctl(0, TIOCSTI, &c));
        TRY("TIOCSTI_highbits", syscall(SYS_ioctl, 0, 0x100000000UL | TIOCSTI, &c));
        TRY("TIOCLINUX", ioctl(0, TIOCLINUX, &c));
        int fd = open("/dev/tty", O_RDWR);
        printf("dev_tty %s errno=%d\n", fd < 0 ? "BLOCKED" : "REACHED", fd < 0 ? errno : 0);
        return 0;
}

/* x32 ABI: the syscall number with bit 30 set.  The filter must kill us. */
static int cmd_x32(void)
{
        pid_t pid = fork();
        if (pid == 0) {
                syscall(0x40000000 | SYS_getpid);
                _exit(0);
        }
        int st;
        waitpid(pid, &st, 0);
        if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
                printf("x32 BLOCKED killed by SIGSYS\n");
        else
                printf("x32 REACHED status=%d\n", st);
        return 0;
}

/* i386 ABI through int 0x80: a foreign architecture for the filter. */
static int cmd_i386(void)
{
#if defined(__x86_64__)
        pid_t pid = fork();
        if (pid == 0) {
                long ret;
                __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L /* i386 getpid */) : "memory");
                _exit(ret > 0 ? 0 : 1);
        }
        int st;
        waitpid(pid, &st, 0);
        if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
                printf("i386 BLOCKED killed by SIGSYS\n");
        else
                printf("i386 REACHED status=%d\n", st);
#else
        printf("i386 BLOCKED not an x86_64 build\n");
#endif
        return 0;
}

static void print_status_lines(void)
{
        FILE *f = fopen("/proc/self/status", "r");
        char line[256];
        while (f && fgets(line, sizeof line, f))
                if (!strncmp(line, "Cap", 3) || !strncmp(line, "NoNewPrivs", 10) ||
                    !strncmp(line, "Seccomp:", 8) || !strncmp(line, "Uid", 3) ||
                    !strncmp(line, "Gid", 3) || !strncmp(line, "Groups", 6))
                        fputs(line, stdout);
        if (f)
                fclose(f);
}

static int cmd_status(void)
{
        print_status_lines();
        printf("pid: %d\n", getpid());
        printf("sid_is_self: %d\n", getsid(0) == getpid());
        char cwd[512];
        printf("cwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : "?");
        printf("dumpable: %d\n", prctl(PR_GET_DUMPABLE));
        int fds = 0;
        for (int fd = 0; fd < 1024; fd++)
                if (fcntl(fd, F_GETFD) >= 0)
                        fds++;
        printf("open_fds: %d\n", fds);
        return 0;
}

/* Try to reach the agent (PID 1). */
static int cmd_agent(void)
{
        const char *paths[] = { "/proc/1/environ", "/proc/1/mem", "/proc/1/maps", "/proc/1/exe",
                                "/proc/1/fd/3", "/proc/1/root/etc/passwd" };
        for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
                int fd = open(paths[i], O_RDONLY);
                printf("open:%s %s errno=%d\n", paths[i], fd < 0 ? "BLOCKED" : "REACHED",
                       fd < 0 ? errno : 0);
                if (fd >= 0)
                        close(fd);
        }
        TRY("ptrace_agent", syscall(SYS_ptrace, 16, 1, 0, 0));
        /* The kernel ignores SIGKILL sent to a PID namespace's init from
         * inside it; the test then checks the session still answers. */
        printf("kill_agent sent r=%d\n", kill(1, SIGKILL));
        return 0;
}

int main(int argc, char **argv)
{
        setvbuf(stdout, NULL, _IOLBF, 0);
        const char *c = argc > 1 ? argv[1] : "status";
        if (!strcmp(c, "status"))
                return cmd_status();
        if (!strcmp(c, "syscalls"))
                return cmd_syscalls();
        if (!strcmp(c, "sockets"))
                return cmd_sockets();
        if (!strcmp(c, "tty"))
                return cmd_tty();
        if (!strcmp(c, "x32"))
                return cmd_x32();
        if (!strcmp(c, "agent"))
                return cmd_agent();
        if (!strcmp(c, "i386"))
                return cmd_i386();
        fprintf(stderr, "usage: lr-probe status|syscalls|sockets|tty|x32|i386|agent\n");
        return 2;
}
