#!/usr/bin/env python3
"""Quick cost figures for a tool call, measured in one run on this machine.

    bench/session-cost.py [--reps N] [--bin build/llm-runtime]

Reports medians and p95 of:
  - a bare /bin/true spawn (fork+exec+wait, from Python),
  - a one-command llm-runtime run (<exec true>: sandbox create + run + teardown),
  - a 100-command session (100 x <exec true> in one sandbox), per command.
This is not a pass/fail test; the full benchmark harness is a separate issue.
"""
import argparse, os, statistics, subprocess, tempfile, time

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]

def timeit(fn, reps):
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "build", "llm-runtime"))
    a = ap.parse_args()
    ws = tempfile.mkdtemp(prefix="lr-bench-")
    if os.geteuid() == 0:
        os.chown(ws, 1000, 1000)
    run1 = b"<exec true>\n"
    run100 = b"<exec true>\n" * 100
    cmd = [a.bin, "--root", ws, "--no-audit"]

    def lr(inp):
        p = subprocess.run(cmd, input=inp, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if p.returncode != 0 or b"EXEC SUCCESSFUL" not in p.stdout:
            raise SystemExit("llm-runtime failed: " + p.stderr.decode())

    spawn = timeit(lambda: subprocess.run(["/bin/true"]), a.reps * 4)
    one = timeit(lambda: lr(run1), a.reps)
    hundred = timeit(lambda: lr(run100), max(5, a.reps // 3))
    per_cmd = [(h - statistics.median(one)) / 99 for h in hundred]

    ms = lambda x: f"{x * 1000:.2f} ms"
    base = statistics.median(spawn)
    print("| measure | median | p95 | ratio to spawn |")
    print("|---|---|---|---|")
    for name, xs in [("bare /bin/true spawn", spawn),
                     ("one-command run (sandbox create + exec + teardown)", one),
                     ("100-command session, total", hundred),
                     ("100-command session, marginal cost per command", per_cmd)]:
        print(f"| {name} | {ms(statistics.median(xs))} | {ms(pct(xs, 95))} | {statistics.median(xs) / base:.2f}x |")
    subprocess.run(["rm", "-rf", ws])

if __name__ == "__main__":
    main()
