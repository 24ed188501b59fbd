"""`bpquiz grade` end to end: generate → fill PDFs, write CSVs → grade → statuses, scores, files."""

from __future__ import annotations

import csv
import io
import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pdfwords import same_words, words
from pypdf import PdfReader

from bpquiz.exercise.model import Exercise

import students
from oracle import article
from students import fill

STEP_IDS = Exercise().step_ids


def bpquiz(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bpquiz", *map(str, args)],
        capture_output=True, text=True, timeout=600, cwd=cwd, check=False,
    )  # fmt: skip


def from_key(variant: dict, how: str = "round") -> dict[str, str]:
    """Answers written from the oracle's values for this variant's givens."""
    return students.from_key(variant["given"], how)


def carried(variant: dict, how: str = "round", slip=None) -> dict[str, str]:
    """A student working from their own written answers (and maybe one mistake, `slip`)."""
    return students.carried(variant["given"], how, slip)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A class of 6 (seed 1): 3 filled PDFs, a CSV with 3 more rows and two bad ones, graded."""
    from bpquiz.generate import Settings, generate

    root = tmp_path_factory.mktemp("round-trip")
    generate(Settings(n=6, seed=1), root / "class")
    key = json.loads((root / "class" / "key.json").read_text())
    v = key["variants"]
    subs = root / "submissions"
    (subs / "pdfs").mkdir(parents=True)

    def sheet(k: int) -> Path:
        return root / "class" / "worksheets" / f"{v[k]['version']}.pdf"

    fill(sheet(0), from_key(v[0]), subs / "pdfs" / "exact.pdf")
    fill(sheet(1), carried(v[1], "trunc"), subs / "pdfs" / "truncated.pdf")
    fill(
        sheet(2),
        carried(v[2], "round", ("out_h1", lambda x: x + 0.05)),
        subs / "pdfs" / "one-error.pdf",
    )

    messy = from_key(v[3])
    for k, sid in enumerate(STEP_IDS):
        messy[sid] = (
            messy[sid].replace(".", ","),
            f"  {messy[sid]} ",
            messy[sid].replace("-", "−"),
            messy[sid].lstrip("0"),
        )[k % 4]
    garbage = from_key(v[4])
    garbage.update(out_h1="abc", E1="", E2="1/2", new_w1="")
    off = from_key(v[5])
    off["E_total"] = f"{float(off['E_total']) + 5e-5:.5f}"
    rows = [
        ["s3", "Messy Mo", v[3]["version"], *(messy[i] for i in STEP_IDS)],
        ["s4", "Garbage Gus", v[4]["version"], *(garbage[i] for i in STEP_IDS)],
        ["s5", "Off Olga", v[5]["version"].lower(), *(off[i] for i in STEP_IDS)],
        ["s6", "Lost Lu", "QQQQQQ", *(off[i] for i in STEP_IDS)],
        ["s5", "Olga again", v[5]["version"], *(off[i] for i in STEP_IDS)],
    ]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(
        [["student_id", "name", "version", "comment", *STEP_IDS]]
        + [r[:3] + ["…"] + r[3:] for r in rows]
    )
    (subs / "answers.csv").write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode())

    result = bpquiz("grade", subs, "--key", root / "class" / "key.json", "--out", root / "graded")
    return root, key, result


def gradebook(folder: Path) -> dict[str, dict[str, str]]:
    with (folder / "gradebook.csv").open(newline="", encoding="utf-8") as f:
        return {r["version"]: r for r in csv.DictReader(f)}


def test_round_trip_statuses_and_scores(graded):
    """Exact, truncated-carried and messy answers are all correct; one early error is 1 wrong + ecf;
    garbage is unreadable/blank; 5 units off is wrong."""
    root, key, _ = graded
    book = gradebook(root / "graded")
    v = [x["version"] for x in key["variants"]]
    assert set(book) == set(v)

    def steps(k: int) -> list[str]:
        return [book[v[k]][s] for s in STEP_IDS]

    assert steps(0) == ["correct"] * 41 and book[v[0]]["score"] == "41"
    assert steps(1) == ["correct"] * 41
    one = steps(2)
    assert one.count("wrong") == 1 and book[v[2]]["out_h1"] == "wrong" and one.count("ecf") > 20
    assert book[v[2]]["score"] == "40" and book[v[2]]["percent"] == "97.6"
    assert steps(3) == ["correct"] * 41
    g = book[v[4]]
    assert (g["out_h1"], g["E1"], g["E2"], g["new_w1"]) == (
        "unreadable",
        "blank",
        "unreadable",
        "blank",
    )
    assert g["score"] == "37" and g["student_id"] == "s4" and g["name"] == "Garbage Gus"
    assert book[v[5]]["E_total"] == "wrong" and book[v[5]]["score"] == "40"


def test_gradebook_has_the_contract_columns(graded):
    """gradebook.csv: student_id, name, version, score, max_score, percent, then a column per
    step."""
    root, _, _ = graded
    header = (root / "graded" / "gradebook.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == ",".join(
        ["student_id", "name", "version", "score", "max_score", "percent", *STEP_IDS]
    )


def test_problems_are_reported_and_exit_code_is_1(graded):
    """Unknown version and duplicate student: one line each, in problems.csv, exit 1; the rest
    graded."""
    root, _, result = graded
    assert result.returncode == 1, result.stderr
    assert "graded 6 submissions from 4 files" in result.stdout
    assert "2 problems (1 unknown-version, 1 duplicate)" in result.stdout
    problems = list(csv.DictReader((root / "graded" / "problems.csv").open(encoding="utf-8")))
    assert [(p["row"], p["kind"]) for p in problems] == [
        ("5", "unknown-version"),
        ("6", "duplicate"),
    ]
    assert all(p["file"].endswith("answers.csv") for p in problems)
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("problem:")]
    assert len(lines) == 2 and "QQQQQQ" in lines[0] and "already submitted" in lines[1]
    assert "warning:" in result.stderr and "comment" in result.stderr
    assert "Traceback" not in result.stderr


def test_grades_json_keeps_every_answer_as_written(graded):
    """grades.json: per submission and step the text as written, parsed value, key, status,
    points."""
    root, key, _ = graded
    data = json.loads((root / "graded" / "grades.json").read_text(encoding="utf-8"))
    by_version = {s["version"]: s for s in data["submissions"]}
    messy = by_version[key["variants"][3]["version"]]
    first = messy["steps"][0]
    assert set(first) >= {"id", "written", "parsed", "key", "status", "points"}
    assert data["max_points"] == dict.fromkeys(STEP_IDS, 1.0)
    assert "," in first["written"] and first["parsed"] == pytest.approx(
        float(first["written"].replace(",", "."))
    )
    one = by_version[key["variants"][2]["version"]]
    ecf = next(s for s in one["steps"] if s["status"] == "ecf")
    assert ecf["recomputed"] == pytest.approx(ecf["parsed"], abs=3e-5)
    assert data["policy"]["ecf_credit"] == 1.0 and data["statistics"]["graded"] == 6
    assert {p["kind"] for p in data["problems"]} == {"unknown-version", "duplicate"}


def test_feedback_and_summary_pdfs(graded):
    """A feedback PDF per student shows answer, correct value and status; summary.pdf exists."""
    root, key, _ = graded
    folder = root / "graded" / "feedback"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{key['variants'][k]['version']}.pdf" for k in range(3)] + ["s3.pdf", "s4.pdf", "s5.pdf"]
    )
    text = "".join(page.extract_text() for page in PdfReader(folder / "s4.pdf").pages)
    assert "Garbage Gus" in text and "abc" in text and "unreadable" in text and "37 / 41" in text
    messy = "".join(page.extract_text() for page in PdfReader(folder / "s3.pdf").pages)
    assert "read as" in messy and "41 / 41" in messy
    summary = PdfReader(root / "graded" / "summary.pdf")
    assert "grading summary" in summary.pages[0].extract_text()


def test_existing_gradebook_is_kept_without_force(graded):
    """A second run into the same folder refuses (exit 2, one line) and changes nothing."""
    root, _, _ = graded
    before = (root / "graded" / "gradebook.csv").read_bytes()
    result = bpquiz(
        "grade",
        root / "submissions",
        "--key",
        root / "class" / "key.json",
        "--out",
        root / "graded",
    )
    assert result.returncode == 2 and result.stderr.strip().startswith("error:")
    assert "--force" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert (root / "graded" / "gradebook.csv").read_bytes() == before


def test_force_regrades_with_other_settings(graded, tmp_path):
    """--force overwrites; --ecf-credit 0.5 halves ecf points; --no-feedback writes no PDFs."""
    root, key, _ = graded
    out = tmp_path / "again"
    shutil.copytree(root / "graded", out)
    result = bpquiz("grade", root / "submissions", "--key", root / "class" / "key.json",
                    "--out", out, "--force", "--ecf-credit", "0.5", "--no-feedback",
                    "--no-summary", "--quiet")  # fmt: skip
    assert result.returncode == 1 and "warning" not in result.stderr
    book = gradebook(out)
    one = book[key["variants"][2]["version"]]
    n_ecf = sum(one[s] == "ecf" for s in STEP_IDS)
    assert float(one["score"]) == pytest.approx(41 - 1 - n_ecf / 2)


def test_article_worksheet_printed_numbers_grade_correct(tmp_path):
    """The article's variant (generate --example), filled with every number the article prints: all
    those steps correct, the rest blank; exit 0."""
    from bpquiz.generate import Settings, generate

    generate(Settings(n=1, example=True), tmp_path / "ex", jobs=1)
    key = json.loads((tmp_path / "ex" / "key.json").read_text())
    code = key["variants"][0]["version"]
    printed = {k: str(x) for k, x in article()["printed"].items()}
    (tmp_path / "in").mkdir()
    fill(tmp_path / "ex" / "worksheets" / f"{code}.pdf", printed, tmp_path / "in" / "article.pdf")
    result = bpquiz(
        "grade",
        tmp_path / "in",
        "--key",
        tmp_path / "ex" / "key.json",
        "--out",
        tmp_path / "g",
        "--no-feedback",
        "--no-summary",
    )
    assert result.returncode == 0, result.stderr
    row = gradebook(tmp_path / "g")[code]
    assert all(row[k] == "correct" for k in printed)
    assert all(row[k] == "blank" for k in STEP_IDS if k not in printed)
    assert row["score"] == str(len(printed))


@pytest.mark.parametrize(
    "args, message",
    [
        (["--key", "nope.json"], "no such key file"),
        (["--points", "bogus=1"], "neither a step id nor a phase"),
        (["--points", "E1"], "expected STEP=N"),
        (["--no-ecf", "--ecf-credit", "0.5"], "only one of --no-ecf"),
    ],
)
def test_usage_errors_are_one_line_exit_2(graded, tmp_path, args, message):
    """Bad options or a missing key: exit 2 and one line 'error: …', nothing written."""
    root, _, _ = graded
    base = ["--key", root / "class" / "key.json"] if "--key" not in args else []
    result = bpquiz("grade", root / "submissions", *base, *args, "--out", tmp_path / "o")
    assert result.returncode == 2 and message in result.stderr
    assert result.stderr.startswith("error:") and "Traceback" not in result.stderr
    assert not (tmp_path / "o").exists()


def test_nothing_to_grade_is_a_usage_error(graded, tmp_path):
    """A missing input path (and nothing else) is exit 2, and no gradebook is written."""
    root, _, _ = graded
    result = bpquiz(
        "grade",
        tmp_path / "nothing-here",
        "--key",
        root / "class" / "key.json",
        "--out",
        tmp_path / "o",
    )
    assert result.returncode == 2 and "no such file or folder" in result.stderr
    assert not (tmp_path / "o").exists()


def _class_csv(root: Path):
    """The key and the CSV's students of the `graded` class, graded in this process."""
    from bpquiz.grade import load_key
    from bpquiz.marking.formats import read_file
    from bpquiz.marking.grading import Policy
    from bpquiz.marking.match import grade_class

    key = load_key(root / "class" / "key.json")
    reading = read_file(root / "submissions" / "answers.csv", key.exercise)
    results, problems = grade_class(key, reading.submissions, Policy())
    return key, results, problems


