/* Unit tests for configuration: defaults, the YAML file, flags and their
 * precedence (src/core/config.c, src/cli/options.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/options.h"
#include "core/config.h"

static char *write_tmp(const char *content)
{
        char *path = strdup("/tmp/lr-cfg-test.XXXXXX");
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
        close(fd);
        return path;
}

static int load(const char *yaml, lr_config_t *cfg, lr_error_t *err)
{
        char *p = write_tmp(yaml);
        lr_config_defaults(cfg);
        int r = lr_config_load_file(cfg, p, err);
        unlink(p);
        free(p);
        return r;
}

static void defaults(void **state)
{
        (void)state;
        lr_config_t c;
        lr_config_defaults(&c);
        assert_true(c.max_read == 1u << 20);
        assert_true(c.exec_timeout_ms == 30000);
        assert_true(c.memory == 512u << 20);
        assert_int_equal(c.uid, 1000);
        assert_string_equal(c.backend, "native");
        assert_true(c.audit);
        lr_config_free(&c);
}

static void every_key(void **state)
{
        (void)state;
        lr_config_t c;
        lr_error_t e;
        int r = load("# comment\n"
                     "max_size: 2m\n"
                     "max-write-size: 512k\n"
                     "exec_timeout: 5s\n"
                     "exec_memory: 256m\n"
                     "exec_cpu: 0.5\n"
                     "exec_pids: 64\n"
                     "tmpfs_size: 16m\n"
                     "output_limit: 8k\n"
                     "open_files: 128\n"
                     "exec_file_size: 10m\n"
                     "backend: native\n"
                     "rootfs: /srv/img\n"
                     "sandbox_uid: 2000\n"
                     "sandbox_gid: 2001\n"
                     "cgroup: off\n"
                     "json: yes\n"
                     "verbose: false\n"
                     "audit_log: /var/log/lr.jsonl\n"
                     "env:\n  FOO: bar\n  GOFLAGS: -mod=vendor\n",
                     &c, &e);
        if (r < 0)
                fail_msg("load failed: %s", e.msg);
        assert_true(c.max_read == 2u << 20);
        assert_true(c.max_write == 512u << 10);
        assert_true(c.exec_timeout_ms == 5000);
        assert_true(c.memory == 256u << 20);
        assert_true(c.cpus == 0.5);
        assert_true(c.pids == 64);
        assert_true(c.tmpfs_size == 16u << 20);
        assert_true(c.output_limit == 8192);
        assert_true(c.open_files == 128);
        assert_true(c.file_size == 10u << 20);
        assert_string_equal(c.rootfs, "/srv/img");
        assert_int_equal(c.uid, 2000);
        assert_int_equal(c.gid, 2001);
        assert_int_equal(c.cgroup, LR_CGROUP_OFF);
        assert_true(c.json);
        assert_string_equal(c.audit_log, "/var/log/lr.jsonl");
        assert_int_equal(c.n_env, 2);
        assert_string_equal(c.env[0].name, "FOO");
        assert_string_equal(c.env[1].value, "-mod=vendor");
        assert_non_null(c.config_path);
        lr_config_free(&c);
}

static void errors(void **state)
{
        (void)state;
        struct {
                const char *yaml;
                const char *needle;
        } t[] = {
                { "exec_timeout: 1s\nbogus_key: 1\n", "unknown key 'bogus_key'" },
                { "exec_timeout: 1s\nbogus_key: 1\n", ":2:" },
                { "excluded_paths: [.git]\n", "container-only" },
                { "exec_whitelist:\n  - ls\n", "container-only" },
                { "exec_timeout: forever\n", "invalid duration" },
                { "exec_memory: lots\n", "invalid size" },
                { "exec_memory: 1m\n", "out of range" },
                { "exec_pids: 2\n", "out of range" },
                { "exec_cpu: 0\n", "exec_cpu" },
                { "sandbox_uid: 0\n", "out of range" },
                { "cgroup: maybe\n", "auto" },
                { "backend: podman\n", "native, docker or auto" },
                { "docker_pool_size: 65\n", "out of range" },
                { "json: perhaps\n", "true or false" },
                { "max_size: 1m\nmax_size: 2m\n", "duplicate key" },
                { "- a\n- b\n", "mapping" },
                { "max_size: [1, 2]\n", "single value" },
                { "env:\n  1BAD: x\n", "invalid variable name" },
                { "a: b\n---\nc: d\n", "" },
                { "max_size: \"1m\n", "YAML" },
        };
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
                lr_config_t c;
                lr_error_t e = { 0 };
                int r = load(t[i].yaml, &c, &e);
                if (r == 0)
                        fail_msg("config %zu was accepted:\n%s", i, t[i].yaml);
                assert_int_equal(e.code, LR_E_CONFIG);
                if (!strstr(e.msg, t[i].needle))
                        fail_msg("config %zu: message '%s' lacks '%s'", i, e.msg, t[i].needle);
                lr_config_free(&c);
        }
}

static void empty_file_is_fine(void **state)
{
        (void)state;
        lr_config_t c;
        lr_error_t e;
        assert_int_equal(load("", &c, &e), 0);
        lr_config_free(&c);
        assert_int_equal(load("# only a comment\n", &c, &e), 0);
        lr_config_free(&c);
}

static void flags_parse_and_override(void **state)
{
        (void)state;
        char *argv[] = { "llm-runtime", "--root", "/w", "--exec-timeout", "7s", "--json",
                         "--env", "A=1", "--no-audit", "-v", NULL };
        lr_cli_t cli;
        lr_error_t e;
        assert_int_equal(lr_cli_parse(10, argv, &cli, &e), 0);
        assert_string_equal(cli.root, "/w");
        lr_config_t c;
        assert_int_equal(load("exec_timeout: 3s\njson: false\n", &c, &e), 0);
        assert_true(c.exec_timeout_ms == 3000);
        assert_int_equal(lr_cli_apply(&cli, &c, &e), 0);
        assert_true(c.exec_timeout_ms == 7000); /* the flag wins */
        assert_true(c.json);
        assert_false(c.audit);
        assert_true(c.verbose);
        assert_int_equal(c.n_env, 1);
        lr_config_free(&c);
        lr_cli_free(&cli);
}

