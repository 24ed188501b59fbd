"""Reading submissions: answers CSVs, JSON files, filled worksheet PDFs, folders."""

from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader, PdfWriter

from bpquiz.exercise.model import Exercise
from bpquiz.marking import formats as submissions
from bpquiz.marking.submissions import expand

from students import fill

EX = Exercise()
STEP_IDS = EX.step_ids


# The readers of the article's exercise.
def read_csv(data, file):
    return submissions.read_csv(data, file, EX)


def read_json(data, file):
    return submissions.read_json(data, file, EX)


def read_pdf(data, file):
    return submissions.read_pdf(data, file, EX)


def read_file(path):
    return submissions.read_file(path, EX)


def submissions_from_fields(values, file, keywords=""):
    return submissions.submissions_from_fields(values, file, EX, keywords)


HEADER = "student_id,name,version," + ",".join(STEP_IDS)


def row(student, name, version, answers=()):
    cells = dict(answers)
    return ",".join([student, name, version, *(cells.get(s, "") for s in STEP_IDS)])


def csv_bytes(*rows, header=HEADER, sep=",", bom=False):
    text = "\n".join([header, *rows]) + "\n"
    text = text.replace(",", sep) if sep != "," else text
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


# --- CSV ---------------------------------------------------------------------------------------


def test_csv_rows_become_submissions_with_row_numbers():
    """Each data row is a submission named by file and spreadsheet row; answers kept as written."""
    data = csv_bytes(
        row("s1", "Ada", "K7F3Q9", {"out_h1": "0.60108"}), row("s2", "Bo", "m4r8t2", {"E1": " .2 "})
    )
    r = read_csv(data, "a.csv")
    assert not r.problems and not r.warnings
    s1, s2 = r.submissions
    assert (s1.where, s1.student_id, s1.name, s1.version) == ("a.csv:2", "s1", "Ada", "K7F3Q9")
    assert s1.answers["out_h1"] == "0.60108" and s1.answers["sum_h1"] == ""
    assert s2.version == "M4R8T2" and s2.answers["E1"] == " .2 "  # codes read in upper case


def test_european_excel_csv_with_bom_and_semicolons():
    """A BOM and ';' separators (European Excel) are read; decimal commas stay in the answer."""
    header = HEADER.replace(",", ";")
    text = header + "\n" + ";".join(["s1", "Zoë", "K7F3Q9", "0,41", "0,60108"] + [""] * 39) + "\n"
    r = read_csv(b"\xef\xbb\xbf" + text.encode(), "eu.csv")
    assert not r.problems and r.submissions[0].name == "Zoë"
    assert (
        r.submissions[0].answers["sum_h1"] == "0,41"
        and r.submissions[0].answers["out_h1"] == "0,60108"
    )


def test_windows_1252_csv_is_read_with_a_warning():
    """A CSV that is not UTF-8 is read as Windows-1252 and says so."""
    data = (HEADER + "\n" + row("s1", "Zo\xeb", "K7F3Q9") + "\n").encode("cp1252")
    r = read_csv(data, "old.csv")
    assert r.submissions[0].name == "Zoë" and "Windows-1252" in r.warnings[0]


def test_extra_and_missing_columns_warn_and_grade_anyway():
    """Unknown columns are ignored with a warning; missing step columns count as blank."""
    header = "Student ID,Name,Version,comment,out_h1,E_total"
    r = read_csv(csv_bytes("s1,Ada,K7F3Q9,hello,0.6,0.25", header=header), "few.csv")
    assert not r.problems and len(r.submissions) == 1
    assert any("comment" in w for w in r.warnings) and any("sum_h1" in w for w in r.warnings)
    assert r.submissions[0].answers == {"out_h1": "0.6", "E_total": "0.25"}


def test_csv_without_version_column_is_one_problem():
    """A CSV without a version column is one problem naming the file and what was expected."""
    r = read_csv(b"student_id,name,out_h1\ns1,Ada,0.6\n", "nov.csv")
    assert not r.submissions and len(r.problems) == 1
    p = r.problems[0]
    assert (
        p.file == "nov.csv"
        and "no version column" in p.message
        and "student_id,name,version" in p.message
    )


def test_csv_row_without_version_is_a_problem_and_the_rest_is_read():
    """A row without a version code is reported by row; blank lines are skipped silently."""
    r = read_csv(csv_bytes(row("s1", "Ada", ""), "", row("s2", "Bo", "K7F3Q9")), "b.csv")
    assert [s.student_id for s in r.submissions] == ["s2"]
    assert [(p.row, p.kind) for p in r.problems] == [(2, "bad-row")]


def test_empty_and_binary_files_are_problems_not_crashes():
    """An empty CSV or a binary file with a .csv name is one problem each."""
    assert read_csv(b"", "e.csv").problems[0].message.startswith("empty file")
    assert read_csv(b"\x00\x01\x02", "x.csv").problems  # no version column


# --- JSON --------------------------------------------------------------------------------------


def test_json_in_all_three_shapes():
    """A list, {"submissions": [...]} or one object; answers nested or flat; numbers and null."""
    nested = {
        "student_id": "s1",
        "name": "Ada",
        "version": "K7F3Q9",
        "answers": {"out_h1": 0.60108, "E1": None},
    }
    flat = {"student_id": "s2", "version": "M4R8T2", "out_h1": "0,6", "note": "x"}
    for doc in ([nested, flat], {"submissions": [nested, flat]}):
        r = read_json(json.dumps(doc).encode(), "a.json")
        assert [s.student_id for s in r.submissions] == ["s1", "s2"]
        assert r.submissions[0].answers == {"out_h1": 0.60108, "E1": None}
        assert r.submissions[1].answers == {"out_h1": "0,6"} and "note" in r.warnings[0]
    one = read_json(json.dumps(nested).encode(), "one.json")
    assert one.submissions[0].where == "one.json:1"


