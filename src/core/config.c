/* config.c - defaults, llm-runtime.config.yaml, and the one place where a
 * key gets its meaning (lr_config_set), shared with the flag parser. */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "core/util.h"

#define CONFIG_NAME "llm-runtime.config.yaml"
#define CONFIG_MAX_BYTES (1u << 20)

void lr_config_defaults(lr_config_t *cfg)
{
        *cfg = (lr_config_t){
                .root = lr_xstrdup("."),
                .max_read = 1u << 20,
                .max_write = 1u << 20,
                .exec_timeout_ms = 30000,
                .memory = 512u << 20,
                .cpus = 1.0,
                .pids = 256,
                .tmpfs_size = 64u << 20,
                .output_limit = 256u << 10,
                .open_files = 1024,
                .file_size = 1ull << 30,
                .backend = lr_xstrdup("native"),
                .docker_image = lr_xstrdup("llm-runtime-sandbox:1"),
                .docker_pool_idle_ms = 600000,
                .uid = 1000,
                .gid = 1000,
                .cgroup = LR_CGROUP_AUTO,
                .audit = true,
        };
        lr_policy_init(&cfg->policy);
}

void lr_config_free(lr_config_t *cfg)
{
        free(cfg->root);
        free(cfg->input);
        free(cfg->output);
        free(cfg->config_path);
        free(cfg->backend);
        free(cfg->docker_image);
        free(cfg->docker_agent);
        free(cfg->rootfs);
        free(cfg->audit_log);
        for (size_t i = 0; i < cfg->n_env; i++) {
                free(cfg->env[i].name);
                free(cfg->env[i].value);
        }
        free(cfg->env);
        lr_policy_free(&cfg->policy);
        memset(cfg, 0, sizeof *cfg);
}

static int parse_bool(const char *v, bool *ret)
{
        static const char *const t[] = { "true", "yes", "on", "1" };
        static const char *const f[] = { "false", "no", "off", "0" };
        for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
                if (strcasecmp(v, t[i]) == 0)
                        return *ret = true, 0;
                if (strcasecmp(v, f[i]) == 0)
                        return *ret = false, 0;
        }
        return -1;
}

static int parse_u64(const char *v, uint64_t *ret)
{
        char *end;
        if (!isdigit((unsigned char)*v))
                return -1;
        errno = 0;
        unsigned long long x = strtoull(v, &end, 10);
        if (errno || *end)
                return -1;
        *ret = x;
        return 0;
}

static void set_str(char **dst, const char *v)
{
        free(*dst);
        *dst = lr_xstrdup(v);
}

static int set_env(lr_config_t *cfg, const char *kv, lr_error_t *err)
{
        const char *eq = strchr(kv, '=');
        if (!eq || eq == kv)
                return lr_error_set(err, LR_E_CONFIG, 0, "env: expected NAME=VALUE, got '%s'", kv);
        size_t nl = (size_t)(eq - kv);
        if (!(isalpha((unsigned char)kv[0]) || kv[0] == '_'))
                return lr_error_set(err, LR_E_CONFIG, 0, "env: invalid variable name '%.*s'",
                                    (int)nl, kv);
        for (size_t i = 1; i < nl; i++)
                if (!(isalnum((unsigned char)kv[i]) || kv[i] == '_'))
                        return lr_error_set(err, LR_E_CONFIG, 0,
                                            "env: invalid variable name '%.*s'", (int)nl, kv);
        char *name = lr_xstrndup(kv, nl);
        for (size_t i = 0; i < cfg->n_env; i++)
                if (strcmp(cfg->env[i].name, name) == 0) {
                        free(name);
                        set_str(&cfg->env[i].value, eq + 1);
                        return 0;
                }
        cfg->env = lr_xrealloc(cfg->env, (cfg->n_env + 1) * sizeof *cfg->env);
        cfg->env[cfg->n_env].name = name;
        cfg->env[cfg->n_env].value = lr_xstrdup(eq + 1);
        cfg->n_env++;
        return 0;
}

/* Keys of the Go tool that enforced host-side policy.  They are refused with
 * an explanation rather than as unknown keys. */
