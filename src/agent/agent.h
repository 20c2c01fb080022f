/* agent.h - the helper that runs as PID 1 inside every sandbox.
 *
 * The agent reads requests from the channel fd, one at a time, and answers
 * each with one LR_MSG_RESULT frame.  It reaps every process in the sandbox,
 * forks commands, and performs <open> and <write> itself from inside the
 * container's view of the filesystem, so symlinks and ".." resolve inside.
 *
 * It trusts the host (the host created it) but never the commands it runs:
 * they get no inherited fds beyond 0-2, their own session, and the agent is
 * non-dumpable, so its /proc entries and memory are closed to them.
 */
#ifndef LR_AGENT_H
#define LR_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "channel/wire.h"
#include "core/util.h"

typedef struct {
        char **envp;        /* NULL-terminated, owned */
        char *env_blob;     /* backing store for envp */
        char *cwd;          /* working directory for commands */
        char *shell;        /* /bin/sh */
        uint64_t nofile;    /* RLIMIT_NOFILE for commands */
        uint64_t fsize;     /* RLIMIT_FSIZE for commands */
        uint64_t grace_ms;  /* SIGTERM -> SIGKILL grace on timeout */
        uint64_t max_write; /* largest write accepted */
        int chan_in;        /* channel: requests come from here */
        int chan_out;       /* channel: results go here (the same fd natively) */
} lr_agent_t;

/* Run the agent loop on the channel until SHUTDOWN or EOF: requests are
 * read from `in`, results written to `out` (one socket natively; the
 * container's stdin and stdout on the docker backend).  Returns
 * the exit status for the agent process.  Expects to be PID 1 of its PID
 * namespace (it kills every other process in the namespace between
 * commands); `lr_agent_main` in a non-PID-1 context is only for tests. */
int lr_agent_main(int in, int out);

/* Request handlers (each sends exactly one RESULT frame). */
void lr_agent_do_open(lr_agent_t *a, const lr_msg_view_t *req, lr_buf_t *out);
void lr_agent_do_write(lr_agent_t *a, const lr_msg_view_t *req, lr_buf_t *out);
void lr_agent_do_exec(lr_agent_t *a, const lr_msg_view_t *req, lr_buf_t *out);
void lr_agent_do_walk(lr_agent_t *a, const lr_msg_view_t *req, lr_buf_t *out);
void lr_agent_do_mkdir(lr_agent_t *a, const lr_msg_view_t *req, lr_buf_t *out);
void lr_agent_do_move(lr_agent_t *a, const lr_msg_view_t *req, lr_buf_t *out);

/* Create every missing directory of `dir` (like mkdir -p). */
int lr_mkdir_parents(const char *dir);

/* Build an error RESULT in out. */
void lr_agent_result_error(lr_buf_t *out, lr_code_t code, int errnum, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

#endif
