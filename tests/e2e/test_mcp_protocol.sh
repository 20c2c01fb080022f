#!/usr/bin/env bash
# `llm-runtime mcp` at the wire level: both lifecycles, every JSON-RPC error
# path, hostile input (malformed, oversized, deeply nested, invalid UTF-8,
# NUL bytes) and that the server keeps serving after each.  Driven by a raw
# client in Python, so nothing smooths over what the server sends.
. "$(dirname "$0")/../lib.sh"

ws=$(mkws)
LR_BIN="$LR_BIN" WS="$ws" PYTHONPATH="$LR_SRCDIR/tests" python3 - <<'PY'
import json, os
from rpc_client import Rpc, Tap

t = Tap()
ok = t.ok
srv = Rpc([os.environ["LR_BIN"], "mcp", "--root", os.environ["WS"], "--no-audit",
           "--max-write-size", "1k"])
p, send, recv, raw_lines = srv.p, srv.send, srv.recv, srv.raw_lines
def call(method, params=None, id=None):
    return srv.call(method, params, id)
def err_code(r):
    return (r or {}).get("error", {}).get("code")

r = call("initialize", {"protocolVersion": "2024-11-05", "capabilities": {},
                        "clientInfo": {"name": "raw", "version": "0"}})
ok(r and r["result"]["protocolVersion"] == "2024-11-05", "initialize echoes a supported old version", r)
ok(r["result"]["capabilities"].get("tools") is not None and r["result"]["serverInfo"]["name"] == "llm-runtime",
   "initialize declares tools and serverInfo", r)
r = call("initialize", {"protocolVersion": "1999-01-01", "capabilities": {}}, id=2)
ok(r and r["result"]["protocolVersion"] == "2025-11-25", "an unknown version gets the newest legacy one", r)
send({"jsonrpc": "2.0", "method": "notifications/initialized"})
r = call("ping", id=3)
ok(r and r.get("id") == 3 and r.get("result") == {}, "a notification gets no answer; ping answers {}", r)

send(b'{"jsonrpc":"2.0","id":4,"method":')
r = recv()
ok(err_code(r) == -32700 and r.get("id") is None, "malformed JSON: -32700 with id null", r)
r = call("ping", id=5)
ok(r and r.get("id") == 5, "the server keeps serving after a parse error", r)

send(b"[" * 100 + b"]" * 100)
r = recv()
ok(err_code(r) == -32600 and "deep" in r["error"]["message"], "nesting deeper than 64: -32600", r)
send(b'{"jsonrpc":"2.0","id":6,"method":"ping","params":{"a":"' + b"[" * 500 + b'"}}')
r = recv()
ok(r and r.get("id") == 6 and "result" in r, "brackets inside strings do not count as nesting", r)

send(b'{"jsonrpc":"2.0","id":7,"method":"ping","params":{"pad":"' + b"x" * (3 << 20) + b'"}}')
r = recv()
ok(err_code(r) == -32600 and "too large" in r["error"]["message"] and r["error"]["data"]["maxBytes"] > 0,
   "an oversized message: -32600 naming the limit", r)
r = call("ping", id=8)
ok(r and r.get("id") == 8, "the server keeps serving after an oversized message", r)

send(b'{"jsonrpc":"2.0","id":9,"method":"ping","params":{"s":"\xff\xfe"}}')
r = recv()
ok(err_code(r) == -32700, "invalid UTF-8: -32700", r)
send([{"jsonrpc": "2.0", "id": 10, "method": "ping"}])
r = recv()
ok(err_code(r) == -32600 and "Batch" in r["error"]["message"], "a batch: -32600", r)
send({"jsonrpc": "1.0", "id": 11, "method": "ping"})
r = recv()
ok(err_code(r) == -32600 and r.get("id") == 11, "a wrong jsonrpc version: -32600 with the id", r)
send({"jsonrpc": "2.0", "id": 12.5, "method": "ping"})
r = recv()
ok(err_code(r) == -32600 and r.get("id") is None, "a non-integer id: -32600 with id null", r)
r = call("ping", [1, 2], id=13)
ok(err_code(r) == -32602, "params that are not an object: -32602", r)
r = call("no/such/method", {}, id=14)
ok(err_code(r) == -32601, "an unknown method: -32601", r)
r = call("tools/call", {"name": "nope", "arguments": {}}, id=15)
ok(err_code(r) == -32602 and "Unknown tool" in r["error"]["message"], "an unknown tool: -32602", r)
r = call("tools/call", {"name": "exec", "arguments": [1]}, id=16)
ok(err_code(r) == -32602, "arguments that are not an object: -32602", r)

r = call("tools/call", {"name": "read_text_file", "arguments": {"path": "a\u0000b"}}, id=17)
res = (r or {}).get("result", {})
ok(res.get("isError") is True and "INVALID_ARGUMENT" in res["content"][0]["text"],
   "a path with a NUL byte is refused, not truncated", r)
