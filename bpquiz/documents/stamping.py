"""The speed trick: lay out what every student shares once, and only their own text per student.

A worksheet or solution is the same for every student but for a few dozen numbers, a name and
a version code, and WeasyPrint spends ~0.3 s per document laying out the shared part (fractions,
tables, the question grid). So a template marks each per-student piece as a *slot*:

    <td data-slot="given_w1"><!--slot-->0.15<!--/slot--></td>

and the slot's box must not depend on its content (fixed table layouts, no wrapping, nothing
after it on its line; the `slot-line` class of style.css). `render_skeleton` lays the document out
once with the slots hidden, records where each slot is and how its text is set, and paints one
student's slots into the skeleton's fonts (so that it embeds their glyphs, and every digit; see
`fragments`). Per student, `overlays.StampedDocument` then draws only the slots, at those places,
and `stamped.Stamper` puts them over the skeleton's pages.

Here: the skeleton (`render_skeleton`, `save`, `load_file`) and the overlay documents that lay
slots out on pages of the skeleton's size (`render_overlay`). tests/test_generate.py checks that
every word of a stamped document is where the full render puts it; tests/test_stamping.py that
templates give the bytes painting gives.
"""

from __future__ import annotations

import functools
import pickle
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from html import escape, unescape
from pathlib import Path
from typing import Any

import weasyprint

from ..files import write_atomic
from . import fragments, stamped
from .fragments import CAPITALS, FontGlyphs, Template, shape, variable
from .render import BASE_URL, add_fields, font_config, stylesheets

SLOT = re.compile(r'data-slot="([^"]+)"[^>]*><!--slot-->(.*?)<!--/slot-->', re.S)
FIELD_VALUE = re.compile(r'data-field="([^"]+)" data-value="([^"]*)"')
HEAD = re.compile(r"<head>(.*?)</head>", re.S)
BODY_CLASS = re.compile(r'<body class="([^"]*)"')
_SKELETON_CSS = "[data-slot] { visibility: hidden !important; }"
_OVERLAY_CSS = """
@page {
  margin: 0;
  @bottom-left { content: none !important; } @bottom-right { content: none !important; }
}
html, body { margin: 0; padding: 0; }
.bpq-page { position: relative; overflow: hidden; break-after: page; }
.bpq-page:last-child { break-after: auto; }
.bpq-slot {
  position: absolute !important; display: block !important; float: none !important;
  margin: 0 !important; padding: 0 !important; border: 0 !important; background: none !important;
  white-space: nowrap; box-sizing: content-box;
}
"""


@dataclass(frozen=True)
class Slot:
    """Where one slot's content goes: page index, content box (CSS px), and its text style."""

    name: str
    page: int
    left: float
    top: float
    width: float
    height: float
    css: str  # the inherited text properties of the slot, as an inline style
    classes: str  # the slot element's classes (rules for its content, e.g. `.math .frac`)


@dataclass(frozen=True)
class Skeleton:
    """A document rendered once with its slots left empty, and where the slots are."""

    pdf: bytes
    slots: tuple[Slot, ...]
    pages: tuple[tuple[float, float], ...]  # (width, height) of each page, CSS px
    body_class: str
    paper: str
    fonts: Mapping[str, FontGlyphs] = field(default_factory=dict)  # what `pdf` embeds
    # The reference student's slots as templates: (slot index, shape) -> Template
    templates: Mapping[tuple[int, str], Template] = field(default_factory=dict)
    whole: frozenset[int] = frozenset()  # slots laid out as a PDF of their own, not painted
    # Slots that may be templated: index -> whether their capitals are filled in too
    modes: Mapping[int, bool] = field(default_factory=dict)
    twins: Mapping[int, int] = field(default_factory=dict)  # slot -> the earlier one drawn alike


def slot_contents(html: str) -> dict[str, str]:
    """Each slot's markup in a rendered template (name -> inner HTML)."""
    return {m.group(1): m.group(2) for m in SLOT.finditer(html)}


