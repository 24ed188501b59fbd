"""Hostile and careless CSV answer files: unbalanced quotes, duplicated columns."""

from __future__ import annotations

from bpquiz.exercise.model import Exercise
from bpquiz.marking.formats import read_csv

EX = Exercise()
HEADER = "student_id,name,version," + ",".join(EX.asked_ids)
COMMENTED = "student_id,name,version,comment," + ",".join(EX.asked_ids)
EMPTY = "," * (len(EX.asked_ids) - 1)  # every step after the first left blank


def read(header: str, rows: list[str], name: str):
    """An answers CSV of this header and these rows, read."""
    return read_csv(("\n".join([header, *rows]) + "\n").encode(), name, EX)


def line(student: str, version: str, first: str = "0.5") -> str:
    return ",".join([student, "N", version, first] + [""] * (len(EX.asked_ids) - 1))


def test_an_unbalanced_quote_that_swallows_the_following_rows_is_a_problem_naming_the_row():
    """A quote left open is a bad-row problem naming the rows it joined; earlier rows read."""
    rows = [line("s1", "AAAAAA"), line("s2", "BBBBBB", '"0.5'), line("s3", "CCCCCC"),
            line("s4", "DDDDDD")]  # fmt: skip
    r = read(HEADER, rows, "q.csv")
    assert [s.student_id for s in r.submissions] == ["s1"]
    (p,) = r.problems
    assert (p.file, p.row, p.kind) == ("q.csv", 3, "bad-row")
    assert "quote" in p.message and "rows 3–5" in p.message and "not graded" in p.message


def test_a_quote_closed_rows_later_in_an_ignored_column_is_a_problem_too():
    """A stray quote in a comment column, closed a row later, is a problem, not one row."""
    r = read(COMMENTED, ['s1,N,AAAAAA,"bad,0.5' + EMPTY, 's2,N,BBBBBB,"ok",0.6' + EMPTY], "c.csv")
    assert not r.submissions
    assert [(p.row, p.kind) for p in r.problems] == [(2, "bad-row")]


def test_a_multi_line_comment_in_an_ignored_column_is_still_read():
    """A properly quoted comment over two lines (no separator in its later lines) is fine."""
    rows = ['s1,N,AAAAAA,"thanks\nsee you",0.5' + EMPTY, "s2,N,BBBBBB,,0.6" + EMPTY]
    r = read(COMMENTED, rows, "m.csv")
    assert not r.problems
    assert [(s.student_id, s.row) for s in r.submissions] == [("s1", 2), ("s2", 4)]


def test_a_duplicated_column_is_a_problem_and_rows_whose_copies_differ_are_not_graded():
    """A step column twice is a problem; rows whose copies differ are not graded."""
    k = 3 + EX.asked_ids.index("out_h1")
    same = line("s1", "AAAAAA").split(",")
    same[k] = "0.6"
    differ = line("s2", "BBBBBB").split(",")
    differ[k] = "0.6"
    rows = [",".join([*same, "0.6"]), ",".join([*differ, "0.7"])]
    r = read(HEADER + ",OUT_H1", rows, "d.csv")
    assert [s.student_id for s in r.submissions] == ["s1"]
    assert r.submissions[0].answers["out_h1"] == "0.6"
    assert [(p.row, p.kind) for p in r.problems] == [(1, "duplicate-column"),
                                                     (3, "duplicate-column")]  # fmt: skip
    assert "out_h1" in r.problems[0].message.lower() and "not graded" in r.problems[1].message
    assert not any("twice" in w for w in r.warnings)  # a problem now, not only a warning


def test_a_duplicated_identity_column_is_a_problem():
    """Two version columns ("version" and "Version") that differ: the row is not graded."""
    header = "student_id,name,version,Version," + ",".join(EX.asked_ids)
    r = read(header, ["s1,N,AAAAAA,BBBBBB,0.5"], "v.csv")
    assert not r.submissions
    assert [(p.row, p.kind) for p in r.problems] == [(1, "duplicate-column"),
                                                     (2, "duplicate-column")]  # fmt: skip
