"""An exercise's full cycle as named steps, in the article's order: one builder for every option.

For the article's exercise (2-2-2, sigmoid, squared error, shared biases) this gives the 41 steps
of contract.md. Wiring and names come from `Exercise` (w1 i1→h1, w2 i1→h2, …, w5 h1→o1, …).

Each step's formula reads earlier steps by id, exactly as the article's worked example does
(∂E_total/∂w5 = 0.68492 × 0.19480 × 0.60108), so a student's own earlier answers can be fed
through it for error-carried-forward grading. An activation is a row of `ACTIVATIONS` (its
output as a formula of the weighted sum, its slope as one of the output and the sum); a loss is
a row of `LOSSES` (its error term and its gradient at the output).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce

from .expr import HALF, Expr, Frac, Partial, Ref, Var, exp, expand
from .model import Exercise, StepDef


@dataclass(frozen=True)
class Activation:
    """A unit's nonlinearity: `out(sum)` and its slope ∂out/∂sum written with (out, sum).

    `out` None: a linear unit, whose output is its weighted sum (no sum step, no slope step).
    """

    out: Callable[[Expr], Expr] | None
    slope: Callable[[Expr, Expr], Expr] | None
    name: str  # for labels: "sigmoid slope at h1"


ACTIVATIONS = {
    "sigmoid": Activation(lambda s: 1 / (1 + exp(-s)), lambda out, s: out * (1 - out), "sigmoid"),
    "linear": Activation(None, None, "linear"),
}


@dataclass(frozen=True)
class Loss:
    """An error term E_k of one output with target t, and its gradient ∂E_k/∂out."""

    term: Callable[[Expr, Expr], Expr]
    gradient: Callable[[Expr, Expr], Expr]


LOSSES = {
    "mse": Loss(lambda t, out: HALF * (t - out) ** 2, lambda t, out: out - t),
}


def d(of: Expr, wrt: Expr) -> Expr:
    """The display of ∂of/∂wrt."""
    return Frac(Partial(of), Partial(wrt))


def symbol(name: str) -> Expr:
    """How a given value is written in formulas: i_1, w_5, b_1, b_{h1}, target_1, η."""
    if name == "learning_rate":
        return Var("eta")
    if name.startswith("b_"):
        return Var("b", name[2:])
    base = name.rstrip("0123456789")
    return Var(base, name[len(base) :])


class _Builder:
    """Appends the steps of one exercise, phase by phase (see `build_steps`)."""

    def __init__(self, ex: Exercise):
        self.ex = ex
        self.steps: list[StepDef] = []
        self.hidden_act = ACTIVATIONS[ex.hidden]
        self.output_act = ACTIVATIONS[ex.output]
        self.loss = LOSSES[ex.loss]
        self.E_total = Var("E", "total")

    def add(self, id: str, phase: str, label: str, symbol_: Expr, formula: Expr, **more) -> None:
        self.steps.append(StepDef(id, phase, label, symbol_, formula, **more))

    def source_value(self, unit: str) -> Expr:
        """What a unit passes on: an input's value, or a unit's output."""
        return Ref(unit) if unit.startswith("i") else Ref(f"out_{unit}")

    def incoming(self, unit: str) -> list[tuple[str, str]]:
        """(weight, source unit) of every weight into `unit`, by source."""
        return [(w, src) for w, (src, dst) in self.ex.weights.items() if dst == unit]

    def outgoing(self, unit: str) -> list[tuple[str, str]]:
        """(weight, target unit) of every weight out of `unit`, by target."""
        return [(w, dst) for w, (src, dst) in self.ex.weights.items() if src == unit]

    # --- forward pass --------------------------------------------------------------------------

    def forward(self) -> None:
        for units, act in (
            (self.ex.hidden_units, self.hidden_act),
            (self.ex.output_units, self.output_act),
        ):
            for unit in units:
                terms = [self.source_value(src) * Ref(w) for w, src in self.incoming(unit)]
                weighted = total(terms) + Ref(self.ex.bias_of[unit])
                out = Var("out", unit)
                if act.out is None:
                    self.add(
                        f"out_{unit}", "forward", f"output of {unit}", out, weighted, group=unit
                    )
                    continue
                self.add(f"sum_{unit}", "forward", f"weighted sum into {unit}", Var("sum", unit),
                         weighted, group=unit)  # fmt: skip
                self.add(f"out_{unit}", "forward", f"output of {unit}", out,
                         act.out(Ref(f"sum_{unit}")), group=unit)  # fmt: skip

    # --- error ---------------------------------------------------------------------------------

    def error(self) -> None:
        pairs = list(zip(self.ex.targets, self.ex.output_units))
        if len(pairs) == 1:
            target, unit = pairs[0]
            self.add("E_total", "error", "total error", self.E_total,
                     self.loss.term(Ref(target), Ref(f"out_{unit}")), group="error")  # fmt: skip
            return
        for k, (target, unit) in enumerate(pairs, start=1):
            self.add(f"E{k}", "error", f"error at {unit}", Var("E", str(k)),
                     self.loss.term(Ref(target), Ref(f"out_{unit}")), group="error")  # fmt: skip
        self.add("E_total", "error", "total error", self.E_total,
                 total([Ref(f"E{k}") for k in range(1, len(pairs) + 1)]),
                 group="error")  # fmt: skip

    # --- backward pass: output layer ----------------------------------------------------------

    def net(self, unit: str) -> Expr:
        """The symbol of a unit's weighted sum: sum_h1, or out_h1 for a linear unit."""
        act = self.output_act if unit.startswith("o") else self.hidden_act
        return Var("out" if act.out is None else "sum", unit)

    def delta(self, unit: str, error: Expr) -> tuple[list[str], list[Expr]]:
        """∂error/∂(the unit's weighted sum) as the product of an output unit's chain-rule
        factors: their step ids and their display (∂E_total/∂out_o1 · ∂out_o1/∂sum_o1)."""
        out = Var("out", unit)
        if self.output_act.slope is None:
            return [f"dE_dout_{unit}"], [d(error, out)]
        return [f"dE_dout_{unit}", f"dout_{unit}_dsum_{unit}"], [
            d(error, out),
            d(out, self.net(unit)),
        ]

    def output_layer(self) -> None:
        for target, unit in zip(self.ex.targets, self.ex.output_units):
            out, s = Var("out", unit), Var("sum", unit)
            self.add(f"dE_dout_{unit}", "output", f"error gradient at the output of {unit}",
                     d(self.E_total, out), self.loss.gradient(Ref(target), Ref(f"out_{unit}")),
                     group=f"factors_{unit}", kind="component")  # fmt: skip
            if self.output_act.slope is not None:
                self.add(f"dout_{unit}_dsum_{unit}", "output",
                         f"{self.output_act.name} slope at {unit}", d(out, s),
                         self.output_act.slope(Ref(f"out_{unit}"), Ref(f"sum_{unit}")),
                         group=f"factors_{unit}", kind="component")  # fmt: skip
        for unit in self.ex.output_units:
            ids, chain = self.delta(unit, self.E_total)
            for w, src in self.incoming(unit):
                factors = [Ref(i) for i in ids] + [self.source_value(src)]
                self.add(f"dE_d{w}", "output", f"gradient of {w}", d(self.E_total, symbol(w)),
                         product(factors), chain=product([*chain, d(self.net(unit), symbol(w))]),
                         group=f"grad_{unit}")  # fmt: skip
        self.updates([w for u in self.ex.output_units for w, _ in self.incoming(u)], "output")

    def updates(self, weights: list[str], phase: str) -> None:
        for w in weights:
            group = f"new_{self.ex.weights[w][1 if phase == 'output' else 0]}"
            self.add(f"new_{w}", phase, f"updated {w}", Var("w", w[1:], "+"),
                     Ref(w) - Ref("learning_rate") * Ref(f"dE_d{w}"), group=group,
                     kind="update")  # fmt: skip

    # --- backward pass: hidden layer ----------------------------------------------------------

    def hidden_layer(self) -> None:
        act = self.hidden_act
        if act.slope is not None:
            for unit in self.ex.hidden_units:
                out, s = Var("out", unit), Var("sum", unit)
                self.add(f"dout_{unit}_dsum_{unit}", "hidden", f"{act.name} slope at {unit}",
                         d(out, s), act.slope(Ref(f"out_{unit}"), Ref(f"sum_{unit}")),
                         group="slopes", kind="component")  # fmt: skip
        # Through each output unit a path: the article's ∂E1/∂w1, ∂E2/∂w1, then their sum.
        several = len(self.ex.output_units) > 1
        for w, (src, unit) in self.ex.weights.items():
            if not src.startswith("i"):
                continue
            W = symbol(w)
            paths = []
            for k, (w_out, o) in enumerate(self.outgoing(unit), start=1):
                error = Var("E", str(k)) if several else self.E_total
                ids, chain = self.delta(o, error)
                factors = [*(Ref(i) for i in ids), Ref(w_out)]
                chain = [*chain, d(self.net(o), Var("out", unit))]
                if act.slope is not None:
                    factors.append(Ref(f"dout_{unit}_dsum_{unit}"))
                    chain.append(d(Var("out", unit), self.net(unit)))
                factors.append(self.source_value(src))
                chain.append(d(self.net(unit), W))
                paths.append((k, error, product(factors), product(chain)))
            if not several:
                _, _, formula, chain = paths[0]
                self.add(f"dE_d{w}", "hidden", f"gradient of {w}", d(self.E_total, W), formula,
                         chain=chain, group=f"grad_{w}")  # fmt: skip
                continue
            for k, error, formula, chain in paths:
                self.add(f"dE{k}_d{w}", "hidden", f"gradient of E{k} with respect to {w}",
                         d(error, W), formula, chain=chain, group=f"grad_{w}")  # fmt: skip
            self.add(f"dE_d{w}", "hidden", f"gradient of {w}", d(self.E_total, W),
                     total([Ref(f"dE{k}_d{w}") for k, *_ in paths]),
                     chain=total([d(error, W) for _, error, *_ in paths]),
                     group=f"grad_{w}")  # fmt: skip
        self.updates(
            [w for w, (src, _) in self.ex.weights.items() if src.startswith("i")], "hidden"
        )

    # --- the article's middle line ------------------------------------------------------------

    def expanded(self) -> list[StepDef]:
        """Each step that reads chain-rule factors also gets the form with their formulas
        written out, e.g. (out_o1 − target1) · out_o1 · (1 − out_o1) · out_h1."""
        components = {s.id: s.formula for s in self.steps if s.kind == "component"}
        return [
            s
            if s.kind == "component" or not (set(s.inputs) & components.keys())
            else StepDef(
                s.id,
                s.phase,
                s.label,
                s.symbol,
                s.formula,
                s.chain,
                expand(s.formula, components),
                s.group,
                s.kind,
            )  # fmt: skip
            for s in self.steps
        ]


