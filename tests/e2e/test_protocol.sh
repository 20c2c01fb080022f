#!/usr/bin/env bash
# End-to-end: the pipe-mode protocol, the CLI, config and audit log, through
# the real binary and sandbox.
. "$(dirname "$0")/../lib.sh"
require_sandbox

ws=$(mkws)
echo "alpha" | as_owner tee "$ws/a.txt" >/dev/null
echo "beta" | as_owner tee "$ws/b.txt" >/dev/null

# several commands on one line all run
out=$(echo '<open a.txt> <open b.txt> <exec echo third>' | lr "$ws")
contains "first of three on a line" "$out" "alpha"
contains "second of three on a line" "$out" "beta"
contains "third of three on a line" "$out" "EXEC SUCCESSFUL: echo third"

# text after </write> on the same line is not lost
out=$(echo '<write w.txt>x</write> <open b.txt>' | lr "$ws")
contains "command after </write> runs" "$out" "=== FILE: b.txt ==="

# a final exec without a trailing newline runs
out=$(printf '<exec echo no-newline>' | lr "$ws")
contains "final exec without newline runs" "$out" "no-newline"

# unterminated write: PARSE_ERROR and nothing written
out=$(printf '<write never.txt>partial content' | lr "$ws")
contains "unterminated write is a parse error" "$out" "=== ERROR: PARSE_ERROR ==="
check "unterminated write wrote nothing" test ! -e "$ws/never.txt"

# exact tag matching
out=$(printf '<opener a.txt>\n<execute echo no>\n<OPEN a.txt>\n' | lr "$ws")
check "near-miss tags are not commands" test -z "$out"

# commands inside markdown code fences run
out=$(printf 'Here:\n```\n<exec echo fenced>\n```\n' | lr "$ws")
contains "commands in code fences run" "$out" "fenced"

# exec may contain '>' and redirect
out=$(echo '<exec echo redirected > r.txt>' | lr "$ws")
contains "exec with > succeeds" "$out" "EXEC SUCCESSFUL: echo redirected > r.txt"
check "redirect wrote the file" test "$(cat "$ws/r.txt")" = "redirected"

# byte-exact writes: metacharacters, $VAR, backticks, tabs, CRLF, Unicode
printf '<write exact.txt>\n$HOME `id` $(whoami) "q" '"'"'s'"'"' \\n\ttab\r\ncrlf Hello 世界 🌍\n</write>\n' | lr "$ws" >/dev/null
expected=$(printf '$HOME `id` $(whoami) "q" '"'"'s'"'"' \\n\ttab\r\ncrlf Hello 世界 🌍\n' | sha256sum)
check "write content is byte-exact" test "$(sha256sum < "$ws/exact.txt")" = "$expected"

# all 256 byte values except the terminator survive a write (NUL included)
python3 - "$ws" <<'PY' | lr "$ws" >/dev/null
import sys
data = bytes(range(256)) * 4
sys.stdout.buffer.write(b"<write bytes.bin>" + data + b"</write>\n")
PY
check "binary write round-trips all byte values" python3 -c "
import sys; d=open('$ws/bytes.bin','rb').read(); sys.exit(0 if d == bytes(range(256))*4 else 1)"
out=$(echo '<open bytes.bin>' | lr "$ws")
contains "reading a binary file says how" "$out" "=== ERROR: BINARY_FILE ==="
contains "binary hint names base64" "$out" "<exec base64 bytes.bin>"

# stdin through the exec block form
out=$(printf '<exec>\nwc -l\n<stdin>\none\ntwo\nthree\n</exec>\n' | lr "$ws")
contains "exec block passes stdin" "$out" "3"
out=$(printf '<exec>\nfor i in 1 2; do\n  echo "loop $i"\ndone\n</exec>\n' | lr "$ws")
contains "exec block runs a multi-line script" "$out" "loop 2"

