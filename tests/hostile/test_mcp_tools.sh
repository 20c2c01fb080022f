#!/usr/bin/env bash
# Hostile input to the MCP file tools: symlink loops and links to /,
# traversal, writes and moves out of the workspace, huge directories,
# pathological globs and FIFOs.  Each attack is set up inside the sandbox
# by the model's own exec calls and must fail or stay bounded.
. "$(dirname "$0")/../lib.sh"

ws=$(mkws)
before=$(sha256sum /etc/passwd)
LR_BIN="$LR_BIN" WS="$ws" PYTHONPATH="$LR_SRCDIR/tests" python3 - <<'PY'
import json, os, subprocess, time
from rpc_client import Rpc, Tap

t = Tap()
ok = t.ok
srv = Rpc([os.environ["LR_BIN"], "mcp", "--root", os.environ["WS"], "--no-audit"],
          stderr=subprocess.DEVNULL)
p = srv.p
def tool(name, **args):
    r = srv.call("tools/call", {"name": name, "arguments": args}, timeout=90)
    if r is None:
        return {"isError": True, "text": "TIMEOUT"}
    res = r.get("result", {})
    res["text"] = "".join(c.get("text", "") for c in res.get("content", []))
    return res

tool("exec", command="ln -s . loop && ln -s / hostroot && mkdir -p d/e && ln -s ../.. d/e/up")
r = tool("directory_tree", path=".")
tree = json.loads(r["text"].split("\n[listing")[0]) if not r.get("isError") else None
names = {e["name"]: e for e in tree or []}
ok(tree is not None and names.get("loop", {}).get("type") == "symlink" and "children" not in names["loop"],
   "a symlink loop is listed as a link, not followed", r["text"][:300])
ok(names.get("hostroot", {}).get("type") == "symlink" and "children" not in names["hostroot"],
   "a symlink to / is not entered by directory_tree", r["text"][:300])
r = tool("search_files", path=".", pattern="**/passwd")
ok(r["text"] == "No matches found\n", "search_files does not follow links out of its root", r["text"][:300])

r = tool("write_file", path="../../../etc/passwd", content="pwned::0:0::/:/bin/sh\n")
ok(r.get("isError") and r["text"].startswith("PERMISSION_DENIED"), "write through .. to /etc/passwd is refused", r["text"])
r = tool("write_file", path="hostroot/etc/passwd", content="x")
ok(r.get("isError"), "write through a link to / is refused (read-only root)", r["text"])
tool("write_file", path="victim.txt", content="v")
r = tool("move_file", source="victim.txt", destination="/etc/victim.txt")
ok(r.get("isError"), "move_file out of the workspace into the read-only root fails", r["text"])
r = tool("move_file", source="victim.txt", destination="/tmp/victim.txt")
ok(r.get("isError") and "different filesystems" in r["text"], "move_file across filesystems says so", r["text"])
r = tool("create_directory", path="/usr/evil")
ok(r.get("isError") and r["text"].startswith("PERMISSION_DENIED"), "create_directory in the read-only root fails", r["text"])
r = tool("edit_file", path="/etc/hostname", edits=[{"oldText": "a", "newText": "b"}])
ok(r.get("isError"), "edit_file of a read-only system file fails", r["text"])

tool("exec", command="mkdir big && cd big && seq 1 12000 | xargs touch")
t0 = time.time()
r = tool("list_directory", path="big")
lines = r["text"].splitlines()
ok(not r.get("isError") and len([l for l in lines if l.startswith("[FILE]")]) == 10000 and "truncated" in lines[-1],
   "a directory of 12000 files is listed up to the 10000-entry cap, with a note", lines[-1:] if lines else r)
r = tool("search_files", path="/", pattern="**/*.nomatch")
ok(not r.get("isError") and ("No matches" in r["text"] or "truncated" in r["text"]),
   "search_files over the whole sandbox filesystem finishes (bounded)", r["text"][-200:])

tool("exec", command="touch " + "a" * 200)
r = tool("search_files", path=".", pattern="*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b")
ok(r["text"] == "No matches found\n", "a pathological glob finishes", r["text"][:200])
r = tool("search_files", path=".", pattern="{a,b}" * 8)
ok(r.get("isError") and "alternatives" in r["text"], "brace bombs are refused", r["text"])

tool("exec", command="mkfifo pipe")
r = tool("read_text_file", path="pipe")
ok(r.get("isError") and "NOT_REGULAR" in r["text"], "reading a FIFO fails at once", r["text"])
r = tool("edit_file", path="pipe", edits=[{"oldText": "a", "newText": "b"}])
ok(r.get("isError"), "editing a FIFO fails at once", r["text"])
r = tool("get_file_info", path="pipe")
ok(not r.get("isError") and "type: other" in r["text"], "get_file_info of a FIFO describes it", r["text"])

p.stdin.close()
ok(p.wait(timeout=60) == 0, "the server exits cleanly")
t.finish()
PY
rc=$?
after=$(sha256sum /etc/passwd)
if [ "$before" != "$after" ]; then echo "not ok - host /etc/passwd changed"; exit 1; fi
exit $rc
