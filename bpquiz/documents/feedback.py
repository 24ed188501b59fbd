"""What the grading documents show: a student's feedback and the class summary (plain data).

The feedback lists every asked step with the student's answer beside the key, its status and
points, and under each step not earned the worked solution's lines (`exercise.typeset.lines`,
the same lines the solution prints). The summary holds the class statistics and two charts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..exercise.model import Exercise
from ..exercise.typeset import lines, phase_title
from ..marking.grading import Policy
from ..marking.match import Result
from ..marking.reports import number
from ..marking.submissions import Problem
from .charts import svg_facility, svg_histogram
from .views import NUMBERS, Page, step_numbers

SHOW_WORKED = ("wrong", "blank", "unreadable")


def feedback_context(result: Result, policy: Policy, page: Page) -> dict[str, Any]:
    """What feedback.html.j2 shows for one student (plain data: it travels to a worker process).

    Per step: its symbol, the answer as written and how it was read, the key at the asked
    decimals, the status and points, for an `ecf` step the value from the student's own answers,
    and for a step not earned the worked solution's lines.
    """
    g = result.graded
    variant = result.sheet.variant
    exercise = variant.exercise
    decimals = policy.decimals
    numbers = step_numbers(exercise)
    marks = {m.id: m for m in g.marks}
    phases = []
    for phase, definitions in exercise.by_phase:
        steps = []
        for d in definitions:
            m = marks[d.id]
            shown = lines(d, NUMBERS, exercise, variant, decimals)
            steps.append(
                {
                    "number": numbers[d.id],
                    "id": d.id,
                    "label": d.label,
                    "symbol": shown.symbol,
                    "written": m.written.strip(),
                    "read_as": read_as(m.written, m.parsed, decimals),
                    "key": NUMBERS.number(m.key, decimals),
                    "status": m.status,
                    "points": number(m.points),
                    "max_points": number(m.max_points),
                    "recomputed": NUMBERS.number(m.recomputed, decimals)
                    if m.status == "ecf" and m.recomputed is not None
                    else "",
                    # The right-hand sides; the template adds `symbol =` and `= key`.
                    "lines": [*shown.derivation, shown.numbers] if m.status in SHOW_WORKED else [],
                }
            )
        phases.append({"title": phase_title(exercise, phase), "steps": steps})
    return {
        "title": page.title,
        "course": page.course,
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


def read_as(written: str, parsed: float | None, decimals: int) -> str:
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
    exercise: Exercise,
    results: Sequence[Result],
    problems: Sequence[Problem],
    policy: Policy,
    page: Page,
    stats: dict[str, Any],
) -> dict[str, Any]:
    """What summary.html.j2 shows: `stats` (`marking.reports.statistics_dict`) and charts."""
    per_step = stats["steps"]
    order = list(per_step)
    wrong_rank = sorted(
        (sid for sid in order if per_step[sid]["wrong"] + per_step[sid]["unreadable"] > 0),
        key=lambda sid: (-(per_step[sid]["wrong"] + per_step[sid]["unreadable"]), order.index(sid)),
    )[:8]
    n = stats["graded"]
    return {
        "title": page.title,
        "course": page.course,
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
        "facility": svg_facility(per_step, order),
        "most_wrong": [
            {
                "id": sid,
                "label": exercise.by_id[sid].label,
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
