"""Benchmark: the real `bpquiz generate` as a subprocess, for one student and for classes.

    python bench/bench_generate.py [--n 30 300] [--repeat 3] [--jobs N] [--cache both|cold|warm]
                                   [--preset NAME]

For each n (and n=2, for the fixed cost) it runs `python -m bpquiz generate --n N --seed 2026
--quiet` (with `--preset NAME`, that exercise: `--preset largest` is 4-4-4 with everything
asked) into a fresh temporary folder and reports:

- wall time, best and median of --repeat runs, and CPU time (all processes, user + system);
- cold: each run with an empty skeleton cache (BPQUIZ_CACHE: a new temporary folder), so the
  run builds its skeletons; warm: with a cache that a first, untimed run filled, as every run
  after the first on a machine;
- the cost per student, (wall(n) - wall(2)) / (n - 2), and the fixed cost (start-up, key,
  skeletons, print files), wall(2) - 2 × that, from the best runs (n=2 is the smallest run with
  a process pool, as a class; a class of one renders in the main process);
- peak RSS of the largest single process (ru_maxrss of the waited-for children: the parent or
  one rendering worker), the figure `/usr/bin/time -v` prints, and of the whole process tree,
  summed, sampled from /proc every 20 ms;
- file sizes: the median worksheet and solution, and both print files.

Targets (issue 10): n=30 in ≤ 4 s wall on the 2-core reference machine (fixed cost ≤ 1.5 s,
≤ 0.08 s per student), n=1000 in ≤ 60 s; memory flat in n (peak RSS at the largest n ≤ 1.5 × at
n=30). The machine is shared: compare best figures, and repeat.
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
from collections.abc import Sequence
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


def sizes(out: Path) -> dict[str, int]:
    """Median per-student file size of each kind, and the print files, in bytes."""
    found = {}
    for kind in ("worksheets", "solutions"):
        files = [p.stat().st_size for p in (out / kind).glob("*.pdf")]
        found[kind] = int(statistics.median(files)) if files else 0
        printed = out / "print" / f"{kind}.pdf"
        found[f"print/{kind}"] = printed.stat().st_size if printed.exists() else 0
    return found


def run_once(
    n: int, jobs: int | None, cache: Path, options: Sequence[str] = ()
) -> tuple[float, int, int, float, dict]:
    """(wall s, peak RSS of one process kB, of the process tree kB, CPU s, file sizes)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        cmd = [sys.executable, "-m", "bpquiz", "generate", "--n", str(n), "--seed", "2026",
               "--out", str(out), "--quiet", *options]  # fmt: skip
        if jobs:
            cmd += ["--jobs", str(jobs)]
        env = {**os.environ, "PYTHONPATH": str(ROOT), "BPQUIZ_CACHE": str(cache)}
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
        cpu = usage.ru_utime + usage.ru_stime - cpu_before
        return wall, peak_one, peak_tree, cpu, sizes(out)


def runs(n: int, args: argparse.Namespace, mode: str, scratch: Path) -> list[tuple]:
    """--repeat runs of one n: each with an empty cache (cold) or with a filled one (warm)."""
    options = ["--preset", args.preset] if args.preset else []
    if mode == "warm":
        cache = scratch / "warm"
        if not cache.exists():
            run_once(2, args.jobs, cache, options)  # fills the cache; not timed
        return [run_once(n, args.jobs, cache, options) for _ in range(args.repeat)]
    found = []
    for k in range(args.repeat):
        found.append(run_once(n, args.jobs, scratch / f"cold-{n}-{k}", options))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[30, 300])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--cache", choices=("both", "cold", "warm"), default="both")
    parser.add_argument("--preset", help="exercise preset, e.g. largest (4-4-4, all asked)")
    args = parser.parse_args()
    modes = ("cold", "warm") if args.cache == "both" else (args.cache,)

    print(f"bpquiz generate benchmark: {os.cpu_count()} cores, jobs={args.jobs or 'all'}, "
          f"best/median of {args.repeat}, preset {args.preset or 'article'}")  # fmt: skip
    ns = sorted({2, *args.n})
    best: dict[tuple[str, int], float] = {}
    memory: dict[int, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for n in ns:
            for mode in modes:
                found = runs(n, args, mode, Path(scratch))
                walls = [r[0] for r in found]
                one = max(r[1] for r in found) / 1024
                tree = max(r[2] for r in found) / 1024
                cpu = min(r[3] for r in found)
                best[(mode, n)] = min(walls)
                seen = memory.get(n, (0.0, 0.0))
                memory[n] = (max(one, seen[0]), max(tree, seen[1]))
                print(f"n={n:<5} {mode}  wall {min(walls):6.2f} s best, "
                      f"{statistics.median(walls):6.2f} s median, CPU {cpu:6.1f} s"
                      f"   peak RSS {one:4.0f} MB one process, "
                      f"{tree:4.0f} MB all processes")  # fmt: skip
            if n > 2:
                s = found[-1][4]
                print(f"        sizes: worksheet {s['worksheets'] / 1024:.0f} KB, solution "
                      f"{s['solutions'] / 1024:.0f} KB; print/worksheets.pdf "
                      f"{s['print/worksheets'] / 1024:.0f} KB, print/solutions.pdf "
                      f"{s['print/solutions'] / 1024:.0f} KB")  # fmt: skip
    for mode in modes:
        for n in ns[1:]:
            per = (best[(mode, n)] - best[(mode, 2)]) / (n - 2)
            fixed = best[(mode, 2)] - 2 * per
            print(f"{mode} n={n}: {per * 1000:.0f} ms wall per student, fixed cost {fixed:.2f} s"
                  f"   (targets ≤ 80 ms, ≤ 1.5 s)")  # fmt: skip
    large = max(ns)
    if large > 30 and 30 in memory:
        one, every = (memory[large][k] / memory[30][k] for k in (0, 1))
        print(f"memory n={large} / n=30: one process ×{one:.2f}, "
              f"all processes ×{every:.2f}   (target ≤ 1.5)")  # fmt: skip
    for n, target in ((30, 4), (1000, 60)):
        for mode in modes:
            if (mode, n) in best:
                print(f"n={n} {mode} wall {best[(mode, n)]:.2f} s   (target ≤ {target} s)")


if __name__ == "__main__":
    main()
