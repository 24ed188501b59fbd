"""`bpquiz grade` on what an LMS hands back: Moodle Responses reports and QTI results, graded
exactly as the same answers are through the plain CSV route (ecf included)."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bpquiz.exercise.key import dumps, key_dict
from bpquiz.exercise.model import Exercise

import students
from lms_files import Attempt, parse_cloze, qti_result, qti_schemas, question_summary, validate
from lms_files import responses_csv as moodle_csv

SUBSET = Exercise(ask=("forward", "error"))


def bpquiz(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bpquiz", *map(str, args)],
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip


def make_key(folder: Path, n: int, seed: int, exercise: Exercise) -> tuple[Path, dict]:
    from bpquiz.generate import Settings, plan

    s = Settings(n=n, seed=seed, exercise=exercise)
    sheets, secret = plan(s)
    data = key_dict(sheets, s.as_dict(), secret, exercise)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "key.json").write_text(dumps(data), encoding="utf-8")
    return folder / "key.json", data


def answers_of(k: int, given: dict) -> dict[str, str]:
    """Student k, as written (the oracle's students: never bpquiz's formulas)."""
    if k == 1:
        return students.carried(given, "trunc")
    if k == 2:
        return students.carried(given, "round", ("out_h1", lambda x: x + 0.05))
    if k == 3:  # a European keyboard
        return {s: t.replace(".", ",") for s, t in students.carried(given).items()}
    if k == 4:  # blanks and garbage
        a = students.from_key(given)
        a.update(out_h1="abc", E1="", E2="0.5 m", new_w1="")
        return a
    if k == 5:
        return students.carried(given, "round", ("dE_dout_o1", lambda x: x * 1.2 + 0.01))
    if k == 6:  # exponents and a Unicode minus
        a = students.from_key(given)
        return {s: (f"{float(t):.4e}" if i % 3 == 0 else t.replace("-", "−"))
                for i, (s, t) in enumerate(a.items())}  # fmt: skip
    a = students.from_key(given)
    if k == 7:
        a[list(a)[-1]] = ""  # the last part blank: Moodle's trimmed cell ends "part 41:"
    return a


class Klass:
    """A class of 8 with a key, its Moodle export and each student's answers (asked steps)."""

    def __init__(self, root: Path, exercise: Exercise, seed: int):
        self.root = root
        self.key, self.data = make_key(root, 8, seed, exercise)
        self.ids = self.data["exercise"]["ask"] or [d["id"] for d in self.data["step_definitions"]]
        self.variants = self.data["variants"]
        self.answers = [
            {s: t for s, t in answers_of(k, v["given"]).items() if s in self.ids}
            for k, v in enumerate(self.variants)
        ]
        assert bpquiz("export", "moodle", self.key, "--out", root / "quiz.xml").returncode == 0
        quiz = ET.fromstring((root / "quiz.xml").read_text(encoding="utf-8"))
        # Moodle's "Right answer": each part's 100 % answer as the float it stored (PHP prints
        # 14 significant digits).
        self.right = {
            q.findtext("idnumber"): [format(float(p.right.answer), ".14G")
                                     for p in parse_cloze(q.findtext("questiontext/text"))]
            for q in quiz.findall("question[@type='cloze']")
        }  # fmt: skip

    def who(self, k: int) -> tuple[str, str, str, str]:
        return f"Last{k}", f"First{k}", f"st{k}@uni.example", f"s{k:03d}"

    def attempts(self, decsep: str = ".") -> list[Attempt]:
        out = []
        for k, (v, a) in enumerate(zip(self.variants, self.answers)):
            right = [r.replace(".", decsep) for r in self.right[v["version"]]]
            summary = question_summary(v["version"], self.ids)
            out.append(Attempt(*self.who(k), [a.get(s, "") for s in self.ids], summary, right))
        return out

    def plain_csv(self) -> bytes:
        rows = [["student_id", "name", "version", *self.ids]]
        for k, (v, a) in enumerate(zip(self.variants, self.answers)):
            last, first, _, sid = self.who(k)
            rows.append([sid, f"{first} {last}", v["version"], *(a.get(s, "") for s in self.ids)])
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        return out.getvalue().encode()

    def grade(self, name: str, files: dict[str, bytes]):
        """Grade `files` (written into a folder `name`); the gradebook by student ID, the run."""
        from bpquiz.grade import run_grade

        folder = self.root / name
        folder.mkdir()
        for file, data in files.items():
            (folder / file).write_bytes(data)
        run = run_grade([folder], self.key, self.root / f"{name}-graded", feedback=False,
                        summary=False, jobs=1)  # fmt: skip
        with (self.root / f"{name}-graded" / "gradebook.csv").open(encoding="utf-8") as f:
            return {r["student_id"]: r for r in csv.DictReader(f)}, run