def test_feedback_renders_without_weasyprint_warnings(graded, caplog):
    """Rendering a feedback page and the summary logs no WeasyPrint warning."""
    from bpquiz.documents import render
    from bpquiz.documents.feedback import feedback_context, summary_context
    from bpquiz.documents.views import Page
    from bpquiz.marking.grading import Policy
    from bpquiz.marking.reports import statistics_dict

    root, _, _ = graded
    key, results, problems = _class_csv(root)
    stats = statistics_dict(key.exercise, results)
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        render.render_pdf("feedback.html.j2", feedback_context(results[1], Policy(), Page()))
        render.render_pdf(
            "summary.html.j2",
            summary_context(key.exercise, results, problems, Policy(), Page(), stats),
        )
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []


def test_stamped_feedback_matches_a_full_render(graded):
    """Each feedback PDF of the CSV's students (stamped on the grading's shared layout) has
    exactly the words of a full render of their own feedback, each in the same place."""
    from bpquiz.documents import render
    from bpquiz.documents.feedback import feedback_context
    from bpquiz.documents.views import Page
    from bpquiz.marking.grading import Policy

    root, _, _ = graded
    _, results, _ = _class_csv(root)
    assert {r.student for r in results} == {"s3", "s4", "s5"}
    for r in results:
        path = root / "graded" / "feedback" / f"{r.student}.pdf"
        full = render.render_pdf("feedback.html.j2", feedback_context(r, Policy(), Page()))
        same_words(words(path), words(full), r.student)
        for page in PdfReader(path).pages:
            assert "/bpqStamp" in page["/Resources"]["/XObject"], r.student


