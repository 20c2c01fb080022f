/* docker.c - the docker backend.  See docker.h for the design. */
#include "docker/docker.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "docker/engine.h"
#include "sandbox/sandbox.h"

#define AGENT_PATH "/.llm-runtime/agent"
#define NAME_PREFIX "llm-runtime-"
#define POOL_PREFIX "llm-runtime-pool-"
#define LABEL_RUNTIME "io.llm-runtime"
#define LABEL_HOST "io.llm-runtime.host"
#define LABEL_POOL "io.llm-runtime.pool"
#define LABEL_SESSION "io.llm-runtime.session"
#define LABEL_OWNER "io.llm-runtime.owner"
/* A multiplexed frame's payload; Docker writes at most 32 KiB per frame,
 * 1 MiB bounds a daemon that does not. */
#define MAX_MUX_FRAME (1u << 20)
/* What we keep of the container's stderr, for error messages. */
#define ERR_TAIL 2048

struct lr_docker {
        lr_engine_t *eng;
        char id[80];
        char name[128];
        lr_stream_t *st;
        int chan;      /* the session's end of the socketpair */
        int pump_end;  /* the pump's end */
        pthread_t pump;
        bool pump_running;
        bool from_pool;
        pthread_mutex_t lock;
        char errtail[ERR_TAIL];
        size_t nerr;
        /* the pool refill started for this session */
        pthread_t refill;
        bool refill_running;
        lr_config_t *refill_cfg;
        char desc[512];
};

/* ---- identity ---- */

static void boot_id(char *buf, size_t len)
{
        snprintf(buf, len, "unknown");
        int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return;
        char tmp[64] = { 0 };
        ssize_t n = lr_read_full(fd, tmp, sizeof tmp - 1);
        lr_close(fd);
        if (n > 0) {
                tmp[strcspn(tmp, "\n")] = '\0';
                snprintf(buf, len, "%s", tmp);
        }
}

/* "pid.start": who owns a session container. */
static void owner_tag(char *buf, size_t len)
{
        snprintf(buf, len, "%d.%llu", (int)getpid(), lr_proc_start_time(getpid()));
}

static bool owner_alive(const char *tag)
{
        char *end;
        long pid = strtol(tag, &end, 10);
        if (pid <= 0 || pid > INT_MAX || *end != '.')
                return false;
        unsigned long long start = strtoull(end + 1, NULL, 10);
        if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
                return false;
        unsigned long long now = lr_proc_start_time((pid_t)pid);
        return now == 0 || now == start;
}

/* A container name as Docker accepts it ([a-zA-Z0-9][a-zA-Z0-9_.-]*), so
 * it can go into a URL unescaped. */
static bool safe_name(const char *n)
{
        size_t len = strlen(n);
        return len > 0 && len < 128 && strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                 "0123456789_.-") == len &&
               n[0] != '_' && n[0] != '.' && n[0] != '-';
}

/* A container id as the Engine makes them: 64 hex digits (we accept 12+). */
static bool hex_id(const char *id)
{
        size_t len = id ? strlen(id) : 0;
        return len >= 12 && len < 80 && strspn(id, "0123456789abcdef") == len;
}

/* ---- the static agent ---- */

static char *find_agent(const lr_config_t *cfg, lr_error_t *err)
{
        char self[PATH_MAX];
        char *path = NULL;
        if (cfg->docker_agent) {
                path = realpath(cfg->docker_agent, NULL);
        } else {
                ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
                if (n > 0) {
                        self[n] = '\0';
                        char *slash = strrchr(self, '/');
                        if (slash)
                                *slash = '\0';
                        /* the build tree, then an install (libexec) */
                        char *cand[] = { lr_xasprintf("%s/lr-agent", self),
                                         lr_xasprintf("%s/../libexec/llm-runtime/lr-agent",
                                                      self) };
                        for (size_t i = 0; i < ARRAY_SIZE(cand); i++) {
                                if (!path && access(cand[i], X_OK) == 0)
                                        path = realpath(cand[i], NULL);
                                free(cand[i]);
                        }
                }
        }
        if (!path) {
                lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, errno,
                             "the static agent for containers was not found (%s); build it "
                             "with `meson compile -C build lr-agent` or pass --docker-agent FILE",
                             cfg->docker_agent ? cfg->docker_agent : "lr-agent beside llm-runtime");
                return NULL;
        }
        struct stat st;
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
                lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, errno, "agent %s is not a file", path);
                free(path);
                return NULL;
        }
        return path;
}

