"""Print files: many per-student PDFs as one print job (pypdf, streaming).

`merge_for_print(documents, target, forms)` writes PDF front to back with a writer of its own
rather than pypdf's PdfWriter, so that only one input document is in memory at a time: objects
are copied with fresh numbers, stream data as it is (no re-compression), and the file's /ID is an
MD5 of everything before the cross-reference table, so the same inputs give the same bytes.
(A stamped document is made in `stamped`, with pikepdf: it is small and built in memory.)
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

from .. import __version__
from ..files import open_atomic

# The form fields' font: the standard Helvetica, which every PDF viewer has (nothing embedded),
# under this resource name, and the fields' default appearance.
FIELD_FONT = {"/Type": "/Font", "/Subtype": "/Type1", "/BaseFont": "/Helvetica",
              "/Encoding": "/WinAnsiEncoding"}  # fmt: skip
FIELD_FONT_NAME = "Helv"
FIELD_APPEARANCE = f"/{FIELD_FONT_NAME} 11 Tf 0 g"


def _ref(number: int) -> IndirectObject:
    return IndirectObject(number, 0, None)  # type: ignore[arg-type]


class _Writer:
    """Numbered objects written as they come, then the cross-reference table and trailer."""

    def __init__(self, out: IO[bytes], reserved: int):
        self.out = out
        self.offsets: dict[int, int] = {}
        self.next_number = reserved + 1  # numbers 1..reserved are written last (catalog, ...)
        self.position = 0
        self.digest = hashlib.md5(usedforsecurity=False)
        self._emit(b"%PDF-1.7\n%\xf0\x9f\x96\xa4\n")

    def _emit(self, data: bytes) -> None:
        self.out.write(data)
        self.digest.update(data)
        self.position += len(data)

    def number(self) -> int:
        self.next_number += 1
        return self.next_number - 1

    def object(self, number: int, obj: Any) -> None:
        self.offsets[number] = self.position
        buffer = io.BytesIO()
        obj.write_to_stream(buffer)
        self._emit(f"{number} 0 obj\n".encode() + buffer.getvalue() + b"\nendobj\n")

    def finish(self, catalog: int, info: int) -> None:
        """The cross-reference table and trailer; numbers never written are free entries."""
        size = self.next_number
        xref = self.position
        lines = [f"xref\n0 {size}\n", "0000000000 65535 f \n"]
        for n in range(1, size):
            offset = self.offsets.get(n)
            lines.append(
                f"{offset:010d} 00000 n \n" if offset is not None else "0000000000 65535 f \n"
            )
        identifier = self.digest.hexdigest()  # of everything before the xref: deterministic
        self._emit("".join(lines).encode())
        self._emit(
            f"trailer\n<< /Size {size} /Root {catalog} 0 R /Info {info} 0 R "
            f"/ID [<{identifier}> <{identifier}>] >>\nstartxref\n{xref}\n%%EOF\n".encode()
        )


class _Copier:
    """Copies one input file's objects into a `_Writer`, each input object once.

    `numbers` maps input object numbers to output ones; a number registered in advance (pages)
    is referred to but not copied when reached. `drain` writes what the copies referred to;
    `edit` may change an object (a widget's /Parent, a field's /V) before it is written.
    """

    def __init__(self, writer: _Writer, edit: Callable[[int, Any], Any] | None = None):
        self.writer = writer
        self.numbers: dict[int, int] = {}
        self.reserved: set[int] = set()
        self.queue: list[tuple[int, Any]] = []
        self.edit = edit

    def reserve(self, indirect: Any) -> int:
        number = self.numbers[indirect.idnum] = self.writer.number()
        self.reserved.add(indirect.idnum)
        return number

    def ref(self, indirect: Any) -> IndirectObject:
        if indirect.idnum not in self.numbers:
            self.numbers[indirect.idnum] = self.writer.number()
            self.queue.append((self.numbers[indirect.idnum], indirect))
        return _ref(self.numbers[indirect.idnum])

    def copy(self, obj: Any, skip: tuple[str, ...] = ()) -> Any:
        if isinstance(obj, IndirectObject):
            return self.ref(obj)
        if isinstance(obj, StreamObject):
            clone = StreamObject()
            clone.update({k: self.copy(v) for k, v in obj.items() if k not in skip})
            clone._data = obj._data  # still encoded: copied, not re-compressed
            return clone
        if isinstance(obj, DictionaryObject):
            return DictionaryObject({k: self.copy(v) for k, v in obj.items() if k not in skip})
        if isinstance(obj, ArrayObject):
            return ArrayObject(self.copy(v) for v in obj)
        return obj

    def drain(self) -> None:
        while self.queue:  # depth first, as read
            number, indirect = self.queue.pop()
            obj = self.copy(indirect.get_object())
            if self.edit is not None:
                obj = self.edit(number, obj)
            self.writer.object(number, obj)


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


class _PrintFile(_Writer):
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

    def write(self, documents: Sequence[tuple[str, str, Path]]) -> int:
        for version, bookmark, path in documents:
            self._document(PdfReader(path), version, bookmark)
        self._trailer()
        return len(self.pages)

    def _document(self, reader: Any, version: str, bookmark: str) -> None:
        parent = self.number() if self.forms else 0
        kids: list[int] = []

        def adopt(number: int, obj: Any) -> Any:
            if (
                isinstance(obj, DictionaryObject)
                and obj.get("/Subtype") == "/Widget"
                and "/T" in obj
            ):
                obj[NameObject("/Parent")] = _ref(parent)
                kids.append(number)
            return obj

        # Pages are numbered first, so that a reference to a page (a widget's /P) never pulls
        # the input's page tree along.
        copier = _Copier(self, adopt if self.forms else None)
        numbers = [copier.reserve(page.indirect_reference) for page in reader.pages]
        first = len(self.pages)
        box = None
        skip = ("/Parent",) if self.forms else ("/Parent", "/Annots")
        for page, number in zip(reader.pages, numbers):
            clone = copier.copy(page, skip)
            clone[NameObject("/Parent")] = _ref(self.PAGES)
            self.object(number, clone)
            self.pages.append(number)
            box = page.mediabox
            copier.drain()  # everything this page uses, written as it is read
        if len(reader.pages) % 2 and box is not None:
            blank = self.number()
            self.object(blank, DictionaryObject({
                NameObject("/Type"): NameObject("/Page"),
                NameObject("/Parent"): _ref(self.PAGES),
                NameObject("/MediaBox"): ArrayObject(NumberObject(round(float(x))) for x in box),
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
            self.object(
                self.FONT, DictionaryObject({name(k): name(v) for k, v in FIELD_FONT.items()})
            )
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
