/* agent.c - the agent's request loop (see agent.h). */
#include "agent/agent.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define LR_AGENT_VERSION "llm-runtime-agent " "0.1.0"

/* The host bounds what it sends by its own config; the agent bounds what it
 * accepts by the same ceiling plus headroom for the other fields. */
#define AGENT_MAX_REQUEST ((size_t)LR_WIRE_MAX_FRAME)

void lr_agent_result_error(lr_buf_t *out, lr_code_t code, int errnum, const char *fmt, ...)
{
        char msg[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        lr_wire_begin(out, LR_MSG_RESULT);
        lr_wire_put_u64(out, LR_T_CODE, (uint64_t)code);
        lr_wire_put_u64(out, LR_T_ERRNO, (uint64_t)(errnum < 0 ? 0 : errnum));
        lr_wire_put_str(out, LR_T_MSG, msg);
}

/* Split "K=V\0K=V\0" into a NULL-terminated envp. */
static int agent_parse_env(lr_agent_t *a, const lr_field_t *f)
{
        size_t n = 0;
        a->env_blob = lr_xmalloc((size_t)f->len + 1);
        memcpy(a->env_blob, f->data, f->len);
        a->env_blob[f->len] = '\0';
        for (size_t i = 0; i < f->len; i++)
                if (a->env_blob[i] == '\0')
                        n++;
        a->envp = lr_xcalloc(n + 2, sizeof(char *));
        size_t k = 0;
        for (size_t i = 0; i < f->len;) {
                size_t l = strlen(a->env_blob + i);
                if (l > 0 && strchr(a->env_blob + i, '='))
                        a->envp[k++] = a->env_blob + i;
                i += l + 1;
        }
        a->envp[k] = NULL;
        return 0;
}

static int agent_init(lr_agent_t *a, const lr_msg_view_t *v, lr_error_t *err)
{
        if (v->type != LR_MSG_INIT)
                return lr_error_set(err, LR_E_PROTOCOL, 0, "expected INIT, got %d", v->type);
        if (lr_wire_get_str(v, LR_T_CWD, &a->cwd, err) < 0 ||
            lr_wire_get_str(v, LR_T_SHELL, &a->shell, err) < 0)
                return -1;
        if (v->f[LR_T_ENV].present)
                agent_parse_env(a, &v->f[LR_T_ENV]);
        else
                a->envp = lr_xcalloc(1, sizeof(char *));
        a->nofile = lr_wire_u64_or(v, LR_T_NOFILE, 1024);
        a->fsize = lr_wire_u64_or(v, LR_T_FSIZE, 1ull << 30);
        a->grace_ms = lr_wire_u64_or(v, LR_T_GRACE_MS, 2000);
        a->max_write = lr_wire_u64_or(v, LR_T_MAX, 1ull << 20);
        return 0;
}

int lr_agent_main(int chan_in, int chan_out)
{
        lr_agent_t a = { .chan_in = chan_in, .chan_out = chan_out };
        lr_buf_t in, out;
        lr_msg_view_t v;
        lr_error_t err = { 0 };
        int status = 0;

        lr_buf_init(&in, 0);
        lr_buf_init(&out, 0);

        /* No handler of ours stays installed.  The native agent is a fork
         * of the runtime and inherits its SIGINT/SIGTERM/SIGHUP handlers.
         * As PID 1 of the sandbox's PID namespace, a signal sent from inside
         * the namespace is delivered only if a handler is installed, so a
         * command could otherwise run the runtime's emergency-stop handler
         * in the agent (`kill -TERM 1`).  With default dispositions the
         * kernel drops such signals.  It also means a command started with
         * CLONE_VM (run.c spawn()) can never run a handler on our memory.
         * Ignored signals stay ignored (SIGXFSZ, see agent_main.c). */
        for (int sig = 1; sig < NSIG; sig++) {
                struct sigaction old;
                if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &old) < 0)
                        continue;
                if (old.sa_handler != SIG_IGN && old.sa_handler != SIG_DFL)
                        signal(sig, SIG_DFL);
        }
        /* A write to a channel whose host has gone must not kill us with
         * SIGPIPE before we can clean up; EPIPE is handled instead. */
        signal(SIGPIPE, SIG_IGN);

        if (lr_wire_recv(chan_in, AGENT_MAX_REQUEST, &in, &v, &err) < 0 ||
            agent_init(&a, &v, &err) < 0) {
                status = 1;
                goto done;
        }

        lr_wire_begin(&out, LR_MSG_HELLO);
        lr_wire_put_str(&out, LR_T_VERSION, LR_AGENT_VERSION);
        lr_wire_put_u64(&out, LR_T_PID, (uint64_t)getpid());
        if (lr_wire_send(chan_out, &out, &err) < 0) {
                status = 1;
                goto done;
        }

        for (;;) {
                if (lr_wire_recv(chan_in, AGENT_MAX_REQUEST, &in, &v, &err) < 0) {
                        /* EOF: the host is gone or done.  Either way we end,
                         * and with us (PID 1) the whole namespace. */
                        status = err.errnum == EPIPE ? 0 : 1;
                        break;
                }
                switch (v.type) {
                case LR_MSG_EXEC:
                        lr_agent_do_exec(&a, &v, &out);
                        break;
                case LR_MSG_OPEN:
                        lr_agent_do_open(&a, &v, &out);
                        break;
                case LR_MSG_WRITE:
                        lr_agent_do_write(&a, &v, &out);
                        break;
                case LR_MSG_WALK:
                        lr_agent_do_walk(&a, &v, &out);
                        break;
                case LR_MSG_MKDIR:
                        lr_agent_do_mkdir(&a, &v, &out);
                        break;
                case LR_MSG_MOVE:
                        lr_agent_do_move(&a, &v, &out);
                        break;
                case LR_MSG_SHUTDOWN:
                        goto done;
                default:
                        lr_agent_result_error(&out, LR_E_PROTOCOL, 0, "unknown request type %d",
                                              v.type);
                        break;
                }
                if (lr_wire_send(chan_out, &out, &err) < 0) {
                        status = 1;
                        break;
                }
        }
done:
        /* Nothing outlives the agent: as PID 1, kill(-1) reaches every other
         * process in the namespace, and our exit tears the namespace down. */
        if (getpid() == 1)
                kill(-1, SIGKILL);
        while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
                ;
        lr_buf_free(&in);
        lr_buf_free(&out);
        free(a.envp);
        free(a.env_blob);
        free(a.cwd);
        free(a.shell);
        return status;
}
