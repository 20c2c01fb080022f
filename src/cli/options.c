/* options.c - flags become (config key, value) pairs; see options.h. */
#include "cli/options.h"

#include <getopt.h>
#include <string.h>

#include "core/util.h"

enum { OPT_FIRST = 256 };

/* One table drives getopt, validation and --help. `key` is the config key
 * the flag sets; NULL for the flags main() handles itself. */
static const struct flag {
        const char *name;
        int has_arg;
        const char *key;
        const char *value; /* fixed value for flags without an argument */
        const char *metavar;
        const char *group;
        const char *help;
} flags[] = {
        { "root", 1, NULL, NULL, "DIR", "I/O", "workspace, mounted read-write at /workspace" },
        { "config", 1, NULL, NULL, "FILE", "I/O", "config file (default: lookup, see below)" },
        { "input", 1, "input", NULL, "FILE", "I/O", "read the LLM reply from FILE" },
        { "output", 1, "output", NULL, "FILE", "I/O", "write results to FILE" },
        { "json", 0, "json", "true", NULL, "I/O", "JSON Lines output, one object per command" },
        { "verbose", 0, "verbose", "true", NULL, "I/O", "print configuration and sandbox to stderr" },
        { "max-size", 1, "max_size", NULL, "BYTES", "file tools", "largest file <open> returns" },
        { "max-write-size", 1, "max_write_size", NULL, "BYTES", "file tools", "largest <write>" },
        { "exec-timeout", 1, "exec_timeout", NULL, "DUR", "exec limits",
          "wall clock per command; the whole process tree is killed" },
        { "exec-memory", 1, "exec_memory", NULL, "SIZE", "exec limits",
          "memory for the sandbox (no swap)" },
        { "exec-cpu", 1, "exec_cpu", NULL, "N", "exec limits", "CPU cores" },
        { "exec-pids", 1, "exec_pids", NULL, "N", "exec limits", "processes and threads" },
        { "tmpfs-size", 1, "tmpfs_size", NULL, "SIZE", "exec limits", "size of /tmp and /dev/shm" },
        { "output-limit", 1, "output_limit", NULL, "SIZE", "exec limits",
          "output kept per stream (head and tail)" },
        { "open-files", 1, "open_files", NULL, "N", "exec limits", "RLIMIT_NOFILE for commands" },
        { "exec-file-size", 1, "exec_file_size", NULL, "SIZE", "exec limits",
          "largest file a command may write (RLIMIT_FSIZE)" },
        { "backend", 1, "backend", NULL, "NAME", "sandbox",
          "native, docker, or auto (native where the kernel allows it)" },
        { "rootfs", 1, "rootfs", NULL, "DIR", "sandbox",
          "unpacked image to use as the read-only root" },
        { "sandbox-uid", 1, "sandbox_uid", NULL, "UID", "sandbox", "uid inside the sandbox" },
        { "sandbox-gid", 1, "sandbox_gid", NULL, "GID", "sandbox", "gid inside the sandbox" },
        { "cgroup", 1, "cgroup", NULL, "auto|off", "sandbox",
          "off: no cgroup limits (memory, pids, CPU unenforced)" },
        { "env", 1, "env", NULL, "K=V", "sandbox", "add an environment variable (repeatable)" },
        { "docker-image", 1, "docker_image", NULL, "IMAGE", "docker",
          "sandbox image (scripts/build-image.sh builds it offline)" },
        { "docker-agent", 1, "docker_agent", NULL, "FILE", "docker",
          "static agent mounted into containers" },
        { "docker-pool-size", 1, "docker_pool_size", NULL, "N", "docker",
          "warm, never-used containers kept ready (0 = none)" },
        { "docker-pool-idle", 1, "docker_pool_idle", NULL, "DUR", "docker",
          "an unclaimed pool container ends itself after this" },
        { "audit-log", 1, "audit_log", NULL, "PATH", "audit", "audit log file, or 'off'" },
        { "no-audit", 0, "audit", "false", NULL, "audit", "do not write the audit log" },
        { "allow", 1, "allow", NULL, "RULE", "approvals",
          "approve calls matching RULE, e.g. 'exec git status' (repeatable)" },
        { "ask", 1, "ask", NULL, "RULE", "approvals",
          "ask on the terminal first (denied where nobody can be asked)" },
        { "deny", 1, "deny", NULL, "RULE", "approvals", "refuse calls matching RULE; wins" },
        { "approval-default", 1, "approval_default", NULL, "allow|ask|deny", "approvals",
          "decision when no rule matches" },
        { "help", 0, NULL, NULL, NULL, NULL, NULL },
        { "version", 0, NULL, NULL, NULL, NULL, NULL },
};

