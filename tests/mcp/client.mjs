// Drives `llm-runtime mcp` with the official MCP TypeScript SDK client:
// lists the tools and calls every one of them, then a session of many calls.
// Usage: node client.mjs LLM_RUNTIME_BINARY WORKSPACE [CALLS]
// Prints TAP; exits non-zero on the first failed assertion.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { readFileSync } from "node:fs";

const [bin, ws, callsArg] = process.argv.slice(2);
const calls = Number(callsArg ?? 200);
let n = 0;
function ok(cond, desc, extra) {
  n++;
  if (cond) { console.log(`ok ${n} - ${desc}`); return; }
  console.log(`not ok ${n} - ${desc}`);
  if (extra !== undefined) console.log("# " + JSON.stringify(extra).slice(0, 2000));
  console.log(`1..${n}`);
  process.exit(1);
}
const text = (r) => (r.content ?? []).map((c) => c.text ?? "").join("");

const transport = new StdioClientTransport({
  command: bin,
  args: ["mcp", "--root", ws, "--no-audit"],
  stderr: "inherit",
});
const client = new Client({ name: "llm-runtime-test", version: "1.0.0" });
await client.connect(transport);
console.log(`# server pid ${transport.pid}`);
ok(client.getServerVersion()?.name === "llm-runtime", "initialize: server name");

const { tools } = await client.listTools();
const names = tools.map((t) => t.name).sort();
const want = ["create_directory", "directory_tree", "edit_file", "exec", "get_file_info",
  "list_allowed_directories", "list_directory", "move_file", "read_multiple_files", "read_text_file",
  "search_files", "write_file"];
ok(JSON.stringify(names) === JSON.stringify(want), "tools/list has every tool", names);
ok(tools.every((t) => t.inputSchema?.type === "object"), "every tool has an object inputSchema");
ok(tools.find((t) => t.name === "read_text_file").annotations?.readOnlyHint === true, "read_text_file is read-only");
ok(tools.find((t) => t.name === "write_file").annotations?.destructiveHint === true, "write_file is destructive");
const called = new Set();
const call = async (name, args) => { called.add(name); return client.callTool({ name, arguments: args }); };

let r = await call("write_file", { path: "notes/a.txt", content: "one\ntwo\nthree\n" });
ok(!r.isError && text(r).includes("Successfully wrote to notes/a.txt"), "write_file", r);

r = await call("read_text_file", { path: "notes/a.txt" });
ok(!r.isError && text(r) === "one\ntwo\nthree\n", "read_text_file", r);
r = await call("read_text_file", { path: "notes/a.txt", head: 1 });
ok(text(r) === "one\n", "read_text_file head", r);
r = await call("read_text_file", { path: "notes/a.txt", tail: 2 });
ok(text(r) === "two\nthree\n", "read_text_file tail", r);
r = await call("read_text_file", { path: "missing.txt" });
ok(r.isError && text(r).startsWith("FILE_NOT_FOUND"), "read_text_file of a missing file is an isError result", r);
r = await call("read_text_file", { path: "/etc/shadow" });
ok(r.isError, "host secrets are not in the sandbox", r);

r = await call("read_multiple_files", { paths: ["notes/a.txt", "nope.txt"] });
ok(!r.isError && text(r).includes("notes/a.txt:\none") && text(r).includes("nope.txt: Error - FILE_NOT_FOUND"),
   "read_multiple_files reports per-file failures inline", r);

r = await call("exec", { command: "wc -l", stdin: "a\nb\n" });
ok(!r.isError && r.structuredContent?.exitCode === 0 && r.structuredContent.stdout.trim() === "2", "exec with stdin", r);
r = await call("exec", { command: "echo out; echo err >&2; exit 4" });
ok(r.isError && r.structuredContent?.exitCode === 4 && r.structuredContent.stdout === "out\n" &&
   r.structuredContent.stderr === "err\n", "exec failure returns exit code, stdout and stderr", r);