r = call("tools/call", {"name": "write_file", "arguments": {"path": "nul.bin", "content": "a\u0000b"}}, id=21)
r2 = call("tools/call", {"name": "exec", "arguments": {"command": "od -An -c nul.bin"}}, id=22)
ok(r["result"]["isError"] is False and "a  \\0   b" in r2["result"]["structuredContent"]["stdout"],
   "content with a NUL byte is written byte-exact", r2)
r = call("tools/call", {"name": "write_file", "arguments": {"path": "big.txt", "content": "x" * 5000}}, id=18)
res = (r or {}).get("result", {})
ok(res.get("isError") is True and res["content"][0]["text"].startswith("RESOURCE_LIMIT"),
   "a write over --max-write-size is an isError RESOURCE_LIMIT", r)
r = call("tools/call", {"name": "exec", "arguments": {}}, id=19)
res = (r or {}).get("result", {})
ok(res.get("isError") is True and "command" in res["content"][0]["text"], "a missing argument is an isError result", r)
r = call("tools/call", {"name": "read_text_file", "arguments": {"path": "x", "head": -1}}, id=20)
ok(r["result"]["isError"] is True, "a negative head is refused", r)

meta = {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {}}
r = call("server/discover", {"_meta": meta}, id="d1")
res = (r or {}).get("result", {})
ok(res.get("resultType") == "complete" and "2026-07-28" in res.get("supportedVersions", []) and
   "2025-11-25" in res["supportedVersions"] and
   res["_meta"]["io.modelcontextprotocol/serverInfo"]["name"] == "llm-runtime" and
   "tools" in res.get("capabilities", {}), "server/discover (2026-07-28)", r)
r = call("tools/list", {"_meta": meta}, id="d2")
res = (r or {}).get("result", {})
ok(res.get("resultType") == "complete" and res.get("ttlMs", 0) > 0 and res.get("cacheScope") in ("public", "private")
   and len(res.get("tools", [])) >= 12, "modern tools/list carries resultType, ttlMs and cacheScope", r)
r = call("tools/call", {"_meta": meta, "name": "exec", "arguments": {"command": "echo modern"}}, id="d3")
res = (r or {}).get("result", {})
ok(res.get("resultType") == "complete" and res.get("structuredContent", {}).get("stdout") == "modern\n",
   "modern tools/call runs in the sandbox", r)
r = call("ping", {"_meta": dict(meta, **{"io.modelcontextprotocol/protocolVersion": "2030-01-01"})}, id="d4")
ok(err_code(r) == -32022 and "2026-07-28" in r["error"]["data"]["supported"] and
   r["error"]["data"]["requested"] == "2030-01-01", "an unsupported modern version: -32022 with the supported list", r)
r = call("tools/list", {"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}}, id="d5")
ok(err_code(r) == -32602, "modern request without clientCapabilities: -32602", r)
r = call("server/discover", {}, id="d6")
ok(err_code(r) == -32602 and "_meta" in r["error"]["message"], "server/discover without _meta: -32602", r)

# Each legacy version is echoed; 2025-03-26, the one revision with JSON-RPC
# batching, gets batches answered as one array (notifications unanswered).
for v in ("2025-06-18", "2025-11-25", "2025-03-26"):
    r = call("initialize", {"protocolVersion": v, "capabilities": {}}, id="v" + v)
    ok(r and r["result"]["protocolVersion"] == v, f"initialize echoes {v}", r)
send([{"jsonrpc": "2.0", "id": "b1", "method": "ping"},
      {"jsonrpc": "2.0", "method": "notifications/initialized"},
      {"jsonrpc": "2.0", "id": "b2", "method": "tools/call",
       "params": {"name": "exec", "arguments": {"command": "echo batched"}}},
      5])
r = recv()
ids = [m.get("id") for m in r] if isinstance(r, list) else None
ok(ids is not None and len(r) == 3 and ids[:2] == ["b1", "b2"] and r[0].get("result") == {} and
   "batched" in json.dumps(r[1]) and err_code(r[2]) == -32600,
   "2025-03-26: a batch gets one array of responses, a bad element its own error", r)
send([])
r = recv()
ok(err_code(r) == -32600 and not isinstance(r, list), "2025-03-26: an empty batch is one -32600", r)
r = call("initialize", {"protocolVersion": "2025-06-18", "capabilities": {}}, id="v2")
send([{"jsonrpc": "2.0", "id": "b3", "method": "ping"}])
r = recv()
ok(err_code(r) == -32600 and "Batch" in r["error"]["message"], "2025-06-18 and later: a batch is refused", r)

p.stdin.close()
rc = p.wait(timeout=30)
ok(rc == 0, "stdin EOF: the server exits 0", rc)
rest = p.stdout.read()
lines = raw_lines + [l for l in rest.split(b"\n") if l]
def is_json(l):
    try:
        json.loads(l); return True
    except Exception:
        return False
ok(all(is_json(l) and l.isascii() for l in lines), "stdout carries only JSON-RPC messages, one per line", lines[:3])
err = p.stderr.read().decode(errors="replace")
ok("llm-runtime" in err and "workspace" in err, "logs go to stderr", err[:200])
t.finish()
PY
rc=$?
exit $rc
