"""Build the class and the handed-in answers of the README's grading session.

    python docs/demo_grading.py DIR

The README's "A real session" under "Grading" is `bpquiz grade` run on what this script builds
(run it, `cd DIR`, and type the README's commands). In DIR (which must not exist or be empty):

- `roster.csv`: 30 students, IDs 2026001…2026030;
- `class/`: `bpquiz generate --seed 42 --course "ML 101" --roster roster.csv --out class`, run in
  DIR (one personal worksheet each, 30 in all, and class/key.json);
- `handed-in/lms-download/studentNN_assignsubmission_file/worksheet.pdf`: the filled worksheets of
  students 1–22 as an LMS hands them back, plus student 23's upload, which is a broken PDF (cut off
  half-way);
- `handed-in/form-export.csv`: students 23–30 answered through a form instead; its export is
  semicolon-separated with decimal commas and an extra `submitted` column; student 25 sent the form
  twice, and student 14 (already handed in via the LMS) also sent it with a version code that is in
  no key.

The answers are computed from the key (read with `bpquiz.keyfile.parse_key`): most students write
every value exactly rounded to 5 decimals; some truncate and carry their own truncated answers;
three slip once early on and carry the slip correctly through every later step (so error carried
forward shows); one leaves boxes blank and writes things that are no number. Everything is drawn
from a fixed seed, so every run builds the same files.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

# The students are the tests' (built from the independent oracle, never from bpquiz's formulas).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from bpquiz.exercise.key import parse_key  # noqa: E402
from bpquiz.exercise.model import Exercise  # noqa: E402

import students  # noqa: E402

# pypdf warns that "−" is not in the fields' font when it fills them in; the values are exact.
logging.getLogger("pypdf").setLevel(logging.ERROR)

STEP_IDS = Exercise().step_ids

SEED = 42
DECIMALS = 5

NAMES = [
    "Amara Okafor", "Lukas Becker", "Sofia Rossi", "Hiroshi Tanaka", "Fatima Zahra Benali",
    "Mateo García", "Ingrid Johansson", "Rahul Sharma", "Chloé Martin", "Oluwaseun Adeyemi",
    "Anna Kowalska", "Nguyễn Thị Lan", "Diego Fernández", "Yuki Sato", "Ayşe Yılmaz",
    "Liam O'Connor", "Mei Lin Chen", "Kwame Mensah", "Elena Popescu", "Arjun Nair",
    "Zanele Dlamini", "Mikkel Nielsen", "Ji-woo Park", "Björn Ek", "Camila Souza",
    "Dmitri Volkov", "Leila Haddad", "Tomás Silva", "Priya Patel", "Jonas Müller",
]  # fmt: skip
IDS = [f"{2026001 + k}" for k in range(30)]
LMS = IDS[:22]  # students 1–22 upload their filled worksheet PDF
FORM = IDS[22:]  # students 23–30 use the form
BROKEN_UPLOAD = IDS[22]  # student 23's upload is cut off; they used the form afterwards
FORM_TWICE = IDS[24]  # student 25 sends the form twice
STRAY = IDS[13]  # student 14 also tries the form, with a version code that is in no key
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # bpquiz.variants.ALPHABET: the codes' letters


# --- what students write -----------------------------------------------------------------------


def fmt(x: float) -> str:
    return f"{x:.{DECIMALS}f}"


def exact(sheet) -> dict[str, str]:
    """Every step as the key has it, rounded to 5 decimals."""
    return students.from_key(dict(sheet.variant.given), "round", DECIMALS)


def carried(sheet, how: str = "round", slip: tuple[str, Callable[[float], float]] | None = None):
    """A student computing each step from their own written answers, maybe with one slip."""
    return students.carried(dict(sheet.variant.given), how, slip, DECIMALS)


SLIPS = ("no-bias", "digits", "sign")


def slips(rng: random.Random, sheet, kind: str) -> tuple[str, Callable[[float], float], str]:
    """One slip early on: (step id, what it does to the value, description)."""
    given = sheet.variant.given
    if kind == "no-bias":  # forgot the bias in a hidden unit's weighted sum
        step = rng.choice(["sum_h1", "sum_h2"])
        return step, lambda x: x - given["b1"], f"{step} without the bias b1"
    if kind == "digits":  # two digits swapped while copying an output
        step = rng.choice(["out_h1", "out_h2", "out_o1", "out_o2"])

        def swap(x: float) -> float:
            s = fmt(x)
            start = s.index(".") + 1
            i = rng.choice([i for i in range(start, len(s) - 1) if s[i] != s[i + 1]])
            return float(s[:i] + s[i + 1] + s[i] + s[i + 2 :])

        return step, swap, f"{step} with two digits swapped"
    step = rng.choice(["dE_dout_o1", "dE_dout_o2"])  # target − out instead of out − target
    return step, lambda x: -x, f"{step} with the wrong sign"


def garbled(rng: random.Random, answers: dict[str, str]) -> dict[str, str]:
    """A few boxes left blank, a few filled with something that is no number."""
    answers = dict(answers)
    picked = rng.sample(STEP_IDS[1:], 6)
    for sid, text in zip(picked, ["", "", "", "abc", "?", "1/2"], strict=True):
        answers[sid] = text
    return answers


def plan(rng: random.Random) -> dict[str, str]:
    """Student ID -> how they work: exact, trunc, slip or garbage."""
    how = dict.fromkeys(IDS, "exact")
    pool = [s for s in IDS if s not in (FORM_TWICE, STRAY)]
    chosen = rng.sample(pool, 9)
    for sid in chosen[:5]:
        how[sid] = "trunc"
    for sid in chosen[5:8]:
        how[sid] = "slip"
    how[chosen[8]] = "garbage"
    return how


# --- files ---------------------------------------------------------------------------------------


def fill(blank: Path, values: dict[str, str], target: Path) -> None:
    """The worksheet PDF with its boxes (form fields named by step id) filled in."""
    target.parent.mkdir(parents=True, exist_ok=True)
    students.fill(blank, values, target)


def unknown_code(codes: set[str], rng: random.Random) -> str:
    code = "K7F3Q9"
    while code in codes:
        code = "".join(rng.choice(ALPHABET) for _ in range(6))
    return code


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0].startswith("-"):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    root = Path(argv[0])
    if root.exists() and any(root.iterdir()):
        print(f"error: {root} exists and is not empty", file=sys.stderr)
        return 2
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)

    with (root / "roster.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(
            [["student_id", "name"], *zip(IDS, NAMES, strict=True)]
        )
    # --roster makes one sheet per student (30); `generate` refuses --n beside it.
    generated = subprocess.run(
        [sys.executable, "-m", "bpquiz", "generate", "--seed", str(SEED), "--course", "ML 101",
         "--roster", "roster.csv", "--out", "class", "--quiet"],
        cwd=root, check=False,
    )  # fmt: skip
    if generated.returncode:
        return generated.returncode

    key = parse_key(json.loads((root / "class" / "key.json").read_text(encoding="utf-8")))
    sheets = {s.student_id: s for s in key.sheets}
    blank = {sid: root / "class" / "worksheets" / f"{s.version}.pdf" for sid, s in sheets.items()}

    how = plan(rng)
    slip_kinds = iter(rng.sample(SLIPS, len(SLIPS)))
    answers, notes = {}, {}
    for sid in IDS:
        if how[sid] == "exact":
            answers[sid] = exact(sheets[sid])
        elif how[sid] == "trunc":
            answers[sid] = carried(sheets[sid], "trunc")
        elif how[sid] == "slip":
            step, change, notes[sid] = slips(rng, sheets[sid], next(slip_kinds))
            answers[sid] = carried(sheets[sid], "round", (step, change))
        else:
            answers[sid] = garbled(rng, exact(sheets[sid]))
            notes[sid] = "blanks and no-numbers"

    handed_in = root / "handed-in"
    lms = handed_in / "lms-download"

    def folder(sid: str) -> Path:
        return lms / f"student{int(sid) - 2026000:02d}_assignsubmission_file"

    for sid in LMS:
        fill(blank[sid], answers[sid], folder(sid) / "worksheet.pdf")
    # Student 23's upload broke off half-way (they used the form afterwards).
    upload = folder(BROKEN_UPLOAD) / "worksheet.pdf"
    fill(blank[BROKEN_UPLOAD], answers[BROKEN_UPLOAD], upload)
    data = upload.read_bytes()
    upload.write_bytes(data[: len(data) // 2])

    # The form: one row per sending, in the order sent; a European spreadsheet export.

    def comma(text: str) -> str:
        return text.replace(".", ",")

    rows = []
    minute = 0

    def send(sid: str, version: str, typed: dict[str, str]) -> None:
        nonlocal minute
        minute += rng.randint(3, 40)
        stamp = f"2026-03-12 {9 + minute // 60:02d}:{minute % 60:02d}"
        name = dict(zip(IDS, NAMES, strict=True))[sid]
        rows.append([stamp, sid, name, version, *(comma(typed[s]) for s in STEP_IDS)])

    for sid in FORM:
        send(sid, sheets[sid].version, answers[sid])
    send(STRAY, unknown_code({s.version for s in key.sheets}, rng), answers[STRAY])
    again = dict(answers[FORM_TWICE])
    again["E_total"] = fmt(float(again["E_total"]) + 0.001)  # a second go, one answer changed
    send(FORM_TWICE, sheets[FORM_TWICE].version, again)

    text = io.StringIO()
    csv.writer(text, delimiter=";", lineterminator="\r\n").writerows(
        [["submitted", "student_id", "name", "version", *STEP_IDS], *rows]
    )
    (handed_in / "form-export.csv").write_bytes(text.getvalue().encode("utf-8"))

    print(f"{root}/class: 30 worksheets and key.json (seed {SEED})")
    print(f"{root}/handed-in: {len(LMS)} filled worksheets + 1 broken PDF, "
          f"form-export.csv with {len(rows)} rows")  # fmt: skip
    for sid in IDS:
        if how[sid] != "exact":
            print(f"  {sid} {how[sid]:8} {notes.get(sid, 'carries truncated answers')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
