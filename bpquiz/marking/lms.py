"""What an LMS hands back: Moodle's quiz Responses report (CSV) and QTI 2.1 results reports.

Both readers make the same `Submission`s as `formats` (an `LmsSubmission`: the LMS drew the
variant, so the key's student for it is not checked), and `Problem`s for what cannot be read;
a bad row is a problem and the rest is read. The formats are lms-formats.md's §2 and §3.4.

**Moodle Responses report** (quiz → Results → Responses → download as CSV): UTF-8 with a BOM,
one row per attempt, the header in Moodle's English strings. 5.x and 4.x differ in a few names
(`Status`/`State`, `Started`/`Started on`, `Last name`/`Surname`); what is read:

- who: `First name` + `Last name` (or `Surname`), `ID number`, `Email address`, `Username`;
  the student ID is the ID number, else the email address, else the username, else the name;
- the answers: the first `Response N` column whose cells are `part 1: …; part 2: …; …` with one
  part per asked step (Moodle's cloze summary, parts in text order): part n is the n-th asked
  step, its text as typed (a decimal comma is read as `bpquiz grade` reads one; an empty part is
  blank);
- an attempt Moodle gives no grade (In progress, Overdue, Never submitted) is a problem;
- the variant: `Version CODE` in the `Question N` text (shown when "Question text" is ticked in
  the report); else the `Right answer N` values, or the answers themselves, matched against the
  key (`lms_match.identify`, once the key is known), and a warning per file says which was used.

**QTI 2.1 results** (`assessmentResult` XML, as TAO exports them): each `itemResult` whose
identifier is `V_CODE` (bpquiz's items) is a submission; a step's answer is the string response
`<step id>_RAW` (the text as typed), else the float `<step id>`; the student is the context's
`sourcedId`.
"""

from __future__ import annotations

import csv
import io
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any, ClassVar

from ..exercise.model import Exercise
from .submissions import Problem, Reading, Submission, normalize_version, unreadable

_RESPONSE = re.compile(r"response (\d+)")
_PART = re.compile(r"(?:^|; )part (\d+): ?")  # lms-formats.md §2.2
_VERSION = re.compile(r"\bVersion\s+([0-9A-Za-z]+)")
NO_RESPONSE = "-"  # Moodle's cell for an attempt without a response summary
# Attempt states Moodle gives no grade for (mod/quiz/locallib.php:1010-1026); graded: Finished,
# Submitted.
UNFINISHED = ("in progress", "overdue", "never submitted", "not started")


@dataclass(frozen=True)
class LmsSubmission(Submission):
    """A submission whose variant the LMS drew at random (not handed to this student).

    `how` says how its version is known ("question": the question text, "item": the QTI item);
    an empty `version` is found later from `right` (Moodle's right answers, as written) or from
    the answers (`lms_match.identify`).
    """

    assigned: ClassVar[bool] = False
    email: str = ""
    how: str = ""
    right: tuple[str, ...] = ()


def _text(data: bytes) -> tuple[str, str | None]:
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "not UTF-8; read as Windows-1252"


# --- Moodle --------------------------------------------------------------------------------------


def _rows(text: str) -> Any:  # a csv reader: rows, and their line numbers
    # Moodle writes ","; a report opened and saved again by a European spreadsheet has ";".
    first = text.split("\n", 1)[0]
    return csv.reader(io.StringIO(text, newline=""), delimiter=max(",;\t", key=first.count))


def is_moodle_responses(data: bytes) -> bool:
    """Whether a CSV file is a Moodle Responses report: its header has a `Response N` column."""
    text, _ = _text(data[:65536])
    try:
        header = next(_rows(text.split("\n", 1)[0]))
    except (StopIteration, csv.Error):
        return False
    return any(_RESPONSE.fullmatch(h.strip().lower()) for h in header)


def split_parts(cell: str) -> list[str] | None:
    """`part 1: a; part 2: ; part 3: c` -> ["a", "", "c"]; None unless the parts run 1, 2, …"""
    pieces = _PART.split(cell.strip())
    if len(pieces) < 3 or pieces[0] != "":
        return None
    numbers, texts = pieces[1::2], pieces[2::2]
    if numbers != [str(k) for k in range(1, len(numbers) + 1)]:
        return None
    return [t.strip() for t in texts]