static const char *const removed_keys[] = {
        "excluded_paths", "allowed_extensions", "exec_whitelist", "whitelist", "exec_enabled",
        "io_containerized", "io_image", "io_timeout", "io_memory", "io_cpu", "exclude",
        "commands", "backup", "exec_image", "exec_network", "interactive",
        "require_confirmation", "force", "container_pool",
};

static bool is_removed_key(const char *k)
{
        for (size_t i = 0; i < ARRAY_SIZE(removed_keys); i++)
                if (strcmp(k, removed_keys[i]) == 0)
                        return true;
        return false;
}

typedef enum { K_STR, K_BOOL, K_SIZE, K_DURATION, K_U64, K_CPU, K_ID, K_SPECIAL } kind_t;

static const struct key {
        const char *name;
        kind_t kind;
        size_t off;
        uint64_t min, max; /* for numbers; 0/0 = unchecked */
} keys[] = {
        { "root", K_STR, offsetof(lr_config_t, root), 0, 0 },
        { "input", K_STR, offsetof(lr_config_t, input), 0, 0 },
        { "output", K_STR, offsetof(lr_config_t, output), 0, 0 },
        { "json", K_BOOL, offsetof(lr_config_t, json), 0, 0 },
        { "verbose", K_BOOL, offsetof(lr_config_t, verbose), 0, 0 },
        { "max_size", K_SIZE, offsetof(lr_config_t, max_read), 1, 1ull << 30 },
        { "max_write_size", K_SIZE, offsetof(lr_config_t, max_write), 1, 1ull << 30 },
        { "exec_timeout", K_DURATION, offsetof(lr_config_t, exec_timeout_ms), 1, 86400000 },
        { "exec_memory", K_SIZE, offsetof(lr_config_t, memory), 16u << 20, 1ull << 50 },
        { "exec_cpu", K_CPU, offsetof(lr_config_t, cpus), 0, 0 },
        { "exec_pids", K_U64, offsetof(lr_config_t, pids), 8, 4194304 },
        { "tmpfs_size", K_SIZE, offsetof(lr_config_t, tmpfs_size), 1u << 20, 1ull << 50 },
        { "output_limit", K_SIZE, offsetof(lr_config_t, output_limit), 1024, 64u << 20 },
        { "open_files", K_U64, offsetof(lr_config_t, open_files), 16, 1048576 },
        { "exec_file_size", K_SIZE, offsetof(lr_config_t, file_size), 1, 1ull << 62 },
        { "backend", K_SPECIAL, 0, 0, 0 },
        { "docker_image", K_STR, offsetof(lr_config_t, docker_image), 0, 0 },
        { "docker_agent", K_STR, offsetof(lr_config_t, docker_agent), 0, 0 },
        { "docker_pool_size", K_U64, offsetof(lr_config_t, docker_pool_size), 0, 64 },
        { "docker_pool_idle", K_DURATION, offsetof(lr_config_t, docker_pool_idle_ms), 1000, 86400000 },
        { "rootfs", K_STR, offsetof(lr_config_t, rootfs), 0, 0 },
        { "sandbox_uid", K_ID, offsetof(lr_config_t, uid), 1, 4294967294u },
        { "sandbox_gid", K_ID, offsetof(lr_config_t, gid), 1, 4294967294u },
        { "cgroup", K_SPECIAL, 0, 0, 0 },
        { "env", K_SPECIAL, 0, 0, 0 },
        { "audit_log", K_SPECIAL, 0, 0, 0 },
        { "audit", K_BOOL, offsetof(lr_config_t, audit), 0, 0 },
        { "config", K_SPECIAL, 0, 0, 0 },
        { "approvals", K_SPECIAL, 0, 0, 0 },
        { "approval_default", K_SPECIAL, 0, 0, 0 },
        { "allow", K_SPECIAL, 0, 0, 0 },
        { "ask", K_SPECIAL, 0, 0, 0 },
        { "deny", K_SPECIAL, 0, 0, 0 },
};

static const struct key *find_key(const char *name)
{
        for (size_t j = 0; j < ARRAY_SIZE(keys); j++)
                if (strcmp(keys[j].name, name) == 0)
                        return &keys[j];
        return NULL;
}

