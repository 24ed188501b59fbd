"""LMS files as the LMSs read and write them, for the tests and benchmarks: written from
lms-formats.md (the project's reference, with its sources in Moodle's code), not from bpquiz.

- `parse_cloze`: Moodle's cloze grammar (§1.2) — subquestions `{W:NUMERICAL:ALT~ALT…}`, each
  alternative `FRACTION ANSWER[:TOLERANCE][#FEEDBACK]`, where ANSWER ends at the first `~ # }`
  not after `\\`, `&` or `&amp;`, and FEEDBACK at the first `~ }` not after `\\`;
- `responses_csv`: the quiz Responses report download (§2), 4.x or 5.x headers;
- `qti_result`: a QTI 2.1 assessmentResult (§3.4);
- `qti_schemas`: the IMS XSDs of tests/data/qti21-xsd, loaded offline (check.py's resolver).
"""

from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

# §1.2: `[0-9]*` weight; NUMERICAL or NM; the number syntax of ANSWER and TOLERANCE.
OPEN = re.compile(r"\{([0-9]*):(NUMERICAL|NM):")
NUMBER = re.compile(r"-?(([0-9]+[.,]?[0-9]*|[.,][0-9]+)([eE][-+]?[0-9]+)?)")
FRACTION = re.compile(r"=|%(-?[0-9]+(?:[.,][0-9]*)?)%")


@dataclass
class Alternative:
    fraction: float  # 1.0 for "=", n/100 for %n%, 0 when absent
    answer: str
    tolerance: str | None
    feedback: str | None  # as Moodle stores it: entity-decoded, \} and \# unescaped


@dataclass
class Subquestion:
    weight: str
    alternatives: list[Alternative]
    start: int  # where `{` is in the text
    end: int  # just after the closing `}`

    @property
    def right(self) -> Alternative:
        (a,) = [a for a in self.alternatives if a.fraction == 1.0]
        return a


def _until(text: str, i: int, stops: str, escapes: tuple[str, ...]) -> int:
    """The index of the first character of `stops` from i that follows none of `escapes`."""
    while i < len(text):
        if text[i] in stops and not any(text.endswith(e, 0, i) for e in escapes):
            return i
        i += 1
    raise ValueError("unterminated subquestion")


def parse_cloze(text: str) -> list[Subquestion]:
    """Every NUMERICAL subquestion of a question text, in text order."""
    found = []
    pos = 0
    while (m := OPEN.search(text, pos)) is not None:
        i = m.end()
        alternatives = []
        while True:
            f = FRACTION.match(text, i)
            fraction = 0.0
            if f:
                fraction = 1.0 if f.group() == "=" else float(f.group(1).replace(",", ".")) / 100
                i = f.end()
            j = _until(text, i, "~#}", ("\\", "&", "&amp;"))
            answer, _, tolerance = text[i:j].partition(":")
            feedback = None
            if text[j] == "#":
                k = _until(text, j + 1, "~}", ("\\",))
                feedback = html.unescape(text[j + 1 : k]).replace("\\}", "}").replace("\\#", "#")
                j = k
            alternatives.append(Alternative(fraction, answer, tolerance or None, feedback))
            i = j + 1
            if text[j] == "}":
                break
        found.append(Subquestion(m.group(1), alternatives, m.start(), i))
        pos = i
    return found


# --- Moodle's quiz Responses report --------------------------------------------------------------

HEADERS = {
    # §2.1: lastname, firstname, identity fields, state, times, grade, then per slot.
    "5.x": ["Last name", "First name", "Email address", "ID number", "Status", "Started",
            "Completed", "Duration", "Grade/10.00"],
    "4.x": ["Surname", "First name", "Email address", "ID number", "State", "Started on",
            "Completed", "Time taken", "Grade/10.00"],
}  # fmt: skip


def cell(parts: list[str]) -> str:
    """A cloze question's response summary (§2.2): `part 1: a; part 2: ; …`, trimmed."""
    return "; ".join(f"part {k}: {p}" for k, p in enumerate(parts, start=1)).strip()


@dataclass
class Attempt:
    last: str
    first: str
    email: str
    idnumber: str
    parts: list[str] | None  # None: no response summary ("-")
    question: str = ""  # the question summary (the text, parts as _____)
    right: list[str] | None = None
    state: str = "Finished"