/* Everything fixed at create time, as a short key: pool containers only
 * serve sessions that would have created the same container. */
static void pool_key(const char *spec, char *buf, size_t len)
{
        uint64_t h = 1469598103934665603ull; /* FNV-1a, 64 bit */
        for (const char *p = spec; *p; p++) {
                h ^= (unsigned char)*p;
                h *= 1099511628211ull;
        }
        snprintf(buf, len, "%016llx", (unsigned long long)h);
}

/* ---- the seccomp profile for Podman ---- */

/* Podman takes `seccomp=` as a path on its own host, so the profile goes to
 * a file there: /run/llm-runtime (root) or $XDG_RUNTIME_DIR/llm-runtime,
 * named by its content's hash, written atomically.  The directory must be
 * ours and not writable by others, or another local user could swap the
 * profile between our write and Podman's read. */
/* Our directory for host-side files (the pool lock, Podman's profile):
 * /run/llm-runtime for root, $XDG_RUNTIME_DIR/llm-runtime otherwise, else
 * /tmp/llm-runtime-<uid>.  It must be ours and writable by nobody else. */
static int runtime_dir(char *dir, size_t len, lr_error_t *err)
{
        const char *xdg = getenv("XDG_RUNTIME_DIR");
        if (geteuid() == 0)
                snprintf(dir, len, "/run/llm-runtime");
        else if (xdg && *xdg == '/')
                snprintf(dir, len, "%s/llm-runtime", xdg);
        else
                snprintf(dir, len, "/tmp/llm-runtime-%u", (unsigned)geteuid());
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, errno, "cannot create %s: %s",
                                    dir, strerror(errno));
        struct stat st;
        if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
            (st.st_mode & 022))
                return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, 0,
                                    "%s must be a directory of ours that nobody else can write",
                                    dir);
        return 0;
}

static char *podman_profile_file(const char *profile, lr_error_t *err)
{
        char dir[PATH_MAX], key[32];
        if (runtime_dir(dir, sizeof dir, err) < 0)
                return NULL;
        pool_key(profile, key, sizeof key);
        char *path = lr_xasprintf("%s/seccomp-%s.json", dir, key);
        char *tmp = lr_xasprintf("%s.%d.tmp", path, (int)getpid());
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0 || lr_write_full(fd, profile, strlen(profile)) < 0 || fsync(fd) < 0 ||
            rename(tmp, path) < 0) {
                lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, errno, "cannot write %s: %s", path,
                             strerror(errno));
                lr_close(fd);
                unlink(tmp);
                free(tmp);
                free(path);
                return NULL;
        }
        lr_close(fd);
        free(tmp);
        return path;
}

/* ---- container spec ---- */

static int owner_ids(const lr_config_t *cfg, unsigned *uid, unsigned *gid, lr_error_t *err)
{
        struct stat st;
        if (stat(cfg->root, &st) < 0 || !S_ISDIR(st.st_mode))
                return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, errno,
                                    "workspace %s is not a directory", cfg->root);
        /* The workspace owner, as with the native backend; never root: a
         * root-owned workspace gets nobody, who can read but not write. */
        if (geteuid() != 0) {
                *uid = geteuid();
                *gid = getegid();
        } else {
                *uid = st.st_uid ? st.st_uid : 65534;
                *gid = st.st_uid ? st.st_gid : 65534;
        }
        return 0;
}

