"""Writing a PDF front to back from other PDFs' objects, for the print files.

- `Writer(out, reserved)`: numbered objects (pypdf objects, or already written out) written as
  they come. Streams go out at once, the
  other objects are packed into compressed object streams (`flush`, at the latest every
  `PACK` objects); `finish` writes a cross-reference stream whose /ID is an MD5 of everything
  before it, so the same inputs give the same bytes. Numbers 1..reserved are for the objects
  written last (catalog, page tree, ...).
- `Copier(writer, edit, shared)`: copies one input file's objects into a writer, each once,
  with fresh numbers. With a `shared` table (one per output file), an object the same as one
  already copied — down to everything it refers to — is not written again: the thirty copies of
  a run's skeleton fonts and page drawings in a print file become one.

Memory stays flat in the number of inputs: one input document is read at a time, an object
stream holds at most `PACK` objects, and `shared` at most `SHARED` entries (those of the first
documents, where the skeleton's objects are met first).
"""

from __future__ import annotations

import hashlib
import io
import re
import zlib
from collections.abc import Callable
from typing import IO, Any

import pikepdf
from pypdf.generic import IndirectObject, StreamObject

PACK = 200
SHARED = 20_000


def ref(number: int) -> IndirectObject:
    return IndirectObject(number, 0, None)  # type: ignore[arg-type]


def _serialized(obj: Any) -> bytes:
    buffer = io.BytesIO()
    obj.write_to_stream(buffer)
    return buffer.getvalue()


class Writer:
    """Numbered objects written as they come, then a cross-reference stream (module doc)."""

    def __init__(self, out: IO[bytes], reserved: int):
        self.out = out
        self.offsets: dict[int, int] = {}  # number -> offset of an object written as such
        self.packed: dict[int, tuple[int, int]] = {}  # number -> (object stream, index in it)
        self.pending: list[tuple[int, bytes]] = []
        self.next_number = reserved + 1
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

    def _raw(self, number: int, data: bytes) -> None:
        self.offsets[number] = self.position
        self._emit(f"{number} 0 obj\n".encode() + data + b"\nendobj\n")

    def object(self, number: int, obj: Any) -> None:
        """Write a pypdf object: a stream now, any other packed into the next object stream."""
        self.serialized(number, _serialized(obj), isinstance(obj, StreamObject))

    def serialized(self, number: int, data: bytes, stream: bool = False) -> None:
        """An object already written out: a stream now, any other packed (see `object`)."""
        if stream:
            self._raw(number, data)
            return
        self.pending.append((number, data))
        if len(self.pending) >= PACK:
            self.flush()

    def flush(self) -> None:
        """Write the packed objects so far as one compressed object stream."""
        if not self.pending:
            return
        header, body, offset = [], [], 0
        for number, data in self.pending:
            header.append(f"{number} {offset}")
            body.append(data)
            offset += len(data) + 1
        first = " ".join(header).encode() + b"\n"
        data = zlib.compress(first + b"\n".join(body) + b"\n")
        stream = self.number()
        for index, (number, _) in enumerate(self.pending):
            self.packed[number] = (stream, index)
        self.pending = []
        self._raw(
            stream,
            f"<< /Type /ObjStm /N {len(header)} /First {len(first)} /Filter /FlateDecode "
            f"/Length {len(data)} >>\nstream\n".encode()
            + data
            + b"\nendstream",
        )

    def finish(self, catalog: int, info: int) -> None:
        """The cross-reference stream and the end of the file."""
        self.flush()
        xref = self.number()
        size = self.next_number
        identifier = self.digest.hexdigest()  # of everything before the xref: deterministic
        self.offsets[xref] = self.position
        rows = bytearray()
        for n in range(size):
            if n in self.offsets:
                rows += b"\x01" + self.offsets[n].to_bytes(4, "big") + b"\x00\x00"
            elif n in self.packed:
                stream, index = self.packed[n]
                rows += b"\x02" + stream.to_bytes(4, "big") + index.to_bytes(2, "big")
            else:
                rows += b"\x00\x00\x00\x00\x00\xff\xff"  # free
        data = zlib.compress(bytes(rows))
        self._emit(
            f"{xref} 0 obj\n<< /Type /XRef /Size {size} /W [1 4 2] /Root {catalog} 0 R "
            f"/Info {info} 0 R /ID [<{identifier}> <{identifier}>] /Filter /FlateDecode "
            f"/Length {len(data)} >>\nstream\n".encode()
            + data
            + f"\nendstream\nendobj\nstartxref\n{self.offsets[xref]}\n%%EOF\n".encode()
        )