/* Flags of the Go tool that enforced host-side policy or configured its
 * Docker-per-call design. */
static const char *const removed_flags[] = {
        "exclude", "allowed-extensions", "exec-whitelist", "exec-enabled", "io-containerized",
        "io-image", "io-timeout", "io-memory", "io-cpu", "backup", "exec-image", "exec-network",
        "interactive", "require-confirmation", "force",
};

static void add_pair(lr_cli_t *cli, const char *key, const char *value)
{
        cli->pairs = lr_xrealloc(cli->pairs, (cli->n_pairs + 1) * sizeof *cli->pairs);
        cli->pairs[cli->n_pairs].key = lr_xstrdup(key);
        cli->pairs[cli->n_pairs].value = lr_xstrdup(value);
        cli->n_pairs++;
}

int lr_cli_parse(int argc, char **argv, lr_cli_t *cli, lr_error_t *err)
{
        size_t nf = ARRAY_SIZE(flags), nr = ARRAY_SIZE(removed_flags);
        struct option *opts = lr_xcalloc(nf + nr + 1, sizeof *opts);
        int r = -1;
        memset(cli, 0, sizeof *cli);
        for (size_t i = 0; i < nf; i++)
                opts[i] = (struct option){ flags[i].name, flags[i].has_arg ? required_argument
                                                                           : no_argument,
                                           NULL, OPT_FIRST + (int)i };
        for (size_t i = 0; i < nr; i++)
                opts[nf + i] = (struct option){ removed_flags[i], optional_argument, NULL,
                                                OPT_FIRST + (int)(nf + i) };

        lr_config_t scratch;
        lr_config_defaults(&scratch);
        opterr = 0;
        optind = 1;
        int c;
        while ((c = getopt_long(argc, argv, ":hv", opts, NULL)) != -1) {
                if (c == 'h') {
                        cli->help = true;
                        continue;
                }
                if (c == 'v') {
                        add_pair(cli, "verbose", "true");
                        continue;
                }
                if (c == ':') {
                        lr_error_set(err, LR_E_CONFIG, 0, "option %s needs a value",
                                     argv[optind - 1]);
                        goto out;
                }
                if (c == '?' || c < OPT_FIRST) {
                        lr_error_set(err, LR_E_CONFIG, 0, "unknown option '%s'",
                                     argv[optind - 1]);
                        goto out;
                }
                size_t i = (size_t)(c - OPT_FIRST);
                if (i >= nf) {
                        lr_error_set(err, LR_E_CONFIG, 0,
                                     "option --%s was removed: llm-runtime is container-only; "
                                     "the sandbox is the security boundary (see SECURITY.md)",
                                     removed_flags[i - nf]);
                        goto out;
                }
                const struct flag *f = &flags[i];
                if (strcmp(f->name, "help") == 0) {
                        cli->help = true;
                } else if (strcmp(f->name, "version") == 0) {
                        cli->version = true;
                } else if (strcmp(f->name, "root") == 0) {
                        cli->root = optarg;
                } else if (strcmp(f->name, "config") == 0) {
                        cli->config_path = optarg;
                } else {
                        const char *v = f->has_arg ? optarg : f->value;
                        if (lr_config_set(&scratch, f->key, v, err) < 0) {
                                /* "exec_timeout: ..." -> "--exec-timeout: ..." */
                                const char *colon = strchr(err->msg, ':');
                                char msg[sizeof err->msg];
                                snprintf(msg, sizeof msg, "--%s:%s", f->name,
                                         colon ? colon + 1 : err->msg);
                                snprintf(err->msg, sizeof err->msg, "%s", msg);
                                goto out;
                        }
                        add_pair(cli, f->key, v);
                }
        }
        for (int i = optind; i < argc; i++) {
                if (i == optind && (strcmp(argv[i], "help") == 0 || strcmp(argv[i], "version") == 0 ||
                                    strcmp(argv[i], "mcp") == 0 || strcmp(argv[i], "serve") == 0 ||
                                    strcmp(argv[i], "prune") == 0)) {
                        cli->subcommand = argv[i];
                        continue;
                }
                cli->rest = lr_xrealloc(cli->rest, (cli->n_rest + 1) * sizeof *cli->rest);
                cli->rest[cli->n_rest++] = argv[i];
        }
        r = 0;
out:
        lr_config_free(&scratch);
        free(opts);
        return r;
}

