"""Spreadsheet formula injection: every CSV bpquiz writes escapes text that a spreadsheet would
run as a formula (a leading = + - @, tab or carriage return), as gradebook.csv always did."""

from __future__ import annotations

import csv
import io

import pytest

from bpquiz.exercise.key import answers_template_csv, key_csv
from bpquiz.generate import Settings, plan
from bpquiz.marking.reports import problems_csv
from bpquiz.marking.submissions import Problem
from bpquiz.roster import Student

HOSTILE = ['=HYPERLINK("http://evil")', "+1+2", "-3", "@SUM(A1)", "\tTAB", "\rCR"]


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.fixture(scope="module")
def sheets():
    roster = [Student(f"{h}-id", h) for h in HOSTILE]
    return plan(Settings(n=len(roster), seed=9), roster)[0]


@pytest.mark.parametrize("writer", [key_csv, answers_template_csv], ids=["key", "template"])
def test_key_and_template_escape_roster_ids_and_names(sheets, writer):
    """key.csv and answers-template.csv write each hostile ID and name with a leading '."""
    body = rows(writer(sheets))[1:]
    assert [(r[0], r[1]) for r in body] == [(f"'{h}-id", f"'{h}") for h in HOSTILE]


def test_key_csv_numbers_are_not_escaped(sheets):
    """Negative numbers in key.csv stay numbers (only the text columns are escaped)."""
    values = [c for r in rows(key_csv(sheets))[1:] for c in r[3:]]
    assert any(v.startswith("-") for v in values) and not any(v.startswith("'") for v in values)


def test_problems_csv_escapes_file_names():
    """A submission file named =cmd|'/c calc'!A1.csv is written to problems.csv with a leading '."""
    text = problems_csv([Problem("=cmd|'/c calc'!A1.csv", None, "unreadable-file", "-x")])
    assert rows(text)[1] == ["'=cmd|'/c calc'!A1.csv", "", "unreadable-file", "'-x"]


def test_an_escaped_template_graded_back_matches_its_students(sheets):
    """A filled template's escaped IDs read back as the roster's: graded with no mismatch."""
    from bpquiz.exercise.key import Key
    from bpquiz.marking.formats import read_csv
    from bpquiz.marking.grading import Policy
    from bpquiz.marking.match import grade_class

    settings = Settings(n=len(sheets), seed=9)
    key = Key(tuple(sheets), settings.as_dict(), "", settings.exercise)
    table = rows(answers_template_csv(sheets))
    for r in table[1:]:
        r[3] = "0.5"
    out = io.StringIO()
    csv.writer(out).writerows(table)
    reading = read_csv(out.getvalue().encode(), "t.csv", settings.exercise)
    assert [s.student_id for s in reading.submissions] == [f"{h}-id".strip() for h in HOSTILE]
    results, problems = grade_class(key, reading.submissions, Policy())
    assert len(results) == len(HOSTILE) and not problems


def test_a_carriage_return_inside_a_cell_keeps_its_row_whole():
    """A carriage return inside a cell keeps its CSV row whole (the row is quoted)."""
    text = problems_csv([Problem("a\rb.csv", 3, "bad-row", "x"), Problem("c.csv", 4, "k", "y")])
    assert rows(text)[1:] == [["a\rb.csv", "3", "bad-row", "x"], ["c.csv", "4", "k", "y"]]
