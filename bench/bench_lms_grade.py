"""Benchmark: `bpquiz grade` on a 1,000-row Moodle quiz Responses report.

    python bench/bench_lms_grade.py [--rows 1000] [--repeat 3] [--keep DIR]

Target (issue 12), on the 2-core reference machine: ≤ 3 s. The report is written as Moodle
writes it (tests/lms_files.py: UTF-8 BOM, 5.x headers, one row per attempt, a cloze cell
`part 1: …; part 41: …`) for bench_grade.py's mix of students, and graded three ways: with the
"Question text" column (the version read from it: the target), with only "Right answer"
(versions found from the right answers), and with the responses alone (versions found by
matching the answers against the key). Each figure is one `python -m bpquiz grade` process,
start-up, key and reports included, summary.pdf rendered, no feedback PDFs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))
from bench_grade import STEP_IDS, make_key, student_answers, timed  # noqa: E402

from lms_files import Attempt, question_summary, responses_csv  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1000, help="attempts in the report")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each command")
    ap.add_argument("--keep", type=Path, help="make the data here and keep it")
    args = ap.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="bpquiz-bench-lms-"))
    root.mkdir(parents=True, exist_ok=True)
    sheets = make_key(args.rows, root)
    attempts = []
    for k, s in enumerate(sheets):
        answers = student_answers(s, k)
        # Moodle's right answers: the exported answers (4 decimals beyond the 5 asked) as the
        # floats it stores.
        right = [format(float(f"{s.variant.values[i]:.9f}"), ".14G") for i in STEP_IDS]
        attempts.append(Attempt(f"Last{k}", f"First{k}", f"s{k}@uni.example", f"{k:06d}",
                                [answers[i] for i in STEP_IDS],
                                question_summary(s.version, list(STEP_IDS)), right))  # fmt: skip
    reports = {
        "question text": responses_csv(attempts),
        "right answers": responses_csv(attempts, question=False),
        "responses only": responses_csv(attempts, question=False, right=False),
    }
    print(f"bpquiz grade benchmark: a Moodle Responses report of {args.rows:,} attempts, "
          f"best/median of {args.repeat}")  # fmt: skip
    for what, data in reports.items():
        report = root / f"responses-{what.replace(' ', '-')}.csv"
        report.write_bytes(data)
        runs = []
        for _ in range(args.repeat):
            wall, rss, rc = timed([
                sys.executable, "-m", "bpquiz", "grade", str(report), "--key",
                str(root / "key.json"), "--out", str(root / "graded"), "--force", "--no-feedback",
            ])  # fmt: skip
            if rc not in (0, 1):
                sys.exit(f"bpquiz grade failed (exit {rc})")
            runs.append((wall, rss))
        best = min(w for w, _ in runs)
        median = statistics.median(w for w, _ in runs)
        verdict = "ok" if best <= 3.0 else "MISSED"
        target = f"(target ≤ 3 s: {verdict})" if what == "question text" else ""
        print(f"{args.rows:,} rows, versions from the {what:<15} wall {best:5.2f} s best, "
              f"{median:5.2f} s median   peak RSS {max(r for _, r in runs):4.0f} MB   "
              f"{target}")  # fmt: skip


if __name__ == "__main__":
    main()