/* The create body.  `pool` adds the idle exit and the pool label. */
static json_t *container_spec(const lr_config_t *cfg, const char *agent, const char *profile,
                              const char *session, bool pool, const char *key, unsigned uid,
                              unsigned gid, bool podman)
{
        char user[64], boot[64], owner[64], tmpfs[128], idle[32];
        snprintf(user, sizeof user, "%u:%u", uid, gid);
        boot_id(boot, sizeof boot);
        owner_tag(owner, sizeof owner);
        /* The native /tmp's options: size and inode caps alike.  Podman 4
         * refuses nr_inodes; there only the size is capped (SECURITY.md). */
        uint64_t inodes = cfg->tmpfs_size / 4096 > 1024 ? cfg->tmpfs_size / 4096 : 1024;
        if (podman)
                snprintf(tmpfs, sizeof tmpfs, "rw,nosuid,nodev,size=%llu,mode=1777",
                         (unsigned long long)cfg->tmpfs_size);
        else
                snprintf(tmpfs, sizeof tmpfs, "rw,nosuid,nodev,size=%llu,nr_inodes=%llu,mode=1777",
                         (unsigned long long)cfg->tmpfs_size, (unsigned long long)inodes);
        snprintf(idle, sizeof idle, "%llu",
                 (unsigned long long)((cfg->docker_pool_idle_ms + 999) / 1000));
        char *seccomp = lr_xasprintf("seccomp=%s", profile);

        json_t *entry = json_pack("[s,s]", AGENT_PATH, "--stdio");
        if (pool) {
                json_array_append_new(entry, json_string("--idle-exit"));
                json_array_append_new(entry, json_string(idle));
        }
        json_t *labels = json_pack("{s:s,s:s,s:s}", LABEL_RUNTIME, "1", LABEL_HOST, boot,
                                   LABEL_POOL, key);
        if (!pool) {
                json_object_set_new(labels, LABEL_SESSION, json_string(session));
                json_object_set_new(labels, LABEL_OWNER, json_string(owner));
        }
        json_t *ulimits = json_pack(
                "[{s:s,s:I,s:I},{s:s,s:I,s:I},{s:s,s:i,s:i}]", "Name", "nofile", "Soft",
                (json_int_t)cfg->open_files, "Hard", (json_int_t)cfg->open_files, "Name", "fsize",
                "Soft", (json_int_t)cfg->file_size, "Hard", (json_int_t)cfg->file_size, "Name",
                "core", "Soft", 0, "Hard", 0);
        if (podman)
                /* Podman adds an RLIMIT_NPROC of its own choosing when none is
                 * asked for, which fails where the engine may not raise
                 * limits.  It is a per-uid limit across the host, so it stays
                 * generous; the pids cgroup (PidsLimit) is the real cap. */
                json_array_append_new(ulimits, json_pack("{s:s,s:i,s:i}", "Name", "nproc",
                                                         "Soft", 4096, "Hard", 4096));
        json_t *mounts = json_pack("[{s:s,s:s,s:s,s:b},{s:s,s:s,s:s,s:b}]", "Type", "bind",
                                   "Source", cfg->root, "Target", "/workspace", "ReadOnly", 0,
                                   "Type", "bind", "Source", agent, "Target", AGENT_PATH,
                                   "ReadOnly", 1);
        json_t *host = json_pack(
                "{s:s,s:[s],s:[s,s],s:b,s:I,s:I,s:I,s:I,s:o,s:{s:s},s:o,s:b,s:s,s:s,"
                "s:{s:s,s:{}},s:b,s:I}",
                "NetworkMode", "none", "CapDrop", "ALL", "SecurityOpt", "no-new-privileges:true",
                seccomp, "ReadonlyRootfs", 1, "Memory", (json_int_t)cfg->memory, "MemorySwap",
                (json_int_t)cfg->memory, "NanoCpus", (json_int_t)(cfg->cpus * 1e9),
                "PidsLimit", (json_int_t)cfg->pids, "Ulimits", ulimits, "Tmpfs", "/tmp", tmpfs,
                "Mounts", mounts, "AutoRemove", 1, "IpcMode", "private", "CgroupnsMode",
                "private", "LogConfig", "Type", "none", "Config", "Privileged", 0, "ShmSize",
                (json_int_t)cfg->tmpfs_size);
        json_t *spec = json_pack(
                "{s:s,s:o,s:[],s:s,s:s,s:s,s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:o,s:o}", "Image",
                cfg->docker_image, "Entrypoint", entry, "Cmd", "User", user, "WorkingDir",
                "/workspace", "Hostname", "sandbox", "AttachStdin", 1, "AttachStdout", 1,
                "AttachStderr", 1, "OpenStdin", 1, "StdinOnce", 1, "Tty", 0, "NetworkDisabled",
                1, "Labels", labels, "HostConfig", host);
        free(seccomp);
        return spec;
}