static int set_special(lr_config_t *cfg, const char *key, const char *value, lr_error_t *err)
{
        if (strcmp(key, "backend") == 0) {
                if (strcmp(value, "native") == 0 || strcmp(value, "docker") == 0 ||
                    strcmp(value, "auto") == 0) {
                        set_str(&cfg->backend, value);
                        return 0;
                }
                return lr_error_set(err, LR_E_CONFIG, 0,
                                    "backend: unknown backend '%s' (native, docker or auto)",
                                    value);
        }
        if (strcmp(key, "cgroup") == 0) {
                if (strcmp(value, "auto") == 0)
                        cfg->cgroup = LR_CGROUP_AUTO;
                else if (strcmp(value, "off") == 0)
                        cfg->cgroup = LR_CGROUP_OFF;
                else
                        return lr_error_set(err, LR_E_CONFIG, 0,
                                            "cgroup: expected 'auto' or 'off', got '%s'", value);
                return 0;
        }
        if (strcmp(key, "env") == 0)
                return set_env(cfg, value, err);
        if (strcmp(key, "audit_log") == 0) {
                if (strcmp(value, "off") == 0 || strcmp(value, "none") == 0) {
                        cfg->audit = false;
                        return 0;
                }
                if (!*value)
                        return lr_error_set(err, LR_E_CONFIG, 0, "audit_log: empty path");
                set_str(&cfg->audit_log, value);
                cfg->audit = true;
                return 0;
        }
        if (strcmp(key, "approval_default") == 0) {
                if (lr_decision_parse(value, &cfg->policy.dflt) < 0)
                        return lr_error_set(err, LR_E_CONFIG, 0,
                                            "approval default: expected allow, ask or deny, got "
                                            "'%s'",
                                            value);
                return 0;
        }
        lr_decision_t d;
        if (lr_decision_parse(key, &d) == 0)
                return lr_policy_add(&cfg->policy, d, value, err);
        if (strcmp(key, "approvals") == 0)
                return lr_error_set(err, LR_E_CONFIG, 0,
                                    "approvals must be a mapping with 'default' and 'rules'");
        /* "config" only makes sense as a flag; main handles it. */
        return lr_error_set(err, LR_E_CONFIG, 0, "'config' cannot be set in a config file");
}

int lr_config_set(lr_config_t *cfg, const char *key_in, const char *value, lr_error_t *err)
{
        char key[64];
        size_t i;
        for (i = 0; key_in[i] && i + 1 < sizeof key; i++)
                key[i] = key_in[i] == '-' ? '_' : key_in[i];
        key[i] = '\0';

        if (is_removed_key(key))
                return lr_error_set(err, LR_E_CONFIG, 0,
                                    "'%s' was removed: llm-runtime is container-only and the "
                                    "sandbox is the security boundary (see SECURITY.md)",
                                    key_in);
        const struct key *k = find_key(key);
        if (!k)
                return lr_error_set(err, LR_E_CONFIG, 0, "unknown key '%s'", key_in);

        char *base = (char *)cfg;
        uint64_t u = 0;
        switch (k->kind) {
        case K_STR:
                if (!*value)
                        return lr_error_set(err, LR_E_CONFIG, 0, "%s: empty value", key_in);
                set_str((char **)(base + k->off), value);
                return 0;
        case K_BOOL:
                if (parse_bool(value, (bool *)(base + k->off)) < 0)
                        return lr_error_set(err, LR_E_CONFIG, 0,
                                            "%s: expected true or false, got '%s'", key_in, value);
                return 0;
        case K_SIZE:
                if (lr_parse_size(value, &u) < 0)
                        return lr_error_set(err, LR_E_CONFIG, 0,
                                            "%s: invalid size '%s' (examples: 1048576, 512k, 64m, "
                                            "1g)",
                                            key_in, value);
                break;
        case K_DURATION:
                if (lr_parse_duration_ms(value, &u) < 0)
                        return lr_error_set(err, LR_E_CONFIG, 0,
                                            "%s: invalid duration '%s' (examples: 30s, 500ms, 2m)",
                                            key_in, value);
                break;
        case K_U64:
        case K_ID:
                if (parse_u64(value, &u) < 0)
                        return lr_error_set(err, LR_E_CONFIG, 0, "%s: expected a number, got '%s'",
                                            key_in, value);
                break;
        case K_CPU: {
                char *end;
                errno = 0;
                double d = strtod(value, &end);
                if (errno || end == value || *end || !(d > 0) || d > 1024)
                        return lr_error_set(err, LR_E_CONFIG, 0,
                                            "%s: expected a number of CPUs in (0, 1024], got '%s'",
                                            key_in, value);
                cfg->cpus = d;
                return 0;
        }
        case K_SPECIAL:
                return set_special(cfg, key, value, err);
        }
        if ((k->min || k->max) && (u < k->min || u > k->max))
                return lr_error_set(err, LR_E_CONFIG, 0, "%s: %s is out of range [%llu, %llu]",
                                    key_in, value, (unsigned long long)k->min,
                                    (unsigned long long)k->max);
        if (k->kind == K_ID)
                *(uint32_t *)(base + k->off) = (uint32_t)u;
        else
                *(uint64_t *)(base + k->off) = u;
        return 0;
}

