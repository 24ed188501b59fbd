"""Roster students who handed nothing in: in the gradebook as missing, counted, and reported."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

from pypdf import PdfReader

import students
from students import fill


def test_roster_students_who_handed_nothing_in_are_in_the_gradebook_as_missing(tmp_path):
    """Roster students who handed nothing in: gradebook rows `missing`, counted, reported."""
    from bpquiz.generate import Settings, generate
    from bpquiz.roster import read_roster

    (tmp_path / "roster.csv").write_text("student_id,name\nA1,Ada\nB2,Bo\nC3,Cy\n")
    generate(Settings(n=3, seed=5, roster="roster.csv"), tmp_path / "class",
             roster=read_roster(tmp_path / "roster.csv"), jobs=1)  # fmt: skip
    key = json.loads((tmp_path / "class" / "key.json").read_text())
    v = key["variants"]
    (tmp_path / "in").mkdir()
    half = {k: a for k, a in list(students.from_key(v[1]["given"]).items())[:20]}
    fill(tmp_path / "class" / "worksheets" / f"{v[1]['version']}.pdf", half,
         tmp_path / "in" / "bo.pdf")  # fmt: skip
    r = subprocess.run([sys.executable, "-m", "bpquiz", "grade", tmp_path / "in", "--key",
                        tmp_path / "class" / "key.json", "--out", tmp_path / "g", "--jobs", "1"],
                       capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert r.returncode == 1, r.stderr
    rows = csv.DictReader((tmp_path / "g" / "gradebook.csv").open(encoding="utf-8"))
    book = {row["student_id"]: row for row in rows}
    assert set(book) == {"A1", "B2", "C3"}
    assert book["B2"]["score"] == "20" and book["B2"]["out_h1"] == "correct"
    for sid, name, code in (("A1", "Ada", v[0]["version"]), ("C3", "Cy", v[2]["version"])):
        row = book[sid]
        assert (row["name"], row["version"]) == (name, code)
        assert (row["score"], row["percent"]) == ("0", "0.0")
        assert row["max_score"] == "41"
        steps = [c for c in row if c not in ("student_id", "name", "version", "score", "max_score",
                                             "percent")]  # fmt: skip
        assert len(steps) == 41 and all(row[c] == "missing" for c in steps)
    problems = list(csv.DictReader((tmp_path / "g" / "problems.csv").open()))
    assert sorted((p["kind"], p["message"].split()[1]) for p in problems) == [
        ("missing", "A1"),
        ("missing", "C3"),
    ]
    stats = json.loads((tmp_path / "g" / "grades.json").read_text())["statistics"]
    assert stats["graded"] == 1 and stats["missing"] == 2
    assert stats["mean_percent"] == round(100 * 20 / 41, 2)
    summary = PdfReader(tmp_path / "g" / "summary.pdf").pages[0].extract_text()
    assert "handed nothing in" in " ".join(summary.split())
    assert "2 missing" in r.stdout