/* ---- the pump: attach stream <-> socketpair ---- */

static void keep_err(lr_docker_t *d, const char *p, size_t n)
{
        /* Keep the last ERR_TAIL-1 bytes, in linear time whatever arrives. */
        const size_t cap = sizeof d->errtail - 1;
        pthread_mutex_lock(&d->lock);
        if (n >= cap) {
                memcpy(d->errtail, p + (n - cap), cap);
                d->nerr = cap;
        } else {
                if (d->nerr + n > cap) {
                        size_t drop = d->nerr + n - cap;
                        memmove(d->errtail, d->errtail + drop, d->nerr - drop);
                        d->nerr -= drop;
                }
                memcpy(d->errtail + d->nerr, p, n);
                d->nerr += n;
        }
        d->errtail[d->nerr] = '\0';
        pthread_mutex_unlock(&d->lock);
}

static int pump_sink(void *arg, int stream, const char *p, size_t n)
{
        lr_docker_t *d = arg;
        if (stream == 1)
                return lr_write_full(d->pump_end, p, n);
        if (stream == 2)
                keep_err(d, p, n);
        return 0;
}

static void *pump_main(void *arg)
{
        lr_docker_t *d = arg;
        lr_mux_t mux;
        lr_mux_init(&mux, MAX_MUX_FRAME);
        static const size_t BUFSZ = 65536;
        char *buf = lr_xmalloc(BUFSZ);
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, NULL);

        for (;;) {
                struct pollfd pfd[2] = { { .fd = d->pump_end, .events = POLLIN },
                                         { .fd = lr_stream_fd(d->st), .events = POLLIN } };
                if (!lr_stream_pending(d->st)) {
                        if (poll(pfd, 2, -1) < 0) {
                                if (errno == EINTR)
                                        continue;
                                break;
                        }
                } else {
                        pfd[0].revents = 0;
                        pfd[1].revents = POLLIN;
                }
                if (pfd[0].revents) {
                        /* host -> container stdin, raw */
                        ssize_t n = read(d->pump_end, buf, BUFSZ);
                        if (n <= 0)
                                break; /* the session closed the channel */
                        if (lr_stream_write(d->st, buf, (size_t)n) < 0)
                                break;
                }
                if (!pfd[1].revents)
                        continue;
                ssize_t n = lr_stream_read(d->st, buf, BUFSZ);
                if (n < 0 && errno == EAGAIN)
                        continue;
                if (n <= 0)
                        break; /* the container ended */
                int r = lr_mux_feed(&mux, buf, (size_t)n, pump_sink, d);
                if (r < 0) {
                        if (r == -1)
                                keep_err(d, "\n[llm-runtime: malformed stream frame]", 38);
                        break;
                }
        }
        free(buf);
        /* Either side is done: the session sees EOF on its channel, and
         * closing the attach connection closes the container's stdin. */
        shutdown(d->pump_end, SHUT_RDWR);
        lr_stream_close(d->st);
        d->st = NULL;
        return NULL;
}

/* ---- create / start / attach ---- */

static int remove_container(lr_engine_t *e, const char *id)
{
        char path[256];
        long status = 0;
        lr_error_t err = { 0 };
        snprintf(path, sizeof path, "/containers/%s?force=1&v=1", id);
        if (lr_engine_call(e, "DELETE", path, NULL, 30000, &status, NULL, &err) < 0)
                return -1;
        /* 404: already gone; 409: AutoRemove is already removing it. */
        return status == 204 || status == 404 || status == 409 ? 0 : -1;
}

