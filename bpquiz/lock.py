"""One run at a time in an output folder, and a record of a run that did not finish.

`RunLock(folder, command)` is a context manager around a run that writes into `folder`. On
entry it creates `folder/.bpquiz-run` (exclusively: of two runs started together, one gets it),
holding the command, its process id and the host. On a clean exit the file is removed. When the
run ends early (Ctrl-C, a worker that died, documents that could not be written), the file
stays, marked `incomplete` with what it had written, so that the folder never looks finished when
it is not, and `generate --resume` can find what is left to do.

A second run that finds the file: if its process is alive on this host, the folder is busy (a
one-line error naming the process); otherwise (a finished crash, `kill -9`, an interrupt) the run
there is incomplete, and the caller decides (`generate` asks for `--resume` or `--force`).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import BpquizError

NAME = ".bpquiz-run"


@dataclass(frozen=True)
class Found:
    """What `.bpquiz-run` says about a run in the folder."""

    command: str
    pid: int
    host: str
    state: str  # "running" or "incomplete"
    written: str = ""  # what an incomplete run had written

    @property
    def alive(self) -> bool:
        """Whether the run that wrote it is still running (on this host)."""
        if self.state != "running" or self.host != socket.gethostname():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # someone else's process, alive
            return True
        return True


def found(folder: Path) -> Found | None:
    """The record of a run in `folder`, if there is one (an unreadable one counts as a crash)."""
    path = folder / NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Found(str(data["command"]), int(data["pid"]), str(data["host"]),
                     str(data["state"]), str(data.get("written", "")))  # fmt: skip
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return Found("bpquiz", -1, "", "incomplete", "unknown (the run record is damaged)")


def busy(folder: Path, record: Found) -> BpquizError:
    return BpquizError(
        f"{folder}: bpquiz {record.command} is writing there now (process {record.pid}); "
        "wait for it to finish, or choose another --out"
    )


class RunLock:
    """See the module docstring. `incomplete(written)` marks the run as not finished."""

    def __init__(self, folder: Path, command: str, take_over: bool = False):
        self.folder = folder
        self.command = command
        self.take_over = take_over  # an incomplete run's record may be replaced (--resume, --force)
        self.path = folder / NAME
        self.written = ""

    def _record(self, state: str) -> bytes:
        data: dict[str, Any] = {"command": self.command, "pid": os.getpid(),
                                "host": socket.gethostname(), "state": state}  # fmt: skip
        if self.written:
            data["written"] = self.written
        return (json.dumps(data) + "\n").encode()

    def __enter__(self) -> RunLock:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._create()
        except FileExistsError:
            record = found(self.folder)
            if record is not None and record.alive:
                raise busy(self.folder, record) from None
            if not self.take_over:
                raise BpquizError(
                    f"{self.folder}: an earlier bpquiz {record.command if record else 'run'} "
                    "there did not finish; bpquiz generate --resume completes it, --force "
                    "starts over"
                ) from None
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            try:
                self._create()
            except FileExistsError:  # another run took it meanwhile
                record = found(self.folder)
                raise busy(self.folder, record or Found("run", -1, "", "running")) from None
        except OSError as e:
            raise BpquizError(f"{self.folder}: cannot write there ({e.strerror or e})") from None
        return self

    def _create(self) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as f:
            f.write(self._record("running"))

    def incomplete(self, written: str) -> None:
        """The run ends without finishing: what it had `written` is kept in the record."""
        self.written = written

    def __exit__(self, kind, error, trace) -> None:
        if kind is None and not self.written:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            return
        self.written = self.written or "unknown (the run stopped)"
        with contextlib.suppress(OSError):  # a full disk: the old record still says running
            tmp = self.path.with_name(NAME + ".tmp")
            tmp.write_bytes(self._record("incomplete"))
            os.replace(tmp, self.path)
