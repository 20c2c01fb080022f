/* seccomp.c - the syscall filter, built with libseccomp.
 *
 * Policy (SECURITY.md has the reasoning; research notes §1.3):
 *  - only the native architecture: any other audit arch, including i386
 *    via int 0x80 and x32 (nr | 0x40000000), kills the process.  libseccomp
 *    emits the x32 check for x86_64 filters; a hostile test asserts it.
 *  - EPERM for the kernel surface a sandboxed command never needs and that
 *    keeps producing escapes: the mount family, pivot_root, chroot,
 *    namespaces (unshare, setns, namespace flags on clone), ptrace and
 *    process_vm_*, kcmp, pidfd_getfd, the keyring, bpf, perf_event_open,
 *    userfaultfd, io_uring, open_by_handle_at, kexec, modules, and host-wide
 *    knobs (time, swap, reboot, acct, quotas, syslog...).
 *  - ENOSYS for clone3 (BPF cannot read its flags struct, so libc falls back
 *    to clone, which we can check) and the new mount API.
 *  - ioctl TIOCSTI / TIOCLINUX compared on the low 32 bits only
 *    (CVE-2017-5226; CVE-2019-10063 used the high bits to slip past).
 *  - socket()/socketpair() only for AF_UNIX, AF_INET, AF_INET6 (AF_ALG:
 *    CVE-2026-31431; AF_VSOCK, netlink, packet...).
 *  - everything else is allowed: all capabilities are gone, so the
 *    capability-gated calls fail in the kernel anyway.
 *
 * The filter is built on the host before clone; the child only loads it,
 * as its very last step before the agent runs.
 */
#include "sandbox/sandbox.h"

#include <errno.h>
#include <seccomp.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <jansson.h>

#include "core/util.h"

struct lr_seccomp {
        scmp_filter_ctx ctx;
};

static const char *const deny_eperm[] = {
        /* mounts and root changes */
        "mount", "umount", "umount2", "pivot_root", "chroot", "mount_setattr",
        /* namespaces */
        "unshare", "setns",
        /* process inspection and injection */
        "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
        "process_madvise",
        /* kernel keyring: not namespaced */
        "add_key", "request_key", "keyctl",
        /* kernel programs and observability */
        "bpf", "perf_event_open", "userfaultfd", "lookup_dcookie",
        /* io_uring bypasses seccomp for the ops it performs */
        "io_uring_setup", "io_uring_enter", "io_uring_register",
        /* file handles: the "shocker" breakout */
        "open_by_handle_at", "name_to_handle_at",
        /* kernel code loading */
        "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
        "create_module",
        /* host-wide state */
        "reboot", "swapon", "swapoff", "acct", "quotactl", "quotactl_fd", "syslog",
        "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "sethostname",
        "setdomainname", "vhangup", "iopl", "ioperm", "uselib", "ustat", "sysfs", "_sysctl",
        "nfsservctl", "get_kernel_syms", "query_module",
        /* NUMA policy of other processes */
        "move_pages", "migrate_pages", "set_mempolicy_home_node",
        /* fanotify watches the whole filesystem */
        "fanotify_init",
};

static const char *const deny_enosys[] = {
        "clone3", "fsopen", "fsconfig", "fsmount", "fspick", "open_tree", "move_mount",
};

/* The policy is written once, as calls to an emitter: seccomp_build() turns
 * them into a libseccomp filter for the native backend, and
 * seccomp_docker_profile() into the JSON profile Docker and Podman load,
 * so both backends enforce the same rules. */
typedef struct emitter {
        int (*rule)(struct emitter *em, int errnum, const char *name, unsigned n,
                    const struct scmp_arg_cmp *cmp, lr_error_t *err);
        scmp_filter_ctx ctx; /* libseccomp */
        json_t *syscalls;    /* docker profile */
} emitter_t;

