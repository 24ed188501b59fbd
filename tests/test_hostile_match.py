"""Two submissions claiming one sheet: the owner's is graded, a blank one never wins, both named."""

from __future__ import annotations

import pytest

from bpquiz.exercise.key import Key
from bpquiz.generate import Settings, plan
from bpquiz.marking.grading import Policy
from bpquiz.marking.match import grade_class
from bpquiz.marking.submissions import Submission
from bpquiz.roster import Student

import students


def key_of(roster: list[Student] | None = None, n: int = 3) -> Key:
    settings = Settings(n=n, seed=7)
    sheets, secret = plan(settings, roster)
    return Key(tuple(sheets), settings.as_dict(), secret, settings.exercise)


def real(key: Key, k: int) -> dict[str, str]:
    return students.from_key(dict(key.sheets[k].variant.given))


BLANK: dict[str, str] = {}


@pytest.fixture(scope="module")
def anonymous() -> Key:
    return key_of()


@pytest.fixture(scope="module")
def roster() -> Key:
    return key_of([Student("AB12", "Ada"), Student("CD34", "Bo"), Student("EF56", "Cy")])


def test_a_blank_row_with_a_classmates_code_does_not_displace_the_classmate(anonymous):
    """A blank row with a classmate's code, first, does not displace the classmate's."""
    code = anonymous.sheets[0].version
    subs = [Submission("a.csv", 2, code, "", "", BLANK),
            Submission("b.pdf", None, code, "", "", real(anonymous, 0))]  # fmt: skip
    results, problems = grade_class(anonymous, subs, Policy())
    assert [(r.submission.source, r.graded.score) for r in results] == [("b.pdf", 41)]
    (p,) = problems
    assert (p.file, p.row, p.kind) == ("a.csv", 2, "duplicate")
    assert "b.pdf" in p.message and "no answer" in p.message and "not graded" in p.message


def test_the_sheet_owners_submission_wins_over_one_that_names_no_student(roster):
    """The sheet owner's submission wins over an earlier one naming no student."""
    code = roster.sheets[0].version
    garbage = {s: "0.5" for s in real(roster, 0)}
    subs = [Submission("x.csv", 2, code, "", "", garbage),
            Submission("x.csv", 3, code, "AB12", "Ada", real(roster, 0))]  # fmt: skip
    results, problems = grade_class(roster, subs, Policy())
    assert [(r.submission.row, r.student_id, r.graded.score) for r in results] == [(3, "AB12", 41)]
    (p,) = problems
    assert (p.row, p.kind) == (2, "duplicate") and "x.csv:3" in p.message


def test_a_student_with_two_sheets_is_graded_on_their_own(roster):
    """A student handing in a classmate's sheet and their own is graded on their own."""
    a, b = roster.sheets[0].version, roster.sheets[1].version
    subs = [Submission("y.csv", 2, a, "CD34", "Bo", real(roster, 0)),
            Submission("y.csv", 3, b, "CD34", "Bo", real(roster, 1)),
            Submission("y.csv", 4, a, "AB12", "Ada", real(roster, 0))]  # fmt: skip
    results, problems = grade_class(roster, subs, Policy())
    assert sorted((r.student_id, r.version) for r in results) == [("AB12", a), ("CD34", b)]
    assert [(p.row, p.kind) for p in problems] == [(2, "duplicate")]
    assert "y.csv:3" in problems[0].message


def test_a_blank_duplicate_of_the_same_student_never_wins(roster):
    """AB12 sends a blank form first, then a filled one: the filled one is graded."""
    code = roster.sheets[0].version
    subs = [Submission("z.csv", 2, code, "AB12", "Ada", {s: " " for s in real(roster, 0)}),
            Submission("z.csv", 3, code, "AB12", "Ada", real(roster, 0))]  # fmt: skip
    results, problems = grade_class(roster, subs, Policy())
    assert [r.submission.row for r in results] == [3]
    assert [(p.row, p.kind) for p in problems] == [(2, "duplicate")]


def test_two_students_on_one_roster_sheet_are_both_reported(roster):
    """Two students on one roster sheet: both graded, the mismatch names both."""
    code = roster.sheets[0].version
    subs = [Submission("w.csv", 2, code, "CD34", "Bo", real(roster, 0)),
            Submission("w.csv", 3, code, "AB12", "Ada", real(roster, 0))]  # fmt: skip
    results, problems = grade_class(roster, subs, Policy())
    assert sorted(r.student_id for r in results) == ["AB12", "CD34"]
    (p,) = problems
    assert (p.row, p.kind) == (2, "mismatch") and "w.csv:3" in p.message


def test_the_first_of_two_filled_duplicates_still_counts(anonymous):
    """Of two filled submissions of one anonymous sheet the first counts; both named."""
    code = anonymous.sheets[1].version
    subs = [Submission("v.csv", 2, code, "", "", real(anonymous, 1)),
            Submission("v.csv", 3, code, "", "", {"sum_h1": "1"})]  # fmt: skip
    results, problems = grade_class(anonymous, subs, Policy())
    assert [r.submission.row for r in results] == [2]
    assert [(p.row, p.kind) for p in problems] == [(3, "duplicate")]
    assert "v.csv:2" in problems[0].message


def test_student_ids_that_differ_in_case_or_spaces_are_one_student_in_generate():
    """A roster with `ab12` and ` AB12 ` is refused: they are one student."""
    from bpquiz.errors import GenerateError
    from bpquiz.roster import parse_roster

    with pytest.raises(GenerateError, match="duplicate student_id"):
        parse_roster("student_id,name\nab12,Ada\n AB12 ,Bo\n")


def test_student_ids_that_differ_in_case_or_spaces_are_one_student_in_grade(roster):
    """` ab12 ` handing in AB12's sheet is AB12 (no mismatch); twice is a duplicate."""
    code = roster.sheets[0].version
    subs = [Submission("u.csv", 2, code, " ab12 ", "", real(roster, 0)),
            Submission("u.csv", 3, code, "AB12", "", real(roster, 0))]  # fmt: skip
    results, problems = grade_class(roster, subs, Policy())
    assert len(results) == 1 and [(p.row, p.kind) for p in problems] == [(3, "duplicate")]
