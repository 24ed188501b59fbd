"""A submission must never displace its owner's: bpquiz's own files, blank rows, classmates."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bpquiz.exercise.model import Exercise

import students
from students import fill

STEP_IDS = Exercise().step_ids


def bpquiz(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bpquiz", *map(str, args)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def gradebook(folder: Path) -> list[dict[str, str]]:
    with (folder / "gradebook.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def problems(folder: Path) -> list[dict[str, str]]:
    with (folder / "problems.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    """An anonymous class of 3 (seed 21): its folder and key."""
    from bpquiz.generate import Settings, generate

    root = tmp_path_factory.mktemp("displace")
    generate(Settings(n=3, seed=21), root / "class", jobs=1)
    return root / "class", json.loads((root / "class" / "key.json").read_text())


def real_answers(key: dict) -> list[dict[str, str]]:
    """Sheet 0 exact (41), sheet 1 one slip carried (40), sheet 2 only the forward pass."""
    v = key["variants"]
    exact = students.from_key(v[0]["given"])
    slipped = students.carried(v[1]["given"], "round", ("out_h1", lambda x: x + 0.05))
    forward = {k: a for k, a in students.from_key(v[2]["given"]).items() if k in STEP_IDS[:8]}
    return [exact, slipped, forward]


def hand_in(folder: Path, key: dict, where: Path) -> None:
    """The three real, filled worksheets, in a folder that sorts after everything else."""
    where.mkdir(parents=True)
    for k, answers in enumerate(real_answers(key)):
        code = key["variants"][k]["version"]
        fill(folder / "worksheets" / f"{code}.pdf", answers, where / f"sheet-{k}.pdf")


def test_files_bpquiz_wrote_are_skipped_with_a_warning_not_graded(klass, tmp_path):
    """bpquiz's key, template and print files in the submissions are skipped, not graded."""
    folder, key = klass
    subs = tmp_path / "in"
    subs.mkdir()
    shutil.copy(folder / "key.csv", subs / "answers.csv")
    shutil.copy(folder / "answers-template.csv", subs / "answers-template.csv")
    shutil.copy(folder / "key.json", subs / "aaa.json")
    shutil.copy(folder / "print" / "worksheets.pdf", subs / "000.pdf")
    shutil.copy(folder / "print" / "solutions.pdf", subs / "001.pdf")
    code = key["variants"][0]["version"]
    shutil.copy(folder / "solutions" / f"{code}.pdf", subs / "002.pdf")
    hand_in(folder, key, subs / "zz")
    r = bpquiz("grade", subs, "--key", folder / "key.json", "--out", tmp_path / "g",
               "--no-feedback", "--no-summary")  # fmt: skip
    assert r.returncode == 0, r.stderr + r.stdout
    book = {row["version"]: row["score"] for row in gradebook(tmp_path / "g")}
    v = [x["version"] for x in key["variants"]]
    assert book == {v[0]: "41", v[1]: "40", v[2]: "8"}
    skipped = [ln for ln in r.stderr.splitlines() if "skipped" in ln]
    for name in ("answers.csv", "answers-template.csv", "aaa.json", "000.pdf", "001.pdf",
                 "002.pdf"):  # fmt: skip
        assert any(name in ln for ln in skipped), (name, r.stderr)
    assert not problems(tmp_path / "g")


def test_a_template_with_answers_filled_in_is_graded(klass, tmp_path):
    """answers-template.csv is meant to be filled: once it holds an answer it is a submission."""
    folder, key = klass
    rows = list(csv.reader((folder / "answers-template.csv").open(encoding="utf-8")))
    rows[1][3 + STEP_IDS.index("sum_h1")] = students.from_key(key["variants"][0]["given"])["sum_h1"]
    (tmp_path / "in").mkdir()
    with (tmp_path / "in" / "answers-template.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    r = bpquiz("grade", tmp_path / "in", "--key", folder / "key.json", "--out", tmp_path / "g",
               "--no-feedback", "--no-summary")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert sorted(row["score"] for row in gradebook(tmp_path / "g")) == ["0", "0", "1"]