static int create_container(lr_engine_t *e, const char *name, json_t *spec, char *id, size_t idlen,
                            const lr_config_t *cfg, lr_error_t *err)
{
        char path[256];
        long status = 0;
        json_t *out = NULL;
        snprintf(path, sizeof path, "/containers/create?name=%s", name);
        if (lr_engine_call(e, "POST", path, spec, 60000, &status, &out, err) < 0)
                return -1;
        if (status == 404) {
                lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, 0,
                             "the sandbox image '%s' is not in the %s at %s. Build it offline "
                             "with `scripts/build-image.sh` (or, with a registry, `docker build "
                             "-t %s image/`), or choose another with --docker-image",
                             cfg->docker_image, lr_engine_server(e), lr_engine_where(e),
                             cfg->docker_image);
                json_decref(out);
                return -1;
        }
        const char *cid = json_string_value(json_object_get(out, "Id"));
        if (status != 201 || !hex_id(cid) || strlen(cid) >= idlen) {
                lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, 0,
                             "cannot create the sandbox container (HTTP %ld): %s", status,
                             lr_engine_errmsg(out));
                json_decref(out);
                return -1;
        }
        snprintf(id, idlen, "%s", cid);
        json_decref(out);
        return 0;
}

static int start_container(lr_engine_t *e, const char *id, lr_error_t *err)
{
        char path[160];
        long status = 0;
        json_t *out = NULL;
        snprintf(path, sizeof path, "/containers/%s/start", id);
        if (lr_engine_call(e, "POST", path, NULL, 60000, &status, &out, err) < 0)
                return -1;
        if (status != 204 && status != 304) {
                lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, 0,
                             "cannot start the sandbox container (HTTP %ld): %s", status,
                             lr_engine_errmsg(out));
                json_decref(out);
                return -1;
        }
        json_decref(out);
        return 0;
}

static int attach_and_pump(lr_docker_t *d, lr_error_t *err)
{
        if (lr_engine_attach(d->eng, d->id, &d->st, err) < 0)
                return -1;
        int sp[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
                return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, errno, "socketpair: %s",
                                    strerror(errno));
        d->chan = sp[0];
        d->pump_end = sp[1];
        if (pthread_create(&d->pump, NULL, pump_main, d) != 0) {
                lr_stream_close(TAKE_PTR(d->st));
                return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, errno,
                                    "cannot start the stream thread");
        }
        d->pump_running = true;
        return 0;
}

/* ---- stale containers and the pool ---- */

static json_t *list_ours(lr_engine_t *e, const char *extra_label, lr_error_t *err)
{
        char boot[64];
        boot_id(boot, sizeof boot);
        json_t *labels = json_array();
        json_array_append_new(labels, json_sprintf(LABEL_HOST "=%s", boot));
        if (extra_label)
                json_array_append_new(labels, json_string(extra_label));
        json_t *f = json_pack("{s:o}", "label", labels);
        char *fs = json_dumps(f, JSON_COMPACT);
        json_decref(f);
        /* Percent-encode the filter for the query string. */
        lr_buf_t q;
        lr_buf_init(&q, 0);
        for (const char *p = fs; *p; p++) {
                char tmp[4];
                if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
                        lr_buf_putc(&q, *p);
                } else {
                        snprintf(tmp, sizeof tmp, "%%%02X", (unsigned char)*p);
                        lr_buf_append(&q, tmp, 3);
                }
        }
        lr_buf_putc(&q, '\0');
        free(fs);
        char *path = lr_xasprintf("/containers/json?all=1&filters=%s", q.data);
        lr_buf_free(&q);
        long status = 0;
        json_t *out = NULL;
        int r = lr_engine_call(e, "GET", path, NULL, 30000, &status, &out, err);
        free(path);
        if (r < 0)
                return NULL;
        if (status != 200 || !json_is_array(out)) {
                lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, 0, "listing containers: HTTP %ld",
                             status);
                json_decref(out);
                return NULL;
        }
        return out;
}

/* The container's name without Docker's leading '/'. */
static const char *cname(json_t *c)
{
        const char *n = json_string_value(json_array_get(json_object_get(c, "Names"), 0));
        return n ? (n[0] == '/' ? n + 1 : n) : "";
}

/* Session containers are named llm-runtime-<pid>.<start>-<session>: the
 * name, unlike labels, follows a pool container when a session claims it. */
static bool stale_session(const char *name)
{
        if (strncmp(name, NAME_PREFIX, strlen(NAME_PREFIX)) != 0 ||
            strncmp(name, POOL_PREFIX, strlen(POOL_PREFIX)) == 0)
                return false;
        return !owner_alive(name + strlen(NAME_PREFIX));
}

