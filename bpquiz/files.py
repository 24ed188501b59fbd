"""Files: the only writing of bpquiz (atomic), the one JSON reader (one-line errors), and the
one escaping of CSV cells against spreadsheet formulas.

`write_atomic(path, data)` for what is built in memory, `open_atomic(path)` for what is
written as a stream (the print files): both write a temporary file in the same folder and rename
it over `path` only once it is complete, so an interrupted run never leaves half a file.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from .errors import BpquizError

# Byte-order marks, longest first (UTF-32 LE begins with UTF-16 LE's): Excel saves "Unicode
# text" as UTF-16 LE with a BOM, Notepad may save UTF-16 of either order.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)  # fmt: skip


def decode_text(data: bytes) -> str:
    """A text file's bytes as text: in the encoding its byte-order mark names (UTF-8, -16, -32),
    else UTF-8. Raises UnicodeDecodeError when the bytes are not that encoding."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding)
    return data.decode("utf-8")


class BadJSON(ValueError):
    """JSON text that cannot be read; `str(e)` is the one-line reason, without the file."""


# Longer integers become floats: Python refuses to turn more than 4,300 digits into an int
# (ValueError), and an int of more than 308 digits overflows when it becomes a float later
# (OverflowError). As a float such a number is inf, which every reader refuses in its own words
# ("not a finite number", an unreadable answer). No int that bpquiz reads has 100 digits.
_INT_DIGITS = 100


def _int(text: str) -> int | float:
    return int(text) if len(text) <= _INT_DIGITS else float(text)


def parse_json(text: str, object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None
               ) -> Any:  # fmt: skip
    """JSON text as data, whatever the text: the one JSON reader of bpquiz (submissions, keys,
    given values). Invalid JSON, or JSON nested too deeply for Python's parser, raises BadJSON;
    nothing else escapes."""
    try:
        return json.loads(text, parse_int=_int, object_pairs_hook=object_pairs_hook)
    except json.JSONDecodeError as e:
        raise BadJSON(f"not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    except RecursionError:
        raise BadJSON("not valid JSON: nested too deeply (arrays or objects inside each "
                      "other, a thousand levels or more)") from None  # fmt: skip
    except ValueError as e:  # pragma: no cover - the parse_int hook leaves nothing that raises
        raise BadJSON(f"not valid JSON ({e})") from None


def read_json(
    path: Path,
    what: str = "file",
    error: type[BpquizError] = BpquizError,
    loads: Callable[[str], Any] = parse_json,
) -> Any:
    """A JSON file's data; a missing, unreadable or invalid file is one line naming it.

    `loads` turns the text into data (`parse_json`, or a reader built on it)."""
    try:
        return loads(decode_text(path.read_bytes()))
    except FileNotFoundError:
        raise error(f"{path}: no such {what}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise error(f"{path}: cannot read the {what} ({e})") from None
    except BadJSON as e:
        raise error(f"{path}: {e}") from None


# --- CSV cells ---------------------------------------------------------------------------------

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection):
# =HYPERLINK(...) in a student's name would be a link in the lecturer's gradebook.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """Text from a student or a roster, safe in a spreadsheet: a leading ' when it starts with
    = + - @, a tab or a carriage return (the spreadsheets' own way to say "text")."""
    return "'" + text if text[:1] in FORMULA_STARTS else text


def csv_text(rows: Iterable[Sequence[Any]]) -> str:
    """Rows as CSV text, lines ending in LF. The csv module quotes a field holding LF but not one
    holding a lone CR, which a reader then takes for a line end: a row with a CR in it is written
    with every field quoted."""
    out = io.StringIO()
    plain = csv.writer(out, lineterminator="\n")
    quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    for row in rows:
        (quoted if any(isinstance(c, str) and "\r" in c for c in row) else plain).writerow(row)
    return out.getvalue()


def read_cell(text: str) -> str:
    """A cell that `safe_cell` may have escaped, as it was (a filled answers template)."""
    return text[1:] if text[:1] == "'" and text[1:2] in FORMULA_STARTS else text


@contextmanager
def open_atomic(path: Path, sync: bool = True) -> Iterator[IO[bytes]]:
    """A binary file to write `path` through; renamed over it when the block ends without error.

    `sync`: flushed to the disk before the rename (for the large print files).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file 0600; give it what open() would (0644 under umask 022), so that
        # a teaching assistant in the group can read the class's files.
        with contextlib.suppress(OSError):  # a file system without modes keeps its own
            os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            yield f
            if sync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process's umask: from /proc on Linux (reading it changes nothing), else by setting it
    and putting it back."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write `data` to `path` via a temporary file in the same folder and an atomic rename."""
    with open_atomic(path, sync=False) as f:
        f.write(data.encode() if isinstance(data, str) else data)


def write_new(path: Path, data: bytes) -> None:
    """Write `data` to `path`, which must not exist yet (FileExistsError if it does, even if it
    appears meanwhile): a temporary file, then a hard link, which never replaces a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with contextlib.suppress(OSError):
            os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        try:
            os.link(tmp, path)
        except (PermissionError, NotImplementedError):  # no hard links here (some mounts)
            with open(path, "xb") as f:
                f.write(data)
    finally:
        Path(tmp).unlink(missing_ok=True)
