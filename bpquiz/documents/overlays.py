"""One student's document: their slots drawn over the run's skeleton (worker side).

`StampedDocument(skeleton).pdf(html)` takes the student's rendered template and

1. fills the slots whose shape (markup, digits aside) it has seen with the student's digits
   (`fragments.Template`): no layout at all — most slots of most students; a slot the same as
   an earlier one (the code in each page's footer) is drawn as that one;
2. lays the other slots out in one overlay (WeasyPrint) and paints each in the skeleton's fonts
   (`fragments.paint`); each becomes a template for the students after;
3. writes the slots of that overlay that need more than the skeleton's fonts — a name with
   letters the skeleton lacks, an image — as a PDF of their own;
4. has `stamped.Stamper` put it all over the skeleton's pages.

Which slot takes which way depends only on the student's text and the skeleton, and a template
gives the bytes painting would (checked on the skeleton, and by tests/test_stamping.py): the
output does not depend on which students a worker made before.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import weasyprint
from weasyprint.html import get_html_metadata

from . import fragments, stamping
from .fragments import Fragment, SkeletonFonts, Template, shape, variable
from .stamped import Stamper
from .stamping import (
    HEAD,
    Skeleton,
    field_values,
    keep_only,
    placed,
    render_overlay,
    slot_contents,
)  # fmt: skip

MAX_TEMPLATES = 5000  # learned per document kind and worker: memory stays flat in n


def metadata(html: str) -> dict[str, str]:
    """A rendered template's document information, as WeasyPrint writes it (/Info)."""
    head = m.group(1) if (m := HEAD.search(html)) else ""
    meta = get_html_metadata(weasyprint.HTML(string=f"<html><head>{head}</head></html>"))
    info = {"Producer": f"WeasyPrint {weasyprint.__version__}"}
    for key, value in (
        ("Title", meta["title"]),
        ("Author", ", ".join(meta["authors"])),
        ("Subject", meta["description"]),
        ("Keywords", ", ".join(meta["keywords"])),
        ("Creator", meta["generator"]),
    ):
        if value:
            info[key] = value
    return info


class StampedDocument:
    """One document kind of a run, laid out once; each student's PDF is stamped on it."""

    def __init__(self, skeleton: Skeleton):
        self.skeleton = skeleton
        self.templates: dict[tuple[int, str], Template] = dict(skeleton.templates)
        self.codes = fragments.fill_codes(skeleton.fonts)
        self._fonts: SkeletonFonts | None = None
        self._stamper: Stamper | None = None

    def _learn(self, index: int, content: str, box: Any, fragment: Fragment) -> None:
        """Keep a painted slot as a template for the students after, if it can be one."""
        capitals = self.skeleton.modes.get(index)
        if capitals is None or len(self.templates) >= MAX_TEMPLATES:
            return  # a slot whose probe failed is never templated
        key = (index, shape(content, capitals))
        if key not in self.templates and fragments.orderly(box, content):
            template = Template.of(fragment, content, self.codes, self.skeleton.fonts, capitals)
            if template is not None:
                self.templates[key] = template

    def _lay_out(
        self,
        html: str,
        contents: dict[str, str],
        indices: list[int],
        drawn: dict[int, Fragment],
        apart: set[int],
    ) -> tuple[Any, list[int]]:
        """Lay these slots out and paint each: into `drawn`, or, if it needs more than the
        skeleton's fonts, into `apart`. Returns the overlay and its pages' skeleton pages."""
        if self._fonts is None:
            self._fonts = SkeletonFonts(self.skeleton.fonts)
        fonts = self._fonts
        overlay, pages = render_overlay(self.skeleton, indices, html, contents)
        for index, (box, page) in placed(overlay).items():
            whole = index in self.skeleton.whole
            fragment = None if whole else fragments.paint(box, page, fonts)
            if fragment is None or fonts.grew():
                fonts.reset()  # what one slot needed must not change how another is painted
                apart.add(index)
                continue
            drawn[index] = fragment
            self._learn(index, contents.get(self.skeleton.slots[index].name, ""), box, fragment)
        return overlay, pages

    def pdf(self, html: str) -> bytes:
        """One student's document: their rendered template's slots stamped on the skeleton."""
        skeleton = self.skeleton
        contents = slot_contents(html)
        drawn: dict[int, Fragment] = {}
        to_lay_out: list[int] = []
        for index, slot in enumerate(skeleton.slots):
            if index in skeleton.twins:
                continue  # drawn as the earlier slot it is the same as
            content = contents.get(slot.name, "")
            capitals = skeleton.modes.get(index)
            template = (
                None if capitals is None else self.templates.get((index, shape(content, capitals)))
            )
            fragment = template.fill(variable(content, capitals), self.codes) if template else None
            if fragment is None:
                to_lay_out.append(index)
            else:
                drawn[index] = fragment
        apart: set[int] = set()
        overlay = pages = None
        if to_lay_out:
            overlay, pages = self._lay_out(html, contents, to_lay_out, drawn, apart)
        late = [i for i, first in skeleton.twins.items() if first not in drawn]
        for index, first in skeleton.twins.items():
            if first in drawn:
                drawn[index] = drawn[first]
        if late:  # rare: a twin's first went apart; lay them out (again) together
            overlay, pages = self._lay_out(html, contents, sorted(apart | set(late)), drawn, apart)
        own, own_pages = None, {}
        if apart:
            keep_only(overlay, apart)
            own = overlay.write_pdf(pdf_identifier=True)
            held = {skeleton.slots[i].page for i in apart}
            own_pages = {p: k for k, p in enumerate(pages) if p in held}
        layers: list[list[Fragment]] = [[] for _ in skeleton.pages]
        for index in sorted(drawn):
            layers[skeleton.slots[index].page].append(drawn[index])
        if self._stamper is None:
            self._stamper = Stamper(skeleton.pdf, skeleton.fonts)
        return self._stamper.stamp(layers, metadata(html), field_values(html), own, own_pages)


@functools.lru_cache(maxsize=8)
def load(path: Path) -> StampedDocument:
    """A saved skeleton as a StampedDocument, read once per process."""
    return StampedDocument(stamping.load_file(path))
