/* userns.c - the user namespace: who the sandbox is, inside and outside.
 *
 * Exactly one uid and one gid are mapped: the sandbox user (1000:1000 by
 * default) to the workspace owner, so files the sandbox writes belong to the
 * user.  Inside root (0) is never mapped, so nothing in the sandbox can hold
 * an identity that is root anywhere, and host root is never reachable:
 *  - a non-root caller can only map its own uid (kernel rule), which is the
 *    identity it already has;
 *  - a root caller maps the workspace owner, or 65534 (nobody) when the
 *    workspace is owned by root: writes then need a workspace writable by
 *    that uid (SECURITY.md, "Identity").
 */
#include "sandbox/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"

#define NOBODY_ID 65534

int userns_plan(const lr_config_t *cfg, const char *workspace, lr_idmap_t *map, lr_error_t *err)
{
        struct stat st;
        if (stat(workspace, &st) < 0)
                return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, errno,
                                    "cannot stat workspace %s: %s", workspace, strerror(errno));
        map->inside_uid = cfg->uid;
        map->inside_gid = cfg->gid;
        map->host_is_root = geteuid() == 0;
        if (map->host_is_root) {
                map->host_uid = st.st_uid != 0 ? st.st_uid : NOBODY_ID;
                map->host_gid = st.st_gid != 0 ? st.st_gid : NOBODY_ID;
        } else {
                map->host_uid = geteuid();
                map->host_gid = getegid();
        }
        return 0;
}

static int write_proc_file(pid_t pid, const char *name, const char *data, lr_error_t *err)
{
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || lr_write_full(fd, data, strlen(data)) < 0)
                return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, errno,
                                    "cannot write %s: %s", path, strerror(errno));
        return 0;
}

int userns_parent_write_maps(pid_t child, const lr_idmap_t *map, lr_error_t *err)
{
        char buf[64];
        /* An unprivileged writer must deny setgroups before gid_map
         * (CVE-2014-8989: otherwise dropping groups could bypass negative
         * group permissions).  A root writer keeps it allowed so the child
         * can drop root's supplementary groups, which would otherwise still
         * grant host group access. */
        if (!map->host_is_root && write_proc_file(child, "setgroups", "deny", err) < 0)
                return -1;
        snprintf(buf, sizeof buf, "%u %u 1\n", map->inside_uid, map->host_uid);
        if (write_proc_file(child, "uid_map", buf, err) < 0)
                return -1;
        snprintf(buf, sizeof buf, "%u %u 1\n", map->inside_gid, map->host_gid);
        if (write_proc_file(child, "gid_map", buf, err) < 0)
                return -1;
        return 0;
}

int userns_child_switch(const lr_idmap_t *map)
{
        /* Root's supplementary groups (gid 0 and friends) must not follow
         * the sandbox; only possible while setgroups is allowed. */
        if (map->host_is_root && setgroups(0, NULL) < 0)
                return -1;
        if (setresgid(map->inside_gid, map->inside_gid, map->inside_gid) < 0)
                return -1;
        if (setresuid(map->inside_uid, map->inside_uid, map->inside_uid) < 0)
                return -1;
        return 0;
}
