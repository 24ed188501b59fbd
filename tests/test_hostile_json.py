"""Hostile JSON: huge numbers, deep nesting, bad settings in submissions, keys and --given files."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bpquiz.exercise.model import Exercise

from students import from_key

STEP_IDS = Exercise().step_ids
HUGE_400 = "1" * 400  # an int too large for a float: OverflowError once it becomes one
HUGE_5000 = "1" * 5000  # past Python's int-string limit: ValueError in json.loads
DEEP = "[" * 100_000 + "]" * 100_000  # RecursionError in json.loads


def bpquiz(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bpquiz", *map(str, args)],
        capture_output=True, text=True, timeout=300, cwd=cwd, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    """An anonymous class of 3 (seed 11) and its key."""
    from bpquiz.generate import Settings, generate

    root = tmp_path_factory.mktemp("json")
    generate(Settings(n=3, seed=11), root / "class", jobs=1)
    key = json.loads((root / "class" / "key.json").read_text())
    return root, key


def good_csv(path: Path, variant: dict) -> None:
    answers = from_key(variant["given"])
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student_id", "name", "version", *STEP_IDS])
        w.writerow(["s1", "Ada", variant["version"], *(answers[s] for s in STEP_IDS)])


def one_line_error(r: subprocess.CompletedProcess, *words: str) -> None:
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stderr.startswith("error:") and all(w in r.stderr for w in words), r.stderr


def test_hostile_numbers_and_nesting_in_a_submissions_file_never_stop_the_class(klass, tmp_path):
    """Huge numbers or deep nesting in submissions JSON: one problem or answer, rest graded."""
    root, key = klass
    subs = tmp_path / "in"
    subs.mkdir()
    v = key["variants"]
    good_csv(subs / "a-good.csv", v[0])
    for name, number, variant in (("b-400", HUGE_400, v[1]), ("c-5000", HUGE_5000, v[2])):
        (subs / f"{name}.json").write_text(
            f'{{"student_id": "{name}", "version": "{variant["version"]}", '
            f'"answers": {{"out_h1": {number}, "E1": "0.1"}}}}'
        )
    (subs / "d-deep.json").write_text('{"version": "X", "answers": ' + DEEP + "}")
    r = bpquiz("grade", subs, "--key", root / "class" / "key.json", "--out", tmp_path / "g",
               "--no-feedback", "--no-summary")  # fmt: skip
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    assert "graded 3 submissions from 4 files" in r.stdout
    problems = list(csv.DictReader((tmp_path / "g" / "problems.csv").open(encoding="utf-8")))
    assert [(Path(p["file"]).name, p["kind"]) for p in problems] == [
        ("d-deep.json", "unreadable-file")
    ]
    assert "nested" in problems[0]["message"]
    book = {r["student_id"]: r for r in csv.DictReader((tmp_path / "g" / "gradebook.csv").open())}
    assert book["s1"]["score"] == "41"
    assert book["b-400"]["out_h1"] == book["c-5000"]["out_h1"] == "unreadable"


def with_raw(data: dict, path: tuple, raw: str) -> str:
    """`data` as JSON text with the value at `path` replaced by the raw JSON text `raw`."""
    inner = data
    for k in path[:-1]:
        inner = inner[k]
    inner[path[-1]] = "@@RAW@@"
    return json.dumps(data).replace('"@@RAW@@"', raw)


@pytest.mark.parametrize(
    "path, raw, words",
    [
        (("variants", 0, "given", "w1"), HUGE_400, ["key.json", "w1"]),
        (("variants", 0, "given", "w1"), HUGE_5000, ["key.json", "w1"]),
        (("variants", 0, "given", "w1"), DEEP, ["key.json", "nested"]),
        (("settings", "decimals"), '"five"', ["key.json", "settings.decimals", "five"]),
    ],
    ids=["400-digits", "5000-digits", "deep", "decimals-five"],
)
def test_a_hostile_key_is_one_line_exit_2(klass, tmp_path, path, raw, words):
    """A key with a huge number, deep nesting or decimals "five": one line, exit 2."""
    root, key = klass
    (tmp_path / "key.json").write_text(with_raw(json.loads(json.dumps(key)), path, raw))
    (tmp_path / "in").mkdir()
    good_csv(tmp_path / "in" / "a.csv", key["variants"][0])
    r = bpquiz("grade", tmp_path / "in", "--key", tmp_path / "key.json", "--out", tmp_path / "g")
    one_line_error(r, *words)
    assert not (tmp_path / "g").exists()


@pytest.mark.parametrize("raw", [HUGE_400, HUGE_5000, DEEP], ids=["400", "5000", "deep"])
def test_a_hostile_given_file_is_one_line_exit_2(tmp_path, raw):
    """solve --given with a huge number or deep nesting: one line naming the file, exit 2."""
    given = json.loads((Path(__file__).parent / "data" / "article-example.json").read_text())
    (tmp_path / "given.json").write_text(with_raw(given["given"], ("w1",), raw))
    one_line_error(bpquiz("solve", "--given", tmp_path / "given.json"), "given.json")


def test_answers_both_nested_and_flat_is_a_problem_not_a_silent_drop():
    """Answers both in "answers" and beside it: a bad-row problem naming them, not graded."""
    from bpquiz.marking.formats import read_json

    doc = [
        {"version": "AAAAAA", "answers": {"out_h1": "0.6"}, "E1": "0.2", "E2": "0.3"},
        {"version": "BBBBBB", "answers": {"out_h1": "0.6"}, "comment": "hi"},
    ]
    r = read_json(json.dumps(doc).encode(), "both.json", Exercise())
    assert [s.version for s in r.submissions] == ["BBBBBB"]
    (p,) = r.problems
    assert (p.row, p.kind) == (1, "bad-row") and "E1, E2" in p.message and "answers" in p.message


def test_a_duplicated_json_key_is_a_problem_in_problems_csv():
    """A JSON key twice is a duplicate-key problem; graded only if the copies agree."""
    from bpquiz.marking.formats import read_json

    text = (
        '[{"version": "AAAAAA", "answers": {"out_h1": "0.6", "out_h1": "0.7"}},'
        ' {"version": "BBBBBB", "answers": {"out_h1": "0.6", "OUT_H1": "0.6"}},'
        ' {"version": "CCCCCC", "version": "DDDDDD", "out_h1": "0.6"}]'
    )
    r = read_json(text.encode(), "dup.json", Exercise())
    assert [s.version for s in r.submissions] == ["BBBBBB"]
    assert [(p.row, p.kind) for p in r.problems] == [
        (1, "duplicate-key"),
        (2, "duplicate-key"),
        (3, "duplicate-key"),
    ]
    assert "not graded" in r.problems[0].message and "not graded" not in r.problems[1].message
    assert "version" in r.problems[2].message


def test_a_duplicated_key_around_the_submissions_is_a_problem_for_the_file():
    """{"submissions": [...], "submissions": [...]}: which list? The file is one problem."""
    from bpquiz.marking.formats import read_json

    r = read_json(b'{"submissions": [], "submissions": [{"version": "AAAAAA"}]}', "w.json",
                  Exercise())  # fmt: skip
    assert not r.submissions and [p.kind for p in r.problems] == ["duplicate-key"]