# plain word lists skip the shell; anything the shell must do still works
out=$(printf '<exec nosuchcmd arg>\n<exec cd /tmp>\n<exec FOO=bar printenv FOO>\n<exec printenv HOME>\n' | lr "$ws" --json)
check "fast path keeps shell semantics (127, builtins, assignments, PATH)" python3 -c "
import json,sys
o=[json.loads(l) for l in sys.argv[1].strip().split('\n')]
assert o[0]['exit_code']==127 and 'not found' in o[0]['stderr'], o[0]
assert o[1]['ok'], o[1]
assert o[2]['stdout']=='bar\n', o[2]
assert o[3]['stdout']=='/workspace\n', o[3]
" "$out"

# a failed exec shows stdout and stderr
out=$(echo '<exec echo to-out; echo to-err >&2; exit 3>' | lr "$ws")
contains "failed exec is EXEC_FAILED" "$out" "=== ERROR: EXEC_FAILED ==="
contains "failed exec shows exit code" "$out" "Exit code: 3"
contains "failed exec shows stdout" "$out" "to-out"
contains "failed exec shows stderr" "$out" "to-err"

# errors a model can act on
out=$(printf '<open missing.txt>\n<open a>\n' | lr "$ws")
contains "missing file" "$out" "=== ERROR: FILE_NOT_FOUND ==="
as_owner mkdir -p "$ws/adir"
out=$(echo '<open adir>' | lr "$ws")
contains "directory" "$out" "=== ERROR: IS_DIRECTORY ==="
out=$(echo '<write big.txt>0123456789abcdef</write>' | lr "$ws" --max-write-size 8)
contains "write over the limit" "$out" "=== ERROR: RESOURCE_LIMIT ==="
contains "write limit message has sizes" "$out" "16 bytes, max 8"
check "oversized write wrote nothing" test ! -e "$ws/big.txt"
out=$(echo '<write /etc/x>no</write>' | lr "$ws")
contains "write outside the workspace is denied" "$out" "=== ERROR: PERMISSION_DENIED ==="

# JSON Lines
out=$(printf '<open a.txt>\n<exec echo hi; exit 2>\n<open nope>\n' | lr "$ws" --json)
check "json: one valid object per command" python3 -c "
import json,sys
lines=sys.argv[1].strip().split('\n')
assert len(lines)==3, lines
o=[json.loads(l) for l in lines]
assert o[0]['type']=='open' and o[0]['ok'] and o[0]['content']=='alpha\n'
assert o[1]['type']=='exec' and not o[1]['ok'] and o[1]['exit_code']==2 and o[1]['stdout']=='hi\n'
assert o[1]['error']['code']=='EXEC_FAILED'
assert o[2]['error']['code']=='FILE_NOT_FOUND'
" "$out"

# output truncation keeps head and tail and marks it
out=$(echo '<exec seq 1 100000>' | lr "$ws" --output-limit 4k)
contains "truncation marker" "$out" "bytes truncated ..."
contains "head kept" "$out" $'\n1\n2\n3\n'
contains "tail kept" "$out" "100000"

# --input / --output; empty input gives an empty output file
printf '<open a.txt>\n' > "$ws.in"
lr "$ws" --input "$ws.in" --output "$ws.out"
check "--output file has the result" grep -q alpha "$ws.out"
printf 'just prose, no commands\n' | lr "$ws" --output "$ws.out2"
check "no commands gives a 0-byte output" test ! -s "$ws.out2"
rm -f "$ws.in" "$ws.out" "$ws.out2"

# CLI errors
check "--help exits 0" sh -c "\"$LR_BIN\" --help >/dev/null"
out=$("$LR_BIN" --help)
contains "--help lists --exec-timeout with its default" "$out" "--exec-timeout"
out=$("$LR_BIN" --no-such-flag 2>&1 </dev/null); rc=$?
check "unknown flag exits 1" test "$rc" -eq 1
out=$("$LR_BIN" --exec-whitelist ls 2>&1 </dev/null)
contains "removed flag is explained" "$out" "container-only"
out=$("$LR_BIN" --root /nonexistent/x 2>&1 </dev/null); rc=$?
check "--root /nonexistent fails" test "$rc" -eq 1
contains "--root error names the path" "$out" "/nonexistent/x"

