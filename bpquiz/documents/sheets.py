"""A sheet's two documents, the worksheet and the worked solution, as PDF (worker side).

Each kind is a template and a context (`views`). `build_skeleton` lays out a run's shared part of
one kind once and saves it (`stamping`); `render_document` makes one student's document, stamped
on that skeleton (`overlays.StampedDocument`), or rendered whole when there is none. The feedback
of `grade` is made the same way (`save_skeleton`, `stamp`; see `graded`).
"""

from __future__ import annotations

import gc
from pathlib import Path

from ..exercise.key import Sheet
from . import overlays, render, skeleton_cache, stamping
from .solution import solution_context
from .views import Page, worksheet_context

# kind -> (template, has form fields, context)
KINDS = {
    "worksheet": ("worksheet.html.j2", True, worksheet_context),
    "solution": ("solution.html.j2", False, solution_context),
}


def warm_up(paper: str, lang: str = "en", in_worker: bool = True) -> None:
    """Load templates, CSS and fonts now: once per worker process."""
    render.warm_up(papers=(paper,), templates=tuple(t for t, _, _ in KINDS.values()), lang=lang)
    if in_worker:
        gc.freeze()  # fonts, styles, templates live as long as the worker: no need to scan them


def html(kind: str, sheet: Sheet, page: Page) -> str:
    template, _, context = KINDS[kind]
    return render.render_html(template, context(sheet, page))


def build_skeleton(kind: str, sheet: Sheet, page: Page, paper: str, path: Path) -> Path:
    """The shared part of a run's documents of this kind, from a neutral sheet (see
    `generate.neutral_job`), kept between runs (`skeleton_cache`), saved to `path`."""
    return save_skeleton(kind, html(kind, sheet, page), paper, KINDS[kind][1], path)


def render_document(
    kind: str, sheet: Sheet, page: Page, paper: str, skeleton: Path | None = None
) -> bytes:
    """One student's worksheet or solution: stamped on the saved `skeleton`, or rendered whole."""
    return stamp(html(kind, sheet, page), paper, KINDS[kind][1], skeleton)


def save_skeleton(kind: str, text: str, paper: str, forms: bool, path: Path) -> Path:
    """The skeleton of a neutral document's HTML: kept from an earlier run or laid out now
    (`skeleton_cache`), saved to `path` for the workers."""
    skeleton = skeleton_cache.skeleton(
        kind, text, paper, forms, lambda: stamping.render_skeleton(text, paper, forms)
    )
    return stamping.save(skeleton, path)


def stamp(text: str, paper: str, forms: bool, skeleton: Path | None) -> bytes:
    """A student's document from its HTML: stamped on the saved `skeleton`, or rendered whole."""
    if skeleton is None:
        return render.html_to_pdf(text, paper, forms)
    return overlays.load(skeleton).pdf(text)
