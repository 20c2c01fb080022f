#!/usr/bin/env python3
"""What a tool call costs, measured in one run on one machine.

    bench/run.sh            full run: results in bench/results/, chart included
    bench/run.sh --quick    a few repetitions (what the test suite runs)

Every figure is a median and p95 over repetitions, with its ratio to a bare
/bin/true spawn measured in the same run.  Peers that are not installed
(bwrap, docker) are reported as "not measured" with the reason, never
guessed.  Timing lives here, never in pass/fail tests.
"""
import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def measure(fn, reps, warmup=2):
    """Seconds per call of fn; a call that returns a number reports its own
    elapsed time (so checking its output is not counted)."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        r = fn()
        out.append(r if isinstance(r, float) else time.perf_counter() - t)
    return out


def spawn(argv, stdin=None, stdout=None, stderr=None):
    """posix_spawn + waitpid, with files as stdin/stdout/stderr: the cheapest
    way to run a program from here, used alike for the baseline, the runtime
    and bubblewrap.  Returns (exit status, elapsed seconds)."""
    acts = []
    for fd, path, flags in ((0, stdin, os.O_RDONLY), (1, stdout, os.O_WRONLY | os.O_TRUNC),
                            (2, stderr, os.O_WRONLY | os.O_TRUNC)):
        if path:
            acts.append((os.POSIX_SPAWN_OPEN, fd, path, flags, 0o600))
    t = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=acts)
    _, st = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(st), time.perf_counter() - t


def spawn_true():
    return spawn(["/bin/true"])[1]


def docker_unavailable(image):
    """None when a Docker Engine answers and the image exists, else why not."""
    if not shutil.which("docker"):
        return "no docker CLI (scripts/docker-setup.sh installs docker.io)"
    if subprocess.run(["docker", "version"], capture_output=True).returncode != 0:
        return "no Docker Engine answers (scripts/docker-setup.sh starts one)"
    if subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode != 0:
        return f"image {image} missing (scripts/build-image.sh builds it)"
    return None


def first_result(cmd):
    """Seconds from starting the runtime to its first result (<exec true>),
    the session start a user waits for; teardown is not counted."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    p.stdin.write(b"<exec true>\n")
    p.stdin.flush()
    buf = b""
    while b"=== END ===" not in buf:
        chunk = os.read(p.stdout.fileno(), 4096)
        if not chunk:
            break
        buf += chunk
    dt = time.perf_counter() - t
    p.stdin.close()
    p.wait()
    if b"EXEC SUCCESSFUL" not in buf:
        raise SystemExit("llm-runtime failed: " + buf.decode()[-2000:])
    return dt


class Runtime:
    """Runs the binary on a reply the way a user pipes a file: the reply is
    stdin from a file and the results go to a file, so the harness's own pipe
    copying is not counted; the output is checked after the clock stops."""

    def __init__(self, binary, ws, extra=()):
        self.cmd = [binary, "--root", ws, "--no-audit"] + list(extra)
        self.dir = tempfile.mkdtemp(prefix="lr-bench-io-")
        self.last = None

    def run(self, reply, extra=()):
        inp, out, err = (os.path.join(self.dir, n) for n in ("in", "out", "err"))
        if reply != self.last:
            with open(inp, "wb") as f:
                f.write(reply)
            self.last = reply
        for path in (out, err):
            open(path, "wb").close()
        rc, dt = spawn(self.cmd + list(extra), inp, out, err)
        with open(out, "rb") as f:
            res = f.read()
        if rc != 0 or b"=== ERROR" in res:
            raise SystemExit("llm-runtime failed:\n" + open(err).read() + res.decode()[-2000:])
        return dt


