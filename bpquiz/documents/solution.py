"""The worked solution's context: each step in the article's format, and its teaching.

A step's lines, as the article writes them, in a table whose `=` signs line up:
`symbol = chain rule` (if it has one), `= the components written out` (or the formula), then
`= the numbers substituted = the result`, each number carried as a student carries it (so the
line adds up with a calculator). Above the first step that needs a new derivative, a note derives
it once, as the article does (Component 1: ∂E_total/∂out_o1 = out_o1 − target1 from the error
formula; σ′ = σ(1 − σ); ∂sum_o1/∂w5 = out_h1; ∂sum_o1/∂out_h1 = w5); each step says which earlier
steps it reuses ("from steps 12, 13 and 2").
"""

from __future__ import annotations

import functools
from typing import Any

from ..exercise.expr import Expr, Frac, Partial, Var
from ..exercise.key import Sheet
from ..exercise.model import Exercise, StepDef
from ..exercise.solve import carried
from ..exercise.typeset import lines, phase_title
from .views import Page, common, math_for, show, step_numbers, tr


def d(of: Expr, wrt: Expr) -> Expr:
    return Frac(Partial(of), Partial(wrt))


def _notes(exercise: Exercise, lang: str) -> dict[str, str]:
    """Step id -> the note shown above it: each new derivative, derived where first needed."""
    _ = tr(lang)

    def f(e: Expr) -> str:
        return show(e, lang, exercise)

    notes: dict[str, str] = {}
    first = {}
    for s in exercise.steps:
        first.setdefault(_kind(exercise, s), s)
    E = Var("E", "total")
    o1 = exercise.output_units[0]
    out_o, sum_o = Var("out", o1), Var("sum", o1)
    factors = [st for st in exercise.steps if st.phase == "output" and st.kind == "component"]
    for kind, step in first.items():
        text = ""
        if kind == "chain-output":
            w = step.id[4:]
            src = exercise.weights[w][0]
            W = Var("w", w[1:])
            parts = [d(E, out_o), d(out_o, sum_o), d(sum_o, W)]
            if exercise.output == "softmax":
                parts = [d(E, sum_o), d(sum_o, W)]
            elif exercise.output == "linear":
                parts = [d(E, out_o), d(out_o, W)]
            rule = f(d(E, W)) + " = " + " · ".join(f(p) for p in parts)
            chain = _("The chain rule: {rule}. The last component: {unit}'s weighted sum adds "
                      "{source} · {weight}, so {last} = {source}.").format(
                rule=rule, unit=o1, source=f(Var("out", src)), weight=f(W),
                last=f(parts[-1]))  # fmt: skip
            # Said where the output layer begins, before its first component.
            notes[factors[0].id if factors else step.id] = chain + (
                " " + notes[factors[0].id] if factors and factors[0].id in notes else ""
            )
            continue
        if kind == "dE_dout":
            text = {
                "mse": _(
                    "Component 1, from the error: only ½(target − out)² of this output "
                    "depends on its out, and its derivative is 2 · ½ (target − out) · (−1), "
                    "so ∂E_total/∂out = out − target."
                ),
                "bce": _(
                    "Component 1, from the error −(target · ln(out) + (1 − target) · "
                    "ln(1 − out)): its derivative is −target/out + (1 − target)/(1 − out) "
                    "= (out − target)/(out · (1 − out))."
                ),
            }[exercise.loss]
        elif kind == "dE_dsum":
            text = _(
                "With softmax outputs and cross-entropy the first two components combine: "
                "the softmax's derivative cancels the logarithm's, and ∂E_total/∂sum = "
                "out − target, for every output."
            )
        elif kind.startswith("slope-"):
            text = (_("Component 2: ") if step.phase == "output" else "") + {
                "sigmoid": _(
                    "The sigmoid's derivative is σ′(x) = σ(x) · (1 − σ(x)): "
                    "∂out/∂sum = out · (1 − out)."
                ),
                "tanh": _("tanh′(x) = 1 − tanh²(x): ∂out/∂sum = 1 − out²."),
                "relu": _(
                    "The ReLU's derivative is 1 where its sum is positive, and 0 below: "
                    "∂out/∂sum is 1 or 0."
                ),
                "leaky_relu": _(
                    "The leaky ReLU's derivative is 1 where its sum is positive, and 0.01 below."
                ),
            }[kind[6:]]
        elif kind == "through-hidden":
            h = exercise.hidden_units[0]
            w_out = next(w for w, (s, _d) in exercise.weights.items() if s == h)
            text = _("The error reaches a hidden unit through each output: {part} = {weight}, the "
                     "weight from {unit} to {output}; the output's components are already "
                     "computed, in the steps named.").format(
                part=f(d(Var("sum", exercise.weights[w_out][1]), Var("out", h))),
                weight=f(Var("w", w_out[1:])), unit=h,
                output=exercise.weights[w_out][1])  # fmt: skip
        elif kind == "bias":
            text = _(
                "A weighted sum changes one to one with its bias, ∂sum/∂b = 1: a bias's "
                "gradient is ∂E_total/∂sum of its unit (summed over its units, if it is "
                "shared)."
            )
        elif kind == "update":
            text = _("Gradient descent: each new value is the old one minus η times its gradient.")
        elif kind == "after":
            text = _("The forward pass again, with the new values: the total error should fall.")
        if text:
            notes[step.id] = notes[step.id] + " " + text if step.id in notes else text
    return notes


