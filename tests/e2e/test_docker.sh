#!/usr/bin/env bash
# The docker backend itself: the container's settings as the Engine reports
# them, the agent as PID 1, clear errors (no engine, a bad DOCKER_HOST, a
# missing image), the warm pool (claim, refill, health, idle exit, prune),
# stale containers of dead runtimes, SIGKILL of the runtime, and --backend
# auto.  Runs in the docker pass of scripts/test.sh (a real dockerd).
. "$(dirname "$0")/../lib.sh"
require_sandbox
on_docker || skip_all "docker backend checks run in the docker pass (LR_TEST_BACKEND=docker, scripts/test.sh)"

SOCK=${DOCKER_SOCK:-/var/run/docker.sock}
api() { curl -s --max-time 30 --unix-socket "$SOCK" "http://d/v1.41$1" "${@:2}"; }
# ours [FILTER-LABEL]: ids of this runtime's containers on this host
ours() {
  local f='{"label":["io.llm-runtime"'${1:+,\"$1\"}']}'
  api "/containers/json?all=1&filters=$(python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1]))' "$f")" |
    python3 -c 'import json,sys; [print(c["Id"], c["Names"][0].lstrip("/"), c["State"]) for c in json.load(sys.stdin)]'
}
wait_gone() { # ID: up to 15 s
  for _ in $(seq 150); do
    [ "$(api "/containers/$1/json" -o /dev/null -w '%{http_code}')" = 404 ] && return 0
    sleep 0.1
  done
  return 1
}

ws=$(mkws)

# --- a live session's container, as the Engine sees it ---
# (in a subshell, so the shell does not report the job we kill below)
( ( echo '<exec sleep 60>'; sleep 90 ) | "$LR_BIN" --root "$ws" --no-audit --exec-memory 300m --exec-pids 77 \
  --exec-cpu 0.5 --tmpfs-size 16m --open-files 512 >/dev/null 2>&1 & )
for _ in $(seq 100); do id=$(ours "io.llm-runtime.session" | awk '$3=="running"{print $1; exit}'); [ -n "$id" ] && break; sleep 0.1; done
check "a session runs in a container" test -n "$id"
if [ -n "$id" ]; then
  api "/containers/$id/json" > "$ws.inspect"
  check "settings: the Engine reports the hardened spec" python3 - "$ws.inspect" "$ws" "$(stat -c %u:%g "$ws")" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); ws = sys.argv[2]; owner = sys.argv[3]
h, cf = c["HostConfig"], c["Config"]
problems = []
def want(cond, what):
    if not cond: problems.append(what)
want(h["NetworkMode"] == "none", "NetworkMode none")
# Docker echoes CapDrop ["ALL"]; Podman expands it into the capabilities it
# would otherwise grant (the capability sets are checked from inside by
# tests/hostile/test_docker.sh either way).
want((h["CapDrop"] == ["ALL"] or {"CHOWN", "DAC_OVERRIDE", "SETUID", "SETGID", "NET_RAW"} <= set(h["CapDrop"] or []))
     and not h.get("CapAdd"), "CapDrop ALL")
want(any(o.startswith("no-new-privileges") for o in h["SecurityOpt"]), "no-new-privileges")
def profile(o):  # Docker keeps the JSON, Podman the file it was given
    v = o[len("seccomp="):]
    return v if v.startswith("{") else open(v).read()