r = await call("exec", { command: "sleep 30", timeout: 1 });
ok(r.isError && r.structuredContent?.timedOut === true && r.structuredContent.exitCode === 124, "exec timeout", r);
r = await call("exec", { command: "id -u; cat /proc/self/status | grep CapEff" });
ok(text(r).includes("1000") && text(r).includes("0000000000000000"), "exec runs unprivileged in the sandbox", r);

// edit_file: dry run shows a diff and changes nothing; a real edit applies.
await call("write_file", { path: "src/app.py", content: "def f():\n    return 1\n\nprint(f())\n" });
r = await call("edit_file", { path: "src/app.py", edits: [{ oldText: "return 1", newText: "return 2" }], dryRun: true });
ok(!r.isError && text(r).includes("-    return 1\n+    return 2") && text(r).startsWith("```diff\nIndex: src/app.py"),
   "edit_file dryRun returns a unified diff", r);
r = await call("read_text_file", { path: "src/app.py" });
ok(text(r).includes("return 1"), "edit_file dryRun leaves the file alone", r);
r = await call("edit_file", { path: "src/app.py", edits: [{ oldText: "return 1", newText: "return 2" }, { oldText: "print(f())", newText: "print(f() * 2)" }] });
ok(!r.isError && text(r).includes("+print(f() * 2)"), "edit_file applies several edits", r);
r = await call("exec", { command: "python3 src/app.py" });
ok(r.structuredContent?.stdout === "4\n", "the edited file runs", r);
r = await call("edit_file", { path: "src/app.py", edits: [{ oldText: "return 2", newText: "return 3" }, { oldText: "not there", newText: "x" }] });
ok(r.isError && text(r).includes("could not find an exact match"), "a failed edit is an isError result", r);
r = await call("read_text_file", { path: "src/app.py" });
ok(text(r).includes("return 2"), "a failed edit changes nothing", r);

// Directories.
r = await call("create_directory", { path: "a/b/c" });
ok(!r.isError && text(r).includes("Successfully created directory a/b/c"), "create_directory makes parents", r);
r = await call("create_directory", { path: "a/b/c" });
ok(!r.isError, "create_directory of an existing directory succeeds", r);
await call("write_file", { path: "a/b/one.txt", content: "1" });
await call("exec", { command: "ln -s one.txt a/b/link && mkdir -p a/node_modules/pkg && touch a/node_modules/pkg/index.js" });
r = await call("list_directory", { path: "a/b" });
ok(text(r) === "[DIR] c\n[LINK] link\n[FILE] one.txt\n", "list_directory", r);
r = await call("list_directory", { path: "a/b/one.txt" });
ok(r.isError && text(r).includes("not a directory"), "list_directory of a file is an error", r);
r = await call("directory_tree", { path: "a", excludePatterns: ["node_modules"] });
let tree = null;
try { tree = JSON.parse(text(r)); } catch { /* checked below */ }
ok(Array.isArray(tree) && tree.length === 1 && tree[0].name === "b" && tree[0].type === "directory" &&
   tree[0].children.some((c) => c.name === "c" && c.type === "directory" && Array.isArray(c.children)) &&
   tree[0].children.some((c) => c.name === "one.txt" && c.type === "file" && c.children === undefined),
   "directory_tree is JSON with children and honours excludePatterns", r);
r = await call("directory_tree", { path: "a" });
ok(text(r).includes("index.js"), "directory_tree without excludes shows everything", r);

// Search.
r = await call("search_files", { path: "a", pattern: "**/*.txt" });
ok(text(r) === "a/b/one.txt\n", "search_files with a glob", r);
r = await call("search_files", { path: ".", pattern: "one" });
ok(text(r).includes("a/b/one.txt"), "search_files with a plain word finds names containing it", r);
r = await call("search_files", { path: "a", pattern: "**/*.js", excludePatterns: ["node_modules"] });
ok(text(r) === "No matches found\n", "search_files excludePatterns prune directories", r);

