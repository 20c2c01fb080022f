/* docker.h - the docker backend: one container per session, same agent.
 *
 * The container runs the static agent (lr-agent, bind-mounted read-only)
 * as its entrypoint and PID 1.  The host reaches the agent through the
 * Engine API's attach stream (the container's stdin and multiplexed stdout);
 * a pump thread demultiplexes it onto a socketpair, so the session layer
 * sees the same kind of channel fd as with the native backend.
 *
 * Settings (SECURITY.md, "Docker backend"): NetworkMode none, CapDrop ALL,
 * no-new-privileges, our own seccomp profile (the native filter's rules),
 * ReadonlyRootfs, a non-root user (the workspace owner), Memory ==
 * MemorySwap, NanoCpus, PidsLimit, Ulimits nofile/fsize/core, a size-capped
 * tmpfs on /tmp, the workspace as the only read-write bind mount, logging
 * off, AutoRemove, and labels naming the runtime, owner and session.
 *
 * Lifetime: the container's stdin closes when our attach connection does
 * (StdinOnce), the agent then ends and AutoRemove deletes the container, so
 * even a runtime killed with SIGKILL leaves nothing running.  Containers of
 * owners that died anyway (the daemon was down, say) are removed at the
 * next start.
 *
 * Warm pool (docker_pool_size > 0): started, never-used containers named
 * llm-runtime-pool-<key>-<n>, where the key covers everything fixed at
 * create time (image, workspace, user, limits).  A session claims one by
 * renaming it under a host-wide lock, health-checks it with the INIT/HELLO
 * exchange, and starts a replacement in the background.  Unclaimed pool
 * containers end themselves after docker_pool_idle (the agent's
 * --idle-exit).
 */
#ifndef LR_DOCKER_H
#define LR_DOCKER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/error.h"

typedef struct lr_docker lr_docker_t;

/* The image used when the config names none. */
#define LR_DOCKER_IMAGE "llm-runtime-sandbox:1"

/* A started container with the agent attached.  *from_pool says whether a
 * warm pool container served it. */
int lr_docker_create(const lr_config_t *cfg, const char *session_id, lr_docker_t **ret,
                     lr_error_t *err);
int lr_docker_channel(const lr_docker_t *d);
const char *lr_docker_describe(const lr_docker_t *d);
bool lr_docker_from_pool(const lr_docker_t *d);
/* Close the channel, stop and remove the container, wait for the pool's
 * refill.  Accepts NULL. */
void lr_docker_destroy(lr_docker_t *d);

/* Remove every container of this runtime on this host that belongs to
 * no live session: pool containers and those of dead owners.  Returns the
 * number removed, or -1 (with err) when the engine is unreachable. */
int lr_docker_drain(const lr_config_t *cfg, bool pool_too, lr_error_t *err);

#endif
