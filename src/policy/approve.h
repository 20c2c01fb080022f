/* approve.h - applying the approval policy to one call, on the host.
 *
 * lr_approve() judges a call with the policy, resolves "ask" (on the
 * controlling terminal in pipe mode; as a deny where nobody can be asked),
 * writes the decision to the audit log, and says whether the call may run.
 * Nothing reaches the sandbox before this returns true.
 */
#ifndef LR_APPROVE_H
#define LR_APPROVE_H

#include <stdbool.h>
#include <stddef.h>

#include "audit/audit.h"
#include "policy/policy.h"

typedef struct {
        const lr_policy_t *policy;
        lr_audit_t *audit;
        bool can_ask;     /* pipe mode: "ask" may prompt on /dev/tty */
        const char *mode; /* "pipe", "mcp", "serve": named in messages */
        const char *tty;  /* terminal to ask on; NULL = /dev/tty */
} lr_approver_t;

/* True when the policy is the default allow-everything one (no rules):
 * then nothing is judged and nothing is logged. */
bool lr_approver_trivial(const lr_approver_t *a);

/* May `tool` run with `arg` (a command for exec, a path otherwise; may be
 * NULL)?  On false, msg holds a message for the model naming the rule. */
bool lr_approve(const lr_approver_t *a, const char *tool, const char *arg, char *msg,
                size_t msglen);

#endif