@pytest.fixture(scope="module", params=["full", "subset"])
def klass(request, tmp_path_factory):
    exercise = Exercise() if request.param == "full" else SUBSET
    k = Klass(tmp_path_factory.mktemp(request.param), exercise, seed=11)
    k.expected, _ = k.grade("plain", {"answers.csv": k.plain_csv()})
    return k


def same_grades(got: dict, expected: dict, names: bool = True) -> None:
    """Every student graded as through the plain CSV: version, score, every step's status."""
    assert set(got) == set(expected)
    for sid, row in expected.items():
        keep = {k: v for k, v in row.items() if names or k != "name"}
        assert {k: got[sid][k] for k in keep} == keep, sid


def test_the_plain_route_has_ecf_blanks_and_wrongs(klass):
    """The reference grading itself: exact and truncated students are all correct, a slip is
    one wrong step and ecf after it, garbage is unreadable and blanks blank."""
    book, ids = klass.expected, klass.ids
    assert all(book["s000"][s] == "correct" for s in ids)
    assert all(book["s001"][s] == "correct" for s in ids)
    slipped = [book["s002"][s] for s in ids]
    assert slipped.count("wrong") == 1 and book["s002"]["out_h1"] == "wrong"
    assert slipped.count("ecf") >= (20 if len(ids) == 41 else 5)
    assert book["s004"]["out_h1"] == "unreadable" and book["s004"]["E1"] == "blank"


@pytest.mark.parametrize("version", ["5.x", "4.x"])
def test_moodle_report_with_question_text(klass, version):
    """A Responses report with "Question text" ticked (4.x and 5.x headers; decimal commas,
    empty parts): versions from the text, the same grades as the CSV route."""
    book, run = klass.grade(f"moodle-{version}", {
        "ML101-Quiz-responses.csv": moodle_csv(klass.attempts(), version)})  # fmt: skip
    same_grades(book, klass.expected)
    assert not run.problems
    assert run.warnings == [
        f"{klass.root}/moodle-{version}/ML101-Quiz-responses.csv: version codes read from the "
        "question text (8 submissions)"
    ]


def test_moodle_report_without_question_text_uses_right_answers(klass):
    """No "Question N" column (4.x, decimal-comma right answers): versions from "Right answer",
    said in a warning; the same grades."""
    book, run = klass.grade("moodle-right", {
        "r.csv": moodle_csv(klass.attempts(decsep=","), "4.x", question=False)})  # fmt: skip
    same_grades(book, klass.expected)
    (warning,) = run.warnings
    assert "found from the 'Right answer' column (8 submissions)" in warning
    assert 'tick "Question text"' in warning


def test_moodle_report_with_responses_only_matches_answers(klass):
    """Neither Question nor Right answer columns: each attempt's answers are matched against the
    key, said in a warning naming the rows; the same grades."""
    book, run = klass.grade("moodle-bare", {
        "r.csv": moodle_csv(klass.attempts(), "5.x", question=False, right=False)})  # fmt: skip
    same_grades(book, klass.expected)
    (warning,) = run.warnings
    assert "found by matching the answers against the key (8 submissions: rows 2, 3, 4" in warning


