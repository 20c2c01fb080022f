#!/usr/bin/env bash
# End-to-end: sessions (one sandbox for many commands, torn down at the end),
# running without root, fail-fast errors, and --rootfs.
. "$(dirname "$0")/../lib.sh"
require_sandbox

ws=$(mkws)

# One sandbox for a whole session: /tmp (the sandbox's own tmpfs) persists
# across the session's 100 commands, and the next session starts empty.
{
  for i in $(seq 1 99); do echo "<exec echo $i >> /tmp/count>"; done
  echo '<exec wc -l < /tmp/count>'
} | lr "$ws" --json > "$ws.json"
check "100-command session: every command succeeded" python3 -c "
import json,sys
o=[json.loads(l) for l in open(sys.argv[1])]
assert len(o)==100 and all(x['ok'] for x in o), [x for x in o if not x['ok']][:2]
assert o[-1]['stdout'].strip()=='99', o[-1]
" "$ws.json"
rm -f "$ws.json"
out=$(echo '<exec cat /tmp/count 2>&1 || echo fresh>' | lr "$ws")
contains "a new session gets a fresh sandbox" "$out" "fresh"

# Nothing is left behind: no cgroup of ours (tests/lib.sh), no process.
check "no cgroup left after the sessions" test -z "$(leftover_cgroups)"

# A stale cgroup from a runtime that died is swept at the next start.
if on_docker; then
  ok "# SKIP stale cgroup sweep: the docker backend makes no cgroups of its own (test_docker.sh checks stale containers)"
elif [ "$(id -u)" -eq 0 ] && [ -d /sys/fs/cgroup/pids ] && [ ! -f /sys/fs/cgroup/cgroup.controllers ]; then
  own=$(awk -F: '$2 ~ /(^|,)pids(,|$)/ {print $3}' /proc/self/cgroup)
  stale="/sys/fs/cgroup/pids${own%/}/llm-runtime.999999999.stale"
  mkdir -p "$stale"
  echo '<exec true>' | lr "$ws" >/dev/null
  check "a dead runtime's cgroup is removed at the next start" test ! -d "$stale"
  rmdir "$stale" 2>/dev/null || true
fi