static int sweep(lr_engine_t *e, bool pool_too, lr_error_t *err)
{
        json_t *list = list_ours(e, NULL, err);
        if (!list)
                return -1;
        int removed = 0;
        size_t i;
        json_t *c;
        json_array_foreach(list, i, c)
        {
                const char *name = cname(c);
                const char *id = json_string_value(json_object_get(c, "Id"));
                if (!hex_id(id))
                        continue;
                bool pool = strncmp(name, POOL_PREFIX, strlen(POOL_PREFIX)) == 0;
                const char *state = json_string_value(json_object_get(c, "State"));
                /* A pool container that is not running is dead, unless it was
                 * created moments ago and another runtime is starting it. */
                json_int_t created = json_integer_value(json_object_get(c, "Created"));
                bool dead_pool = pool && state && strcmp(state, "running") != 0 &&
                                 (long long)time(NULL) - (long long)created > 60;
                if (stale_session(name) || (pool && pool_too) || dead_pool)
                        removed += remove_container(e, id) == 0;
        }
        json_decref(list);
        return removed;
}

int lr_docker_drain(const lr_config_t *cfg, bool pool_too, lr_error_t *err)
{
        lr_engine_t *e = NULL;
        if (lr_engine_open(&e, err) < 0)
                return -1;
        int r = sweep(e, pool_too, err);
        lr_engine_close(e);
        return r;
}

/* A host-wide lock around claiming, so two runtimes never rename the same
 * pool container (Docker's rename is not a compare-and-swap). */
static int pool_lock(void)
{
        char dir[PATH_MAX], path[PATH_MAX + 32];
        if (runtime_dir(dir, sizeof dir, NULL) < 0)
                return -1;
        snprintf(path, sizeof path, "%s/pool.lock", dir);
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -1;
        /* Claims take milliseconds; a holder that hangs must not hang us.
         * After 5 s we go on without the lock (two claimers would then need
         * to race between a list and a rename). */
        for (int i = 0; i < 500; i++) {
                if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                        return fd;
                if (errno != EWOULDBLOCK && errno != EINTR)
                        break;
                usleep(10000);
        }
        return lr_close(fd);
}

/* Claim a started pool container for this session: rename it to our
 * session name.  Returns 1 with d->id set, 0 when the pool is empty. */
static int pool_claim(lr_docker_t *d, const char *key, const char *name)
{
        char label[128];
        snprintf(label, sizeof label, LABEL_POOL "=%s", key);
        lr_error_t err = { 0 };
        int lock = pool_lock();
        json_t *list = list_ours(d->eng, label, &err);
        int got = 0;
        size_t i;
        json_t *c;
        json_array_foreach(list, i, c)
        {
                const char *cn = cname(c);
                const char *id = json_string_value(json_object_get(c, "Id"));
                const char *state = json_string_value(json_object_get(c, "State"));
                if (!hex_id(id) || strncmp(cn, POOL_PREFIX, strlen(POOL_PREFIX)) != 0 ||
                    !safe_name(cn) || !state || strcmp(state, "running") != 0)
                        continue;
                char path[512];
                long status = 0;
                snprintf(path, sizeof path, "/containers/%s/rename?name=%s", cn, name);
                if (lr_engine_call(d->eng, "POST", path, NULL, 10000, &status, NULL, &err) < 0 ||
                    status != 204)
                        continue;
                /* Health check: the list was a snapshot; the container must
                 * still run (its PID 1 is the agent).  A dead one is removed
                 * and the next tried. */
                json_t *st = NULL;
                snprintf(path, sizeof path, "/containers/%s/json", id);
                bool running = lr_engine_call(d->eng, "GET", path, NULL, 10000, &status, &st,
                                              &err) == 0 &&
                               status == 200 &&
                               json_is_true(json_object_get(json_object_get(st, "State"),
                                                            "Running"));
                json_decref(st);
                if (!running) {
                        (void)remove_container(d->eng, id);
                        continue;
                }
                snprintf(d->id, sizeof d->id, "%s", id);
                got = 1;
                break;
        }
        json_decref(list);
        if (lock >= 0)
                lr_close(lock);
        return got;
}