def responses_csv(attempts: list[Attempt], version: str = "5.x", question: bool = True,
                  right: bool = True) -> bytes:  # fmt: skip
    """The report as Moodle downloads it: UTF-8 BOM, `,`, `"` (OpenSpout, escape '')."""
    header = [*HEADERS[version]]
    header += ["Question 1"] * question + ["Response 1"] + ["Right answer 1"] * right
    rows = [header]
    for a in attempts:
        finished = a.state == "Finished"
        row = [a.last, a.first, a.email, a.idnumber, a.state, "5 March 2025 10:02 AM",
               "5 March 2025 10:41 AM" if finished else "-", "39 mins 12 secs" if finished
               else "-", "8.29" if finished else "-"]  # fmt: skip
        if question:
            row.append(a.question)
        row.append(cell(a.parts) if a.parts is not None else "-")
        if right:
            row.append(cell(a.right) if a.right is not None else "-")
        rows.append(row)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def question_summary(code: str, labels: list[str]) -> str:
    """What Moodle shows in "Question N": the text as plain text, each part as _____."""
    lines = [f"Version {code}", "", "Backpropagation exercise", "", "Given values: …"]
    lines += [f"{k}. {label} = _____" for k, label in enumerate(labels, start=1)]
    return "\n".join(lines)


# --- QTI 2.1 --------------------------------------------------------------------------------------

RESULT_NS = "http://www.imsglobal.org/xsd/imsqti_result_v2p1"


def _float(text: str) -> str:
    """The float a QTI engine stores for a typed text ('' when it is none)."""
    try:
        return repr(float(text.strip()))
    except ValueError:
        return ""


def qti_result(student: str, item: str, typed: dict[str, str], raw: str | None = "_RAW") -> bytes:
    """One candidate's assessmentResult: per step the float response (what the engine parsed)
    and, with `raw`, the string response that keeps the typed text."""
    variables = []
    for sid, text in typed.items():
        number = _float(text)
        value = f"<value>{number}</value>" if number else ""
        variables.append(
            f'<responseVariable identifier="{sid}" cardinality="single" baseType="float">'
            f"<candidateResponse>{value}</candidateResponse></responseVariable>"
        )
        if raw is None:
            continue
        shown = f"<value>{escape(text)}</value>" if text else ""
        variables.append(
            f'<responseVariable identifier="{sid}{raw}" cardinality="single" baseType="string">'
            f"<candidateResponse>{shown}</candidateResponse></responseVariable>"
        )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<assessmentResult xmlns="{RESULT_NS}">'
        f"<context sourcedId={quoteattr(student)}><sessionIdentifier "
        'sourceID="https://tao.example.org" identifier="delivery-1"/></context>'
        f'<itemResult identifier={quoteattr(item)} sequenceIndex="1" '
        f'datestamp="2025-03-05T10:15:00Z" sessionStatus="final">{"".join(variables)}'
        '<outcomeVariable identifier="SCORE" cardinality="single" baseType="float">'
        "<value>0</value></outcomeVariable></itemResult></assessmentResult>\n"
    ).encode()


XSD = Path(__file__).parent / "data" / "qti21-xsd"


def qti_schemas():
    """(items and tests, manifest, results) schemas, loaded without the network."""
    from lxml import etree

    class NoNet(etree.Resolver):
        def resolve(self, url, pubid, context):
            if url.startswith(("http:", "https:", "ftp:")):
                raise RuntimeError("network fetch attempted: " + url)
            return None

    def schema(rel: str):
        parser = etree.XMLParser(no_network=True)
        parser.resolvers.add(NoNet())
        return etree.XMLSchema(etree.parse(str(XSD / rel), parser))

    return (schema("qtiv2p1/imsqti_v2p1.xsd"), schema("imscp_v1p1.xsd"),
            schema("qtiv2p1/imsqti_result_v2p1.xsd"))  # fmt: skip


def validate(schema, data: bytes) -> str:
    """'' if `data` is valid, else the schema's first error."""
    from lxml import etree

    doc = etree.fromstring(data, etree.XMLParser(no_network=True)).getroottree()
    if schema.validate(doc):
        return ""
    return str(schema.error_log.last_error)
