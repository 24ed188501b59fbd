"""Matching submissions to the key's sheets, and grading each (pure: no files).

A submission names its sheet by the version code. A student (by student ID, else by version
code) submitting twice is graded once, and never on a blank submission when another has answers,
nor on one that names no student when another names the sheet's own; a sheet handed in under
another student's ID, or one version handed in by two students, is graded and reported.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from ..exercise.key import Key, Sheet
from ..roster import student_key
from .grading import GradedSubmission, Policy, grade_submission
from .submissions import Problem, Submission, normalize_version


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

    A student (by student ID, else by the sheet's roster ID, else by version code) submitting
    more than once is graded once, on the submission that (1) has an answer at all, (2) names
    the sheet's own student, (3) comes first in input order; the others are `duplicate`s naming
    it, not graded. So a blank row, or a classmate's answers that name no student, never
    displaces the owner's. A sheet handed in under another student's ID than the key's, or one
    version graded for two students, is graded and reported as `mismatch`, naming both.
    """
    sheets = {normalize_version(s.version): s for s in key.sheets}
    problems: list[tuple[int, Problem]] = []  # (input position, problem): reported in order
    claims: list[tuple[int, Submission, Sheet]] = []
    for k, sub in enumerate(submissions):
        sheet = sheets.get(sub.version)
        if sheet is None:
            problems.append((k, _unknown(sub, sheets)))
        else:
            claims.append((k, sub, sheet))

    by_student: dict[str, list[tuple[int, Submission, Sheet]]] = {}
    for claim in claims:
        by_student.setdefault(_who(claim[1], claim[2]), []).append(claim)
    graded: set[int] = set()
    for group in by_student.values():
        best = min(group, key=_rank)
        graded.add(best[0])
        for k, sub, sheet in group:
            if k != best[0]:
                problems.append((k, _duplicate(k, sub, sheet, best)))

    results: list[Result] = []
    owners = {_who(s, sh): s for k, s, sh in claims if k in graded and _owns(s, sh)}
    by_version: dict[str, Result] = {}
    for k, sub, sheet in claims:
        if k not in graded:
            continue
        # A variant the LMS drew at random was not made for the key's student of that sheet:
        # such a submission (not `assigned`) owns no sheet and is never a mismatch.
        if sub.assigned and sheet.student_id and sub.student_id and not _owns(sub, sheet):
            own = owners.get(student_key(sheet.student_id))
            also = f"; {sheet.student_id}'s own is {own.where}, graded too" if own else ""
            problems.append((k, Problem(sub.source, sub.row, "mismatch",
                f"version {sheet.version} belongs to student {sheet.student_id} in the key, but "
                f"was submitted by {sub.student_id}; graded against version {sheet.version}"
                f"{also}")))  # fmt: skip
        elif sub.assigned and sheet.version in by_version and not _owns(sub, sheet):
            other = by_version[sheet.version]
            problems.append((k, Problem(sub.source, sub.row, "mismatch",
                f"version {sheet.version} was also submitted by {other.student} "
                f"({other.submission.where}); both are graded")))  # fmt: skip
        mine = sub.assigned  # the key's student and name are the submitter's only if handed out
        result = Result(sub, sheet, sub.student_id or (sheet.student_id if mine else ""),
                        sub.name or (sheet.name if mine else ""),
                        grade_submission(sheet.variant, sub.answers, policy))  # fmt: skip
        results.append(result)
        by_version.setdefault(sheet.version, result)
    problems.sort(key=lambda kp: kp[0])
    return results, [p for _, p in problems]


def _who(sub: Submission, sheet: Sheet) -> str:
    """Whose submission this is: the student ID written, else the sheet's (if the sheet was
    handed to the submitter), else the sheet."""
    roster = sheet.student_id if sub.assigned else ""
    return student_key(sub.student_id or roster) or f"version {sheet.version}"


def _owns(sub: Submission, sheet: Sheet) -> bool:
    """Whether the submission names the sheet's own student (from the roster)."""
    return (
        sub.assigned
        and bool(sheet.student_id)
        and student_key(sub.student_id) == student_key(sheet.student_id)
    )


def _rank(claim: tuple[int, Submission, Sheet]) -> tuple[bool, bool, int]:
    """Which of one student's submissions is graded: the smallest (an answer at all, the sheet's
    own student, the first)."""
    k, sub, sheet = claim
    return (sub.blank, not _owns(sub, sheet), k)


def _duplicate(
    k: int, sub: Submission, sheet: Sheet, best: tuple[int, Submission, Sheet]
) -> Problem:
    """The problem of a submission `k` not graded because `best` is (the same student's)."""
    first, chosen, chosen_sheet = best
    if sub.blank and not chosen.blank:
        why = "this one has no answer at all"
    elif _owns(chosen, chosen_sheet) and not _owns(sub, sheet):
        why = f"that one names the sheet's own student {chosen_sheet.student_id}"
    else:
        why = "the first in input order counts"
    who = sub.student_id or sheet.student_id or sheet.version
    verb = "already submitted in" if first < k else "also submitted in"
    return Problem(sub.source, sub.row, "duplicate",
                   f"student {who} {verb} {chosen.where}, which is graded ({why}); "
                   "this submission is not graded")  # fmt: skip


def _unknown(sub: Submission, sheets: dict[str, Sheet]) -> Problem:
    close = (
        difflib.get_close_matches(sub.version, sheets, n=1, cutoff=0.6)
        if len(sheets) <= 5000
        else []
    )
    hint = f" (did you mean {sheets[close[0]].version}?)" if close else ""
    return Problem(
        sub.source, sub.row, "unknown-version",
        f"unknown version code {sub.version!r}: not in the key{hint}; not graded",
    )  # fmt: skip


def missing(key: Key, results: Iterable[Result]) -> tuple[list[Sheet], list[Problem]]:
    """The roster's students who handed nothing in (by student ID, in the key's order: no
    result is theirs), and a `missing` problem for each."""
    graded = {student_key(r.student_id) for r in results}
    sheets = [s for s in key.sheets if s.student_id and student_key(s.student_id) not in graded]
    problems = [
        Problem("", None, "missing",
                f"student {s.student_id}{f' ({s.name})' if s.name else ''} handed nothing in "
                f"(version {s.version}): in the gradebook as missing, 0 points")
        for s in sheets
    ]  # fmt: skip
    return sheets, problems