# Streaming: a command runs as soon as it is complete, while the input is
# still open (the model is still talking).
check "results stream before EOF" python3 - "$LR_BIN" "$ws" <<'PY'
import subprocess, sys, select
p = subprocess.Popen([sys.argv[1], "--root", sys.argv[2], "--no-audit"],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
p.stdin.write(b"thinking...\n<exec echo streamed>\n"); p.stdin.flush()
out = b""
while b"=== END ===" not in out:
    r, _, _ = select.select([p.stdout], [], [], 30)
    if not r: sys.exit("no result while the input was open")
    chunk = p.stdout.read1(65536)
    if not chunk: sys.exit("output closed early")
    out += chunk
alive = p.poll() is None          # still reading our open stdin
p.stdin.close(); p.wait(30)
sys.exit(0 if alive and b"streamed" in out else 1)
PY

# Ctrl-C / SIGTERM / SIGHUP: the runtime takes the sandbox and its cgroup
# down, and dies of the signal.
for sig in TERM INT HUP; do
  marker="lrsig$sig$$"
  ( echo "<exec sleep 1000 $marker>"; sleep 60 ) | lr "$ws" >/dev/null 2>&1 &
  for _ in $(seq 100); do pgrep -f "sleep 1000 $marker" >/dev/null && break; sleep 0.05; done
  lrpid=$(pgrep -f "llm-runtime --root $ws --no-audit" | head -1)
  kill -"$sig" "$lrpid"
  for _ in $(seq 100); do kill -0 "$lrpid" 2>/dev/null || break; sleep 0.05; done
  check "SIG$sig: the runtime exits" sh -c "! kill -0 $lrpid 2>/dev/null"
  check "SIG$sig: no sandbox process left" sh -c "! pgrep -f '^sleep 1000 $marker' >/dev/null"
  check "SIG$sig: no cgroup left" test -z "$(leftover_cgroups)"
  if on_docker; then
    check "SIG$sig: no container left" docker_left_none
  fi
  pkill -f "sleep 60" -P $$ 2>/dev/null || true
done
wait 2>/dev/null || true

# Fail fast, with the cause and the fix, when the sandbox cannot be made.
out=$(echo '<exec true>' | lr "$ws" --rootfs /nonexistent-rootfs 2>&1); rc=$?
check "bad --rootfs exits 1" test "$rc" -eq 1
if on_docker; then
  contains "bad --rootfs names the cause (docker: not a docker option)" "$out" "CONFIG_ERROR"
else
  contains "bad --rootfs names the cause" "$out" "SANDBOX_UNAVAILABLE"
fi
contains "bad --rootfs names the path" "$out" "/nonexistent-rootfs"
lacks "nothing ran on the host instead" "$out" "EXEC SUCCESSFUL"

# Without root.  An unprivileged user cannot create cgroups on a v1 or
# undelegated system: the runtime must refuse with the fix, and work with
# --cgroup off.
if on_docker && [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
  # The docker backend needs the Engine's socket, which an unprivileged
  # user outside the docker group cannot open: a clear error, not a hang.
  out=$(echo '<exec id>' | setpriv --reuid="$LR_TEST_UID" --regid="$LR_TEST_UID" --clear-groups -- \
          env HOME="$ws" "$LR_BIN" --root "$ws" --no-audit 2>&1); rc=$?
  check "docker, non-root without socket access: exit 1" test "$rc" -eq 1
  contains "docker, non-root without socket access: says Docker is required" "$out" "Docker is required"
elif [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
  nr() { setpriv --reuid="$LR_TEST_UID" --regid="$LR_TEST_UID" --clear-groups -- \
           env HOME="$ws" "$LR_BIN" --root "$ws" --no-audit "$@"; }
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    ok "# SKIP unprivileged cgroup refusal: this host runs cgroup v2, which may be delegated"
  else
    out=$(echo '<exec id>' | nr 2>&1); rc=$?
    check "non-root without cgroup access fails fast" test "$rc" -eq 1
    contains "non-root failure names the fix" "$out" "--cgroup off"
  fi
  out=$(printf '<exec id -u; cat /proc/self/uid_map>\n<write nr.txt>by non-root</write>\n' | nr --cgroup off 2>&1)
  contains "non-root sandbox runs" "$out" "EXEC SUCCESSFUL"
  contains "non-root: uid 1000 inside maps to the caller" "$out" "1000       $LR_TEST_UID          1"
  check "non-root write belongs to the caller" test "$(stat -c %u "$ws/nr.txt")" = "$LR_TEST_UID"
else
  ok "# SKIP non-root run: needs root and setpriv to switch to uid $LR_TEST_UID"
fi

# --rootfs: a minimal image (dash + libc only).  Commands see the image, not
# the host: sh works, ls does not exist.
img=$(mktemp -d /tmp/lr-rootfs.XXXXXX)
_tmpdirs+=("$img")
mkdir -p "$img/bin" "$img/etc"
cp /bin/dash "$img/bin/sh"
for lib in $(ldd /bin/dash | grep -o '/[^ ]*'); do
  mkdir -p "$img$(dirname "$lib")"
  cp "$lib" "$img$lib"
done
echo "image" > "$img/etc/marker"
if on_docker; then
  out=$(printf '<exec echo from-image>\n' | lr "$ws" --rootfs "$img" 2>&1); rc=$?
  check "docker: --rootfs is refused" test "$rc" -eq 1
  contains "docker: --rootfs refusal points to --docker-image" "$out" "--docker-image"
else
  out=$(printf '<exec echo from-image; read x < /etc/marker; echo $x>\n<exec ls />\n' | lr "$ws" --rootfs "$img")
  contains "--rootfs: the image's shell runs" "$out" "from-image"
  contains "--rootfs: the image's /etc is used" "$out" $'\nimage\n'
  contains "--rootfs: host binaries are absent" "$out" "ls: not found"
fi

finish
