#!/usr/bin/env bash
# Hostile suite: kernel attack surface (research notes §2, §6 T1, T8-T12,
# T15-T18).  Every attack runs inside the sandbox and must fail.
. "$(dirname "$0")/../lib.sh"
require_sandbox
[ -x "$LR_PROBE" ] || skip_all "lr-probe not built at $LR_PROBE"

ws=$(mkws)
cp "$LR_PROBE" "$ws/probe"
chmod 755 "$ws/probe"
[ "$(id -u)" -eq 0 ] && chown "$LR_TEST_UID:$LR_TEST_UID" "$ws/probe"

run() { echo "<exec $1>" | lr "$ws" --json | python3 -c '
import json,sys
for l in sys.stdin:
    o=json.loads(l); sys.stdout.write(o.get("stdout","")+o.get("stderr",""))'; }

# T1: privileges
out=$(run "exec ./probe status")
contains "T1 uid is not root" "$out" $'Uid:\t1000\t1000\t1000\t1000'
for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
  contains "T1 $cap is empty" "$out" "$cap:	0000000000000000"
done
contains "T1 no_new_privs" "$out" $'NoNewPrivs:\t1'
contains "T1 seccomp filter on" "$out" $'Seccomp:\t2'
contains "T1 own session" "$out" "sid_is_self: 1"
contains "T1 runs in /workspace" "$out" "cwd: /workspace"
contains "T1 fds: only 0-2 (CVE-2024-21626)" "$out" "open_fds: 3"
out=$(run "su -c id root </dev/null 2>&1; sudo -n id 2>&1; echo end")
lacks "T1 su/sudo do not give root" "$out" "uid=0"

# T8: the syscall sweep
out=$(run "./probe syscalls")
lacks "T8 no blocked syscall was reached" "$out" "REACHED"
for s in ptrace keyctl unshare_user perf_event_open open_by_handle_at setns bpf userfaultfd \
         io_uring_setup open_tree fsopen clone3 mount pivot_root chroot clone_newuser \
         process_vm_readv kexec_load init_module; do
  contains "T8 $s blocked" "$out" "$s BLOCKED"
done

# x32 and foreign ABIs
out=$(run "./probe x32")
contains "x32 syscalls kill the process" "$out" "x32 BLOCKED killed by SIGSYS"
out=$(run "./probe i386")
contains "i386 syscalls (int 0x80) kill the process" "$out" "i386 BLOCKED killed by SIGSYS"

# T9: socket families
out=$(run "./probe sockets")
lacks "T9 no forbidden socket family opens" "$out" "REACHED"
contains "T9 AF_ALG blocked" "$out" "AF_ALG BLOCKED"
contains "T9 AF_ALG with high bits blocked" "$out" "AF_ALG_highbits BLOCKED"
contains "T9 AF_VSOCK blocked" "$out" "AF_VSOCK BLOCKED"
contains "T9 AF_NETLINK blocked" "$out" "AF_NETLINK BLOCKED"
contains "T9 AF_UNIX still works" "$out" "AF_UNIX ALLOWED"

# T17: terminal injection; run with the caller's terminal if there is one
out=$(run "./probe tty")
lacks "T17 TIOCSTI/TIOCLINUX/tty blocked" "$out" "REACHED"
# ... and with a real terminal: script(1) gives the runtime a pty as its
# controlling terminal and stdin, the way a user's shell would.
if command -v script >/dev/null; then
  echo '<exec ./probe tty; python3 -c "import fcntl,termios;[fcntl.ioctl(0,termios.TIOCSTI,bytes([c])) for c in b\"id\\n\"]" 2>&1 | tail -1; tty>' > "$ws.reply"
  out=$(script -qec "'$LR_BIN' --root '$ws' --no-audit --input '$ws.reply'" /dev/null 2>&1 </dev/null || true)
  rm -f "$ws.reply"
  contains "T17 under a real terminal the command still runs" "$out" "TIOCSTI"
  lacks "T17 under a real terminal nothing reaches it" "$out" "REACHED"
  contains "T17 the command has no terminal" "$out" "not a tty"
  lacks "T17 injected 'id' never ran in the caller's terminal" "$out" "uid=0(root)"
else
  ok "# SKIP T17 with a pty: script(1) not installed"
fi

# T10: the agent (PID 1) and ptrace
out=$(run "./probe agent")
lacks "T10 agent unreachable (/proc/1, ptrace)" "$out" "REACHED"
out=$(printf '<exec ./probe agent>\n<exec echo still-alive>\n' | lr "$ws")
contains "T10 SIGKILL to PID 1 does not end the session" "$out" "still-alive"
out=$(run "python3 -c 'import ctypes,os,time;l=ctypes.CDLL(None,use_errno=True);p=os.fork();(time.sleep(3),os._exit(0)) if p==0 else print(\"ptrace\",l.ptrace(16,p,0,0),ctypes.get_errno())'")
contains "T10 ptrace of a sibling fails with EPERM" "$out" "ptrace -1 1"

# T11: namespaces and mounts from inside
out=$(run "unshare -Ur id 2>&1; unshare -n true 2>&1; mkdir -p /tmp/m; mount -t tmpfs x /tmp/m 2>&1; mount -o remount,rw / 2>&1; echo end")
lacks "T11 unshare -Ur fails" "$out" "uid=0"
check "T11 mount fails" grep -q "mount" <<<"$out"
lacks "T11 no mount succeeded" "$(run 'grep -c " /tmp/m " /proc/mounts')" "1"

# T12: cgroup release_agent (CVE-2022-0492)
out=$(run "unshare -UrmC sh -c 'mkdir -p /tmp/cg && mount -t cgroup -o rdma cgroup /tmp/cg && echo VULNERABLE' 2>&1; touch /sys/fs/cgroup/x 2>&1; echo end")
lacks "T12 cgroup mount never succeeds" "$out" "VULNERABLE"

# T13: procfs / sysfs writes
out=$(run "echo '|/tmp/x' >/proc/sys/kernel/core_pattern 2>&1; echo c >/proc/sysrq-trigger 2>&1; echo 3 >/proc/sys/vm/drop_caches 2>&1; echo never >/sys/kernel/mm/transparent_hugepage/enabled 2>&1; cat /proc/sys/kernel/core_pattern")
lacks "T13 core_pattern unchanged" "$out" "|/tmp/x"
check "T13 host core_pattern unchanged" sh -c "! grep -q '/tmp/x' /proc/sys/kernel/core_pattern"

# T14: masked procfs
out=$(run "head -c16 /proc/kcore 2>/dev/null | wc -c; cat /proc/keys /proc/timer_list /proc/sched_debug 2>/dev/null | wc -c; ls /sys/firmware 2>&1")
# ($(...) drops the final newline when ls prints nothing, as on docker)
contains "T14 kcore, keys, timer_list, sched_debug read nothing" "$out"$'\n' $'0\n0\n'
if on_docker; then
  # Docker mounts a read-only sysfs and masks /sys/firmware (an empty tmpfs).
  check "T14 /sys/firmware shows nothing (docker masks it)" test "$(run 'ls -A /sys/firmware 2>&1 | wc -l')" -eq 0
else
  contains "T14 /sys absent" "$out" "No such file or directory"
fi

# T15: /proc/*/exe cannot be opened for writing (CVE-2019-5736)
out=$(run "for p in /proc/[0-9]*; do readlink \$p/exe; done; python3 -c 'open(\"/proc/1/exe\",\"r+b\")' 2>&1 | tail -1; python3 -c 'open(\"/proc/self/exe\",\"r+b\")' 2>&1 | tail -1")
lacks "T15 no process shows the runtime binary" "$out" "llm-runtime"
if on_docker; then
  # The agent is non-dumpable: its /proc entries belong to root, not us.
  contains "T15 /proc/1/exe not openable" "$out" "PermissionError: [Errno 13] Permission denied: '/proc/1/exe'"
else
  contains "T15 /proc/1/exe not openable" "$out" "FileNotFoundError"
fi
contains "T15 /proc/self/exe not writable" "$out" "Error"

# T16: leaked fds / cwd
out=$(run "ls -l /proc/self/fd/; readlink /proc/self/cwd /proc/self/root; cd /proc/self/fd/3 2>&1; echo end")
contains "T16 cwd is the workspace" "$out" "/workspace"
lacks "T16 no host path in fds" "$out" "socket:"

# T18: signals and host settings
out=$(printf '<exec kill -9 -1; echo after>\n<exec hostname x 2>&1; date -s 2000-01-01 2>&1; ulimit -Hn 1048576 2>&1; echo end>\n<exec echo survived>\n' | lr "$ws")
contains "T18 kill -1 leaves the runtime working" "$out" "survived"
contains "T18 hostname refused" "$out" "hostname: you must be root"
check "T18 host clock unchanged" test "$(date +%Y)" -gt 2000

# T18b: signals to the agent (PID 1).  It keeps no handler, so the kernel
# drops what a command sends it; the session goes on.
out=$(printf '<exec for s in TERM INT HUP QUIT USR1 USR2 ALRM PIPE CHLD; do kill -$s 1; done; echo sent>\n<exec echo agent-alive>\n' | lr "$ws")
contains "T18b signals were sent to PID 1" "$out" "sent"
contains "T18b the agent survives them" "$out" "agent-alive"
lacks "T18b the sandbox stayed available" "$out" "SANDBOX_UNAVAILABLE"

finish