def field_values(html: str) -> dict[str, str]:
    """The `data-value` of each form field of a rendered template (name -> value)."""
    return {m.group(1): unescape(m.group(2)) for m in FIELD_VALUE.finditer(html)}


@functools.cache
def _extra_css(kind: str) -> weasyprint.CSS:
    text = _SKELETON_CSS if kind == "skeleton" else _OVERLAY_CSS
    return weasyprint.CSS(string=text, font_config=font_config())


def _css_length(value: Any) -> str:
    if value == "normal" or isinstance(value, (int, float)):
        return str(value)
    return f"{value.value}{value.unit}"


def _text_css(style: Any) -> str:
    """The inherited text properties of a computed style, as inline CSS."""
    r, g, b = (round(255 * c, 3) for c in style["color"].to("srgb").coordinates)
    families = ", ".join(f"'{name}'" for name in style["font_family"])
    numeric = style["font_variant_numeric"]
    return (
        f"font-family:{families};font-size:{style['font_size']}px;"
        f"font-style:{style['font_style']};font-weight:{style['font_weight']};"
        f"line-height:{_css_length(style['line_height'])};"
        f"letter-spacing:{_css_length(style['letter_spacing'])};"
        f"color:rgba({r},{g},{b},{style['color'].alpha});"
        f"text-align:{style['text_align_all']};direction:{style['direction']};"
        f"font-variant-numeric:{numeric if isinstance(numeric, str) else ' '.join(numeric)};"
        f"text-transform:{style['text_transform']};"
    )


def _slot_boxes(document: Any, attribute: str) -> list[tuple[int, str, Any]]:
    """(page index, name, principal box) of every element with `attribute`, page by page."""
    found = []
    for index, page in enumerate(document.pages):
        seen: set[int] = set()
        for box in page._page_box.descendants():
            element = box.element
            if element is None or id(element) in seen or attribute not in element.attrib:
                continue
            seen.add(id(element))
            found.append((index, element.get(attribute), box))
    return found


def _first_text(box: Any) -> tuple[float, float] | None:
    """The position of the first text drawn in a box: (x, baseline y), or None."""
    from weasyprint.formatting_structure.boxes import TextBox

    for child in box.descendants():
        if isinstance(child, TextBox) and child.text.strip():
            return child.position_x, child.position_y + child.baseline
    return None


def _overlay_html(
    skeleton: Skeleton, slots: Iterable[int], contents: Mapping[str, str], head: str
) -> tuple[str, list[int]]:
    """An overlay document: the given slots (by index) with their contents, on pages of the
    skeleton's size — only those that have one: a page costs WeasyPrint ~2 ms —, and the
    skeleton page of each of its pages."""
    # A document has a handful of text styles: one class each (inline styles are parsed per
    # element, and that is most of the time of a small document).
    styles: dict[str, str] = {}
    by_page: dict[int, list[str]] = {}
    for index in slots:
        s = skeleton.slots[index]
        style = styles.setdefault(s.css, f"bpq-t{len(styles)}")
        by_page.setdefault(s.page, []).append(
            f'<div class="bpq-slot {style} {s.classes}" data-stamp="{index}" '
            f'style="left:{s.left:.4f}px;top:{s.top:.4f}px;width:{s.width:.4f}px;'
            f'height:{s.height:.4f}px">{contents.get(s.name, "")}</div>'
        )
    rules = "".join(f"div.{name}.bpq-slot{{{css}}}" for css, name in styles.items())
    head += f"<style>{rules}</style>"
    kept = sorted(by_page)
    pages = "".join(
        f'<div class="bpq-page" style="width:{w:.4f}px;height:{h - 1:.4f}px">'
        f"{''.join(by_page[k])}</div>"
        for k, (w, h) in ((k, skeleton.pages[k]) for k in kept)
    )
    html = (
        f"<!DOCTYPE html><html><head>{head}</head>"
        f'<body class="{escape(skeleton.body_class)}">{pages}</body></html>'
    )
    return html, kept


