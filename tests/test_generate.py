"""generate.py and `bpquiz generate`: class sets, roster, print files, key, determinism, errors."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest
from pdfwords import same_words, words

from bpquiz import generate as gen
from bpquiz.documents import pdfio
from bpquiz.documents import sheets as documents
from bpquiz.errors import GenerateError
from bpquiz.exercise.key import parse_key
from bpquiz.exercise.model import Exercise
from bpquiz.exercise.variants import ARTICLE_EXAMPLE
from bpquiz.generate import Settings, generate
from bpquiz.roster import Student, parse_roster

STEP_IDS = Exercise().step_ids

ROSTER = (
    "student_id,name,email\ns1,<b>&amp; Tag,a@b\n"
    "s2,Zoë Ångström Maximiliane von Hohenzollern-Sigmaringen,\ns3,王小明,\ns4,مريم الحسن,\n"
)


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    return subprocess.run(
        [sys.executable, "-m", "bpquiz", "generate", *args],
        check=False, capture_output=True, text=True, cwd=cwd, env=env,
    )  # fmt: skip


@pytest.fixture(scope="module")
def class_set(tmp_path_factory) -> gen.Result:
    """A four-student run from a roster, rendered in this process (jobs=1, fast)."""
    out = tmp_path_factory.mktemp("run") / "out"
    settings = Settings(n=4, seed=123, course="ML 101", roster="class.csv")
    return generate(settings, out, parse_roster(ROSTER), jobs=1)


def test_writes_every_file(class_set):
    """A run writes a worksheet and a solution per student, both print files and the three keys."""
    out = class_set.out
    codes = [s.version for s in class_set.sheets]
    assert sorted(p.stem for p in (out / "worksheets").glob("*.pdf")) == sorted(codes)
    assert sorted(p.stem for p in (out / "solutions").glob("*.pdf")) == sorted(codes)
    for name in ("print/worksheets.pdf", "print/solutions.pdf", "key.json", "key.csv",
                 "answers-template.csv"):  # fmt: skip
        assert (out / name).stat().st_size > 0, name
    assert not class_set.failed
    assert not list(out.rglob("*.tmp"))


def test_key_records_variants_settings_seed_and_version(class_set):
    """key.json holds every variant at full precision plus settings, seed and bpquiz version."""
    data = json.loads((class_set.out / "key.json").read_text())
    assert data["settings"]["seed"] == 123 and data["settings"]["course"] == "ML 101"
    assert data["bpquiz_version"]
    key = parse_key(data)  # recomputes every value from the givens and checks it
    assert [s.student_id for s in key.sheets] == ["s1", "s2", "s3", "s4"]
    assert [s.name for s in key.sheets] == [
        "<b>&amp; Tag",
        "Zoë Ångström Maximiliane von Hohenzollern-Sigmaringen",
        "王小明",
        "مريم الحسن",
    ]
    assert [st["id"] for st in data["variants"][0]["steps"]] == list(STEP_IDS)


def test_csv_files_have_a_row_per_variant(class_set):
    """key.csv and answers-template.csv have one row per student with its version code."""
    codes = [s.version for s in class_set.sheets]
    for name in ("key.csv", "answers-template.csv"):
        rows = list(csv.DictReader(io.StringIO((class_set.out / name).read_text())))
        assert [r["version"] for r in rows] == codes, name
    template = list(csv.reader(io.StringIO((class_set.out / "answers-template.csv").read_text())))
    assert template[0] == ["student_id", "name", "version", *STEP_IDS]
    assert all(cell == "" for row in template[1:] for cell in row[3:])


def test_version_codes_are_short_opaque_and_unique(class_set):
    """Codes are six characters, distinct, and neither the seed nor the secret is in a worksheet."""
    codes = [s.version for s in class_set.sheets]
    assert len(set(codes)) == len(codes) and all(len(c) == 6 for c in codes)
    secret = json.loads((class_set.out / "key.json").read_text())["secret"]
    for pdf in (class_set.out / "worksheets").glob("*.pdf"):
        raw = pdf.read_bytes()
        meta = " ".join(map(str, pypdf.PdfReader(pdf).metadata.values()))
        assert secret.encode() not in raw and "123" not in meta


def test_each_worksheet_names_its_student(class_set):
    """A roster run prints each student's name on their own worksheet and holds their code."""
    for sheet in class_set.sheets:
        reader = pypdf.PdfReader(class_set.out / "worksheets" / f"{sheet.version}.pdf")
        assert reader.get_fields()["version"]["/V"] == sheet.version
    text = subprocess.run(
        ["pdftotext", str(class_set.out / "worksheets" / f"{class_set.sheets[2].version}.pdf"),
         "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "王小明" in text and "s3" in text


@pytest.mark.parametrize("kind", ["worksheet", "solution"])
def test_stamped_documents_match_a_full_render(class_set, kind):
    """Each student's document (a shared skeleton + their own text stamped on) has exactly the
    words of a full render of their own document, each within 0.05 pt of the same place."""
    settings = Settings(n=4, seed=123, course="ML 101", roster="class.csv")
    for sheet in class_set.sheets:
        full = documents.render_document(kind, sheet, settings.page, "a4", skeleton=None)
        same_words(words(class_set.out / f"{kind}s" / f"{sheet.version}.pdf"), words(full),
                   sheet.name)  # fmt: skip


def test_every_page_is_stamped_on_the_shared_layout(class_set):
    """Each page of every generated worksheet and solution draws the student's overlay (the form
    XObject /bpqStamp) over the run's shared layout: stamping is in use, not a whole render."""
    for kind in ("worksheets", "solutions"):
        for sheet in class_set.sheets:
            reader = pypdf.PdfReader(class_set.out / kind / f"{sheet.version}.pdf")
            for page in reader.pages:
                assert "/bpqStamp" in page["/Resources"]["/XObject"], (kind, sheet.version)
                assert b"/bpqStamp Do" in page.get_contents().get_data()


def test_a_failed_layout_is_a_warning_and_the_documents_are_rendered_whole(tmp_path, monkeypatch):
    """If a kind's shared layout cannot be built, the run says so and renders that kind whole."""

    def broken(*args):
        raise RuntimeError("no fonts")

    monkeypatch.setattr(documents, "build_skeleton", broken)
    result = generate(Settings(n=2, seed=4), tmp_path, jobs=1)
    assert len(result.warnings) == 2 and "RuntimeError: no fonts" in result.warnings[0]
    assert "rendered whole" in result.warnings[0] and not result.failed
    page = pypdf.PdfReader(next((tmp_path / "worksheets").glob("*.pdf"))).pages[0]
    assert "/bpqStamp" not in page["/Resources"].get("/XObject", {})


def test_stamped_documents_carry_their_own_version(class_set):
    """A stamped worksheet's version field and both documents' metadata hold the student's code."""
    for sheet in class_set.sheets:
        for kind in ("worksheets", "solutions"):
            reader = pypdf.PdfReader(class_set.out / kind / f"{sheet.version}.pdf")
            assert f"bpquiz-version:{sheet.version}" in reader.metadata["/Keywords"]
            assert sheet.version in reader.metadata["/Title"]
        fields = pypdf.PdfReader(class_set.out / "worksheets" / f"{sheet.version}.pdf").get_fields()
        assert fields["version"]["/V"] == sheet.version
        assert set(fields) == {"version", *STEP_IDS}


def test_stamped_worksheets_carry_no_answers(class_set):
    """No step value of any student's variant (2 to 5 decimals) is in a generated worksheet."""
    for sheet in class_set.sheets:
        path = class_set.out / "worksheets" / f"{sheet.version}.pdf"
        reader = pypdf.PdfReader(path)
        shown = " ".join(w for _, w, _ in words(path))
        shown += " ".join(str(v) for v in reader.metadata.values())
        shown += " ".join(str(f.get("/V", "")) for f in reader.get_fields().values())
        numbers = set(re.findall(r"\d+\.\d+", shown.replace("−", "-")))
        given = {f"{x:g}" for x in sheet.variant.given.values()}
        assert given <= numbers, "the given values at least should be found"
        leaked = [
            (other.version, step.id, text)
            for other in class_set.sheets  # no sheet's values, the own nor the others'
            for step in other.variant.steps
            for text in (f"{abs(step.value):.{d}f}" for d in (2, 3, 4, 5))
            if text in numbers and text not in given
        ]
        assert not leaked


def test_print_files_pad_each_document_to_even_pages(class_set):
    """In the print files every document starts on an odd page (no two students on a sheet)."""
    for kind in ("worksheets", "solutions"):
        merged = pypdf.PdfReader(class_set.out / "print" / f"{kind}.pdf")
        starts = [merged.get_destination_page_number(o) for o in merged.outline]
        assert len(starts) == 4
        assert all(start % 2 == 0 for start in starts), (kind, starts)
        sizes = [
            len(pypdf.PdfReader(class_set.out / kind / f"{s.version}.pdf").pages)
            for s in class_set.sheets
        ]
        padded = sum(n + n % 2 for n in sizes)
        assert len(merged.pages) == padded == class_set.pages[kind]


def test_merged_worksheet_fields_do_not_collide(class_set):
    """The print file's fields are <version>.<step id>: one full set per student, no clashes."""
    fields = pypdf.PdfReader(class_set.out / "print" / "worksheets.pdf").get_fields()
    for sheet in class_set.sheets:
        code = sheet.version
        assert {f"{code}.{i}" for i in ("version", *STEP_IDS)} <= set(fields)
        assert fields[f"{code}.version"]["/V"] == code
    assert "out_h1" not in fields
    solutions = pypdf.PdfReader(class_set.out / "print" / "solutions.pdf")
    assert not solutions.get_fields()


def test_same_seed_gives_the_same_numbers_under_new_codes(tmp_path):
    """Two runs with one seed draw the same given values, under new random secrets and codes:
    no code of one run leads to the other's, nor to the seed."""
    first, second = (generate(Settings(n=3, seed=99), tmp_path / n, jobs=1) for n in "ab")
    assert [dict(s.variant.given) for s in first.sheets] == [
        dict(s.variant.given) for s in second.sheets
    ]
    keys = [json.loads((tmp_path / n / "key.json").read_text()) for n in "ab"]
    assert keys[0]["secret"] != keys[1]["secret"] and len(keys[0]["secret"]) == 32
    assert not {s.version for s in first.sheets} & {s.version for s in second.sheets}


def _cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bpquiz", *map(str, args), "-q"],
                          capture_output=True, text=True)  # fmt: skip


def test_from_key_rebuilds_a_run_byte_for_byte(tmp_path):
    """`generate --from-key` writes the run's files again, byte for byte, print files included
    (a roster's names too); the original's folder is not touched."""
    roster = tmp_path / "class.csv"
    roster.write_text("student_id,name\ns1,Ada Lovelace\ns2,Zoë Ångström\n", encoding="utf-8")
    key = tmp_path / "a" / "key.json"
    run = _cli("generate", "--roster", roster, "--seed", 4, "--lang", "de", "--out", key.parent)
    assert run.returncode == 0, run.stderr
    again = _cli("generate", "--from-key", key, "--out", tmp_path / "b")
    assert again.returncode == 0, again.stderr
    files = sorted(
        p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file()
    )
    assert len(files) == 9
    for rel in files:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel
    refused = _cli("generate", "--from-key", key, "--n", 5, "--out", tmp_path / "c")
    assert refused.returncode == 2 and "drop --n" in refused.stderr
    assert not (tmp_path / "c").exists()


def test_existing_output_needs_force(tmp_path):
    """A non-empty output folder is refused without --force, and nothing in it is touched."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(GenerateError, match="--force"):
        generate(Settings(n=1, seed=1), out, jobs=1)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_force_replaces_an_earlier_run(tmp_path):
    """With force, a smaller run into the same folder leaves no stale worksheets behind."""
    generate(Settings(n=2, seed=5), tmp_path, jobs=1)
    result = generate(Settings(n=1, seed=6), tmp_path, jobs=1, force=True)
    assert [p.stem for p in (tmp_path / "worksheets").glob("*.pdf")] == [result.sheets[0].version]


def test_one_failing_document_does_not_stop_the_batch(tmp_path, monkeypatch):
    """If one sheet fails to render, the others are written and merged, and the failure reported."""
    real = documents.render_document
    second = dict(gen.plan(Settings(n=3, seed=8))[0][1].variant.given)  # sheet 2's numbers

    def flaky(kind, sheet, page, paper, skeleton=None):
        if dict(sheet.variant.given) == second and kind == "solution":
            raise RuntimeError("boom")
        return real(kind, sheet, page, paper, skeleton)

    monkeypatch.setattr(documents, "render_document", flaky)
    result = generate(Settings(n=3, seed=8), tmp_path, jobs=1)
    bad = result.sheets[1].version
    assert [(f.version, f.error) for f in result.failed] == [(bad, "solution: RuntimeError: boom")]
    assert len(list((tmp_path / "solutions").glob("*.pdf"))) == 2
    assert len(pypdf.PdfReader(tmp_path / "print" / "solutions.pdf").outline) == 2


def test_example_is_the_articles_variant(tmp_path):
    """--example makes a set of one with the article's given values."""
    result = generate(Settings(n=1, seed=1, example=True), tmp_path, jobs=1)
    assert [s.variant.given for s in result.sheets] == [ARTICLE_EXAMPLE]


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty file"),
        ("id,name\n1,A\n", "must name the columns student_id and name"),
        ("student_id,name\n", "no students"),
        ("student_id,name\ns1,A\ns1,B\n", "line 3: duplicate student_id 's1' (also on line 2)"),
        ("student_id,name\n,A\n", "line 2: empty student_id"),
        ("student_id,name\ns1\n", "line 2: expected at least 2 columns"),
    ],
)
def test_bad_rosters_are_one_line_errors(text, message):
    """A bad roster raises one line naming the problem and the row."""
    with pytest.raises(GenerateError, match=message.replace("(", r"\(").replace(")", r"\)")) as e:
        parse_roster(text, "class.csv")
    assert "\n" not in str(e.value) and str(e.value).startswith("class.csv")


