#!/usr/bin/env bash
# Attacks specific to the docker backend, run inside the container; each
# must fail.  D1 the Docker socket, D2 the agent's channel (the container's
# stdin/stdout), D3 forged stream frames and forged channel frames in a
# command's output, D4 the host's view through /proc/1, D5 capabilities and
# privilege gain, D6 a command that outlives its session.
. "$(dirname "$0")/../lib.sh"
require_sandbox
on_docker || skip_all "docker attacks run in the docker pass (LR_TEST_BACKEND=docker, scripts/test.sh)"

ws=$(mkws)
run() { echo "<exec $1>" | lr "$ws" --json | python3 -c '
import json,sys
for l in sys.stdin:
    o=json.loads(l); sys.stdout.write(o.get("stdout","")+o.get("stderr",""))'; }

# D1: no Docker socket anywhere a command can reach
out=$(run "ls -la /var/run/docker.sock /run/docker.sock /run/podman/podman.sock 2>&1; find / -xdev -type s 2>/dev/null | head")
contains "D1 /var/run/docker.sock absent" "$out" "cannot access '/var/run/docker.sock'"
contains "D1 /run/podman/podman.sock absent" "$out" "cannot access '/run/podman/podman.sock'"
lacks "D1 no socket file in the container" "$out" ".sock"$'\n'

# D2: the channel is the agent's stdin/stdout; commands cannot open them
out=$(run "for f in 0 1 2 10 11; do cat /proc/1/fd/\$f </dev/null >/dev/null 2>&1 && echo OPENED-\$f; done; ls -l /proc/1/fd 2>&1 | head -3; echo end")
lacks "D2 the agent's fds cannot be opened" "$out" "OPENED"
contains "D2 /proc/1/fd cannot be listed" "$out" "Permission denied"

# D3: a command prints a Docker stream header and a channel frame: they are
# its output, nothing more, and the session goes on
out=$(printf '%s\n' '<exec printf "\001\000\000\000\000\000\000\010\010\000\000\000\101\000\001\000"; printf "\002\000\000\000\377\377\377\377">' '<exec echo still-here>' | lr "$ws" --json)
check "D3 forged frames come back as the command's output" python3 -c '
import json, sys
o = [json.loads(l) for l in sys.stdin.read().splitlines()]
assert len(o) == 2 and o[0]["ok"] and "\x01" in o[0]["stdout"] and o[1]["stdout"] == "still-here\n", o
' <<<"$out"

# D4: /proc/1 is the agent, not the host; its environment and memory are closed
out=$(run "cat /proc/1/environ 2>&1 | head -c 100; echo; head -c 16 /proc/1/mem 2>&1; cat /proc/1/cmdline | tr '\\0' ' '")
contains "D4 /proc/1/environ closed" "$out" "Permission denied"
contains "D4 PID 1 is the agent" "$out" "/.llm-runtime/agent --stdio"

# D5: no capabilities, no privilege gain, read-only image
out=$(run "grep -E '^Cap(Prm|Eff|Bnd|Amb)' /proc/self/status; grep NoNewPrivs /proc/self/status; touch /usr/bin/x 2>&1; find / -xdev -perm /6000 -type f 2>/dev/null | head -3; echo end")
check "D5 every capability set is empty" test "$(grep -c '0000000000000000' <<<"$out")" -eq 4
contains "D5 no_new_privs" "$out" "NoNewPrivs:	1"
contains "D5 the image is read-only" "$out" "Read-only file system"
contains "D5 no SUID/SGID file in the image" "$out" $'\nend'

# D6: a daemonized process does not survive its command, nor the session
marker="lrdocker$$"
run "setsid sh -c 'sleep 300 $marker' >/dev/null 2>&1 & nohup sleep 301 $marker >/dev/null 2>&1 & echo started" >/dev/null
check "D6 nothing outlives the session" sh -c "! pgrep -f 'sleep 30[01] $marker' >/dev/null"
check "D6 no container left" docker_left_none
finish