static void flag_errors(void **state)
{
        (void)state;
        struct {
                const char *a, *b;
                const char *needle;
        } t[] = {
                { "--bogus", NULL, "unknown option '--bogus'" },
                { "--exec-timeout", "abc", "--exec-timeout: invalid duration 'abc'" },
                { "--exec-whitelist", "ls", "--exec-whitelist was removed" },
                { "--exclude", NULL, "container-only" },
                { "--io-containerized", NULL, "container-only" },
                { "--exec-memory", NULL, "needs a value" },
        };
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
                char *argv[] = { "llm-runtime", (char *)t[i].a, (char *)t[i].b, NULL };
                lr_cli_t cli;
                lr_error_t e = { 0 };
                if (lr_cli_parse(t[i].b ? 3 : 2, argv, &cli, &e) == 0)
                        fail_msg("%s was accepted", t[i].a);
                if (!strstr(e.msg, t[i].needle))
                        fail_msg("%s: message '%s' lacks '%s'", t[i].a, e.msg, t[i].needle);
                lr_cli_free(&cli);
        }
}

static void help_lists_every_option(void **state)
{
        (void)state;
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        lr_cli_usage(f);
        fclose(f);
        static const char *const opts[] = {
                "--root", "--config", "--input", "--output", "--json", "--verbose", "--max-size",
                "--max-write-size", "--exec-timeout", "--exec-memory", "--exec-cpu",
                "--exec-pids", "--tmpfs-size", "--output-limit", "--open-files",
                "--exec-file-size", "--backend", "--rootfs", "--sandbox-uid", "--sandbox-gid",
                "--cgroup", "--env", "--audit-log", "--no-audit", "--help", "--version",
        };
        for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
                if (!strstr(buf, opts[i]))
                        fail_msg("--help lacks %s", opts[i]);
        assert_non_null(strstr(buf, "(default: 30s)"));
        assert_non_null(strstr(buf, "(default: 1.0 MiB)"));
        free(buf);
}

