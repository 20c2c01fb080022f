#!/usr/bin/env bash
# `llm-runtime serve`: the JSON-RPC API for orchestrators.  Several
# sandboxes at once, each isolated from the others; exec/read/write/list/
# destroy; timings on every response; errors with the protocol's codes;
# per-sandbox limits; approvals; nothing left behind at the end.
. "$(dirname "$0")/../lib.sh"

ws1=$(mkws); ws2=$(mkws)
LR_BIN="$LR_BIN" WS1="$ws1" WS2="$ws2" PYTHONPATH="$LR_SRCDIR/tests" python3 - <<'PY'
import base64, os
from rpc_client import Rpc, Tap

t = Tap()
ok = t.ok
srv = Rpc([os.environ["LR_BIN"], "serve", "--root", os.environ["WS1"], "--no-audit",
           "--deny", "exec shutdown", "--ask", "exec git push"])
p, call = srv.p, srv.call
def res(r):
    return (r or {}).get("result") or {}
def timed(r):
    t = res(r).get("timings") or (r or {}).get("error", {}).get("data", {}).get("timings") or {}
    return isinstance(t.get("totalMs"), (int, float)) and t["totalMs"] >= 0

a = call("sandbox.create", {})
b = call("sandbox.create", {"root": os.environ["WS2"], "limits": {"timeout": "2s", "memory": "128m", "pids": 32}})
A, B = res(a).get("sandbox"), res(b).get("sandbox")
ok(A and B and A != B, "two sandboxes at once, with distinct ids", (a, b))
ok(timed(a) and res(a)["timings"].get("startMs", -1) >= 0, "create reports its timings", a)
ok(res(b).get("root") == os.path.realpath(os.environ["WS2"]), "create takes a root", b)

r = call("sandbox.write", {"sandbox": A, "path": "hello.txt", "content": "from A\n"})
ok(res(r).get("bytes") == 7 and res(r).get("created") is True and timed(r), "write", r)
r = call("sandbox.read", {"sandbox": A, "path": "hello.txt"})
ok(res(r).get("content") == "from A\n" and res(r).get("encoding") == "utf-8" and timed(r), "read", r)
r = call("sandbox.read", {"sandbox": B, "path": "hello.txt"})
ok(r.get("error", {}).get("data", {}).get("code") == "FILE_NOT_FOUND", "sandboxes do not share workspaces", r)
r = call("sandbox.exec", {"sandbox": A, "command": "echo tmp-a > /tmp/mark"})
r = call("sandbox.exec", {"sandbox": B, "command": "cat /tmp/mark"})
ok(res(r).get("exitCode") == 1 and "No such file" in res(r).get("stderr", ""), "sandboxes do not share /tmp", r)
r = call("sandbox.exec", {"sandbox": A, "command": "cat /tmp/mark; exit 3", "stdin": ""})
ok(res(r).get("exitCode") == 3 and res(r).get("stdout") == "tmp-a\n" and
   res(r)["timings"].get("commandMs", -1) >= 0, "exec: a non-zero exit is a result with output and timings", r)
r = call("sandbox.exec", {"sandbox": A, "command": "tr a-z A-Z", "stdin": "shout"})
ok(res(r).get("stdout") == "SHOUT", "exec with stdin", r)
r = call("sandbox.exec", {"sandbox": B, "command": "sleep 30"})
ok(res(r).get("timedOut") is True and res(r).get("exitCode") == 124, "per-sandbox limits: B's 2s timeout", r)

blob = bytes(range(256))
r = call("sandbox.write", {"sandbox": A, "path": "bin/blob", "content": base64.b64encode(blob).decode(), "encoding": "base64"})
ok(res(r).get("bytes") == 256, "write base64", r)
r = call("sandbox.read", {"sandbox": A, "path": "bin/blob"})
ok(res(r).get("encoding") == "base64" and base64.b64decode(res(r).get("content", "")) == blob,
   "binary files are read back as base64, byte-exact", r)
r = call("sandbox.write", {"sandbox": A, "path": "x", "content": "!!", "encoding": "base64"})
ok(r.get("error", {}).get("code") == -32602, "bad base64: -32602", r)

r = call("sandbox.list")
lst = res(r).get("sandboxes", [])
ok(sorted(s["sandbox"] for s in lst) == sorted([A, B]) and all(s["calls"] >= 1 for s in lst) and timed(r),
   "list shows both sandboxes with their call counts", r)

r = call("sandbox.exec", {"sandbox": "sb-999", "command": "true"})
ok(r.get("error", {}).get("code") == -32001 and timed(r), "an unknown sandbox: -32001, with timings", r)
r = call("sandbox.exec", {"sandbox": A})
ok(r.get("error", {}).get("code") == -32602 and timed(r), "missing parameters: -32602, with timings", r)
srv.send(b'{"jsonrpc":"2.0","id":77,"method":')
r = srv.recv()
ok(r.get("error", {}).get("code") == -32700 and timed(r), "malformed JSON: -32700, with timings", r)
r = call("sandbox.nope", {})
ok(r.get("error", {}).get("code") == -32601 and timed(r), "an unknown method: -32601, with timings", r)
r = call("sandbox.create", {"limits": {"bogus": 1}})
ok(r.get("error", {}).get("code") == -32602 and "unknown limit" in r["error"]["message"], "an unknown limit is named", r)
r = call("sandbox.create", {"limits": {"memory": "1k"}})
ok(r.get("error", {}).get("code") == -32602, "an out-of-range limit is refused", r)
r = call("sandbox.create", {"backend": "podman"})
ok(r.get("error", {}).get("code") == -32602 and "native, docker or auto" in r["error"]["message"], "an unknown backend is a clear error", r)
r = call("sandbox.create", {"root": "/nonexistent/dir"})
ok(r.get("error", {}).get("code") == -32000 and "not a directory" in r["error"]["data"]["message"], "a bad root is a clear error", r)
r = call("sandbox.exec", {"sandbox": A, "command": "shutdown -h now"})
ok(r.get("error", {}).get("data", {}).get("code") == "APPROVAL_DENIED" and timed(r), "approvals apply to serve", r)
r = call("sandbox.exec", {"sandbox": A, "command": "git push origin main"})
ok(r.get("error", {}).get("data", {}).get("code") == "APPROVAL_DENIED" and
   "nobody can be asked" in r["error"]["data"].get("message", ""), "serve: an ask rule is a deny with the reason", r)
srv.send(b'{"jsonrpc":"2.0","id":77,"method":')
r = srv.recv()
ok(r.get("error", {}).get("code") == -32700 and timed(r), "malformed JSON: -32700, with timings", r)
r = call("sandbox.nope", {})
ok(r.get("error", {}).get("code") == -32601, "an unknown method: -32601", r)

r = call("sandbox.destroy", {"sandbox": B})
ok(res(r).get("destroyed") is True and res(r)["timings"].get("teardownMs", -1) >= 0, "destroy", r)
r = call("sandbox.exec", {"sandbox": B, "command": "true"})
ok(r.get("error", {}).get("code") == -32001, "a destroyed sandbox is gone", r)
r = call("sandbox.list")
ok([s["sandbox"] for s in res(r).get("sandboxes", [])] == [A], "list after destroy", r)

p.stdin.close()
ok(p.wait(timeout=60) == 0, "stdin EOF: the server destroys its sandboxes and exits 0")
t.finish()
PY
rc=$?
left=$(leftover_cgroups)
if [ -n "$left" ]; then echo "# cgroups left behind: $left"; exit 1; fi
exit $rc