def test_roster_reads_bom_and_extra_columns():
    """A roster saved by a spreadsheet (UTF-8 BOM, extra columns, blank lines) is read."""
    students = parse_roster("\ufeffname,student_id,email\nZoë,s1,x\n\n", "r.csv")
    assert students == [Student("s1", "Zoë")]


def test_cli_generates_with_a_process_pool(tmp_path):
    """`bpquiz generate` renders in worker processes and prints where everything went."""
    done = run_cli("--n", "2", "--seed", "4", "--out", str(tmp_path / "o"), "--jobs", "2",
                   "--paper", "letter", "--course", "ML")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "print/worksheets.pdf" in done.stderr and "key.json" in done.stderr
    reader = pypdf.PdfReader(tmp_path / "o" / "print" / "worksheets.pdf")
    assert round(float(reader.pages[0].mediabox.height)) == 792


@pytest.mark.parametrize(
    "args, message",
    [
        (["--paper", "legal"], "--paper: expected a4 or letter"),
        (["--example", "--n", "3"], "--example makes a set of one"),
        (["--roster", "missing.csv"], "missing.csv: no such file"),
        (["--roster", "r.csv", "--n", "3"], "--roster sets the number of sheets"),
    ],
)
def test_cli_user_errors_exit_2_in_one_line(tmp_path, args, message):
    """Bad options end with exit code 2 and one `error:` line, no traceback, nothing written."""
    (tmp_path / "r.csv").write_text("student_id,name\ns1,A\n")
    done = run_cli(*args, "--out", "o", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: {done.stderr.split('error: ', 1)[1].strip()}"
    ]
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "o").exists()