/* ---- the workspace's own config file ----
 *
 * The sandbox can write llm-runtime.config.yaml in its workspace, so that
 * file is untrusted input from the model.  It may choose output options and
 * lower limits, never raise them, and never touch keys that reach outside
 * the sandbox: `output`/`audit_log` would make the host write any file the
 * user can write (.bashrc: code execution), `rootfs` could expose the whole
 * host, and `cgroup`, `audit`, `sandbox_uid` would weaken the boundary. */
static const char *const lowerable_keys[] = {
        "max_size",  "max_write_size", "exec_timeout", "exec_memory", "exec_cpu",
        "exec_pids", "tmpfs_size",     "output_limit", "open_files",  "exec_file_size",
};

static int set_restricted(lr_config_t *cfg, const char *key_in, const char *value, lr_error_t *err)
{
        char key[64];
        size_t i;
        for (i = 0; key_in[i] && i + 1 < sizeof key; i++)
                key[i] = key_in[i] == '-' ? '_' : key_in[i];
        key[i] = '\0';
        if (!strcmp(key, "json") || !strcmp(key, "verbose"))
                return lr_config_set(cfg, key, value, err);
        const struct key *k = find_key(key);
        bool lowerable = false;
        for (size_t j = 0; j < ARRAY_SIZE(lowerable_keys); j++)
                lowerable |= strcmp(key, lowerable_keys[j]) == 0;
        if (!k || is_removed_key(key))
                return lr_config_set(cfg, key, value, err); /* its own error */
        if (!lowerable)
                return lr_error_set(err, LR_E_CONFIG, 0,
                                    "'%s' is not allowed in the workspace's config file (the "
                                    "sandbox can write that file); set it in "
                                    "~/.config/llm-runtime/%s, with --config, or as a flag",
                                    key_in, CONFIG_NAME);
        /* Numeric keys only: a shallow copy is safe, no string is touched. */
        lr_config_t tmp = *cfg;
        if (lr_config_set(&tmp, key, value, err) < 0)
                return -1;
        const char *a = (const char *)cfg + k->off, *b = (const char *)&tmp + k->off;
        bool raises = k->kind == K_CPU ? *(const double *)b > *(const double *)a
                                       : *(const uint64_t *)b > *(const uint64_t *)a;
        if (raises)
                return lr_error_set(err, LR_E_CONFIG, 0,
                                    "'%s: %s' would raise a limit; the workspace's config file "
                                    "can only lower limits (the sandbox can write that file)",
                                    key_in, value);
        memcpy((char *)cfg + k->off, b, k->kind == K_CPU ? sizeof(double) : sizeof(uint64_t));
        return 0;
}

/* ---- YAML ---- */

typedef struct {
        const char *path;
        yaml_parser_t parser;
        yaml_event_t ev;
        bool have_ev;
} yctx_t;

static int ynext(yctx_t *y, lr_error_t *err)
{
        if (y->have_ev)
                yaml_event_delete(&y->ev);
        y->have_ev = false;
        if (!yaml_parser_parse(&y->parser, &y->ev))
                return lr_error_set(err, LR_E_CONFIG, 0, "%s:%zu: YAML error: %s", y->path,
                                    y->parser.problem_mark.line + 1,
                                    y->parser.problem ? y->parser.problem : "syntax error");
        y->have_ev = true;
        return 0;
}