typedef struct {
        lr_config_t *cfg; /* a private copy of what the spec needs */
        char *agent, *profile, *key;
        unsigned uid, gid;
        uint64_t want;
        bool podman;
} refill_t;

static int pool_count(lr_engine_t *e, const char *key)
{
        char label[128];
        snprintf(label, sizeof label, LABEL_POOL "=%s", key);
        lr_error_t err = { 0 };
        json_t *list = list_ours(e, label, &err);
        int n = 0;
        size_t i;
        json_t *c;
        json_array_foreach(list, i, c)
        {
                const char *state = json_string_value(json_object_get(c, "State"));
                if (strncmp(cname(c), POOL_PREFIX, strlen(POOL_PREFIX)) == 0 && state &&
                    (!strcmp(state, "running") || !strcmp(state, "created")))
                        n++;
        }
        json_decref(list);
        return n;
}

static void *refill_main(void *arg)
{
        refill_t *r = arg;
        lr_engine_t *e = NULL;
        lr_error_t err = { 0 };
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, NULL);
        if (lr_engine_open(&e, &err) == 0) {
                int have = pool_count(e, r->key);
                for (uint64_t k = (uint64_t)(have < 0 ? 0 : have); k < r->want; k++) {
                        char name[128], id[80], rnd[9];
                        snprintf(rnd, sizeof rnd, "%08x", (unsigned)(lr_now_ns() ^ (k << 20)));
                        snprintf(name, sizeof name, POOL_PREFIX "%s-%s", r->key, rnd);
                        json_t *spec = container_spec(r->cfg, r->agent, r->profile, NULL, true,
                                                      r->key, r->uid, r->gid, r->podman);
                        int ok = create_container(e, name, spec, id, sizeof id, r->cfg, &err);
                        json_decref(spec);
                        if (ok < 0)
                                break;
                        if (start_container(e, id, &err) < 0) {
                                remove_container(e, id);
                                break;
                        }
                }
                lr_engine_close(e);
        }
        return NULL;
}

/* ---- the backend ---- */

