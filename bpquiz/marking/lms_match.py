"""An LMS's submissions and the key: which variant each one is, and the grades going back.

`identify` runs once the key is read, before `match.grade_class`: an LMS submission whose
version its file did not name (a Moodle report without the "Question text" column) gets it from
Moodle's right answers, which are the key's values as exported, or else from its own answers,
which must agree with exactly one variant's key on more steps than with any other and on at
least `MIN_AGREEING` of them. A warning per file says how its versions were found.

`moodle_gradebook_csv` is the gradebook a Moodle course imports (Grades → Import → CSV file):
one identity column, which Moodle's import matches on ("Email address" → the user's email, or
"ID number" → the user's ID number), and one grade column, the percentage (0–100): map it to a
new grade item, whose maximum grade is 100.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ..exercise.key import Key
from .answers import parse_answer
from .grading import Policy
from .lms import LmsSubmission
from .match import Result
from .reports import cell
from .submissions import Problem, Reading

MIN_AGREEING = 3  # with 1,000 variants, a 5-decimal answer agrees with some variant by chance
HOW = {
    "question": "read from the question text",
    "item": "read from the item identifiers",
    "right": "found from the 'Right answer' column",
    "answers": "found by matching the answers against the key",
}
SURER = ' (tick "Question text" in Moodle\'s report to have them read from the question text)'


def _decimals(text: str) -> int:
    digits = text.strip().replace(",", ".").partition(".")[2]
    return len(digits.lower().partition("e")[0])


class _Finder:
    """The key's asked values as a matrix (a row per variant), built when first needed."""

    def __init__(self, key: Key, policy: Policy):
        self.key = key
        self.unit = policy.unit
        self._values: np.ndarray | None = None

    @property
    def values(self) -> np.ndarray:
        if self._values is None:
            ids = self.key.exercise.asked_ids
            self._values = np.array(
                [[s.variant.values[i] for i in ids] for s in self.key.sheets], dtype=np.float64
            ).reshape(len(self.key.sheets), len(ids))
        return self._values

    @staticmethod
    def _numbers(texts: Sequence[object]) -> np.ndarray:
        parsed = [parse_answer(t) for t in texts]
        return np.array([p.value if p.value is not None else math.nan for p in parsed])

    def by_right(self, right: Sequence[str]) -> tuple[str | None, str]:
        """The one variant whose values are the right answers as Moodle wrote them (each within
        half a unit of its last written decimal)."""
        r = self._numbers(right)
        if np.isnan(r).any():
            return None, "the 'Right answer' column has a part that is no number"
        half = np.array([0.5 * 10.0 ** -_decimals(t) + 1e-12 for t in right])
        with np.errstate(invalid="ignore"):
            hits = np.flatnonzero((np.abs(self.values - r) <= half).all(axis=1))
        if len(hits) != 1:
            return None, ("its 'Right answer' values are those of no variant of this key "
                          "(another class's key?)" if not len(hits) else
                          "its 'Right answer' values fit several variants")  # fmt: skip
        return self.key.sheets[int(hits[0])].version, ""

    def by_answers(self, answers: Sequence[object]) -> tuple[str | None, str]:
        """The variant whose key agrees with the most answers (within one unit), if that is one
        variant, on at least MIN_AGREEING steps."""
        a = self._numbers(answers)
        with np.errstate(invalid="ignore"):
            agree = (np.abs(self.values - a) <= self.unit * (1 + 1e-6)).sum(axis=1)
        best = int(agree.max()) if len(agree) else 0
        winners = np.flatnonzero(agree == best)
        if best < MIN_AGREEING or len(winners) != 1:
            return None, (
                "no version code (no 'Question' column: tick \"Question text\" in the report) "
                f"and its answers agree with no one variant on {MIN_AGREEING} or more steps "
                f"(best: {best})"
            )
        return self.key.sheets[int(winners[0])].version, ""


def identify(key: Key, reading: Reading, policy: Policy) -> Reading:
    """`reading` with every LMS submission's version known, or made a problem (see above)."""
    if not any(isinstance(s, LmsSubmission) for s in reading.submissions):
        return reading
    finder = _Finder(key, policy)
    ids = key.exercise.asked_ids
    found = Reading(problems=list(reading.problems), warnings=list(reading.warnings))
    per_file: dict[str, dict[str, list[int | None]]] = {}
    for sub in reading.submissions:
        if not isinstance(sub, LmsSubmission):
            found.submissions.append(sub)
            continue
        how, version, why = sub.how, sub.version, ""
        if not version and sub.right:
            how, (version, why) = "right", finder.by_right(sub.right)
        if not version and not why:
            how, (version, why) = "answers", finder.by_answers([sub.answers.get(i) for i in ids])
        if not version:
            found.problems.append(Problem(sub.source, sub.row, "bad-row", why))
            continue
        per_file.setdefault(sub.source, {}).setdefault(how, []).append(sub.row)
        found.submissions.append(replace(sub, version=version, how=how))
    for file, hows in per_file.items():
        said = []
        for how, rows in hows.items():
            count = f"{len(rows)} submission{'s' * (len(rows) != 1)}"
            listed = ", ".join(str(r) for r in rows[:8]) + (", …" if len(rows) > 8 else "")
            said.append(f"{HOW[how]} ({count}" + (f": rows {listed})" if how == "answers"
                                                   else ")"))  # fmt: skip
        surer = SURER if hows.keys() & {"right", "answers"} else ""
        found.warnings.append(f"{file}: version codes {'; '.join(said)}{surer}")
    return found


def moodle_gradebook_csv(results: Sequence[Result], title: str) -> tuple[str, list[str]]:
    """The Moodle gradebook import (see above) and warnings for rows Moodle cannot match.

    The identity column is the email address when every result has one (the Moodle route),
    else the ID number (bpquiz's student ID).
    """
    emails = [getattr(r.submission, "email", "") for r in results]
    by_email = bool(results) and all(emails)
    header = ["Email address" if by_email else "ID number", f"bpquiz: {title}"]
    rows = [
        [cell(email if by_email else r.student_id), f"{r.graded.percent:.2f}"]
        for r, email in zip(results, emails)
    ]
    missing = [r.version for r, row in zip(results, rows) if not row[0]]
    warnings = [
        f"gradebook-moodle.csv: {len(missing)} row(s) without an {header[0].lower()} "
        f"(versions {', '.join(missing[:5])}{', …' if len(missing) > 5 else ''}): Moodle "
        "cannot match them to a user"
    ] if missing else []  # fmt: skip
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue(), warnings
