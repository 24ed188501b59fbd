"""Files: the only writing of bpquiz (atomic), and reading a JSON file with one-line errors.

`write_atomic(path, data)` for what is built in memory, `open_atomic(path)` for what is
written as a stream (the print files): both write a temporary file in the same folder and rename
it over `path` only once it is complete, so an interrupted run never leaves half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from .errors import BpquizError


def read_json(
    path: Path,
    what: str = "file",
    error: type[BpquizError] = BpquizError,
    loads: Callable[[str], Any] = json.loads,
) -> Any:
    """A JSON file's data; a missing, unreadable or invalid file is one line naming it."""
    try:
        return loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise error(f"{path}: no such {what}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise error(f"{path}: cannot read the {what} ({e})") from None
    except json.JSONDecodeError as e:
        where = f"line {e.lineno}, column {e.colno}"
        raise error(f"{path}: not valid JSON ({where}: {e.msg})") from None


@contextmanager
def open_atomic(path: Path, sync: bool = True) -> Iterator[IO[bytes]]:
    """A binary file to write `path` through; renamed over it when the block ends without error.

    `sync`: flushed to the disk before the rename (for the large print files).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            if sync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write `data` to `path` via a temporary file in the same folder and an atomic rename."""
    with open_atomic(path, sync=False) as f:
        f.write(data.encode() if isinstance(data, str) else data)
