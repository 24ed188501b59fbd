"""HTML templates → PDF: the only module of bpquiz that imports jinja2 and WeasyPrint.

Public, stable API (used by `generate` and by grading's feedback/summary documents):

- `render_pdf(template_name, context, paper="a4", forms=False) -> bytes`
- `render_html(template_name, context) -> str`
- `math(html)`: mark a `bpquiz.expr.HTML` typesetter string as safe markup for a template.

Templates live in `templates/` (`base.html.j2` to extend, `macros.html.j2` to import, `style.css`
applied to every document). The Jinja environment autoescapes everything and uses
`StrictUndefined`, so a missing variable is an error rather than an empty string. The environment,
the parsed stylesheet and WeasyPrint's font configuration are built once per process and reused.

Output is deterministic: no creation date, and the PDF /ID is a hash of the content, so the same
context gives byte-identical PDFs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import jinja2
import pydyf
import weasyprint
from markupsafe import Markup
from weasyprint.text.fonts import FontConfiguration

from . import __version__

PAPERS = {"a4": "A4", "letter": "letter"}

# Form field flags (PDF 32000-1, table 221).
READ_ONLY = 1


def templates_dir() -> Path:
    """templates/ inside an installed package, or at the top of a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bpquiz templates not found next to {here}")


def math(html: str) -> Markup:
    """A formula from `bpquiz.expr.HTML` (already escaped) as template markup."""
    return Markup(html)


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.globals["bpquiz_version"] = __version__
    env.filters["math"] = math
    return env


@functools.cache
def _font_config() -> FontConfiguration:
    return FontConfiguration()


@functools.cache
def _stylesheets(paper: str) -> tuple[weasyprint.CSS, ...]:
    if paper not in PAPERS:
        raise ValueError(f"unknown paper {paper!r} (expected one of {', '.join(PAPERS)})")
    fonts = _font_config()
    style = weasyprint.CSS(filename=str(templates_dir() / "style.css"), font_config=fonts)
    size = weasyprint.CSS(string=f"@page {{ size: {PAPERS[paper]}; }}", font_config=fonts)
    return (style, size)


def warm_up(papers: Iterable[str] = ("a4",), templates: Iterable[str] = ()) -> None:
    """Load templates, stylesheets and fonts now (e.g. in a worker process initializer)."""
    for paper in papers:
        _stylesheets(paper)
    for name in templates:
        environment().get_template(name)


def render_html(template_name: str, context: Mapping[str, Any]) -> str:
    """The template rendered with `context` (autoescaped; a missing variable raises)."""
    return environment().get_template(template_name).render(context)


def render_pdf(
    template_name: str,
    context: Mapping[str, Any],
    paper: str = "a4",
    forms: bool = False,
    read_only: Iterable[str] = (),
) -> bytes:
    """The template rendered with `context` as PDF bytes, on A4 or Letter paper.

    `forms=True` turns `<input>` elements into fillable AcroForm fields named by their `name`;
    the fields named in `read_only` get the ReadOnly flag (WeasyPrint ignores `readonly`).
    Title, author, subject and keywords come from the template's `<title>` and `<meta>` tags.
    """
    html = render_html(template_name, context)
    return html_to_pdf(html, paper, forms=forms, read_only=read_only)


def html_to_pdf(
    html: str, paper: str = "a4", forms: bool = False, read_only: Iterable[str] = ()
) -> bytes:
    """An HTML string (already rendered) as PDF bytes; see `render_pdf`."""
    document = weasyprint.HTML(string=html, base_url=str(templates_dir()) + "/")
    locked = frozenset(read_only)
    return document.write_pdf(
        stylesheets=list(_stylesheets(paper)),
        font_config=_font_config(),
        pdf_forms=forms,
        pdf_identifier=True,  # an MD5 of the content: deterministic, unlike a random /ID
        finisher=_lock_fields(locked) if locked else None,
    )


def _lock_fields(names: frozenset[str]) -> Callable[[Any, pydyf.PDF], None]:
    def finisher(document: Any, pdf: pydyf.PDF) -> None:
        for obj in pdf.objects:
            if isinstance(obj, pydyf.Dictionary) and obj.get("FT") == "/Tx":
                name = obj.get("T")
                text = name.string if isinstance(name, pydyf.String) else None
                if text in names:
                    obj["Ff"] = int(obj.get("Ff", 0)) | READ_ONLY

    return finisher