def render_overlay(
    skeleton: Skeleton, slots: Iterable[int], html: str, contents: Mapping[str, str] | None = None
) -> tuple[Any, list[int]]:
    """Lay out the given slots of a student's rendered template (or `contents`) as an overlay:
    (the WeasyPrint document, the skeleton page of each of its pages)."""
    head = m.group(1) if (m := HEAD.search(html)) else ""
    if contents is None:
        contents = slot_contents(html)
    overlay, pages = _overlay_html(skeleton, slots, contents, head)
    document = weasyprint.HTML(string=overlay, base_url=BASE_URL).render(
        stylesheets=[*stylesheets(skeleton.paper), _extra_css("overlay")],
        font_config=font_config(),
    )
    if len(document.pages) != len(pages):
        raise RuntimeError(f"overlay has {len(document.pages)} pages, not {len(pages)}")
    return document, pages


def placed(document: Any) -> dict[int, tuple[Any, Any]]:
    """Each slot of an overlay document: index -> (its laid-out box, its page box)."""
    found: dict[int, tuple[Any, Any]] = {}
    if document is None:
        return found
    for page, index, box in _slot_boxes(document, "data-stamp"):
        found[int(index)] = (getattr(box, "_box", box), document.pages[page]._page_box)
    return found


def keep_only(document: Any, indices: set[int]) -> None:
    """Leave in a laid-out overlay only the slots `indices` (the others are drawn otherwise)."""

    def index(box: Any) -> int | None:
        element = getattr(box, "element", None)
        value = element.get("data-stamp") if element is not None else None
        return int(value) if value is not None and box.element_tag is not None else None

    for page in document.pages:
        for box in page._page_box.descendants():
            children = getattr(box, "children", None)
            if children and any(index(c) is not None for c in children):
                box.children = [c for c in children if (i := index(c)) is None or i in indices]


def _measure(html: str, paper: str) -> tuple[Any, Skeleton]:
    """The skeleton's layout and its slots, placed where each slot's text starts."""
    # An empty slot still needs a text line to measure; it is hidden (and then not drawn).
    measured = SLOT.sub(
        lambda m: (
            m.group(0) if m.group(2).strip() else m.group(0).replace("<!--slot-->", "<!--slot-->0")
        ),
        html,
    )
    document = weasyprint.HTML(string=measured, base_url=BASE_URL).render(
        stylesheets=[*stylesheets(paper), _extra_css("skeleton")], font_config=font_config()
    )
    pages = tuple((p.width, p.height) for p in document.pages)
    body_class = m.group(1) if (m := BODY_CLASS.search(html)) else ""
    first = []
    slots = []
    for page, name, box in _slot_boxes(document, "data-slot"):
        slots.append(
            Slot(
                name, page, box.content_box_x(), box.content_box_y(), box.width, box.height,
                _text_css(box.style), box.element.get("class", ""),
            )
        )  # fmt: skip
        first.append(_first_text(box))
    draft = Skeleton(b"", tuple(slots), pages, body_class, paper)

    # Calibrate: the overlay sets each slot's text in a box of its own, whose first baseline
    # can sit a little off the skeleton's (vertical alignment in table cells, line boxes with
    # fractions); measure that offset once with the measured content and shift the slot by it.
    overlay, _ = render_overlay(draft, range(len(slots)), measured)
    boxes = placed(overlay)
    shifted = []
    for index, (slot, want) in enumerate(zip(slots, first)):
        got = _first_text(boxes[index][0]) if index in boxes else None
        if want is not None and got is not None:
            slot = replace(slot, left=slot.left + want[0] - got[0], top=slot.top + want[1] - got[1])
        shifted.append(slot)
    return document, replace(draft, slots=tuple(shifted))


