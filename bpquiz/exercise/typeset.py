"""Writing formulas and steps: LaTeX and terminal text, and one presentation of a step.

`typeset(e, ts, exercise)` writes a formula with symbols; with a variant, with its numbers. `lines`
gives a step as every document and the terminal show it — the symbol, the chain rule and the
components written out, the formula, the numbers substituted and the result — in any
typesetter (`LaTeX`, `Text` here; the print documents' HTML in `bpquiz.documents.mathhtml`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache

from .expr import Expr
from .model import Exercise, StepDef, Variant
from .network import symbol


class Typesetter:
    minus = "-"
    times, cdot = "×", "·"

    def __init__(self, numeric: bool = False, decimal: str = ".", words=None):
        self.numeric = numeric  # numbers substituted: "×" between factors instead of "·"
        self.decimal = decimal  # the decimal sign of the document's language
        self.words = words or (lambda text: text)  # gettext, for the words inside formulas

    # The same typesetter for symbols and for numbers substituted (each other's twin, made once).
    @cached_property
    def symbolic(self) -> Typesetter:
        return self._twin() if self.numeric else self

    @cached_property
    def numbers(self) -> Typesetter:
        return self if self.numeric else self._twin()

    def _twin(self) -> Typesetter:
        twin = copy.copy(self)
        twin.__dict__.pop("symbolic", None)
        twin.__dict__.pop("numbers", None)
        twin.numeric = not self.numeric
        twin.__dict__["numbers" if self.numeric else "symbolic"] = self
        return twin

    def sign(self, op: str) -> str:
        return {"+": "+", "-": self.minus, "*": self.times if self.numeric else self.cdot}[op]

    def number(self, x: float, decimals: int | None = None) -> str:
        """A constant (`decimals` None: shortest form, 0.1 or 2) or a result at fixed decimals."""
        text = fixed(x, decimals) if decimals is not None else f"{x:g}"
        return text.replace("-", self.minus).replace(".", self.decimal)

    def var(self, base: str, sub: str) -> str:
        raise NotImplementedError

    def partial(self, of: str) -> str:
        raise NotImplementedError

    def name(self, fn: str) -> str:
        """A function's name, upright (tanh, ln, max)."""
        return fn

    def word(self, text: str) -> str:
        """A word inside a formula (if, else), upright, in the document's language."""
        return self.words(text)

    def join(self, op: str, left: str, right: str) -> str:
        return f"{left} {self.sign(op)} {right}"

    def frac(self, num: str, den: str) -> str:
        raise NotImplementedError

    def sup(self, base: str, power: str) -> str:
        raise NotImplementedError

    def paren(self, inner: str) -> str:
        return f"({inner})"


def fixed(x: float, decimals: int) -> str:
    """`x` with exactly `decimals` decimals, never "-0.000"."""
    text = f"{x:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


class LaTeX(Typesetter):
    times, cdot = r"\times", r"\cdot"

    def var(self, base, sub):
        if base == "eta":
            return r"\eta"
        body = base if len(base) == 1 else rf"\mathit{{{base}}}"
        return f"{body}_{{{sub}}}" if sub else body

    def partial(self, of):
        return rf"\partial {of}"

    def name(self, fn):
        return rf"\operatorname{{{fn}}}"

    def word(self, text):
        return rf"\text{{ {text} }}"

    def frac(self, num, den):
        return rf"\frac{{{num}}}{{{den}}}"

    def sup(self, base, power):
        return f"{base}^{{{power}}}"

    def paren(self, inner):
        return rf"\left({inner}\right)"


class Text(Typesetter):
    """Plain Unicode for terminals: out_h1 = 1/(1 + e^(−sum_h1))."""

    minus = "−"

    def var(self, base, sub):
        # Digit subscripts join as in the contract's names (w5, target1); others keep "_" (out_h1).
        joiner = "" if sub.isdigit() else "_"
        return {"eta": "η"}.get(base, base) + (f"{joiner}{sub}" if sub else "")

    def partial(self, of):
        return f"∂{of}"

    def frac(self, num, den):
        def simple(s: str) -> bool:
            return all(c not in s for c in " +−·×")

        return (
            f"{num if simple(num) else '(' + num + ')'}/{den if simple(den) else '(' + den + ')'}"
        )

    def sup(self, base, power):
        return f"{base}^{power}" if len(power) == 1 else f"{base}^({power})"


