"""Moodle XML: one cloze (multianswer) question per variant, all in one category (pure: text out).

The syntax and every rule below are Moodle's own, as lms-formats.md §1 gives them with their
sources in Moodle's code (`question/format/xml/format.php`, `question/type/multianswer/`):

- the root is `<quiz>`; a `<question type="category">` first puts every variant in one category
  (a `/` in a category name is written `//`); a quiz then draws "a random question" from it;
- a variant is `<question type="cloze">` named `bpquiz CODE`, idnumber CODE; its text (HTML,
  in CDATA, `]]>` split as `]]]]><![CDATA[>`) starts with `<p>Version CODE</p>`, which the
  quiz's Responses report shows in its "Question N" column; the picture travels with it as
  `<file name=... path="/" encoding="base64">` inside `<questiontext>`, shown by
  `<img src="@@PLUGINFILE@@/network.svg">`;
- each asked step is a part `{W:NUMERICAL:=ANSWER:TOLERANCE~...}`: W an integer weight (a
  weight such as 1.5 leaves the part as literal text), ANSWER and TOLERANCE plain numbers with a
  decimal point (Moodle converts a comma with the importing user's separators: `0,5` becomes 5
  in English), the tolerance absolute (accepted: ANSWER − TOLERANCE ≤ x ≤ ANSWER + TOLERANCE);
- Moodle sizes a box by its longest alternative, which would tell a student how long the answer
  is: every part carries the same 0 % alternative `WIDTH_PAD`, longer than any answer, so every
  box is as wide as every other (Moodle adds up to 15 % at random);
- feedback after `#` runs to the first `~` or `}` not after `\\`, then is entity-decoded and
  `\\}`, `\\#` unescaped: `feedback_text` writes any text so that it arrives as written;
- free text in the question (the title, the labels) has `{` and `}` as entities, so that no
  title can open a part.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Iterable, Sequence
from fractions import Fraction

from ..errors import ExportError
from ..exercise.key import Key
from .content import PICTURE_ALT, Question

CATEGORY_ROOT = "$course$/top/bpquiz"
PENALTY = "0.3333333"  # Moodle's default (question/format.php:775)
PICTURE = "network.svg"
# 20 characters: 14 significant digits, the most PHP prints of a float, so Moodle stores it as
# written; a value no student types, and worth 0 % if one did.
WIDTH_PAD = "-9.9999999999999e-99"
FEEDBACK = "Not within ±{tolerance}; bpquiz regrades every step with error carried forward."


# --- escaping ------------------------------------------------------------------------------------


def xml_text(text: str) -> str:
    """Text in an XML element outside CDATA: `& < >` escaped, as Moodle's own export does."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cdata(text: str) -> str:
    """A CDATA section holding `text`; a `]]>` inside is split across two sections."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def html_text(text: str) -> str:
    """Plain text as HTML in a question text; `{ }` as entities, so that no text opens a part."""
    return html.escape(text).replace("{", "&#123;").replace("}", "&#125;")


_FEEDBACK = str.maketrans({
    # `& < >` twice escaped: Moodle entity-decodes the feedback once, the browser shows the rest.
    "&": "&amp;amp;", "<": "&amp;lt;", ">": "&amp;gt;",
    # Characters that end or open a part, or a backslash that would escape the next one:
    # entities (decoded after the part is cut out), or the backslash escapes Moodle undoes.
    "\\": "&#92;", "~": "&#126;", "{": "&#123;", "}": "\\}", "#": "\\#",
})  # fmt: skip


def feedback_text(text: str) -> str:
    """Plain text as a part's feedback (after `#`), arriving in the feedback as written."""
    return text.translate(_FEEDBACK)


def category_name(name: str) -> str:
    """One level of a category path: a `/` in it is written `//`."""
    return name.strip().replace("/", "//")


def default_category(key: Key) -> str:
    """`$course$/top/bpquiz/<course title, seed S>`: one category per run."""
    settings = key.settings
    label = (
        " ".join(str(part) for part in (settings.get("course"), settings.get("title")) if part)
        or "bpquiz"
    )
    if settings.get("seed") is not None:
        label += f", seed {settings['seed']}"
    return f"{CATEGORY_ROOT}/{category_name(label)}"


