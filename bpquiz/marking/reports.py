"""The files that report a grading: gradebook.csv, grades.json, problems.csv (pure: text out).

- `gradebook.csv`: contract.md's columns, one row per graded submission (and one per roster
  student who handed nothing in), for a spreadsheet or an LMS gradebook import;
- `grades.json`: every submission and every step: the answer as written, its parsed value, the
  key, the status, the points (and the value recomputed from the student's own answers); each
  step's points possible once, under "max_points";
- `problems.csv`: what was not graded, or needs a look: file, row, kind, message;
- the class statistics that grades.json and summary.pdf show.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from typing import Any

import orjson

from .. import __version__
from ..constants import IDENTITY_COLUMNS, STATUSES
from ..exercise.key import Sheet
from ..exercise.model import Exercise
from ..files import csv_text
from ..files import safe_cell as cell
from .grading import Policy
from .match import Result
from .submissions import Problem

SCHEMA = "bpquiz.grades/1"
MISSING = "missing"  # every step of a roster student who handed nothing in
GRADEBOOK_COLUMNS = (*IDENTITY_COLUMNS, "score", "max_score", "percent")


# --- plain numbers and safe cells ----------------------------------------------------------------


def number(x: float, places: int = 2) -> str:
    """A score for people and spreadsheets: 38, 38.5, 38.25 (no trailing zeros, no exponent)."""
    text = f"{x:.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


# --- gradebook.csv, grades.json, problems.csv --------------------------------------------------


def gradebook_csv(
    exercise: Exercise, results: Sequence[Result], missing: Sequence[Sheet] = (),
    max_score: float = 0.0,
) -> str:  # fmt: skip
    """A row per graded submission, then a row per roster student who handed nothing in
    (`missing`: score 0 of `max_score`, every step MISSING)."""
    header = [*GRADEBOOK_COLUMNS, *exercise.asked_ids]
    rows = [
        [
            cell(r.student_id), cell(r.name), r.version,
            number(r.graded.score), number(r.graded.max_score), f"{r.graded.percent:.1f}",
            *(m.status for m in r.graded.marks),
        ]
        for r in results
    ]  # fmt: skip
    absent = [MISSING] * len(exercise.asked_ids)
    rows += [[cell(s.student_id), cell(s.name), s.version, "0", number(max_score), "0.0", *absent]
             for s in missing]  # fmt: skip
    return csv_text([header, *rows])


def problems_csv(problems: Sequence[Problem]) -> str:
    rows = [[cell(p.file), "" if p.row is None else p.row, p.kind, cell(p.message)]
            for p in problems]  # fmt: skip
    return csv_text([["file", "row", "kind", "message"], *rows])


def grades_dict(
    exercise: Exercise,
    results: Sequence[Result],
    problems: Sequence[Problem],
    warnings: Sequence[str],
    policy: Policy,
    feedback: Sequence[str] | None = None,
    stats: dict[str, Any] | None = None,
    missing: Sequence[Sheet] = (),
) -> dict[str, Any]:
    """Everything graded, step by step (see the module docstring); `feedback`: each one's file;
    `missing`: the roster students who handed nothing in."""
    return {
        "schema": SCHEMA,
        "bpquiz_version": __version__,
        "policy": policy.describe(),
        "max_points": dict(policy.max_points(exercise)),
        "statistics": stats
        if stats is not None
        else statistics_dict(exercise, results, len(missing)),
        "missing": [
            {"student_id": s.student_id, "name": s.name, "version": s.version} for s in missing
        ],
        "submissions": [
            {
                "student_id": r.student_id,
                "name": r.name,
                "version": r.version,
                "source": r.submission.where,
                "score": r.graded.score,
                "max_score": r.graded.max_score,
                "percent": round(r.graded.percent, 2),
                "counts": r.graded.counts(),
                **({"feedback": feedback[k]} if feedback else {}),
                "steps": [
                    {
                        "id": m.id,
                        "written": m.written,
                        "parsed": m.parsed,
                        "key": m.key,
                        "status": m.status,
                        "points": m.points,
                        **({"recomputed": m.recomputed} if m.recomputed is not None else {}),
                    }
                    for m in r.graded.marks
                ],
            }
            for k, r in enumerate(results)
        ],
        "problems": [
            {"file": p.file, "row": p.row, "kind": p.kind, "message": p.message} for p in problems
        ],
        "warnings": list(warnings),
    }


def grades_json(*args: Any, **kwargs: Any) -> bytes:
    """grades.json (UTF-8): indented, but each submission on one line (10,000 in 0.3 s)."""
    data = grades_dict(*args, **kwargs)
    submissions = data.pop("submissions")
    problems = data.pop("problems")
    warnings = data.pop("warnings")
    head = json.dumps(data, indent=1, ensure_ascii=False)[:-2]  # without the closing "\n}"

    def lines(items: list[Any]) -> bytes:
        # orjson: the same JSON as json.dumps(ensure_ascii=False), as UTF-8 bytes, 6x faster;
        # joined as bytes, never as one 50 MB str.
        body = b",\n  ".join(orjson.dumps(x) for x in items)
        return b"[\n  " + body + b"\n ]" if items else b"[]"

    return b"".join([
        f'{head},\n "submissions": '.encode(), lines(submissions),
        b',\n "problems": ', lines(problems),
        b',\n "warnings": ', lines(warnings), b"\n}\n",
    ])  # fmt: skip


# --- class statistics ---------------------------------------------------------------------------


def statistics_dict(
    exercise: Exercise, results: Sequence[Result], missing: int = 0
) -> dict[str, Any]:
    """Scores (mean, median, spread) and per step the share of each status, of the graded
    submissions; `missing`: how many roster students handed nothing in (counted apart: an
    absence is not a 0% in the mean)."""
    percents = [r.graded.percent for r in results]
    n = len(results)
    per_step = {}
    for k, sid in enumerate(exercise.asked_ids):
        counts = dict.fromkeys(STATUSES, 0)
        for r in results:
            counts[r.graded.marks[k].status] += 1
        per_step[sid] = {
            **counts,
            "facility": (counts["correct"] + counts["ecf"]) / n if n else 0.0,
        }
    return {
        "graded": n,
        "missing": missing,
        "mean_percent": round(statistics.fmean(percents), 2) if n else None,
        "median_percent": round(statistics.median(percents), 2) if n else None,
        "stdev_percent": round(statistics.stdev(percents), 2) if n > 1 else None,
        "min_percent": round(min(percents), 2) if n else None,
        "max_percent": round(max(percents), 2) if n else None,
        "steps": per_step,
    }
