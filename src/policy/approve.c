/* approve.c - applying the approval policy (see approve.h). */
#include "policy/approve.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"

bool lr_approver_trivial(const lr_approver_t *a)
{
        return !a->policy || (a->policy->n == 0 && a->policy->dflt == LR_ALLOW);
}

/* The model wrote the command: it may carry escape sequences that would
 * repaint the prompt ("\e[2K... Allow? y").  Show control bytes as '?'. */
static void terminal_safe(const char *s, char *out, size_t len)
{
        size_t n = 0;
        for (; s && *s && n + 4 < len; s++) {
                unsigned char c = (unsigned char)*s;
                out[n++] = (c < 0x20 && c != '\t') || c == 0x7f ? '?' : (char)c;
        }
        if (s && *s) {
                memcpy(out + n, "...", 3);
                n += 3;
        }
        out[n] = '\0';
}

/* Ask on the terminal.  Returns 1 yes, 0 no, -1 no terminal. */
static int ask_terminal(const lr_approver_t *a, const char *tool, const char *arg,
                        const char *rule)
{
        int fd = open(a->tty ? a->tty : "/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -1;
        char shown[2048], prompt[2300];
        terminal_safe(arg, shown, sizeof shown);
        snprintf(prompt, sizeof prompt, "\nllm-runtime: approval needed (%s)\n  %s: %s\nAllow? [y/N] ",
                 rule, tool, arg ? shown : "");
        if (lr_write_full(fd, prompt, strlen(prompt)) < 0) {
                close(fd);
                return -1;
        }
        char ans[64];
        size_t k = 0;
        for (;;) {
                char ch;
                ssize_t r = read(fd, &ch, 1);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0 || ch == '\n')
                        break;
                if (k + 1 < sizeof ans)
                        ans[k++] = ch;
        }
        ans[k] = '\0';
        close(fd);
        return strcmp(ans, "y") == 0 || strcmp(ans, "Y") == 0 || strcmp(ans, "yes") == 0;
}

bool lr_approve(const lr_approver_t *a, const char *tool, const char *arg, char *msg,
                size_t msglen)
{
        if (lr_approver_trivial(a))
                return true;
        lr_verdict_t v = lr_policy_check(a->policy, tool, arg);
        const char *rule = v.rule ? v.rule->text : NULL;
        char dflt[48];
        if (!rule) {
                snprintf(dflt, sizeof dflt, "default: %s", lr_decision_name(v.decision));
                rule = dflt;
        }
        const char *outcome = lr_decision_name(v.decision);
        bool ok = v.decision == LR_ALLOW;
        if (v.decision == LR_DENY) {
                snprintf(msg, msglen, "%s denied by the approval policy (rule '%s')", tool, rule);
        } else if (v.decision == LR_ASK) {
                int ans = a->can_ask ? ask_terminal(a, tool, arg, rule) : -1;
                ok = ans == 1;
                outcome = ans == 1 ? "ask: approved" : ans == 0 ? "ask: refused" : "ask: nobody to ask";
                if (ans == 0)
                        snprintf(msg, msglen, "%s refused by the user (rule '%s')", tool, rule);
                else if (ans < 0)
                        snprintf(msg, msglen,
                                 "%s needs approval (rule '%s') but nobody can be asked in %s "
                                 "mode; it was not run. Ask the user to run it or to change "
                                 "the policy.",
                                 tool, rule, a->mode);
        }
        if (a->audit) {
                char op[96];
                snprintf(op, sizeof op, "approval:%s", tool);
                lr_audit_record_t rec = {
                        .operation = op,
                        .path = lr_policy_is_exec_tool(tool) ? NULL : arg,
                        .command = lr_policy_is_exec_tool(tool) ? arg : NULL,
                        .bytes = -1,
                        .exit_code = -1,
                        .duration_s = -1,
                        .outcome = outcome,
                        .detail = rule,
                };
                lr_audit_write(a->audit, &rec, NULL);
        }
        return ok;
}