def vmhwm(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def peak_rss_kib(rt):
    """Peak RSS (VmHWM) of the runtime and of the agent (PID 1 of the
    sandbox), read from /proc after a session of opens, writes and execs,
    while a last command holds the session open."""
    p = subprocess.Popen(rt.cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    work = (b"<write w.txt>" + b"x" * 65536 + b"</write>\n<open w.txt>\n<exec seq 1 100000>\n") * 5
    p.stdin.write(work + b"<exec sleep 2>\n")
    p.stdin.flush()
    time.sleep(1.0)
    runtime = vmhwm(p.pid)
    agent = None
    try:
        kids = open(f"/proc/{p.pid}/task/{p.pid}/children").read().split()
    except OSError:
        kids = []
    for k in kids:
        agent = vmhwm(k)
    p.stdin.close()
    p.wait()
    return runtime, agent


def short_label(d):
    """A chart label: the table's name without asides, code quotes and the
    words every row repeats."""
    name = re.sub(r"\s*\(.*?\)", "", d["name"]).replace("`", "").strip()
    for long, short in (("llm-runtime docker backend", "docker backend"),
                        ("llm-runtime native", "native"), ("llm-runtime: ", ""),
                        (", one stdio connection", ""), (" in a running session", " (warm)"),
                        (" in a running container", " (warm)")):
        name = name.replace(long, short)
    return f'{d["group"]}: {name}'[:64]


def chart(data, stamp, out):
    """bench/results/latest.png from the rows (gnuplot, log scale)."""
    if not shutil.which("gnuplot"):
        print("no gnuplot: chart skipped", file=sys.stderr)
        return
    dat = os.path.join(out, "latest.dat")
    with open(dat, "w") as f:
        for i, d in enumerate(data):
            f.write(f'{i} "{short_label(d)}" {d["median_ms"]:.4f}\n')
    png = os.path.join(out, "latest.png")
    script = f"""
set terminal pngcairo size 1200,{200 + 34 * len(data)} font ",10" noenhanced
set output "{png}"
set title "llm-runtime: cost per operation (median ms, log scale) — {stamp}"
set style fill solid 0.8
set logscale x
set xlabel "milliseconds"
set xrange [0.1:*]
set yrange [-1:{len(data)}]
set ytics nomirror
set grid xtics
unset key
plot "{dat}" using 3:1:(0.001):3:($1-0.35):($1+0.35):ytic(2) with boxxyerror lc rgb "#3b6ea8", \\
     "{dat}" using 3:1:(sprintf(" %.3f", $3)) with labels left offset 0.5,0
"""
    r = subprocess.run(["gnuplot"], input=script.encode(), stderr=subprocess.PIPE)
    if r.returncode != 0:
        print("gnuplot failed:", r.stderr.decode(), file=sys.stderr)
    else:
        print(f"chart: {png}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="few repetitions, for the test suite")
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "llm-runtime"))
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    ap.add_argument("--chart-only", action="store_true",
                    help="redraw latest.png from latest.json, measure nothing")
    a = ap.parse_args()
    if a.chart_only:
        with open(os.path.join(a.out, "latest.json")) as f:
            j = json.load(f)
        chart(j["rows"], j["machine"].rsplit(", ", 1)[-1], a.out)
        return
    reps = 3 if a.quick else 40
    os.makedirs(a.out, exist_ok=True)

    ws = tempfile.mkdtemp(prefix="lr-bench-")
    if os.geteuid() == 0:
        os.chown(ws, 1000, 1000)
    rt = Runtime(a.bin, ws)
    rows = []   # (group, name, seconds list or None, note)

    def add(group, name, xs, note=""):
        rows.append((group, name, xs, note))

    # --- spawn baseline
    base = measure(spawn_true, reps * 5)
    add("baseline", "bare `/bin/true` spawn (posix_spawn + wait)", base)

    # --- cold: sandbox create + true + teardown
    add("cold", "llm-runtime native: new sandbox + `true` + teardown",
        measure(lambda: rt.run(b"<exec true>\n"), reps))
    bwrap = shutil.which("bwrap")
    if bwrap:
        args = [bwrap, "--unshare-all", "--die-with-parent", "--new-session",
                "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin",
                "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
                "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "true"]
        if subprocess.run(args).returncode == 0:
            add("cold", "`bwrap --unshare-all` + `true` (Debian bubblewrap)",
                measure(lambda: spawn(args)[1], reps))
        else:
            add("cold", "`bwrap --unshare-all`", None, "bwrap failed to start here")
    else:
        add("cold", "`bwrap --unshare-all`", None, "bubblewrap not installed")
    # --- docker: the backend against `docker run` / `docker exec` on the same engine
    image = os.environ.get("LR_IMAGE", "llm-runtime-sandbox:1")
    why = docker_unavailable(image)
    drt = Runtime(a.bin, ws, ("--backend", "docker"))
    if why:
        add("cold", "llm-runtime docker backend: new container + `true` + teardown (whole run)", None, why)
        add("cold", "llm-runtime docker backend: session start, no pool (time to first result)", None, why)
        add("cold", "llm-runtime docker backend: session start from the warm pool (time to first result)",
            None, why)
        add("cold", "`docker run --rm` + `true` (the seed's flags)", None, why)
    else:
        subprocess.run([a.bin, "prune"], stdout=subprocess.DEVNULL)
        dreps = max(3, reps // 2)
        add("cold", "llm-runtime docker backend: new container + `true` + teardown (whole run)",
            measure(lambda: drt.run(b"<exec true>\n"), dreps))
        add("cold", "llm-runtime docker backend: session start, no pool (time to first result)",
            [first_result(drt.cmd) for _ in range(dreps)])
        pooled = drt.cmd + ["--docker-pool-size", "1"]
        first_result(pooled)  # fills the pool
        add("cold", "llm-runtime docker backend: session start from the warm pool (time to first result)",
            [first_result(pooled) for _ in range(dreps)])
        subprocess.run([a.bin, "prune"], stdout=subprocess.DEVNULL)
        run_args = ["docker", "run", "--rm", "--network", "none", "--cap-drop", "ALL",
                    "--security-opt", "no-new-privileges", "--read-only", "--memory", "512m",
                    "--pids-limit", "256", image, "true"]
        add("cold", "`docker run --rm` + `true` (the seed's flags)",
            measure(lambda: subprocess.run(run_args, stdout=subprocess.DEVNULL), dreps))

    # --- warm: marginal cost of one more command in a running session
    n = 20 if a.quick else 200
    one = statistics.median(measure(lambda: rt.run(b"<exec true>\n"), reps))
    many = measure(lambda: rt.run(b"<exec true>\n" * n), max(3, reps // 4))
    add("warm", f"llm-runtime native: `<exec true>` in a running session (marginal, {n} per session)",
        [(m - one) / (n - 1) for m in many])
    if why:
        add("warm", "llm-runtime docker backend: `<exec true>` in a running session", None, why)
        add("warm", "`docker exec` + `true` in a running container", None, why)
    else:
        done = statistics.median(measure(lambda: drt.run(b"<exec true>\n"), max(3, reps // 4)))
        dmany = measure(lambda: drt.run(b"<exec true>\n" * n), max(3, reps // 4))
        add("warm", f"llm-runtime docker backend: `<exec true>` in a running session (marginal, {n} per session)",
            [(m - done) / (n - 1) for m in dmany])
        cid = subprocess.run(["docker", "run", "-d", "--rm", "--network", "none", image, "sleep", "600"],
                             capture_output=True, text=True).stdout.strip()
        try:
            add("warm", "`docker exec` + `true` in a running container",
                measure(lambda: subprocess.run(["docker", "exec", cid, "true"]), max(3, reps // 2)))
        finally:
            subprocess.run(["docker", "rm", "-f", cid], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)

    # --- file round trips: <write> then <open> of the same file, in a session
    cp, cat = shutil.which("cp"), shutil.which("cat")
    for size, label in ((1024, "1 KiB"), (1 << 20, "1 MiB")):
        data = b"x" * size
        k = 10 if a.quick else 50
        pair = b"<write f.bin>" + data + b"</write>\n<open f.bin>\n"
        many = measure(lambda: rt.run(pair * k, ("--max-size", "2m", "--max-write-size", "2m")),
                       max(3, reps // 4))
        add("files", f"llm-runtime: write + open {label} (marginal per round trip)",
            [(m - one) / k for m in many])
        src = os.path.join(ws, "host-src.bin")
        with open(src, "wb") as f:
            f.write(data)
        dst = os.path.join(ws, "host-dst.bin")
        add("files", f"host `cp` + `cat` {label}",
            measure(lambda: spawn([cp, src, dst])[1] + spawn([cat, dst], stdout="/dev/null")[1],
                    reps))

    # --- a pipe-mode session of 100 mixed commands
    mixed = []
    for i in range(25):
        mixed += [f"<write d/f{i}.txt>line {i}\n</write>", f"<open d/f{i}.txt>",
                  f"<exec grep -c line d/f{i}.txt>", "<exec ls d>"]
    mixed_reply = ("Working on it.\n" + "\n".join(mixed) + "\n").encode()
    add("session", "pipe-mode session of 100 mixed commands (total)",
        measure(lambda: rt.run(mixed_reply), max(3, reps // 4)))

    # --- MCP: one server, one stdio connection, one call at a time
    mcp = subprocess.Popen([a.bin, "mcp", "--root", ws, "--no-audit"], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    seq = [0]

    def mcp_call(method, params):
        seq[0] += 1
        mcp.stdin.write(json.dumps({"jsonrpc": "2.0", "id": seq[0], "method": method,
                                    "params": params}).encode() + b"\n")
        mcp.stdin.flush()
        return mcp.stdout.readline()

    mcp_call("initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                            "clientInfo": {"name": "bench", "version": "0"}})
    mcp_call("tools/call", {"name": "write_file", "arguments": {"path": "m.txt", "content": "x" * 1024}})
    k = 200 if a.quick else 2000
    for label, params in (("exec `true`", {"name": "exec", "arguments": {"command": "true"}}),
                          ("read_text_file 1 KiB", {"name": "read_text_file",
                                                    "arguments": {"path": "m.txt"}})):
        batch = k // 20
        xs = measure(lambda: [mcp_call("tools/call", params) for _ in range(batch)], 20)
        add("mcp", f"MCP tools/call {label}, one stdio connection (per call; calls/s = 1/median)",
            [x / batch for x in xs])
    mcp.stdin.close()
    mcp.wait()

    # --- memory
    rss, agent = peak_rss_kib(rt)

    shutil.rmtree(ws, ignore_errors=True)
    shutil.rmtree(rt.dir, ignore_errors=True)
    shutil.rmtree(drt.dir, ignore_errors=True)

    # --- report
    b = statistics.median(base)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    machine = (f"{platform.node() or 'host'}: {cpu}, {os.cpu_count()} cores, "
               f"Linux {platform.release()}, {stamp}")
    lines = [f"Measured on {machine}; {reps} repetitions per figure"
             + (" (quick mode)" if a.quick else "") + ".", "",
             "| group | measure | median | p95 | × bare spawn |", "|---|---|---|---|---|"]
    data = []
    for group, name, xs, note in rows:
        if xs is None:
            lines.append(f"| {group} | {name} | — | — | not measured: {note} |")
            continue
        med, p95 = statistics.median(xs), pct(xs, 95)
        lines.append(f"| {group} | {name} | {med * 1e3:.3f} ms | {p95 * 1e3:.3f} ms | {med / b:.2f}× |")
        data.append({"group": group, "name": name, "median_ms": med * 1e3, "p95_ms": p95 * 1e3,
                     "ratio": med / b})
    fmt = lambda k: f"{k / 1024:.1f} MiB" if k else "not observed"
    lines += ["", f"Peak RSS (VmHWM): runtime {fmt(rss)}; agent (PID 1 in the sandbox) {fmt(agent)}."]
    table = "\n".join(lines) + "\n"
    md = os.path.join(a.out, "quick.md" if a.quick else "latest.md")
    with open(md, "w") as f:
        f.write(table)
    with open(os.path.splitext(md)[0] + ".json", "w") as f:
        json.dump({"machine": machine, "reps": reps, "rows": data,
                   "rss_kib": rss, "agent_rss_kib": agent}, f, indent=1)
    print(table)

    if not a.quick:
        chart(data, stamp, a.out)


if __name__ == "__main__":
    main()