static size_t yline(const yctx_t *y)
{
        return y->ev.start_mark.line + 1;
}

static const char *yscalar(const yctx_t *y)
{
        return (const char *)y->ev.data.scalar.value;
}

static int load_env_map(lr_config_t *cfg, yctx_t *y, lr_error_t *err)
{
        if (y->ev.type != YAML_MAPPING_START_EVENT)
                return lr_error_set(err, LR_E_CONFIG, 0, "%s:%zu: env must be a mapping NAME: value",
                                    y->path, yline(y));
        for (;;) {
                if (ynext(y, err) < 0)
                        return -1;
                if (y->ev.type == YAML_MAPPING_END_EVENT)
                        return 0;
                if (y->ev.type != YAML_SCALAR_EVENT)
                        return lr_error_set(err, LR_E_CONFIG, 0, "%s:%zu: env: expected a name",
                                            y->path, yline(y));
                char *name = lr_xstrdup(yscalar(y));
                size_t line = yline(y);
                if (ynext(y, err) < 0) {
                        free(name);
                        return -1;
                }
                if (y->ev.type != YAML_SCALAR_EVENT) {
                        free(name);
                        return lr_error_set(err, LR_E_CONFIG, 0,
                                            "%s:%zu: env: the value must be a scalar", y->path,
                                            line);
                }
                char *kv = lr_xasprintf("%s=%s", name, yscalar(y));
                int r = set_env(cfg, kv, err);
                free(kv);
                free(name);
                if (r < 0)
                        return lr_error_wrap(err, "%s:%zu", y->path, line);
        }
}

/* approvals:
 *   default: allow|ask|deny
 *   rules:
 *     - deny: exec rm -rf
 *     - allow: read_* */
static int load_approvals(lr_config_t *cfg, yctx_t *y, lr_error_t *err)
{
        if (y->ev.type != YAML_MAPPING_START_EVENT)
                return lr_error_set(err, LR_E_CONFIG, 0,
                                    "%s:%zu: approvals must be a mapping with 'default' and "
                                    "'rules'",
                                    y->path, yline(y));
        for (;;) {
                if (ynext(y, err) < 0)
                        return -1;
                if (y->ev.type == YAML_MAPPING_END_EVENT)
                        return 0;
                if (y->ev.type != YAML_SCALAR_EVENT)
                        return lr_error_set(err, LR_E_CONFIG, 0, "%s:%zu: approvals: expected a key",
                                            y->path, yline(y));
                char key[32];
                snprintf(key, sizeof key, "%s", yscalar(y));
                size_t line = yline(y);
                if (ynext(y, err) < 0)
                        return -1;
                if (strcmp(key, "default") == 0) {
                        if (y->ev.type != YAML_SCALAR_EVENT ||
                            lr_decision_parse(yscalar(y), &cfg->policy.dflt) < 0)
                                return lr_error_set(err, LR_E_CONFIG, 0,
                                                    "%s:%zu: approvals.default must be allow, "
                                                    "ask or deny",
                                                    y->path, line);
                        continue;
                }
                if (strcmp(key, "rules") != 0)
                        return lr_error_set(err, LR_E_CONFIG, 0,
                                            "%s:%zu: approvals: unknown key '%s' (default, rules)",
                                            y->path, line, key);
                if (y->ev.type != YAML_SEQUENCE_START_EVENT)
                        return lr_error_set(err, LR_E_CONFIG, 0,
                                            "%s:%zu: approvals.rules must be a list of "
                                            "'- DECISION: TOOL [ARGS]'",
                                            y->path, line);
                for (;;) {
                        if (ynext(y, err) < 0)
                                return -1;
                        if (y->ev.type == YAML_SEQUENCE_END_EVENT)
                                break;
                        size_t rl = yline(y);
                        char dec[16] = "";
                        lr_decision_t d;
                        if (y->ev.type != YAML_MAPPING_START_EVENT || ynext(y, err) < 0 ||
                            y->ev.type != YAML_SCALAR_EVENT ||
                            (snprintf(dec, sizeof dec, "%s", yscalar(y)),
                             lr_decision_parse(dec, &d) < 0) ||
                            ynext(y, err) < 0 || y->ev.type != YAML_SCALAR_EVENT)
                                return lr_error_set(err, LR_E_CONFIG, 0,
                                                    "%s:%zu: each approval rule is "
                                                    "'- allow|ask|deny: TOOL [ARGS]'",
                                                    y->path, rl);
                        if (lr_policy_add(&cfg->policy, d, yscalar(y), err) < 0)
                                return lr_error_wrap(err, "%s:%zu", y->path, rl);
                        if (ynext(y, err) < 0 || y->ev.type != YAML_MAPPING_END_EVENT)
                                return lr_error_set(err, LR_E_CONFIG, 0,
                                                    "%s:%zu: one decision per rule", y->path, rl);
                }
        }
}