# In an object's text as qpdf writes it: a string (skipped), or a reference "N G R".
_TOKENS = re.compile(rb"\((?:\\.|[^\\()])*\)|<[0-9A-Fa-f\s]*>|(\d+) (\d+) R")
_LENGTH = re.compile(rb"/Length \d+(?: \d+ R)?")


class Copier:
    """Copies one input PDF's objects (pikepdf: qpdf parses a document in about 1 ms, pypdf
    in 13) into a `Writer`, each input object once, with fresh numbers (module doc).

    An object is copied as qpdf writes it (`unparse`), its references renumbered, stream data
    as it is (no re-compression). `reserve` numbers an object in advance (pages): referred to,
    not copied when reached; `drain` writes what the copies referred to; `edit(number, obj)`
    may return entries to add to a dictionary (a widget's /Parent) before it is written.
    """

    def __init__(
        self,
        writer: Writer,
        pdf: pikepdf.Pdf,
        edit: Callable[[int, Any], bytes] | None = None,
        shared: dict[bytes, int] | None = None,
    ):
        self.writer = writer
        self.pdf = pdf
        self.numbers: dict[tuple[int, int], int] = {}
        self.reserved: set[tuple[int, int]] = set()
        self.queue: list[tuple[int, tuple[int, int]]] = []
        self.edit = edit
        self.shared = shared
        self._keys: dict[tuple[int, int], bytes | None] = {}

    def reserve(self, obj: Any) -> int:
        number = self.numbers[obj.objgen] = self.writer.number()
        self.reserved.add(obj.objgen)
        return number

    def ref(self, objgen: tuple[int, int]) -> int:
        """The output number of an input object, queued to be written if it is new."""
        if objgen not in self.numbers:
            key = self._key(objgen) if self.shared is not None else None
            if key is not None and key in self.shared:
                self.numbers[objgen] = self.shared[key]
            else:
                self.numbers[objgen] = self.writer.number()
                self.queue.append((self.numbers[objgen], objgen))
                if key is not None and len(self.shared) < SHARED:
                    self.shared[key] = self.numbers[objgen]
        return self.numbers[objgen]

    @staticmethod
    def _text(obj: Any) -> tuple[bytes, bytes | None]:
        """(an object's text — a stream's dictionary —, a stream's raw data or None)."""
        if isinstance(obj, pikepdf.Stream):
            return obj.stream_dict.unparse(resolved=True), obj.read_raw_bytes()
        return obj.unparse(resolved=True), None

    def _key(self, objgen: tuple[int, int]) -> bytes | None:
        """What an object is, down to everything it refers to; None if it is part of a cycle
        or may be edited (never shared). A page is itself: its output number."""
        if objgen in self.reserved:
            return b"page %d" % self.numbers[objgen]
        if objgen in self._keys:
            return self._keys[objgen]  # None while it is being worked out: a cycle
        self._keys[objgen] = None
        obj = self.pdf.get_object(objgen)
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == pikepdf.Name.Widget:
            return None
        text, data = self._text(obj)
        digest = hashlib.sha256()
        start = 0
        for m in _TOKENS.finditer(text):
            if m.group(1) is not None:
                child = self._key((int(m.group(1)), int(m.group(2))))
                if child is None:
                    return None
                digest.update(text[start : m.start()] + b"R" + child)
                start = m.end()
        digest.update(text[start:])
        if data is not None:
            digest.update(b"stream %d " % len(data) + data)
        self._keys[objgen] = key = digest.digest()
        return key

    def _renumbered(self, text: bytes) -> bytes:
        def number(m: re.Match) -> bytes:
            if m.group(1) is None:
                return m.group(0)
            return b"%d 0 R" % self.ref((int(m.group(1)), int(m.group(2))))

        return _TOKENS.sub(number, text)

    def write(self, number: int, obj: Any, extra: bytes = b"") -> None:
        """Write one object under `number`, with `extra` entries added if it is a dictionary."""
        text, data = self._text(obj)
        text = self._renumbered(text)
        if extra and text.endswith(b">>"):
            text = text[:-2] + extra + b" >>"
        if data is None:
            self.writer.serialized(number, text)
        else:
            text = _LENGTH.sub(b"/Length %d" % len(data), text, count=1)
            self.writer.serialized(number, text + b"\nstream\n" + data + b"\nendstream", True)

    def drain(self) -> None:
        while self.queue:  # depth first, as read
            number, objgen = self.queue.pop()
            obj = self.pdf.get_object(objgen)
            self.write(number, obj, self.edit(number, obj) if self.edit is not None else b"")
