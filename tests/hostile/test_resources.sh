#!/usr/bin/env bash
# Hostile suite: resource exhaustion and process escape (research notes §5,
# §6 T19-T33).  The runtime, the host and later commands must stay healthy;
# nothing a command starts may outlive it.
. "$(dirname "$0")/../lib.sh"
require_sandbox

ws=$(mkws)
marker="lrtest$$"

host_leftovers() { pgrep -f "$marker" >/dev/null && echo yes || echo no; }

# T19: fork bomb -> pids limit, killed, nothing left
out=$(printf '<exec bash -c ":(){ :|:& };:"; echo bomb-done>\n<exec ls /proc | grep -cE "^[0-9]+$">\n' | lr "$ws" --exec-timeout 10s --exec-pids 64)
contains "T19 fork bomb returns" "$out" "bomb-done"
check "T19 no bomb processes remain in the sandbox" python3 -c "
import sys,re
blocks=sys.argv[1].split('=== LLM TOOL START ===')
last=blocks[-1]
m=re.search(r'Output:\n(\d+)', last)
sys.exit(0 if m and int(m.group(1)) <= 4 else 1)" "$out"

# T20: thread bomb
out=$(echo "<exec python3 -c 'import threading,time;[threading.Thread(target=time.sleep,args=(999,),daemon=True).start() for _ in iter(int,1)]' 2>&1 | tail -1>" | lr "$ws" --exec-pids 64 --exec-timeout 20s)
contains "T20 thread bomb hits the pids limit" "$out" "can't start new thread"

# T21: memory -> OOM inside the sandbox only, reported
out=$(echo "<exec python3 -c 'a=bytearray(1024*1024*1024)'>" | lr "$ws" --exec-memory 128m)
contains "T21 memory hog is killed" "$out" "=== ERROR: EXEC_FAILED ==="
contains "T21 reported as the memory limit" "$out" "memory limit"
contains "T21 exit 137" "$out" "Exit code: 137"
out=$(printf '<exec python3 -c "a=bytearray(512*1024*1024)">\n<exec echo after-oom>\n' | lr "$ws" --exec-memory 128m)
contains "T21 session continues after an OOM kill" "$out" "after-oom"

# The OOM killer prefers the command to the agent that reports on it.
out=$(echo '<exec sleep 0.2; cat /proc/self/oom_score_adj>' | lr "$ws")
contains "T21 commands carry oom_score_adj 1000" "$out" $'\n1000\n'

# T22: tmpfs fill -> ENOSPC at the size cap
out=$(echo '<exec dd if=/dev/zero of=/tmp/f bs=1M count=100 2>&1; dd if=/dev/zero of=/dev/shm/f bs=1M count=100 2>&1>' | lr "$ws" --tmpfs-size 16m)
contains "T22 /tmp is capped" "$out" "No space left on device"
out=$(printf '<exec cd /tmp && mkdir i && cd i && seq 1 200000 | xargs touch 2>&1 | tail -1>\n' | lr "$ws" --tmpfs-size 4m --exec-timeout 60s)
if on_podman; then
  ok "# SKIP T22 inode cap: Podman 4 refuses the tmpfs nr_inodes option (SECURITY.md); /tmp is capped in size only"
else
  contains "T22 inodes are capped" "$out" "No space left on device"
fi

# T23: RLIMIT_FSIZE per file in the workspace
out=$(echo '<exec dd if=/dev/zero of=big bs=1M count=64 2>&1; ls -l big>' | lr "$ws" --exec-file-size 8m)
contains "T23 a file cannot grow past --exec-file-size" "$out" "File too large"
rm -f "$ws/big"

# T24: file descriptors
out=$(echo "<exec python3 -c 'import os;[os.open(\"/dev/null\",0) for _ in range(10**6)]' 2>&1 | tail -1>" | lr "$ws" --open-files 256)
contains "T24 fd exhaustion hits RLIMIT_NOFILE" "$out" "Too many open files"

