/* caps.c - leave the sandbox with no capabilities at all.
 *
 * The process that created the user namespace holds a full capability set
 * inside it; the mounts need that.  Before the agent starts we clear every
 * set: bounding (so no exec can regain them), ambient, inheritable
 * (CVE-2022-24769 / CVE-2022-27649: a non-empty inheritable set leaked
 * privileges), permitted and effective; and lock the securebits so uid
 * changes can never re-grant them.
 */
#include "sandbox/sandbox.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int caps_child_drop_all(void)
{
        /* Lock root semantics off while we still hold CAP_SETPCAP. */
        if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
                                             SECBIT_NO_SETUID_FIXUP |
                                             SECBIT_NO_SETUID_FIXUP_LOCKED |
                                             SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
                                             SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED,
                  0, 0, 0) < 0)
                return -1;
        for (int cap = 0; cap < 64; cap++) {
                if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
                        if (errno == EINVAL)
                                break; /* past the kernel's last capability */
                        return -1;
                }
        }
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return -1;
        struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct data[2] = { { 0 } };
        if (syscall(SYS_capset, &hdr, data) < 0)
                return -1;
        return 0;
}