static int policy(emitter_t *em, lr_error_t *err)
{
        for (size_t i = 0; i < ARRAY_SIZE(deny_eperm); i++)
                if (em->rule(em, EPERM, deny_eperm[i], 0, NULL, err) < 0)
                        return -1;
        for (size_t i = 0; i < ARRAY_SIZE(deny_enosys); i++)
                if (em->rule(em, ENOSYS, deny_enosys[i], 0, NULL, err) < 0)
                        return -1;

        /* clone with any namespace flag: CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|
         * NEWUSER|NEWPID|NEWNET = 0x7E020000 (moby uses the same mask). */
        {
                /* The filter allows by default, so "deny when any namespace
                 * bit is set" is one rule per bit. */
                static const uint64_t bits[] = { CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS,
                                                 CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
                                                 CLONE_NEWNET };
                for (size_t i = 0; i < ARRAY_SIZE(bits); i++) {
                        struct scmp_arg_cmp cb = SCMP_A0(SCMP_CMP_MASKED_EQ, bits[i], bits[i]);
                        if (em->rule(em, EPERM, "clone", 1, &cb, err) < 0)
                                return -1;
                }
        }

        /* Terminal injection: compare only the low 32 bits of the request,
         * as the kernel does. */
        {
                struct scmp_arg_cmp c1 = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xFFFFFFFFu, TIOCSTI);
                struct scmp_arg_cmp c2 = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xFFFFFFFFu, TIOCLINUX);
                if (em->rule(em, EPERM, "ioctl", 1, &c1, err) < 0 ||
                    em->rule(em, EPERM, "ioctl", 1, &c2, err) < 0)
                        return -1;
        }

        /* Socket families: allow AF_UNIX (1), AF_INET (2), AF_INET6 (10).
         * Deny 0, 3..9 and > 10.  The "> 10" compare is on all 64 bits, so a
         * value with high bits set (which the kernel truncates to int) is
         * denied too. */
        {
                static const char *const calls[] = { "socket", "socketpair" };
                for (size_t k = 0; k < ARRAY_SIZE(calls); k++) {
                        struct scmp_arg_cmp gt = SCMP_A0(SCMP_CMP_GT, AF_INET6);
                        if (em->rule(em, EAFNOSUPPORT, calls[k], 1, &gt, err) < 0)
                                return -1;
                        for (uint64_t fam = 0; fam < AF_INET6; fam++) {
                                if (fam == AF_UNIX || fam == AF_INET)
                                        continue;
                                struct scmp_arg_cmp eq = SCMP_A0(SCMP_CMP_EQ, fam);
                                if (em->rule(em, EAFNOSUPPORT, calls[k], 1, &eq, err) < 0)
                                        return -1;
                        }
                }
        }

        /* personality: refuse the flags that weaken the address space
         * (ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC, MMAP_PAGE_ZERO,
         * ADDR_COMPAT_LAYOUT).  Bit 31 is in the mask and must be clear, so
         * the query personality(0xffffffff) stays allowed. */
        {
                static const uint64_t flags[] = { 0x0040000, 0x0400000, 0x0100000, 0x0200000 };
                for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
                        struct scmp_arg_cmp c =
                                SCMP_A0(SCMP_CMP_MASKED_EQ, flags[i] | 0x80000000u, flags[i]);
                        if (em->rule(em, EPERM, "personality", 1, &c, err) < 0)
                                return -1;
                }
        }
        return 0;
}

static int native_rule(emitter_t *em, int errnum, const char *name, unsigned n,
                       const struct scmp_arg_cmp *cmp, lr_error_t *err)
{
        int nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR)
                return 0; /* not on this architecture */
        int r = seccomp_rule_add_array(em->ctx, SCMP_ACT_ERRNO((uint32_t)errnum), nr, n, cmp);
        if (r < 0)
                return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, -r,
                                    "seccomp rule for %s: %s", name, strerror(-r));
        return 0;
}