def test_moodle_bad_rows_are_problems_and_the_rest_is_graded(klass):
    """An attempt in progress, one never submitted ("-"), and a cell with the wrong number of
    parts are problems naming the row; the other attempts are graded."""
    attempts = klass.attempts()
    n = len(klass.ids)
    attempts += [
        Attempt("Late", "Lu", "lu@uni.example", "s100", attempts[0].parts, attempts[0].question,
                attempts[0].right, state="In progress"),
        Attempt("Gone", "Gil", "gil@uni.example", "s101", None, "", None, "Never submitted"),
        Attempt("Odd", "Olu", "olu@uni.example", "s102", ["0.1"] * (n - 1), attempts[0].question,
                attempts[0].right),
    ]  # fmt: skip
    book, run = klass.grade("moodle-bad", {"r.csv": moodle_csv(attempts)})
    same_grades(book, klass.expected)
    assert [p.kind for p in run.problems] == ["bad-row"] * 3
    messages = [p.message for p in run.problems]
    assert "attempt not submitted (In progress)" in messages[0]
    assert "no answers ('-', Never submitted)" in messages[1]
    assert f"expected {n} parts" in messages[2]
    # Rows as a spreadsheet numbers them (header: row 1), though the question text spans lines.
    assert [p.row for p in run.problems] == [10, 11, 12]


def test_qti_results_grade_as_the_csv_route(klass):
    """QTI 2.1 results (one assessmentResult per candidate, valid against the results XSD):
    the typed text of each box graded; the same grades (the report has no names)."""
    _, _, results = qti_schemas()
    files = {}
    for k, (v, a) in enumerate(zip(klass.variants, klass.answers)):
        data = qti_result(klass.who(k)[3], f"V_{v['version']}", a)
        assert validate(results, data) == ""
        files[f"result-{k}.xml"] = data
    book, run = klass.grade("qti", files)
    same_grades(book, klass.expected, names=False)
    assert not run.problems


def test_qti_results_without_raw_text_use_the_floats(klass):
    """Without the `_RAW` string responses, the engine's floats are graded: the same grades
    for the students who typed plain decimals."""
    plain = [0, 1, 2, 5]
    files = {f"r{k}.xml": qti_result(klass.who(k)[3], f"V_{klass.variants[k]['version']}",
                                     klass.answers[k], raw=None) for k in plain}  # fmt: skip
    book, _ = klass.grade("qti-floats", files)
    same_grades(book, {f"s{k:03d}": klass.expected[f"s{k:03d}"] for k in plain}, names=False)


def test_grade_cli_moodle_round_trip_and_gradebook(klass):
    """`bpquiz grade REPORT --gradebook moodle`: exit 0, and gradebook-moodle.csv has the email
    column Moodle matches on and each student's percentage."""
    folder = klass.root / "cli"
    folder.mkdir()
    (folder / "responses.csv").write_bytes(moodle_csv(klass.attempts()))
    result = bpquiz("grade", folder / "responses.csv", "--key", klass.key, "--out",
                    folder / "graded", "--gradebook", "moodle", "--no-feedback",
                    "--no-summary")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "graded 8 submissions from 1 file" in result.stdout
    assert "gradebook-moodle.csv" in result.stdout
    rows = list(csv.reader((folder / "graded" / "gradebook-moodle.csv").open(encoding="utf-8")))
    assert rows[0] == ["Email address", "bpquiz: Backpropagation exercise"]
    percent = {}
    for sid, r in klass.expected.items():
        percent[f"st{int(sid[1:])}@uni.example"] = (
            f"{100 * float(r['score']) / float(r['max_score']):.2f}"
        )
    assert dict(rows[1:]) == percent


def test_format_option_forces_a_reader(klass):
    """--format csv reads a Moodle report as a plain CSV (no version column: a problem), and
    --format moodle a plain CSV as a report (no Response column): a problem each, exit 1; an
    unknown format is a usage error, exit 2."""
    folder = klass.root / "forced"
    folder.mkdir()
    (folder / "moodle.csv").write_bytes(moodle_csv(klass.attempts()))
    (folder / "plain.csv").write_bytes(klass.plain_csv())
    as_csv = bpquiz("grade", folder / "moodle.csv", "--key", klass.key, "--out", folder / "a",
                    "--format", "csv")  # fmt: skip
    assert as_csv.returncode == 1 and "moodle.csv:1: no version column" in as_csv.stderr
    as_moodle = bpquiz("grade", folder / "plain.csv", "--key", klass.key, "--out", folder / "b",
                       "--format", "moodle")  # fmt: skip
    assert as_moodle.returncode == 1 and "no 'Response N' column" in as_moodle.stderr
    bad = bpquiz("grade", folder / "plain.csv", "--key", klass.key, "--format", "xlsx")
    assert bad.returncode == 2 and "--format: expected one of moodle, qti, csv" in bad.stderr
    assert "Traceback" not in as_csv.stderr + as_moodle.stderr + bad.stderr


