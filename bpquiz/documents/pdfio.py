"""Print files: many per-student PDFs as one print job (streaming).

`merge_for_print(documents, target, forms)` writes PDF front to back with a writer of its own
(`pdfwrite`) rather than pypdf's PdfWriter, so that only one input document is in memory at a
time: objects are copied with fresh numbers, stream data as it is (no re-compression), packed
into object streams, and what the documents share (the skeleton's fonts and drawing) is written
once. The file's /ID is an MD5 of its content, so the same inputs give the same bytes. (A
stamped document is made in `stamped`, with pikepdf: it is small and built in memory.)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import pikepdf
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from .. import __version__
from ..files import open_atomic
from .pdfwrite import Copier, Writer
from .pdfwrite import ref as _ref

# The form fields' font: the standard Helvetica, which every PDF viewer has (nothing embedded),
# under this resource name, and the fields' default appearance. WinAnsi has no minus sign (U+2212),
# and a viewer then drops a typed "−" (poppler and PDFium show −0.5 as 0.5): code 127, unused in
# WinAnsi, is mapped to Helvetica's own glyph "minus", which both then find and draw.
FIELD_FONT = {"/Type": "/Font", "/Subtype": "/Type1", "/BaseFont": "/Helvetica"}
FIELD_ENCODING = {"/Type": "/Encoding", "/BaseEncoding": "/WinAnsiEncoding"}
FIELD_DIFFERENCES = (127, "/minus")
FIELD_FONT_NAME = "Helv"
FIELD_APPEARANCE = f"/{FIELD_FONT_NAME} 11 Tf 0 g"


def _field_font() -> DictionaryObject:
    """FIELD_FONT with its encoding, as pypdf objects."""
    code, glyph = FIELD_DIFFERENCES
    encoding = DictionaryObject({NameObject(k): NameObject(v) for k, v in FIELD_ENCODING.items()})
    encoding[NameObject("/Differences")] = ArrayObject([NumberObject(code), NameObject(glyph)])
    font = DictionaryObject({NameObject(k): NameObject(v) for k, v in FIELD_FONT.items()})
    font[NameObject("/Encoding")] = encoding
    return font


# --- print files ----------------------------------------------------------------------------------


def merge_for_print(documents: Sequence[tuple[str, str, Path]], target: Path, forms: bool) -> int:
    """Concatenate PDFs into one print job, each padded to an even page count; returns pages.

    `documents` are (version code, bookmark title, path). With `forms`, each document's fields
    become kids of a field named by its version code (`K7F3Q9.out_h1`), so that thirty copies
    of `out_h1` do not collide; without, annotations are left out. Streams: one input document
    is in memory at a time, its objects are written out as they are read (memory flat in n).
    """
    with open_atomic(target) as f:
        return _PrintFile(f, forms).write(documents)


class _PrintFile(Writer):
    """A PDF written front to back from other PDFs' pages (see `merge_for_print`).

    The page tree, AcroForm, outline and cross-reference table are written last, from the
    little that is kept: page numbers, field parents, bookmarks, offsets.
    """

    CATALOG, PAGES, ACROFORM, FONT, OUTLINES, INFO = range(1, 7)

    def __init__(self, out: IO[bytes], forms: bool):
        super().__init__(out, reserved=6)
        self.forms = forms
        self.pages: list[int] = []
        self.fields: list[int] = []
        self.bookmarks: list[tuple[str, int]] = []
        self.shared: dict[bytes, int] = {}  # what the documents share is written once

    def write(self, documents: Sequence[tuple[str, str, Path]]) -> int:
        for version, bookmark, path in documents:
            with pikepdf.open(path) as pdf:
                self._document(pdf, version, bookmark)
        self._trailer()
        return len(self.pages)

    def _document(self, pdf: pikepdf.Pdf, version: str, bookmark: str) -> None:
        parent = self.number() if self.forms else 0
        kids: list[int] = []

        def adopt(number: int, obj: Any) -> bytes:
            if (
                isinstance(obj, pikepdf.Dictionary)
                and obj.get("/Subtype") == pikepdf.Name.Widget
                and "/T" in obj
            ):
                kids.append(number)
                return b" /Parent %d 0 R" % parent
            return b""

        # Pages are numbered first, so that a reference to a page (a widget's /P) never pulls
        # the input's page tree along.
        copier = Copier(self, pdf, adopt if self.forms else None, self.shared)
        pages = [page.obj for page in pdf.pages]
        numbers = [copier.reserve(page) for page in pages]
        first = len(self.pages)
        box = None
        for page, number in zip(pages, numbers):
            clone = pikepdf.Dictionary(page)  # a copy: the same entries, references as they are
            for key in ("/Parent",) if self.forms else ("/Parent", "/Annots"):
                if key in clone:
                    del clone[key]
            copier.write(number, clone, b" /Parent %d 0 R" % self.PAGES)
            self.pages.append(number)
            box = [float(x) for x in page.MediaBox]
            copier.drain()  # everything this page uses, written as it is read
        if len(pages) % 2 and box is not None:
            blank = self.number()
            self.object(blank, DictionaryObject({
                NameObject("/Type"): NameObject("/Page"),
                NameObject("/Parent"): _ref(self.PAGES),
                NameObject("/MediaBox"): ArrayObject(NumberObject(round(x)) for x in box),
                NameObject("/Resources"): DictionaryObject(),
            }))  # fmt: skip
            self.pages.append(blank)
        if self.forms:
            self.object(parent, DictionaryObject({
                NameObject("/T"): TextStringObject(version),
                NameObject("/Kids"): ArrayObject(_ref(k) for k in kids),
            }))  # fmt: skip
            self.fields.append(parent)
        self.bookmarks.append((bookmark, self.pages[first]))
        self.flush()  # this document's small objects, as one object stream

    def _trailer(self) -> None:
        name = NameObject
        self.object(self.PAGES, DictionaryObject({
            name("/Type"): name("/Pages"),
            name("/Kids"): ArrayObject(_ref(p) for p in self.pages),
            name("/Count"): NumberObject(len(self.pages)),
        }))  # fmt: skip
        items = [self.number() for _ in self.bookmarks]
        for k, ((title, page), number) in enumerate(zip(self.bookmarks, items)):
            item = DictionaryObject({
                name("/Title"): TextStringObject(title),
                name("/Parent"): _ref(self.OUTLINES),
                name("/Dest"): ArrayObject([_ref(page), name("/Fit")]),
            })  # fmt: skip
            if k > 0:
                item[name("/Prev")] = _ref(items[k - 1])
            if k + 1 < len(items):
                item[name("/Next")] = _ref(items[k + 1])
            self.object(number, item)
        outlines = DictionaryObject(
            {name("/Type"): name("/Outlines"), name("/Count"): NumberObject(len(items))}
        )
        if items:
            outlines[name("/First")], outlines[name("/Last")] = _ref(items[0]), _ref(items[-1])
        self.object(self.OUTLINES, outlines)
        catalog = DictionaryObject({
            name("/Type"): name("/Catalog"),
            name("/Pages"): _ref(self.PAGES),
            name("/Outlines"): _ref(self.OUTLINES),
        })  # fmt: skip
        if self.forms and self.fields:
            self.object(self.FONT, _field_font())
            self.object(self.ACROFORM, DictionaryObject({
                name("/Fields"): ArrayObject(_ref(f) for f in self.fields),
                name("/NeedAppearances"): BooleanObject(True),
                name("/DA"): TextStringObject(FIELD_APPEARANCE),
                name("/DR"): DictionaryObject({
                    name("/Font"): DictionaryObject({name(f"/{FIELD_FONT_NAME}"): _ref(self.FONT)}),
                }),
            }))  # fmt: skip
            catalog[name("/AcroForm")] = _ref(self.ACROFORM)
        self.object(self.CATALOG, catalog)
        self.object(self.INFO, DictionaryObject({
            name("/Producer"): TextStringObject(f"bpquiz {__version__}"),
        }))  # fmt: skip
        self.finish(self.CATALOG, self.INFO)
