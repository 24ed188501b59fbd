"""Templates to PDF: escaping, strictness, fields, paper, determinism, the two documents."""

from __future__ import annotations

import io
import logging
import re
import shutil
import subprocess

import jinja2
import pypdf
import pytest

from bpquiz.documents import render
from bpquiz.documents.mathhtml import PrintMath
from bpquiz.documents.solution import solution_context
from bpquiz.documents.views import Page, worksheet_context
from bpquiz.exercise.key import Sheet
from bpquiz.exercise.model import Exercise
from bpquiz.exercise.solve import solve
from bpquiz.exercise.typeset import Text, typeset
from bpquiz.exercise.variants import ARTICLE_EXAMPLE, draw_variant

from students import carried

EX = Exercise()
STEPS = EX.steps

POPPLER = shutil.which("pdftotext") is not None
needs_poppler = pytest.mark.skipif(not POPPLER, reason="pdftotext (poppler-utils) not installed")

NAMES = ["<b>&amp; Tag", "Zoë Ångström", "مريم الحسن", "דוד כהן", "王小明"]


@pytest.fixture
def no_weasyprint_warnings(caplog):
    """Fail the test if WeasyPrint logs a warning or an error (a broken CSS rule, a font...)."""
    caplog.set_level(logging.WARNING, logger="weasyprint")
    yield
    problems = [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")]
    assert not problems, problems


def pdf_text(pdf: bytes) -> str:
    """All text of a PDF as pdftotext reads it (what search, copy and screen readers see)."""
    done = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return done.stdout.decode()


def sheet(name: str = "", student_id: str = "", variant=None) -> Sheet:
    return Sheet(variant or solve(EX, ARTICLE_EXAMPLE, "K7F3Q9"), student_id, name)


@pytest.fixture(scope="module")
def drawn() -> Sheet:
    return Sheet(draw_variant(EX, 11, 0, version="AB3CD4"), "s042", "Zoë <b>&amp;")


@pytest.fixture(scope="module")
def worksheet_pdf(drawn) -> bytes:
    return render.render_pdf("worksheet.html.j2", worksheet_context(drawn, Page()), forms=True)


@pytest.fixture(scope="module")
def solution_pdf(drawn) -> bytes:
    return render.render_pdf("solution.html.j2", solution_context(drawn, Page()))


def test_autoescape_and_strict_undefined():
    """Templates escape every value and a missing variable is an error, not an empty string."""
    env = render.environment()
    assert env.from_string("{{ x }}").render(x="<b>&") == "&lt;b&gt;&amp;"
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ missing }}").render()


def test_math_filter_keeps_typeset_markup_only():
    """`math` inserts typesetter HTML as markup, while plain values stay escaped."""
    env = render.environment()
    out = env.from_string("{{ f | math }} {{ name }}").render(f="<i>x</i>", name="<i>")
    assert out == "<i>x</i> &lt;i&gt;"


def test_print_math_has_the_same_text_as_the_plain_typesetter():
    """PrintMath shows every formula with the same symbols, numbers and operators as Text."""
    variant = solve(EX, ARTICLE_EXAMPLE)
    subscripts = str.maketrans("₀₁₂₃₄₅₆₇₈₉ₐₑₕₗₒₜₓ⁺²", "0123456789aehlotx+2")
    for step in STEPS:
        for numeric in (False, True):
            printed = typeset(step.formula, PrintMath(numeric), EX, variant if numeric else None)
            plain = re.sub(r"<[^>]+>", "", printed).translate(subscripts).replace("½", "1/2")
            expected = typeset(step.formula, Text(numeric), EX, variant if numeric else None)

            # Text writes fractions and powers inline: a/b, e^(x), x^2, and subscripts as _.
            def squeeze(s: str) -> str:
                return re.sub(r"[\s()/^_]", "", s)

            assert squeeze(plain) == squeeze(expected), step.id


@pytest.mark.parametrize("paper, size", [("a4", (595, 842)), ("letter", (612, 792))])
def test_paper_sizes(paper, size, no_weasyprint_warnings):
    """--paper a4 and letter give pages of that size, and the solution fits four of them."""
    pdf = render.render_pdf("solution.html.j2", solution_context(sheet(), Page()), paper)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == size
    assert len(reader.pages) == 4  # even: no blank page in the print file


def test_unknown_paper_is_refused():
    """A paper name other than a4/letter raises instead of silently printing A4."""
    with pytest.raises(ValueError, match="legal"):
        render.render_pdf("solution.html.j2", solution_context(sheet(), Page()), "legal")


