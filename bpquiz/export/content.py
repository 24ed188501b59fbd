"""What an LMS question says, as plain data: one variant's text, picture and parts (pure).

The Moodle and QTI writers lay out the same `Question`: the version code first (the LMS's own
reports show the question text, and `bpquiz grade` reads the code back from it), the title and
course, the network picture, the given values, the instructions, then one part per asked step
in the worksheet's order, numbered and labelled as on the worksheet. Text is plain Unicode (the
terminal's typesetting, `out_h1`, `∂E_total/∂w5`): an LMS has none of the print documents' CSS.

Numbers for the LMS are written with a decimal point and no exponent or thousands separator:
an English Moodle reads `0,5` as 5. An answer is the key's value with `EXTRA_DIGITS` more decimals
than asked, so that the LMS's window (answer ± tolerance) sits on the exact value: a truncated
answer, off by almost one unit, still passes, as it does in `bpquiz grade`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from ..constants import DEFAULT_DECIMALS, DEFAULT_TITLE
from ..errors import ExportError
from ..exercise.key import Key, Sheet
from ..exercise.model import Exercise
from ..exercise.network import symbol
from ..exercise.typeset import Text, fixed, lines, phase_title, typeset
from ..marking.grading import Policy

EXTRA_DIGITS = 4
TEXT = Text()


@dataclass(frozen=True)
class Part:
    """One answer box: the n-th asked step (Moodle's "part n")."""

    number: int
    step_id: str
    label: str  # "output of h1"
    symbol: str  # "out_h1", "∂E_total/∂w5"
    answer: str  # "0.5932699921": '.' only, no exponent
    tolerance: str  # "0.00001", absolute
    points: float


@dataclass(frozen=True)
class Question:
    version: str
    name: str  # "bpquiz K7F3Q9"
    heading: str  # "Backpropagation exercise · ML 101": the worksheet's title and course
    picture: str  # a standalone SVG
    given: tuple[tuple[str, str], ...]  # (symbol, value as written)
    instructions: tuple[str, ...]
    sections: tuple[tuple[str, tuple[Part, ...]], ...]  # (phase title, its parts)

    @property
    def parts(self) -> tuple[Part, ...]:
        return tuple(p for _, parts in self.sections for p in parts)

    @property
    def max_points(self) -> float:
        return sum(p.points for p in self.parts)


@dataclass(frozen=True)
class Options:
    """What an export asks for; `None`: the key's setting or the grader's default."""

    decimals: int | None = None
    tolerance: float | None = None
    policy: Policy = field(default_factory=Policy)
    lang: str = "en"


PICTURE_ALT = "The network, with this version's inputs, weights, biases and targets"


def plain_number(x: float) -> str:
    """A number as typed into an LMS option: decimal point, no exponent (5e-05 -> 0.00005)."""
    text = format(Decimal(repr(float(x))), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def decimals_of(key: Key, options: Options) -> int:
    return (
        options.decimals
        if options.decimals is not None
        else int(key.settings.get("decimals", DEFAULT_DECIMALS))
    )


def title_of(key: Key) -> str:
    return str(key.settings.get("title") or DEFAULT_TITLE)


def heading_of(key: Key) -> str:
    course = str(key.settings.get("course") or "")
    return title_of(key) + (f" · {course}" if course else "")


def check(key: Key, options: Options) -> None:
    """The options fit the key: a known language, points a step or phase of its exercise."""
    from ..documents import i18n

    if options.lang not in i18n.languages():
        raise ExportError(
            f"--lang: expected one of {', '.join(i18n.languages())}, got {options.lang!r}"
        )
    if options.tolerance is not None and not options.tolerance > 0:
        raise ExportError(f"--tolerance: expected a number > 0, got {options.tolerance}")
    if not key.sheets:
        raise ExportError("the key has no variants: nothing to export")
    options.policy.check(key.exercise)


def questions(key: Key, options: Options) -> Iterator[Question]:
    """One question per variant of the key, in the key's order."""
    from ..documents.views import network_svg  # the picture, drawn as on the worksheet

    check(key, options)
    exercise = key.exercise
    decimals = decimals_of(key, options)
    tolerance = plain_number(
        options.tolerance if options.tolerance is not None else 10.0**-decimals
    )
    points = options.policy.max_points(exercise)
    heading = heading_of(key)
    from ..documents import i18n

    _ = i18n.gettext_for(options.lang)
    # What every variant shares, typeset once: per phase the title, and per step its label.
    layout = [
        (phase_title(exercise, phase, _),
         [(d.id, d.label.translated(_), _symbol_text(exercise, d.id)) for d in steps])
        for phase, steps in exercise.by_phase
    ]  # fmt: skip
    for sheet in key.sheets:
        values = sheet.variant.values
        number = 0
        sections = []
        for title, steps in layout:
            parts = []
            for sid, label, shown in steps:
                number += 1
                answer = fixed(values[sid], decimals + EXTRA_DIGITS)
                parts.append(Part(number, sid, label, shown, answer, tolerance, points[sid]))
            sections.append((title, tuple(parts)))
        yield Question(
            sheet.version,
            f"bpquiz {sheet.version}",
            heading,
            network_svg(sheet),
            given_values(sheet, decimals),
            instructions(exercise, sheet, decimals, options.lang),
            tuple(sections),
        )


def _symbol_text(exercise: Exercise, step_id: str) -> str:
    return lines(exercise.by_id[step_id], TEXT, exercise).symbol


def given_values(sheet: Sheet, decimals: int) -> tuple[tuple[str, str], ...]:
    """The given values as the worksheet prints them, then the values of steps that are not
    asked but that an asked step reads (at the asked decimals)."""
    exercise = sheet.variant.exercise
    given = [
        (typeset(symbol(name), TEXT, exercise), plain_number(value))
        for name, value in sheet.variant.given.items()
    ]
    shown = [
        (_symbol_text(exercise, sid), fixed(sheet.variant.values[sid], decimals))
        for sid in exercise.shown_steps
    ]
    return tuple(given + shown)


def instructions(exercise: Exercise, sheet: Sheet, decimals: int, lang: str) -> tuple[str, ...]:
    """The worksheet's reminders (the same sentences, in words and plain formulas), the
    learning rate and the decimals."""
    from ..documents import i18n
    from ..documents.views import instructions as sentences

    _ = i18n.gettext_for(lang)
    # A decimal point in every language: the LMS's numeric boxes read one (lms-formats.md 1.3).
    eta = plain_number(sheet.variant.given["learning_rate"])
    example = "0." + "".join(str((k % 9) + 1) for k in range(decimals))
    answer = _("Give every answer with <b>%(decimals)s decimals</b> (e.g. %(example)s), and "
               "use your rounded answers in the later steps.") % {"decimals": decimals,
                                                                   "example": example}  # fmt: skip
    return (
        *sentences(exercise, lang, plain=True),
        f"{_('Learning rate:')} η = {eta}.",
        answer.replace("<b>", "").replace("</b>", ""),
    )
