"""Writing a PDF front to back from other PDFs' objects (pypdf objects), for the print files.

- `Writer(out, reserved)`: numbered objects written as they come. Streams go out at once, the
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
import zlib
from collections.abc import Callable
from typing import IO, Any

from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

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
        """Write a stream now; pack any other object into the next object stream."""
        if isinstance(obj, StreamObject):
            self._raw(number, _serialized(obj))
            return
        self.pending.append((number, _serialized(obj)))
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


class Copier:
    """Copies one input file's objects into a `Writer`, each input object once (module doc).

    `numbers` maps input object numbers to output ones; a number registered in advance
    (`reserve`: pages) is referred to but not copied when reached. `drain` writes what the
    copies referred to; `edit` may change an object (a widget's /Parent) before it is written.
    """

    def __init__(
        self,
        writer: Writer,
        edit: Callable[[int, Any], Any] | None = None,
        shared: dict[bytes, int] | None = None,
    ):
        self.writer = writer
        self.numbers: dict[int, int] = {}
        self.reserved: set[int] = set()
        self.queue: list[tuple[int, Any]] = []
        self.edit = edit
        self.shared = shared
        self._keys: dict[int, bytes | None] = {}

    def reserve(self, indirect: Any) -> int:
        number = self.numbers[indirect.idnum] = self.writer.number()
        self.reserved.add(indirect.idnum)
        return number

    def ref(self, indirect: Any) -> IndirectObject:
        idnum = indirect.idnum
        if idnum not in self.numbers:
            key = self._key(indirect) if self.shared is not None else None
            if key is not None and key in self.shared:
                self.numbers[idnum] = self.shared[key]
            else:
                self.numbers[idnum] = self.writer.number()
                self.queue.append((self.numbers[idnum], indirect))
                if key is not None and len(self.shared) < SHARED:
                    self.shared[key] = self.numbers[idnum]
        return ref(self.numbers[idnum])

    def _key(self, indirect: Any) -> bytes | None:
        """What an object is, down to everything it refers to; None if it is part of a cycle
        or may be edited (never shared). A page is itself: its output number."""
        idnum = indirect.idnum
        if idnum in self.reserved:
            return b"page %d" % self.numbers[idnum]
        if idnum in self._keys:
            return self._keys[idnum]  # None while it is being worked out: a cycle
        self._keys[idnum] = None
        digest = hashlib.sha256()
        key = digest.digest() if self._feed(digest, indirect.get_object()) else None
        self._keys[idnum] = key
        return key

    def _feed(self, digest: Any, obj: Any) -> bool:
        if isinstance(obj, IndirectObject):
            key = self._key(obj)
            if key is None:
                return False
            digest.update(b"R" + key)
        elif isinstance(obj, DictionaryObject):
            if obj.get("/Subtype") == "/Widget":
                return False
            digest.update(b"S" if isinstance(obj, StreamObject) else b"<")
            for k, v in obj.items():
                digest.update(k.encode() + b" ")
                if not self._feed(digest, v):
                    return False
            if isinstance(obj, StreamObject):
                digest.update(b"stream %d " % len(obj._data) + obj._data)
            digest.update(b">")
        elif isinstance(obj, ArrayObject):
            digest.update(b"[")
            for v in obj:
                if not self._feed(digest, v):
                    return False
            digest.update(b"]")
        else:
            digest.update(type(obj).__name__.encode() + b" " + _serialized(obj) + b" ")
        return True

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
