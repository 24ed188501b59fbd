"""What the templates get: the parts every document shares, and a worksheet's context.

Formulas are HTML strings from the `PrintMath` typesetter; the templates mark them safe with the
`math` filter. Everything is in the page's language (`i18n`): words through its catalog, numbers
with its decimal sign. What is the same for every student (the questions, the instructions, the
diagram's drawing) is computed once per process. Everything here is plain data, so that it can
travel to a worker.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..constants import DEFAULT_DECIMALS, DEFAULT_TITLE
from ..exercise.expr import Expr, Frac, Partial, Var
from ..exercise.functions import N_
from ..exercise.key import Sheet
from ..exercise.model import Exercise
from ..exercise.network import instruction_formulas, symbol
from ..exercise.typeset import Text, lines, phase_title, typeset
from . import diagram, i18n
from .mathhtml import PrintMath


@dataclass(frozen=True)
class Page:
    """What every document of a run prints besides the exercise: title, course, decimals, the
    language, and whether questions get room for working (paper exams)."""

    title: str = DEFAULT_TITLE
    course: str = ""
    decimals: int = DEFAULT_DECIMALS
    lang: str = "en"
    space: bool = False


N_("Backpropagation exercise")  # constants.DEFAULT_TITLE, for the catalogs: it is translated


@functools.cache
def math_for(lang: str) -> tuple[PrintMath, PrintMath]:
    """The language's typesetters: (symbols, numbers substituted)."""
    symbols = PrintMath(
        numeric=False, decimal=i18n.decimal_sign(lang), words=i18n.gettext_for(lang)
    )
    return symbols, symbols.numbers


def tr(lang: str) -> Callable[[str], str]:
    return i18n.gettext_for(lang)


def show(e: Expr, lang: str, exercise: Exercise) -> str:
    """A symbolic formula in its italic container."""
    symbols, _ = math_for(lang)
    return symbols.formula(typeset(e, symbols, exercise))


@functools.cache
def given_symbol(name: str, lang: str = "en") -> str:
    symbols, _ = math_for(lang)
    return symbols.formula(symbol(name).show(symbols, str))


def step_numbers(exercise: Exercise) -> dict[str, int]:
    """Each asked step's number on the sheet, from 1."""
    return {sid: k for k, sid in enumerate(exercise.asked_ids, start=1)}


def _chunks(names: list[str], size: int) -> list[tuple[str, ...]]:
    return [tuple(names[k : k + size]) for k in range(0, len(names), size)]


def given_groups(exercise: Exercise) -> list[tuple[str, ...]]:
    """The given values as a narrow table, two to a row: inputs, weights, biases, targets, η."""
    parts = (exercise.inputs, exercise.weights, exercise.biases_of, exercise.targets)
    return [row for part in parts for row in _chunks(list(part), 2)] + [("learning_rate",)]


def given_rows(exercise: Exercise) -> list[tuple[str, ...]]:
    """The given values as one wide table, four to a row."""
    return [
        *_chunks([*exercise.inputs, *exercise.biases_of], 4),
        *_chunks(list(exercise.weights), 4),
        *_chunks([*exercise.targets, "learning_rate"], 4),
    ]


def wide(exercise: Exercise) -> bool:
    """Too many given values to sit beside the diagram: the diagram gets the page's width."""
    return len(exercise.given_names) > 17


def common(sheet: Sheet, page: Page) -> dict[str, Any]:
    exercise = sheet.variant.exercise
    given = dict(sheet.variant.given)
    _, numbers = math_for(page.lang)
    shown = {k: numbers.number(v) for k, v in given.items()}

    def table(rows: list[tuple[str, ...]]) -> list[list[tuple[str, str, str]]]:
        return [[(n, given_symbol(n, page.lang), shown[n]) for n in row] for row in rows]

    _ = tr(page.lang)
    return {
        "lang": page.lang,
        "title": _(DEFAULT_TITLE) if page.title == DEFAULT_TITLE else page.title,
        "course": page.course,
        "version": sheet.version,
        "student_id": sheet.student_id,
        "name": sheet.name,
        "decimals": page.decimals,
        "diagram": drawing(exercise, page.lang),
        "diagram_numbers": diagram.numbers(exercise, shown),
        "wide": wide(exercise),
        "given_groups": table(given_groups(exercise)),
        "given_rows": table(given_rows(exercise)),
        "shown_steps": shown_steps(sheet, page),
    }