want(any(o.startswith("seccomp=") and "io_uring_setup" in profile(o) for o in h["SecurityOpt"]), "our seccomp profile")
want(h["ReadonlyRootfs"] is True, "ReadonlyRootfs")
want(h["Memory"] == 300 << 20 and h["MemorySwap"] == h["Memory"], "Memory == MemorySwap == 300m")
want(h["NanoCpus"] == 500000000, "NanoCpus 0.5")
want(h["PidsLimit"] == 77, "PidsLimit 77")
ul = {u["Name"].lower().replace("rlimit_", ""): (u["Soft"], u["Hard"]) for u in h["Ulimits"]}
want(ul.get("nofile") == (512, 512) and ul.get("core") == (0, 0) and "fsize" in ul, "Ulimits nofile/fsize/core")
want("size=16777216" in h["Tmpfs"].get("/tmp", ""), "tmpfs /tmp 16m")
rw = [m for m in c["Mounts"] if m["RW"]]
want(len(rw) == 1 and rw[0]["Destination"] == "/workspace" and rw[0]["Source"] == ws, "the workspace is the only rw mount")
want(not any("docker.sock" in (m.get("Source") or "") for m in c["Mounts"]), "no Docker socket mounted")
want(any(m["Destination"] == "/.llm-runtime/agent" and not m["RW"] for m in c["Mounts"]), "the agent mounted read-only")
want(cf["User"] == owner and not cf["User"].startswith("0:"), "user = workspace owner " + owner)
want(h["LogConfig"]["Type"] == "none", "logging off")
want(h["Privileged"] is False and h["AutoRemove"] is True, "unprivileged, AutoRemove")
lb = cf["Labels"]
want(lb.get("io.llm-runtime") == "1" and "io.llm-runtime.session" in lb and "io.llm-runtime.owner" in lb, "labels")
want(cf["Entrypoint"][0] == "/.llm-runtime/agent", "the agent is the entrypoint")
if problems: print("# missing:", problems); sys.exit(1)
PY
  rm -f "$ws.inspect"
fi
pkill -9 -f "llm-runtime --root $ws --no-audit --exec-memory 300m" 2>/dev/null
check "SIGKILL of the runtime: its container is removed" wait_gone "${id:-none}"
pkill -f "^sleep 90$" 2>/dev/null || true

out=$(printf '<exec cat /proc/1/cmdline | tr "\\0" " "; echo; id -u; hostname>\n' | lr "$ws")
contains "the agent is PID 1" "$out" "/.llm-runtime/agent --stdio"
contains "the command runs as the workspace owner" "$out" "$(stat -c %u "$ws")"
out=$(echo '<exec cat /proc/1/status | grep -i ^seccomp; cat /proc/self/status | grep NoNewPrivs>' | lr "$ws")
contains "commands run under seccomp" "$out" "Seccomp:	2"

# --- the choice is printed (--verbose) and audited ---
alog=$(mktemp /tmp/lr-audit.XXXXXX); _tmpdirs+=("$alog")
out=$(echo '<exec true>' | "$LR_BIN" --root "$ws" --audit-log "$alog" --verbose 2>&1 >/dev/null)
contains "--verbose names the docker backend" "$out" "backend:       docker"
check "the audit log records the docker sandbox" python3 -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
start = [r for r in recs if r["operation"] == "session_start"]
assert start and start[0]["detail"].startswith("docker ("), start' "$alog"

