"""Benchmark: `bpquiz grade` on 1,000 filled worksheet PDFs and on a 10,000-row answers CSV.

    python bench/bench_grade.py [--pdfs 1000] [--rows 10000] [--feedback 1000] [--keep DIR]

`--rows 0` or `--pdfs 0` skips that part (e.g. `--pdfs 0` for the CSV figure alone).

Targets (issue 4), on the 2-core reference machine: 1,000 PDFs graded in ≤ 60 s, 10,000 CSV rows
in ≤ 5 s. Each figure is the wall time of one `python -m bpquiz grade ...` process, start-up, key
reading and writing the reports included, and its peak RSS (the largest of the command and its
worker processes). The PDF run is timed without feedback (`--no-feedback`) and with it, once with
no feedback layout kept from an earlier run (cold) and once with it (warm); the difference per
student, in wall and CPU time, is what the feedback costs (target, issue 10: at most 0.6× of
`generate`'s cost per student, which bench_generate.py prints; 1,000 with feedback in ≤ 60 s).

The data is made first (not timed): a key of N variants, one worksheet rendered by the real
templates and filled N times with pypdf (the `version` field set to each variant's code), and a
mix of students: exact, truncated-and-carried, one early error carried consistently, messy
spellings (0,60108 · ' .601 ' · −0.0176), and a few blank or garbage answers.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import os
import random
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

# The students are the tests' (built from the independent oracle, never from bpquiz's formulas).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from bpquiz.exercise.key import Sheet, dumps, key_dict  # noqa: E402
from bpquiz.exercise.model import Exercise  # noqa: E402

import students  # noqa: E402

# pypdf warns that "−" is not in the fields' font when it fills them in; the values are exact.
logging.getLogger("pypdf").setLevel(logging.ERROR)

STEP_IDS = Exercise().step_ids

KINDS = ("exact", "exact", "exact", "exact", "exact", "exact", "truncated", "truncated",
         "one-error", "one-error", "messy", "garbage")  # fmt: skip


def student_answers(sheet: Sheet, k: int) -> dict[str, str]:
    """A plausible student for sheet k (deterministic)."""
    rng = random.Random(k)
    kind = KINDS[k % len(KINDS)]
    given = dict(sheet.variant.given)
    if kind == "truncated":
        answers = students.carried(given, "trunc")
    elif kind == "one-error":
        slip = (rng.choice(STEP_IDS[:24]), lambda x: x * 1.2 + 0.01)
        answers = students.carried(given, "round", slip)
    else:
        answers = students.from_key(given)
    for sid, text in answers.items():
        if kind == "messy":
            text = rng.choice(
                (text.replace(".", ","), f" {text} ", text.replace("-", "−"), text.lstrip("0"))
            )
        if kind == "garbage" and rng.random() < 0.3:
            text = rng.choice(("", "?", "idk", "1/2"))
        answers[sid] = text
    return answers


def make_key(n: int, folder: Path) -> list[Sheet]:
    from bpquiz.generate import Settings, plan

    settings = Settings(n=n, seed=2026)
    sheets, secret = plan(settings)
    (folder / "key.json").write_text(dumps(key_dict(sheets, settings.as_dict(), secret)))
    return sheets


def blank_worksheet(folder: Path) -> bytes:
    """One worksheet as `bpquiz generate` makes it (its fields get each student's version)."""
    from bpquiz.generate import Settings, generate

    generate(Settings(n=1, seed=2026), folder, jobs=1, force=True)
    return next((folder / "worksheets").glob("*.pdf")).read_bytes()


def fill_pdf(args: tuple[bytes, dict[str, str], Path]) -> None:
    template, values, target = args
    students.fill(template, values, target)


CPU: dict[str, float] = {}  # the last run's CPU seconds (the command and its workers)


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB (largest process of the run), exit code of a fresh process;
    its CPU seconds (user + system, workers included) go to CPU["last"]."""
    probe = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(time.perf_counter() - t, u.ru_maxrss, rc, u.ru_utime + u.ru_stime)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, *command], capture_output=True, text=True, check=True,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    wall, rss_kb, rc, cpu = out.stdout.split()
    CPU["last"] = float(cpu)
    return float(wall), int(rss_kb) / 1024, int(rc)


def linked(files: list[Path], folder: Path) -> Path:
    """A folder of hard links to `files` (a part of the class, kept with the data)."""
    folder.mkdir(exist_ok=True)
    for p in files:
        if not (folder / p.name).exists():
            os.link(p, folder / p.name)
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pdfs", type=int, default=1000, help="filled worksheet PDFs (0: skip)")
    ap.add_argument("--rows", type=int, default=10_000, help="rows of the answers CSV (0: skip)")
    ap.add_argument(
        "--feedback", type=int, default=1000, help="students with feedback PDFs (0: skip)"
    )
    ap.add_argument("--keep", type=Path, help="make the data here and keep it")
    args = ap.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="bpquiz-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    grade = [sys.executable, "-m", "bpquiz", "grade"]
    results = []

    # --- CSV -------------------------------------------------------------------------------
    if args.rows:
        t = time.perf_counter()
        csv_dir = root / "csv"
        csv_dir.mkdir(exist_ok=True)
        sheets = make_key(args.rows, csv_dir)
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["student_id", "name", "version", *STEP_IDS])
        for k, s in enumerate(sheets):
            a = student_answers(s, k)
            w.writerow([f"s{k:05d}", f"Student {k}", s.version, *(a[i] for i in STEP_IDS)])
        (csv_dir / "answers.csv").write_text(buf.getvalue())
        key_mb = (csv_dir / "key.json").stat().st_size / 1e6
        print(
            f"made {args.rows} CSV rows and their key.json ({key_mb:.1f} MB) in "
            f"{time.perf_counter() - t:.1f} s",
            file=sys.stderr,
        )
        wall, rss, rc = timed([
            *grade, str(csv_dir / "answers.csv"), "--key", str(csv_dir / "key.json"),
            "--out", str(csv_dir / "graded"), "--force", "--no-feedback",
        ])  # fmt: skip
        results.append((f"{args.rows:,} CSV rows (summary.pdf, no feedback)", wall, rss, 5.0, rc))

    # --- PDFs ------------------------------------------------------------------------------
    if args.pdfs:
        t = time.perf_counter()
        pdf_dir = root / "pdf"
        (pdf_dir / "submissions").mkdir(parents=True, exist_ok=True)
        sheets = make_key(args.pdfs, pdf_dir)
        template = blank_worksheet(root / "template")
        jobs = [
            (template, {**student_answers(s, k), "version": s.version},
             pdf_dir / "submissions" / f"{k:04d}-{s.version}.pdf")
            for k, s in enumerate(sheets)
        ]  # fmt: skip
        with ProcessPoolExecutor() as pool:
            list(pool.map(fill_pdf, jobs, chunksize=16))
        size = sum(p.stat().st_size for p in (pdf_dir / "submissions").iterdir()) / len(jobs) / 1024
        print(
            f"made {args.pdfs} filled PDFs ({size:.0f} KB each) in {time.perf_counter() - t:.1f} s",
            file=sys.stderr,
        )
        key = ["--key", str(pdf_dir / "key.json")]
        out = ["--out", str(pdf_dir / "graded"), "--force", "--no-feedback"]
        wall, rss, rc = timed([*grade, str(pdf_dir / "submissions"), *key, *out])
        feedback_costs: list[str] = []
        results.append(
            (f"{args.pdfs:,} filled PDFs (summary.pdf, no feedback)", wall, rss, 60.0, rc)
        )
        if args.feedback:
            subset = pdf_dir / "submissions"
            if args.feedback < args.pdfs:
                subset = linked(sorted(subset.iterdir())[: args.feedback], pdf_dir / "subset")
                timed([*grade, str(subset), *key, *out])  # without feedback, on the same PDFs
            command = [*grade, str(subset), *key, "--out", str(pdf_dir / "graded-feedback")]
            base_wall, base_cpu = wall, CPU["last"]
            # Cold: no feedback layout kept from an earlier run (a fresh BPQUIZ_CACHE); warm: the
            # one this run kept.
            cache = tempfile.mkdtemp(prefix="bpquiz-bench-cache-")
            for kind in ("cold", "warm"):
                wall, rss, rc = timed([*command, "--force"], {"BPQUIZ_CACHE": cache})
                results.append(
                    (f"{args.feedback:,} filled PDFs with feedback PDFs ({kind})", wall, rss,
                     60.0, rc)
                )  # fmt: skip
                feedback_costs.append(
                    f"feedback, {kind}: {1000 * (wall - base_wall) / args.feedback:.1f} ms wall, "
                    f"{1000 * (CPU['last'] - base_cpu) / args.feedback:.1f} ms CPU per student "
                    "beyond the run without feedback"
                )
            # Per student as bench_generate counts it: the slope between a quarter of the class
            # and all of it (warm), so that the run's fixed cost is left out.
            few = sorted(subset.iterdir())[: max(args.feedback // 4, 2)]
            quarter = linked(few, pdf_dir / "quarter")
            many_wall, many_cpu = wall, CPU["last"]
            few_wall, _, _ = timed(
                [*grade, str(quarter), *key, "--out", str(pdf_dir / "graded-quarter"), "--force"],
                {"BPQUIZ_CACHE": cache},
            )
            per_wall = (many_wall - few_wall) / (args.feedback - len(few))
            per_cpu = (many_cpu - CPU["last"]) / (args.feedback - len(few))
            feedback_costs.append(
                f"grade with feedback, warm: {1000 * per_wall:.1f} ms wall, {1000 * per_cpu:.1f} "
                f"ms CPU per student (slope from {len(few)} to {args.feedback} students), fixed "
                f"cost {few_wall - len(few) * per_wall:.2f} s"
            )

    print()
    print(f"{'run':<48} {'wall':>8} {'peak RSS':>9}  target")
    for what, wall, rss, target, rc in results:
        verdict = "" if target is None else f"≤ {target:g} s {'ok' if wall <= target else 'MISSED'}"
        print(
            f"{what:<48} {wall:7.2f}s {rss:7.0f}MB  {verdict}"
            f"{'' if rc in (0, 1) else f'  (exit {rc})'}"
        )
    if args.pdfs and args.feedback:
        print("\n" + "\n".join(feedback_costs))
        print("(issue 10: grade with feedback at most 0.6× of generate's cost per student, which "
              "bench_generate.py prints, also as a slope)")  # fmt: skip
    if args.pdfs:
        graded = json.loads((root / "pdf" / "graded" / "grades.json").read_text())["statistics"]
        print(f"\nPDF run: {graded['graded']} graded, mean {graded['mean_percent']}%", end="; ")
    print(f"cores: {os.cpu_count()}; data in {root}")


if __name__ == "__main__":
    main()