// Info and move.
r = await call("get_file_info", { path: "a/b/one.txt" });
ok(!r.isError && text(r).includes("size: 1\n") && text(r).includes("isFile: true") &&
   r.structuredContent?.isDirectory === false && /^\d{4}-\d\d-\d\dT/.test(r.structuredContent?.modified ?? ""),
   "get_file_info", r);
r = await call("move_file", { source: "a/b/one.txt", destination: "moved/one.txt" });
ok(!r.isError && text(r).includes("Successfully moved"), "move_file", r);
r = await call("read_text_file", { path: "moved/one.txt" });
ok(text(r) === "1", "the moved file is at its destination", r);
await call("write_file", { path: "x1", content: "x" });
await call("write_file", { path: "x2", content: "y" });
r = await call("move_file", { source: "x1", destination: "x2" });
ok(r.isError && text(r).startsWith("ALREADY_EXISTS"), "move_file never replaces the destination", r);
r = await call("read_text_file", { path: "x2" });
ok(text(r) === "y", "the destination is untouched", r);
r = await call("list_allowed_directories", {});
ok(text(r).includes("/workspace"), "list_allowed_directories", r);
ok(want.every((t) => called.has(t)), "every tool was called", want.filter((t) => !called.has(t)));

let threw = false;
try { await client.callTool({ name: "no_such_tool", arguments: {} }); } catch (e) { threw = /Unknown tool/.test(String(e)); }
ok(threw, "an unknown tool is a JSON-RPC error");

// Nothing a command starts outlives it, a daemon included.
r = await call("exec", { command: "sleep 1000 >/dev/null 2>&1 & echo $!" });
const bg = r.structuredContent?.stdout.trim();
r = await call("exec", { command: `kill -0 ${bg} 2>/dev/null && echo alive || echo gone` });
ok(/^\d+$/.test(bg) && r.structuredContent?.stdout === "gone\n", "a background process does not survive its command", r);

// A warm session: many calls, one sandbox (its /tmp persists between calls).
// The server's memory is sampled after a warm-up and at the end: flat means
// it grows by less than 2 MiB over the session.
const rss = () => {
  try { return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${transport.pid}/status`, "utf8"))[1]); }
  catch { return NaN; }
};
await call("exec", { command: "echo 0 > /tmp/counter" });
let fails = 0, rssWarm = NaN;
for (let i = 0; i < calls; i++) {
  if (i === Math.min(100, calls >> 1)) rssWarm = rss();
  const k = i % 3;
  const res = k === 0
    ? await call("exec", { command: "echo $(( $(cat /tmp/counter) + 1 )) > /tmp/counter.new && mv /tmp/counter.new /tmp/counter" })
    : k === 1
      ? await call("write_file", { path: `many/f${i}.txt`, content: `${i}\n` })
      : await call("read_text_file", { path: `many/f${i - 1}.txt` });
  if (res.isError) fails++;
}
ok(fails === 0, `${calls} tool calls in one session without error`, { fails });
r = await call("exec", { command: "cat /tmp/counter" });
ok(text(r).includes(String(Math.ceil(calls / 3))), "every exec ran in the same sandbox", r);
const rssEnd = rss();
console.log(`# server RSS: ${rssWarm} KiB after warm-up, ${rssEnd} KiB after ${calls} calls`);
if (process.env.MCP_SKIP_RSS) {
  n++;
  console.log(`ok ${n} - # SKIP server memory is flat: ${process.env.MCP_SKIP_RSS}`);
} else {
  ok(rssWarm > 0 && rssEnd > 0 && rssEnd - rssWarm < 2048, `server memory is flat over ${calls} calls`, { rssWarm, rssEnd });
}

const serverPid = transport.pid;
await client.close();
let gone = false;
for (let i = 0; i < 100 && !gone; i++) {
  try { process.kill(serverPid, 0); await new Promise((res) => setTimeout(res, 50)); } catch { gone = true; }
}
ok(gone, "the server exits when the client closes stdin");
console.log(`1..${n}`);