def _twins(slots: tuple[Slot, ...], whole: frozenset[int]) -> dict[int, int]:
    """Slots that are drawn the same as an earlier one (the same name, so the same content,
    style and box: the version in each page's footer): index -> the earlier one's index."""
    first: dict[Slot, int] = {}
    twins = {}
    for index, slot in enumerate(slots):
        if index in whole:
            continue
        key = replace(slot, page=0)
        if key in first:
            twins[index] = first[key]
        else:
            first[key] = index
    return twins


def render_skeleton(html: str, paper: str = "a4", forms: bool = False) -> Skeleton:
    """Lay out a rendered template once with its slots hidden (see the module docstring).

    `html` is the neutral sheet's document (the reference). Its slot contents are used to
    measure where each slot's text starts, so that every student's text later lands exactly
    where a full render of their own document would put it; and they are painted (not drawn)
    into the skeleton's fonts with the characters of their kinds (`fragments.reservoir`), so
    that the skeleton embeds them: the students' numbers and codes are drawn in its fonts.
    """
    document, draft = _measure(html, paper)
    contents = slot_contents(html)
    indices = range(len(draft.slots))
    fonts = document.fonts  # WeasyPrint's font table of the skeleton: what it will embed

    def paint_all(variant: Mapping[str, str], only: Iterable[int] = indices) -> dict:
        overlay = render_overlay(draft, only, html, variant)[0] if only else None
        return {k: fragments.paint(box, page, fonts) for k, (box, page) in placed(overlay).items()}

    reference = paint_all(contents)
    paint_all({k: fragments.reservoir(v) for k, v in contents.items()})
    # Probes: other digits in every slot; other digits and capitals in the slots that have
    # capitals. A slot is templated only if its template reproduces a probe.
    probes = {k: fragments.other_code(v) for k, v in contents.items()}
    probe = paint_all(probes)
    coded = [k for k in indices if any(c in CAPITALS for c in variable(contents.get(
        draft.slots[k].name, ""), True))]  # fmt: skip
    code_probes = {k: fragments.other_code(v, capitals=True) for k, v in contents.items()}
    code_probe = paint_all(code_probes, coded)
    pdf = stamped.prepare(
        document.write_pdf(pdf_identifier=True, finisher=add_fields if forms else None)
    )
    glyphs = fragments.font_glyphs(document.fonts)
    codes = fragments.fill_codes(glyphs)

    # A slot drawn with more than fonts and alpha states (an image, say) is always laid out as
    # a PDF of its own; a slot of fragments (the diagram's numbers too) is templated if a
    # template reproduces its probe: with its capitals filled in too (a code in a monospaced
    # font) if it can, else its digits only.
    whole = frozenset(i for i in indices if reference.get(i) is None)
    templates = {}
    modes = {}
    for k in indices:
        name = draft.slots[k].name
        content = contents.get(name, "")
        for capitals, variant, check in ((True, code_probes, code_probe), (False, probes, probe)):
            fragment, painted = reference.get(k), check.get(k)
            if fragment is None or painted is None:
                continue
            template = Template.of(fragment, content, codes, glyphs, capitals)
            if template and template.fill(variable(variant[name], capitals), codes) == painted:
                templates[(k, shape(content, capitals))] = template
                modes[k] = capitals
                break
    return replace(
        draft, pdf=pdf, fonts=glyphs, templates=templates, whole=whole, modes=modes,
        twins=_twins(draft.slots, whole),
    )  # fmt: skip


def save(skeleton: Skeleton, path: Path) -> Path:
    write_atomic(path, pickle.dumps(skeleton, protocol=pickle.HIGHEST_PROTOCOL))
    return path


def load_file(path: Path) -> Skeleton:
    skeleton = pickle.loads(Path(path).read_bytes())  # noqa: S301 - our own file
    if not isinstance(skeleton, Skeleton):
        raise TypeError(f"{path}: not a skeleton")
    return skeleton
