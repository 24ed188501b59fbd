"""What the templates get: a worksheet's and a solution's context, from a sheet and its page.

Formulas are HTML strings from the `PrintMath` typesetter; the templates mark them safe with the
`math` filter. The parts that are the same for every student (the questions, the symbolic lines)
are computed once per process. Everything here is plain data, so that it can travel to a worker.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..constants import DEFAULT_DECIMALS, DEFAULT_TITLE
from ..exercise.expr import Frac, Partial, Var
from ..exercise.key import Sheet
from ..exercise.model import Exercise
from ..exercise.network import instruction_formulas, symbol
from ..exercise.typeset import lines, phase_title, typeset
from .mathhtml import PrintMath

SYMBOLS = PrintMath(numeric=False)
NUMBERS = SYMBOLS.numbers


@dataclass(frozen=True)
class Page:
    """What every document of a run prints besides the exercise: title, course, decimals."""

    title: str = DEFAULT_TITLE
    course: str = ""
    decimals: int = DEFAULT_DECIMALS


def formula(html: str) -> str:
    """A typeset symbolic fragment in its italic container."""
    return SYMBOLS.formula(html)


@functools.cache
def given_symbol(name: str) -> str:
    return formula(symbol(name).show(SYMBOLS, str))


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


def _table(
    rows: list[tuple[str, ...]], given: dict[str, float]
) -> list[list[tuple[str, str, str]]]:
    return [[(n, given_symbol(n), NUMBERS.number(given[n])) for n in row] for row in rows]


def common(sheet: Sheet, page: Page) -> dict[str, Any]:
    exercise = sheet.variant.exercise
    given = dict(sheet.variant.given)
    return {
        "title": page.title,
        "course": page.course,
        "version": sheet.version,
        "student_id": sheet.student_id,
        "name": sheet.name,
        "decimals": page.decimals,
        "net": {k: NUMBERS.number(v) for k, v in given.items()},
        "given_groups": _table(given_groups(exercise), given),
        "given_rows": _table(given_rows(exercise), given),
    }


@functools.cache
def question_phases(exercise: Exercise) -> tuple[dict[str, Any], ...]:
    """The worksheet's questions: the same for every student (no numbers in them)."""
    numbers = step_numbers(exercise)
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
                    "label": exercise.by_id[i].label,
                    "symbol": formula(lines(exercise.by_id[i], SYMBOLS, exercise).symbol),
                }
                for i in ids
            ]
            # A 6-column grid: two questions to a row take 3 columns each, three take 2.
            rows.append({"questions": questions, "span": 6 // len(ids)})
        phases.append({"title": phase_title(exercise, phase), "rows": rows})
    return tuple(phases)


@functools.cache
def instructions(exercise: Exercise) -> dict[str, str]:
    """The worksheet's reminders: weighted sum, activation, error, update rule (symbolic)."""
    w, eta, E = Var("w"), Var("eta"), Var("E", "total")

    def show(e) -> str:
        return typeset(e, SYMBOLS, exercise)

    def eq(left, right) -> str:
        return formula(f"{show(left)} = {show(right)}")

    shown = {name: eq(*pair) for name, pair in instruction_formulas(exercise).items()}
    return {
        "sum": formula(
            f'{show(Var("sum"))} = Σ {show(w)} · <span class="u">input</span> + {show(Var("b"))}'
        ),
        **shown,
        "update": eq(Var("w", "", "+"), w - eta * Frac(Partial(E), Partial(w))),
        "eta": formula(show(eta)),
    }


def worksheet_context(sheet: Sheet, page: Page) -> dict[str, Any]:
    """Everything worksheet.html.j2 shows: the given values and the questions, no step value."""
    exercise = sheet.variant.exercise
    return {
        **common(sheet, page),
        "formulas": instructions(exercise),
        "eta": NUMBERS.number(sheet.variant.given["learning_rate"]),
        "example_number": "0." + "".join(str((k % 9) + 1) for k in range(page.decimals)),
        "phases": question_phases(exercise),
    }


def solution_lines(exercise: Exercise, step_id: str) -> tuple[str, ...]:
    """The symbolic lines of a step's worked solution (the first one starts with its symbol)."""
    shown = lines(exercise.by_id[step_id], SYMBOLS, exercise)
    first, *rest = shown.derivation
    return (f"{shown.symbol} = {first}", *(f"= {right}" for right in rest))


def solution_context(sheet: Sheet, page: Page) -> dict[str, Any]:
    """Everything solution.html.j2 shows: per step the formula lines, numbers and result.

    A step's lines, as the article writes them: `symbol = chain rule` (if it has one), then
    `= components written out` (or `= formula`), then `= numbers substituted = result`.
    """
    variant, decimals = sheet.variant, page.decimals
    exercise = variant.exercise
    numbers = step_numbers(exercise)
    phases = []
    for phase, definitions in exercise.by_phase:
        steps = []
        for d in definitions:
            shown = lines(d, NUMBERS, exercise, variant, decimals)
            steps.append(
                {
                    "number": numbers[d.id],
                    "id": d.id,
                    "label": d.label,
                    "symbolic": solution_lines(exercise, d.id),
                    "numbers": f'= {shown.numbers} = <b class="result">{shown.result}</b>',
                }
            )
        phases.append({"title": phase_title(exercise, phase), "steps": steps})
    updated = [
        {
            "name": w,
            "symbol": given_symbol(w),
            "before": NUMBERS.number(variant.given[w]),
            "after": NUMBERS.number(variant.values[exercise.updates[w]], decimals),
        }
        for w in exercise.weights
    ]
    return {
        **common(sheet, page),
        "phases": phases,
        "updated": updated,
        "symbolic_class": SYMBOLS.css_class,
        "numeric_class": NUMBERS.css_class,
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


def network_svg(sheet: Sheet) -> str:
    """The worksheet's network picture with this sheet's numbers, as one standalone SVG.

    The worksheet draws it in two layers of the same size (the drawing every student shares,
    and the numbers); here the numbers' elements go into the drawing's <svg>, so that every
    renderer places them alike (nested <svg> elements are not).
    """
    import re

    template = _svg_template()
    net = {k: NUMBERS.number(v) for k, v in sheet.variant.given.items()}
    layers = [
        re.fullmatch(r"\s*(<svg\b[^>]*>)(.*)</svg>\s*", template.render(net=net, layer=layer), re.S)
        for layer in ("drawing", "numbers")
    ]
    head = layers[0].group(1).replace("<svg ", '<svg width="418" height="226" ', 1)
    return f"{head}{layers[0].group(2)}{layers[1].group(2)}</svg>\n"
