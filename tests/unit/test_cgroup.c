/* Unit tests for cgroup limits (src/sandbox/cgroup.c) on fake hierarchies.
 *
 * A mock stands in for the kernel here, and only here: this machine's
 * hybrid layout (v1 controllers, an empty v2 mount) cannot host a real v2
 * hierarchy, so these tests run the v1 and v2 code against directory trees
 * in /tmp and check which files get which values.  Enforcement by the real
 * kernel is covered by the hostile suite (fork bomb, OOM, CPU), on v1.  One
 * test uses the real kernel: clone3(CLONE_INTO_CGROUP) into a directory of
 * this machine's cgroup2 mount (it has no controllers, but the placement of
 * a new child can be checked). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/config.h"
#include "sandbox/sandbox.h"

static char root[64];
static char self[128];

static void run(const char *cmd)
{
        assert_int_equal(system(cmd), 0);
}

static void mkdirs(const char *base, const char *a, const char *b)
{
        char cmd[512];
        snprintf(cmd, sizeof cmd, "mkdir -p '%s/%s' '%s/%s'", base, a, base, b);
        run(cmd);
}

static int setup(void **state)
{
        (void)state;
        snprintf(root, sizeof root, "/tmp/lr-cgtest.XXXXXX");
        if (!mkdtemp(root))
                return -1;
        snprintf(self, sizeof self, "%s/self-cgroup", root);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
        run(cmd);
        return 0;
}

static void write_file(const char *path, const char *content)
{
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(content, f);
        fclose(f);
}

static void expect_file(const char *dir, const char *name, const char *want)
{
        char path[512], buf[256] = { 0 };
        snprintf(path, sizeof path, "%s/%s", dir, name);
        FILE *f = fopen(path, "r");
        if (!f)
                fail_msg("%s was not written", path);
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        if (strcmp(buf, want) != 0)
                fail_msg("%s = '%s', want '%s'", path, buf, want);
}

static void limits(lr_config_t *c)
{
        lr_config_defaults(c);
        c->memory = 256u << 20;
        c->pids = 77;
        c->cpus = 0.5;
}

/* cgroup_create with the test limits, in a fake tree whose "kernel" makes
 * kernel_files (NULL: none) in each new cgroup directory. */
static lr_cgroup_t *create_ok(lr_config_t *c, const char *name, const char *const *kernel_files)
{
        limits(c);
        cgroup_test_set_kernel_files(kernel_files);
        lr_cgroup_t *cg = NULL;
        lr_error_t e;
        int r = cgroup_create(c, name, &cg, &e);
        cgroup_test_set_kernel_files(NULL);
        if (r < 0)
                fail_msg("cgroup_create: %s", e.msg);
        return cg;
}

/* Our own start time, as cgroup names carry it: /proc/self/stat field 22,
 * counted after the command name's closing ')'. */
static unsigned long long self_start(void)
{
        char buf[1024] = { 0 };
        FILE *f = fopen("/proc/self/stat", "r");
        assert_non_null(f);
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        char *p = strrchr(buf, ')');
        assert_non_null(p);
        for (int field = 3; field <= 22; field++) {
                p = strchr(p + 1, ' ');
                assert_non_null(p);
        }
        unsigned long long start = strtoull(p + 1, NULL, 10);
        assert_true(start > 0);
        return start;
}

/* dir/llm-runtime.<our pid>.<our start>.session */
static void own_name(char *buf, size_t len, const char *dir, const char *session)
{
        snprintf(buf, len, "%s/llm-runtime.%d.%llu.%s", dir, (int)getpid(), self_start(), session);
}

