"""Files bpquiz itself wrote, recognised by their content: they are never submissions.

A key.csv left in the submissions folder would otherwise be graded as 41/41 for every sheet, an
unfilled answers-template.csv or print file would hand in a blank sheet for every student, and a
gradebook, feedback PDF or summary from an earlier run (an --out folder inside the submissions)
would be read as answers. Each is recognised by what bpquiz writes into it, whatever its name, and
skipped with a warning. Pure: the readers in `formats` pass what they have read.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..constants import IDENTITY_COLUMNS
from ..exercise.model import Exercise
from .submissions import Submission

# What the files bpquiz writes say they are (key.json, grades.json: their "schema").
SCHEMAS = {"bpquiz.key/1": "a key (key.json)", "bpquiz.grades/1": "grades.json of a grading"}
# The keywords of bpquiz's PDFs (documents/templates): a worksheet says "bpquiz, worksheet".
PDF_KEYWORDS = {
    "bpquiz, solution": "a worked solution",
    "bpquiz, feedback": "a feedback PDF",
    "bpquiz, grading summary": "a grading summary",
}
PRINT_PRODUCER = "bpquiz"  # the merged print files' /Producer ("bpquiz 0.1.0")
PROBLEMS_HEADER = ("file", "row", "kind", "message")
GRADEBOOK_SCORES = ("score", "max_score", "percent")


def own_csv(header: Sequence[str], exercise: Exercise) -> str | None:
    """What bpquiz CSV this header is (key.csv, a gradebook, problems.csv), or None."""
    names = [h.strip().lstrip("\ufeff").lower() for h in header]
    if set(exercise.given_names) <= set(names):
        return "a key (key.csv: every given value and step value)"
    if tuple(names[:6]) == (*IDENTITY_COLUMNS, *GRADEBOOK_SCORES):
        return "a gradebook (gradebook.csv)"
    if tuple(names) == PROBLEMS_HEADER:
        return "problems.csv of a grading"
    return None


def unfilled_templates(versions: Sequence[str], submissions: Sequence[Submission]) -> list[str]:
    """The files that are an answers-template.csv as generate wrote it for this key: a row for
    every sheet, in the key's order (`versions`), and no answer filled in. (Once it holds an
    answer it is a submission: the template is there to be filled.)"""
    by_file: dict[str, list[Submission]] = {}
    for s in submissions:
        by_file.setdefault(s.source, []).append(s)
    wanted = list(versions)
    return [
        file
        for file, subs in by_file.items()
        if [s.version for s in subs] == wanted and all(s.blank for s in subs)
    ]


def own_json(doc: object) -> str | None:
    """What bpquiz JSON file this is (by its "schema"), or None."""
    schema = doc.get("schema") if isinstance(doc, dict) else None
    return SCHEMAS.get(schema) if isinstance(schema, str) else None


def own_pdf(keywords: str, producer: str, sheets: int) -> str | None:
    """What bpquiz PDF this is, or None for a worksheet (or anything else).

    `sheets`: how many sheets' answer fields it holds. A print file holds every sheet of a class
    (filled or not, it would claim every one of them); a student hands in one worksheet.
    """
    for marker, what in PDF_KEYWORDS.items():
        if keywords.startswith(marker):
            return what
    if producer.startswith(PRINT_PRODUCER) or sheets > 1:
        return "a print file (every sheet of a class in one PDF)"
    return None