# config file: found in the workspace, unknown keys reported, flags override
printf 'exec_timeout: 1s\n' | as_owner tee "$ws/llm-runtime.config.yaml" >/dev/null
out=$(echo '<exec sleep 5>' | lr "$ws")
contains "config file timeout applies" "$out" "EXEC_TIMEOUT"
out=$(echo '<exec sleep 2; echo slept>' | lr "$ws" --exec-timeout 10s)
contains "flag overrides the config file" "$out" "slept"
printf 'exec_timeout: 1s\nbogus_key: 1\n' | as_owner tee "$ws/llm-runtime.config.yaml" >/dev/null
out=$(echo '<exec true>' | lr "$ws" 2>&1); rc=$?
check "unknown config key fails" test "$rc" -eq 1
contains "unknown key is named" "$out" "bogus_key"
# The workspace's config file is written by the sandbox: it may lower limits
# but never raise them or reach the host (output, audit_log, rootfs...).
rm -f "$ws/llm-runtime.config.yaml"
out=$(echo '<write llm-runtime.config.yaml>output: /tmp/lr-pwned-by-config</write>' | lr "$ws")
contains "the sandbox can write its workspace config" "$out" "WRITE SUCCESSFUL"
out=$(echo '<exec true>' | lr "$ws" 2>&1); rc=$?
check "workspace config may not redirect output to a host file" test "$rc" -eq 1
check "no host file was written through the config" test ! -e /tmp/lr-pwned-by-config
contains "the refusal says why" "$out" "sandbox can write that file"
for bad in "audit_log: /tmp/lr-pwned-audit" "rootfs: /" "cgroup: off" "exec_memory: 64g" "exec_timeout: 1h"; do
  printf '%s\n' "$bad" | as_owner tee "$ws/llm-runtime.config.yaml" >/dev/null
  out=$(echo '<exec true>' | lr "$ws" 2>&1); rc=$?
  check "workspace config refuses '$bad'" test "$rc" -eq 1
done
check "no audit log was written through the config" test ! -e /tmp/lr-pwned-audit
# the user's config (trusted) can raise; the workspace's can then lower
ucfg=$(mktemp -d /tmp/lr-xdg.XXXXXX); mkdir -p "$ucfg/llm-runtime"
printf 'exec_timeout: 2m\nexec_memory: 1g\n' > "$ucfg/llm-runtime/llm-runtime.config.yaml"
printf 'exec_timeout: 1s\n' | as_owner tee "$ws/llm-runtime.config.yaml" >/dev/null
out=$(echo '<exec sleep 3>' | XDG_CONFIG_HOME="$ucfg" lr "$ws" --verbose 2>&1)
contains "user and workspace configs are both loaded" "$out" "llm-runtime.config.yaml, $ws/llm-runtime.config.yaml"
contains "the user's config raises memory" "$out" "1.0 GiB"
contains "the workspace's config lowers the timeout" "$out" "EXEC_TIMEOUT"
rm -rf "$ucfg"
rm -f "$ws/llm-runtime.config.yaml"

# audit log: JSON lines with the operations, outside the workspace
audit=$(mktemp /tmp/lr-audit.XXXXXX)
printf '<open a.txt>\n<exec exit 4>\n' | "$LR_BIN" --root "$ws" --audit-log "$audit" >/dev/null
check "audit log records session, open, exec" python3 -c "
import json,sys
recs=[json.loads(l) for l in open(sys.argv[1])]
ops=[r['operation'] for r in recs]
assert ops==['session_start','open','exec','session_end'], ops
assert all(r['session']==recs[0]['session'] for r in recs)
assert recs[2]['command']=='exit 4' and recs[2]['exit_code']==4 and recs[2]['outcome']=='EXEC_FAILED'
assert recs[1]['path']=='a.txt' and recs[1]['bytes']==6
assert 'time' in recs[0] and 'duration_s' in recs[2]
" "$audit"
rm -f "$audit"

finish
