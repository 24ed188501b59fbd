"""A class's grading: match submissions to the key, grade them, and the files that report it.

Pure but for the last section: `grade_class` and the text/context builders take data and return
data; `run_grade` (the shell behind `bpquiz grade`) reads the inputs, writes what the builders
return (atomically, via `files.write_atomic`) and renders the PDFs in worker processes.

- `gradebook.csv`: contract.md's columns, one row per graded submission, for a spreadsheet or an
  LMS gradebook import;
- `grades.json`: every submission and every step: the answer as written, its parsed value, the
  key, the status, the points (and the value recomputed from the student's own answers); each
  step's points possible once, under "max_points";
- `problems.csv`: what was not graded, or needs a look: file, row, kind, message;
- the contexts of `feedback.html.j2` (one per student) and `summary.html.j2` (the class).
"""

from __future__ import annotations

import csv
import difflib
import functools
import gc
import io
import json
import math
import os
import re
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import orjson

from . import __version__, keyfile
from .expr import HTML
from .files import write_atomic
from .grading import STATUSES, GradedSubmission, Policy, grade_submission
from .keyfile import ANSWER_COLUMNS, Key, KeyFileError, Sheet, parse_key
from .model import PHASES, Variant
from .network import BY_ID, STEP_IDS, typeset
from .submissions import Problem, Reading, Submission, expand, normalize_version, read_file

SCHEMA = "bpquiz.grades/1"
GRADEBOOK_COLUMNS = (*ANSWER_COLUMNS, "score", "max_score", "percent")


@dataclass(frozen=True)
class Result:
    """One graded submission: who, which sheet, and the marks."""

    submission: Submission
    sheet: Sheet
    student_id: str
    name: str
    graded: GradedSubmission

    @property
    def version(self) -> str:
        return self.sheet.version

    @property
    def student(self) -> str:
        """Who this is, for messages and file names: the student ID, else the version code."""
        return self.student_id or self.version


def grade_class(
    key: Key, submissions: Iterable[Submission], policy: Policy
) -> tuple[list[Result], list[Problem]]:
    """Grade every submission whose version is in the key; the rest become problems.

    A student (by student ID, else by version code) submitting twice is graded once: the first
    submission in input order counts, later ones are reported as `duplicate`. A sheet handed in
    under another student's ID than the key's, or one version handed in by two students, is graded
    and reported as `mismatch`.
    """
    sheets = {normalize_version(s.version): s for s in key.sheets}
    results: list[Result] = []
    problems: list[Problem] = []
    by_student: dict[str, Submission] = {}
    by_version: dict[str, Result] = {}
    for sub in submissions:
        sheet = sheets.get(sub.version)
        if sheet is None:
            close = (
                difflib.get_close_matches(sub.version, sheets, n=1, cutoff=0.6)
                if len(sheets) <= 5000
                else []
            )
            hint = f" (did you mean {sheets[close[0]].version}?)" if close else ""
            problems.append(
                Problem(sub.source, sub.row, "unknown-version",
                        f"unknown version code {sub.version!r}: not in the key{hint}; not graded")
            )  # fmt: skip
            continue
        student_id = sub.student_id or sheet.student_id
        name = sub.name or sheet.name
        who = (student_id or sheet.version).casefold()
        if who in by_student:
            first = by_student[who]
            problems.append(
                Problem(sub.source, sub.row, "duplicate",
                        f"student {student_id or sheet.version} already submitted in {first.where}; "
                        "this submission is not graded")
            )  # fmt: skip
            continue
        by_student[who] = sub
        if (
            sheet.student_id
            and sub.student_id
            and sub.student_id.casefold() != sheet.student_id.casefold()
        ):
            problems.append(
                Problem(sub.source, sub.row, "mismatch",
                        f"version {sheet.version} belongs to student {sheet.student_id} in the key, "
                        f"but was submitted by {sub.student_id}; graded against version {sheet.version}")
            )  # fmt: skip
        elif sheet.version in by_version:
            other = by_version[sheet.version]
            problems.append(
                Problem(sub.source, sub.row, "mismatch",
                        f"version {sheet.version} was also submitted by {other.student} "
                        f"({other.submission.where}); both are graded")
            )  # fmt: skip
        result = Result(
            sub, sheet, student_id, name, grade_submission(sheet.variant, sub.answers, policy)
        )
        results.append(result)
        by_version.setdefault(sheet.version, result)
    return results, problems