def test_cli_refuses_a_non_empty_output_folder(tmp_path):
    """Without --force an existing non-empty --out is an error (exit 2) and is left as it was."""
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "keep.txt").write_text("x")
    done = run_cli("--n", "1", "--out", str(tmp_path / "o"), "--quiet")
    assert done.returncode == 2 and "use --force" in done.stderr
    assert [p.name for p in (tmp_path / "o").iterdir()] == ["keep.txt"]


def test_a_failing_print_merge_is_one_line_and_keeps_the_documents(tmp_path, monkeypatch):
    """If a print file cannot be written, the result names it in one line each; the students'
    files stay, and the folder is marked incomplete (for --resume)."""
    from bpquiz import lock

    def broken(documents, target, forms):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pdfio, "merge_for_print", broken)
    result = generate(Settings(n=2, seed=4), tmp_path, jobs=1)
    assert result.errors == [f"print/{k}s.pdf not written: No space left on device"
                             for k in ("worksheet", "solution")]  # fmt: skip
    assert len(list((tmp_path / "worksheets").glob("*.pdf"))) == 2
    assert len(list((tmp_path / "solutions").glob("*.pdf"))) == 2
    record = lock.found(tmp_path)
    assert record is not None and record.state == "incomplete" and "no print file" in record.written


