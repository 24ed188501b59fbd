"""The formats students hand back: answers CSV, JSON, filled worksheet PDFs (contract.md);
an LMS's reports (Moodle Responses CSV, QTI results XML) are read by `lms`.

Every reader turns a file into `Submission`s ({step id: text as written} plus who and which
version) and `Problem`s; nothing here grades. A bad file or row becomes one `Problem` naming the
file, the row and what was expected, and reading carries on with the rest.

- **CSV**: a header `student_id,name,version,<step ids>`, one submission per row. Header names are
  matched ignoring case and spaces (`Student ID` = `student_id`). Extra columns are ignored with a
  warning; missing step columns count as blank. A name given by two columns is a problem, and a row
  whose copies differ is not graded. UTF-8 with or without a BOM (Excel's "CSV UTF-8"),
  UTF-16/32 with a BOM (Excel's "Unicode text"), or Windows-1252; `,`, `;` (European Excel) or
  tab as the separator, read from the header line. JSON files are read the same way.
- **JSON**: a list of submissions, an object `{"submissions": [...]}`, or one submission. A
  submission is `{"student_id": ..., "name": ..., "version": ..., "answers": {step id: answer}}`,
  or flat like a CSV row (`{"student_id": ..., "version": ..., "<step id>": "0.60108", ...}`). An
  answer is a string as written, a number, or null (blank). A key given twice in one object
  (also as two spellings of one step id) is a problem; a submission whose copies differ is not
  graded.
- **PDF**: a filled worksheet, read by `pdfs`.

Files bpquiz wrote (key.csv, key.json, a gradebook, the print files, solutions, feedback: `own`)
are skipped, by their content, whatever their name.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from ..exercise.model import Exercise
from ..files import BadJSON, decode_text, parse_json, read_cell
from .own import own_csv, own_json
from .pdfs import read_pdf as read_pdf
from .pdfs import submissions_from_fields as submissions_from_fields
from .submissions import (
    IDENTITY,
    Problem,
    Reading,
    Submission,
    canonical,
    normalize_version,
    unreadable,
)  # fmt: skip

FORMATS = ("moodle", "qti", "csv", "json", "pdf")


def read_files(files: list[Path], exercise: Exercise, fmt: str | None = None) -> list[Reading]:
    """Each file's submissions (a worker's job: this module imports no more than it needs)."""
    return [read_file(f, exercise, fmt) for f in files]


def read_file(path: Path, exercise: Exercise, fmt: str | None = None) -> Reading:
    """Every submission in one file; never raises for a bad file (it becomes a Problem).

    `fmt` (one of FORMATS) forces a reader; by default a file's content and suffix choose one:
    a Moodle Responses report is a CSV whose header has `Response N` columns, a QTI results
    report an XML file whose root is `assessmentResult`.
    """
    from . import lms

    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        return unreadable(name, f"cannot read ({e.strerror or e})")
    suffix = path.suffix.lower()
    if fmt is None:
        if suffix == ".pdf" or data[:5] == b"%PDF-":
            fmt = "pdf"
        elif suffix == ".json":
            fmt = "json"
        elif suffix == ".csv":
            fmt = "moodle" if lms.is_moodle_responses(data) else "csv"
        elif suffix == ".xml" or lms.is_qti_results(data):
            fmt = "qti"
    readers = {"pdf": read_pdf, "json": read_json, "csv": read_csv,
               "moodle": lms.read_moodle, "qti": lms.read_qti_results}  # fmt: skip
    if fmt not in readers:
        return unreadable(
            name, "not a CSV, JSON or PDF file, nor XML (expected .csv/.json/.pdf/.xml)"
        )
    return readers[fmt](data, name, exercise)


def _listed(names: list[str]) -> str:
    """The first five names, and how many more."""
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def _decode(data: bytes) -> tuple[str, str | None]:
    """The text of a CSV or JSON file (UTF-8, or UTF-16/32 with a byte-order mark), else
    Windows-1252 with a note."""
    try:
        return decode_text(data), None
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "not UTF-8; read as Windows-1252"


# --- CSV ---------------------------------------------------------------------------------------


def read_csv(data: bytes, file: str, exercise: Exercise) -> Reading:
    text, note = _decode(data)
    reading = Reading()
    if note:
        reading.warnings.append(f"{file}: {note}")
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(rows)
    except StopIteration:
        return unreadable(file, "empty file (expected a header student_id,name,version,<step ids>)")
    except csv.Error as e:
        return unreadable(file, f"not a readable CSV ({e})", 1)
    own = own_csv(header, exercise)
    if own:
        return Reading(skipped=[(file, own)])
    columns: dict[str, int] = {}
    copies: dict[str, list[int]] = {}  # a name given by several columns: all of them
    extra: list[str] = []
    for i, raw in enumerate(header):
        name = canonical(raw, exercise)
        if name is None:
            if raw.strip():
                extra.append(raw.strip())
        elif name in columns:
            copies.setdefault(name, [columns[name]]).append(i)
        else:
            columns[name] = i
    for name, where in copies.items():
        numbers = ", ".join(str(i + 1) for i in where)
        reading.problems.append(Problem(file, 1, "duplicate-column",
            f"column {name} appears {'twice' if len(where) == 2 else f'{len(where)} times'} "
            f"(columns {numbers}); "
            "a row whose copies differ is not graded"))  # fmt: skip
    if "version" not in columns:
        return unreadable(
            file, "no version column (expected a header student_id,name,version,<step ids>)", 1
        )
    if extra:
        reading.warnings.append(f"{file}: ignored column(s) that are no step id: {_listed(extra)}")
    missing = [s for s in exercise.asked_ids if s not in columns]
    if missing:
        reading.warnings.append(f"{file}: no column for {_listed(missing)}; counted as blank")
    steps = [(s, columns[s]) for s in exercise.asked_ids if s in columns]
    v_col, id_col, name_col = columns["version"], columns.get("student_id"), columns.get("name")
    width = len(header)
    end = rows.line_num  # the last line read so far
    try:
        for row in rows:
            line, end = end + 1, rows.line_num  # a record's first and last line
            if not any(cell.strip() for cell in row):
                continue
            if end > line and _joined(row, width, delimiter):
                reading.problems.append(Problem(file, line, "bad-row",
                    f'a quote (") left open in row {line} joins rows {line}–{end} into one cell; '
                    "not graded (close the quote and grade again)"))  # fmt: skip
                continue
            if len(row) < width:
                row = row + [""] * (width - len(row))
            differ = [n for n, where in copies.items() if len({row[i].strip() for i in where}) > 1]
            if differ:
                reading.problems.append(Problem(file, line, "duplicate-column",
                    f"the copies of column {', '.join(differ)} differ in this row "
                    f"({_copies(row[i] for i in copies[differ[0]])}); not graded"))  # fmt: skip
                continue
            version = normalize_version(row[v_col])
            if not version:
                reading.problems.append(
                    Problem(file, line, "bad-row", "no version code in this row")
                )
                continue
            reading.submissions.append(
                Submission(
                    file,
                    line,
                    version,
                    read_cell(row[id_col].strip()).strip() if id_col is not None else "",
                    read_cell(row[name_col].strip()).strip() if name_col is not None else "",
                    {s: row[i] for s, i in steps},
                )
            )
    except csv.Error as e:
        reading.problems.append(
            Problem(
                file,
                rows.line_num,
                "unreadable-file",
                f"CSV error: {e}; the rest of the file is skipped",
            )
        )
    return reading


def _joined(row: list[str], width: int, delimiter: str) -> bool:
    """Whether a record over several lines is rows joined by an unbalanced quote, not one row with
    a multi-line cell (a comment): joined rows make a record of another width than the header's,
    or leave the separator in a cell's later lines (the rows it swallowed)."""
    if len(row) != width:
        return True
    return any(delimiter in part for cell in row for part in cell.splitlines()[1:])