def test_bad_json_names_line_and_item():
    """Invalid JSON is one problem with line and column; a bad item is a problem by number."""
    assert "line 1, column" in read_json(b"{nope", "bad.json").problems[0].message
    r = read_json(
        json.dumps([{"version": "K7F3Q9", "answers": [1]}, 5, {"answers": {}}]).encode(), "x.json"
    )
    assert [(p.row, p.kind) for p in r.problems] == [(1, "bad-row"), (2, "bad-row"), (3, "bad-row")]


# --- PDF ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def class_set(tmp_path_factory):
    from bpquiz.generate import Settings, generate

    out = tmp_path_factory.mktemp("class")
    generate(Settings(n=2, seed=3), out, jobs=1)
    return out


def test_filled_worksheet_pdf_gives_its_version_and_answers(class_set):
    """A worksheet filled with pypdf reads back: version from its field, answers by step id."""
    key = json.loads((class_set / "key.json").read_text())
    code = key["variants"][0]["version"]
    data = fill(
        class_set / "worksheets" / f"{code}.pdf", {"out_h1": "0,60108", "E_total": "−0.0176"}
    )
    r = read_pdf(data, "w.pdf")
    assert not r.problems, r.problems
    (s,) = r.submissions
    assert s.version == code and s.where == "w.pdf"
    assert s.answers["out_h1"] == "0,60108" and s.answers["E_total"] == "−0.0176"
    assert s.answers["sum_h1"] == "" and set(s.answers) == set(STEP_IDS)


def test_merged_print_file_is_skipped_not_read_as_every_sheet(class_set):
    """print/worksheets.pdf (fields <version>.<step id>), even filled, is bpquiz's print file:
    skipped, never a submission for every sheet of the class."""
    reader = PdfReader(class_set / "print" / "worksheets.pdf")
    names = [n for n in reader.get_fields() if n.endswith(".out_h1")]
    data = fill(class_set / "print" / "worksheets.pdf", {names[0]: "0.5", names[1]: "0.7"})
    r = read_pdf(data, "print.pdf")
    assert not r.submissions and not r.problems
    assert r.skipped == [("print.pdf", "a print file (every sheet of a class in one PDF)")]


def test_version_from_metadata_when_the_field_is_empty():
    """Without a version field value, `bpquiz-version:CODE` in the keywords gives the version."""
    r = submissions_from_fields(
        {"out_h1": "0.6", "version": None}, "m.pdf", "bpquiz, worksheet, bpquiz-version:K7F3Q9"
    )
    assert r.submissions[0].version == "K7F3Q9"
    r = submissions_from_fields({"out_h1": "0.6"}, "m.pdf", "")
    assert r.problems[0].kind == "bad-row" and "no version code" in r.problems[0].message


def test_pdfs_that_are_no_filled_worksheet_are_problems(tmp_path):
    """A PDF without fields (a scan), a damaged file, an encrypted one: one problem each."""
    blank = PdfWriter()
    blank.add_blank_page(200, 200)
    buffer = io.BytesIO()
    blank.write(buffer)
    assert "no answer fields" in read_pdf(buffer.getvalue(), "scan.pdf").problems[0].message
    assert "not a readable PDF" in read_pdf(b"%PDF-1.7\ngarbage", "bad.pdf").problems[0].message
    locked = PdfWriter()
    locked.add_blank_page(200, 200)
    locked.encrypt("secret")
    buffer = io.BytesIO()
    locked.write(buffer)
    assert "encrypted" in read_pdf(buffer.getvalue(), "locked.pdf").problems[0].message


# --- folders -----------------------------------------------------------------------------------


def test_folders_are_searched_recursively_in_order(tmp_path):
    """Folders give their CSV/JSON/PDF files sorted; others warn; hidden and excluded are
    skipped."""
    (tmp_path / "b").mkdir()
    (tmp_path / "a.csv").write_bytes(csv_bytes(row("s1", "Ada", "K7F3Q9")))
    (tmp_path / "b" / "c.JSON").write_text("[]")
    (tmp_path / "b" / "notes.txt").write_text("hi")
    (tmp_path / ".hidden.csv").write_text("x")
    (tmp_path / "graded").mkdir()
    (tmp_path / "graded" / "gradebook.csv").write_text("x")
    files, reading = expand(
        [tmp_path, tmp_path / "a.csv", tmp_path / "missing.csv"], exclude=[tmp_path / "graded"]
    )
    assert [f.relative_to(tmp_path).as_posix() for f in files] == ["a.csv", "b/c.JSON"]
    assert "notes.txt" in reading.warnings[0]
    assert [p.kind for p in reading.problems] == [
        "unreadable-file"
    ] and "missing.csv" in reading.problems[0].file


def test_read_file_dispatches_on_suffix_and_content(tmp_path):
    """read_file picks the reader by suffix (or %PDF magic) and reports other files."""
    (tmp_path / "x.xlsx").write_bytes(b"PK")
    assert "not a CSV, JSON or PDF" in read_file(tmp_path / "x.xlsx").problems[0].message
    (tmp_path / "a.csv").write_bytes(csv_bytes(row("s1", "Ada", "K7F3Q9")))
    assert read_file(tmp_path / "a.csv").submissions[0].student_id == "s1"
    assert read_file(tmp_path / "gone.csv").problems[0].message.startswith("cannot read")
