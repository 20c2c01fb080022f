/* sandbox.h - the native namespace backend.
 *
 * lr_native_create() builds one sandbox for a session: user, mount, PID,
 * network, IPC, UTS and cgroup namespaces; a read-only root; the workspace
 * at /workspace; no capabilities; no_new_privs; seccomp; cgroup limits.
 * The sandbox's PID 1 is the agent (agent/agent.h), reachable only through
 * the returned channel fd.
 *
 * Each kernel concern has its own file, with a parent side (runs on the host,
 * before or after clone) and a child side (runs in the new namespaces).  The
 * order of the child-side steps is listed once, in native.c.
 */
#ifndef LR_SANDBOX_H
#define LR_SANDBOX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/config.h"
#include "core/error.h"

typedef struct lr_sandbox lr_sandbox_t;

int lr_native_create(const lr_config_t *cfg, const char *session_id, lr_sandbox_t **ret,
                     lr_error_t *err);
/* The backend the config asks for: native, docker, or auto (native when
 * this kernel allows it, docker otherwise).  The description says which
 * was used and, for auto, why. */
int lr_sandbox_create(const lr_config_t *cfg, const char *session_id, lr_sandbox_t **ret,
                      lr_error_t *err);
const char *lr_sandbox_backend(const lr_sandbox_t *sb); /* "native" or "docker" */
/* Whether a warm-pool container serves it (docker backend). */
bool lr_sandbox_from_pool(const lr_sandbox_t *sb);
int lr_sandbox_channel(const lr_sandbox_t *sb);
pid_t lr_sandbox_pid(const lr_sandbox_t *sb);
/* Count of OOM kills in the sandbox's memory cgroup so far (0 if unknown). */
uint64_t lr_sandbox_oom_kills(const lr_sandbox_t *sb);
/* A one-line description of how limits are enforced ("cgroup v1 ...") */
const char *lr_sandbox_describe(const lr_sandbox_t *sb);
/* Kill everything, reap, remove the cgroup.  Accepts NULL. */
void lr_sandbox_destroy(lr_sandbox_t *sb);
/* For a SIGINT/SIGTERM handler: kill and reap every live sandbox of this
 * process and remove their cgroups, using only async-signal-safe calls. */
void lr_native_emergency_stop(void);

/* ---- per-concern steps (internal) ---- */

/* userns.c */
typedef struct {
        uid_t inside_uid, host_uid;
        gid_t inside_gid, host_gid;
        bool host_is_root;
} lr_idmap_t;
int userns_plan(const lr_config_t *cfg, const char *workspace, lr_idmap_t *map, lr_error_t *err);
int userns_parent_write_maps(pid_t child, const lr_idmap_t *map, lr_error_t *err);
int userns_child_switch(const lr_idmap_t *map);

/* mount.c: planned on the host, performed by the child. */
typedef struct lr_mount_plan lr_mount_plan_t;
int mount_plan_new(const lr_config_t *cfg, const char *workspace, const lr_idmap_t *map,
                   lr_mount_plan_t **ret, lr_error_t *err);
void mount_plan_free(lr_mount_plan_t *p);
/* Child side.  On failure returns -1 with errno set and *step naming it. */
/* Child side, first step: open every source (O_PATH) with the caller's
 * credentials, in the child's mount namespace (a bind from an fd of another
 * namespace fails with EINVAL), before anything is mounted over them. */
int mount_child_open_sources(lr_mount_plan_t *p, const char **step);
int mount_child_setup(const lr_mount_plan_t *p, const char **step);

/* net.c */
int net_child_loopback_up(void);

/* caps.c */
int caps_child_drop_all(void);

/* seccomp.c: the filter is built on the host, loaded in the child last. */
typedef struct lr_seccomp lr_seccomp_t;
int seccomp_build(lr_seccomp_t **ret, lr_error_t *err);
int seccomp_child_load(lr_seccomp_t *f); /* returns -errno */
void seccomp_free(lr_seccomp_t *f);
/* The same policy as a Docker/Podman seccomp profile (JSON, malloc'd), for
 * HostConfig.SecurityOpt "seccomp=...". */
int seccomp_docker_profile(char **ret, lr_error_t *err);

/* cgroup.c */
typedef struct lr_cgroup lr_cgroup_t;
int cgroup_create(const lr_config_t *cfg, const char *name, lr_cgroup_t **ret, lr_error_t *err);
int cgroup_parent_attach(lr_cgroup_t *cg, pid_t pid, lr_error_t *err);
/* v1: move the calling thread into the sandbox cgroups (-1 with errno, and
 * nothing moved, if it cannot), and back out after the clone. */
int cgroup_enter_self(lr_cgroup_t *cg);
int cgroup_leave_self(lr_cgroup_t *cg, lr_error_t *err);
int cgroup_version(const lr_cgroup_t *cg); /* 1 or 2 */
/* v2: the sandbox cgroup directory, for clone3(CLONE_INTO_CGROUP). */
int cgroup_open_v2_dir(const lr_cgroup_t *cg);
/* clone3(flags | CLONE_INTO_CGROUP) into the cgroup2 directory cgfd, fork
 * style: 0 in the child, the pid in the parent, -1 with errno. */
pid_t cgroup_clone_into(int cgfd, uint64_t flags);
uint64_t cgroup_oom_kills(const lr_cgroup_t *cg);
const char *cgroup_describe(const lr_cgroup_t *cg);
void cgroup_destroy(lr_cgroup_t *cg); /* accepts NULL */
void cgroup_emergency_remove(const lr_cgroup_t *cg); /* async-signal-safe */
/* Remove cgroups left by runtimes that died (their owner pid is gone). */
void cgroup_sweep_stale(void);
/* Unit tests only: read the hierarchy from `root` and our membership from
 * `self_cgroup` instead of /sys/fs/cgroup and /proc/self/cgroup. */
void cgroup_test_set_paths(const char *root, const char *self_cgroup);
/* Unit tests only: files a fake tree's "kernel" creates in each new cgroup
 * directory (NULL-terminated; NULL for none). */
void cgroup_test_set_kernel_files(const char *const *names);

#endif