# --- JSON --------------------------------------------------------------------------------------


def read_json(data: bytes, file: str, exercise: Exercise) -> Reading:
    text, note = _decode(data)
    try:
        doc = parse_json(text, object_pairs_hook=_Object)
    except BadJSON as e:
        return unreadable(file, str(e))
    own = own_json(doc)
    if own:
        return Reading(skipped=[(file, own)])
    if isinstance(doc, _Object) and "submissions" in doc:
        if len(doc.copies("submissions")) > 1:
            return Reading(problems=[Problem(file, None, "duplicate-key",
                '"submissions" appears twice: which list is meant? not graded')])  # fmt: skip
        doc = doc["submissions"]
    items = doc if isinstance(doc, list) else [doc]
    reading = Reading()
    if note:
        reading.warnings.append(f"{file}: {note}")
    extra: set[str] = set()
    for n, item in enumerate(items, start=1):
        if not isinstance(item, _Object):
            reading.problems.append(
                Problem(file, n, "bad-row", "expected an object with version and answers")
            )
            continue
        top, top_extra = item.by_name(exercise)
        ident = {k: v for k, v in top.items() if k in IDENTITY}
        flat = {k: v for k, v in top.items() if k not in IDENTITY}
        nested = item.copies("answers")
        if not nested:
            steps = flat
            extra.update(top_extra)
        elif flat:
            # Answers in two places: which one did the student mean? Neither is guessed.
            reading.problems.append(Problem(file, n, "bad-row",
                f'both an "answers" object and step ids beside it ({_listed(list(flat))}): put '
                'every answer in "answers"; not graded'))  # fmt: skip
            continue
        elif len(nested) > 1 or not isinstance(nested[0], _Object):
            message = ('"answers" appears twice: which is meant? not graded' if len(nested) > 1
                       else '"answers" must be an object {step id: answer}')  # fmt: skip
            reading.problems.append(Problem(file, n, "bad-row" if len(nested) == 1 else
                                            "duplicate-key", message))  # fmt: skip
            continue
        else:
            steps, inner_extra = nested[0].by_name(exercise)
            extra.update(inner_extra, (k for k in steps if k in IDENTITY))
            steps = {k: v for k, v in steps.items() if k not in IDENTITY}
        twice = {k: v for k, v in (*ident.items(), *steps.items()) if len(v) > 1}
        if twice:
            differ = [k for k, v in twice.items() if any(x != v[0] for x in v)]
            shown = ", ".join(twice)
            if differ:
                reading.problems.append(Problem(file, n, "duplicate-key",
                    f"{shown} given more than once, differently "
                    f"({_copies(twice[differ[0]])}); not graded"))  # fmt: skip
                continue
            reading.problems.append(Problem(file, n, "duplicate-key",
                f"{shown} given more than once (the same each time); graded"))  # fmt: skip
        answers: dict[str, Any] = {
            k: v[0] if v[0] is None or isinstance(v[0], (str, int, float)) else _shown(v[0])
            for k, v in steps.items()
        }
        version = ident.get("version", [None])[0]
        if not isinstance(version, str) or not normalize_version(version):
            reading.problems.append(Problem(file, n, "bad-row", "no version code (a string)"))
            continue
        reading.submissions.append(
            Submission(
                file,
                n,
                normalize_version(version),
                _text(ident.get("student_id", [None])[0]),
                _text(ident.get("name", [None])[0]),
                answers,
            )
        )
    if extra:
        ignored = _listed(sorted(extra))
        reading.warnings.append(f"{file}: ignored key(s) that are no step id: {ignored}")
    return reading


