/* libFuzzer target: the YAML config loader, which also reads the
 * workspace's config file (written by the sandbox, so untrusted).  Each
 * input is loaded both as a trusted and as a workspace file; invariants: no
 * crash, a failure always carries LR_E_CONFIG and a message, and the
 * restricted load never raises a limit above the defaults. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static int fd = -1;
        static char path[64];
        if (fd < 0) {
                fd = memfd_create("lr-fuzz-config", 0);
                if (fd < 0)
                        abort();
                snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        }
        if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
                abort();

        for (int restricted = 0; restricted < 2; restricted++) {
                lr_config_t c, d;
                lr_error_t e = { 0 };
                lr_config_defaults(&c);
                lr_config_defaults(&d);
                int r = restricted ? lr_config_load_workspace_file(&c, path, &e)
                                   : lr_config_load_file(&c, path, &e);
                if (r < 0 && (e.code != LR_E_CONFIG || e.msg[0] == '\0'))
                        abort();
                if (r == 0 && restricted &&
                    (c.memory > d.memory || c.exec_timeout_ms > d.exec_timeout_ms ||
                     c.pids > d.pids || c.cpus > d.cpus || c.output || c.audit_log || c.rootfs ||
                     c.cgroup != d.cgroup || c.uid != d.uid || !c.audit))
                        abort();
                lr_config_free(&c);
                lr_config_free(&d);
        }
        return 0;
}