def _kind(exercise: Exercise, step: StepDef) -> str:
    """What a step needs to be explained: the derivative it introduces, or ""."""
    if step.kind == "component":
        if step.id.startswith("dE_dsum"):
            return "dE_dsum"
        if step.id.startswith("dE_dout_o"):
            return "dE_dout"
        if step.id.startswith("dE_dout_h"):
            return "through-hidden"
        act = exercise.output if step.phase == "output" else exercise.hidden
        return f"slope-{act}"
    if step.kind == "update":
        return "update"
    if step.phase == "after":
        return "after"
    if step.id.startswith("dE_db"):
        return "bias"
    if step.phase == "output" and step.id.startswith("dE_dw"):
        return "chain-output"
    if step.phase == "hidden" and step.id.startswith(("dE1_", "dE_dw")):
        return "through-hidden"
    return step.id


@functools.cache
def _shared(exercise: Exercise, lang: str) -> dict[str, Any]:
    """What every student's solution shows the same: lines, notes, reuse pointers (per step)."""
    symbols, _numbers = math_for(lang)
    _ = tr(lang)
    numbers = step_numbers(exercise)
    notes = _notes(exercise, lang)
    out = {}
    for step in exercise.asked:
        shown = lines(step, symbols, exercise)
        rows = [(shown.symbol, right) for right in shown.derivation[:1]]
        rows += [("", right) for right in shown.derivation[1:]]
        reused = [numbers[i] for i in step.inputs if i in numbers]
        uses = ""
        if reused:
            listed = ", ".join(map(str, reused[:-1])) + (
                " " + _("and") + " " if len(reused) > 1 else ""
            )
            uses = (_("from step {steps}") if len(reused) == 1 else _("from steps {steps}")).format(
                steps=listed + str(reused[-1])
            )
        out[step.id] = {"rows": rows, "note": notes.get(step.id, ""), "uses": uses,
                        "label": step.label.translated(_)}  # fmt: skip
    return out


def parameter_rows(exercise: Exercise, decimals: int) -> list[list[str]]:
    """The updated parameters in rows short enough for the page (8 a row, 6 beyond 6 decimals),
    the rows as even as they can be: 8 at 8 decimals is 4 + 4, not 6 + 2."""
    names = [p for p in exercise.parameters if p in exercise.updates]
    widest = 8 if decimals <= 6 else 6
    count = -(-len(names) // widest)
    size = -(-len(names) // max(count, 1))
    return [names[k : k + size] for k in range(0, len(names), size)]


def solution_context(sheet: Sheet, page: Page) -> dict[str, Any]:
    """Everything solution.html.j2 shows: per step the formula lines, numbers and result."""
    variant, decimals = sheet.variant, page.decimals
    exercise = variant.exercise
    symbols, numbers = math_for(page.lang)
    shared = _shared(exercise, page.lang)
    kept = carried(variant, decimals)
    step_no = step_numbers(exercise)
    phases = []
    for phase, definitions in exercise.by_phase:
        steps = []
        for d_ in definitions:
            shown = lines(d_, numbers, exercise, variant, decimals, kept)
            steps.append({
                "number": step_no[d_.id], "id": d_.id, **shared[d_.id],
                "numbers": f'= {shown.numbers} = <b class="result">{shown.result}</b>',
            })  # fmt: skip
        phases.append({"title": phase_title(exercise, phase, tr(page.lang)), "steps": steps})
    given = variant.given
    updated = [
        [
            {
                "name": p,
                "symbol": show(Var(*_split(p)), page.lang, exercise),
                "before": numbers.number(given[p]),
                "after": numbers.number(kept[exercise.updates[p]], decimals),
            }  # fmt: skip
            for p in row
        ]
        for row in parameter_rows(exercise, decimals)
    ]
    return {
        **common(sheet, page),
        "phases": phases,
        "updated": updated,
        "symbolic_class": symbols.css_class,
        "numeric_class": numbers.css_class,
    }


def _split(name: str) -> tuple[str, str]:
    if name.startswith("b_"):
        return "b", name[2:]
    base = name.rstrip("0123456789")
    return base, name[len(base) :]
