/* main.c - the llm-runtime command line.
 *
 * Pipe mode (the default): configuration, one sandbox session, the reply
 * on stdin (or --input) scanned and executed command by command, results on
 * stdout (or --output).  Exit status: 0 when the input was processed (failed
 * commands are results, as in the Go tool), 1 on configuration, sandbox or
 * I/O errors, reported once on stderr with the fix.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "cli/mcp.h"
#include "docker/docker.h"
#include "cli/serve.h"
#include "cli/options.h"
#include "core/config.h"
#include "core/error.h"
#include "core/util.h"
#include "pipe/pipe.h"
#include "sandbox/sandbox.h"
#include "session/session.h"

#define LR_VERSION "0.1.0"

/* Ctrl-C, SIGTERM, SIGHUP: take the sandbox down with us, cgroup included,
 * then die of the same signal so the caller sees how we ended.  Without
 * this the sandbox would still die (parent-death signal, channel EOF) but
 * its cgroup would wait for the next run's sweep. */
static void on_terminate(int sig)
{
        lr_native_emergency_stop();
        signal(sig, SIG_DFL);
        raise(sig);
}

static int fail(const lr_error_t *err)
{
        fprintf(stderr, "llm-runtime: %s: %s\n", lr_code_name(err->code), err->msg);
        return 1;
}

static void make_session_id(char *buf, size_t len)
{
        unsigned char r[8];
        if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
                uint64_t t = lr_now_ns() ^ ((uint64_t)getpid() << 32);
                memcpy(r, &t, sizeof r);
        }
        snprintf(buf, len, "%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5],
                 r[6], r[7]);
}

static void print_config(const lr_config_t *cfg, const char *audit_path, const char *sandbox)
{
        char a[32], b[32], m[32], t[32], o[32];
        fprintf(stderr,
                "llm-runtime %s\n"
                "  workspace:     %s (mounted at /workspace)\n"
                "  config file:   %s\n"
                "  backend:       %s\n"
                "  sandbox:       %s\n"
                "  max read:      %s\n"
                "  max write:     %s\n"
                "  exec timeout:  %.3gs\n"
                "  exec memory:   %s, cpus %.3g, pids %llu\n"
                "  tmpfs:         %s, output limit %s per stream\n"
                "  audit log:     %s\n",
                LR_VERSION, cfg->root, cfg->config_path ? cfg->config_path : "(none)",
                cfg->backend, sandbox, lr_format_size(cfg->max_read, a, sizeof a),
                lr_format_size(cfg->max_write, b, sizeof b), (double)cfg->exec_timeout_ms / 1000,
                lr_format_size(cfg->memory, m, sizeof m), cfg->cpus,
                (unsigned long long)cfg->pids, lr_format_size(cfg->tmpfs_size, t, sizeof t),
                lr_format_size(cfg->output_limit, o, sizeof o),
                audit_path ? audit_path : "(disabled)");
}

/* Resolve --root to an absolute directory before anything else uses it. */
static int resolve_root(lr_config_t *cfg, const char *root, lr_error_t *err)
{
        char buf[PATH_MAX];
        struct stat st;
        if (!realpath(root, buf))
                return lr_error_set(err, LR_E_CONFIG, errno,
                                    "workspace root %s does not exist: %s", root,
                                    strerror(errno));
        if (stat(buf, &st) < 0 || !S_ISDIR(st.st_mode))
                return lr_error_set(err, LR_E_CONFIG, ENOTDIR,
                                    "workspace root %s is not a directory", root);
        free(cfg->root);
        cfg->root = lr_xstrdup(buf);
        return 0;
}

static int open_io(const char *path, int flags, int dflt, const char *what, int *ret,
                   lr_error_t *err)
{
        if (!path || strcmp(path, "-") == 0) {
                *ret = dflt;
                return 0;
        }
        int fd = open(path, flags | O_CLOEXEC, 0644);
        if (fd < 0)
                return lr_error_set(err, LR_E_CONFIG, errno, "cannot open %s file %s: %s", what,
                                    path, strerror(errno));
        *ret = fd;
        return 0;
}

