/* agent_main.c - the agent as its own program, for the docker backend.
 *
 * Natively the agent is a function the sandbox's first process calls after
 * the runtime has built the namespaces.  In a container, Docker (or Podman)
 * builds them, and this static binary, bind-mounted read-only at
 * /.llm-runtime/agent, is the container's entrypoint and PID 1:
 *
 *     agent --stdio [--idle-exit SECONDS]
 *
 * The channel is the container's stdin (requests) and stdout (results),
 * which the runtime reaches through the Engine API's attach stream.
 * --idle-exit: a pooled container nobody claims ends itself after that
 * long; it is started with AutoRemove, so its exit removes it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "agent/agent.h"

static int usage(void)
{
        fprintf(stderr, "usage: agent --stdio [--idle-exit SECONDS]\n");
        return 2;
}

int main(int argc, char **argv)
{
        bool stdio = false;
        long idle_s = 0;
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--stdio") == 0) {
                        stdio = true;
                } else if (strcmp(argv[i], "--idle-exit") == 0 && i + 1 < argc) {
                        char *end;
                        idle_s = strtol(argv[++i], &end, 10);
                        if (*end || idle_s < 0 || idle_s > 86400 * 7)
                                return usage();
                } else {
                        return usage();
                }
        }
        if (!stdio)
                return usage();

        /* Commands run as our uid: non-dumpable closes our /proc entries
         * (fd/, mem, environ) and ptrace to them.  no_new_privs as well,
         * in case the engine was told not to set it. */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
                fprintf(stderr, "agent: prctl: %s\n", strerror(errno));
                return 1;
        }

        /* As natively (the runtime ignores it before forking the agent): a
         * command that hits RLIMIT_FSIZE gets EFBIG ("File too large"), not
         * a SIGXFSZ core.  Ignored dispositions survive execve. */
        signal(SIGXFSZ, SIG_IGN);

        /* Move the channel off 0 and 1 (close-on-exec, so no command
         * inherits it) and put /dev/null in their place. */
        int in = fcntl(0, F_DUPFD_CLOEXEC, 10);
        int out = fcntl(1, F_DUPFD_CLOEXEC, 10);
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (in < 0 || out < 0 || null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0) {
                fprintf(stderr, "agent: cannot set up the channel: %s\n", strerror(errno));
                return 1;
        }
        close(null);

        if (idle_s > 0) {
                struct pollfd p = { .fd = in, .events = POLLIN };
                int r;
                while ((r = poll(&p, 1, (int)(idle_s * 1000))) < 0 && errno == EINTR)
                        ;
                if (r == 0)
                        return 0; /* never claimed: end, and be removed */
        }
        return lr_agent_main(in, out);
}
