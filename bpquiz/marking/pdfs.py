"""Reading filled worksheet PDFs into submissions (pikepdf, else pypdf; bytes in, no file I/O).

Each answer is the text form field named by its step id; the version is the read-only field
`version`, or `bpquiz-version:CODE` in the document's keywords. Optional `student_id` and `name`
fields are read when present. An encrypted, damaged or field-less PDF is one `Problem`; a PDF
bpquiz wrote (a print file holding every sheet, a solution, feedback: `own`) is skipped.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..exercise.model import Exercise
from .own import own_pdf
from .submissions import Problem, Reading, Submission, canonical, normalize_version, unreadable

_KEYWORD = re.compile(r"bpquiz-version:\s*([A-Za-z0-9_-]+)")
ENCRYPTED = "the PDF is encrypted; save it without a password and grade again"


def read_pdf(data: bytes, file: str, exercise: Exercise) -> Reading:
    """The submissions of one filled worksheet PDF (several, for a merged print file)."""
    found = fast_fields(data)
    if found is None:  # pypdf decides what is wrong with it, or reads what it can
        found = _pypdf_fields(data)
        if isinstance(found, str):
            return unreadable(file, found)
    values, keywords, producer = found
    own = own_pdf(keywords, producer, len(_sheets(values, exercise)))
    if own:
        return Reading(skipped=[(file, own)])
    return submissions_from_fields(values, file, exercise, keywords)


Fields = tuple[dict[str, Any], str, str]  # ({qualified name: /V}, keywords, producer)
_MAX_DEPTH = 32  # of the field tree: a worksheet's is 1 deep, a merged print file's 2


def fast_fields(data: bytes) -> Fields | None:
    """The form fields and metadata of a PDF that qpdf (pikepdf) reads cleanly — no encryption,
    no repair, no warning, only text, name or array values in a tree without cycles —, in
    about 1 ms instead of pypdf's 5; else None, and `read_pdf` asks pypdf, as before."""
    import pikepdf  # imported here: CSV-only grading does not pay for it

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if pdf.is_encrypted:
                return None
            values: dict[str, Any] = {}
            form = pdf.Root.get("/AcroForm")
            fields = form.get("/Fields") if form is not None else None
            if fields is not None and not _walk(fields, "", values, set(), 0):
                return None
            info = pdf.docinfo
            keywords, producer = str(info.get("/Keywords", "")), str(info.get("/Producer", ""))
            if pdf.get_warnings():
                return None
    except Exception:  # noqa: BLE001 - pypdf then reads it, or names what is wrong
        return None
    return values, keywords, producer


def _walk(kids: Any, parent: str, values: dict[str, Any], seen: set, depth: int) -> bool:
    """Each terminal field's qualified name and value into `values`, as pypdf's get_fields
    names them (`parent.child`; a widget without /T is its parent's); False on anything
    unusual."""
    import pikepdf

    if depth > _MAX_DEPTH or not isinstance(kids, pikepdf.Array):
        return False
    for field in kids:
        if not isinstance(field, pikepdf.Dictionary) or field.objgen in seen:
            return False
        if field.objgen != (0, 0):
            seen.add(field.objgen)
        title = field.get("/T")
        name = parent if title is None else f"{parent}.{title}" if parent else str(title)
        value = field.get("/V")
        if value is not None:
            if isinstance(value, pikepdf.Array):
                value = [str(v) for v in value]
            elif isinstance(value, (pikepdf.String, pikepdf.Name)):
                value = str(value)
            else:
                return False
        if title is not None and (value is not None or "/Kids" not in field):
            values[name] = value
        if "/Kids" in field and not _walk(field["/Kids"], name, values, seen, depth + 1):
            return False
    return True


def _pypdf_fields(data: bytes) -> Fields | str:
    """The fields and metadata as pypdf reads them, or what is wrong with the file."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    try:
        with _quiet("pypdf"):
            try:
                # Opening an encrypted PDF tries the empty password, which for AES needs the
                # cryptography package: an encrypted file either way.
                reader = PdfReader(io.BytesIO(data))
            except (DependencyError, FileNotDecryptedError):
                return ENCRYPTED
            if reader.is_encrypted:  # before anything that reads (decrypts) its objects
                return ENCRYPTED
            fields = reader.get_fields() or {}
            metadata = reader.metadata or {}
            keywords = str(metadata.get("/Keywords") or "")
            producer = str(metadata.get("/Producer") or "")
    except Exception as e:  # noqa: BLE001 - pypdf raises many kinds on damaged files; one bad file must not stop grading
        return f"not a readable PDF ({type(e).__name__}: {e})"
    return {name: f.get("/V") for name, f in fields.items()}, keywords, producer


@contextmanager
def _quiet(logger: str) -> Iterator[None]:
    """The logger's warnings off while inside, then as they were: pypdf logs what it repairs
    ("EOF marker not found"); what it cannot read becomes our Problem."""
    log = logging.getLogger(logger)
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def submissions_from_fields(
    values: dict[str, Any], file: str, exercise: Exercise, keywords: str = ""
) -> Reading:
    """Group form field values ({qualified name: value}) into submissions.

    Plain `out_h1` fields are one sheet whose version is the `version` field (or `keywords`);
    `K7F3Q9.out_h1` fields are the sheet K7F3Q9 of a merged file.
    """
    sheets = _sheets(values, exercise)
    steps = set(exercise.asked_ids)
    if not sheets:
        return unreadable(
            file,
            "no answer fields (a scanned or flattened PDF? enter its answers in a CSV instead)"
            if not values
            else "no form field named by a step id (not a bpquiz worksheet?)",
        )
    reading = Reading()
    for prefix, fields_ in sheets.items():
        version = normalize_version(fields_.get("version", "")) or normalize_version(
            prefix.rpartition(".")[2]
        )
        if not version:
            m = _KEYWORD.search(keywords)
            version = normalize_version(m.group(1)) if m else ""
        if not version:
            reading.problems.append(
                Problem(
                    file,
                    None,
                    "bad-row",
                    "no version code (neither a version field nor bpquiz-version in the metadata)",
                )
            )
            continue
        reading.submissions.append(
            Submission(
                file,
                None,
                version,
                fields_.get("student_id", "").strip(),
                fields_.get("name", "").strip(),
                {k: v for k, v in fields_.items() if k in steps},
            )
        )
    return reading


def _sheets(values: dict[str, Any], exercise: Exercise) -> dict[str, dict[str, str]]:
    """Form field values grouped by sheet ({prefix: {field: text}}): the sheets with an answer
    field (`out_h1`, or `K7F3Q9.out_h1` in a merged file)."""
    sheets: dict[str, dict[str, Any]] = {}
    for name, value in values.items():
        prefix, _, leaf = name.rpartition(".")
        leaf_name = canonical(leaf, exercise)
        if leaf_name is not None:
            sheets.setdefault(prefix, {})[leaf_name] = _field_text(value)
    steps = set(exercise.asked_ids)
    return {prefix: f for prefix, f in sheets.items() if steps.intersection(f)}


def _field_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):  # a multi-valued field: not a worksheet box, but read it anyway
        return " ".join(str(v) for v in value)
    return str(value)