# --- errors ---
out=$(echo '<exec true>' | DOCKER_HOST=unix:///nonexistent/docker.sock "$LR_BIN" --root "$ws" --no-audit 2>&1); rc=$?
check "no engine: exit 1" test "$rc" -eq 1
contains "no engine: 'Docker is required'" "$out" "Docker is required"
contains "no engine: names the socket tried" "$out" "unix:///nonexistent/docker.sock"
contains "no engine: says how to install" "$out" "apt-get install docker.io"
out=$(echo '<exec true>' | DOCKER_HOST=tcp://127.0.0.1:1 "$LR_BIN" --root "$ws" --no-audit 2>&1)
contains "tcp:// is honoured (and named when unreachable)" "$out" "tcp://127.0.0.1:1"
out=$(echo '<exec true>' | DOCKER_HOST=ftp://x "$LR_BIN" --root "$ws" --no-audit 2>&1)
contains "a bad DOCKER_HOST is named" "$out" "DOCKER_HOST 'ftp://x'"
out=$(echo '<exec true>' | "$LR_BIN" --root "$ws" --no-audit --docker-image llm-runtime-no-such-image:0 2>&1)
contains "missing image: says how to build it" "$out" "scripts/build-image.sh"
contains "missing image: names it" "$out" "llm-runtime-no-such-image:0"
if [ -z "$(ours | grep -v pool)" ]; then ok "failed starts leave no container"; else not_ok "failed starts leave no container"; ours | sed 's/^/#   /'; fi

# --- a container of a dead runtime is removed at the next start ---
boot=$(cat /proc/sys/kernel/random/boot_id)
img=$(api "/containers/json?all=1" >/dev/null; echo "${LR_DOCKER_IMAGE:-llm-runtime-sandbox:1}")
sid=$(api "/containers/create?name=llm-runtime-999999999.1-stale" -X POST -H 'Content-Type: application/json' \
  -d "{\"Image\":\"$img\",\"Entrypoint\":[\"sleep\",\"300\"],\"Labels\":{\"io.llm-runtime\":\"1\",\"io.llm-runtime.host\":\"$boot\"},\"HostConfig\":{\"NetworkMode\":\"none\"}}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin).get("Id",""))')
api "/containers/$sid/start" -X POST >/dev/null
echo '<exec true>' | lr "$ws" >/dev/null
check "a dead runtime's container is removed at the next start" wait_gone "$sid"

# --- warm pool ---
pool() { "$LR_BIN" --root "$ws" --no-audit --verbose --docker-pool-size 2 "$@"; }
"$LR_BIN" prune >/dev/null
out=$(echo '<exec echo first>' | pool 2>&1)
contains "pool: the first session starts cold" "$out" "first"
lacks "pool: ... not from the pool" "$out" "from the warm pool"
check "pool: refilled to 2 after the session" test "$(ours io.llm-runtime.pool | grep -c 'llm-runtime-pool-.* running')" -eq 2
out=$(printf '<exec touch /tmp/mark; echo second>\n' | pool 2>&1)
contains "pool: the next session is served from the pool" "$out" "from the warm pool"
contains "pool: and works" "$out" "second"
out=$(printf '<exec ls /tmp/mark 2>&1 || echo clean>\n' | pool 2>&1)
contains "pool: no state leaks between sessions" "$out" "clean"
victim=$(ours io.llm-runtime.pool | awk '/llm-runtime-pool-/{print $1; exit}')
api "/containers/$victim/kill" -X POST >/dev/null
out=$(echo '<exec echo after-kill>' | pool 2>&1)
contains "pool: a dead pool container is skipped" "$out" "after-kill"
n=$("$LR_BIN" prune | awk '{print $2}')
check "prune removes the pool" test "$n" -ge 1
check "prune leaves nothing" test -z "$(ours)"
out=$(echo '<exec true>' | pool --docker-pool-idle 2s 2>&1)
sleep 1
check "pool: containers ready" test "$(ours io.llm-runtime.pool | grep -c running)" -ge 1
for _ in $(seq 100); do [ -z "$(ours io.llm-runtime.pool)" ] && break; sleep 0.1; done
check "pool: an unclaimed container ends itself after the idle timeout" test -z "$(ours io.llm-runtime.pool)"

# --- --backend auto ---
# (the real binary: the test wrapper would append --backend docker)
out=$(echo '<exec true>' | "$LR_REAL_BIN" --root "$ws" --no-audit --verbose --backend auto 2>&1)
contains "auto: picks native where the kernel allows it" "$out" "backend auto: the kernel allows it"
# A kernel without user namespaces, as far as the runtime can tell:
# bubblewrap's --disable-userns (a user namespace that cannot make more).
if command -v bwrap >/dev/null && bwrap --dev-bind / / --unshare-user --disable-userns true 2>/dev/null; then
  out=$(echo '<exec echo via-auto>' | bwrap --dev-bind / / --unshare-user --disable-userns -- \
        "$LR_REAL_BIN" --root "$ws" --no-audit --verbose --backend auto 2>&1)
  contains "auto: falls back to docker without user namespaces" "$out" "sandbox:       docker ("
  contains "auto: and says why" "$out" "unprivileged user namespaces are not available"
  contains "auto: the command ran" "$out" "via-auto"
  out=$(echo '<exec true>' | bwrap --dev-bind / / --unshare-user --disable-userns -- \
        "$LR_REAL_BIN" --root "$ws" --no-audit --backend native 2>&1)
  lacks "native, asked for explicitly, does not fall back" "$out" "EXEC SUCCESSFUL"
  contains "native without user namespaces names the cause and the fix" "$out" "user.max_user_namespaces"
  contains "... as SANDBOX_UNAVAILABLE" "$out" "SANDBOX_UNAVAILABLE"
else
  ok "# SKIP auto fallback to docker: needs bubblewrap 0.8+ (--disable-userns) to hide user namespaces"
fi

"$LR_BIN" prune >/dev/null
check "nothing left" test -z "$(ours)"
finish
