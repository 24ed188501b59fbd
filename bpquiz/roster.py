"""A class roster: the CSV a lecturer keeps, one personal worksheet per student.

A header row names the columns `student_id` and `name` (any case; other columns, a spreadsheet's
UTF-8 byte-order mark and blank lines are fine). A bad roster is one line naming the row. Student
IDs compare by `student_key` (case and surrounding spaces do not count), here and in grading.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from .constants import MAX_SHEETS
from .errors import GenerateError


def student_key(student_id: str) -> str:
    """A student ID as compared, here and in grading: surrounding spaces dropped, case folded
    (`ab12` and ` AB12 ` are one student)."""
    return student_id.strip().casefold()


@dataclass(frozen=True)
class Student:
    student_id: str
    name: str


def read_roster(path: Path) -> list[Student]:
    """Students from a CSV with a header row `student_id,name` (other columns are ignored)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise GenerateError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise GenerateError(f"{path}: not UTF-8 text (save the roster as CSV UTF-8)") from None
    except OSError as e:
        raise GenerateError(f"{path}: cannot read ({e.strerror})") from None
    return parse_roster(text, str(path))


def parse_roster(text: str, source: str = "roster") -> list[Student]:
    rows = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = next(rows)
    except StopIteration:
        raise GenerateError(
            f"{source}: empty file (expected a header row student_id,name)"
        ) from None
    except csv.Error as e:
        raise GenerateError(f"{source}: line 1: {e}") from None
    columns = [h.strip().lower() for h in header]
    missing = [c for c in ("student_id", "name") if c not in columns]
    if missing:
        raise GenerateError(
            f"{source}: the header row must name the columns student_id and name "
            f"(missing {', '.join(missing)}; found {', '.join(map(repr, header)) or 'nothing'})"
        )
    id_col, name_col = columns.index("student_id"), columns.index("name")
    students: list[Student] = []
    seen: dict[str, tuple[int, str]] = {}
    try:
        for row in rows:
            line = rows.line_num
            if not any(cell.strip() for cell in row):
                continue  # blank lines, e.g. at the end
            if len(row) <= max(id_col, name_col):
                raise GenerateError(
                    f"{source}: line {line}: expected at least {max(id_col, name_col) + 1} "
                    f"columns, got {len(row)}"
                )
            student_id, name = row[id_col].strip(), row[name_col].strip()
            if not student_id:
                raise GenerateError(f"{source}: line {line}: empty student_id")
            if student_key(student_id) in seen:
                first, spelled = seen[student_key(student_id)]
                shown = "" if spelled == student_id else f" as {spelled!r}: case does not count"
                raise GenerateError(
                    f"{source}: line {line}: duplicate student_id {student_id!r} "
                    f"(also on line {first}{shown})"
                )
            seen[student_key(student_id)] = (line, student_id)
            students.append(Student(student_id, name))
    except csv.Error as e:
        raise GenerateError(f"{source}: line {rows.line_num}: {e}") from None
    if not students:
        raise GenerateError(f"{source}: no students (only a header row)")
    if len(students) > MAX_SHEETS:
        raise GenerateError(f"{source}: {len(students)} students; at most {MAX_SHEETS} per run")
    return students