static void v1_hierarchy(void **state)
{
        (void)state;
        char d[256];
        mkdirs(root, "memory/lr", "pids/lr");
        mkdirs(root, "cpu/lr", "cpu/lr");
        write_file(self, "9:name=systemd:/\n8:pids:/lr\n4:memory:/lr\n1:cpu,cpuacct:/lr\n0::/\n");
        /* a stale cgroup of a dead runtime, to be swept */
        snprintf(d, sizeof d, "%s/memory/lr/llm-runtime.999999999.old", root);
        assert_int_equal(mkdir(d, 0755), 0);
        /* our pid with another start time: a dead runtime whose pid was
         * reused, also swept; one with our start time is ours, and kept */
        char reused[256], live[256], lrdir[200];
        snprintf(reused, sizeof reused, "%s/memory/lr/llm-runtime.%d.1.reused", root, (int)getpid());
        assert_int_equal(mkdir(reused, 0755), 0);
        snprintf(lrdir, sizeof lrdir, "%s/memory/lr", root);
        own_name(live, sizeof live, lrdir, "live");
        assert_int_equal(mkdir(live, 0755), 0);
        cgroup_test_set_paths(root, self);

        lr_config_t c;
        lr_cgroup_t *cg = create_ok(&c, "t1", NULL);
        lr_error_t e;
        struct stat st;
        assert_int_equal(stat(d, &st), -1); /* swept */
        assert_int_equal(stat(reused, &st), -1);
        assert_int_equal(stat(live, &st), 0);
        assert_int_equal(rmdir(live), 0);

        char mem[256], pids[256], cpu[256], dir[200];
        snprintf(dir, sizeof dir, "%s/memory/lr", root);
        own_name(mem, sizeof mem, dir, "t1");
        snprintf(dir, sizeof dir, "%s/pids/lr", root);
        own_name(pids, sizeof pids, dir, "t1");
        snprintf(dir, sizeof dir, "%s/cpu/lr", root);
        own_name(cpu, sizeof cpu, dir, "t1");
        expect_file(mem, "memory.limit_in_bytes", "268435456");
        expect_file(mem, "memory.swappiness", "0"); /* no memsw file in this tree */
        expect_file(pids, "pids.max", "77");
        expect_file(cpu, "cpu.cfs_period_us", "100000");
        expect_file(cpu, "cpu.cfs_quota_us", "50000");
        assert_non_null(strstr(cgroup_describe(cg), "cgroup v1"));

        assert_int_equal(cgroup_parent_attach(cg, 4242, &e), 0);
        expect_file(mem, "cgroup.procs", "4242");
        expect_file(pids, "cgroup.procs", "4242");
        expect_file(cpu, "cgroup.procs", "4242");

        write_file(strcat(strcpy(d, mem), "/memory.oom_control"),
                   "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
        assert_int_equal(cgroup_oom_kills(cg), 3);
        cgroup_destroy(cg);
        lr_config_free(&c);
}

/* Where the kernel has swap accounting, v1 "no swap" is memory+swap capped
 * at the memory limit; and the cloning thread steps into the sandbox's
 * cgroups and back out (cgroup_enter_self / cgroup_leave_self). */
static void v1_no_swap_and_enter_self(void **state)
{
        (void)state;
        static const char *const kernel_files[] = { "memory.memsw.limit_in_bytes", NULL };
        mkdirs(root, "memory/lr", "pids/lr");
        mkdirs(root, "cpu/lr", "cpu/lr");
        write_file(self, "8:pids:/lr\n4:memory:/lr\n1:cpu,cpuacct:/lr\n");
        cgroup_test_set_paths(root, self);
        lr_config_t c;
        lr_cgroup_t *cg = create_ok(&c, "t4", kernel_files);
        lr_error_t e;
        char mem[256], dir[200], parent[200];
        snprintf(dir, sizeof dir, "%s/memory/lr", root);
        own_name(mem, sizeof mem, dir, "t4");
        expect_file(mem, "memory.limit_in_bytes", "268435456");
        expect_file(mem, "memory.memsw.limit_in_bytes", "268435456");
        char path[300];
        snprintf(path, sizeof path, "%s/memory.swappiness", mem);
        assert_int_equal(access(path, F_OK), -1); /* no fallback needed */

        assert_int_equal(cgroup_version(cg), 1);
        assert_int_equal(cgroup_open_v2_dir(cg), -1);
        assert_int_equal(cgroup_enter_self(cg), 0);
        expect_file(mem, "tasks", "0");
        char pids[256];
        snprintf(dir, sizeof dir, "%s/pids/lr", root);
        own_name(pids, sizeof pids, dir, "t4");
        expect_file(pids, "tasks", "0");
        assert_int_equal(cgroup_leave_self(cg, &e), 0);
        snprintf(parent, sizeof parent, "%s/memory/lr", root);
        expect_file(parent, "tasks", "0");
        snprintf(parent, sizeof parent, "%s/cpu/lr", root);
        expect_file(parent, "tasks", "0");
        cgroup_destroy(cg);
        lr_config_free(&c);
}

static void existing_cgroup_is_reported(void **state)
{
        (void)state;
        /* A name clash (the same pid and session) must fail loudly, never
         * share a cgroup with another sandbox. */
        mkdirs(root, "memory/lr", "pids/lr");
        write_file(self, "8:pids:/lr\n4:memory:/lr\n1:cpu,cpuacct:/lr\n");
        cgroup_test_set_paths(root, self);
        lr_config_t c;
        limits(&c);
        char mem[256], dir[200];
        snprintf(dir, sizeof dir, "%s/memory/lr", root);
        own_name(mem, sizeof mem, dir, "t3");
        assert_int_equal(mkdir(mem, 0755), 0);
        lr_cgroup_t *cg = NULL;
        lr_error_t e;
        assert_int_equal(cgroup_create(&c, "t3", &cg, &e), -1);
        assert_non_null(strstr(e.msg, "cannot create cgroup"));
        lr_config_free(&c);
}

static void v2_hierarchy(void **state)
{
        (void)state;
        char base[256];
        snprintf(base, sizeof base, "%s/v2", root);
        mkdirs(base, "user.slice", "user.slice");
        char ctl[300];
        snprintf(ctl, sizeof ctl, "%s/cgroup.controllers", base);
        write_file(ctl, "cpu memory pids\n");
        write_file(self, "0::/user.slice\n");
        cgroup_test_set_paths(base, self);
        static const char *const kernel_files[] = { "memory.swap.max", NULL };
        lr_config_t c;
        lr_cgroup_t *cg = create_ok(&c, "t2", kernel_files);
        lr_error_t e;
        char dir[300];
        if (geteuid() == 0) {
                expect_file(base, "cgroup.subtree_control", "+memory +pids +cpu");
                snprintf(dir, sizeof dir, "%s/llm-runtime", base);
                expect_file(dir, "cgroup.subtree_control", "+memory +pids +cpu");
                char p[300];
                snprintf(p, sizeof p, "%s/llm-runtime", base);
                own_name(dir, sizeof dir, p, "t2");
        } else {
                char p[300];
                snprintf(p, sizeof p, "%s/user.slice", base);
                expect_file(p, "cgroup.subtree_control", "+memory +pids +cpu");
                own_name(dir, sizeof dir, p, "t2");
        }
        expect_file(dir, "memory.max", "268435456");
        expect_file(dir, "memory.swap.max", "0");
        expect_file(dir, "pids.max", "77");
        expect_file(dir, "cpu.max", "50000 100000");
        assert_non_null(strstr(cgroup_describe(cg), "cgroup v2"));
        assert_int_equal(cgroup_version(cg), 2);
        assert_int_equal(cgroup_enter_self(cg), -1); /* v2 clones into it instead */
        int fd = cgroup_open_v2_dir(cg);
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(cgroup_parent_attach(cg, 4343, &e), 0);
        expect_file(dir, "cgroup.procs", "4343");
        char ev[400];
        snprintf(ev, sizeof ev, "%s/memory.events", dir);
        write_file(ev, "low 0\nhigh 0\nmax 5\noom 2\noom_kill 2\n");
        assert_int_equal(cgroup_oom_kills(cg), 2);
        cgroup_destroy(cg);
        lr_config_free(&c);
}

/* The one real-kernel check here: clone3(CLONE_INTO_CGROUP) through
 * cgroup_clone_into, on whichever cgroup2 mount this machine has (the hybrid
 * layout's /sys/fs/cgroup/unified has no controllers, but a child can still
 * be born in one of its directories).  Needs root to create a directory. */
static void clone_into_real_cgroup2(void **state)
{
        (void)state;
        const char *mounts[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
        const char *base = NULL;
        for (size_t i = 0; i < 2 && !base; i++) {
                struct statfs sf;
                if (statfs(mounts[i], &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
                        base = mounts[i];
        }
        if (!base || geteuid() != 0) {
                printf("# skip: %s\n", !base ? "no cgroup2 mount" : "needs root to create a cgroup");
                skip();
        }
        char dir[256], want[128];
        snprintf(want, sizeof want, "lr-clone-test.%d", (int)getpid());
        snprintf(dir, sizeof dir, "%s/%s", base, want);
        if (mkdir(dir, 0755) < 0) {
                printf("# skip: cannot create %s\n", dir);
                skip();
        }
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        pid_t pid = cgroup_clone_into(fd, 0);
        if (pid == 0) {
                /* The child: born in the new cgroup, per its own view. */
                char buf[4096] = { 0 };
                FILE *f = fopen("/proc/self/cgroup", "r");
                size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
                buf[n] = '\0';
                _exit(strstr(buf, want) ? 0 : 3);
        }
        close(fd);
        if (pid < 0) {
                int e = errno;
                rmdir(dir);
                fail_msg("clone3(CLONE_INTO_CGROUP) into %s: %s", dir, strerror(e));
        }
        int st = 0;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
        assert_int_equal(rmdir(dir), 0);
}

static void missing_controller_names_the_fix(void **state)
{
        (void)state;
        char base[256];
        snprintf(base, sizeof base, "%s/none", root);
        mkdirs(base, ".", ".");
        write_file(self, "4:memory:/x\n");  /* no pids line */
        cgroup_test_set_paths(base, self);
        lr_config_t c;
        limits(&c);
        lr_cgroup_t *cg = NULL;
        lr_error_t e;
        assert_int_equal(cgroup_create(&c, "t4", &cg, &e), -1);
        assert_int_equal(e.code, LR_E_SANDBOX_UNAVAILABLE);
        assert_non_null(strstr(e.msg, "--cgroup off"));
        lr_config_free(&c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(v1_hierarchy),
                cmocka_unit_test(v1_no_swap_and_enter_self),
                cmocka_unit_test(existing_cgroup_is_reported),
                cmocka_unit_test(v2_hierarchy),
                cmocka_unit_test(missing_controller_names_the_fix),
                cmocka_unit_test(clone_into_real_cgroup2),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
