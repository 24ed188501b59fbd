"""HTML templates → PDF with Jinja and WeasyPrint (the documents subpackage alone imports them).

- `render_pdf(template_name, context, paper="a4", forms=False) -> bytes`; `forms=True` makes
  every element with `data-field="NAME"` a fillable text field (see `add_fields`);
- `render_html(template_name, context) -> str`, `html_to_pdf(html, paper, forms) -> bytes`;
- `warm_up(papers, templates)`: load stylesheets, fonts and templates now (a worker initializer);
- `math(html)` (also the template filter `math`): mark typeset HTML as safe markup.

Templates live in `templates/` beside this module (`base.html.j2` to extend, `macros.html.j2` to
import, `style.css` applied to every document). The Jinja environment autoescapes everything and
uses `StrictUndefined`, so a missing variable is an error rather than an empty string. The
environment, the parsed stylesheets and WeasyPrint's font configuration are built once per process
and reused.

Output is deterministic: no creation date, and the PDF /ID is a hash of the content, so the same
context gives byte-identical PDFs.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jinja2
import pydyf
import weasyprint
from markupsafe import Markup
from weasyprint.text.fonts import FontConfiguration

from .. import __version__
from ..constants import PAPERS, STATUS_COLOURS
from . import i18n
from .pdfio import (
    FIELD_APPEARANCE,
    FIELD_DIFFERENCES,
    FIELD_ENCODING,
    FIELD_FONT,
    FIELD_FONT_NAME,
)

# PDF 32000-1: field flag ReadOnly (table 221); annotation flags Hidden and Print (table 165).
READ_ONLY = 1
ANNOT_HIDDEN = 2
ANNOT_PRINT = 4


TEMPLATES = Path(__file__).resolve().parent / "templates"
BASE_URL = str(TEMPLATES) + "/"


def math(html: str) -> Markup:
    """A formula from `bpquiz.expr.HTML` (already escaped) as template markup."""
    return Markup(html)


@functools.cache
def environment(lang: str = "en") -> jinja2.Environment:
    """The templates in one language: `_("…")` in a template is that language's catalog."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals["bpquiz_version"] = __version__
    env.globals["page_number_css"] = page_number_css(i18n.translations(lang).gettext)
    env.filters["math"] = math
    env.filters["sentence"] = lambda text: text[:1].upper() + text[1:]  # "E1" stays "E1"
    return env


def page_number_css(gettext: Any) -> Markup:
    """The footer's "page 2 of 4" in the catalog's language, as a CSS `content` value: the
    translation's {page} and {pages} become the page counters, the rest quoted CSS strings."""
    parts = re.split(r"(\{pages?\})", gettext("page {page} of {pages}"))
    counters = {"{page}": "counter(page)", "{pages}": "counter(pages)"}
    # A CSS string escapes \ and " by backslash; "<" too, so no text can close the <style>.
    quote = lambda text: '"' + re.sub(r'[\\"<]', lambda m: f"\\{ord(m[0]):x} ", text) + '"'  # noqa: E731
    return Markup(" ".join(counters.get(part) or quote(part) for part in parts if part))


@functools.cache
def font_config() -> FontConfiguration:
    return FontConfiguration()


def _status_css() -> str:
    """The status badges' colours, from the table the charts use too."""
    return "".join(
        f".badge-{status} {{ background: {c['badge']}; border-color: {c['border']}; }}\n"
        for status, c in STATUS_COLOURS.items()
    )


@functools.cache
def stylesheets(paper: str) -> tuple[weasyprint.CSS, ...]:
    """style.css, the badge colours and the paper size, parsed once per process."""
    if paper not in PAPERS:
        raise ValueError(f"unknown paper {paper!r} (expected one of {', '.join(PAPERS)})")
    fonts = font_config()
    style = weasyprint.CSS(filename=str(TEMPLATES / "style.css"), font_config=fonts)
    status = weasyprint.CSS(string=_status_css(), font_config=fonts)
    size = weasyprint.CSS(
        string=f"@page {{ size: {_PAGE[paper]}; {_MARGIN[paper]} }}", font_config=fonts
    )
    return (style, status, size)


_PAGE = {"a4": "A4", "letter": "letter"}  # CSS page size names
# Letter is 17.6 mm shorter than A4 and 6.4 mm wider: narrower top and bottom margins keep the
# article's page counts (worksheet 2, solution 4) on both.
_MARGIN = {"a4": "", "letter": "margin: 9mm 18mm 12mm 18mm;"}


def warm_up(
    papers: Iterable[str] = ("a4",), templates: Iterable[str] = (), lang: str = "en"
) -> None:
    """Load templates, stylesheets and fonts now (e.g. in a worker process initializer)."""
    for paper in papers:
        stylesheets(paper)
    for name in templates:
        environment(lang).get_template(name)


