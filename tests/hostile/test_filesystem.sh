#!/usr/bin/env bash
# Hostile suite: the filesystem boundary, secrets, devices, network and the
# file tools (research notes §6 T2-T7, T34-T40), and T44: the host config a
# workspace can plant.
. "$(dirname "$0")/../lib.sh"
require_sandbox

ws=$(mkws)
secret=$(mktemp /tmp/lr-host-secret.XXXXXX)
echo "HOST-SECRET-$$" > "$secret"
chmod 644 "$secret"
_tmpdirs+=("$secret")

# T2: read-only root; only /workspace, /tmp, /dev/shm writable
out=$(echo '<exec for f in /x /etc/passwd /usr/bin/x /bin/x /proc/x /dev/x; do touch "$f" 2>&1 && echo "MODIFIED:$f"; done; touch /workspace/ok /tmp/ok /dev/shm/ok && echo writable-ok>' | lr "$ws")
lacks "T2 no system path is writable" "$out" "MODIFIED:/"
contains "T2 workspace, /tmp, /dev/shm writable" "$out" "writable-ok"

# T3: secrets and sockets
export AWS_SECRET_ACCESS_KEY=leak-me SSH_AUTH_SOCK=/tmp/agent.sock DOCKER_HOST=unix:///var/run/docker.sock GITHUB_TOKEN=ghp_leak
out=$(echo '<exec env; ls -la /root /home /var/run/docker.sock /run 2>&1; find / -xdev -type s 2>/dev/null; grep -c @ /proc/net/unix>' | lr "$ws")
unset AWS_SECRET_ACCESS_KEY SSH_AUTH_SOCK DOCKER_HOST GITHUB_TOKEN
lacks "T3 AWS key not in env" "$out" "leak-me"
lacks "T3 token not in env" "$out" "ghp_leak"
lacks "T3 SSH_AUTH_SOCK not in env" "$out" "SSH_AUTH_SOCK"
lacks "T3 DOCKER_HOST not in env" "$out" "DOCKER_HOST"
contains "T3 HOME is the workspace" "$out" "HOME=/workspace"
contains "T3 /root absent" "$out" "cannot access '/root'"
contains "T3 docker.sock absent" "$out" "cannot access '/var/run/docker.sock'"
contains "T3 no abstract sockets visible" "$out" $'\n0\n'

# the host file is invisible; /etc has no secrets
out=$(echo "<exec cat $secret 2>&1; ls /etc; cat /etc/shadow 2>&1; ls /etc/ssh 2>&1>" | lr "$ws")
lacks "host /tmp file invisible" "$out" "HOST-SECRET"
lacks "/etc/shadow absent" "$out" "root:"
contains "/etc/ssh absent" "$out" "cannot access '/etc/ssh'"

# T4: devices
out=$(echo '<exec ls /dev; mknod /tmp/sda b 8 0 2>&1; head -c1 /dev/mem 2>&1; head -c1 /dev/sda 2>&1; echo end>' | lr "$ws")
lacks "T4 no disks in /dev" "$out" "sda"$'\n'"fd"
contains "T4 mknod fails" "$out" "mknod: /tmp/sda: Operation not permitted"
contains "T4 /dev/mem absent" "$out" "'/dev/mem' for reading: No such file"

# T5/T6: network
out=$(echo "<exec python3 -c 'import socket;socket.create_connection((\"1.1.1.1\",443),3)' 2>&1 | tail -1; cat /proc/net/dev; cat /proc/net/route; getent hosts example.com || echo no-dns; python3 -c 'import socket;socket.create_connection((\"169.254.169.254\",80),3)' 2>&1 | tail -1>" | lr "$ws")
contains "T5 egress unreachable" "$out" "Network is unreachable"
contains "T5 only loopback" "$out" "lo:"
lacks "T5 no eth interface" "$out" "eth0"
contains "T6 no DNS" "$out" "no-dns"
out=$(echo "<exec python3 -c 'import socket;s=socket.socket();s.bind((\"127.0.0.1\",8081));s.listen();c=socket.create_connection((\"127.0.0.1\",8081));print(\"loopback-ok\")'>" | lr "$ws")
contains "loopback works inside" "$out" "loopback-ok"

# T34: tool traversal stays in the sandbox's own view
out=$(printf '<write ../../etc/x>a</write>\n<write /etc/x>b</write>\n<write a/../../x>c</write>\n<open ../../../../%s>\n' "$secret" | lr "$ws")
check "T34 nothing written on the host /etc" test ! -e /etc/x
check "T34 nothing written next to the workspace" test ! -e "$(dirname "$ws")/x"
lacks "T34 host file not readable by traversal" "$out" "HOST-SECRET"