static int load_file(lr_config_t *cfg, const char *path, bool restricted, lr_error_t *err)
{
        /* O_NONBLOCK: the sandbox can plant a FIFO here (the workspace's
         * file, or a user config inside the workspace), and a plain open
         * would wait for a writer forever; the S_ISREG check refuses it. */
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        struct stat st;
        if (fd < 0)
                return lr_error_set(err, LR_E_CONFIG, errno, "cannot open config %s: %s", path,
                                    strerror(errno));
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return lr_error_set(err, LR_E_CONFIG, 0, "config %s is not a regular file", path);
        if (st.st_size > CONFIG_MAX_BYTES)
                return lr_error_set(err, LR_E_CONFIG, 0, "config %s is too large (%lld bytes, max %u)",
                                    path, (long long)st.st_size, CONFIG_MAX_BYTES);
        char *data = lr_xmalloc((size_t)st.st_size + 1);
        ssize_t n = lr_read_full(fd, data, (size_t)st.st_size);
        if (n < 0) {
                free(data);
                return lr_error_set(err, LR_E_CONFIG, errno, "cannot read config %s: %s", path,
                                    strerror(errno));
        }

        yctx_t y = { .path = path };
        yaml_parser_initialize(&y.parser);
        yaml_parser_set_input_string(&y.parser, (const unsigned char *)data, (size_t)n);
        int r = -1;
        char **seen = NULL;
        size_t nseen = 0;

        /* stream-start, document-start (or stream-end for an empty file) */
        if (ynext(&y, err) < 0 || ynext(&y, err) < 0)
                goto out;
        if (y.ev.type == YAML_STREAM_END_EVENT) {
                r = 0;
                goto out;
        }
        if (ynext(&y, err) < 0)
                goto out;
        if (y.ev.type == YAML_SCALAR_EVENT && y.ev.data.scalar.length == 0) {
                r = 0; /* a document with only comments */
                goto out;
        }
        if (y.ev.type != YAML_MAPPING_START_EVENT) {
                lr_error_set(err, LR_E_CONFIG, 0, "%s:%zu: the config must be a mapping of keys",
                             path, yline(&y));
                goto out;
        }
        for (;;) {
                if (ynext(&y, err) < 0)
                        goto out;
                if (y.ev.type == YAML_MAPPING_END_EVENT)
                        break;
                if (y.ev.type != YAML_SCALAR_EVENT) {
                        lr_error_set(err, LR_E_CONFIG, 0, "%s:%zu: expected a key", path,
                                     yline(&y));
                        goto out;
                }
                char key[64];
                snprintf(key, sizeof key, "%s", yscalar(&y));
                for (char *p = key; *p; p++)
                        if (*p == '-')
                                *p = '_';
                size_t line = yline(&y);
                for (size_t i = 0; i < nseen; i++)
                        if (strcmp(seen[i], key) == 0) {
                                lr_error_set(err, LR_E_CONFIG, 0, "%s:%zu: duplicate key '%s'",
                                             path, line, key);
                                goto out;
                        }
                seen = lr_xrealloc(seen, (nseen + 1) * sizeof *seen);
                seen[nseen++] = lr_xstrdup(key);
                if (ynext(&y, err) < 0)
                        goto out;
                if (strcmp(key, "env") == 0) {
                        if (load_env_map(cfg, &y, err) < 0)
                                goto out;
                        continue;
                }
                if (strcmp(key, "approvals") == 0) {
                        /* The sandbox can write the workspace's file; a
                         * policy it could edit would approve itself. */
                        if (restricted) {
                                lr_error_set(err, LR_E_CONFIG, 0,
                                             "%s:%zu: approvals cannot be set in the workspace's "
                                             "config file (the sandbox can write it); use the "
                                             "user config or --config",
                                             path, line);
                                goto out;
                        }
                        if (load_approvals(cfg, &y, err) < 0)
                                goto out;
                        continue;
                }
                if (y.ev.type != YAML_SCALAR_EVENT) {
                        if (is_removed_key(key) || !find_key(key))
                                lr_config_set(cfg, key, "", err); /* its message */
                        else
                                lr_error_set(err, LR_E_CONFIG, 0, "'%s' must be a single value",
                                             key);
                        lr_error_wrap(err, "%s:%zu", path, line);
                        goto out;
                }
                if ((restricted ? set_restricted(cfg, key, yscalar(&y), err)
                                : lr_config_set(cfg, key, yscalar(&y), err)) < 0) {
                        lr_error_wrap(err, "%s:%zu", path, line);
                        goto out;
                }
        }
        /* document-end, then stream-end: a second document is an error */
        if (ynext(&y, err) < 0 || ynext(&y, err) < 0)
                goto out;
        if (y.ev.type != YAML_STREAM_END_EVENT) {
                lr_error_set(err, LR_E_CONFIG, 0, "%s:%zu: only one YAML document is allowed", path,
                             yline(&y));
                goto out;
        }
        r = 0;
out:
        if (y.have_ev)
                yaml_event_delete(&y.ev);
        yaml_parser_delete(&y.parser);
        for (size_t i = 0; i < nseen; i++)
                free(seen[i]);
        free(seen);
        free(data);
        if (r == 0) {
                char *both = cfg->config_path ? lr_xasprintf("%s, %s", cfg->config_path, path)
                                              : lr_xstrdup(path);
                free(cfg->config_path);
                cfg->config_path = both;
        }
        return r;
}