def read_moodle(data: bytes, file: str, exercise: Exercise) -> Reading:
    """The submissions of one Moodle Responses report (see the module docstring)."""
    text, note = _text(data)
    reading = Reading(warnings=[f"{file}: {note}"] if note else [])
    rows = _rows(text)
    try:
        header = [h.strip().lstrip("\ufeff") for h in next(rows)]
        # Rows are numbered as a spreadsheet shows them (the header is row 1), not by line: the
        # question text spans lines.
        body = [(k, row) for k, row in enumerate(rows, start=2) if any(c.strip() for c in row)]
    except StopIteration:
        return unreadable(file, "empty file (expected a Moodle quiz Responses report)")
    except csv.Error as e:
        return unreadable(file, f"not a readable CSV ({e})", rows.line_num)
    column = {h.lower(): i for i, h in reversed(list(enumerate(header)))}
    slots = [m.group(1) for h in header if (m := _RESPONSE.fullmatch(h.lower()))]
    if not slots:
        return unreadable(file, "no 'Response N' column: not a Moodle quiz Responses report", 1)
    n = len(exercise.asked_ids)

    def cell(row: list[str], name: str) -> str:
        i = column.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""

    # Ours is the first slot with a cell of n parts (other questions of the quiz are ignored).
    ours = [s for s in slots if any(len(split_parts(cell(r, f"response {s}")) or ()) == n
                                    for _, r in body)]  # fmt: skip
    if not ours:
        expected = f"{n} parts ('part 1: …; part {n}: …', one per asked step)"
        return unreadable(file, f"no 'Response N' column holds {expected}: not a bpquiz quiz?", 1)
    slot = ours[0]
    if len(ours) > 1:
        others = ", ".join(f"Response {s}" for s in ours[1:])
        reading.warnings.append(f"{file}: graded 'Response {slot}'; {others} ignored")
    response, question, right = (f"response {slot}", f"question {slot}", f"right answer {slot}")
    for line, row in body:
        parts = split_parts(cell(row, response))
        state = cell(row, "status") or cell(row, "state")
        if parts is None or len(parts) != n:
            got = cell(row, response)
            if got in ("", NO_RESPONSE):
                why = f"no answers ({got!r}{f', {state}' if state else ''})"
            else:
                why = f"expected {n} parts 'part 1: …; …; part {n}: …', got {got[:60]!r}"
            reading.problems.append(Problem(file, line, "bad-row", f"Response {slot}: {why}"))
            continue
        if state.lower() in UNFINISHED:
            reading.problems.append(
                Problem(file, line, "bad-row", f"attempt not submitted ({state}): not graded")
            )
            continue
        first, last = cell(row, "first name"), cell(row, "last name") or cell(row, "surname")
        name = " ".join(x for x in (first, last) if x)
        email, idnumber, username = (cell(row, k) for k in ("email address", "id number",
                                                             "username"))  # fmt: skip
        student = idnumber or email or username or name
        if not student:
            reading.problems.append(Problem(file, line, "bad-row",
                                            "no name, email address or ID number"))  # fmt: skip
            continue
        m = _VERSION.search(cell(row, question))
        right_parts = split_parts(cell(row, right)) or []
        reading.submissions.append(LmsSubmission(
            file, line, normalize_version(m.group(1)) if m else "", student, name,
            dict(zip(exercise.asked_ids, parts)), email=email, how="question" if m else "",
            right=tuple(right_parts) if len(right_parts) == n else (),
        ))  # fmt: skip
    return reading


# --- QTI 2.1 results -----------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def is_qti_results(data: bytes) -> bool:
    """Whether an XML file's root element is `assessmentResult` (any namespace)."""
    head = data[:4096].decode("utf-8", errors="replace")
    return re.search(r"<(?:\w+:)?assessmentResult[\s>/]", head) is not None


def read_qti_results(data: bytes, file: str, exercise: Exercise) -> Reading:
    """The submissions of one QTI 2.1 results report: one per bpquiz item (`V_CODE`)."""
    from ..export.qti import RAW, version_of_item

    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        line, col = e.position
        return unreadable(file, f"not well-formed XML (line {line}, column {col})")
    if _local(root.tag) != "assessmentResult":
        return unreadable(file, f"not a QTI results report (the root is <{_local(root.tag)}>, "
                           "expected <assessmentResult>)")  # fmt: skip
    context = next((e for e in root if _local(e.tag) == "context"), None)
    student = (context.get("sourcedId") or "").strip() if context is not None else ""
    steps = set(exercise.asked_ids)
    reading = Reading()
    for k, item in enumerate((e for e in root if _local(e.tag) == "itemResult"), start=1):
        code = version_of_item(item.get("identifier", ""))
        if code is None:
            continue
        typed: dict[str, str] = {}
        for var in item:
            if _local(var.tag) != "responseVariable":
                continue
            ident = var.get("identifier", "")
            values = [v.text or "" for c in var if _local(c.tag) == "candidateResponse"
                      for v in c if _local(v.tag) == "value"]  # fmt: skip
            typed[ident] = " ".join(values)
        # The text as typed, else the engine's float (a number: how it was typed is lost, so
        # the grader cannot tell "0.6011" from "0.60110", and does not try).
        answers = {sid: typed.get(sid + RAW) or _engine_float(typed.get(sid, "")) for sid in steps}
        reading.submissions.append(LmsSubmission(
            file, k, normalize_version(code), student, "", answers, how="item"
        ))  # fmt: skip
    if not reading.submissions:
        return unreadable(file, "no itemResult of a bpquiz item (identifier V_<version code>)")
    return reading


def _engine_float(text: str) -> float | str:
    """A QTI float response as a number; text that is none stays text (graded as written)."""
    try:
        value = float(text)
    except ValueError:
        return text
    return value if math.isfinite(value) else text
