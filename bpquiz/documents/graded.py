"""The documents of a grading as PDF (worker side): each student's feedback, and the summary.

Every student's feedback has the same rows (feedback.html.j2), so a grading lays it out once from
a neutral student — sheet 0 of seed 0, code XXXXXX, every answer the key's (`neutral_result`):
it shares every student's layout and none of their text — and stamps each student's text on
that skeleton (`sheets.save_skeleton`, `sheets.stamp`), as `generate` does for the solutions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..constants import NEUTRAL_CODE, NEUTRAL_ID, NEUTRAL_NAME
from ..exercise.key import Sheet
from ..exercise.model import Exercise
from ..exercise.variants import draw_variant
from ..files import write_atomic
from ..marking.grading import Policy, grade_submission
from ..marking.match import Result
from ..marking.submissions import Submission
from . import render, sheets

TEMPLATE = "feedback.html.j2"


def neutral_result(exercise: Exercise, policy: Policy) -> Result:
    """A student who depends on no one: the feedback's skeleton is laid out from them."""
    variant = draw_variant(exercise, 0, 0, policy.decimals, None, NEUTRAL_CODE)
    answers = {sid: f"{variant.values[sid]:.{policy.decimals}f}" for sid in exercise.asked_ids}
    sheet = Sheet(variant, NEUTRAL_ID, NEUTRAL_NAME)
    submission = Submission("neutral", None, NEUTRAL_CODE, NEUTRAL_ID, NEUTRAL_NAME, answers)
    graded = grade_submission(variant, answers, policy)
    return Result(submission, sheet, NEUTRAL_ID, NEUTRAL_NAME, graded)


def build_feedback_skeleton(context: dict[str, Any], paper: str, path: Path) -> Path:
    """The feedback's skeleton, from the neutral student's context (`feedback_context`)."""
    return sheets.save_skeleton(
        "feedback", render.render_html(TEMPLATE, context), paper, False, path
    )


def render_feedback(
    path: Path, context: dict[str, Any], paper: str, skeleton: Path | None = None
) -> str:
    """Make and write one feedback PDF, stamped on `skeleton` (or rendered whole without one);
    returns "" or the error (never raises: one bad document must not stop the batch)."""
    try:
        text = render.render_html(TEMPLATE, context)
        write_atomic(path, sheets.stamp(text, paper, False, skeleton))
    except Exception as e:  # noqa: BLE001 - reported per student, the batch goes on
        return f"{type(e).__name__}: {e}"
    return ""


def render_summary(context: dict[str, Any], paper: str) -> bytes:
    return render.render_pdf("summary.html.j2", context, paper)
