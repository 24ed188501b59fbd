"""The printed documents a lecturer hands out: lines that add up, fields, names, languages."""

from __future__ import annotations

import math
import re
import subprocess
from pathlib import Path

import pypdf
import pytest
from pdfwords import words

from bpquiz.documents import render, sheets
from bpquiz.documents.views import Page
from bpquiz.exercise.key import Sheet
from bpquiz.exercise.model import Exercise
from bpquiz.exercise.options import build, preset
from bpquiz.exercise.typeset import Text, lines
from bpquiz.exercise.variants import draw_variant
from bpquiz.generate import Settings, generate

from students import fill


def evaluate(line: str) -> float:
    """A line of numbers as written (0.1 × 0.1 + ½ × (0.05 − 0.73493)^2, e^(−0.41000),
    tanh(…), ln(…), max(0, …), (1 if … > 0, else 0)) computed as a calculator would."""
    text = line.replace("−", "-").replace("×", "*").replace("·", "*").replace("½", "(1/2)")
    text = text.replace("^", "**").replace("e**", "exp").replace("ln(", "log(")
    text = re.sub(r"\((\S+) if (.+?) > 0, else (\S+)\)", r"(\1 if \2 > 0 else \3)", text)
    allowed = {"exp": math.exp, "log": math.log, "tanh": math.tanh, "max": max}
    return eval(text, {"__builtins__": {}}, allowed)  # noqa: S307 - our own test text


EXERCISES = [
    Exercise(),
    build(preset("mazur")),
    build(preset("tanh-ce")),
    build(preset("relu-regression")),
    build(preset("binary")),
    Exercise(shape=(3, 2, 2), hidden="leaky_relu", biases="per-unit", update_biases=True),
]


@pytest.mark.parametrize(
    "exercise", EXERCISES, ids=lambda e: "-".join(map(str, e.shape)) + e.hidden
)
def test_every_numbers_line_adds_up(exercise):
    """40 variants of each exercise: every line with numbers, as the solution, the feedback and
    `solve` write it, gives its shown result when typed into a calculator and rounded."""
    text = Text(numeric=True)
    for k in range(40):
        variant = draw_variant(exercise, 99, k)
        for step in exercise.asked:
            shown = lines(step, text, exercise, variant, 5)
            value = evaluate(shown.numbers)
            assert f"{value:.5f}".replace("-", "−") == shown.result or (
                # a calculator's last binary digit can fall either side of a 5 at the 6th decimal
                abs(value - float(shown.result.replace("−", "-"))) <= 0.5e-5 + 1e-12
            ), (k, step.id, shown.numbers, shown.result, value)


