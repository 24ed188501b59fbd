"""What the grading documents show: a student's feedback and the class summary (plain data).

The feedback lists every asked step with the student's answer beside the key, its status and
points, and under each step its worked line (`exercise.typeset.lines`, as the solution prints
it): the formula, then the numbers and the result. Every student's feedback has the same rows,
so that a grading lays the feedback out once and stamps each student's text on it
(`documents.stamping`). The summary holds the class statistics and two charts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..constants import DEFAULT_TITLE, STATUSES
from ..exercise.functions import N_
from ..exercise.model import Exercise
from ..exercise.solve import carried
from ..exercise.typeset import lines, phase_title
from ..marking.grading import Policy
from ..marking.match import Result
from ..marking.reports import number
from ..marking.submissions import Problem
from .charts import svg_facility, svg_histogram
from .i18n import decimal_sign
from .views import Page, math_for, step_numbers, tr

WRITTEN_ROOM = 16  # characters of an answer the feedback's column shows (monospaced)
STATUS_NAMES = {"correct": N_("correct"), "ecf": N_("ecf"), "wrong": N_("wrong"),
                "blank": N_("blank"), "unreadable": N_("unreadable"),
                "imprecise": N_("imprecise"), "missing": N_("missing")}  # fmt: skip


def status_names(lang: str) -> dict[str, str]:
    _ = tr(lang)
    return {status: _(text) for status, text in STATUS_NAMES.items()}


def feedback_context(result: Result, policy: Policy, page: Page) -> dict[str, Any]:
    """What feedback.html.j2 shows for one student (plain data: it travels to a worker process).

    Per step: its symbol, the answer as written and how it was read, the key at the asked
    decimals, the status and points, for an `ecf` step the value from the student's own answers,
    and its worked line: the formula and the numbers (the result is the key).
    """
    g = result.graded
    variant = result.sheet.variant
    exercise = variant.exercise
    decimals = policy.decimals
    _, NUMBERS = math_for(page.lang)
    kept = carried(variant, decimals)
    numbers = step_numbers(exercise)
    marks = {m.id: m for m in g.marks}
    phases = []
    for phase, definitions in exercise.by_phase:
        steps = []
        for d in definitions:
            m = marks[d.id]
            shown = lines(d, NUMBERS, exercise, variant, decimals, kept)
            steps.append(
                {
                    "number": numbers[d.id],
                    "id": d.id,
                    "label": d.label.translated(tr(page.lang)),
                    "symbol": shown.symbol,
                    "written": shorten(m.written.strip(), WRITTEN_ROOM),
                    "read_as": read_as(m.written, m.parsed, decimals, page.lang),
                    "key": NUMBERS.number(m.key, decimals),
                    "status": m.status,
                    "points": number(m.points),
                    "max_points": number(m.max_points),
                    "recomputed": NUMBERS.number(m.recomputed, decimals)
                    if m.status == "ecf" and m.recomputed is not None
                    else "",
                    # The right-hand sides; the template adds `symbol =` and `= key`.
                    "formula": shown.formula,
                    "numbers": shown.numbers,
                }
            )
        phases.append({"title": phase_title(exercise, phase, tr(page.lang)), "steps": steps})
    return {
        "lang": page.lang,
        "statuses": STATUSES,
        "status_names": status_names(page.lang),
        "title": tr(page.lang)(DEFAULT_TITLE) if page.title == DEFAULT_TITLE else page.title,
        "course": page.course,
        "version": result.version,
        "student_id": result.student_id,
        "name": result.name,
        "score": number(g.score),
        "max_score": number(g.max_score),
        "percent": f"{g.percent:.0f}",
        "counts": g.counts(),
        "decimals": decimals,
        "tolerance": tolerance_text(policy, page.lang),
        "ecf_credit": number(policy.ecf_credit * 100, 0) if policy.ecf else "",
        "imprecise_credit": number(policy.imprecise_credit * 100, 0),
        "phases": phases,
    }


def shorten(text: str, room: int) -> str:
    """A text cut to `room` characters, the cut marked (an answer is one line of its column)."""
    text = " ".join(text.split())
    return text if len(text) <= room else text[: room - 1] + "…"


def tolerance_text(policy: Policy, lang: str) -> str:
    """The tolerance in the documents' language: ±0,00001 (eine Einheit der letzten Stelle)."""
    sign = decimal_sign(lang)
    return policy.tolerance_text(lambda x: policy.show_number(x).replace(".", sign), tr(lang))


def read_as(written: str, parsed: float | None, decimals: int, lang: str = "en") -> str:
    """How a messy answer was read, when that is not plain from the text ("0,601" -> 0.601 in
    English, "6.01e-1" -> 0.601; a plain "0.601" needs no note in any language)."""
    if parsed is None:
        return ""
    plain = written.strip()
    sign = decimal_sign(lang)
    if re.fullmatch(r"-?\d+[.,]\d+|-?\d+", plain) and (sign == "," or "," not in plain):
        return ""  # a plain decimal, with the language's sign or a point: nothing to explain
    # Keep the decimals as written ("1,55040" reads as 1.55040, not 1.5504), unless an exponent
    # moves the point.
    places = re.fullmatch(r"[^\deE×·]*\d*[.,](\d+)\s*", plain)
    if places and abs(parsed) < 1e6:
        text = f"{parsed:.{len(places.group(1))}f}"
    else:
        text = f"{parsed:.{max(decimals, 1) + 3}g}"
    return text.replace("-", "−").replace(".", sign)


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
    _ = tr(page.lang)
    sign = decimal_sign(page.lang)

    def pct(x: float) -> str:
        return f"{x:.1f}".replace(".", sign)

    return {
        "lang": page.lang,
        "title": tr(page.lang)(DEFAULT_TITLE) if page.title == DEFAULT_TITLE else page.title,
        "course": page.course,
        "graded": n,
        "problems": len(problems),
        "stats": stats,
        "mean": pct(stats["mean_percent"]) if n else "–",
        "median": pct(stats["median_percent"]) if n else "–",
        "stdev": pct(stats["stdev_percent"]) if stats["stdev_percent"] is not None else "–",
        "low": pct(stats["min_percent"]) if n else "–",
        "high": pct(stats["max_percent"]) if n else "–",
        "tolerance": tolerance_text(policy, page.lang),
        "ecf": _("on, %(credit)s %% credit") % {"credit": number(policy.ecf_credit * 100, 0)}
        if policy.ecf
        else _("off"),
        "histogram": svg_histogram(
            [r.graded.percent for r in results], (_("score (%)"), _("students"))
        ),
        "facility": svg_facility(per_step, order, status_names(page.lang)),
        "most_wrong": [
            {
                "id": sid,
                "label": exercise.by_id[sid].label.translated(_),
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