@functools.cache
def drawing(exercise: Exercise, lang: str) -> str:
    _ = tr(lang)
    return diagram.drawing(
        exercise, (_("input layer"), _("hidden layer"), _("output layer"), _("target"))
    )


def shown_steps(sheet: Sheet, page: Page) -> list[tuple[str, str, str]]:
    """The steps not asked that the sheet gives, because asked steps read them: (id, symbol,
    value at the asked decimals)."""
    exercise = sheet.variant.exercise
    _, numbers = math_for(page.lang)
    return [
        (sid, show(exercise.by_id[sid].symbol, page.lang, exercise),
         numbers.number(sheet.variant.values[sid], page.decimals))
        for sid in exercise.shown_steps
    ]  # fmt: skip


def network_svg(sheet: Sheet, lang: str = "en") -> str:
    """The diagram with the sheet's numbers as one standalone SVG (e.g. for an LMS question)."""
    exercise = sheet.variant.exercise
    _, numbers = math_for(lang)
    shown = {k: numbers.number(v) for k, v in sheet.variant.given.items()}
    _ = tr(lang)
    words = (_("input layer"), _("hidden layer"), _("output layer"), _("target"))
    return diagram.standalone(exercise, shown, words)


# --- the worksheet -------------------------------------------------------------------------------


