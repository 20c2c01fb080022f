#!/usr/bin/env bash
# Host-side approvals: deny wins, first match decides, "ask" prompts on the
# terminal in pipe mode (answered through a real pty with script(1)) and is
# a deny where nobody can be asked (no terminal, MCP), every decision is in
# the audit log, and the workspace's config file cannot set a policy.
. "$(dirname "$0")/../lib.sh"

ws=$(mkws)
audit=$(mktemp /tmp/lr-test-audit.XXXXXX); _tmpdirs+=("$audit")
cfgdir=$(mktemp -d /tmp/lr-test-cfg.XXXXXX); _tmpdirs+=("$cfgdir")
cat >"$cfgdir/policy.yaml" <<'YAML'
approvals:
  default: allow
  rules:
    - deny: exec rm
    - ask: exec git push
    - allow: exec git
    - deny: write .env
YAML

run() { setsid "$LR_BIN" --root "$ws" --config "$cfgdir/policy.yaml" --audit-log "$audit" "$@" </dev/stdin; }

out=$(printf '<exec echo start; rm -rf /workspace/x>\n' | run 2>&1)
contains "a denied command is an APPROVAL_DENIED result" "$out" "=== ERROR: APPROVAL_DENIED ==="
contains "the message names the deciding rule" "$out" "rule 'deny: exec rm'"
lacks "a denied command does not run at all" "$out" "=== EXEC SUCCESSFUL"

out=$(printf '<write .env>SECRET=1</write>\n<write app/.env>x</write>\n<write ok.txt>fine</write>\n' | run 2>&1)
check "a denied write leaves no file" test ! -e "$ws/.env" -a ! -e "$ws/app/.env"
check "an allowed write happens" test -f "$ws/ok.txt"

out=$(printf '<exec git push origin main>\n' | run 2>&1)
contains "ask without a terminal becomes a deny the model can read" "$out" "nobody can be asked in pipe mode"

out=$(printf '<exec git --version>\n' | run 2>&1)
contains "an allow rule lets its command run" "$out" "=== EXEC SUCCESSFUL: git --version ==="

# The workspace config cannot approve anything: the sandbox can write it.
as_owner sh -c "printf 'approvals:\n  default: allow\n' > '$ws/llm-runtime.config.yaml'"
out=$(printf '<exec true>\n' | "$LR_BIN" --root "$ws" --no-audit 2>&1); rc=$?
check "a policy in the workspace's config file is refused" test "$rc" -ne 0
contains "the refusal says why" "$out" "approvals cannot be set in the workspace's config file"
rm -f "$ws/llm-runtime.config.yaml"

# A real terminal: script(1) gives the runtime a pty, and what we type goes to it.
if command -v script >/dev/null; then
  printf '<exec echo approved-ran>\n' >"$cfgdir/reply"
  out=$(printf 'y\n' | timeout 60 script -qec "'$LR_BIN' --root '$ws' --no-audit --ask 'exec echo' --input '$cfgdir/reply'" /dev/null | tr -d '\r')
  contains "ask prompts on the terminal" "$out" "Allow? [y/N]"
  contains "answering y runs the command" "$out" "=== EXEC SUCCESSFUL: echo approved-ran ==="
  out=$(printf 'n\n' | timeout 60 script -qec "'$LR_BIN' --root '$ws' --no-audit --ask 'exec echo' --input '$cfgdir/reply'" /dev/null | tr -d '\r')
  contains "answering n refuses it" "$out" "refused by the user"
  lacks "a refused command does not run" "$out" "=== EXEC SUCCESSFUL"
  # An escape sequence in the command cannot repaint the prompt.
  printf '<exec echo \033[2K\033[1Ghidden>\n' >"$cfgdir/reply"
  out=$(printf 'n\n' | timeout 60 script -qec "'$LR_BIN' --root '$ws' --no-audit --ask 'exec echo' --input '$cfgdir/reply'" /dev/null)
  prompt=$(echo "$out" | grep -a "exec: echo")
  check "control characters are not shown raw in the prompt" sh -c "! printf '%s' \"\$1\" | grep -q \"\$(printf '\\033')\"" _ "$prompt"
else
  ok "# SKIP terminal prompts: script(1) is not installed"
fi

# MCP: ask is a deny, with a message; deny is a deny; both are isError results.
resp=$(printf '%s\n' \
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"exec","arguments":{"command":"git push"}}}' \
  '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"exec","arguments":{"command":"rm -f x"}}}' \
  '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"exec","arguments":{"command":"git --version"}}}' |
  "$LR_BIN" mcp --root "$ws" --config "$cfgdir/policy.yaml" --audit-log "$audit" --deny "write_file *.key" 2>/dev/null)
contains "MCP: ask becomes a deny the model can read" "$resp" 'APPROVAL_DENIED: exec needs approval (rule '"'"'ask: exec git push'"'"') but nobody can be asked in MCP mode'
contains "MCP: deny is an isError result" "$resp" "rule 'deny: exec rm'"
contains "MCP: allowed calls run" "$resp" 'git version'

log=$(cat "$audit")
contains "the audit log records denials" "$log" '"operation":"approval:exec","command":"echo start; rm -rf /workspace/x"'
contains "the audit log records the rule" "$log" '"detail":"deny: exec rm"'
contains "the audit log records unanswerable asks" "$log" '"outcome":"ask: nobody to ask"'
contains "the audit log records allows" "$log" '"outcome":"allow","detail":"allow: exec git"'
finish