static void lookup_order(void **state)
{
        (void)state;
        char ws[] = "/tmp/lr-ws-XXXXXX";
        assert_non_null(mkdtemp(ws));
        char path[256];
        snprintf(path, sizeof path, "%s/llm-runtime.config.yaml", ws);
        FILE *f = fopen(path, "w");
        fputs("exec_pids: 99\n", f);
        fclose(f);
        lr_config_t c;
        lr_error_t e;
        lr_config_defaults(&c);
        assert_int_equal(lr_config_load(&c, ws, NULL, &e), 0);
        assert_true(c.pids == 99);
        assert_string_equal(c.config_path, path);
        lr_config_free(&c);
        /* an explicit --config must exist */
        lr_config_defaults(&c);
        assert_int_equal(lr_config_load(&c, ws, "/nonexistent/cfg.yaml", &e), -1);
        assert_non_null(strstr(e.msg, "/nonexistent/cfg.yaml"));
        lr_config_free(&c);
        unlink(path);
        rmdir(ws);
}

/* The workspace's own file is written by the sandbox: lower-only limits. */
static void workspace_file_is_restricted(void **state)
{
        (void)state;
        struct {
                const char *yaml;
                int ok;
        } t[] = {
                { "exec_timeout: 5s\nexec_memory: 128m\nexec_cpu: 0.5\njson: true\n", 1 },
                { "env:\n  A: b\n", 1 },
                { "exec_timeout: 30s\n", 1 },   /* equal to the default: not a raise */
                { "exec_timeout: 31s\n", 0 },
                { "exec_memory: 1g\n", 0 },
                { "exec_cpu: 2\n", 0 },
                { "output: /tmp/x\n", 0 },
                { "input: /etc/shadow\n", 0 },
                { "audit_log: /tmp/x\n", 0 },
                { "audit: false\n", 0 },
                { "rootfs: /\n", 0 },
                { "cgroup: off\n", 0 },
                { "sandbox_uid: 5\n", 0 },
                { "backend: native\n", 0 },
                { "root: /\n", 0 },
        };
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
                char *p = write_tmp(t[i].yaml);
                lr_config_t c;
                lr_error_t e = { 0 };
                lr_config_defaults(&c);
                int r = lr_config_load_workspace_file(&c, p, &e);
                if ((r == 0) != t[i].ok)
                        fail_msg("workspace config '%s': got %d (%s)", t[i].yaml, r, e.msg);
                if (!t[i].ok && !strstr(e.msg, "sandbox can write that file"))
                        fail_msg("workspace config '%s': message '%s'", t[i].yaml, e.msg);
                unlink(p);
                free(p);
                lr_config_free(&c);
        }
}

/* The shipped example must always load, so it cannot drift from the keys. */
static void example_file_loads(void **state)
{
        (void)state;
        const char *src = getenv("LR_SRCDIR");
        if (!src)
                skip();
        char path[512];
        snprintf(path, sizeof path, "%s/llm-runtime.config.example.yaml", src);
        lr_config_t c;
        lr_error_t e;
        lr_config_defaults(&c);
        if (lr_config_load_file(&c, path, &e) < 0)
                fail_msg("%s", e.msg);
        lr_config_t d;
        lr_config_defaults(&d);
        /* the example states the defaults */
        assert_true(c.max_read == d.max_read && c.exec_timeout_ms == d.exec_timeout_ms &&
                    c.memory == d.memory && c.pids == d.pids && c.tmpfs_size == d.tmpfs_size &&
                    c.output_limit == d.output_limit && c.file_size == d.file_size);
        lr_config_free(&c);
        lr_config_free(&d);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(defaults),          cmocka_unit_test(every_key),
                cmocka_unit_test(errors),            cmocka_unit_test(empty_file_is_fine),
                cmocka_unit_test(flags_parse_and_override), cmocka_unit_test(flag_errors),
                cmocka_unit_test(help_lists_every_option),  cmocka_unit_test(lookup_order),
                cmocka_unit_test(example_file_loads),
                cmocka_unit_test(workspace_file_is_restricted),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
