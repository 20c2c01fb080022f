/* engine.c - the Docker Engine API over libcurl.  See engine.h. */
#include "docker/engine.h"

#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dl.h"
#include "core/util.h"

#define DEFAULT_SOCKET "/var/run/docker.sock"
/* Bodies we read: container inspect and lists are a few KiB; 8 MiB leaves
 * room for a long container list and still bounds a hostile daemon. */
#define MAX_BODY (8u << 20)
/* The upgrade response's headers. */
#define MAX_HEADERS 16384

struct lr_engine {
        char *unix_path; /* unix socket, or NULL */
        char *base;      /* "http://localhost" or "http://host:port" */
        char *where;     /* what DOCKER_HOST said (or the default), for messages */
        char api[16];
        char server[128];
};

struct lr_stream {
        CURL *curl;
        int fd;
        char *pending; /* bytes that came with the upgrade response */
        size_t npending, off;
};

/* libcurl is loaded when the docker backend is first used, not linked:
 * it brings some 30 shared libraries (TLS, HTTP/2, LDAP, Kerberos...)
 * whose loading would add milliseconds to every native-backend run. */
static struct {
        CURLcode (*global_init)(long flags);
        CURL *(*easy_init)(void);
        CURLcode (*easy_setopt)(CURL *c, CURLoption opt, ...);
        CURLcode (*easy_perform)(CURL *c);
        CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
        void (*easy_cleanup)(CURL *c);
        const char *(*easy_strerror)(CURLcode rc);
        CURLcode (*easy_send)(CURL *c, const void *buf, size_t len, size_t *n);
        CURLcode (*easy_recv)(CURL *c, void *buf, size_t len, size_t *n);
        struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
        void (*slist_free_all)(struct curl_slist *l);
} C;
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static char curl_load_error[256];

static void curl_init_once(void)
{
        const lr_dl_sym_t syms[] = {
                { &C.global_init, "curl_global_init" },
                { &C.easy_init, "curl_easy_init" },
                { &C.easy_setopt, "curl_easy_setopt" },
                { &C.easy_perform, "curl_easy_perform" },
                { &C.easy_getinfo, "curl_easy_getinfo" },
                { &C.easy_cleanup, "curl_easy_cleanup" },
                { &C.easy_strerror, "curl_easy_strerror" },
                { &C.easy_send, "curl_easy_send" },
                { &C.easy_recv, "curl_easy_recv" },
                { &C.slist_append, "curl_slist_append" },
                { &C.slist_free_all, "curl_slist_free_all" },
        };
        if (lr_dl_load("libcurl.so.4", syms, ARRAY_SIZE(syms), curl_load_error,
                       sizeof curl_load_error) < 0)
                return;
        if (C.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                snprintf(curl_load_error, sizeof curl_load_error, "curl_global_init failed");
}

int lr_engine_parse_host(const char *host, char **unix_path, char **url, lr_error_t *err)
{
        *unix_path = NULL;
        *url = NULL;
        if (strncmp(host, "unix://", 7) == 0) {
                const char *p = host + 7;
                if (*p != '/' || strlen(p) >= 108)
                        return lr_error_set(err, LR_E_CONFIG, 0,
                                            "DOCKER_HOST '%s': a unix socket needs an absolute "
                                            "path shorter than 108 bytes",
                                            host);
                *unix_path = lr_xstrdup(p);
                return 0;
        }
        if (strncmp(host, "tcp://", 6) == 0) {
                const char *p = host + 6;
                size_t n = strcspn(p, "/");
                if (n == 0 || strcspn(p, " \t\r\n@?#") < n)
                        return lr_error_set(err, LR_E_CONFIG, 0,
                                            "DOCKER_HOST '%s': expected tcp://HOST:PORT", host);
                /* Docker's own default for tcp:// without a port is 2375. */
                bool port = memchr(p, ':', n) && p[n - 1] != ']';
                *url = lr_xasprintf("http://%.*s%s", (int)n, p, port ? "" : ":2375");
                return 0;
        }
        if (strncmp(host, "npipe://", 8) == 0 || strncmp(host, "ssh://", 6) == 0)
                return lr_error_set(err, LR_E_CONFIG, 0,
                                    "DOCKER_HOST '%s': only unix:// and tcp:// are supported "
                                    "(forward the socket, e.g. `ssh -L`, for a remote engine)",
                                    host);
        return lr_error_set(err, LR_E_CONFIG, 0,
                            "DOCKER_HOST '%s': expected unix:///path or tcp://host:port", host);
}

static CURL *new_handle(const lr_engine_t *e, const char *url, long timeout_ms)
{
        CURL *c = C.easy_init();
        if (!c)
                return NULL;
        C.easy_setopt(c, CURLOPT_URL, url);
        if (e->unix_path)
                C.easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, e->unix_path);
        C.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        C.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
        C.easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
        /* The daemon is local or explicitly named: never a proxy, never a
         * redirect, plain HTTP only. */
        C.easy_setopt(c, CURLOPT_NOPROXY, "*");
        C.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
        C.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
        return c;
}