void lr_cli_free(lr_cli_t *cli)
{
        for (size_t i = 0; i < cli->n_pairs; i++) {
                free(cli->pairs[i].key);
                free(cli->pairs[i].value);
        }
        free(cli->pairs);
        free(cli->rest);
        memset(cli, 0, sizeof *cli);
}

int lr_cli_apply(const lr_cli_t *cli, lr_config_t *cfg, lr_error_t *err)
{
        for (size_t i = 0; i < cli->n_pairs; i++)
                if (lr_config_set(cfg, cli->pairs[i].key, cli->pairs[i].value, err) < 0)
                        return -1;
        return 0;
}

/* The default of a flag, rendered from lr_config_defaults() so that --help
 * cannot drift from the real values. */
static void flag_default(const lr_config_t *d, const char *key, char *buf, size_t len)
{
        char t[32];
        buf[0] = '\0';
        if (!key)
                return;
        if (!strcmp(key, "max_size"))
                snprintf(buf, len, "%s", lr_format_size(d->max_read, t, sizeof t));
        else if (!strcmp(key, "max_write_size"))
                snprintf(buf, len, "%s", lr_format_size(d->max_write, t, sizeof t));
        else if (!strcmp(key, "exec_timeout"))
                snprintf(buf, len, "%gs", (double)d->exec_timeout_ms / 1000);
        else if (!strcmp(key, "exec_memory"))
                snprintf(buf, len, "%s", lr_format_size(d->memory, t, sizeof t));
        else if (!strcmp(key, "exec_cpu"))
                snprintf(buf, len, "%g", d->cpus);
        else if (!strcmp(key, "exec_pids"))
                snprintf(buf, len, "%llu", (unsigned long long)d->pids);
        else if (!strcmp(key, "tmpfs_size"))
                snprintf(buf, len, "%s", lr_format_size(d->tmpfs_size, t, sizeof t));
        else if (!strcmp(key, "output_limit"))
                snprintf(buf, len, "%s", lr_format_size(d->output_limit, t, sizeof t));
        else if (!strcmp(key, "open_files"))
                snprintf(buf, len, "%llu", (unsigned long long)d->open_files);
        else if (!strcmp(key, "exec_file_size"))
                snprintf(buf, len, "%s", lr_format_size(d->file_size, t, sizeof t));
        else if (!strcmp(key, "backend"))
                snprintf(buf, len, "%s", d->backend);
        else if (!strcmp(key, "docker_image"))
                snprintf(buf, len, "%s", d->docker_image);
        else if (!strcmp(key, "docker_agent"))
                snprintf(buf, len, "lr-agent beside llm-runtime");
        else if (!strcmp(key, "docker_pool_size"))
                snprintf(buf, len, "%llu", (unsigned long long)d->docker_pool_size);
        else if (!strcmp(key, "docker_pool_idle"))
                snprintf(buf, len, "%llus", (unsigned long long)(d->docker_pool_idle_ms / 1000));
        else if (!strcmp(key, "sandbox_uid"))
                snprintf(buf, len, "%u", d->uid);
        else if (!strcmp(key, "sandbox_gid"))
                snprintf(buf, len, "%u", d->gid);
        else if (!strcmp(key, "cgroup"))
                snprintf(buf, len, "auto");
        else if (!strcmp(key, "audit_log"))
                snprintf(buf, len, "~/.local/state/llm-runtime/audit.jsonl");
        else if (!strcmp(key, "rootfs"))
                snprintf(buf, len, "host");
        else if (!strcmp(key, "input"))
                snprintf(buf, len, "stdin");
        else if (!strcmp(key, "output"))
                snprintf(buf, len, "stdout");
        else if (!strcmp(key, "json") || !strcmp(key, "verbose"))
                snprintf(buf, len, "off");
        else if (!strcmp(key, "approval_default"))
                snprintf(buf, len, "allow");
        else if (!strcmp(key, "allow") || !strcmp(key, "ask") || !strcmp(key, "deny"))
                snprintf(buf, len, "no rules");
        else if (!strcmp(key, "env"))
                snprintf(buf, len, "PATH, HOME=/workspace, USER, SHELL, TMPDIR; LANG, LC_ALL, LC_CTYPE, TERM, TZ from the caller");
}

