"""Play Moodle for the README's LMS session: a class takes the exported quiz, and the quiz's
Responses report is downloaded.

    python docs/demo_lms.py QUIZ.xml KEY.json REPORT.csv

QUIZ.xml is what `bpquiz export moodle` wrote, KEY.json its key. The script does what Moodle
does with them, without Moodle: 30 students (fixed seed) each draw one of the file's questions at
random (as "a random question" from the category does, so two may draw the same one) and answer
its parts; REPORT.csv is then written exactly as Moodle 5.x downloads the Responses report with
"Question text", "Response" and "Right answer" ticked (tests/lms_files.py: UTF-8 BOM, one row
per attempt, `part 1: …; part 2: …` cells, the question text as plain text with each part as
_____, the right answers as the floats Moodle stored).

The students are the tests' (tests/students.py, built from an independent oracle): most round,
some truncate and carry, three slip once and carry the slip, two type decimal commas, one
leaves parts empty, and one attempt is still in progress.
"""

from __future__ import annotations

import html
import json
import random
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import students  # noqa: E402
from lms_files import Attempt, parse_cloze, responses_csv  # noqa: E402

NAMES = [
    "Amara Okafor", "Lukas Becker", "Sofia Rossi", "Hiroshi Tanaka", "Fatima Benali",
    "Mateo García", "Ingrid Johansson", "Rahul Sharma", "Chloé Martin", "Oluwaseun Adeyemi",
    "Anna Kowalska", "Nguyễn Lan", "Diego Fernández", "Yuki Sato", "Ayşe Yılmaz",
    "Liam O'Connor", "Mei Lin Chen", "Kwame Mensah", "Elena Popescu", "Arjun Nair",
    "Zanele Dlamini", "Mikkel Nielsen", "Ji-woo Park", "Björn Ek", "Camila Souza",
    "Dmitri Volkov", "Leila Haddad", "Tomás Silva", "Priya Patel", "Jonas Müller",
]  # fmt: skip


def plain(text: str) -> str:
    """Roughly Moodle's html_to_text of a question text, each part shown as _____."""
    for part in reversed(parse_cloze(text)):
        text = text[: part.start] + "_____" + text[part.end :]
    text = re.sub(r"<(p|li|h4)[^>]*>", "\n", text)
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


def answers(k: int, given: dict, rng: random.Random) -> dict[str, str]:
    if k in (3, 11, 19, 26):
        return students.carried(given, "trunc")
    if k in (5, 14, 22):  # one slip, carried through every later step
        slip = rng.choice(["out_h1", "sum_o2", "dE_dout_o1", "dout_h2_dsum_h2"])
        return students.carried(given, "round", (slip, lambda x: x * 1.1 + 0.01))
    written = students.carried(given)
    if k in (8, 17):
        written = {s: t.replace(".", ",") for s, t in written.items()}
    if k == 24:
        for s in list(written)[30:]:
            written[s] = ""
    return written


def main() -> None:
    quiz_path, key_path, report = map(Path, sys.argv[1:4])
    quiz = ET.fromstring(quiz_path.read_text(encoding="utf-8"))
    questions = {q.findtext("idnumber"): q for q in quiz.findall("question[@type='cloze']")}
    key = json.loads(key_path.read_text(encoding="utf-8"))
    given = {v["version"]: v["given"] for v in key["variants"]}
    ids = key["exercise"]["ask"] or [d["id"] for d in key["step_definitions"]]
    rng = random.Random(2026)
    attempts = []
    for k, name in enumerate(NAMES):
        code = rng.choice(sorted(questions))
        text = questions[code].findtext("questiontext/text")
        right = [format(float(p.right.answer), ".14G") for p in parse_cloze(text)]
        written = answers(k, given[code], rng)
        first, last = name.split(" ", 1)
        email = f"{first.lower()}.{k + 1:02d}@uni.example"
        attempts.append(Attempt(last, first, email, f"20260{k + 1:02d}",
                                [written[s] for s in ids], plain(text), right,
                                "In progress" if k == 29 else "Finished"))  # fmt: skip
    report.write_bytes(responses_csv(attempts, "5.x"))


if __name__ == "__main__":
    main()