def render_html(template_name: str, context: Mapping[str, Any]) -> str:
    """The template rendered with `context` (autoescaped; a missing variable raises), in the
    language `context["lang"]` (default English)."""
    return environment(context.get("lang", "en")).get_template(template_name).render(context)


def render_pdf(
    template_name: str,
    context: Mapping[str, Any],
    paper: str = "a4",
    forms: bool = False,
) -> bytes:
    """The template rendered with `context` as PDF bytes, on A4 or Letter paper.

    With `forms=True`, every element with a `data-field="NAME"` attribute becomes a fillable
    AcroForm text field named NAME over the element's box (see `add_fields` for the other
    `data-` attributes). Title, author, subject and keywords come from the template's `<title>`
    and `<meta>` tags.
    """
    html = render_html(template_name, context)
    return html_to_pdf(html, paper, forms=forms)


def html_to_pdf(html: str, paper: str = "a4", forms: bool = False) -> bytes:
    """An HTML string (already rendered) as PDF bytes; see `render_pdf`."""
    document = weasyprint.HTML(string=html, base_url=BASE_URL)
    return document.write_pdf(
        stylesheets=list(stylesheets(paper)),
        font_config=font_config(),
        pdf_identifier=True,  # an MD5 of the content: deterministic, unlike a random /ID
        finisher=add_fields if forms else None,
    )


# --- form fields ----------------------------------------------------------------------------
# WeasyPrint can make fields from <input> elements, but it then embeds every font a field uses
# in full (and reads all its glyphs with fontTools): ~0.4 s and ~600 KB per worksheet. Fields
# here use the standard Helvetica instead, which every PDF viewer has, and no font is embedded.


def add_fields(document: Any, pdf: pydyf.PDF) -> None:
    """A WeasyPrint `finisher`: a text field over each box of an element with `data-field`.

    Attributes: `data-field` (the field name), `data-value` (its value), `data-title` (the
    tooltip / accessible name), `data-readonly` (ReadOnly flag), `data-hidden` (kept in the
    form, neither shown nor printed), `data-font-size` (points, default 11).
    """
    pdf_pages = [
        obj for obj in pdf.objects
        if isinstance(obj, pydyf.Dictionary) and obj.get("Type") == "/Page"
    ]  # fmt: skip
    fields = pydyf.Array()
    seen: set[int] = set()
    for page, pdf_page in zip(document.pages, pdf_pages):
        for box in page._page_box.descendants():
            element = box.element
            if element is None or id(element) in seen or "data-field" not in element.attrib:
                continue
            if box.element_tag is None or getattr(box, "is_anonymous", False):
                continue
            seen.add(id(element))
            x, y = box.border_box_x(), box.border_box_y()
            w, h = box.border_width(), box.border_height()
            scale = 0.75  # CSS px -> PDF points
            top = page.height * scale
            rect = pydyf.Array([x * scale, top - (y + h) * scale, (x + w) * scale, top - y * scale])
            size = element.get("data-font-size", "11")
            field = pydyf.Dictionary(
                {
                    "Type": "/Annot",
                    "Subtype": "/Widget",
                    "FT": "/Tx",
                    "Rect": rect,
                    "P": pdf_page.reference,
                    "F": ANNOT_HIDDEN if "data-hidden" in element.attrib else ANNOT_PRINT,
                    "T": pydyf.String(element.get("data-field")),
                    "TU": pydyf.String(element.get("data-title", element.get("data-field"))),
                    "V": pydyf.String(element.get("data-value", "")),
                    "DA": pydyf.String(f"/{FIELD_FONT_NAME} {size} Tf 0 g"),
                    "MK": pydyf.Dictionary(),
                }
            )
            if "data-readonly" in element.attrib:
                field["Ff"] = READ_ONLY
            pdf.add_object(field)
            pdf_page.setdefault("Annots", pydyf.Array()).append(field.reference)
            fields.append(field.reference)
    if not fields:
        return
    code, glyph = FIELD_DIFFERENCES
    encoding = pydyf.Dictionary({k[1:]: v for k, v in FIELD_ENCODING.items()})
    encoding["Differences"] = pydyf.Array([code, glyph])
    font = pydyf.Dictionary({k[1:]: v for k, v in FIELD_FONT.items()})
    font["Encoding"] = encoding
    pdf.add_object(font)
    pdf.catalog["AcroForm"] = pydyf.Dictionary(
        {
            "Fields": fields,
            "DA": pydyf.String(FIELD_APPEARANCE),
            "DR": pydyf.Dictionary({"Font": pydyf.Dictionary({FIELD_FONT_NAME: font.reference})}),
            "NeedAppearances": "true",
        }
    )