def test_a_feedback_does_not_depend_on_who_else_was_graded(graded, tmp_path):
    """Grading one student alone writes the same feedback bytes as grading them with the class
    (the shared layout comes from no student, and stamping learns nothing that changes bytes)."""
    root, _, _ = graded
    lines = (root / "submissions" / "answers.csv").read_text(encoding="utf-8-sig").splitlines()
    alone = tmp_path / "alone.csv"
    alone.write_text("\n".join([lines[0], next(x for x in lines if x.startswith("s4;"))]) + "\n")
    result = bpquiz("grade", alone, "--key", root / "class" / "key.json", "--out", tmp_path / "g")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "g" / "feedback" / "s4.pdf").read_bytes() == (
        root / "graded" / "feedback" / "s4.pdf"
    ).read_bytes()


def test_the_fast_pdf_reader_reads_what_pypdf_reads(graded):
    """pikepdf's reading of the form fields (the fast path) gives what pypdf's gives — filled
    worksheets, a blank one, a merged print file —, and leaves a damaged file to pypdf."""
    from bpquiz.marking.pdfs import _pypdf_fields, fast_fields

    root, key, _ = graded
    files = [
        *sorted((root / "submissions" / "pdfs").glob("*.pdf")),
        root / "class" / "worksheets" / f"{key['variants'][5]['version']}.pdf",
        root / "class" / "print" / "worksheets.pdf",
    ]
    for path in files:
        data = path.read_bytes()
        fast, slow = fast_fields(data), _pypdf_fields(data)
        assert fast is not None and not isinstance(slow, str), path.name
        assert {k: v for k, v in fast[0].items() if v is not None} == {
            k: str(v) for k, v in slow[0].items() if v is not None
        }, path.name
        assert fast[1:] == slow[1:], path.name
    assert len(fast_fields(files[-1].read_bytes())[0]) >= 6 * 41  # every sheet's fields
    cut = files[0].read_bytes()
    assert fast_fields(cut[: len(cut) // 2]) is None
    assert isinstance(_pypdf_fields(cut[: len(cut) // 2]), str)


@pytest.mark.parametrize(
    "written, parsed, shown",
    [("1,55040", 1.5504, "1.55040"), ("−0,0176", -0.0176, "−0.0176"),
     ("6.0108e-1", 0.60108, "0.60108"),
     ("0.60108", 0.60108, "")],
)  # fmt: skip
def test_feedback_shows_how_a_messy_answer_was_read(written, parsed, shown):
    """Feedback says how a decimal-comma or exponent answer was read, keeping its decimals."""
    from bpquiz.documents.feedback import read_as

    assert read_as(written, parsed, 5) == shown
