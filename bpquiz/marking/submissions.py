"""What students hand back, as data: submissions, problems, and finding the files to read.

A `Submission` is one student's answers as written ({step id: text}), who they are and which
version; a `Problem` is a file, row or submission that could not be graded as it is. The readers
of each format are in `formats` (and `lms`). Folders are searched recursively, in sorted order,
for *.csv, *.json, *.pdf and *.xml; other files are skipped with a warning, hidden files and the
`exclude`d folders (the grading output) silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

from ..constants import IDENTITY_COLUMNS as IDENTITY
from ..exercise.model import Exercise

SUFFIXES = (".csv", ".json", ".pdf", ".xml")


@dataclass(frozen=True)
class Submission:
    """One student's answers as written, and where they came from (`where`: file, or file:row).

    `assigned`: the sheet was handed to this student, so the key's student for it is checked
    (an LMS that draws a variant at random makes submissions that are not).
    """

    assigned: ClassVar[bool] = True
    source: str
    row: int | None
    version: str
    student_id: str = ""
    name: str = ""
    answers: dict[str, Any] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"{self.source}:{self.row}" if self.row is not None else self.source

    @property
    def blank(self) -> bool:
        """No answer at all: every box empty (or only spaces)."""
        return all(a is None or (isinstance(a, str) and not a.strip())
                   for a in self.answers.values())  # fmt: skip


@dataclass(frozen=True)
class Problem:
    """Something that kept a file, a row or a submission from being graded as it is.

    `kind`: unreadable-file, bad-row, duplicate-column, duplicate-key, unknown-version,
    duplicate, mismatch, missing (a roster student who handed nothing in: no file), and
    feedback (a feedback PDF not written).
    """

    file: str
    row: int | None
    kind: str
    message: str

    def line(self) -> str:
        where = f"{self.file}:{self.row}" if self.row is not None else self.file
        return f"{where}: {self.message}" if where else self.message


@dataclass
class Reading:
    """What reading the inputs gave: submissions, problems, warnings (which grade anyway), and
    the files skipped as bpquiz's own ((file, what it is): `marking.own`)."""

    submissions: list[Submission] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def extend(self, other: Reading) -> None:
        self.submissions += other.submissions
        self.problems += other.problems
        self.warnings += other.warnings
        self.skipped += other.skipped

    def skipped_warnings(self) -> list[str]:
        """One warning per file skipped as bpquiz's own, or one per kind when there are many
        (the feedback PDFs of an earlier run)."""
        kinds: dict[str, list[str]] = {}
        for file, what in self.skipped:
            kinds.setdefault(what, []).append(file)
        lines = []
        for what, files in kinds.items():
            if len(files) <= 3:
                lines += [f"{f}: skipped: {what} that bpquiz wrote, not a submission"
                          for f in files]  # fmt: skip
            else:
                shown = ", ".join(files[:3]) + f" and {len(files) - 3} more"
                lines.append(f"skipped {len(files)} files that bpquiz wrote ({what}), "
                             f"not submissions: {shown}")  # fmt: skip
        return lines


def unreadable(file: str, message: str, row: int | None = None) -> Reading:
    """What reading a file gave when it cannot be read: one `unreadable-file` problem."""
    return Reading(problems=[Problem(file, row, "unreadable-file", message)])


@cache
def _names(exercise: Exercise) -> dict[str, str]:
    names = {name.lower(): name for name in (*IDENTITY, *exercise.asked_ids)}
    assert len(names) == len(IDENTITY) + len(exercise.asked_ids), "ids must differ beyond case"
    return names


def canonical(name: str, exercise: Exercise) -> str | None:
    """A header or key name as an identity column or an asked step id, or None ("Student ID"
    -> student_id)."""
    key = re.sub(r"[\s-]+", "_", name.strip().lstrip("\ufeff")).lower()
    return _names(exercise).get(key)


def normalize_version(code: str) -> str:
    """A version code as typed: spaces dropped, upper case (codes use no lower-case letters)."""
    return re.sub(r"\s+", "", code).upper()


# --- finding files -----------------------------------------------------------------------------


def expand(paths: Iterable[Path], exclude: Iterable[Path] = ()) -> tuple[list[Path], Reading]:
    """The files to read: each given file, and the CSV/JSON/PDF files under each given folder."""
    skip = [p.resolve() for p in exclude]
    files: list[Path] = []
    seen: set[Path] = set()
    reading = Reading()

    def add(p: Path) -> None:
        resolved = p.resolve()
        if resolved not in seen:
            seen.add(resolved)
            files.append(p)

    for path in paths:
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                rel = p.relative_to(path).parts
                if any(part.startswith(".") for part in rel) or not p.is_file():
                    continue
                if any(p.resolve().is_relative_to(s) for s in skip):
                    continue
                if p.suffix.lower() in SUFFIXES:
                    add(p)
                else:
                    reading.warnings.append(f"{p}: skipped (not a .csv, .json, .pdf or .xml file)")
        elif path.is_file():
            add(path)
        else:
            reading.problems.append(
                Problem(str(path), None, "unreadable-file", "no such file or folder")
            )
    return files, reading
