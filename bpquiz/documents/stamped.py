"""A stamped document: a skeleton PDF with one student's slots drawn on each page (pikepdf).

`Stamper(skeleton, glyphs).stamp(layers, info, field_values, own)` returns the skeleton (its
pages, fields, outline) with each page's slots drawn on top as a form XObject named /bpqStamp
in that page's own resources, the fields' values set and the student's metadata (title,
keywords: their version). A page's form holds

- the slots painted as content in the skeleton's own fonts (`fragments`): no font is embedded
  again, and
- for slots laid out as a PDF of their own (`own`: a name with letters the skeleton lacks),
  that PDF's page as a form inside it. Its fonts are the skeleton's where the skeleton embeds
  every glyph it uses with the same widths; else its own subsets, each with a tag derived from
  its font file: ISO 32000 (9.6.4) wants a tag to name one glyph set, and
  WeasyPrint names every subset of a font with the same tag.

Why pikepdf (qpdf) rather than pypdf: the same job takes 4–5 ms instead of 15–20 ms per
document, and qpdf writes object streams (smaller files). Output is deterministic: the /ID is
an MD5 of the content (qpdf's deterministic ID) and nothing carries a date.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, Pdf, String

from .fragments import FontGlyphs, Fragment

STAMP = Name("/bpqStamp")  # the slots' form in a stamped page's /XObject resources
OWN = Name("/bpqOwn")  # inside it: the page of the slots laid out as a PDF of their own
_TAG = re.compile(r"^/([A-Z]{6})\+(.+)$")


def save(pdf: Pdf) -> bytes:
    """A PDF's bytes: object streams, a content-derived /ID (same input, same bytes)."""
    out = io.BytesIO()
    pdf.save(
        out,
        deterministic_id=True,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
        compress_streams=True,
    )
    return out.getvalue()


def font_tags(fonts: Iterable[Any]) -> set[str]:
    """The subset tags of some font dictionaries."""
    return {m.group(1) for f in fonts if (m := _TAG.match(str(f.get("/BaseFont", ""))))}


def _described(font: Any) -> Any:
    descendants = font.get("/DescendantFonts")
    return descendants[0] if descendants is not None else font


def _font_file(font: Any) -> Any:
    descriptor = _described(font).get("/FontDescriptor")
    if descriptor is None:
        return None
    return next(
        (descriptor[k] for k in ("/FontFile2", "/FontFile3", "/FontFile") if k in descriptor), None
    )


def _tag(seed: bytes) -> str:
    digest = hashlib.md5(seed, usedforsecurity=False).digest()
    return "".join(chr(65 + b % 26) for b in digest[:6])


def retag(font: Any, taken: set[str]) -> None:
    """Give an embedded subset a tag derived from its font file, none of `taken` (in place).

    The same subset gets the same tag in every document (and again if retagged); a clash with
    the skeleton's tags (one in 26^6) is moved on deterministically.
    """
    file = _font_file(font)
    m = _TAG.match(str(font.get("/BaseFont", "")))
    if file is None or m is None:
        return
    seed = m.group(2).encode() + file.read_raw_bytes()
    tag = _tag(seed)
    while tag in taken:
        seed += b"+"
        tag = _tag(seed)
    name = Name(f"/{tag}+{m.group(2)}")
    font.BaseFont = name
    described = _described(font)
    described.BaseFont = name
    if "/FontDescriptor" in described:
        described.FontDescriptor.FontName = name


def widths(font: Any) -> dict[int, int]:
    """A composite font's glyph widths from its /W array (CID -> width)."""
    found: dict[int, int] = {}
    w = list(_described(font).get("/W", []))
    k = 0
    while k + 1 < len(w):
        first = int(w[k])
        if isinstance(w[k + 1], pikepdf.Array):
            for i, width in enumerate(w[k + 1]):
                found[first + i] = round(float(width))
            k += 2
        else:
            for cid in range(first, int(w[k + 1]) + 1):
                found[cid] = round(float(w[k + 2]))
            k += 3
    return found


def set_field_values(pdf: Pdf, values: Mapping[str, str]) -> None:
    """Each form field named in `values` gets that value (/V)."""
    if "/AcroForm" not in pdf.Root:
        return
    for field in pdf.Root.AcroForm.get("/Fields", []):
        name = str(field.get("/T", ""))
        if name in values:
            field.V = String(values[name])