def pdf_lines(path: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    return out.splitlines()


@pytest.fixture(scope="module")
def class_set(tmp_path_factory):
    out = tmp_path_factory.mktemp("docs") / "run"
    generate(Settings(n=4, seed=31), out, jobs=1)
    return out


def test_the_solutions_lines_of_plain_arithmetic_add_up_in_the_pdf(class_set):
    """In each generated solution PDF, every line of plain arithmetic (sums, products,
    differences, updates: no stacked fraction) read back as text gives its printed result."""
    checked = 0
    for pdf in (class_set / "solutions").glob("*.pdf"):
        for line in pdf_lines(pdf):
            m = re.fullmatch(r"\s*= ([0-9.()×+−\s½^]+) = (−?\d+\.\d{5})\s*", line)
            if not m or "/" in m.group(1) or not re.search(r"\d", m.group(1)):
                continue
            value = evaluate(m.group(1).replace("²", "^2"))
            assert abs(value - float(m.group(2).replace("−", "-"))) <= 0.5e-5 + 1e-12, line
            checked += 1
    assert checked >= 4 * 25


def test_anonymous_sheets_have_name_and_id_fields_that_grade_reads(class_set, tmp_path):
    """An anonymous worksheet has fillable `name` and `student_id` fields; filled in, the
    gradebook names the student."""
    import json

    from bpquiz.grade import run_grade

    pdf = next((class_set / "worksheets").glob("*.pdf"))
    fields = pypdf.PdfReader(pdf).get_fields()
    assert {"name", "student_id"} <= set(fields)
    (tmp_path / "in").mkdir()
    fill(pdf, {"name": "Ada Lovelace", "student_id": "s1815"}, tmp_path / "in" / "a.pdf")
    run = run_grade(
        [tmp_path / "in"],
        class_set / "key.json",
        tmp_path / "g",
        feedback=False,
        summary=False,
        jobs=1,
    )
    assert [(r.student_id, r.name) for r in run.results] == [("s1815", "Ada Lovelace")]
    book = (tmp_path / "g" / "gradebook.csv").read_text(encoding="utf-8")
    assert "s1815,Ada Lovelace," in book and json.loads(
        (tmp_path / "g" / "grades.json").read_text()
    )


def _darkness_poppler(pdf: Path, box: tuple[float, float, float, float]) -> int:
    """How many dark pixels poppler draws in a box of page 1 (x0, y0, x1, y1 in points)."""
    x0, y0, x1, y1 = (round(v * 2) for v in box)  # 144 dpi: 2 pixels a point
    pgm = subprocess.run(["pdftoppm", "-gray", "-r", "144", "-f", "1", "-l", "1", "-x", str(x0),
                          "-y", str(y0), "-W", str(x1 - x0), "-H", str(y1 - y0), str(pdf)],
                         capture_output=True, check=True).stdout  # fmt: skip
    header, _, pixels = pgm.split(b"\n", 3)[0], None, pgm.split(b"\n", 3)[3]
    assert header == b"P5"
    return sum(1 for p in pixels if p < 128)


def _darkness_pdfium(pdf: Path, box: tuple[float, float, float, float]) -> int:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    doc.init_forms()
    image = doc[0].render(scale=2, may_draw_forms=True, grayscale=True).to_numpy()
    x0, y0, x1, y1 = (round(v * 2) for v in box)
    return int((image[y0:y1, x0:x1] < 128).sum())


def test_a_typed_unicode_minus_is_drawn_by_poppler_and_pdfium(class_set, tmp_path):
    """A value typed with U+2212 (the viewer draws the field from its font) shows its minus in
    poppler and in PDFium: the field draws more ink than the same digits without it."""
    import pikepdf

    src = next((class_set / "worksheets").glob("*.pdf"))
    made = {}
    for name, value in (("minus", "−0.12345"), ("plain", "0.12345")):
        pdf = pikepdf.open(src)
        for f in pdf.Root.AcroForm.Fields:
            if str(f.get("/T", "")) == "sum_h1":
                f.V = pikepdf.String(value)  # no appearance stream: the viewer makes one
                rect = [float(x) for x in f.Rect]
        height = float(pdf.pages[0].MediaBox[3])
        made[name] = tmp_path / f"{name}.pdf"
        pdf.save(made[name])
    box = (rect[0], height - rect[3], rect[2], height - rect[1])
    for darkness in (_darkness_poppler, _darkness_pdfium):
        assert darkness(made["minus"], box) > darkness(made["plain"], box) + 10, darkness.__name__


LONG = "Zoë Ångström Maximiliane Josephine von und zu Hohenzollern-Sigmaringen-Wür"


def _text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()  # fmt: skip


@pytest.mark.parametrize("paper", ["a4", "letter"])
@pytest.mark.parametrize("name", [LONG, "Ada"])
def test_a_name_prints_whole_and_visible(paper, name, tmp_path):
    """A name of 3 or 74 characters and the student ID print whole and visible (shrunk, then in
    two lines; never clipped) on the worksheet and in the solution's header: each of their words
    draws ink where pdftotext places it, which a word hidden by overflow does not."""
    assert len(LONG) == 74
    variant = draw_variant(Exercise(), 3, 0, version="AB3CD4")
    for kind in ("worksheet", "solution"):
        pdf = sheets.render_document(kind, Sheet(variant, "s123456789", name), Page(), paper)
        blank = sheets.render_document(kind, Sheet(variant, "", ""), Page(), paper)
        (tmp_path / "named.pdf").write_bytes(pdf)
        (tmp_path / "blank.pdf").write_bytes(blank)
        boxes = {word: box for page, word, box in words(pdf) if page == 0}
        for word in [*name.split(), "s123456789"]:
            assert word in boxes, (kind, word)
            box = boxes[word]
            ink = _darkness_poppler(tmp_path / "named.pdf", box)
            assert ink > _darkness_poppler(tmp_path / "blank.pdf", box) + 5, (kind, word, box)


def test_updated_values_at_eight_decimals_do_not_run_together():
    """At 8 decimals the solution's updated values stand apart: no two of them overlap."""
    variant = draw_variant(Exercise(), 5, 0, decimals=8, version="AB3CD4")
    pdf = sheets.render_document("solution", Sheet(variant), Page(decimals=8), "a4")
    rows: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for page, word, (x0, y0, x1, _) in words(pdf):
        if re.fullmatch(r"−?\d\.\d{8}", word):
            rows.setdefault((page, round(y0)), []).append((x0, x1))
    assert len(rows) > 20
    for row in rows.values():
        row.sort()
        assert all(a[1] + 2 < b[0] for a, b in zip(row, row[1:])), row


ENGLISH = re.compile(
    r"\b(the|and|of|with|your|each|every|step|steps|answer|weight|weights|error|output|input|"
    r"hidden|layer|pass|given|values|update|gradient|slope|total|learning|rate|worksheet|"
    r"solution|feedback|correct|wrong|blank|points|score|students|version|page|from|new)\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize("lang", ["de", "fr", "es"])
def test_each_language_has_no_english_sentence_and_its_decimal_sign(lang):
    """The worksheet and the solution in German, French and Spanish: no English word of the
    documents' own text (step ids and symbols aside) and numbers with a decimal comma."""
    exercise = Exercise(update_biases=True, second_pass=True)
    sheet = Sheet(draw_variant(exercise, 7, 0, version="AB3CD4"))
    for kind in ("worksheet", "solution"):
        text = _text(sheets.render_document(kind, sheet, Page(lang=lang), "a4"))
        prose = re.sub(r"\b\w+_\w+\b|[∂=+−·×()/]", " ", text)  # step ids and formulas out
        english = {w.lower() for w in ENGLISH.findall(prose)} - _words_of(lang)
        assert not english, (kind, sorted(english))
        assert re.search(r"\b0,\d{5}\b", text) and not re.search(r"\b0\.\d{5}\b", text), kind


def _words_of(lang: str) -> set[str]:
    """Words that are English and also this language's (de, fr "Gradient"; es "error")."""
    return {"de": {"total", "gradient", "version"}, "fr": {"total", "version", "gradient", "page"},
            "es": {"total", "error"}}[lang]  # fmt: skip


def test_feedback_and_summary_in_another_language(tmp_path):
    """grade --lang de writes feedback and a summary in German, with decimal commas."""
    from bpquiz.grade import run_grade

    generate(Settings(n=2, seed=4, lang="de"), tmp_path / "class", jobs=1)
    key = tmp_path / "class" / "key.json"
    pdf = next((tmp_path / "class" / "worksheets").glob("*.pdf"))
    (tmp_path / "in").mkdir()
    fill(pdf, {"sum_h1": "0,5"}, tmp_path / "in" / "a.pdf")
    run_grade([tmp_path / "in"], key, tmp_path / "g", jobs=1)
    feedback = _text(next((tmp_path / "g" / "feedback").glob("*.pdf")).read_bytes())
    summary = _text((tmp_path / "g" / "summary.pdf").read_bytes())
    assert "Vorwärtsdurchlauf" in feedback and "Rückmeldung" in feedback and "falsch" in feedback
    assert "Bewertungsübersicht" in summary and re.search(r"\d,\d %", summary)
    for text in (feedback, summary):  # no English word of their own (ids and symbols aside)
        prose = re.sub(r"\b\w+_\w+\b|[∂=+−·×()/]", " ", text)
        assert not {w.lower() for w in ENGLISH.findall(prose)} - _words_of("de")
        assert not re.search(r"\b(ecf|unit|decimal|last)\b", prose)


def test_letter_and_a4_keep_the_articles_page_counts():
    """On A4 and on Letter the article's worksheet is 2 pages and its solution 4."""
    sheet = Sheet(draw_variant(Exercise(), 1, 0, version="AB3CD4"), "s1", "Ada")
    for paper in ("a4", "letter"):
        for kind, pages in (("worksheet", 2), ("solution", 4)):
            pdf = sheets.render_document(kind, sheet, Page(), paper)
            import io

            assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == pages, (paper, kind)


def test_templates_render_in_every_language_without_warnings(caplog):
    """Every template in every language renders with no WeasyPrint warning."""
    import logging

    sheet = Sheet(draw_variant(Exercise(), 2, 0, version="AB3CD4"))
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        for lang in ("en", "de", "fr", "es"):
            for kind in ("worksheet", "solution"):
                sheets.render_document(kind, sheet, Page(lang=lang), "a4")
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []
    assert render.environment("de").get_template("summary.html.j2")


def test_every_message_of_the_code_is_translated_in_every_catalog():
    """Each message the package and templates use (extracted by Babel, as tools/catalogs.py
    does) has a translation in de, fr and es that keeps its placeholders; none is fuzzy."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[1]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "Label": None, "N_": None}
    used = {
        message[2] if isinstance(message[2], str) else message[2][0]
        for message in extract_from_dir(
            root / "bpquiz",
            method_map=[("**.py", "python"), ("documents/templates/**.j2", "jinja2")],
            options_map={"documents/templates/**.j2": {"extensions": "jinja2.ext.i18n"}},
            keywords=keywords,
        )
    }
    assert len(used) > 100
    placeholder = re.compile(r"%\([a-z_]+\)s|\{[a-z_]+\}|%%")
    for lang in ("de", "fr", "es"):
        with (root / "bpquiz" / "documents" / "locale" / f"{lang}.po").open("rb") as f:
            catalog = read_po(f, locale=lang)
        for msgid in used:
            message = catalog.get(msgid)
            assert message is not None and message.string, (lang, msgid)
            assert not message.fuzzy, (lang, msgid)
            assert sorted(placeholder.findall(message.string)) == sorted(
                placeholder.findall(msgid)
            ), (lang, msgid)