class _Object(dict):
    """A JSON object (the parser's `object_pairs_hook`) that keeps every key as written, so that
    a key given twice is seen: a plain dict keeps the last copy without a word."""

    def __init__(self, pairs: list[tuple[str, Any]]):
        super().__init__(pairs)
        self.pairs = pairs

    def copies(self, key: str) -> list[Any]:
        return [v for k, v in self.pairs if k == key]

    def by_name(self, exercise: Exercise) -> tuple[dict[str, list[Any]], list[str]]:
        """The values by identity column or step id ("Student ID" = student_id), every copy
        kept; and the keys that are neither (but "answers")."""
        named: dict[str, list[Any]] = {}
        other: list[str] = []
        for k, v in self.pairs:
            name = canonical(k, exercise)
            if name is not None:
                named.setdefault(name, []).append(v)
            elif k != "answers":
                other.append(k)
        return named, other


def _copies(values: Any) -> str:
    """Copies of one value for a message: each as written, cut at 24 characters."""
    shown = [repr(v) if v is None or isinstance(v, (str, int, float)) else _shown(v)
             for v in values]  # fmt: skip
    return " and ".join(t if len(t) <= 24 else t[:23] + "…" for t in shown)


def _shown(value: Any) -> str:
    """A list or object given as an answer, as text (it is unreadable; the feedback shows it)."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except (RecursionError, ValueError):  # nested hundreds of levels deep
        return "[…]" if isinstance(value, list) else "{…}"


def _text(x: Any) -> str:
    return "" if x is None else str(x).strip()