def prepare(skeleton: bytes) -> bytes:
    """A skeleton made ready to stamp, once per run: each page's drawing in a saved graphics
    state, then `/bpqStamp Do`, in one stream; each page with resources of its own, whose
    /bpqStamp is an empty form until a student's form takes its place."""
    with Pdf.open(io.BytesIO(skeleton)) as pdf:
        blank = pdf.make_stream(b"")
        blank.Type, blank.Subtype, blank.BBox = Name.XObject, Name.Form, Array([0, 0, 1, 1])
        for page in pdf.pages:
            page.contents_coalesce()
            drawing = page.obj.Contents.read_bytes()
            page.obj.Contents = pdf.make_stream(b"q\n" + drawing + b"\nQ\nq /bpqStamp Do Q\n")
            # WeasyPrint shares one resource dictionary among a document's pages.
            resources = Dictionary(page.obj.Resources)
            xobjects = Dictionary(resources.get("/XObject", Dictionary()))
            xobjects[STAMP] = blank
            resources.XObject = xobjects
            page.obj.Resources = resources
        return save(pdf)


def _resources_within(resources: Any) -> Iterator[Any]:
    """A resource dictionary and those of the forms and patterns it uses, each once."""
    seen: set[tuple[int, int]] = set()
    todo = [resources]
    while todo:
        current = todo.pop()
        if current.is_indirect:
            if current.objgen in seen:
                continue
            seen.add(current.objgen)
        yield current
        for kind in ("/XObject", "/Pattern"):
            for item in current.get(kind, Dictionary()).values():
                if isinstance(item, (pikepdf.Stream, pikepdf.Dictionary)) and "/Resources" in item:
                    todo.append(item.Resources)


class Stamper:
    """A prepared skeleton PDF, stamped with each student's slots (see the module docstring)."""

    def __init__(self, skeleton: bytes, glyphs: Mapping[str, FontGlyphs]):
        self.skeleton = skeleton
        self.glyphs = glyphs
        with Pdf.open(io.BytesIO(skeleton)) as pdf:
            fonts = pdf.pages[0].Resources.get("/Font", Dictionary())
            self.tags = font_tags(fonts.values())

    def stamp(
        self,
        layers: Sequence[Sequence[Fragment]],
        info: Mapping[str, str],
        field_values: Mapping[str, str] = {},
        own: bytes | None = None,
        own_pages: Mapping[int, int] = {},
    ) -> bytes:
        """`layers[k]`: the fragments of page k; `own`: a PDF of the slots laid out apart,
        whose page `own_pages[k]` goes over page k."""
        pdf = Pdf.open(io.BytesIO(self.skeleton))
        forms = {}
        if own is not None:
            with Pdf.open(io.BytesIO(own)) as over:
                for k, own_page in sorted(own_pages.items()):
                    forms[k] = pdf.copy_foreign(over.pages[own_page].as_form_xobject())
        for k, page in enumerate(pdf.pages):
            fonts = page.Resources.get("/Font", Dictionary())
            if k in forms:
                self._share_fonts(forms[k], fonts)
            form = self._form(pdf, page, layers[k], fonts, forms.get(k))
            page.Resources.XObject[STAMP] = form
        set_field_values(pdf, field_values)
        pdf.trailer.Info = pdf.make_indirect(
            Dictionary({f"/{key}": String(value) for key, value in info.items()})
        )
        return save(pdf)

    def _share_fonts(self, form: Any, skeleton_fonts: Any) -> None:
        """The own page's fonts (its forms' too): the skeleton's where it has every glyph
        used with the same width, else retagged."""
        for resources in _resources_within(form.Resources):
            own = resources.get("/Font")
            if own is None:
                continue
            shared = Dictionary()
            for name, font in own.items():
                known = self.glyphs.get(name[1:])
                used = widths(font)
                if (
                    known is not None
                    and name in skeleton_fonts
                    and used
                    and all(known.widths.get(g) == w for g, w in used.items())
                ):
                    shared[name] = skeleton_fonts[name]
                else:
                    retag(font, self.tags)
                    shared[name] = font
            resources.Font = shared

    @staticmethod
    def _form(pdf: Pdf, page: Any, fragments: Sequence[Fragment], fonts: Any, own: Any) -> Any:
        """The form XObject of one page's slots: the fragments in the page's CSS px space (as
        WeasyPrint draws a page: y down, 0.75 pt per px), then the own page's form."""
        box = [float(v) for v in page.MediaBox]
        parts = [f"q 1 0 0 -1 0 {box[3]:.6f} cm 0.75 0 0 0.75 0 0 cm".encode()]
        states = Dictionary()
        for fragment in fragments:
            parts.append(fragment.data)
            for name, key, alpha in fragment.states:
                states[f"/{name}"] = Dictionary({f"/{key}": alpha})
        parts.append(b"Q")
        resources = Dictionary(Font=fonts, ExtGState=states)
        if own is not None:
            parts.append(b"/bpqOwn Do")
            resources.XObject = Dictionary({str(OWN): own})
        form = pdf.make_stream(b"\n".join(parts))
        form.Type = Name.XObject
        form.Subtype = Name.Form
        form.BBox = Array(page.MediaBox)
        form.Resources = resources
        return form
