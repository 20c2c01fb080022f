/* policy.c - host-side approvals (see policy.h). */
#include "policy/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/glob.h"
#include "core/util.h"

#define MAX_TOKENS 64
#define MAX_RULES 1000

const char *lr_decision_name(lr_decision_t d)
{
        return d == LR_DENY ? "deny" : d == LR_ASK ? "ask" : "allow";
}

int lr_decision_parse(const char *s, lr_decision_t *ret)
{
        if (strcmp(s, "allow") == 0)
                *ret = LR_ALLOW;
        else if (strcmp(s, "ask") == 0)
                *ret = LR_ASK;
        else if (strcmp(s, "deny") == 0)
                *ret = LR_DENY;
        else
                return -1;
        return 0;
}

bool lr_policy_is_exec_tool(const char *tool)
{
        return strcmp(tool, "exec") == 0;
}

void lr_policy_init(lr_policy_t *p)
{
        memset(p, 0, sizeof *p);
        p->dflt = LR_ALLOW;
}

static void rule_free(lr_rule_t *r)
{
        free(r->text);
        lr_glob_free(&r->tool);
        if (r->has_path)
                lr_glob_free(&r->path);
        for (size_t i = 0; i < r->nargs; i++)
                free(r->args[i]);
        free(r->args);
}

void lr_policy_free(lr_policy_t *p)
{
        for (size_t i = 0; i < p->n; i++)
                rule_free(&p->rules[i]);
        free(p->rules);
        lr_policy_init(p);
}

/* Split a shell word list into tokens, honouring quotes and backslashes
 * (the quotes are removed).  Returns the count; stops at max. */
static size_t tokenize(const char *s, size_t len, char **out, size_t max)
{
        size_t n = 0, i = 0;
        while (i < len && n < max) {
                while (i < len && (s[i] == ' ' || s[i] == '\t'))
                        i++;
                if (i == len)
                        break;
                lr_buf_t b;
                lr_buf_init(&b, 0);
                char q = 0;
                while (i < len) {
                        char c = s[i];
                        if (q) {
                                if (c == q)
                                        q = 0;
                                else if (c == '\\' && q == '"' && i + 1 < len)
                                        lr_buf_putc(&b, s[++i]);
                                else
                                        lr_buf_putc(&b, c);
                        } else if (c == '\'' || c == '"') {
                                q = c;
                        } else if (c == '\\' && i + 1 < len) {
                                lr_buf_putc(&b, s[++i]);
                        } else if (c == ' ' || c == '\t') {
                                break;
                        } else {
                                lr_buf_putc(&b, c);
                        }
                        i++;
                }
                out[n++] = lr_xstrdup(lr_buf_cstr(&b));
                lr_buf_free(&b);
        }
        return n;
}

static int compile(lr_glob_t *g, const char *pat, const char *what, const char *text,
                   lr_error_t *err)
{
        const char *why;
        if (lr_glob_compile(g, pat, &why) < 0)
                return lr_error_set(err, LR_E_CONFIG, 0, "approval rule '%s': bad %s: %s", text,
                                    what, why);
        return 0;
}

int lr_policy_add(lr_policy_t *p, lr_decision_t d, const char *text, lr_error_t *err)
{
        char *tok[MAX_TOKENS + 1];
        size_t n = tokenize(text, strlen(text), tok, MAX_TOKENS + 1);
        lr_rule_t r = { .decision = d };
        bool exec = n > 0 && lr_policy_is_exec_tool(tok[0]);

        if (n == 0)
                lr_error_set(err, LR_E_CONFIG, 0, "empty approval rule");
        else if (n > MAX_TOKENS)
                lr_error_set(err, LR_E_CONFIG, 0, "approval rule '%s' has too many words", text);
        else if (p->n == MAX_RULES)
                lr_error_set(err, LR_E_CONFIG, 0, "too many approval rules (limit %d)", MAX_RULES);
        else if (!exec && n > 2)
                lr_error_set(err, LR_E_CONFIG, 0,
                             "approval rule '%s': a file tool takes one path pattern", text);
        else if (compile(&r.tool, tok[0], "tool pattern", text, err) == 0 &&
                 (exec || n == 1 || compile(&r.path, tok[1], "path pattern", text, err) == 0))
                goto add;
        if (n > 0 && r.tool.alts)
                lr_glob_free(&r.tool);
        for (size_t i = 0; i < n; i++)
                free(tok[i]);
        return -1;
add:
        r.text = lr_xasprintf("%s: %s", lr_decision_name(d), text);
        if (exec) {
                r.nargs = n - 1;
                r.args = lr_xcalloc(n, sizeof(char *));
                for (size_t i = 1; i < n; i++)
                        r.args[i - 1] = tok[i];
        } else if (n == 2) {
                r.has_path = true;
                r.path_is_name = !strchr(tok[1], '/');
                free(tok[1]);
        }
        free(tok[0]);
        p->rules = lr_xrealloc(p->rules, (p->n + 1) * sizeof *p->rules);
        p->rules[p->n++] = r;
        return 0;
}

/* ---- matching ---- */

static bool tool_matches(const lr_rule_t *r, const char *tool)
{
        return lr_glob_match(&r->tool, tool);
}