def symbol_of(exercise: Exercise, name: str) -> Expr:
    """How a given name or step id is written in formulas."""
    step = exercise.by_id.get(name)
    return step.symbol if step is not None else symbol(name)


def typeset(
    e: Expr,
    ts: Typesetter,
    exercise: Exercise,
    variant: Variant | None = None,
    decimals: int = 5,
    values: Mapping[str, float] | None = None,
) -> str:
    """`e` in the typesetter's language: with symbols, or with `variant`'s numbers substituted.

    Given values are written as given (0.1, not 0.10000); step values at `decimals` decimals,
    as a student carries them: `values` (default: the variant's own).
    """
    if variant is None:
        return e.show(ts, lambda name: typeset(symbol_of(exercise, name), ts, exercise))
    given = variant.given
    shown = variant.values if values is None else values

    def number(name: str) -> str:
        if name in given:
            return ts.number(given[name])
        return ts.number(shown[name], decimals)

    return e.show(ts, number)


@dataclass(frozen=True)
class StepLines:
    """One step as it is shown, each part typeset (no `=` signs: the reader adds them).

    - `symbol`: ∂E_total/∂w5;
    - `derivation`: the right-hand sides the worked solution writes before the numbers: the
      chain rule (if the step has one), then the components written out (or the formula);
    - `formula`: the step's own formula;
    - `numbers`, `result`: the formula with the variant's numbers, and the value (at the
      asked decimals); empty without a variant.
    """

    symbol: str
    derivation: tuple[str, ...]
    formula: str
    numbers: str = ""
    result: str = ""


def lines(
    step: StepDef,
    ts: Typesetter,
    exercise: Exercise,
    variant: Variant | None = None,
    decimals: int = 5,
    carried: Mapping[str, float] | None = None,
) -> StepLines:
    """A step as the solution, the feedback and `bpquiz solve` show it (see StepLines).

    The numbers are carried as a student carries them (`solve.carried`: each earlier result
    rounded to `decimals`), and the result is the shown arithmetic rounded, so that every line
    adds up with a calculator. Pass `carried` when showing many steps of one variant.
    """
    symbolic = _symbolic_lines(step, ts.symbolic, exercise)
    if variant is None:
        return symbolic
    if carried is None:
        from .solve import carried as carry

        carried = carry(variant, decimals)
    numeric = ts.numbers
    return StepLines(
        symbolic.symbol,
        symbolic.derivation,
        symbolic.formula,
        typeset(step.formula, numeric, exercise, variant, decimals, carried),
        numeric.number(carried[step.id], decimals),
    )


@lru_cache(maxsize=4096)
def _symbolic_lines(step: StepDef, ts: Typesetter, exercise: Exercise) -> StepLines:
    """The part of a step's lines that is the same for every variant: typeset once per process."""

    def show(e: Expr) -> str:
        return typeset(e, ts, exercise)

    formula = show(step.formula)
    derivation = [show(step.chain)] if step.chain is not None else []
    second = show(step.expanded) if step.expanded is not None else formula
    if second not in derivation:
        derivation.append(second)
    return StepLines(show(step.symbol), tuple(derivation), formula)


def phase_title(exercise: Exercise, phase: str, gettext=lambda text: text) -> str:
    """A phase's heading: "Forward pass", "Backward pass: output layer (w5–w8)", … (`gettext`
    translates the message, then the names are filled in)."""
    _ = gettext
    layer = {"output": "o", "hidden": "h"}.get(phase)
    if layer is None:
        return {"forward": _("Forward pass"), "error": _("Total error"),
                "after": _("Second forward pass, with the new weights")}[phase]  # fmt: skip
    weights = [w for w, (_src, dst) in exercise.weights.items() if dst.startswith(layer)]
    span = weights[0] if len(weights) == 1 else f"{weights[0]}–{weights[-1]}"
    if exercise.update_biases:
        biases = [b for b, units in exercise.biases_of.items() if units[0].startswith(layer)]
        span += ", " + (biases[0] if len(biases) == 1 else f"{biases[0]}–{biases[-1]}")
    title = (
        _("Backward pass: output layer ({span})")
        if layer == "o"
        else _("Backward pass: hidden layer ({span})")
    )
    return title.format(span=span)