typedef struct {
        lr_buf_t body;
} sink_t;

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
        sink_t *s = arg;
        size_t len = size * n;
        if (lr_buf_append(&s->body, data, len) < 0)
                return 0; /* over the cap: curl aborts with CURLE_WRITE_ERROR */
        return len;
}

static int do_call(lr_engine_t *e, const char *method, const char *fullpath, json_t *body,
                   long timeout_ms, long *status, json_t **out, lr_error_t *err)
{
        if (out)
                *out = NULL;
        char *url = lr_xasprintf("%s%s", e->base, fullpath);
        CURL *c = new_handle(e, url, timeout_ms > 0 ? timeout_ms : 30000);
        free(url);
        if (!c)
                return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, 0, "curl_easy_init failed");
        sink_t sink;
        lr_buf_init(&sink.body, MAX_BODY);
        char *payload = NULL;
        struct curl_slist *hdrs = NULL;
        C.easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        C.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        C.easy_setopt(c, CURLOPT_WRITEDATA, &sink);
        if (body) {
                payload = json_dumps(body, JSON_COMPACT);
                hdrs = C.slist_append(hdrs, "Content-Type: application/json");
                C.easy_setopt(c, CURLOPT_POSTFIELDS, payload ? payload : "{}");
        } else if (strcmp(method, "POST") == 0) {
                C.easy_setopt(c, CURLOPT_POSTFIELDS, "");
        }
        hdrs = C.slist_append(hdrs, "Expect:");
        C.easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
        CURLcode rc = C.easy_perform(c);
        int ret = 0;
        if (rc != CURLE_OK) {
                if (sink.body.toobig)
                        ret = lr_error_set(err, LR_E_PROTOCOL, 0,
                                           "the Docker Engine sent more than %u bytes for %s %s",
                                           MAX_BODY, method, fullpath);
                else
                        ret = lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, 0,
                                           "Docker Engine at %s: %s %s: %s", e->where, method,
                                           fullpath, C.easy_strerror(rc));
        } else {
                C.easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
                if (out && sink.body.len > 0)
                        *out = json_loadb(sink.body.data, sink.body.len, 0, NULL);
        }
        C.slist_free_all(hdrs);
        free(payload);
        lr_buf_free(&sink.body);
        C.easy_cleanup(c);
        return ret;
}

int lr_engine_call(lr_engine_t *e, const char *method, const char *path, json_t *body,
                   long timeout_ms, long *status, json_t **out, lr_error_t *err)
{
        char *full = lr_xasprintf("/v%s%s", e->api, path);
        int r = do_call(e, method, full, body, timeout_ms, status, out, err);
        free(full);
        return r;
}

const char *lr_engine_errmsg(json_t *body)
{
        const char *m = json_string_value(json_object_get(body, "message"));
        return m && *m ? m : "(no message)";
}

/* "1.41" -> 41 when the major is 1; -1 otherwise. */
static int api_minor(const char *v)
{
        int maj = 0, min = 0;
        if (!v || sscanf(v, "%d.%d", &maj, &min) != 2 || maj != 1 || min < 0 || min > 999)
                return -1;
        return min;
}

static int required(lr_engine_t *e, lr_error_t *err, const char *why)
{
        return lr_error_set(
                err, LR_E_SANDBOX_UNAVAILABLE, 0,
                "Docker is required for the docker backend, but the Docker Engine at %s %s. "
                "Install it (Debian: `apt-get install docker.io`), start it (`systemctl start "
                "docker`, or `dockerd &`), and make its socket reachable (set DOCKER_HOST, e.g. "
                "unix:///run/podman/podman.sock for Podman), or use --backend native",
                e->where, why);
}

