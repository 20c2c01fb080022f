/* Unit tests for src/policy/policy.c: rule parsing, deny wins, first match
 * decides, command lines split into simple commands, wrappers looked
 * through, path globs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "policy/policy.h"

static lr_policy_t pol;

static void add(lr_decision_t d, const char *text)
{
        lr_error_t err;
        if (lr_policy_add(&pol, d, text, &err) < 0)
                fail_msg("rule '%s': %s", text, err.msg);
}

static int setup(void **state)
{
        (void)state;
        lr_policy_init(&pol);
        add(LR_ALLOW, "exec git status");
        add(LR_ASK, "exec git");
        add(LR_DENY, "exec rm -rf");
        add(LR_DENY, "exec curl");
        add(LR_ALLOW, "exec ls");
        add(LR_ALLOW, "read_*");
        add(LR_DENY, "write_file .env");
        add(LR_ASK, "write_file secrets/**");
        add(LR_DENY, "write *.{pem,key}");
        pol.dflt = LR_ASK;
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        lr_policy_free(&pol);
        return 0;
}

static void decisions(void **state)
{
        (void)state;
        struct {
                const char *tool, *arg;
                lr_decision_t want;
                const char *rule; /* expected deciding rule, NULL = default */
        } t[] = {
                { "exec", "git status", LR_ALLOW, "allow: exec git status" },
                { "exec", "git status --short", LR_ALLOW, "allow: exec git status" },
                { "exec", "git push", LR_ASK, "ask: exec git" },       /* first match */
                { "exec", "gitk", LR_ASK, NULL },                      /* whole tokens only */
                { "exec", "rm -rf /", LR_DENY, "deny: exec rm -rf" },
                { "exec", "rm -r -f /", LR_ASK, NULL },                 /* not the same tokens */
                { "exec", "ls; rm -rf /", LR_DENY, "deny: exec rm -rf" }, /* every part judged */
                { "exec", "ls && curl x", LR_DENY, "deny: exec curl" },
                { "exec", "ls | curl x", LR_DENY, "deny: exec curl" },
                { "exec", "echo $(curl x)", LR_DENY, "deny: exec curl" },
                { "exec", "echo `curl x`", LR_DENY, "deny: exec curl" },
                { "exec", "ls\ncurl x", LR_DENY, "deny: exec curl" },
                { "exec", "FOO=1 curl x", LR_DENY, "deny: exec curl" }, /* assignments skipped */
                { "exec", "env A=b nice -n 5 curl x", LR_DENY, "deny: exec curl" },
                { "exec", "timeout 5 curl x", LR_DENY, "deny: exec curl" },
                { "exec", "sh -c 'curl x'", LR_DENY, "deny: exec curl" },
                { "exec", "bash -c \"ls; rm -rf /\"", LR_DENY, "deny: exec rm -rf" },
                { "exec", "echo 'rm -rf /'", LR_ASK, NULL },           /* quoted: an argument */
                { "exec", "ls -la", LR_ALLOW, "allow: exec ls" },
                { "exec", "ls; git push", LR_ASK, "ask: exec git" },    /* strictest part */
                { "exec", "", LR_ASK, NULL },
                { "read_text_file", "a.txt", LR_ALLOW, "allow: read_*" },
                { "write_file", ".env", LR_DENY, "deny: write_file .env" },
                { "write_file", "config/.env", LR_DENY, "deny: write_file .env" },
                { "write_file", "/workspace/.env", LR_DENY, "deny: write_file .env" },
                { "write_file", "./x/.env", LR_DENY, "deny: write_file .env" },
                { "write_file", "secrets/a/b", LR_ASK, "ask: write_file secrets/**" },
                { "write_file", "src/main.c", LR_ASK, NULL },
                { "write", "keys/server.pem", LR_DENY, "deny: write *.{pem,key}" },
                { "write", "id.key", LR_DENY, "deny: write *.{pem,key}" }, /* braces */
                { "exec", "true", LR_ASK, NULL },
        };
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
                lr_verdict_t v = lr_policy_check(&pol, t[i].tool, t[i].arg);
                const char *got = v.rule ? v.rule->text : NULL;
                if (v.decision != t[i].want ||
                    (t[i].rule ? !got || strcmp(got, t[i].rule) != 0 : got != NULL))
                        fail_msg("%s '%s': got %s by '%s', want %s by '%s'", t[i].tool, t[i].arg,
                                 lr_decision_name(v.decision), got ? got : "default",
                                 lr_decision_name(t[i].want), t[i].rule ? t[i].rule : "default");
        }
}

/* Deny wins over an earlier matching allow; a path rule whose tool glob
 * also matches exec ("* .env") is about files and never matches commands. */
static void deny_wins_and_path_rules_skip_exec(void **state)
{
        (void)state;
        lr_policy_t p;
        lr_error_t err;
        lr_policy_init(&p);
        assert_int_equal(lr_policy_add(&p, LR_ALLOW, "exec rm", &err), 0);
        assert_int_equal(lr_policy_add(&p, LR_DENY, "exec rm -rf", &err), 0);
        assert_int_equal(lr_policy_add(&p, LR_DENY, "* .env", &err), 0);
        assert_int_equal(lr_policy_add(&p, LR_DENY, "ex* rm", &err), 0);
        p.dflt = LR_ALLOW;
        struct {
                const char *tool, *arg;
                lr_decision_t want;
        } t[] = {
                { "exec", "rm -rf build", LR_DENY },  /* the later deny wins */
                { "exec", "rm build", LR_ALLOW },
                { "exec", "echo hello", LR_ALLOW },   /* "* .env" is not a command rule */
                { "exec", "cat .env", LR_ALLOW },     /* nor does it read arguments */
                { "write_file", ".env", LR_DENY },
                { "edit_file", "app/.env", LR_DENY },
                { "move_file", ".env", LR_DENY },
                { "write_file", "env.txt", LR_ALLOW },
        };
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
                lr_verdict_t v = lr_policy_check(&p, t[i].tool, t[i].arg);
                if (v.decision != t[i].want)
                        fail_msg("%s '%s': got %s, want %s", t[i].tool, t[i].arg,
                                 lr_decision_name(v.decision), lr_decision_name(t[i].want));
        }
        lr_policy_free(&p);
}

static void bad_rules(void **state)
{
        (void)state;
        lr_policy_t p;
        lr_error_t err;
        lr_policy_init(&p);
        assert_int_equal(lr_policy_add(&p, LR_DENY, "", &err), -1);
        assert_int_equal(lr_policy_add(&p, LR_DENY, "   ", &err), -1);
        assert_int_equal(lr_policy_add(&p, LR_DENY, "write_file a b", &err), -1);
        assert_non_null(strstr(err.msg, "one path pattern"));
        lr_decision_t d;
        assert_int_equal(lr_decision_parse("maybe", &d), -1);
        assert_int_equal(lr_decision_parse("ask", &d), 0);
        assert_int_equal(d, LR_ASK);
        lr_policy_free(&p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(decisions, setup, teardown),
                cmocka_unit_test(bad_rules),
                cmocka_unit_test(deny_wins_and_path_rules_skip_exec),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
