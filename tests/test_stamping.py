"""Stamped documents: templates give the bytes painting gives, fonts shared, what is drawn apart."""

from __future__ import annotations

import io

import pikepdf
import pytest

from bpquiz.documents import overlays, sheets, stamping
from bpquiz.generate import Settings, plan
from bpquiz.roster import Student

SETTINGS = Settings(n=8, seed=31, course="ML 101")


@pytest.fixture(scope="module")
def sheets_(tmp_path_factory):
    """Eight sheets with students (a Latin, an accented, a CJK name), and each kind's skeleton."""
    students = [Student(f"s{k}", name) for k, name in enumerate(
        ["Ada Byron", "Zoë Ångström", "王小明", "Kurt Gödel", "Ada Byron", "Emmy Noether",
         "Alan Turing", "Grace Hopper"])]  # fmt: skip
    found, _ = plan(SETTINGS, students)
    folder = tmp_path_factory.mktemp("skeletons")
    built = {
        kind: sheets.build_skeleton(kind, found[0], SETTINGS.page, "a4", folder / kind)
        for kind in sheets.KINDS
    }
    return found, built


def html(kind, sheet):
    return sheets.html(kind, sheet, SETTINGS.page)


@pytest.mark.parametrize("kind", ["worksheet", "solution"])
def test_a_document_does_not_depend_on_the_students_before(sheets_, kind):
    """Each student's document is the same bytes whether a worker made it first (slots laid out
    and painted) or after seven others (slots filled in from the templates they left)."""
    found, built = sheets_
    seasoned = overlays.StampedDocument(stamping.load_file(built[kind]))
    after = [seasoned.pdf(html(kind, s)) for s in found]
    assert len(seasoned.templates) > len(seasoned.skeleton.templates)  # it learned some
    for sheet, expected in zip(found, after):
        fresh = overlays.StampedDocument(stamping.load_file(built[kind]))
        assert fresh.pdf(html(kind, sheet)) == expected, sheet.name


def test_the_reference_student_needs_no_layout(sheets_, monkeypatch):
    """The solution of the student its skeleton was measured on is made from the skeleton's
    templates alone: no WeasyPrint layout per student."""
    found, built = sheets_
    document = overlays.StampedDocument(stamping.load_file(built["solution"]))
    calls = []
    monkeypatch.setattr(overlays, "render_overlay", lambda *a, **k: calls.append(a))
    document.pdf(html("solution", found[0]))
    assert calls == []


def font_files(data: bytes) -> int:
    """How many font files a PDF embeds."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return sum(1 for o in pdf.objects if isinstance(o, pikepdf.Stream) and "/Length1" in o)


@pytest.mark.parametrize("kind", ["worksheet", "solution"])
def test_numbers_and_codes_are_drawn_in_the_skeletons_fonts(sheets_, kind):
    """A student whose letters the skeleton has gets no font of their own: numbers, codes and
    the network diagram use the skeleton's fonts, so each font file is embedded once."""
    found, built = sheets_
    document = overlays.StampedDocument(stamping.load_file(built[kind]))
    pdf = document.pdf(html(kind, found[4]))  # "Ada Byron" again, other numbers and code
    assert font_files(pdf) == font_files(document.skeleton.pdf)


def test_a_name_the_skeleton_cannot_draw_is_drawn_apart(sheets_):
    """A name in a script the skeleton's fonts lack (王小明) is laid out as a page of its own,
    with a subset of its own under a tag of its own; the page's other slots are painted."""
    found, built = sheets_
    document = overlays.StampedDocument(stamping.load_file(built["solution"]))
    with pikepdf.open(io.BytesIO(document.pdf(html("solution", found[2])))) as pdf:
        stamp = pdf.pages[0].Resources.XObject["/bpqStamp"]
        own = stamp.Resources.XObject["/bpqOwn"].Resources.Font
        skeleton_names = {str(f.BaseFont) for f in stamp.Resources.Font.values()}
        assert any(str(f.BaseFont) not in skeleton_names for f in own.values())
        assert b"TJ" in stamp.read_bytes()  # the page's numbers, painted
    with pikepdf.open(io.BytesIO(document.pdf(html("solution", found[4])))) as pdf:
        assert "/XObject" not in pdf.pages[0].Resources.XObject["/bpqStamp"].Resources


def test_codes_are_filled_in_and_repeated_slots_laid_out_once(sheets_, monkeypatch):
    """The version code in the header (a monospaced font: any capital stands for another) is
    filled into a template; the same code in each page's footer is laid out once, not four
    times."""
    found, built = sheets_
    document = overlays.StampedDocument(stamping.load_file(built["solution"]))
    skeleton = document.skeleton
    assert {skeleton.slots[i].name for i in skeleton.twins} == {"footer_version"}
    assert any(skeleton.modes.get(i) for i, s in enumerate(skeleton.slots) if s.name == "version")
    real = overlays.render_overlay
    laid_out: list[str] = []

    def spy(skeleton, slots, *args, **kwargs):
        slots = list(slots)
        laid_out.extend(skeleton.slots[i].name for i in slots)
        return real(skeleton, slots, *args, **kwargs)

    monkeypatch.setattr(overlays, "render_overlay", spy)
    for sheet in found[1:]:
        laid_out.clear()
        document.pdf(html("solution", sheet))
        assert "version" not in laid_out and laid_out.count("footer_version") <= 1, sheet.name


def test_an_overlay_draws_its_slots_and_nothing_else(sheets_):
    """An overlay's pages hold only the slots laid out: no page number or footer, whatever the
    template's own CSS sets for the page's margins (base.html.j2's "page 1 of 4")."""
    found, built = sheets_
    skeleton = stamping.load_file(built["solution"])
    index = next(i for i, s in enumerate(skeleton.slots) if s.name == "footer_version")
    document, _ = stamping.render_overlay(skeleton, [index], html("solution", found[1]))

    def texts(box):  # every text of a laid-out box, absolutely placed boxes and margins too
        box = getattr(box, "_box", box)
        if getattr(box, "text", None):
            yield box.text
        for child in getattr(box, "children", ()):
            yield from texts(child)

    assert [t for page in document.pages for t in texts(page._page_box)] == [found[1].version]


@pytest.mark.parametrize(
    ("svg_text", "painted"),
    [
        ('<text x="40" y="20" text-anchor="end">0.25</text>', True),  # a group, inlined
        ('<text x="40" y="20" text-anchor="middle" opacity="0.5">0.25</text>', False),
    ],
)
def test_an_svg_slot_is_painted_unless_it_needs_a_group(svg_text, painted):
    """A slot's SVG text is painted as content, the group WeasyPrint draws a text anchored at
    its middle or end inlined and clipped to its box; a group drawn with some opacity is not
    inlined (that would paint another picture), and the slot is then drawn apart."""
    import weasyprint

    from bpquiz.documents import fragments

    html_text = (
        '<div data-slot="s"><svg xmlns="http://www.w3.org/2000/svg" width="60" height="30" '
        f'font-family="DejaVu Sans">{svg_text}</svg></div>'
    )
    page = weasyprint.HTML(string=html_text).render().pages[0]._page_box
    box = next(b for b in page.descendants() if b.element_tag == "div")
    fragment = fragments.paint(box, page, {})
    assert (fragment is not None) is painted
    if painted:
        assert b" Do" not in fragment.data and b"re W n" in fragment.data
        assert fragment.data.count(b"TJ") == 4  # one glyph each, as WeasyPrint's SVG draws text