@functools.cache
def question_phases(exercise: Exercise, lang: str) -> tuple[dict[str, Any], ...]:
    """The worksheet's questions: the same for every student (no numbers in them)."""
    numbers = step_numbers(exercise)
    symbols, _ = math_for(lang)
    phases = []
    for phase in exercise.phases:
        rows = []
        for row_phase, ids in exercise.question_rows:
            if row_phase != phase:
                continue
            questions = [
                {
                    "number": numbers[i],
                    "id": i,
                    "label": exercise.by_id[i].label.translated(tr(lang)),
                    "symbol": symbols.formula(lines(exercise.by_id[i], symbols, exercise).symbol),
                }
                for i in ids
            ]
            # A 6-column grid: two questions to a row take 3 columns each, three take 2.
            rows.append({"questions": questions, "span": 6 // len(ids)})
        phases.append({"title": phase_title(exercise, phase, tr(lang)), "rows": rows})
    return tuple(phases)


ACTIVATION_NAMES = {
    "sigmoid": N_("the sigmoid"),
    "tanh": N_("tanh"),
    "relu": N_("the ReLU"),
    "leaky_relu": N_("the leaky ReLU (slope 0.01 below 0)"),
}


# The instructions' sentences (gettext message ids), their formulas filled in where shown.
SAY = {
    "every": N_("Every unit applies {activation} to its weighted sum: {sum}, {out}."),
    "hidden": N_("The hidden units apply {activation} to their weighted sum: {sum}, {out}."),
    "hidden linear": N_("The hidden units are linear: their output is their weighted sum, {sum}."),
    "softmax": N_("The outputs are a softmax of their weighted sums: {out}, and so on."),
    "output": N_("The output units apply {activation}: {out}."),
    "output linear": N_("The output units are linear: their output is their weighted sum."),
    "error": N_("The error is {error}."),
    "update both": N_("Update each weight and each bias once, {rule} and {bias_rule}."),
    "update": N_("Update each weight once, {rule}; the biases stay as they are."),
    "again": N_(
        "Then run the forward pass again with the new values and give the new total error {after}."
    ),
    "computed": N_("Values that are not asked but that you need: work them out on the way."),
}


@functools.cache
def instructions(exercise: Exercise, lang: str, plain: bool = False) -> tuple[str, ...]:
    """The worksheet's reminders, each a sentence with its formulas: the weighted sum and the
    activations, the error, the update rule (weights, and biases if they are updated), the
    second pass. The learning rate and the decimals follow in the template. `plain`: text and
    plain formulas with a decimal point in every language (an LMS question, whose numeric
    boxes read a point), rather than the documents' HTML math."""
    _ = tr(lang)
    if plain:
        symbols = Text(words=_)
        wrap, word = (lambda html: html), _("input")
    else:
        symbols, wrap = math_for(lang)[0], math_for(lang)[0].formula
        word = f'<span class="u">{_("input")}</span>'

    def f(e: Expr) -> str:
        return typeset(e, symbols, exercise)

    def eq(left: Expr, right: Expr) -> str:
        return wrap(f"{f(left)} = {f(right)}")

    rule = instruction_formulas(exercise)
    weighted = wrap(f"{f(Var('sum'))} = Σ {f(Var('w'))} · {word} + {f(Var('b'))}")
    items = []
    hidden, output = exercise.hidden, exercise.output
    if hidden == output and hidden in ACTIVATION_NAMES:
        items.append(_(SAY["every"]).format(activation=_(ACTIVATION_NAMES[hidden]),
                                            sum=weighted, out=eq(*rule["hidden"])))  # fmt: skip
    else:
        if hidden in ACTIVATION_NAMES:
            act = _(ACTIVATION_NAMES[hidden])
            items.append(
                _(SAY["hidden"]).format(activation=act, sum=weighted, out=eq(*rule["hidden"]))
            )
        else:
            items.append(_(SAY["hidden linear"]).format(sum=weighted))
        if output == "softmax":
            items.append(_(SAY["softmax"]).format(out=eq(*rule["output"])))
        elif output in ACTIVATION_NAMES:
            items.append(_(SAY["output"]).format(
                activation=_(ACTIVATION_NAMES[output]), out=eq(*rule["output"])))  # fmt: skip
        else:
            items.append(_(SAY["output linear"]))
    items.append(_(SAY["error"]).format(error=eq(*rule["error"])))
    w, b, eta, E = Var("w"), Var("b"), Var("eta"), Var("E", "total")
    update_w = eq(Var("w", "", "+"), w - eta * Frac(Partial(E), Partial(w)))
    if exercise.update_biases:
        update_b = eq(Var("b", "", "+"), b - eta * Frac(Partial(E), Partial(b)))
        items.append(_(SAY["update both"]).format(rule=update_w, bias_rule=update_b))
    else:
        items.append(_(SAY["update"]).format(rule=update_w))
    if exercise.second_pass:
        items.append(_(SAY["again"]).format(after=wrap(f(Var("E", "total", "+")))))
    if exercise.unasked == "computed" and exercise.ask:
        items.append(_(SAY["computed"]))
    return tuple(items)


def worksheet_context(sheet: Sheet, page: Page) -> dict[str, Any]:
    """Everything worksheet.html.j2 shows: the given values and the questions, no step value."""
    exercise = sheet.variant.exercise
    symbols, numbers = math_for(page.lang)
    example = "0." + "".join(str((k % 9) + 1) for k in range(page.decimals))
    return {
        **common(sheet, page),
        "instructions": instructions(exercise, page.lang),
        "eta_symbol": symbols.formula(symbols.var("eta", "")),
        "eta": numbers.number(sheet.variant.given["learning_rate"]),
        "example_number": example.replace(".", i18n.decimal_sign(page.lang)),
        "phases": question_phases(exercise, page.lang),
        "space": page.space,
    }


# --- the network picture as one standalone SVG (for the LMS exports) ----------------------------


@functools.cache
def _svg_template() -> Any:
    # A Jinja environment of its own, configured as render.environment(): importing render would
    # import WeasyPrint (0.4 s), which an export does not need.
    import jinja2

    templates = Path(__file__).resolve().parent / "templates"
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates), autoescape=True,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )  # fmt: skip
    return env.get_template("network.svg.j2")