int main(int argc, char **argv)
{
        lr_cli_t cli = { 0 };
        lr_config_t cfg;
        lr_error_t err = { 0 };
        lr_audit_t *audit = NULL;
        lr_session_t *session = NULL;
        int in_fd = -1, out_fd = -1;
        int status = 1;
        char sid[32];

        /* A closed output pipe is reported as an error, not a silent death
         * that would leave the sandbox to its parent-death signal. */
        signal(SIGPIPE, SIG_IGN);
        /* Never let a write near RLIMIT_FSIZE kill the runtime mid-output. */
        signal(SIGXFSZ, SIG_IGN);
        struct sigaction sa = { .sa_handler = on_terminate };
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);

        lr_config_defaults(&cfg);
        if (lr_cli_parse(argc, argv, &cli, &err) < 0) {
                fprintf(stderr, "llm-runtime: %s\nTry 'llm-runtime --help'.\n", err.msg);
                goto out;
        }
        if (cli.help || (cli.subcommand && strcmp(cli.subcommand, "help") == 0)) {
                lr_cli_usage(stdout);
                status = 0;
                goto out;
        }
        if (cli.version || (cli.subcommand && strcmp(cli.subcommand, "version") == 0)) {
                printf("llm-runtime %s\n", LR_VERSION);
                status = 0;
                goto out;
        }
        if (cli.subcommand && strcmp(cli.subcommand, "prune") == 0) {
                int n = lr_docker_drain(&cfg, true, &err);
                if (n < 0) {
                        status = fail(&err);
                } else {
                        printf("removed %d container%s\n", n, n == 1 ? "" : "s");
                        status = 0;
                }
                goto out;
        }
        bool mcp = cli.subcommand && strcmp(cli.subcommand, "mcp") == 0;
        bool serve = cli.subcommand && strcmp(cli.subcommand, "serve") == 0;
        if (cli.n_rest > 0) {
                fprintf(stderr, "llm-runtime: unexpected argument '%s'\nTry 'llm-runtime --help'.\n",
                        cli.rest[0]);
                goto out;
        }

        if (resolve_root(&cfg, cli.root ? cli.root : ".", &err) < 0 ||
            lr_config_load(&cfg, cfg.root, cli.config_path, &err) < 0 ||
            lr_cli_apply(&cli, &cfg, &err) < 0) {
                status = fail(&err);
                goto out;
        }
        /* The config file may not move the workspace: it was found there. */
        if (resolve_root(&cfg, cli.root ? cli.root : cfg.root, &err) < 0) {
                status = fail(&err);
                goto out;
        }

        make_session_id(sid, sizeof sid);
        if (cfg.audit && lr_audit_open(&audit, cfg.audit_log, cfg.root, sid, &err) < 0) {
                lr_error_wrap(&err, "cannot open the audit log (set audit_log, or --no-audit)");
                status = fail(&err);
                goto out;
        }
        if (open_io(cfg.input, O_RDONLY, STDIN_FILENO, "input", &in_fd, &err) < 0 ||
            open_io(cfg.output, O_WRONLY | O_CREAT | O_TRUNC, STDOUT_FILENO, "output", &out_fd,
                    &err) < 0) {
                status = fail(&err);
                goto out;
        }

        if (serve) {
                /* serve: sandboxes are created on request; stdout is the
                 * protocol, so the configuration goes to stderr. */
                print_config(&cfg, audit ? lr_audit_path(audit) : NULL,
                             "created per sandbox.create request");
                status = lr_serve(&cfg, audit, sid, in_fd, out_fd, &err) < 0 ? fail(&err) : 0;
                goto out;
        }
        if (lr_session_open(&cfg, sid, &session, &err) < 0) {
                if (audit) {
                        lr_audit_record_t rec = { .operation = "session_start", .bytes = -1,
                                                  .exit_code = -1, .duration_s = -1,
                                                  .outcome = lr_code_name(err.code),
                                                  .detail = err.msg };
                        lr_audit_write(audit, &rec, NULL);
                }
                status = fail(&err);
                goto out;
        }
        if (cfg.verbose || mcp) /* mcp: stdout is the protocol; say where we are on stderr */
                print_config(&cfg, audit ? lr_audit_path(audit) : NULL,
                             lr_session_describe(session));
        if (audit) {
                lr_audit_record_t rec = { .operation = "session_start", .path = cfg.root,
                                          .bytes = -1, .exit_code = -1, .duration_s = -1,
                                          .outcome = "ok",
                                          .detail = lr_session_describe(session) };
                lr_audit_write(audit, &rec, NULL);
        }

        if ((mcp ? lr_mcp_serve(&cfg, session, audit, in_fd, out_fd, &err)
                 : lr_pipe_run(&cfg, session, audit, in_fd, out_fd, &err)) < 0)
                status = fail(&err);
        else
                status = 0;

        if (audit) {
                lr_audit_record_t rec = { .operation = "session_end", .bytes = -1,
                                          .exit_code = -1, .duration_s = -1,
                                          .outcome = status == 0 ? "ok" : lr_code_name(err.code) };
                lr_audit_write(audit, &rec, NULL);
        }
out:
        lr_session_close(session);
        lr_audit_close(audit);
        if (in_fd > STDERR_FILENO)
                close(in_fd);
        if (out_fd > STDERR_FILENO && close(out_fd) < 0 && status == 0) {
                fprintf(stderr, "llm-runtime: IO_ERROR: closing output: %s\n", strerror(errno));
                status = 1;
        }
        lr_cli_free(&cli);
        lr_config_free(&cfg);
        return status;
}
