"""Matching submissions to the key's sheets, and grading each (pure: no files).

A submission names its sheet by the version code. A student (by student ID, else by version
code) submitting twice is graded once; a sheet handed in under another student's ID, or one
version handed in by two students, is graded and reported.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from ..exercise.key import Key, Sheet
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
        # A variant the LMS drew at random was not made for the key's student of that sheet.
        student_id = sub.student_id or (sheet.student_id if sub.assigned else "")
        name = sub.name or (sheet.name if sub.assigned else "")
        who = (student_id or sheet.version).casefold()
        if who in by_student:
            first = by_student[who]
            problems.append(
                Problem(sub.source, sub.row, "duplicate",
                        f"student {student_id or sheet.version} already submitted in "
                        f"{first.where}; "
                        "this submission is not graded")
            )  # fmt: skip
            continue
        by_student[who] = sub
        # Two students may draw one variant from an LMS; neither is the key's student for it.
        if (
            sub.assigned
            and sheet.student_id
            and sub.student_id
            and sub.student_id.casefold() != sheet.student_id.casefold()
        ):
            problems.append(
                Problem(sub.source, sub.row, "mismatch",
                        f"version {sheet.version} belongs to student {sheet.student_id} in the "
                        f"key, but was submitted by {sub.student_id}; graded against version "
                        f"{sheet.version}")
            )  # fmt: skip
        elif sub.assigned and sheet.version in by_version:
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
