"""Benchmark: the real `bpquiz generate` for a class of 30 and of 300, as a subprocess.

    python bench/bench_generate.py [--n 30 300] [--repeat 3] [--jobs N]

For each n it runs `python -m bpquiz generate --n N --seed 2026 --quiet` into a fresh temporary
folder and reports:

- wall time (best and median of --repeat runs);
- peak RSS of the largest single process (ru_maxrss of the waited-for children: the parent or
  one rendering worker), the figure `/usr/bin/time -v` prints;
- peak RSS of the whole process tree, summed, sampled from /proc every 20 ms.

Targets (issue 3): n=30 in ≤ 6 s wall on the 2-core reference machine, all cores used; memory
flat in n (peak RSS at n=300 ≤ 1.5 × at n=30).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def tree_rss_kb(pid: int) -> int:
    """Resident memory of `pid` and all its descendants, in kB (0 once it has gone)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ppid, pages = int(fields[1]), int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
        rss[int(entry.name)] = pages * os.sysconf("SC_PAGE_SIZE") // 1024
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total


def run_once(n: int, jobs: int | None) -> tuple[float, int, int, float]:
    """(wall s, peak RSS of one process kB, peak RSS of the process tree kB, CPU s)."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "bpquiz", "generate", "--n", str(n), "--seed", "2026",
               "--out", str(Path(tmp) / "out"), "--quiet"]  # fmt: skip
        if jobs:
            cmd += ["--jobs", str(jobs)]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        before, cpu_before = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env)
        peak_tree = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak_tree
            while not done.is_set():
                peak_tree = max(peak_tree, tree_rss_kb(proc.pid))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = proc.wait()
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        if code != 0:
            raise SystemExit(f"bpquiz generate --n {n} failed with exit code {code}")
        # ru_maxrss of RUSAGE_CHILDREN is the largest single descendant so far; a later, larger
        # run raises it, a smaller one does not: run the sizes in increasing order.
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_one = max(usage.ru_maxrss, before)
        return wall, peak_one, peak_tree, usage.ru_utime + usage.ru_stime - cpu_before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[30, 300])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()

    print(f"bpquiz generate benchmark: {os.cpu_count()} cores, jobs={args.jobs or 'all'}, "
          f"best/median of {args.repeat}")  # fmt: skip
    results = {}
    for n in sorted(args.n):
        runs = [run_once(n, args.jobs) for _ in range(args.repeat)]
        walls = [r[0] for r in runs]
        one = max(r[1] for r in runs) / 1024
        tree = max(r[2] for r in runs) / 1024
        cores = statistics.median(r[3] / r[0] for r in runs)
        results[n] = (min(walls), one, tree)
        print(f"n={n:<4} wall {min(walls):6.2f} s best, {statistics.median(walls):6.2f} s median"
              f" ({min(walls) / n * 1000:3.0f} ms/student, {cores:.2f} cores busy)"
              f"   peak RSS {one:4.0f} MB one process, {tree:4.0f} MB all processes")  # fmt: skip
    if len(results) > 1:
        small, large = min(results), max(results)
        one = results[large][1] / results[small][1]
        every = results[large][2] / results[small][2]
        print(f"memory n={large} / n={small}: one process ×{one:.2f}, "
              f"all processes ×{every:.2f}   (target ≤ 1.5)")  # fmt: skip
    if 30 in results:
        print(f"n=30 wall {results[30][0]:.2f} s   (target ≤ 6 s)")


if __name__ == "__main__":
    main()