def product(factors: list[Expr]) -> Expr:
    return reduce(lambda a, b: a * b, factors)


def total(terms: list[Expr]) -> Expr:
    return reduce(lambda a, b: a + b, terms)


_BUILT: dict[tuple, tuple[StepDef, ...]] = {}


def build_steps(exercise: Exercise) -> tuple[StepDef, ...]:
    """The exercise's steps: forward pass, error, output layer, hidden layer (see module doc).

    Built once per process for every exercise of the same network (what is asked does not
    change the steps), so that every cache keyed on a step serves them all.
    """
    key = exercise.network
    if key not in _BUILT:
        _BUILT[key] = _build(exercise)
    return _BUILT[key]


def _build(exercise: Exercise) -> tuple[StepDef, ...]:
    b = _Builder(exercise)
    b.forward()
    b.error()
    b.output_layer()
    b.hidden_layer()
    return tuple(b.expanded())


def instruction_formulas(exercise: Exercise) -> dict[str, tuple[Expr, Expr]]:
    """The rules the worksheet recalls, as (left, right) formulas of symbols: the units'
    activation and the error."""
    act = ACTIVATIONS[exercise.hidden]
    loss = LOSSES[exercise.loss]
    terms = [
        loss.term(symbol(t), Var("out", o)) for t, o in zip(exercise.targets, exercise.output_units)
    ]
    shown = {"error": (Var("E", "total"), total(terms))}
    if act.out is not None:
        shown["activation"] = (Var("out"), act.out(Var("sum")))
    return shown