@pytest.mark.parametrize("inside", [False, True], ids=["out-is-submissions", "out-inside"])
def test_out_in_the_submissions_folder_does_not_hide_them(klass, tmp_path, inside):
    """--out in (or inside) the submissions grades them; its own reports are skipped."""
    folder, key = klass
    subs = tmp_path / "in"
    hand_in(folder, key, subs)
    out = subs / "graded" if inside else subs
    v = [x["version"] for x in key["variants"]]
    for run in ([], ["--force"]):
        r = bpquiz("grade", subs, "--key", folder / "key.json", "--out", out, "--jobs", "1", *run)
        assert r.returncode == 0, r.stderr + r.stdout
        assert {row["version"]: row["score"] for row in gradebook(out)} == {
            v[0]: "41",
            v[1]: "40",
            v[2]: "8",
        }
        assert not problems(out)
    for name in ("gradebook.csv", "grades.json", "problems.csv", "summary.pdf", "feedback"):
        assert name in r.stderr, r.stderr


def test_force_never_deletes_or_overwrites_an_input(klass, tmp_path):
    """Grading into the submissions folder, with or without --force, keeps every input."""
    folder, key = klass
    subs = tmp_path / "in"
    hand_in(folder, key, subs / "feedback")
    code = key["variants"][0]["version"]
    (subs / "feedback" / "sheet-0.pdf").rename(subs / "feedback" / f"{code}.pdf")
    inputs = {p: p.read_bytes() for p in (subs / "feedback").iterdir()}
    for run in ([], ["--force"]):
        r = bpquiz("grade", subs, "--key", folder / "key.json", "--out", subs, "--jobs", "1",
                   "--no-summary", *run)  # fmt: skip
        assert r.returncode == 0, r.stderr + r.stdout
        assert {p: p.read_bytes() for p in inputs if p.exists()} == inputs
        written = json.loads((subs / "grades.json").read_text())["submissions"]
        assert len(written) == 3
        assert all((subs / s["feedback"]).exists() for s in written)
        assert not {subs / s["feedback"] for s in written} & set(inputs)


def test_force_still_removes_the_previous_runs_own_feedback(klass, tmp_path):
    """--force removes a feedback PDF the previous grading listed but this one does not."""
    folder, key = klass
    subs = tmp_path / "in"
    hand_in(folder, key, subs)
    out = tmp_path / "g"
    fast = ("--jobs", "1", "--no-summary")
    assert bpquiz("grade", subs, "--key", folder / "key.json", "--out", out, *fast).returncode == 0
    before = json.loads((out / "grades.json").read_text())["submissions"]
    (subs / "sheet-2.pdf").unlink()
    r = bpquiz("grade", subs, "--key", folder / "key.json", "--out", out, "--force", *fast)
    assert r.returncode == 0, r.stderr
    after = {s["feedback"] for s in json.loads((out / "grades.json").read_text())["submissions"]}
    assert len(after) == 2 and {p.name for p in (out / "feedback").iterdir()} == {
        Path(f).name for f in after
    }
    assert len({s["feedback"] for s in before} - after) == 1


def test_a_report_name_taken_by_a_students_file_is_refused(klass, tmp_path):
    """A student's file named problems.csv in --out: exit 2, and it is not overwritten."""
    folder, key = klass
    subs = tmp_path / "in"
    subs.mkdir()
    answers = real_answers(key)[0]
    with (subs / "problems.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["student_id", "name", "version", *STEP_IDS],
                                 ["s1", "Ada", key["variants"][0]["version"],
                                  *(answers[s] for s in STEP_IDS)]])  # fmt: skip
    before = (subs / "problems.csv").read_bytes()
    r = bpquiz("grade", subs, "--key", folder / "key.json", "--out", subs)
    assert r.returncode == 2 and "problems.csv" in r.stderr and "Traceback" not in r.stderr
    assert (subs / "problems.csv").read_bytes() == before
    assert not (subs / "gradebook.csv").exists()


@pytest.mark.parametrize("which", ["another-run", "no-variants"])
def test_a_key_that_holds_none_of_the_codes_is_exit_2_and_writes_nothing(klass, tmp_path, which):
    """Another run's key, or none at all: exit 2 "none of the 3 codes", nothing written."""
    from bpquiz.generate import Settings, generate

    folder, key = klass
    hand_in(folder, key, tmp_path / "in")
    if which == "another-run":
        generate(Settings(n=2, seed=99), tmp_path / "other", jobs=1)
        other = tmp_path / "other" / "key.json"
    else:
        other = tmp_path / "empty.json"
        other.write_text(json.dumps({**key, "variants": []}))
    r = bpquiz("grade", tmp_path / "in", "--key", other, "--out", tmp_path / "g")
    assert r.returncode == 2, r.stderr + r.stdout
    assert r.stderr.startswith("error:") and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "none of the 3 codes is in this key" in r.stderr
    assert not (tmp_path / "g").exists()