int lr_config_load_file(lr_config_t *cfg, const char *path, lr_error_t *err)
{
        return load_file(cfg, path, false, err);
}

int lr_config_load_workspace_file(lr_config_t *cfg, const char *path, lr_error_t *err)
{
        return load_file(cfg, path, true, err);
}

int lr_config_load(lr_config_t *cfg, const char *workspace, const char *explicit_path,
                   lr_error_t *err)
{
        if (explicit_path)
                return lr_config_load_file(cfg, explicit_path, err);

        char path[PATH_MAX];
        const char *xdg = getenv("XDG_CONFIG_HOME");
        const char *home = getenv("HOME");
        path[0] = '\0';
        if (xdg && *xdg == '/')
                snprintf(path, sizeof path, "%s/llm-runtime/%s", xdg, CONFIG_NAME);
        else if (home && *home)
                snprintf(path, sizeof path, "%s/.config/llm-runtime/%s", home, CONFIG_NAME);
        if (path[0] && access(path, F_OK) == 0) {
                /* When HOME (or XDG_CONFIG_HOME) lies in the workspace, the
                 * sandbox can write this file: it gets no more trust than
                 * the workspace's own config, or a model could plant
                 * `audit_log`, `output` or looser limits for the next run
                 * (hostile test T44). */
                char canon[PATH_MAX];
                bool planted = realpath(workspace, canon) && lr_path_inside(path, canon);
                if (planted)
                        fprintf(stderr,
                                "llm-runtime: %s lies inside the workspace; it is read with the "
                                "workspace config's restrictions\n",
                                path);
                if ((planted ? lr_config_load_workspace_file(cfg, path, err)
                             : lr_config_load_file(cfg, path, err)) < 0)
                        return -1;
        }

        snprintf(path, sizeof path, "%s/%s", workspace, CONFIG_NAME);
        if (access(path, F_OK) == 0)
                return lr_config_load_workspace_file(cfg, path, err);
        return 0;
}
