#!/usr/bin/env bash
# One command for a fresh machine: install dependencies, build, and run every
# test: unit, end-to-end and hostile suites on the release build, the same
# suites under ASan+UBSan, and a short libFuzzer smoke run of each parser.
#
#   scripts/test.sh            everything
#   QUICK=1 scripts/test.sh    skip the sanitizer pass and the fuzz smoke
#   FUZZ_SECONDS=N             length of each fuzz smoke run (default 30)
set -uo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh --test || exit 1

# The MCP SDK client, pinned by tests/mcp/package-lock.json, from the npm
# registry.  If this fails the MCP client test skips and says why (in CI,
# with CI set, it fails instead).
if [ ! -d tests/mcp/node_modules/@modelcontextprotocol/sdk ] ||
   [ tests/mcp/package-lock.json -nt tests/mcp/node_modules/.package-lock.json ]; then
  echo "=== npm ci (tests/mcp) ==="
  npm ci --prefix tests/mcp --no-audit --no-fund --loglevel=error || echo "npm ci failed: the MCP SDK test will skip (fail, in CI)"
fi

summary_json() { # builddir -> "passed failed skipped", counting the checks inside each test
  python3 - "$1/meson-logs/testlog.json" <<'PY'
import json, re, sys
p = f = s = 0
try:
    lines = open(sys.argv[1]).read().splitlines()
except FileNotFoundError:
    lines = []
for line in lines:
    t = json.loads(line)
    r, out = t.get("result"), t.get("stdout") or ""
    tap_ok = len(re.findall(r"^ok \d+", out, re.M))
    tap_bad = len(re.findall(r"^not ok \d+", out, re.M))
    cm = re.search(r"^\[==========\] (\d+) test\(s\) run\.", out, re.M)
    cm_bad = re.search(r"^\[  FAILED  \] (\d+) test\(s\)", out, re.M)
    if r == "SKIP":
        s += 1
    elif tap_ok + tap_bad:
        p += tap_ok; f += tap_bad
        if r not in ("OK", "EXPECTEDFAIL") and tap_bad == 0: f += 1
    elif cm:
        bad = int(cm_bad.group(1)) if cm_bad else 0
        p += int(cm.group(1)) - bad; f += bad
        if r not in ("OK", "EXPECTEDFAIL") and bad == 0: f += 1
    elif r in ("OK", "EXPECTEDFAIL"):
        p += 1
    else:
        f += 1
print(p, f, s)
PY
}

total_p=0; total_f=0; total_s=0; broken=0

run_suite() { # name builddir [meson setup args...]
  local name=$1 dir=$2; shift 2
  echo "=== $name: build ($dir) ==="
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; broken=1; return; }
  fi
  if ! ninja -C "$dir" >"$dir.build.log" 2>&1; then
    cat "$dir.build.log"; broken=1; return
  fi
  echo "=== $name: tests ==="
  meson test -C "$dir" --print-errorlogs --num-processes 1 ${MESON_TEST_ARGS:-}
  read -r p f s < <(summary_json "$dir")
  echo "=== $name: $p passed, $f failed, $s skipped ==="
  total_p=$((total_p + p)); total_f=$((total_f + f)); total_s=$((total_s + s))
}

run_suite release build

# The README's other command: the demo must run its sample reply through the
# sandbox (the test passes if every command in it succeeds and the network
# call fails).
if [ "$broken" -eq 0 ]; then
  echo "=== demo: scripts/demo.sh ==="
  demo_out=$(./scripts/demo.sh 2>&1)
  if grep -q "test_greet: ok" <<<"$demo_out" && grep -q "=== EXEC SUCCESSFUL: ls -la ===" <<<"$demo_out" &&
     grep -qE "Network is unreachable|No route to host" <<<"$demo_out" && ! grep -q "=== ERROR" <<<"$demo_out"; then
    echo "demo: ok"; total_p=$((total_p + 1))
  else
    echo "demo: FAILED"; echo "$demo_out" | tail -40; total_f=$((total_f + 1))
  fi
fi