int seccomp_build(lr_seccomp_t **ret, lr_error_t *err)
{
        lr_seccomp_t *f = lr_xcalloc(1, sizeof *f);
        f->ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!f->ctx) {
                free(f);
                return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, 0, "seccomp_init failed");
        }
        /* Other architectures (i386 via int 0x80, x32) are killed outright. */
        int r = seccomp_attr_set(f->ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
        if (r < 0) {
                lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, -r, "seccomp: %s", strerror(-r));
                goto fail;
        }
        emitter_t em = { .rule = native_rule, .ctx = f->ctx };
        if (policy(&em, err) < 0)
                goto fail;
        *ret = f;
        return 0;
fail:
        seccomp_free(f);
        return -1;
}

static const char *op_name(enum scmp_compare op)
{
        switch (op) {
        case SCMP_CMP_NE: return "SCMP_CMP_NE";
        case SCMP_CMP_LT: return "SCMP_CMP_LT";
        case SCMP_CMP_LE: return "SCMP_CMP_LE";
        case SCMP_CMP_EQ: return "SCMP_CMP_EQ";
        case SCMP_CMP_GE: return "SCMP_CMP_GE";
        case SCMP_CMP_GT: return "SCMP_CMP_GT";
        case SCMP_CMP_MASKED_EQ: return "SCMP_CMP_MASKED_EQ";
        default: return NULL;
        }
}

static int docker_rule(emitter_t *em, int errnum, const char *name, unsigned n,
                       const struct scmp_arg_cmp *cmp, lr_error_t *err)
{
        /* Docker's profile format: conditions in one entry are ANDed, entries
         * are ORed; for SCMP_CMP_MASKED_EQ "value" is the mask and
         * "valueTwo" the expected value, as in libseccomp. */
        json_t *args = json_array();
        for (unsigned i = 0; i < n; i++) {
                const char *op = op_name(cmp[i].op);
                if (!op) {
                        json_decref(args);
                        return lr_error_set(err, LR_E_INTERNAL, 0, "seccomp: no JSON for op %d",
                                            (int)cmp[i].op);
                }
                json_array_append_new(args, json_pack("{s:I,s:I,s:I,s:s}", "index",
                                                      (json_int_t)cmp[i].arg, "value",
                                                      (json_int_t)cmp[i].datum_a, "valueTwo",
                                                      (json_int_t)cmp[i].datum_b, "op", op));
        }
        json_array_append_new(em->syscalls,
                              json_pack("{s:[s],s:s,s:i,s:o}", "names", name, "action",
                                        "SCMP_ACT_ERRNO", "errnoRet", errnum, "args", args));
        return 0;
}

int seccomp_docker_profile(char **ret, lr_error_t *err)
{
        emitter_t em = { .rule = docker_rule, .syscalls = json_array() };
        if (policy(&em, err) < 0) {
                json_decref(em.syscalls);
                return -1;
        }
        /* Only the native architecture is listed: a syscall from any other
         * (i386 via int 0x80, x32) matches no architecture and gets the
         * runtime's bad-architecture action instead of the default allow. */
#if defined(__x86_64__)
        const char *arch = "SCMP_ARCH_X86_64";
#elif defined(__aarch64__)
        const char *arch = "SCMP_ARCH_AARCH64";
#else
#error "add this architecture's SCMP_ARCH name"
#endif
        json_t *p = json_pack("{s:s,s:[s],s:o}", "defaultAction", "SCMP_ACT_ALLOW",
                              "architectures", arch, "syscalls", em.syscalls);
        *ret = json_dumps(p, JSON_COMPACT);
        json_decref(p);
        return *ret ? 0 : lr_error_set(err, LR_E_INTERNAL, 0, "seccomp: JSON encoding failed");
}

int seccomp_child_load(lr_seccomp_t *f)
{
        return seccomp_load(f->ctx);
}

void seccomp_free(lr_seccomp_t *f)
{
        if (!f)
                return;
        seccomp_release(f->ctx);
        free(f);
}