def test_detection_reads_a_folder_of_mixed_files(klass):
    """A folder with a plain CSV, a Moodle report and QTI results: each file read by its own
    reader (recognised by content), duplicates reported across them."""
    files = {
        "answers.csv": klass.plain_csv(),
        "moodle.csv": moodle_csv(klass.attempts()),
        "tao.xml": qti_result("s000", f"V_{klass.variants[0]['version']}", klass.answers[0]),
    }
    book, run = klass.grade("mixed", files)
    same_grades(book, klass.expected)
    assert [p.kind for p in run.problems] == ["duplicate"] * 9


def test_an_attempt_that_matches_no_variant_is_a_problem(klass):
    """Without Question and Right answer columns, an attempt whose answers agree with no one
    variant on 3 steps is a problem naming the row (best agreement given); the rest graded."""
    attempts = klass.attempts()
    attempts.append(Attempt("Guess", "Gus", "gus@uni.example", "s200",
                            ["0.5"] * len(klass.ids)))  # fmt: skip
    book, run = klass.grade("moodle-unknown", {
        "r.csv": moodle_csv(attempts, "5.x", question=False, right=False)})  # fmt: skip
    same_grades(book, klass.expected)
    (problem,) = run.problems
    assert problem.kind == "bad-row" and problem.row == len(attempts) + 1
    assert "agree with no one variant on 3 or more steps (best: 0)" in problem.message


def test_moodle_gradebook_of_a_plain_csv_uses_the_id_number(klass):
    """Students without an email (the CSV route) go to Moodle's gradebook by ID number."""
    from bpquiz.marking.lms_match import moodle_gradebook_csv

    _, run = klass.grade("plain-again", {"answers.csv": klass.plain_csv()})
    text, warnings = moodle_gradebook_csv(run.results, "Quiz 1")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["ID number", "bpquiz: Quiz 1"] and not warnings
    assert [r[0] for r in rows[1:]] == [f"s{k:03d}" for k in range(8)]


def test_broken_qti_files_are_problems(klass):
    """A QTI file that is not well-formed, and a results report with no bpquiz item, are one
    problem each naming the file; the valid report beside them is graded."""
    files = {
        "broken.xml": b"<assessmentResult><itemResult",
        "other.xml": qti_result("s000", "ITEM_42", {"x": "1"}),
        "good.xml": qti_result("s000", f"V_{klass.variants[0]['version']}", klass.answers[0]),
    }
    book, run = klass.grade("qti-broken", files)
    assert list(book) == ["s000"]
    assert [(Path(p.file).name, p.kind) for p in run.problems] == [
        ("broken.xml", "unreadable-file"), ("other.xml", "unreadable-file")]  # fmt: skip
    assert "not well-formed XML (line 1" in run.problems[0].message
    assert "no itemResult of a bpquiz item" in run.problems[1].message


def test_a_csv_is_read_as_csv_whatever_its_text(tmp_path):
    """A .csv file is never taken for XML by its content: a name that quotes
    `<assessmentResult>` stays a CSV row."""
    from bpquiz.marking.formats import read_file

    (tmp_path / "a.csv").write_text(
        "student_id,name,version,sum_h1\ns1,<assessmentResult> Ann,K7F3Q9,0.41\n"
    )
    (sub,) = read_file(tmp_path / "a.csv", Exercise()).submissions
    assert (sub.name, sub.version, sub.answers["sum_h1"]) == (
        "<assessmentResult> Ann",
        "K7F3Q9",
        "0.41",
    )