# The docker backend: the same end-to-end and hostile suites against a real
# Docker Engine (Debian's docker.io; scripts/docker-setup.sh starts dockerd
# when none runs and builds the sandbox image offline).  When Docker cannot
# run here, the pass is skipped and says why; it never passes silently.
docker_ready=""
if [ "$broken" -eq 0 ]; then
  echo "=== docker: setup ==="
  if ./scripts/docker-setup.sh; then
    docker_ready=1
  else
    echo "=== docker: SKIPPED: scripts/docker-setup.sh could not provide a Docker Engine and image (reason above) ==="
    total_s=$((total_s + 1))
  fi
fi

docker_pass() { # name builddir [engine socket]
  local name=$1 dir=$2 sock=${3:-/var/run/docker.sock}
  [ -n "$docker_ready" ] && [ -f "$dir/build.ninja" ] || return 0
  echo "=== $name: tests (e2e and hostile suites, --backend docker, engine at $sock) ==="
  DOCKER_HOST=unix://$sock DOCKER_SOCK=$sock LR_TEST_BACKEND=docker \
    meson test -C "$dir" --print-errorlogs --num-processes 1 \
    --suite e2e --suite hostile ${MESON_TEST_ARGS:-}
  read -r p f s < <(summary_json "$dir")
  # Nothing may be left: no session container, no pool container (tests
  # that fill a pool prune it themselves).
  left=$(curl -s --unix-socket "$sock" \
    'http://d/containers/json?all=1&filters=%7B%22label%22%3A%5B%22io.llm-runtime%22%5D%7D' |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' 2>/dev/null || echo "?")
  if [ "$left" = 0 ]; then
    p=$((p + 1)); echo "ok - docker ps -a: no llm-runtime container left"
  else
    f=$((f + 1)); echo "not ok - docker ps -a: $left llm-runtime container(s) left"
    docker ps -a 2>/dev/null | head -20
  fi
  echo "=== $name: $p passed, $f failed, $s skipped ==="
  total_p=$((total_p + p)); total_f=$((total_f + f)); total_s=$((total_s + s))
}
docker_pass docker build

# The same against Podman's Docker-compatible service (release build only).
if [ -n "$docker_ready" ]; then
  echo "=== podman: setup ==="
  if ./scripts/podman-setup.sh; then
    docker_pass podman build /run/podman/podman.sock
  else
    echo "=== podman: SKIPPED: scripts/podman-setup.sh could not provide a working Podman service (reason above) ==="
    total_s=$((total_s + 1))
  fi
fi

if [ -z "${QUICK:-}" ]; then
  # ASan+UBSan: the runtime and the agent it forks are instrumented.
  # detect_leaks stays on for the host process; the agent leaves through
  # _exit(), which skips LeakSanitizer (it would need ptrace, which the
  # sandbox's seccomp filter denies).
  ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    run_suite asan build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
  ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    docker_pass docker-asan build-asan

  echo "=== fuzz: build ==="
  if [ ! -f build-fuzz/build.ninja ]; then
    CC=clang meson setup build-fuzz -Dfuzz=true -Dtests=false -Db_sanitize=address,undefined \
      -Db_lundef=false >build-fuzz.setup.log 2>&1 || { cat build-fuzz.setup.log; broken=1; }
  fi
  if ninja -C build-fuzz >build-fuzz.build.log 2>&1; then
    for fz in scanner wire config rpc serve mux; do
      mkdir -p "build-fuzz/corpus-$fz"
      seeds=""
      [ -d "tests/fuzz/corpus/$fz" ] && seeds="tests/fuzz/corpus/$fz"
      if build-fuzz/fuzz_$fz -max_total_time="${FUZZ_SECONDS:-30}" -print_final_stats=0 \
           "build-fuzz/corpus-$fz" $seeds >"build-fuzz/fuzz_$fz.log" 2>&1; then
        echo "fuzz_$fz: ok ($(grep -c . "build-fuzz/fuzz_$fz.log") log lines)"
        total_p=$((total_p + 1))
      else
        echo "fuzz_$fz: FAILED"; tail -40 "build-fuzz/fuzz_$fz.log"
        total_f=$((total_f + 1))
      fi
    done
  else
    cat build-fuzz.build.log; broken=1
  fi
fi

if [ "$broken" -ne 0 ]; then
  echo "a build step failed"
  total_f=$((total_f + 1))
fi
echo "$total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" -eq 0 ]