void lr_cli_usage(FILE *f)
{
        lr_config_t d;
        lr_config_defaults(&d);
        fprintf(f,
                "Usage: llm-runtime [OPTIONS] < reply.txt\n"
                "       llm-runtime mcp [OPTIONS]     MCP tool server on stdio\n"
                "       llm-runtime serve [OPTIONS]   JSON-RPC sandbox API on stdio (orchestrators)\n"
                "       llm-runtime prune             remove this host's warm-pool containers and\n"
                "                                     those of dead runtimes (docker backend)\n"
                "\n"
                "Runs the tool commands in an LLM reply inside a sandbox and prints the results:\n"
                "  <open PATH>                 read a file\n"
                "  <write PATH>CONTENT</write> write a file (atomically)\n"
                "  <exec COMMAND>              run a shell command\n"
                "  <exec>SCRIPT[<stdin>DATA]</exec>  multi-line script, optional stdin\n"
                "Full grammar and output format: docs/PROTOCOL.md\n");
        const char *group = NULL;
        for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
                const struct flag *fl = &flags[i];
                if (!fl->group)
                        continue;
                if (!group || strcmp(group, fl->group) != 0) {
                        group = fl->group;
                        fprintf(f, "\n%s:\n", group);
                }
                char left[64], def[96];
                snprintf(left, sizeof left, "--%s%s%s", fl->name, fl->metavar ? " " : "",
                         fl->metavar ? fl->metavar : "");
                flag_default(&d, fl->key ? fl->key : fl->name, def, sizeof def);
                if (!strcmp(fl->name, "root"))
                        snprintf(def, sizeof def, ".");
                fprintf(f, "  %-26s %s%s%s%s\n", left, fl->help, def[0] ? " (default: " : "", def,
                        def[0] ? ")" : "");
        }
        fprintf(f,
                "\nOther:\n"
                "  -h, --help                 show this help\n"
                "  --version                  show the version\n"
                "\n"
                "Sizes take k, m, g suffixes (binary); durations take ms, s, m, h.\n"
                "Config: $XDG_CONFIG_HOME/llm-runtime/llm-runtime.config.yaml, then the\n"
                "workspace's llm-runtime.config.yaml (which may only lower limits: the\n"
                "sandbox can write it).  Keys are the option names with '_' for '-'\n"
                "(exec_timeout: 30s).  Flags override files.\n");
        lr_config_free(&d);
}
