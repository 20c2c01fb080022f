# tests/lib.sh - shared helpers for the end-to-end and hostile suites.
#
# Each test script is a TAP producer: "ok N - desc" / "not ok N - desc",
# a final "1..N" plan, and exit status 0 (all passed), 1 (a failure) or 77
# (skipped, with the reason printed).  meson runs them with LR_BIN and
# LR_PROBE set; run by hand they fall back to build/.
set -u

LR_SRCDIR=${LR_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
LR_BIN=${LR_BIN:-$LR_SRCDIR/build/llm-runtime}
LR_PROBE=${LR_PROBE:-$LR_SRCDIR/build/lr-probe}
# The uid:gid that owns test workspaces when the suite runs as root (the
# sandbox user maps to the workspace owner).
LR_TEST_UID=${LR_TEST_UID:-1000}

_n=0
_failed=0
_tmpdirs=()

# LR_TEST_BACKEND=docker runs the same suite against the docker backend
# (scripts/test.sh does, after scripts/docker-setup.sh): LR_BIN becomes a
# wrapper that appends --backend docker to every call, so scripts, the
# Python clients and pgrep patterns ("llm-runtime --root WS") are unchanged.
LR_TEST_BACKEND=${LR_TEST_BACKEND:-native}
LR_REAL_BIN=${LR_REAL_BIN:-$LR_BIN}
if [ "$LR_TEST_BACKEND" = docker ] && [ -z "${_LR_WRAPPED:-}" ]; then
  _wrapdir=$(mktemp -d /tmp/lr-test-bin.XXXXXX)
  printf '#!/bin/sh\nexec "%s" "$@" --backend docker\n' "$LR_BIN" > "$_wrapdir/llm-runtime"
  chmod 755 "$_wrapdir" "$_wrapdir/llm-runtime"
  LR_BIN=$_wrapdir/llm-runtime
  export _LR_WRAPPED=1
fi
export LR_BIN LR_REAL_BIN LR_TEST_BACKEND

# docker_left_none: no container of this runtime and this test's runs is
# left (waits up to 15 s for Docker's AutoRemove).  Containers of runtimes
# outside this test (another pid, still alive) are not counted.
docker_left_none() {
  local n
  for _ in $(seq 150); do
    n=$(curl -s --max-time 10 --unix-socket "${DOCKER_SOCK:-/var/run/docker.sock}" \
        'http://d/containers/json?all=1&filters=%7B%22label%22%3A%5B%22io.llm-runtime.session%22%5D%7D' |
        python3 -c '
import json, os, sys
n = 0
for c in json.load(sys.stdin):
    pid = int(c["Labels"].get("io.llm-runtime.owner", "0.0").split(".")[0] or 0)
    try:
        os.kill(pid, 0); alive = True
    except Exception:
        alive = False
    n += not alive
print(n)' 2>/dev/null)
    [ "$n" = 0 ] && return 0
    sleep 0.1
  done
  echo "# containers left: $n"
  return 1
}

# on_podman: the docker backend's engine is Podman's compatibility service.
on_podman() {
  on_docker && curl -s --max-time 5 --unix-socket "${DOCKER_SOCK:-/var/run/docker.sock}" http://d/version |
    grep -q '"Name":"Podman Engine"'
}

# on_docker: true when this run targets the docker backend (for checks that
# only make sense on one backend; they print why they skip).
on_docker() { [ "$LR_TEST_BACKEND" = docker ]; }

ok() { _n=$((_n + 1)); echo "ok $_n - $*"; }
not_ok() { _n=$((_n + 1)); _failed=$((_failed + 1)); echo "not ok $_n - $*"; }

# check DESC CMD...: passes when CMD succeeds.
check() {
  local desc=$1; shift
  if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# contains DESC HAYSTACK NEEDLE / lacks DESC HAYSTACK NEEDLE
contains() {
  if [[ "$2" == *"$3"* ]]; then ok "$1"; else
    not_ok "$1"; echo "#   expected to find: $3"; echo "$2" | head -40 | sed 's/^/#   | /'
  fi
}
lacks() {
  if [[ "$2" != *"$3"* ]]; then ok "$1"; else
    not_ok "$1"; echo "#   did not expect: $3"; echo "$2" | grep -F -- "$3" | head -5 | sed 's/^/#   | /'
  fi
}

skip_all() { echo "1..0 # SKIP $*"; exit 77; }

finish() {
  echo "1..$_n"
  [ "$_failed" -eq 0 ] && exit 0
  echo "# $_failed of $_n failed"
  exit 1
}

cleanup_tmpdirs() {
  local d
  for d in "${_tmpdirs[@]}"; do rm -rf "$d"; done
  [ -n "${_wrapdir:-}" ] && rm -rf "$_wrapdir"
}
trap cleanup_tmpdirs EXIT

# mkws: a fresh workspace (printed), owned by LR_TEST_UID when running as root.
mkws() {
  local d
  d=$(mktemp -d /tmp/lr-test-ws.XXXXXX)
  _tmpdirs+=("$d")
  chmod 755 "$d"
  if [ "$(id -u)" -eq 0 ]; then chown "$LR_TEST_UID:$LR_TEST_UID" "$d"; fi
  echo "$d"
}

# as_owner CMD...: run a host command as the workspace owner, so fixtures
# the test creates belong to the sandbox user.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    setpriv --reuid="$LR_TEST_UID" --regid="$LR_TEST_UID" --clear-groups -- "$@"
  else
    "$@"
  fi
}

# lr WS [flags...] : run llm-runtime on WS with stdin as the reply.
lr() {
  local ws=$1; shift
  "$LR_BIN" --root "$ws" --no-audit "$@"
}

require_sandbox() {
  [ -x "$LR_BIN" ] || skip_all "llm-runtime binary not built at $LR_BIN"
  if on_docker; then
    curl -sf --max-time 5 --unix-socket "${DOCKER_SOCK:-/var/run/docker.sock}" http://d/_ping >/dev/null ||
      skip_all "docker backend: no Docker Engine answers on ${DOCKER_SOCK:-/var/run/docker.sock}"
    return
  fi
  if [ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 1)" = 0 ]; then
    skip_all "user namespaces are disabled on this kernel (user.max_user_namespaces=0)"
  fi
}

# Sandbox cgroups on this machine: llm-runtime.<pid>.… directories in any
# hierarchy (the ".host" leaves of v2 delegation hold the runtime itself,
# not a sandbox).
list_sandbox_cgroups() {
  find /sys/fs/cgroup -maxdepth 6 -type d -name 'llm-runtime.*' 2>/dev/null | grep -v '\.host$' | sort || true
}
# Taken when the test starts: what other runtimes on this machine own or
# left behind earlier is not this test's doing.
_cg_baseline=$(list_sandbox_cgroups)

# _descends_from PID ANCESTOR: PID is ANCESTOR or one of its descendants.
_descends_from() {
  local p=$1
  while [ -n "$p" ] && [ "$p" -gt 1 ]; do
    [ "$p" -eq "$2" ] && return 0
    p=$(ps -o ppid= -p "$p" 2>/dev/null | tr -d ' ')
  done
  return 1
}

# leftover_cgroups: sandbox cgroups that appeared since the test started
# and are not owned by a live runtime outside this test.  A runtime of this
# test that is still alive counts against it too.
leftover_cgroups() {
  local d name pid
  list_sandbox_cgroups | while read -r d; do
    [ -n "$d" ] || continue
    grep -qxF -- "$d" <<<"$_cg_baseline" && continue
    name=${d##*/}; pid=${name#llm-runtime.}; pid=${pid%%.*}
    if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && ! _descends_from "$pid" $$; then
      continue
    fi
    echo "$d"
  done
}
