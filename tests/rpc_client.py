"""Shared by the server-mode suites (test_mcp_protocol, test_serve,
test_mcp_tools): TAP output and a raw newline-delimited JSON-RPC client
that starts an llm-runtime server and talks to it over pipes, with a
timeout on every read so a hung server fails the test instead of hanging."""
import json
import os
import select
import subprocess
import sys


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc, extra=None):
        self.n += 1
        print(("ok %d - %s" if cond else "not ok %d - %s") % (self.n, desc))
        if not cond:
            self.failed += 1
            if extra is not None:
                print("#   " + repr(extra)[:800])

    def finish(self):
        print("1..%d" % self.n)
        sys.exit(1 if self.failed else 0)


class Rpc:
    def __init__(self, argv, stderr=subprocess.PIPE):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr)
        self.buf = b""
        self.next_id = 0
        self.raw_lines = []  # every line the server wrote, as bytes

    def send(self, msg):
        data = msg if isinstance(msg, bytes) else json.dumps(msg).encode()
        self.p.stdin.write(data + b"\n")
        self.p.stdin.flush()

    def recv(self, timeout=60):
        """The next message, parsed; None on timeout or EOF."""
        while b"\n" not in self.buf:
            r, _, _ = select.select([self.p.stdout], [], [], timeout)
            if not r:
                return None
            chunk = os.read(self.p.stdout.fileno(), 1 << 22)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        self.raw_lines.append(line)
        return json.loads(line)

    def call(self, method, params=None, id=None, timeout=60):
        if id is None:
            self.next_id += 1
            id = self.next_id
        m = {"jsonrpc": "2.0", "id": id, "method": method}
        if params is not None:
            m["params"] = params
        self.send(m)
        return self.recv(timeout)

    def close(self, timeout=60):
        """Close stdin (EOF) and return the exit status."""
        self.p.stdin.close()
        return self.p.wait(timeout=timeout)