def embedded_subsets(pdf: Path) -> dict[str, set[bytes]]:
    """Each subset tag of a PDF's embedded fonts -> the MD5s of the font files under it."""
    import hashlib

    import pikepdf

    found: dict[str, set[bytes]] = {}
    with pikepdf.open(pdf) as doc:
        for obj in doc.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
                file = next((obj[k] for k in ("/FontFile2", "/FontFile3") if k in obj), None)
                if file is not None and "+" in str(obj.FontName):
                    digest = hashlib.md5(file.read_bytes()).digest()
                    found.setdefault(str(obj.FontName).split("+")[0], set()).add(digest)
    return found


@pytest.mark.parametrize("kind", ["worksheets", "solutions"])
def test_font_subsets_have_distinct_tags(class_set, kind):
    """In a stamped document and in a print file, one subset tag always names one glyph set
    (ISO 32000 9.6.4), although skeleton and overlay embed subsets of the same fonts."""
    paths = [class_set.out / kind / f"{s.version}.pdf" for s in class_set.sheets]
    for path in [*paths, class_set.out / "print" / f"{kind}.pdf"]:
        subsets = embedded_subsets(path)
        assert subsets, path
        assert all(len(files) == 1 for files in subsets.values()), (path, subsets)


def test_stamped_documents_use_object_streams(class_set):
    """Stamped documents pack their small objects into compressed object streams."""
    for kind in ("worksheets", "solutions"):
        for sheet in class_set.sheets:
            raw = (class_set.out / kind / f"{sheet.version}.pdf").read_bytes()
            assert b"/ObjStm" in raw and b"/XRef" in raw, (kind, sheet.version)