# T25/T26: output floods are capped, valid, and stop
out=$(echo '<exec yes | head -c 50000000>' | lr "$ws" --output-limit 64k)
contains "T25 flood is truncated and marked" "$out" "bytes truncated ..."
check "T25 output stays near the cap" test "${#out}" -lt 200000
echo '<exec head -c 3000000 /dev/urandom>' | lr "$ws" --output-limit 64k --json > "$ws.json"
check "T26 binary flood still gives valid JSON" python3 -c "import json,sys; o=json.load(open(sys.argv[1])); assert o['truncated'] and o['stdout_bytes']==3000000" "$ws.json"
rm -f "$ws.json"
# a 1 GiB flood without a single newline: counted, capped, still one valid record
echo "<exec head -c 1G /dev/zero | tr '\\0' a>" | lr "$ws" --output-limit 64k --json > "$ws.json"
check "T26 1 GiB without newlines: capped, counted, valid JSON" python3 -c "import json,sys; o=json.load(open(sys.argv[1])); assert o['truncated'] and o['stdout_bytes']==1<<30 and len(o['stdout']) < 200000" "$ws.json"
check "T26 ... and the record stays small" test "$(stat -c %s "$ws.json")" -lt 300000
rm -f "$ws.json"

# T27: terminal escapes are neutralized in text output
out=$(echo "<exec printf '\\033]0;owned\\007\\033[2J\\rFAKE\$ rm -rf ~\\n'>" | lr "$ws")
check "T27 no raw ESC in text output" sh -c '! printf %s "$1" | grep -q "$(printf "\033")"' _ "$out"
contains "T27 escapes are visible as text" "$out" '\x1b'

# T28/T29: timeouts, SIGTERM ignored
out=$(echo "<exec trap '' TERM INT HUP; while :; do :; done>" | lr "$ws" --exec-timeout 1s)
contains "T29 SIGTERM-ignoring loop is killed" "$out" "EXEC_TIMEOUT"

# T30: daemons and double forks do not outlive their command
out=$(printf '<exec nohup sleep 1000 %s >/dev/null 2>&1 & setsid -f sleep 1000 %s >/dev/null 2>&1; (sleep 1000 %s >/dev/null 2>&1 &); echo started>\n<exec ls /proc | grep -cE "^[0-9]+$">\n' "$marker" "$marker" "$marker" | lr "$ws")
contains "T30 command returns" "$out" "started"
check "T30 nothing left on the host" test "$(host_leftovers)" = no
check "T30 next command sees no daemon" python3 -c "
import sys,re
m=re.findall(r'Output:\n(\d+)', sys.argv[1])
sys.exit(0 if m and int(m[-1]) <= 4 else 1)" "$out"

# T31: a background process holding stdout does not hold the command
out=$(echo "<exec sleep 1000 $marker & echo quick>" | lr "$ws" --exec-timeout 60s --json)
check "T31 pipe holder: result is success, not a timeout" python3 -c "
import json,sys; o=json.loads(sys.argv[1]); assert o['ok'] and o['stdout']=='quick\n', o" "$out"
check "T31 the holder was killed" test "$(host_leftovers)" = no

# T32: zombies are reaped
out=$(printf '<exec python3 -c "import os,time;[os.fork()==0 and os._exit(0) for _ in range(300)];time.sleep(1)">\n<exec ls /proc | grep -cE "^[0-9]+$">\n' | lr "$ws")
check "T32 zombies reaped" python3 -c "
import sys,re
m=re.findall(r'Output:\n(\d+)', sys.argv[1])
sys.exit(0 if m and int(m[-1]) <= 4 else 1)" "$out"

# T33: CPU hogs are stopped at the timeout and the host stays responsive
out=$(echo '<exec for i in $(seq 16); do (while :; do :; done) & done; wait>' | lr "$ws" --exec-timeout 2s --exec-cpu 0.5)
contains "T33 CPU hogs killed at the timeout" "$out" "EXEC_TIMEOUT"
check "T33 no spinning shells left" sh -c "! pgrep -u $LR_TEST_UID -f 'while' >/dev/null"

# the runtime dying takes the sandbox with it
( echo "<exec sleep 1000 $marker>"; sleep 30 ) | lr "$ws" >/dev/null 2>&1 &
bg=$!
for _ in $(seq 50); do pgrep -f "sleep 1000 $marker" >/dev/null && break; sleep 0.1; done
pkill -9 -f "llm-runtime --root $ws" || true
wait "$bg" 2>/dev/null
for _ in $(seq 50); do [ "$(host_leftovers)" = no ] && break; sleep 0.1; done
check "SIGKILL of the runtime leaves no sandbox process" test "$(host_leftovers)" = no

finish
