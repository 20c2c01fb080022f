/* policy.h - host-side approvals: allow / ask / deny rules.
 *
 * A policy is an ordered list of rules plus a default.  Each rule is a
 * decision and a text "TOOL [ARGUMENT...]":
 *
 *     deny:  exec rm -rf          exec whose command starts with the tokens
 *     ask:   exec git push        "rm -rf" / "git push" (whole tokens)
 *     allow: exec git
 *     deny:  write_file .env      a file tool and a glob over its path (a
 *                                 glob without '/' matches the name at any depth)
 *     ask:   move_file
 *     allow: read_*               TOOL is a glob over tool names
 *
 * Evaluation: a matching deny rule always wins; otherwise the first
 * matching rule in file order decides; otherwise the default.  A command
 * line is split at unquoted ; & | && || newlines, $( ) and backticks, and
 * each simple command is judged on its own: the line is allowed only if
 * every part is, and the strictest part's decision is the line's (so
 * "ls; rm -rf /" is caught by "deny: exec rm").  Leading VAR=value words
 * and wrappers that run their arguments (env, nice, nohup, timeout, xargs,
 * command, exec, sh -c / bash -c) are looked through.
 *
 * Policies decide on the host, before anything reaches the sandbox.  They
 * are a convenience for people supervising a model, not the security
 * boundary: the sandbox is, and it holds whatever a policy lets through.
 */
#ifndef LR_POLICY_H
#define LR_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "core/glob.h"

typedef enum { LR_ALLOW = 0, LR_ASK = 1, LR_DENY = 2 } lr_decision_t;

typedef struct {
        lr_decision_t decision;
        char *text;     /* "deny: exec rm -rf", for messages and the audit log */
        lr_glob_t tool; /* over tool names */
        char **args;    /* exec: command-prefix words (each may be a glob) */
        size_t nargs;
        lr_glob_t path; /* file tools: the path glob, when has_path */
        bool has_path;
        bool path_is_name; /* the glob has no '/': match the file name */
} lr_rule_t;

typedef struct {
        lr_decision_t dflt;
        lr_rule_t *rules;
        size_t n;
} lr_policy_t;

typedef struct {
        lr_decision_t decision;
        const lr_rule_t *rule; /* the deciding rule, NULL for the default */
} lr_verdict_t;

const char *lr_decision_name(lr_decision_t d);
int lr_decision_parse(const char *s, lr_decision_t *ret);

void lr_policy_init(lr_policy_t *p);
void lr_policy_free(lr_policy_t *p);
/* Add a rule from its text ("exec git push").  Errors name the problem. */
int lr_policy_add(lr_policy_t *p, lr_decision_t d, const char *text, lr_error_t *err);

/* Judge one call.  tool is the tool's name ("exec", "open", "write",
 * "write_file", ...); for exec, arg is the command line; for file tools
 * the path (NULL when the tool has none). */
lr_verdict_t lr_policy_check(const lr_policy_t *p, const char *tool, const char *arg);

/* "exec" for exec tools, which take a command line; everything else takes
 * a path. */
bool lr_policy_is_exec_tool(const char *tool);

#endif