/* Words that run the rest of their arguments as a command. */
static size_t skip_wrappers(char **w, size_t n)
{
        static const char *const wrappers[] = { "env", "nice", "nohup", "timeout", "xargs",
                                                "command", "exec", "time", "stdbuf", "setsid" };
        size_t i = 0;
        for (;;) {
                while (i < n && strchr(w[i], '=') && w[i][0] != '=' && w[i][0] != '-')
                        i++; /* VAR=value */
                if (i >= n)
                        return i;
                bool wrap = false;
                for (size_t k = 0; k < ARRAY_SIZE(wrappers); k++)
                        if (strcmp(w[i], wrappers[k]) == 0)
                                wrap = true;
                if (!wrap)
                        return i;
                i++;
                /* Options and their numeric/duration arguments ("timeout 5",
                 * "nice -n 10"). */
                while (i < n && (w[i][0] == '-' || strspn(w[i], "0123456789.smhd") == strlen(w[i])))
                        i++;
        }
}

static bool prefix_matches(const lr_rule_t *r, char **w, size_t n)
{
        if (r->nargs > n)
                return false;
        for (size_t i = 0; i < r->nargs; i++)
                if (strcmp(r->args[i], w[i]) != 0 && !lr_glob_match_one(r->args[i], w[i]))
                        return false;
        return true;
}

/* A path glob without '/' names a file at any depth: it is matched
 * against the base name. */
static bool path_matches(const lr_rule_t *r, const char *path)
{
        const char *base = strrchr(path, '/');
        return lr_glob_match(&r->path, r->path_is_name && base ? base + 1 : path);
}

static lr_verdict_t judge(const lr_policy_t *p, const char *tool, char **w, size_t n,
                          const char *path)
{
        lr_verdict_t v = { p->dflt, NULL };
        bool exec = lr_policy_is_exec_tool(tool);
        const lr_rule_t *first = NULL;
        for (size_t i = 0; i < p->n; i++) {
                const lr_rule_t *r = &p->rules[i];
                if (!tool_matches(r, tool))
                        continue;
                bool m;
                if (exec)
                        /* A rule with a path pattern is about files: its
                         * tool glob may also match exec ("* .env"), but
                         * it must not turn into "any command". */
                        m = !r->has_path && prefix_matches(r, w, n);
                else
                        m = !r->has_path || (path && path_matches(r, path));
                if (!m)
                        continue;
                if (r->decision == LR_DENY)
                        return (lr_verdict_t){ LR_DENY, r };
                if (!first)
                        first = r;
        }
        if (first) {
                v.decision = first->decision;
                v.rule = first;
        }
        return v;
}

static lr_verdict_t stricter(lr_verdict_t a, lr_verdict_t b)
{
        return b.decision > a.decision ? b : a;
}

static lr_verdict_t check_line(const lr_policy_t *p, const char *cmd, int depth);

/* Judge one simple command (text s[0..len)). */
static lr_verdict_t judge_segment(const lr_policy_t *p, const char *s, size_t len, int depth)
{
        char *w[MAX_TOKENS];
        size_t n = tokenize(s, len, w, MAX_TOKENS);
        size_t k = skip_wrappers(w, n);
        lr_verdict_t v;
        /* sh -c 'SCRIPT': judge the script itself. */
        if (depth < 4 && n - k >= 3 &&
            (strcmp(w[k], "sh") == 0 || strcmp(w[k], "bash") == 0 || strcmp(w[k], "dash") == 0 ||
             strcmp(w[k], "/bin/sh") == 0 || strcmp(w[k], "/bin/bash") == 0) &&
            strcmp(w[k + 1], "-c") == 0) {
                v = check_line(p, w[k + 2], depth + 1);
        } else {
                v = judge(p, "exec", w + k, n - k, NULL);
        }
        for (size_t i = 0; i < n; i++)
                free(w[i]);
        return v;
}

static lr_verdict_t check_line(const lr_policy_t *p, const char *cmd, int depth)
{
        lr_verdict_t v = { LR_ALLOW, NULL };
        bool any = false;
        size_t len = strlen(cmd), start = 0;
        char q = 0;
        for (size_t i = 0; i <= len; i++) {
                char c = i < len ? cmd[i] : '\0';
                if (q) {
                        if (c == q)
                                q = 0;
                        else if (c == '\\' && q == '"' && i + 1 < len)
                                i++;
                        if (c != '\0')
                                continue;
                }
                if (c == '\\' && i + 1 < len) {
                        i++;
                        continue;
                }
                if (c == '\'' || c == '"') {
                        q = c;
                        continue;
                }
                bool sep = c == '\0' || c == ';' || c == '&' || c == '|' || c == '\n' ||
                           c == '`' || c == '(' || c == ')' || (c == '$' && cmd[i + 1] == '(');
                if (!sep)
                        continue;
                size_t a = start;
                while (a < i && (cmd[a] == ' ' || cmd[a] == '\t' || cmd[a] == '{' || cmd[a] == '!'))
                        a++;
                if (a < i) {
                        lr_verdict_t s = judge_segment(p, cmd + a, i - a, depth);
                        v = any ? stricter(v, s) : s;
                        any = true;
                }
                start = i + 1;
        }
        if (!any)
                v = judge(p, "exec", NULL, 0, NULL);
        return v;
}

static const char *normalize_path(const char *path)
{
        if (strncmp(path, "/workspace/", 11) == 0)
                path += 11;
        while (path[0] == '.' && path[1] == '/')
                path += 2;
        return path;
}

lr_verdict_t lr_policy_check(const lr_policy_t *p, const char *tool, const char *arg)
{
        if (lr_policy_is_exec_tool(tool))
                return check_line(p, arg ? arg : "", 0);
        return judge(p, tool, NULL, 0, arg ? normalize_path(arg) : NULL);
}
