"""The output folder of `grade`: which of its files bpquiz wrote, what --force may remove, and
safe, unique names for the feedback PDFs. A grading may write into the submissions folder
itself, so no file it did not write is ever overwritten or removed.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from pathlib import Path

from . import lock
from .errors import GradeError
from .exercise.model import Exercise
from .files import BadJSON, decode_text, parse_json
from .marking.formats import read_file
from .marking.match import Result
from .marking.submissions import Reading

REPORTS = ("gradebook.csv", "grades.json", "problems.csv", "summary.pdf")


def check_out(out: Path, force: bool, exercise: Exercise) -> None:
    """An existing gradebook is kept unless --force, and a file of a report's name that bpquiz
    did not write (DIR may be the submissions folder) is never overwritten; nothing is written
    before this check."""
    if out.exists() and not out.is_dir():
        raise GradeError(f"{out}: exists and is not a folder")
    record = lock.found(out) if out.is_dir() else None
    if record is not None and record.alive:
        raise lock.busy(out, record)
    for name in REPORTS:
        if (out / name).is_file() and not own_file(out / name, exercise):
            raise GradeError(f"{out / name} exists and was not written by bpquiz (a submission?): "
                             "it is not overwritten; choose another --out folder")  # fmt: skip
    if (out / "gradebook.csv").exists() and not force:
        raise GradeError(f"{out / 'gradebook.csv'} exists (use --force to overwrite it)")


def own_file(path: Path, exercise: Exercise) -> bool:
    """Whether bpquiz wrote this file (`marking.own`, by its content)."""
    if path.suffix.lower() == ".json":  # grades.json: its schema comes first; do not parse 50 MB
        try:
            with path.open("rb") as f:
                return b'"schema": "bpquiz.' in f.read(4096)
        except OSError:
            return False
    return bool(read_file(path, exercise).skipped)


def previous_feedback(out: Path) -> set[Path]:
    """The feedback PDFs the previous grading into `out` wrote, as its grades.json lists them."""
    folder = (out / "feedback").resolve()
    try:
        data = parse_json(decode_text((out / "grades.json").read_bytes()))
        listed = {str(s["feedback"]) for s in data["submissions"] if "feedback" in s}
    except (OSError, UnicodeDecodeError, BadJSON, KeyError, TypeError):
        return set()
    paths = {(out / f).resolve() for f in listed}
    return {p for p in paths if p.parent == folder and p.suffix.lower() == ".pdf"}


def feedback_folder(out: Path, reading: Reading, exercise: Exercise) -> tuple[list[Path], set[str]]:
    """What is in DIR/feedback: the files an earlier grading wrote (listed in its grades.json,
    or recognised by content), which --force removes, and the names of every other file (a
    student's, if DIR is the submissions folder), which no feedback PDF may take."""
    folder = out / "feedback"
    if not folder.is_dir():
        return [], set()
    listed = previous_feedback(out)
    skipped = {Path(f).resolve() for f, _ in reading.skipped}
    read = {Path(s.source).resolve() for s in reading.submissions}
    read |= {Path(p.file).resolve() for p in reading.problems}
    ours, others = [], set()
    for p in sorted(folder.iterdir()):
        real = p.resolve()
        known = real in listed or real in skipped
        if p.is_file() and real not in read and (known or own_file(p, exercise)):
            ours.append(p)
        else:
            others.add(p.name.casefold())
    return ours, others


# Names Windows keeps for devices, whatever the extension ("CON.pdf", "nul.txt.pdf" open the
# console or nothing): a feedback PDF is never named so.
WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"{d}{i}" for d in ("COM", "LPT") for i in range(1, 10)}
)
NAME_LENGTH = 60  # of the part of a feedback file name taken from the student ID


def feedback_names(results: Sequence[Result], taken: set[str] | None = None) -> list[str]:
    """Each result's feedback file name: its student ID (else version) made safe — letters,
    digits, `._-` only, at most NAME_LENGTH characters, never a Windows device name — unique
    ignoring case, and none of the names `taken` (files in the folder bpquiz did not write)."""
    names: list[str] = []
    taken = {t.casefold() for t in taken or ()}
    for k, r in enumerate(results, start=1):
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", r.student).strip("._-")[:NAME_LENGTH]
        base = base.strip("._-") or r.version
        if base.split(".")[0].upper() in WINDOWS_RESERVED:
            base = f"_{base}"
        candidates = itertools.chain(
            (base, f"{base}-{r.version}"), (f"{base}-{r.version}-{n}" for n in itertools.count(k))
        )
        name = next(c for c in candidates if f"{c}.pdf".casefold() not in taken)
        taken.add(f"{name}.pdf".casefold())
        names.append(f"{name}.pdf")
    return names