def test_same_context_gives_identical_bytes(drawn):
    """Rendering twice gives byte-identical PDFs: no dates, no random ids."""
    ctx = worksheet_context(drawn, Page())
    first = render.render_pdf("worksheet.html.j2", ctx, forms=True)
    second = render.render_pdf("worksheet.html.j2", ctx, forms=True)
    assert first == second
    assert b"CreationDate" not in first and b"ModDate" not in first


def test_worksheet_renders_without_warnings(drawn, no_weasyprint_warnings):
    """The worksheet template renders cleanly (no WeasyPrint warnings) on both papers."""
    for paper in ("a4", "letter"):
        pdf = render.render_pdf("worksheet.html.j2", worksheet_context(drawn, Page()), paper, True)
        assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == 2, paper


def test_worksheet_fields_are_the_step_ids_and_a_read_only_version(worksheet_pdf):
    """Every answer box is a text field named by its step id; `version` is read-only, holds the
    code."""
    fields = pypdf.PdfReader(io.BytesIO(worksheet_pdf)).get_fields()
    assert set(fields) == {"version", *(s.id for s in STEPS)}
    assert all(f.get("/FT") == "/Tx" for f in fields.values())
    assert fields["version"]["/V"] == "AB3CD4"
    assert int(fields["version"]["/Ff"]) & render.READ_ONLY
    assert all(not fields[s.id].get("/V") for s in STEPS)
    assert not int(fields["out_h1"].get("/Ff", 0)) & render.READ_ONLY


def test_version_is_in_the_metadata(worksheet_pdf, solution_pdf):
    """Both documents name their version code in the PDF metadata (keywords and title)."""
    for pdf in (worksheet_pdf, solution_pdf):
        meta = pypdf.PdfReader(io.BytesIO(pdf)).metadata
        assert "bpquiz-version:AB3CD4" in meta["/Keywords"]
        assert "AB3CD4" in meta["/Title"]


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+\.\d+", text.replace("−", "-")))


@needs_poppler
def test_worksheet_carries_no_answers(drawn, worksheet_pdf):
    """No step value (at 2 to 5 decimals) is in the worksheet's text, fields or metadata."""
    reader = pypdf.PdfReader(io.BytesIO(worksheet_pdf))
    given = {f"{x:g}" for x in drawn.variant.given.values()}
    shown = _numbers(pdf_text(worksheet_pdf))
    shown |= _numbers(" ".join(str(v) for v in reader.metadata.values()))
    shown |= _numbers(" ".join(str(f.get("/V", "")) for f in reader.get_fields().values()))
    assert shown, "the given values at least should be found"
    leaked = []
    for step in drawn.variant.steps:
        for decimals in (2, 3, 4, 5):
            text = f"{abs(step.value):.{decimals}f}"
            if text in shown and text not in given:
                leaked.append((step.id, text))
    assert not leaked


@needs_poppler
def test_solution_numbers_and_results_are_real_text(drawn, solution_pdf):
    """The solution's numbers and every result can be found as text in the PDF: each value
    as a student carries it (the oracle's, from the earlier results rounded to 5 decimals)."""
    text = pdf_text(solution_pdf).replace("−", "-")
    kept = carried(dict(drawn.variant.given))
    for sid, value in kept.items():
        assert value in text, sid
    # The article's example line, with this variant's numbers: a product of three factors.
    line = f"{kept['dE_dout_o1']} × {kept['dout_o1_dsum_o1']} × {kept['out_h1']}"
    assert line in text


@needs_poppler
@pytest.mark.parametrize("name", NAMES)
def test_names_print_correctly(name, no_weasyprint_warnings):
    """Names with markup characters, accents, RTL and CJK scripts come out as written, escaped."""
    ctx = worksheet_context(sheet(name, "s1"), Page())
    text = pdf_text(render.render_pdf("worksheet.html.j2", ctx, forms=True))

    def letters(s: str) -> str:
        return re.sub(r"\W", "", s)

    assert letters(name) in letters(text)


def test_other_templates_can_extend_the_base(no_weasyprint_warnings):
    """base.html.j2, macros and style.css work for a template written against them."""
    env = render.environment()
    template = env.from_string(
        '{% extends "base.html.j2" %}{% import "macros.html.j2" as m %}'
        "{% block content %}{{ m.doc_header(title, 'sub', 'X2', 'version') }}"
        "{{ m.badge('correct') }}{% endblock %}"
    )
    pdf = render.html_to_pdf(template.render(title="T <&>"))
    assert pypdf.PdfReader(io.BytesIO(pdf)).pages