# T35: symlinks and special files
as_owner ln -s / "$ws/rootlink"
as_owner ln -s "$secret" "$ws/pw"
as_owner mkfifo "$ws/fifo"
as_owner ln -s /dev/zero "$ws/z"
out=$(printf '<write rootlink/tmp/escaped>x</write>\n<open pw>\n<open fifo>\n<open z>\n<write pw>overwrite</write>\n' | timeout 20 "$LR_BIN" --root "$ws" --no-audit)
check "T35 write through a / symlink stays inside" test ! -e /tmp/escaped
lacks "T35 read through a symlink to a host file fails" "$out" "HOST-SECRET"
contains "T35 fifo refused, no hang" "$out" "NOT_REGULAR_FILE"
contains "T35 /dev/zero refused" "$out" "character device"
check "T35 host file not overwritten through a link" grep -q "HOST-SECRET" "$secret"
rm -f "$ws/rootlink" "$ws/pw" "$ws/fifo" "$ws/z" "$ws/tmp" 2>/dev/null

# T36: host-executed files are writable by design (documented in SECURITY.md)
# and written only inside the workspace.
as_owner mkdir -p "$ws/.git/hooks"
out=$(printf '<write .git/hooks/post-checkout>#!/bin/sh\ntouch /tmp/PWNED\n</write>\n' | lr "$ws")
check "T36 the hook is written inside the workspace only" test -f "$ws/.git/hooks/post-checkout"
check "T36 nothing ran on the host" test ! -e /tmp/PWNED

# T38: symlink-swap race against the write tool
as_owner mkdir -p "$ws/d"
{
  echo '<exec>'
  echo 'for i in $(seq 1 3000); do rm -rf d; ln -s / d; rm d; mkdir d; done &'
  echo 'sleep 0.1'
  echo '</exec>'
  for i in $(seq 1 200); do echo "<write d/x$i>race</write>"; done
} | lr "$ws" --exec-timeout 30s >/dev/null
check "T38 swap race never wrote outside the workspace" sh -c 'ls / | grep -q "^x[0-9]" && exit 1; exit 0'

# T39: a planted link in the workspace does not redirect the next run's setup
as_owner ln -s / "$ws/.cache"
out=$(echo '<exec ls -la /workspace/.cache; echo next-run-ok>' | lr "$ws")
contains "T39 next run starts normally" "$out" "next-run-ok"
rm -f "$ws/.cache"

# T40: atomic writes
as_owner sh -c "printf 'original' > '$ws/atomic.txt'"
python3 - "$ws" <<'PY' > "$ws.reply"
import sys
sys.stdout.write("<write atomic.txt>" + "N" * (150 * 1024 * 1024) + "</write>\n")
PY
( lr "$ws" --max-write-size 200m < "$ws.reply" >/dev/null 2>&1 ) &
bg=$!
# Kill only once the agent is writing: it then holds the unnamed temporary
# file (O_TMPFILE, shown as "... (deleted)" among its fds).  On the native
# backend the agent is a fork of the runtime; on docker it is the container's
# /.llm-runtime/agent (the bytes reach it through dockerd, so allow longer).
writing=""
for _ in $(seq 3000); do
  for p in $(pgrep -f "llm-runtime --root $ws") $(pgrep -f "^/.llm-runtime/agent"); do
    if ls -l "/proc/$p/fd" 2>/dev/null | grep -q "(deleted)"; then writing=$p; break 2; fi
  done
  sleep 0.01
done
kill -9 $bg 2>/dev/null; pkill -9 -f "llm-runtime --root $ws" 2>/dev/null
check "T40 the kill landed while the agent was writing" test -n "$writing"
wait $bg 2>/dev/null || true
sleep 0.3
size=$(stat -c %s "$ws/atomic.txt")
check "T40 SIGKILL mid-write leaves old or new content, never partial" test "$size" -eq 8 -o "$size" -eq $((150 * 1024 * 1024))
check "T40 no temporary file left behind" sh -c "! ls -A '$ws' | grep -q lrtmp"
rm -f "$ws.reply"

# T37: a wipe from inside hits only the workspace (and the sandbox's own
# tmpfs): the host file beside it and the system files survive.
wws=$(mkws)
as_owner sh -c "echo keep > '$wws/a.txt'"
marker=$(mktemp /tmp/lr-t37-host.XXXXXX); echo "HOST-MARKER" > "$marker"; chmod 666 "$marker"
_tmpdirs+=("$marker")
sha_before=$(sha256sum /etc/hostname /usr/bin/env | sha256sum)
out=$(echo '<exec rm -rf ./* ./.[!.]* 2>/dev/null; find / -path /proc -prune -o -type f -writable -exec truncate -s0 {} + 2>/dev/null; echo wiped>' | lr "$wws")
contains "T37 the wipe ran" "$out" "wiped"
check "T37 the workspace was the target" test ! -e "$wws/a.txt"
check "T37 a host file outside the workspace is untouched" grep -q HOST-MARKER "$marker"
check "T37 system files are untouched" test "$(sha256sum /etc/hostname /usr/bin/env | sha256sum)" = "$sha_before"
out=$(echo '<exec echo after-wipe>' | lr "$wws")
contains "T37 the next run starts normally" "$out" "after-wipe"

# T40: every byte value under a file name that is not UTF-8 round-trips.
nws=$(mkws)
python3 - "$nws.reply" <<'PY'
import sys
name = b"bin-\xff\xfe-name"
open(sys.argv[1], "wb").write(b"<write " + name + b">" + bytes(range(256)) * 4 + b"</write>\n"
                              + b"<exec sha256sum bin-*>\n")