# --- plain numbers and safe cells ----------------------------------------------------------------


def number(x: float, places: int = 2) -> str:
    """A score for people and spreadsheets: 38, 38.5, 38.25 (no trailing zeros, no exponent)."""
    text = f"{x:.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def cell(text: str) -> str:
    """Text from a student, safe in a spreadsheet: a leading = + - @ would start a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv(rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


# --- gradebook.csv, grades.json, problems.csv --------------------------------------------------


def gradebook_csv(results: Sequence[Result]) -> str:
    header = [*GRADEBOOK_COLUMNS, *STEP_IDS]
    rows = [
        [
            cell(r.student_id), cell(r.name), r.version,
            number(r.graded.score), number(r.graded.max_score), f"{r.graded.percent:.1f}",
            *(m.status for m in r.graded.marks),
        ]
        for r in results
    ]  # fmt: skip
    return _csv([header, *rows])


def problems_csv(problems: Sequence[Problem]) -> str:
    rows = [[p.file, "" if p.row is None else p.row, p.kind, p.message] for p in problems]
    return _csv([["file", "row", "kind", "message"], *rows])


def grades_dict(
    results: Sequence[Result],
    problems: Sequence[Problem],
    warnings: Sequence[str],
    policy: Policy,
    feedback: Sequence[str] | None = None,
    stats: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything graded, step by step (see the module docstring); `feedback`: each one's file."""
    return {
        "schema": SCHEMA,
        "bpquiz_version": __version__,
        "policy": policy.describe(),
        "max_points": {sid: policy.max_points(sid) for sid in STEP_IDS},
        "statistics": stats if stats is not None else statistics_dict(results),
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


def statistics_dict(results: Sequence[Result]) -> dict[str, Any]:
    """Scores (mean, median, spread) and per step the share of each status."""
    percents = [r.graded.percent for r in results]
    n = len(results)
    per_step = {}
    for k, sid in enumerate(STEP_IDS):
        counts = dict.fromkeys(STATUSES, 0)
        for r in results:
            counts[r.graded.marks[k].status] += 1
        per_step[sid] = {
            **counts,
            "facility": (counts["correct"] + counts["ecf"]) / n if n else 0.0,
        }
    return {
        "graded": n,
        "mean_percent": round(statistics.fmean(percents), 2) if n else None,
        "median_percent": round(statistics.median(percents), 2) if n else None,
        "stdev_percent": round(statistics.stdev(percents), 2) if n > 1 else None,
        "min_percent": round(min(percents), 2) if n else None,
        "max_percent": round(max(percents), 2) if n else None,
        "steps": per_step,
    }


def histogram(percents: Sequence[float], bins: int = 10) -> list[int]:
    """Counts of percent scores in [0,10), [10,20), … [90,100] (100 falls in the last bin)."""
    counts = [0] * bins
    for p in percents:
        counts[min(bins - 1, max(0, int(p // (100 / bins))))] += 1
    return counts


# --- SVG plots (small: plain rects and text, which WeasyPrint paints quickly) -------------------

_COLORS = {
    "correct": "#4c9a52",
    "ecf": "#e0a030",
    "wrong": "#c94a4a",
    "blank": "#c8c8c8",
    "unreadable": "#8a8a8a",
}


def svg_histogram(percents: Sequence[float], width: int = 640, height: int = 190) -> str:
    counts = histogram(percents)
    top = max(counts) or 1
    left, bottom, right, head = 34, 26, 8, 10
    plot_w, plot_h = width - left - right, height - bottom - head
    bar = plot_w / len(counts)
    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans" font-size="9">'
        )
    ]
    ticks = _ticks(top)
    for t in ticks:
        y = head + plot_h - plot_h * t / ticks[-1]
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#ddd" stroke-width="0.6"/>'
        )
        parts.append(f'<text x="{left - 4}" y="{y + 3:.1f}" text-anchor="end">{t}</text>')
    for i, c in enumerate(counts):
        h = plot_h * c / ticks[-1]
        x = left + i * bar
        if c:
            parts.append(
                f'<rect x="{x + 2:.1f}" y="{head + plot_h - h:.1f}" width="{bar - 4:.1f}" height="{h:.1f}" fill="#4a78b0"/>'
            )
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{head + plot_h - h - 2:.1f}" text-anchor="middle" font-size="8">{c}</text>'
            )
        parts.append(
            f'<text x="{x:.1f}" y="{height - bottom + 12}" text-anchor="middle">{i * 10}</text>'
        )
    parts.append(
        f'<text x="{left + plot_w:.1f}" y="{height - bottom + 12}" text-anchor="middle">100</text>'
    )
    parts.append(
        f'<line x1="{left}" y1="{head + plot_h}" x2="{width - right}" y2="{head + plot_h}" stroke="#333" stroke-width="0.8"/>'
    )
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 2}" text-anchor="middle">score (%)</text>'
    )
    parts.append(
        f'<text x="9" y="{head + plot_h / 2:.1f}" text-anchor="middle" transform="rotate(-90 9 {head + plot_h / 2:.1f})">students</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _ticks(top: int) -> list[int]:
    step = max(1, math.ceil(top / 4))
    for nice in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if nice >= step:
            step = nice
            break
    return list(range(0, top + step, step)) if top % step else list(range(0, top + 1, step))


def svg_facility(per_step: dict[str, dict[str, Any]], width: int = 640) -> str:
    """One stacked bar per step: shares correct, ecf, wrong, blank, unreadable."""
    row, label_w, right, head = 13.0, 104, 32, 16
    height = int(head + row * len(STEP_IDS) + 6)
    plot_w = width - label_w - right
    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans" font-size="7.5">'
        )
    ]
    x = label_w
    for status in STATUSES:  # legend
        parts.append(f'<rect x="{x}" y="2" width="8" height="8" fill="{_COLORS[status]}"/>')
        parts.append(f'<text x="{x + 11}" y="9">{status}</text>')
        x += 14 + 6 * len(status) + 10
    for k, sid in enumerate(STEP_IDS):
        s = per_step[sid]
        total = sum(s[st] for st in STATUSES) or 1
        y = head + k * row
        parts.append(
            f'<text x="{label_w - 4}" y="{y + 7.5:.1f}" text-anchor="end">{escape(sid)}</text>'
        )
        x = float(label_w)
        for status in STATUSES:
            w = plot_w * s[status] / total
            if w > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{row - 2:.1f}" fill="{_COLORS[status]}"/>'
                )
            x += w
        parts.append(
            f'<text x="{label_w + plot_w + 3}" y="{y + 7.5:.1f}">{100 * s["facility"]:.0f}%</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


# --- feedback and summary documents --------------------------------------------------------------


def feedback_context(result: Result, policy: Policy, settings: dict[str, Any]) -> dict[str, Any]:
    """What feedback.html.j2 shows for one student (plain data: it travels to a worker process).

    Per step: its symbol, the answer as written and how it was read, the key at the asked
    decimals, the status and points, for an `ecf` step the value from the student's own answers,
    and for a step not earned the worked solution's lines (`worked_lines`).
    """
    g = result.graded
    variant = result.sheet.variant
    decimals = policy.decimals
    marks = {m.id: m for m in g.marks}
    phases = []
    for phase, title in PHASES.items():
        steps = []
        for sid in STEP_IDS:
            if BY_ID[sid].phase != phase:
                continue
            m = marks[sid]
            steps.append(
                {
                    "number": NUMBER[sid],
                    "id": sid,
                    "label": BY_ID[sid].label,
                    "symbol": _symbolic(sid, "symbol"),
                    "written": m.written.strip(),
                    "read_as": _read_as(m.written, m.parsed, decimals),
                    "key": _fixed(m.key, decimals),
                    "status": m.status,
                    "points": number(m.points),
                    "max_points": number(m.max_points),
                    "recomputed": _fixed(m.recomputed, decimals)
                    if m.status == "ecf" and m.recomputed is not None
                    else "",
                    "lines": worked_lines(variant, sid, decimals)
                    if m.status in SHOW_WORKED
                    else [],
                }
            )
        phases.append({"title": title, "steps": steps})
    return {
        "title": settings.get("title") or "Backpropagation exercise",
        "course": settings.get("course") or "",
        "version": result.version,
        "student_id": result.student_id,
        "name": result.name,
        "score": number(g.score),
        "max_score": number(g.max_score),
        "percent": f"{g.percent:.0f}",
        "counts": g.counts(),
        "decimals": decimals,
        "tolerance": policy.describe()["tolerance"],
        "ecf_credit": number(policy.ecf_credit * 100, 0) if policy.ecf else "",
        "phases": phases,
    }


SHOW_WORKED = ("wrong", "blank", "unreadable")
NUMBER = {sid: k for k, sid in enumerate(STEP_IDS, start=1)}


@functools.cache
def _math(numeric: bool) -> HTML:
    """The HTML typesetter of the printed documents: render.PrintMath (fewer boxes, so faster
    to lay out, same look), or `expr.HTML` where render is not importable."""
    try:
        from .render import PrintMath
    except ImportError:  # pragma: no cover - render's dependencies missing
        return HTML(numeric=numeric)
    return PrintMath(numeric=numeric)


@functools.cache
def _symbolic(step_id: str, part: str) -> str:
    """A step's symbol, chain rule, expanded form or formula in HTML math (same for everyone)."""
    return typeset(getattr(BY_ID[step_id], part), _math(False))


def worked_lines(variant: Variant, step_id: str, decimals: int) -> list[str]:
    """The right-hand sides of a step's worked solution, as the solution writes them: the chain
    rule (if any), the components written out (or the formula), then the numbers substituted
    (earlier results at `decimals` decimals, as carried). The template adds `symbol =` and `= key`.
    """
    d = BY_ID[step_id]
    lines = [_symbolic(step_id, "chain")] if d.chain is not None else []
    second = _symbolic(step_id, "expanded" if d.expanded is not None else "formula")
    if second not in lines:
        lines.append(second)
    lines.append(typeset(d.formula, _math(True), variant, decimals))
    return lines


def _fixed(x: float, decimals: int) -> str:
    text = f"{x:.{decimals}f}"
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    return text.replace("-", "−")


def _read_as(written: str, parsed: float | None, decimals: int) -> str:
    """How a messy answer was read, when that is not plain from the text ("0,601" -> 0.601)."""
    if parsed is None:
        return ""
    plain = written.strip()
    if re.fullmatch(r"-?\d+\.\d+|-?\d+", plain):
        return ""
    # Keep the decimals as written ("1,55040" reads as 1.55040, not 1.5504), unless an exponent
    # moves the point.
    places = re.fullmatch(r"[^\deE×·]*\d*[.,](\d+)\s*", plain)
    if places and abs(parsed) < 1e6:
        return f"{parsed:.{len(places.group(1))}f}".replace("-", "−")
    return f"{parsed:.{max(decimals, 1) + 3}g}".replace("-", "−")


def summary_context(
    results: Sequence[Result],
    problems: Sequence[Problem],
    policy: Policy,
    settings: dict[str, Any],
    stats: dict[str, Any] | None = None,
) -> dict[str, Any]:
    stats = stats if stats is not None else statistics_dict(results)
    per_step = stats["steps"]
    wrong_rank = sorted(
        (sid for sid in STEP_IDS if per_step[sid]["wrong"] + per_step[sid]["unreadable"] > 0),
        key=lambda sid: (
            -(per_step[sid]["wrong"] + per_step[sid]["unreadable"]),
            STEP_IDS.index(sid),
        ),
    )[:8]
    n = stats["graded"]
    return {
        "title": settings.get("title") or "Backpropagation exercise",
        "course": settings.get("course") or "",
        "graded": n,
        "problems": len(problems),
        "stats": stats,
        "mean": f"{stats['mean_percent']:.1f}" if n else "–",
        "median": f"{stats['median_percent']:.1f}" if n else "–",
        "stdev": f"{stats['stdev_percent']:.1f}" if stats["stdev_percent"] is not None else "–",
        "low": f"{stats['min_percent']:.1f}" if n else "–",
        "high": f"{stats['max_percent']:.1f}" if n else "–",
        "tolerance": policy.describe()["tolerance"],
        "ecf": f"on, {number(policy.ecf_credit * 100, 0)}% credit" if policy.ecf else "off",
        "histogram": svg_histogram([r.graded.percent for r in results]),
        "facility": svg_facility(per_step),
        "most_wrong": [
            {
                "id": sid,
                "label": BY_ID[sid].label,
                "wrong": per_step[sid]["wrong"] + per_step[sid]["unreadable"],
                "share": f"{100 * (per_step[sid]['wrong'] + per_step[sid]['unreadable']) / n:.0f}"
                if n
                else "0",
                "ecf": per_step[sid]["ecf"],
                "blank": per_step[sid]["blank"],
            }
            for sid in wrong_rank
        ],
    }


def feedback_names(results: Sequence[Result]) -> list[str]:
    """Each result's feedback file name: its student ID (else version) made safe, unique in the run."""
    names: list[str] = []
    taken: set[str] = set()
    for k, r in enumerate(results, start=1):
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", r.student).strip("._-") or r.version
        name = base
        for candidate in (base, f"{base}-{r.version}", f"{base}-{r.version}-{k}"):
            if candidate.casefold() not in taken:
                name = candidate
                break
        taken.add(name.casefold())
        names.append(f"{name}.pdf")
    return names


# --- the run (the shell: reads and writes files) -------------------------------------------------


class GradeError(ValueError):
    """A problem with the user's input that stops the run before anything is written; one line."""


Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class FeedbackJob:
    """One student's feedback document: small, picklable data for a worker process."""

    path: Path
    context: dict[str, Any]
    paper: str


@dataclass
class Run:
    """What a grading run did: the graded results, the problems, and the files written."""

    out: Path
    results: list[Result] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    feedback_failed: list[str] = field(default_factory=list)
    inputs: int = 0  # files read
    seconds: dict[str, float] = field(default_factory=dict)  # stage -> wall time

    @functools.cached_property
    def statistics(self) -> dict[str, Any]:
        """Class statistics (`statistics_dict`), computed once the results are in."""
        return statistics_dict(self.results)


def load_key(path: Path) -> Key:
    try:
        data = keyfile.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise GradeError(f"{path}: no such key file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise GradeError(f"{path}: cannot read the key ({e})") from None
    except json.JSONDecodeError as e:
        raise GradeError(
            f"{path}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})"
        ) from None
    try:
        return parse_key(data)
    except KeyFileError as e:
        raise GradeError(f"{path}: {e}") from None


def check_out(out: Path, force: bool) -> None:
    """An existing gradebook is kept unless --force; nothing is written before this check."""
    if out.exists() and not out.is_dir():
        raise GradeError(f"{out}: exists and is not a folder")
    if (out / "gradebook.csv").exists() and not force:
        raise GradeError(f"{out / 'gradebook.csv'} exists (use --force to overwrite it)")


def read_inputs(
    paths: Sequence[Path], exclude: Sequence[Path] = (), jobs: int | None = None,
    progress: Progress | None = None,
) -> tuple[Reading, int]:  # fmt: skip
    """Every submission under `paths`, in input order; PDFs are read in worker processes."""
    files, reading = expand(paths, exclude)
    pdfs = [f for f in files if f.suffix.lower() == ".pdf"]
    workers = min(jobs or os.cpu_count() or 1, max(1, len(pdfs) // 16))
    done = 0
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            parts = pool.map(read_file, files, chunksize=8)
            for part in parts:
                reading.extend(part)
                done += 1
                if progress:
                    progress("reading", done, len(files))
    else:
        for f in files:
            reading.extend(read_file(f))
            done += 1
            if progress:
                progress("reading", done, len(files))
    return reading, len(files)


def _init_feedback_worker(paper: str) -> None:
    from . import render

    render.warm_up(papers=(paper,), templates=("feedback.html.j2",))


def render_feedback(job: FeedbackJob) -> str:
    """Render and write one feedback PDF; returns "" or the error (never raises)."""
    from . import render

    try:
        write_atomic(job.path, render.render_pdf("feedback.html.j2", job.context, job.paper))
    except Exception as e:  # noqa: BLE001 - one bad document must not stop the batch
        return f"{type(e).__name__}: {e}"
    return ""


def _render_all(
    jobs_list: list[FeedbackJob], jobs: int | None, progress: Progress | None
) -> list[str]:
    """Each job's error ("" when written), in order."""
    if not jobs_list:
        return []
    workers = min(jobs or os.cpu_count() or 1, len(jobs_list))
    errors = [""] * len(jobs_list)
    if workers <= 1:
        _init_feedback_worker(jobs_list[0].paper)
        for k, job in enumerate(jobs_list):
            errors[k] = render_feedback(job)
            if progress:
                progress("feedback", k + 1, len(jobs_list))
        return errors
    with ProcessPoolExecutor(
        max_workers=workers, initializer=_init_feedback_worker, initargs=(jobs_list[0].paper,)
    ) as pool:
        futures = {pool.submit(render_feedback, job): k for k, job in enumerate(jobs_list)}
        for done, future in enumerate(as_completed(futures), start=1):
            errors[futures[future]] = future.result()
            if progress:
                progress("feedback", done, len(jobs_list))
    return errors


def _render_summary(context: dict[str, Any], paper: str) -> bytes:
    from . import render

    return render.render_pdf("summary.html.j2", context, paper)


def run_grade(
    inputs: Sequence[Path],
    key_path: Path,
    out: Path,
    policy: Policy | None = None,
    *,
    decimals: int | None = None,
    policy_args: dict[str, Any] | None = None,
    force: bool = False,
    feedback: bool = True,
    summary: bool = True,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> Run:
    """Grade everything under `inputs` against the key; write the reports to `out`.

    `policy` None: `Policy(**policy_args)` at `decimals`, by default the key's. Order of writing: feedback PDFs, summary,
    grades.json, problems.csv, and gradebook.csv last, so that a gradebook means a finished run.
    """
    key = load_key(key_path)
    check_out(out, force)
    # The key and, later, the marks are many small objects that live to the end of the run: keep
    # the cyclic garbage collector from scanning them again and again (3x faster on 10,000 rows).
    gc.freeze()
    settings = dict(key.settings)
    if policy is None:
        if decimals is None:
            decimals = int(settings.get("decimals", 5))
        policy = Policy(decimals=decimals, **(policy_args or {}))
    run = Run(out)
    clock = time.perf_counter()
    reading, run.inputs = read_inputs(inputs, exclude=[out], jobs=jobs, progress=progress)
    if run.inputs == 0:  # nothing to grade is a usage error, not an empty gradebook
        raise GradeError(
            "; ".join(p.line() for p in reading.problems)
            or "no CSV, JSON or PDF files found in " + ", ".join(map(str, inputs))
        )
    run.warnings = reading.warnings
    run.results, class_problems = grade_class(key, reading.submissions, policy)
    run.problems = reading.problems + class_problems
    run.seconds["read+grade"] = time.perf_counter() - clock

    out.mkdir(parents=True, exist_ok=True)
    names = feedback_names(run.results)
    if feedback:
        clock = time.perf_counter()
        folder = out / "feedback"
        if force and folder.is_dir():
            for old in folder.glob("*.pdf"):  # an earlier run's feedback: ours to replace
                old.unlink()
        paper = str(settings.get("paper") or "a4")
        jobs_list = [
            FeedbackJob(
                folder / name,
                feedback_context(r, policy, settings),
                paper if paper in ("a4", "letter") else "a4",
            )
            for r, name in zip(run.results, names)
        ]
        for r, job, error in zip(run.results, jobs_list, _render_all(jobs_list, jobs, progress)):
            if error:
                run.feedback_failed.append(f"{r.student}: {error}")
                run.problems.append(
                    Problem(
                        r.submission.source,
                        r.submission.row,
                        "feedback",
                        f"feedback PDF not written: {error}",
                    )
                )
        if jobs_list:
            run.files["feedback/"] = folder
        run.seconds["feedback"] = time.perf_counter() - clock
    # The summary renders in a process of its own (importing WeasyPrint alone takes 0.5 s) while
    # this one writes grades.json; it is written before grades.json's rename all the same.
    clock = time.perf_counter()
    summary_pool = ProcessPoolExecutor(max_workers=1) if summary else None
    try:
        if summary_pool is not None:
            paper = str(settings.get("paper") or "a4")
            rendering = summary_pool.submit(
                _render_summary,
                summary_context(run.results, run.problems, policy, settings, run.statistics),
                paper if paper in ("a4", "letter") else "a4",
            )
        written = [f"feedback/{n}" for n in names] if feedback else None
        reports = (
            ("grades.json", grades_json(run.results, run.problems, run.warnings, policy, written, run.statistics)),
            ("problems.csv", problems_csv(run.problems)),
            ("gradebook.csv", gradebook_csv(run.results)),
        )  # fmt: skip
        if summary_pool is not None:
            write_atomic(out / "summary.pdf", rendering.result())
            run.files["summary.pdf"] = out / "summary.pdf"
        for name, text in reports:
            write_atomic(out / name, text)
            run.files[name] = out / name
    finally:
        if summary_pool is not None:
            summary_pool.shutdown()
    run.seconds["write"] = time.perf_counter() - clock
    return run