def font_files(pdf: Path) -> list[bytes]:
    """The MD5 of each font file a PDF embeds, one entry per embedded stream."""
    import hashlib

    import pikepdf

    with pikepdf.open(pdf) as doc:
        return [
            hashlib.md5(o.read_raw_bytes()).digest()
            for o in doc.objects
            if isinstance(o, pikepdf.Stream) and "/Length1" in o
        ]


@pytest.mark.parametrize("kind", ["worksheets", "solutions"])
def test_print_files_write_what_the_documents_share_once(class_set, kind):
    """A print file embeds each distinct font file of its documents once (the skeleton's fonts
    are in every document), and packs its small objects into object streams."""
    distinct = set()
    for sheet in class_set.sheets:
        distinct.update(font_files(class_set.out / kind / f"{sheet.version}.pdf"))
    merged = class_set.out / "print" / f"{kind}.pdf"
    assert sorted(font_files(merged)) == sorted(distinct)
    raw = merged.read_bytes()
    assert b"/ObjStm" in raw and b"/XRef" in raw


def test_files_do_not_depend_on_the_number_of_workers(tmp_path):
    """A run in two worker processes (each learning its own templates from the sheets it is
    given) writes the same bytes as the same run in this process."""
    generate(Settings(n=5, seed=41), tmp_path / "one", jobs=1)
    key = str(tmp_path / "one" / "key.json")  # the same run again: its codes too
    done = run_cli("--from-key", key, "--out", str(tmp_path / "two"), "--jobs", "2", "--quiet")
    assert done.returncode == 0, done.stderr
    files = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*.pdf"))
    assert len(files) == 12
    for rel in files:
        assert (tmp_path / "one" / rel).read_bytes() == (tmp_path / "two" / rel).read_bytes(), rel