PY
out=$(lr "$nws" < "$nws.reply")
want=$(python3 -c 'import hashlib; print(hashlib.sha256(bytes(range(256)) * 4).hexdigest())')
contains "T40 0x00-0xFF under a non-UTF-8 name: the sandbox sees the same bytes" "$out" "$want"
check "T40 the host sees the same name and bytes" python3 -c "
import hashlib, os, sys
p = os.path.join(sys.argv[1].encode(), b'bin-\xff\xfe-name')
assert hashlib.sha256(open(p, 'rb').read()).hexdigest() == sys.argv[2]" "$nws" "$want"
rm -f "$nws.reply"

# A replaced file keeps its mode.
as_owner sh -c "printf x > '$nws/mode.sh'; chmod 750 '$nws/mode.sh'"
printf '<write mode.sh>#!/bin/sh\necho replaced\n</write>\n' | lr "$nws" >/dev/null
check "T40 a replaced file keeps its mode (750)" test "$(stat -c %a "$nws/mode.sh")" = 750
check "T40 ... and has the new content" grep -q replaced "$nws/mode.sh"

# T40: a full disk fails the write with ENOSPC and leaves the original.
if [ "$(id -u)" -eq 0 ] && ! on_docker; then
  fws=$(mkws)
  if mount -t tmpfs -o size=1m,uid="$LR_TEST_UID",gid="$LR_TEST_UID",mode=755 lr-t40 "$fws"; then
    as_owner sh -c "printf original > '$fws/f.txt'"
    python3 -c 'import sys; sys.stdout.write("<write f.txt>" + "Z" * (2 << 20) + "</write>\n")' > "$fws.reply"
    out=$(lr "$fws" --max-write-size 4m < "$fws.reply")
    contains "T40 a full disk is reported" "$out" "No space left on device"
    check "T40 a full disk leaves the original intact" test "$(cat "$fws/f.txt")" = original
    check "T40 a full disk leaves no temporary file" sh -c "! ls -A '$fws' | grep -q lrtmp"
    umount "$fws"; rm -f "$fws.reply"
  else
    echo "# skip T40 full disk: cannot mount a tmpfs here"
  fi
else
  echo "# skip T40 full disk: needs root to mount a small tmpfs (native backend only: the docker backend's mounts are the engine's)"
fi

# T44: a workspace that holds the user's HOME (run from ~, or --root ~)
# contains the "trusted" user config and the default audit log.  A model
# that plants them must gain nothing: the planted config gets the workspace
# config's restrictions, and the default audit log is refused there.
hws=$(mkws)
escape=$(mktemp -u /tmp/lr-t44-escape.XXXXXX)
plant="<write .config/llm-runtime/llm-runtime.config.yaml>
audit_log: $escape
</write>"
echo "$plant" | env -u XDG_CONFIG_HOME HOME="$hws" "$LR_BIN" --root "$hws" --no-audit >/dev/null 2>&1
out=$(echo '<exec echo planted-run>' | env -u XDG_CONFIG_HOME HOME="$hws" "$LR_BIN" --root "$hws" --no-audit 2>&1)
contains "T44 a planted user config is named as inside the workspace" "$out" "lies inside the workspace"
contains "T44 a planted user config may not move the audit log" "$out" "not allowed in the workspace"
check "T44 no file appears where the planted config pointed" test ! -e "$escape"
# (the planted file above now stops every run with that error; the model
# could as well have written this one instead)
echo 'exec_timeout: 1h' > "$hws/.config/llm-runtime/llm-runtime.config.yaml"
out=$(echo '<exec true>' | env -u XDG_CONFIG_HOME HOME="$hws" "$LR_BIN" --root "$hws" --no-audit --verbose 2>&1)
contains "T44 a planted user config cannot raise limits" "$out" "would raise a limit"
lacks "T44 the planted timeout is not in force" "$out" "exec timeout:  3.6e+03s"
rm -f "$hws/.config/llm-runtime/llm-runtime.config.yaml"
out=$(echo '<exec echo audited>' | env -u XDG_CONFIG_HOME -u XDG_STATE_HOME HOME="$hws" "$LR_BIN" --root "$hws" 2>&1)
contains "T44 the default audit log is refused inside the workspace" "$out" "where the sandbox could rewrite it"
check "T44 no audit log was written in the workspace" test ! -e "$hws/.local/state/llm-runtime/audit.jsonl"
rm -f "$escape"
# A FIFO planted as the workspace's config must not hang the next run.
rm -f "$hws/llm-runtime.config.yaml"; as_owner mkfifo "$hws/llm-runtime.config.yaml"
out=$(echo '<exec true>' | timeout 20 "$LR_BIN" --root "$hws" --no-audit 2>&1); rc=$?
check "T44 a planted FIFO config does not hang the run" test "$rc" -ne 124
contains "T44 ... it is refused as not a regular file" "$out" "is not a regular file"
rm -f "$hws/llm-runtime.config.yaml"

finish
