/* config.h - runtime configuration: defaults, the YAML file, the flags.
 *
 * Precedence: built-in defaults < the user's config file < the workspace's
 * config file < command-line flags.  Both files are named
 * `llm-runtime.config.yaml`: the user's in $XDG_CONFIG_HOME/llm-runtime/
 * (default ~/.config/llm-runtime/), the workspace's at the root of --root.
 * The sandbox can write the workspace's file, so it is untrusted: it may set
 * output options and lower limits, nothing else.  --config FILE replaces
 * the lookup and is trusted.  Unknown keys are errors, not warnings.
 */
#ifndef LR_CONFIG_H
#define LR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "policy/policy.h"

typedef enum {
        LR_CGROUP_AUTO = 0, /* detect v1/v2; failing to set limits is fatal */
        LR_CGROUP_OFF = 1,  /* no cgroup: rlimits only (weaker; documented) */
} lr_cgroup_mode_t;

typedef struct {
        char *name;
        char *value;
} lr_env_t;

typedef struct {
        /* I/O */
        char *root;        /* workspace directory (--root), default "." made absolute */
        char *input;       /* --input FILE, NULL = stdin */
        char *output;      /* --output FILE, NULL = stdout */
        bool json;         /* --json: JSON Lines output */
        bool verbose;      /* --verbose */
        char *config_path; /* the file actually loaded, NULL if none */

        /* file tools */
        uint64_t max_read;  /* --max-size, bytes, default 1 MiB */
        uint64_t max_write; /* --max-write-size, bytes, default 1 MiB */

        /* exec limits */
        uint64_t exec_timeout_ms; /* --exec-timeout, default 30s */
        uint64_t memory;          /* --exec-memory, bytes, default 512 MiB */
        double cpus;              /* --exec-cpu, cores, default 1 */
        uint64_t pids;            /* --exec-pids, default 256 */
        uint64_t tmpfs_size;      /* --tmpfs-size, bytes, default 64 MiB */
        uint64_t output_limit;    /* --output-limit, bytes per stream, default 256 KiB */
        uint64_t open_files;      /* --open-files (RLIMIT_NOFILE), default 1024 */
        uint64_t file_size;       /* --exec-file-size (RLIMIT_FSIZE), default 1 GiB */

        /* sandbox */
        char *backend;  /* --backend native|docker|auto, default native */
        char *docker_image;         /* --docker-image, default LR_DOCKER_IMAGE */
        char *docker_agent;         /* --docker-agent: the static agent; NULL = beside us */
        uint64_t docker_pool_size;  /* --docker-pool-size: warm containers, default 0 */
        uint64_t docker_pool_idle_ms; /* --docker-pool-idle: unclaimed lifetime, default 10m */
        char *rootfs;   /* --rootfs DIR, NULL = host system dirs read-only */
        uint32_t uid;   /* --sandbox-uid, uid inside the sandbox, default 1000 */
        uint32_t gid;   /* --sandbox-gid, default 1000 */
        lr_cgroup_mode_t cgroup; /* --cgroup auto|off */
        lr_env_t *env;  /* extra environment (config `env:` map, --env K=V) */
        size_t n_env;

        /* audit */
        char *audit_log; /* --audit-log PATH; NULL = default state dir */
        bool audit;      /* false with --no-audit or `audit_log: off` */

        /* approvals (config `approvals:`, --allow/--ask/--deny RULE,
         * --approval-default) */
        lr_policy_t policy;
} lr_config_t;

/* Fill defaults. */
void lr_config_defaults(lr_config_t *cfg);
void lr_config_free(lr_config_t *cfg);

/* Load a YAML file into cfg (overriding fields it names).  Unknown keys, bad
 * values and YAML syntax errors fail with LR_E_CONFIG and a message naming
 * the file, line and key. */
int lr_config_load_file(lr_config_t *cfg, const char *path, lr_error_t *err);

/* Load the user's config file, then the workspace's (restricted), when
 * they exist.  `explicit_path` (from --config) replaces the lookup and must
 * exist. */
/* Load a file the sandbox can write: only json, verbose and lowering a
 * limit are accepted; anything else fails with LR_E_CONFIG. */
int lr_config_load_workspace_file(lr_config_t *cfg, const char *path, lr_error_t *err);

int lr_config_load(lr_config_t *cfg, const char *workspace, const char *explicit_path,
                   lr_error_t *err);

/* Set one option by its config-file key (e.g. "exec_timeout", "max_size")
 * from a string value.  Used by both the YAML loader and the flag parser, so
 * a key means the same thing in both places. */
int lr_config_set(lr_config_t *cfg, const char *key, const char *value, lr_error_t *err);

#endif
