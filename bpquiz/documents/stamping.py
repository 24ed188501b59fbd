"""The speed trick: lay out what every student shares once, and only their own text per student.

A worksheet or solution is the same for every student but for a few dozen numbers, a name and
a version code, and WeasyPrint spends ~0.3 s per document laying out the shared part (fractions,
tables, the question grid). So a template marks each per-student piece as a *slot*:

    <td data-slot="given_w1"><!--slot-->0.15<!--/slot--></td>

and the slot's box must not depend on its content (fixed table layouts, no wrapping, nothing
after it on its line; the `slot-line` class of style.css). `render_skeleton` lays the document out
once with the slots hidden and records where each slot is and how its text is set;
`render_stamp` then lays out, per student, only the slots' content at those places — a small
overlay document — and `stamped.Stamper` draws the overlay over the skeleton's pages.

The interface is `StampedDocument`: built once per run and document kind from one student's
HTML, saved to a file that each worker process loads once (`load`), and asked for each
student's PDF (`pdf`). tests/test_generate.py checks that every word of a stamped document is
where the full render puts it.
"""

from __future__ import annotations

import functools
import pickle
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html import escape, unescape
from pathlib import Path
from typing import Any

import weasyprint

from ..files import write_atomic
from .render import BASE_URL, add_fields, font_config, stylesheets
from .stamped import Stamper

SLOT = re.compile(r'data-slot="([^"]+)"[^>]*><!--slot-->(.*?)<!--/slot-->', re.S)
FIELD_VALUE = re.compile(r'data-field="([^"]+)" data-value="([^"]*)"')
HEAD = re.compile(r"<head>(.*?)</head>", re.S)
BODY_CLASS = re.compile(r'<body class="([^"]*)"')
_SKELETON_CSS = "[data-slot] { visibility: hidden !important; }"
_OVERLAY_CSS = """
@page { margin: 0; @bottom-left { content: none; } @bottom-right { content: none; } }
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
    skeleton: Skeleton, slots: Iterable[Slot], contents: Mapping[str, str], head: str
) -> str:
    # A document has a handful of text styles: one class each (inline styles are parsed per
    # element, and that is most of the time of a small document).
    styles: dict[str, str] = {}
    by_page: dict[int, list[str]] = {}
    for s in slots:
        style = styles.setdefault(s.css, f"bpq-t{len(styles)}")
        by_page.setdefault(s.page, []).append(
            f'<div class="bpq-slot {style} {s.classes}" data-stamp="{escape(s.name)}" '
            f'style="left:{s.left:.4f}px;top:{s.top:.4f}px;width:{s.width:.4f}px;'
            f'height:{s.height:.4f}px">{contents.get(s.name, "")}</div>'
        )
    rules = "".join(f"div.{name}.bpq-slot{{{css}}}" for css, name in styles.items())
    head += f"<style>{rules}</style>"
    pages = "".join(
        f'<div class="bpq-page" style="width:{w:.4f}px;height:{h - 1:.4f}px">'
        f"{''.join(by_page.get(k, []))}</div>"
        for k, (w, h) in enumerate(skeleton.pages)
    )
    return (
        f"<!DOCTYPE html><html><head>{head}</head>"
        f'<body class="{escape(skeleton.body_class)}">{pages}</body></html>'
    )


def _render_overlay(skeleton: Skeleton, slots: Iterable[Slot], html: str) -> Any:
    head = m.group(1) if (m := HEAD.search(html)) else ""
    overlay = _overlay_html(skeleton, slots, slot_contents(html), head)
    document = weasyprint.HTML(string=overlay, base_url=BASE_URL)
    return document.render(
        stylesheets=[*stylesheets(skeleton.paper), _extra_css("overlay")],
        font_config=font_config(),
    )


def render_skeleton(html: str, paper: str = "a4", forms: bool = False) -> Skeleton:
    """Lay out a rendered template once with its slots hidden (see the module docstring).

    `html` is one student's document; its slot contents are used only to measure where each
    slot's text starts, so that every student's text later lands exactly where a full render
    of their own document would put it.
    """
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
    pdf = document.write_pdf(pdf_identifier=True, finisher=add_fields if forms else None)
    draft = Skeleton(pdf, tuple(slots), pages, body_class, paper)

    # Calibrate: the overlay sets each slot's text in a box of its own, whose first baseline
    # can sit a little off the skeleton's (vertical alignment in table cells, line boxes with
    # fractions); measure that offset once with the measured content and shift the slot by it.
    overlay = _render_overlay(draft, slots, measured)
    placed = {
        (page, name): _first_text(box) for page, name, box in _slot_boxes(overlay, "data-stamp")
    }
    shifted = []
    for slot, want in zip(slots, first):
        got = placed.get((slot.page, slot.name))
        if want is not None and got is not None:
            slot = Slot(
                slot.name, slot.page, slot.left + want[0] - got[0], slot.top + want[1] - got[1],
                slot.width, slot.height, slot.css, slot.classes,
            )  # fmt: skip
        shifted.append(slot)
    return Skeleton(pdf, tuple(shifted), pages, body_class, paper)


def render_stamp(skeleton: Skeleton, html: str) -> bytes:
    """One student's slot contents, laid out where `skeleton`'s slots are, as PDF pages.

    `html` is the student's own rendered template; its `<title>` and `<meta>` tags make the
    overlay's metadata, which the stamped document keeps.
    """
    document = _render_overlay(skeleton, skeleton.slots, html)
    if len(document.pages) != len(skeleton.pages):
        raise RuntimeError(
            f"overlay has {len(document.pages)} pages, skeleton {len(skeleton.pages)}"
        )
    return document.write_pdf(pdf_identifier=True)


class StampedDocument:
    """One document kind of a run, laid out once; each student's PDF is stamped on it."""

    def __init__(self, skeleton: Skeleton):
        self.skeleton = skeleton
        self._stamper: Stamper | None = None

    @classmethod
    def build(cls, html: str, paper: str, forms: bool) -> StampedDocument:
        """From one student's rendered template (any student: only the shared part is kept)."""
        return cls(render_skeleton(html, paper, forms))

    def save(self, path: Path) -> Path:
        write_atomic(path, pickle.dumps(self.skeleton, protocol=pickle.HIGHEST_PROTOCOL))
        return path

    def pdf(self, html: str) -> bytes:
        """One student's document: their rendered template's slots stamped on the skeleton."""
        if self._stamper is None:
            self._stamper = Stamper(self.skeleton.pdf)
        return self._stamper.stamp(render_stamp(self.skeleton, html), field_values(html))


@functools.lru_cache(maxsize=8)
def load(path: Path) -> StampedDocument:
    """A saved StampedDocument, read once per process (the run deletes the file at its end)."""
    return StampedDocument(pickle.loads(Path(path).read_bytes()))  # noqa: S301 - our own file
