#!/usr/bin/env bash
# The MCP server driven by the official TypeScript SDK client
# (tests/mcp/client.mjs): lists the tools, calls every one, then a warm
# session of 1000 calls with flat memory, and nothing left behind.
. "$(dirname "$0")/../lib.sh"

# Elsewhere a missing client skips with the reason; in CI (CI set) this test
# is what proves the server works with a real client, so it fails instead.
unavailable() {
  if [ -n "${CI:-}" ]; then
    echo "1..1"; echo "not ok 1 - $1 (in CI the SDK client test may not skip)"; exit 1
  fi
  skip_all "$1"
}
command -v node >/dev/null || unavailable "node is not installed (scripts/install-deps.sh --test installs it)"
[ -d "$LR_SRCDIR/tests/mcp/node_modules/@modelcontextprotocol/sdk" ] ||
  unavailable "the MCP SDK is not installed: run 'npm ci --prefix tests/mcp' (scripts/test.sh does)"

ws=$(mkws)
# Cgroups of this test's server only (named llm-runtime.<pid>.<random>), so
# other runtimes on the machine do not disturb the check.
leftover_cgroups() {
  find /sys/fs/cgroup -maxdepth 6 -type d -name "llm-runtime.$1.*" 2>/dev/null | grep -v '\.host$' || true
}
# The SDK client prints TAP; its plan line is dropped here and its checks
# counted, so the checks below continue the numbering.
# ASan's allocator keeps freed memory and its shadow mapped, so RSS grows
# with no leak (LeakSanitizer checks leaks at exit in that build); the
# flat-memory check means something only for an uninstrumented binary.
if ldd "$LR_REAL_BIN" 2>/dev/null | grep -q libasan; then
  export MCP_SKIP_RSS="ASan build: RSS includes the sanitizer's allocator and shadow memory"
fi
out=$(node "$LR_SRCDIR/tests/mcp/client.mjs" "$LR_BIN" "$ws" "${MCP_CALLS:-1000}")
rc=$?
echo "$out" | grep -v '^1\.\.[0-9]*$'
_n=$(echo "$out" | grep -c '^\(not \)\?ok ')
_failed=$(echo "$out" | grep -c '^not ok ')
[ "$rc" -eq 0 ] || { [ "$_failed" -gt 0 ] || not_ok "the SDK client exited with status $rc"; }
# If the client stopped early the server is still tearing down: give it time.
for _ in $(seq 100); do pgrep -f "[m]cp --root $ws" >/dev/null || break; sleep 0.1; done
spid=$(echo "$out" | sed -n 's/^# server pid \([0-9]*\)$/\1/p')
check "no sandbox cgroup left after the session" test -n "$spid" -a -z "$(leftover_cgroups "$spid")"
check "no server process left after the session" sh -c "! pgrep -f '[m]cp --root $ws' >/dev/null"
finish
