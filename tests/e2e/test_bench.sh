#!/usr/bin/env bash
# The benchmark harness runs (quick mode) and reports every row.  No timing
# is asserted here: figures belong to bench/, not to pass/fail tests.
. "$(dirname "$0")/../lib.sh"
require_sandbox
out=$(mktemp -d /tmp/lr-bench-out.XXXXXX)
_tmpdirs+=("$out")
log=$(python3 "$LR_SRCDIR/bench/bench.py" --quick --bin "$LR_BIN" --out "$out" 2>&1); rc=$?
check "bench harness exits 0" test "$rc" -eq 0
check "bench writes a markdown table" test -s "$out/quick.md"
md=$(cat "$out/quick.md" 2>/dev/null)
contains "table has the spawn baseline" "$md" "bare \`/bin/true\` spawn"
contains "table has the cold native sandbox" "$md" "new sandbox + \`true\` + teardown"
contains "table has warm exec" "$md" "in a running session"
contains "table has 1 MiB file round trips" "$md" "write + open 1 MiB"
contains "table has the 100-command session" "$md" "100 mixed commands"
contains "table has the docker backend's cold start" "$md" "llm-runtime docker backend: session start from the warm pool"
contains "table has docker run as a peer" "$md" "\`docker run --rm\`"
contains "table has docker exec as a peer" "$md" "\`docker exec\`"
check "every row has a figure or says why not" python3 -c "
import sys
rows = [l for l in open(sys.argv[1]) if l.startswith('| ') and not l.startswith('| group')]
bad = [l for l in rows if not (' ms |' in l or 'not measured: ' in l)]
assert rows and not bad, bad" "$out/quick.md"
contains "memory is reported" "$md" "Peak RSS (VmHWM): runtime"
check "bench writes JSON" python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['rows'] and d['rss_kib']" "$out/quick.json"
[ "$rc" -eq 0 ] || echo "$log" | tail -20 | sed 's/^/# /'
finish