int lr_docker_create(const lr_config_t *cfg, const char *session_id, lr_docker_t **ret,
                     lr_error_t *err)
{
        lr_docker_t *d = lr_xcalloc(1, sizeof *d);
        d->chan = d->pump_end = -1;
        pthread_mutex_init(&d->lock, NULL);
        char *agent = NULL, *profile = NULL;
        json_t *spec = NULL;
        unsigned uid, gid;

        if (cfg->rootfs) {
                lr_error_set(err, LR_E_CONFIG, 0,
                             "--rootfs %s: a root filesystem directory belongs to the native "
                             "backend; the docker backend's is its image (--docker-image)",
                             cfg->rootfs);
                goto fail;
        }
        if (lr_engine_open(&d->eng, err) < 0)
                goto fail;
        /* Containers of owners that died: gone before we add ours. */
        (void)sweep(d->eng, false, err);
        if (owner_ids(cfg, &uid, &gid, err) < 0)
                goto fail;
        if (!(agent = find_agent(cfg, err)))
                goto fail;
        if (seccomp_docker_profile(&profile, err) < 0)
                goto fail;
        if (lr_engine_is_podman(d->eng)) {
                if (!lr_engine_is_local(d->eng)) {
                        lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, 0,
                                     "Podman at %s reads the seccomp profile from a file on its "
                                     "own host; reach it through its local unix socket",
                                     lr_engine_where(d->eng));
                        goto fail;
                }
                char *file = podman_profile_file(profile, err);
                if (!file)
                        goto fail;
                free(profile);
                profile = file;
        }

        char owner[64], key[32];
        owner_tag(owner, sizeof owner);
        snprintf(d->name, sizeof d->name, NAME_PREFIX "%s-%s", owner, session_id);
        for (char *c = d->name; *c; c++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", *c))
                        *c = '-';
        /* The pool key: the spec of a pool container, minus what differs
         * between two of them. */
        bool podman = lr_engine_is_podman(d->eng);
        spec = container_spec(cfg, agent, profile, NULL, true, "", uid, gid, podman);
        json_object_del(json_object_get(spec, "Labels"), LABEL_HOST);
        /* ...plus the agent binary's identity: a rebuilt agent must not be
         * served by containers that mount the old one's path. */
        struct stat ast;
        if (stat(agent, &ast) == 0)
                json_object_set_new(spec, "agent",
                                    json_sprintf("%lld.%lld.%lld", (long long)ast.st_size,
                                                 (long long)ast.st_mtim.tv_sec,
                                                 (long long)ast.st_ino));
        char *canon = json_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS);
        pool_key(canon, key, sizeof key);
        free(canon);
        json_decref(spec);
        spec = NULL;

        if (cfg->docker_pool_size > 0 && pool_claim(d, key, d->name) == 1) {
                d->from_pool = true;
        } else {
                spec = container_spec(cfg, agent, profile, session_id, false, key, uid, gid,
                                      podman);
                if (create_container(d->eng, d->name, spec, d->id, sizeof d->id, cfg, err) < 0)
                        goto fail;
                /* Attach before start (nothing the agent says can be lost); Podman
                 * attaches only to running containers, and the agent says
                 * nothing before our INIT anyway. */
                if (podman ? start_container(d->eng, d->id, err) < 0 ||
                                     attach_and_pump(d, err) < 0
                           : attach_and_pump(d, err) < 0 ||
                                     start_container(d->eng, d->id, err) < 0)
                        goto fail;
        }
        if (d->from_pool && attach_and_pump(d, err) < 0)
                goto fail;

        if (cfg->docker_pool_size > 0) {
                refill_t *r = lr_xcalloc(1, sizeof *r);
                r->cfg = lr_xcalloc(1, sizeof *r->cfg);
                *r->cfg = *cfg; /* only the scalar limits and these strings are read */
                r->cfg->root = lr_xstrdup(cfg->root);
                r->cfg->docker_image = lr_xstrdup(cfg->docker_image);
                r->agent = lr_xstrdup(agent);
                r->profile = lr_xstrdup(profile);
                r->key = lr_xstrdup(key);
                r->uid = uid;
                r->gid = gid;
                r->want = cfg->docker_pool_size;
                r->podman = podman;
                d->refill_cfg = (lr_config_t *)r;
                if (pthread_create(&d->refill, NULL, refill_main, r) == 0)
                        d->refill_running = true;
        }

        snprintf(d->desc, sizeof d->desc,
                 "docker (%s at %s, API %s; container %.12s, image %s, user %u:%u%s)",
                 lr_engine_server(d->eng), lr_engine_where(d->eng), lr_engine_api(d->eng), d->id,
                 cfg->docker_image, uid, gid, d->from_pool ? ", from the warm pool" : "");
        free(agent);
        free(profile);
        json_decref(spec);
        *ret = d;
        return 0;
fail:
        free(agent);
        free(profile);
        json_decref(spec);
        lr_docker_destroy(d);
        return -1;
}

int lr_docker_channel(const lr_docker_t *d)
{
        return d->chan;
}

const char *lr_docker_describe(const lr_docker_t *d)
{
        return d->desc;
}

bool lr_docker_from_pool(const lr_docker_t *d)
{
        return d->from_pool;
}

static void refill_free(refill_t *r)
{
        if (!r)
                return;
        free(r->cfg->root);
        free(r->cfg->docker_image);
        free(r->cfg);
        free(r->agent);
        free(r->profile);
        free(r->key);
        free(r);
}

void lr_docker_destroy(lr_docker_t *d)
{
        if (!d)
                return;
        /* Closing our end stops the pump, which closes the attach
         * connection: the container's stdin closes and the agent ends. */
        if (d->chan >= 0)
                shutdown(d->chan, SHUT_RDWR);
        if (d->pump_running)
                pthread_join(d->pump, NULL);
        d->chan = lr_close(d->chan);
        d->pump_end = lr_close(d->pump_end);
        lr_stream_close(d->st);
        /* Then make sure: kill and remove it now rather than trusting the
         * agent to exit and AutoRemove to run. */
        if (d->eng && d->id[0])
                (void)remove_container(d->eng, d->id);
        if (d->refill_running)
                pthread_join(d->refill, NULL);
        refill_free((refill_t *)d->refill_cfg);
        lr_engine_close(d->eng);
        pthread_mutex_destroy(&d->lock);
        free(d);
}

