/* engine.h - a small Docker Engine API client (libcurl + jansson).
 *
 * Speaks to dockerd, or Podman's Docker-compatible service, directly over
 * its socket: DOCKER_HOST decides where (unix:///path or tcp://host:port;
 * default unix:///var/run/docker.sock).  The API version is negotiated
 * once with GET /version: the lower of the server's version and ours.
 *
 * The daemon is trusted to run containers, but what it sends back is still
 * bounded: every response body is capped and every JSON field is checked
 * for type before use.
 */
#ifndef LR_ENGINE_H
#define LR_ENGINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/error.h"

typedef struct lr_engine lr_engine_t;

/* Highest API version we speak, and the lowest we accept (Docker 20.10 /
 * Podman 3 speak 1.41; 1.40 is Docker 19.03, the first with errnoRet-free
 * profiles and the Mounts we use). */
#define LR_ENGINE_API_MAX "1.41"
#define LR_ENGINE_API_MIN_MINOR 40

/* Connect and negotiate.  On failure the message says "Docker is
 * required", which socket was tried, and how to install and start it. */
int lr_engine_open(lr_engine_t **ret, lr_error_t *err);
void lr_engine_close(lr_engine_t *e); /* accepts NULL */

/* "unix:///var/run/docker.sock" or "tcp://host:port", for messages. */
const char *lr_engine_where(const lr_engine_t *e);
/* The negotiated version, e.g. "1.41", and the server's product string. */
const char *lr_engine_api(const lr_engine_t *e);
const char *lr_engine_server(const lr_engine_t *e);
/* Podman's compatibility service (it reads SecurityOpt seccomp= as a file
 * path on its host, where Docker takes the profile itself). */
bool lr_engine_is_podman(const lr_engine_t *e);
/* Whether the engine is reached over a local unix socket. */
bool lr_engine_is_local(const lr_engine_t *e);

/* One request: METHOD /vX.Y/PATH with an optional JSON body.  *status gets
 * the HTTP status; *out (if not NULL) the parsed JSON body, or NULL when the
 * body is empty or not JSON.  Returns -1 only when no HTTP exchange
 * happened (connection refused, timeout, oversized body); HTTP errors are
 * the caller's to judge.  timeout_ms 0 = the default (30 s). */
int lr_engine_call(lr_engine_t *e, const char *method, const char *path, json_t *body,
                   long timeout_ms, long *status, json_t **out, lr_error_t *err);

/* The "message" of a Docker error body, or a fallback. */
const char *lr_engine_errmsg(json_t *body);

/* A hijacked stream (POST /containers/ID/attach): after the HTTP upgrade
 * the connection carries the container's stdin one way and multiplexed
 * stdout/stderr frames the other way. */
typedef struct lr_stream lr_stream_t;
int lr_engine_attach(lr_engine_t *e, const char *id, lr_stream_t **ret, lr_error_t *err);
/* The socket to poll for readability. */
int lr_stream_fd(const lr_stream_t *s);
/* Read up to len bytes: >0 bytes, 0 at EOF, -1 with errno (EAGAIN when
 * nothing is ready).  Bytes that arrived with the upgrade response come
 * first. */
ssize_t lr_stream_read(lr_stream_t *s, void *buf, size_t len);
/* Write everything (blocking); -1 on error. */
int lr_stream_write(lr_stream_t *s, const void *buf, size_t len);
/* Whether buffered bytes are waiting (poll would not show them). */
bool lr_stream_pending(const lr_stream_t *s);
void lr_stream_close(lr_stream_t *s); /* accepts NULL */

/* The Engine's stream multiplexing (non-TTY attach): frames of
 * [stream (0 stdin, 1 stdout, 2 stderr), 0, 0, 0, length (u32 big-endian)]
 * followed by the payload.  lr_mux_feed() takes bytes as they arrive, in
 * any split, and calls `sink` for each payload piece; it fails (and stays
 * failed) on a bad header or a frame over `max_frame`. */
typedef struct {
        unsigned char hdr[8];
        size_t hlen;
        uint32_t left;
        int stream;
        size_t max_frame;
        bool failed;
} lr_mux_t;
void lr_mux_init(lr_mux_t *m, size_t max_frame);
/* Returns 0, -1 on a malformed stream, -2 when sink returned -1. */
int lr_mux_feed(lr_mux_t *m, const char *data, size_t len,
                int (*sink)(void *arg, int stream, const char *p, size_t n), void *arg);

/* Parse DOCKER_HOST-style addresses (exposed for the unit tests).  Sets
 * *unix_path (malloc'd) for unix://, or *url (malloc'd, "http://host:port")
 * for tcp://.  Returns -1 with a message for anything else. */
int lr_engine_parse_host(const char *host, char **unix_path, char **url, lr_error_t *err);

#endif