int lr_engine_open(lr_engine_t **ret, lr_error_t *err)
{
        pthread_once(&curl_once, curl_init_once);
        if (curl_load_error[0])
                return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, 0,
                                    "the docker backend needs libcurl (Debian: `apt-get install "
                                    "libcurl4`): %s",
                                    curl_load_error);
        lr_engine_t *e = lr_xcalloc(1, sizeof *e);
        const char *host = getenv("DOCKER_HOST");
        if (!host || !*host)
                host = "unix://" DEFAULT_SOCKET;
        e->where = lr_xstrdup(host);
        char *url = NULL;
        if (lr_engine_parse_host(host, &e->unix_path, &url, err) < 0)
                goto fail;
        e->base = url ? url : lr_xstrdup("http://localhost");

        long status = 0;
        json_t *v = NULL;
        lr_error_t cerr = { 0 };
        if (do_call(e, "GET", "/version", NULL, 10000, &status, &v, &cerr) < 0) {
                char why[600];
                snprintf(why, sizeof why, "is not reachable (%s)", cerr.msg);
                required(e, err, why);
                goto fail;
        }
        if (status != 200 || !json_is_object(v)) {
                char why[200];
                snprintf(why, sizeof why, "answered GET /version with HTTP %ld", status);
                json_decref(v);
                required(e, err, why);
                goto fail;
        }
        const char *sv = json_string_value(json_object_get(v, "ApiVersion"));
        const char *prod = json_string_value(json_object_get(v, "Version"));
        int smin = api_minor(sv);
        if (smin < LR_ENGINE_API_MIN_MINOR) {
                lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, 0,
                             "the Docker Engine at %s speaks API %s; llm-runtime needs 1.%d or "
                             "later (Docker 19.03+, Podman 3+)",
                             e->where, sv ? sv : "(unknown)", LR_ENGINE_API_MIN_MINOR);
                json_decref(v);
                goto fail;
        }
        int ours = api_minor(LR_ENGINE_API_MAX);
        snprintf(e->api, sizeof e->api, "1.%d", smin < ours ? smin : ours);
        const char *name = "Docker Engine";
        json_t *comps = json_object_get(v, "Components");
        size_t i;
        json_t *c;
        json_array_foreach(comps, i, c)
        {
                const char *n = json_string_value(json_object_get(c, "Name"));
                if (n && strstr(n, "Podman"))
                        name = "Podman";
        }
        snprintf(e->server, sizeof e->server, "%s %s", name, prod ? prod : "?");
        json_decref(v);
        *ret = e;
        return 0;
fail:
        lr_engine_close(e);
        return -1;
}

void lr_engine_close(lr_engine_t *e)
{
        if (!e)
                return;
        free(e->unix_path);
        free(e->base);
        free(e->where);
        free(e);
}

const char *lr_engine_where(const lr_engine_t *e)
{
        return e->where;
}

const char *lr_engine_api(const lr_engine_t *e)
{
        return e->api;
}

const char *lr_engine_server(const lr_engine_t *e)
{
        return e->server;
}

bool lr_engine_is_podman(const lr_engine_t *e)
{
        return strncmp(e->server, "Podman", 6) == 0;
}

bool lr_engine_is_local(const lr_engine_t *e)
{
        return e->unix_path != NULL;
}

/* ---- hijacked streams ---- */

static int wait_fd(int fd, short ev, int ms)
{
        struct pollfd p = { .fd = fd, .events = ev };
        int r;
        while ((r = poll(&p, 1, ms)) < 0 && errno == EINTR)
                ;
        return r;
}

int lr_stream_write(lr_stream_t *s, const void *buf, size_t len)
{
        const char *p = buf;
        while (len > 0) {
                size_t sent = 0;
                CURLcode rc = C.easy_send(s->curl, p, len, &sent);
                if (rc == CURLE_AGAIN) {
                        if (wait_fd(s->fd, POLLOUT, 30000) <= 0) {
                                errno = ETIMEDOUT;
                                return -1;
                        }
                        continue;
                }
                if (rc != CURLE_OK) {
                        errno = EPIPE;
                        return -1;
                }
                p += sent;
                len -= sent;
        }
        return 0;
}

ssize_t lr_stream_read(lr_stream_t *s, void *buf, size_t len)
{
        if (s->off < s->npending) {
                size_t n = s->npending - s->off;
                if (n > len)
                        n = len;
                memcpy(buf, s->pending + s->off, n);
                s->off += n;
                return (ssize_t)n;
        }
        size_t got = 0;
        CURLcode rc = C.easy_recv(s->curl, buf, len, &got);
        if (rc == CURLE_AGAIN) {
                errno = EAGAIN;
                return -1;
        }
        if (rc != CURLE_OK) {
                errno = ECONNRESET;
                return -1;
        }
        return (ssize_t)got;
}

bool lr_stream_pending(const lr_stream_t *s)
{
        return s->off < s->npending;
}

int lr_stream_fd(const lr_stream_t *s)
{
        return s->fd;
}

