"""Benchmark: `bpquiz export moodle` and `bpquiz export qti` of a class of 1,000 variants.

    python bench/bench_export.py [--n 1000] [--repeat 3] [--keep DIR]

Target (issue 12), on the 2-core reference machine: 1,000 variants exported in ≤ 2 s. Each
figure is the wall time of one `python -m bpquiz export ...` process (start-up, reading and
checking the key, building the file and writing it), best and median of --repeat runs, and
its peak RSS. The key is made first (not timed), as bench_grade.py makes it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_grade import make_key, timed  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="variants in the key")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each command")
    ap.add_argument("--keep", type=Path, help="make the data here and keep it")
    args = ap.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="bpquiz-bench-export-"))
    root.mkdir(parents=True, exist_ok=True)
    make_key(args.n, root)
    key_mb = (root / "key.json").stat().st_size / 1e6
    print(f"bpquiz export benchmark: a key of {args.n:,} variants ({key_mb:.1f} MB), "
          f"best/median of {args.repeat}")  # fmt: skip
    for kind, out in (("moodle", "class.xml"), ("qti", "class.zip")):
        runs = []
        for _ in range(args.repeat):
            command = [sys.executable, "-m", "bpquiz", "export", kind, str(root / "key.json"),
                       "--out", str(root / out), "--force"]  # fmt: skip
            wall, rss, rc = timed(command)
            if rc != 0:
                sys.exit(f"bpquiz export {kind} failed (exit {rc})")
            runs.append((wall, rss))
        best = min(w for w, _ in runs)
        median = statistics.median(w for w, _ in runs)
        size = (root / out).stat().st_size / 1e6
        verdict = "ok" if best <= 2.0 else "MISSED"
        print(f"export {kind:<6} {args.n:,} variants  wall {best:5.2f} s best, {median:5.2f} s "
              f"median   peak RSS {max(r for _, r in runs):4.0f} MB   {out} {size:5.1f} MB   "
              f"(target ≤ 2 s: {verdict})")  # fmt: skip


if __name__ == "__main__":
    main()
