"""`bpquiz solve` end to end, as a user runs it (a subprocess: real exit codes, real stderr)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from oracle import article, forward_backward


def bpquiz(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bpquiz", *args], capture_output=True, text=True, timeout=120
    )


def test_solve_example_prints_the_articles_numbers():
    """`solve --example` prints every step id with the article's values to 5 decimals."""
    r = bpquiz("solve", "--example")
    assert r.returncode == 0, r.stderr
    for step_id in article()["printed"]:
        assert step_id in r.stdout
    for shown in ("0.60109", "0.08020", "0.45188", "−0.01761", "0.24909"):
        assert shown in r.stdout


def test_solve_json_is_one_variant_of_the_contract():
    """`solve --seed N --json` prints one VARIANT whose values an independent pass confirms."""
    r = bpquiz("solve", "--seed", "42", "--index", "2", "--json")
    assert r.returncode == 0, r.stderr
    variant = json.loads(r.stdout)
    assert {"version", "given", "steps"} <= set(variant)
    ref = forward_backward(variant["given"])
    assert len(variant["steps"]) == 41
    for step in variant["steps"]:
        assert step["value"] == pytest.approx(ref[step["id"]], abs=1e-12)
    again = json.loads(bpquiz("solve", "--seed", "42", "--index", "2", "--json").stdout)
    assert again == variant


def test_solve_given_file(tmp_path):
    """`solve --given FILE` solves the lecturer's own values."""
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(article()["given"]))
    r = bpquiz("solve", "--given", str(path), "--json", "--decimals", "4")
    assert r.returncode == 0, r.stderr
    steps = {s["id"]: s for s in json.loads(r.stdout)["steps"]}
    assert steps["out_h1"]["rounded"] == 0.6011


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not valid JSON (line 1, column 2"),
        ('{"i1": 0.1}', "missing given value(s): i2, w1"),
        (
            json.dumps({**article()["given"], "w5": "half"}),
            "w5: expected a finite number, got 'half'",
        ),
    ],
)
def test_bad_given_file_is_one_line_exit_2(tmp_path, content, message):
    """A bad --given file gives one line naming the file and the problem, exit code 2."""
    path = tmp_path / "bad.json"
    path.write_text(content)
    r = bpquiz("solve", "--given", str(path))
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert str(path) in r.stderr and message in r.stderr


def test_missing_given_file_and_conflicting_sources():
    """A missing file and two sources at once are one-line errors, exit code 2."""
    r = bpquiz("solve", "--given", "/nonexistent/x.json")
    assert r.returncode == 2 and "no such file" in r.stderr and "Traceback" not in r.stderr
    r = bpquiz("solve", "--example", "--seed", "1")
    assert r.returncode == 2 and "only one of" in r.stderr


def test_solve_key_version_shows_that_students_sheet_and_writes_its_solution(tmp_path):
    """`solve --key K --version CODE` prints that sheet's numbers (the oracle's, from its given
    values in the key), with the student's name; `--pdf` writes its worked solution once and
    never over an existing file; an unknown code is named with the closest one."""
    roster = tmp_path / "class.csv"
    roster.write_text("student_id,name\ns1,Ada Lovelace\ns2,Alan Turing\n", encoding="utf-8")
    out = str(tmp_path / "run")
    made = bpquiz("generate", "--roster", str(roster), "--seed", "3", "--out", out, "-q")
    assert made.returncode == 0, made.stderr
    key = json.loads((tmp_path / "run" / "key.json").read_text())
    sheet = key["variants"][1]
    code, pdf = sheet["version"], tmp_path / "mine.pdf"
    r = bpquiz("solve", "--key", str(tmp_path / "run" / "key.json"), "--version", code.lower(),
               "--pdf", str(pdf))  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert f"Version {code}" in r.stdout and "Alan Turing" in r.stdout
    assert f"{forward_backward(sheet['given'])['E_total']:.5f}" in r.stdout
    assert pdf.read_bytes().startswith(b"%PDF")
    before = pdf.read_bytes()
    again = bpquiz("solve", "--key", str(tmp_path / "run" / "key.json"), "--version", code,
                   "--pdf", str(pdf))  # fmt: skip
    assert again.returncode == 2 and "exists" in again.stderr and pdf.read_bytes() == before
    wrong = code[:-1] + ("Z" if code[-1] != "Z" else "Y")
    miss = bpquiz("solve", "--key", str(tmp_path / "run" / "key.json"), "--version", wrong)
    assert miss.returncode == 2 and f"did you mean {code}" in miss.stderr
    mixed = bpquiz("solve", "--key", str(tmp_path / "run" / "key.json"), "--version", code,
                   "--shape", "2-3-2")  # fmt: skip
    assert mixed.returncode == 2 and "--key sets the exercise" in mixed.stderr


def test_solve_lr_applies_to_the_example_and_seed_shows_no_code():
    """--lr replaces the example's η (the new weights move by η·gradient: the oracle's); --seed
    labels its numbers by seed and sheet, never with a version code; η under 0.01 is refused."""
    r = bpquiz("solve", "--example", "--lr", "0.3", "--json")
    variant = json.loads(r.stdout)
    assert variant["given"]["learning_rate"] == 0.3
    ref = forward_backward(variant["given"])
    assert {s["id"]: s["value"] for s in variant["steps"]}["new_w5"] == pytest.approx(
        0.5 - 0.3 * ref["dE_dw5"], abs=1e-12
    )
    seeded = bpquiz("solve", "--seed", "42", "--index", "3", "--lr", "0.5")
    assert seeded.stdout.startswith("Variant (seed 42, sheet 3, η fixed at 0.5)")
    assert json.loads(bpquiz("solve", "--seed", "42", "--json").stdout)["version"] == ""
    low = bpquiz("solve", "--seed", "1", "--lr", "0.001")
    assert low.returncode == 2 and "--lr" in low.stderr