void lr_stream_close(lr_stream_t *s)
{
        if (!s)
                return;
        if (s->curl)
                C.easy_cleanup(s->curl);
        free(s->pending);
        free(s);
}

int lr_engine_attach(lr_engine_t *e, const char *id, lr_stream_t **ret, lr_error_t *err)
{
        lr_stream_t *s = lr_xcalloc(1, sizeof *s);
        s->fd = -1;
        s->curl = new_handle(e, e->base, 0);
        if (!s->curl) {
                free(s);
                return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, 0, "curl_easy_init failed");
        }
        /* Connect only: the attach request upgrades the connection to a raw
         * stream, which curl's request machinery cannot hand over. */
        C.easy_setopt(s->curl, CURLOPT_CONNECT_ONLY, 1L);
        CURLcode rc = C.easy_perform(s->curl);
        curl_socket_t sock = CURL_SOCKET_BAD;
        if (rc == CURLE_OK)
                rc = C.easy_getinfo(s->curl, CURLINFO_ACTIVESOCKET, &sock);
        if (rc != CURLE_OK || sock == CURL_SOCKET_BAD) {
                lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, 0, "cannot connect to %s: %s",
                             e->where, C.easy_strerror(rc));
                lr_stream_close(s);
                return -1;
        }
        s->fd = (int)sock;
        char *req = lr_xasprintf("POST /v%s/containers/%s/attach?stream=1&stdin=1&stdout=1"
                                 "&stderr=1 HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n"
                                 "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
                                 e->api, id);
        int w = lr_stream_write(s, req, strlen(req));
        free(req);
        if (w < 0) {
                lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, errno, "attach to %.12s: send failed",
                             id);
                lr_stream_close(s);
                return -1;
        }
        /* Read the response head, bounded; keep what follows it. */
        lr_buf_t head;
        lr_buf_init(&head, MAX_HEADERS);
        char *end = NULL;
        while (!end) {
                char buf[4096];
                size_t got = 0;
                rc = C.easy_recv(s->curl, buf, sizeof buf, &got);
                if (rc == CURLE_AGAIN) {
                        if (wait_fd(s->fd, POLLIN, 10000) <= 0)
                                break;
                        continue;
                }
                if (rc != CURLE_OK || got == 0 || lr_buf_append(&head, buf, got) < 0)
                        break;
                end = memmem(head.data, head.len, "\r\n\r\n", 4);
        }
        int status = 0;
        if (end)
                *end = '\0'; /* the status line is parsed as a string */
        if (end && sscanf(head.data, "HTTP/1.%*d %d", &status) == 1 &&
            (status == 101 || status == 200)) {
                size_t hl = (size_t)(end + 4 - head.data);
                s->npending = head.len - hl;
                s->pending = lr_xmalloc(s->npending + 1);
                memcpy(s->pending, end + 4, s->npending);
                lr_buf_free(&head);
                *ret = s;
                return 0;
        }
        if (end)
                lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, 0,
                             "attach to container %.12s: the engine answered HTTP %d", id, status);
        else
                lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, 0,
                             "attach to container %.12s: no valid response head within %u bytes "
                             "and 10 s",
                             id, MAX_HEADERS);
        lr_buf_free(&head);
        lr_stream_close(s);
        return -1;
}

/* ---- stream multiplexing ---- */

void lr_mux_init(lr_mux_t *m, size_t max_frame)
{
        memset(m, 0, sizeof *m);
        m->max_frame = max_frame;
}

int lr_mux_feed(lr_mux_t *m, const char *data, size_t len,
                int (*sink)(void *arg, int stream, const char *p, size_t n), void *arg)
{
        if (m->failed)
                return -1;
        while (len > 0) {
                if (m->left == 0) {
                        size_t take = sizeof m->hdr - m->hlen;
                        if (take > len)
                                take = len;
                        memcpy(m->hdr + m->hlen, data, take);
                        m->hlen += take;
                        data += take;
                        len -= take;
                        if (m->hlen < sizeof m->hdr)
                                return 0;
                        m->hlen = 0;
                        const unsigned char *h = m->hdr;
                        uint32_t n = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 |
                                     (uint32_t)h[6] << 8 | h[7];
                        if (h[0] > 2 || h[1] || h[2] || h[3] || n > m->max_frame) {
                                m->failed = true;
                                return -1;
                        }
                        m->stream = h[0];
                        m->left = n;
                        continue;
                }
                size_t take = m->left < len ? m->left : len;
                if (sink(arg, m->stream, data, take) < 0) {
                        m->failed = true;
                        return -2;
                }
                data += take;
                len -= take;
                m->left -= (uint32_t)take;
        }
        return 0;
}
