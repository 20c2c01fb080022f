#!/usr/bin/env bash
# End-to-end: the seed's verification steps (seed 000 §10) through the real
# binary and the real native sandbox.
. "$(dirname "$0")/../lib.sh"
require_sandbox

ws=$(mkws)
printf '# Test repo\nhello from the readme\n' | as_owner tee "$ws/README.md" >/dev/null

# 10.3 read
out=$(echo '<open README.md>' | lr "$ws")
contains "open prints the file" "$out" "hello from the readme"
contains "open uses the FILE block" "$out" "=== FILE: README.md ==="
contains "envelope start" "$out" "=== LLM TOOL START ==="
contains "envelope end" "$out" "=== END ==="
contains "command counted" "$out" "Commands executed: 1"

# 10.4 write
out=$(echo '<write test.txt>hello</write>' | lr "$ws")
contains "write reports success" "$out" "=== WRITE SUCCESSFUL: test.txt ==="
contains "write reports CREATED" "$out" "Action: CREATED"
contains "write reports bytes" "$out" "Bytes written: 5"
check "written file has exact content" test "$(cat "$ws/test.txt")" = "hello"
if [ "$(id -u)" -eq 0 ]; then
  check "written file belongs to the workspace owner" test "$(stat -c %u:%g "$ws/test.txt")" = "$LR_TEST_UID:$LR_TEST_UID"
fi
out=$(echo '<write test.txt>hello again</write>' | lr "$ws")
contains "second write reports UPDATED" "$out" "Action: UPDATED"

# 10.5 nested write
out=$(echo '<write a/b/c/deep.txt>nested</write>' | lr "$ws")
contains "nested write succeeds" "$out" "WRITE SUCCESSFUL: a/b/c/deep.txt"
check "nested file exists with content" test "$(cat "$ws/a/b/c/deep.txt")" = "nested"

# 10.6 exec ls -la
out=$(echo '<exec ls -la>' | lr "$ws")
contains "ls -la runs" "$out" "=== EXEC SUCCESSFUL: ls -la ==="
contains "ls -la lists README.md" "$out" "README.md"
contains "ls -la exit code" "$out" "Exit code: 0"

# 10.7 / 10.8 symlinks
out=$(printf '<exec ln -s README.md link.md>\n<open link.md>\n<exec ls -la link.md>\n<exec readlink link.md>\n' | lr "$ws")
contains "open through a symlink shows the target" "$out" "hello from the readme"
contains "ls shows the link" "$out" "link.md -> README.md"
check "the link is a real symlink on the host" test -L "$ws/link.md"
out=$(echo '<exec unlink link.md>' | lr "$ws")
contains "unlink succeeds" "$out" "EXEC SUCCESSFUL: unlink link.md"
check "the link is gone" test ! -e "$ws/link.md"

# 10.9 previously forbidden names
out=$(printf '<write test.exe>content</write>\n<write .env>secret</write>\n' | lr "$ws")
contains "write test.exe works" "$out" "WRITE SUCCESSFUL: test.exe"
contains "write .env works" "$out" "WRITE SUCCESSFUL: .env"
check ".env content" test "$(cat "$ws/.env")" = "secret"

# network: a connection attempt fails inside the sandbox
out=$(echo "<exec python3 -c 'import socket; socket.create_connection((\"1.1.1.1\", 80), 3)'>" | lr "$ws")
contains "network call fails" "$out" "=== ERROR: EXEC_FAILED ==="
contains "network unreachable" "$out" "Network is unreachable"
out=$(echo '<exec getent hosts example.com>' | lr "$ws")
contains "DNS fails" "$out" "=== ERROR: EXEC_FAILED ==="

# 10.10 limits: timeout
secs="60.$$"   # unique, so the host-side check below cannot see another test's sleep
out=$(echo "<exec sleep $secs>" | lr "$ws" --exec-timeout 2s)
contains "sleep past the timeout is killed" "$out" "=== ERROR: EXEC_TIMEOUT ==="
contains "timeout exit code is 124" "$out" "Exit code: 124"
check "no sleep survives on the host" sh -c "! pgrep -f '^sleep $secs\$' >/dev/null"

# 10.10 limits: oversized read
as_owner sh -c "head -c 2097152 /dev/zero | tr '\\0' a > '$ws/big.txt'"
out=$(echo '<open big.txt>' | lr "$ws" --max-size 1048576)
contains "oversized read refused" "$out" "=== ERROR: RESOURCE_LIMIT ==="
contains "the error gives both sizes" "$out" "2097152 bytes, max 1048576"

# the issue's done-when line
out=$(echo '<open README.md>' | "$LR_BIN" --root "$ws" --no-audit)
contains "echo '<open README.md>' | llm-runtime --root DIR prints the file" "$out" "hello from the readme"

finish