# --- weights -------------------------------------------------------------------------------------


def weights(points: Sequence[float]) -> tuple[int, ...]:
    """Points per part as Moodle's whole-number weights, in the same proportions.

    Whole points are kept as they are; halves, thirds, … are scaled by the least common
    denominator (0.5 and 1 become 1 and 2). A weight of 0 is refused: Moodle reads an empty or
    zero weight as 1.
    """
    fractions = []
    for p in points:
        f = Fraction(p).limit_denominator(1000)
        if p <= 0 or abs(float(f) - p) > 1e-9 * max(1.0, p):
            raise ExportError(
                f"--points: {p:g} cannot be a Moodle weight (weights are whole numbers ≥ 1, "
                "scaled from points that are multiples of 1/1000 and above 0)"
            )
        fractions.append(f)
    scale = math.lcm(*(f.denominator for f in fractions))
    return tuple(int(f * scale) for f in fractions)


# --- the XML -------------------------------------------------------------------------------------


def subquestion(answer: str, tolerance: str, weight: int) -> str:
    """One NUMERICAL part: the answer at 100 %, the width pad, and feedback for anything else."""
    feedback = feedback_text(FEEDBACK.format(tolerance=tolerance))
    return f"{{{weight}:NUMERICAL:={answer}:{tolerance}~%0%{WIDTH_PAD}:0~%0%*#{feedback}}}"


def question_text(q: Question, part_weights: Sequence[int]) -> str:
    """The question's HTML: version, picture, given values, instructions, then the parts."""
    given = ", ".join(f"{html_text(name)} = {html_text(value)}" for name, value in q.given)
    out = [
        f"<p>Version {html_text(q.version)}</p>",
        f"<p><b>{html_text(q.heading)}</b></p>",
        f'<p><img src="@@PLUGINFILE@@/{PICTURE}" alt="{html_text(PICTURE_ALT)}" '
        'width="418" height="226"></p>',
        f"<p><b>Given values:</b> {given}</p>",
        "<ul>" + "".join(f"<li>{html_text(line)}</li>" for line in q.instructions) + "</ul>",
    ]
    weight = iter(part_weights)
    for title, parts in q.sections:
        out.append(f"<h4>{html_text(title)}</h4>")
        for p in parts:
            box = subquestion(p.answer, p.tolerance, next(weight))
            out.append(
                f"<p><b>{p.number}.</b> {html_text(p.label)}: {html_text(p.symbol)} = {box}</p>"
            )
    return "\n".join(out)


def question_xml(q: Question, part_weights: Sequence[int]) -> str:
    picture = base64.b64encode(q.picture.encode()).decode()
    return f"""  <question type="cloze">
    <name><text>{xml_text(q.name)}</text></name>
    <questiontext format="html">
      <text>{cdata(question_text(q, part_weights))}</text>
      <file name="{PICTURE}" path="/" encoding="base64">{picture}</file>
    </questiontext>
    <generalfeedback format="html"><text></text></generalfeedback>
    <penalty>{PENALTY}</penalty>
    <hidden>0</hidden>
    <idnumber>{xml_text(q.version)}</idnumber>
  </question>
"""


def moodle_xml(questions: Iterable[Question], category: str) -> str:
    """The whole file: the category, then one cloze question per variant."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n',
        f"""  <question type="category">
    <category><text>{xml_text(category)}</text></category>
    <info format="html"><text>{
            cdata("<p>bpquiz variants: add one random question from this category to the quiz.</p>")
        }</text></info>
    <idnumber></idnumber>
  </question>
""",
    ]
    part_weights: tuple[int, ...] | None = None
    for q in questions:
        if part_weights is None:  # the same exercise for every variant: the same weights
            part_weights = weights([p.points for p in q.parts])
        out.append(question_xml(q, part_weights))
    out.append("</quiz>\n")
    return "".join(out)
