"""An exercise's full cycle as named steps, in the article's order: one builder for every option.

For the article's exercise (2-2-2, sigmoid, squared error, shared biases) this gives the 41 steps
of contract.md. Wiring and names come from `Exercise` (w1 i1→h1, w2 i1→h2, …, w5 h1→o1, …).

Each step's formula reads earlier steps by id, exactly as the article's worked example does
(∂E_total/∂w5 = 0.68492 × 0.19480 × 0.60108), so a student's own earlier answers can be fed
through it for error-carried-forward grading. The units' activations and the losses are rows of
the tables in `units`. Softmax outputs with
cross-entropy are coupled: their chain-rule factor is ∂E_total/∂sum_o = out_o − target, and the
hidden layer goes through ∂E_total/∂out_h, as Mazur's article does.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import reduce

from .expr import Expr, Frac, Neg, Partial, Ref, Var, exp, expand
from .functions import N_
from .model import Exercise, Label, StepDef
from .units import ACTIVATIONS, LOSSES


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


def product(factors: list[Expr]) -> Expr:
    return reduce(lambda a, b: a * b, factors)


def total(terms: list[Expr]) -> Expr:
    return reduce(lambda a, b: a + b, terms)


# The forward steps' labels, in the first pass and in the second.
_BEFORE = {"sum": N_("weighted sum into {unit}"), "out": N_("output of {unit}"),
           "softmax": N_("softmax output of {unit}")}  # fmt: skip
_AFTER = {"sum": N_("weighted sum into {unit} with the new weights"),
          "out": N_("output of {unit} with the new weights"),
          "softmax": N_("softmax output of {unit} with the new weights")}  # fmt: skip


class _Builder:
    """Appends the steps of one exercise, phase by phase (see `build_steps`)."""

    def __init__(self, ex: Exercise):
        self.ex = ex
        self.steps: list[StepDef] = []
        self.acts = {"h": ACTIVATIONS[ex.hidden], "o": ACTIVATIONS.get(ex.output)}
        self.loss = LOSSES[ex.loss]
        self.coupled = ex.output == "softmax"  # with cross-entropy: ∂E/∂sum_o = out_o − t
        self.E_total = Var("E", "total")

    def add(self, id: str, phase: str, label: Label, symbol_: Expr, formula: Expr, **more) -> None:
        self.steps.append(StepDef(id, phase, label, symbol_, formula, **more))

    def value(self, unit: str, after: str = "") -> Expr:
        """What a unit passes on: an input's value, or a unit's output (in the second pass)."""
        return Ref(unit) if unit.startswith("i") else Ref(f"out_{unit}{after}")

    def incoming(self, unit: str) -> list[tuple[str, str]]:
        """(weight, source unit) of every weight into `unit`, by source."""
        return [(w, src) for w, (src, dst) in self.ex.weights.items() if dst == unit]

    def outgoing(self, unit: str) -> list[tuple[str, str]]:
        """(weight, target unit) of every weight out of `unit`, by target."""
        return [(w, dst) for w, (src, dst) in self.ex.weights.items() if src == unit]

    def linear(self, unit: str) -> bool:
        act = self.acts[unit[0]]  # None: softmax
        return act is not None and act.out is None

    def net(self, unit: str) -> Expr:
        """The symbol of a unit's weighted sum: sum_h1, or out_h1 for a linear unit."""
        return Var("out" if self.linear(unit) else "sum", unit)

    # --- forward pass --------------------------------------------------------------------------

    def layer(self, units: tuple[str, ...], phase: str, after: str = "") -> None:
        """Each unit's weighted sum and output; `after`: the second pass, with new parameters."""
        new = {p: f"new_{p}" for p in self.ex.parameters} if after else {}
        for unit in units:
            terms = [self.value(src, after) * Ref(new.get(w, w)) for w, src in self.incoming(unit)]
            bias = self.ex.bias_of[unit]
            weighted = total(terms) + Ref(new.get(bias, bias))
            sup = "+" if after else ""
            label = _AFTER if after else _BEFORE
            out_id, sum_id = f"out_{unit}{after}", f"sum_{unit}{after}"
            if self.linear(unit):
                self.add(out_id, phase, Label(label["out"], unit=unit),
                         Var("out", unit, sup),
                         weighted, group=f"{unit}{after}")  # fmt: skip
                continue
            self.add(sum_id, phase, Label(label["sum"], unit=unit),
                     Var("sum", unit, sup),
                     weighted, group=f"{unit}{after}" if not self.coupled or unit[0] == "h"
                     else f"sums{after}")  # fmt: skip
            if unit[0] == "o" and self.coupled:
                continue  # softmax needs every sum first
            self.add(out_id, phase, Label(label["out"], unit=unit),
                     Var("out", unit, sup),
                     self.acts[unit[0]].out(Ref(sum_id)), group=f"{unit}{after}")  # fmt: skip
        if units and units[0][0] == "o" and self.coupled:
            exps = [exp(Ref(f"sum_{u}{after}")) for u in units]
            for unit, e in zip(units, exps):
                self.add(f"out_{unit}{after}", phase,
                         Label(label["softmax"], unit=unit),
                         Var("out", unit, sup), Frac(e, total(exps)),
                         group=f"outs{after}")  # fmt: skip

    # --- error ---------------------------------------------------------------------------------

    def total_error(self, after: str = "", names=Ref) -> Expr:
        """E_total in one formula, of the outputs (`after`: of the second pass); with
        `names=symbol` in symbols, for the instructions."""
        out = Ref if names is Ref else (lambda name: Var("out", name[4:]))
        terms = total([
            self.loss.term(names(t), out(f"out_{o}{after}"))
            for t, o in zip(self.ex.targets, self.ex.output_units)
        ])  # fmt: skip
        return Neg(terms) if self.loss.negated else terms

    def error(self) -> None:
        pairs = list(zip(self.ex.targets, self.ex.output_units))
        if len(pairs) == 1 or self.loss.gradient is None:
            self.add("E_total", "error", Label("total error"), self.E_total, self.total_error(),
                     group="error")  # fmt: skip
            return
        for k, (target, unit) in enumerate(pairs, start=1):
            term = self.loss.term(Ref(target), Ref(f"out_{unit}"))
            self.add(f"E{k}", "error", Label("error at {unit}", unit=unit), Var("E", str(k)),
                     Neg(term) if self.loss.negated else term, group="error")  # fmt: skip
        self.add("E_total", "error", Label("total error"), self.E_total,
                 total([Ref(f"E{k}") for k in range(1, len(pairs) + 1)]),
                 group="error")  # fmt: skip

    # --- backward pass: output layer ----------------------------------------------------------

    def delta(self, unit: str, error: Expr) -> tuple[list[str], list[Expr]]:
        """∂error/∂(an output unit's weighted sum) as the product of its chain-rule factors:
        their step ids and their display (∂E_total/∂out_o1 · ∂out_o1/∂sum_o1)."""
        out = Var("out", unit)
        if self.coupled:
            return [f"dE_dsum_{unit}"], [d(error, Var("sum", unit))]
        if self.acts["o"].slope is None:
            return [f"dE_dout_{unit}"], [d(error, out)]
        return [f"dE_dout_{unit}", f"dout_{unit}_dsum_{unit}"], [
            d(error, out),
            d(out, self.net(unit)),
        ]

    def output_factors(self) -> None:
        act = self.acts["o"]
        for target, unit in zip(self.ex.targets, self.ex.output_units):
            out, s, group = Var("out", unit), Var("sum", unit), f"factors_{unit}"
            if self.coupled:
                self.add(f"dE_dsum_{unit}", "output",
                         Label("error gradient at the sum into {unit}", unit=unit),
                         d(self.E_total, s), Ref(f"out_{unit}") - Ref(target), group="factors",
                         kind="component")  # fmt: skip
                continue
            self.add(f"dE_dout_{unit}", "output",
                     Label("error gradient at the output of {unit}", unit=unit),
                     d(self.E_total, out), self.loss.gradient(Ref(target), Ref(f"out_{unit}")),
                     group=group, kind="component")  # fmt: skip
            if act.slope is not None:
                self.add(f"dout_{unit}_dsum_{unit}", "output", Label(act.slope_label, unit=unit),
                         d(out, s), act.slope(Ref(f"out_{unit}"), Ref(f"sum_{unit}")),
                         group=group, kind="component")  # fmt: skip

    def output_layer(self) -> None:
        self.output_factors()
        for unit in self.ex.output_units:
            ids, chain = self.delta(unit, self.E_total)
            for w, src in self.incoming(unit):
                factors = [Ref(i) for i in ids] + [self.value(src)]
                self.add(f"dE_d{w}", "output", Label("gradient of {p}", p=w),
                         d(self.E_total, symbol(w)),
                         product(factors), chain=product([*chain, d(self.net(unit), symbol(w))]),
                         group=f"grad_{unit}")  # fmt: skip
        outputs = self.ex.output_units
        biases = [b for b, units in self.ex.biases_of.items() if units[0] in outputs]
        if self.ex.update_biases:
            for b in biases:
                units = self.ex.biases_of[b]
                paths = [self.delta(u, self.E_total) for u in units]
                terms = [product([Ref(i) for i in ids]) for ids, _ in paths]
                self.bias_gradient(b, "output", terms, [product(c) for _, c in paths], units)
        self.updates([w for u in outputs for w, _ in self.incoming(u)], "output")
        self.updates(biases if self.ex.update_biases else [], "output")

    def bias_gradient(
        self, b: str, phase: str, terms: list[Expr], chains: list[Expr], units
    ) -> None:
        """∂E_total/∂b: the sum over the units it feeds of ∂E_total/∂sum · ∂sum/∂b (which is 1)."""
        chain = total([c * d(self.net(u), symbol(b)) for c, u in zip(chains, units)])
        self.add(f"dE_d{b}", phase, Label("gradient of {p}", p=b), d(self.E_total, symbol(b)),
                 total(terms),
                 chain=chain, group="grad_biases")  # fmt: skip

    def updates(self, parameters: list[str], phase: str) -> None:
        for p in parameters:
            if p in self.ex.weights:
                group = f"new_{self.ex.weights[p][1 if phase == 'output' else 0]}"
            else:
                group = "new_biases"
            base, sub = (p[0], p[1:]) if not p.startswith("b_") else ("b", p[2:])
            self.add(f"new_{p}", phase, Label("updated {p}", p=p), Var(base, sub, "+"),
                     Ref(p) - Ref("learning_rate") * Ref(f"dE_d{p}"), group=group,
                     kind="update")  # fmt: skip

    # --- backward pass: hidden layer ----------------------------------------------------------

    def hidden_paths(self, unit: str, error_of: Callable[[int], Expr]) -> list[tuple[Expr, Expr]]:
        """∂E/∂out_h of a hidden unit as its paths through the output units: (formula, display)
        of each, e.g. ∂E_total/∂out_o1 · ∂out_o1/∂sum_o1 · w5 (`error_of(k)`: the error term
        whose path goes through the k-th output)."""
        paths = []
        for k, (w_out, o) in enumerate(self.outgoing(unit), start=1):
            ids, chain = self.delta(o, error_of(k))
            paths.append((product([*(Ref(i) for i in ids), Ref(w_out)]),
                          product([*chain, d(self.net(o), Var("out", unit))])))  # fmt: skip
        return paths

    def hidden_layer(self) -> None:
        act = self.acts["h"]
        if act.slope is not None:
            for unit in self.ex.hidden_units:
                out, s = Var("out", unit), Var("sum", unit)
                self.add(f"dout_{unit}_dsum_{unit}", "hidden", Label(act.slope_label, unit=unit),
                         d(out, s), act.slope(Ref(f"out_{unit}"), Ref(f"sum_{unit}")),
                         group="slopes", kind="component")  # fmt: skip
        if self.coupled:  # softmax: one ∂E_total/∂out_h per hidden unit, then each weight
            for unit in self.ex.hidden_units:
                paths = self.hidden_paths(unit, lambda k: self.E_total)
                self.add(f"dE_dout_{unit}", "hidden",
                         Label("error gradient at the output of {unit}", unit=unit),
                         d(self.E_total, Var("out", unit)), total([f for f, _ in paths]),
                         chain=total([c for _, c in paths]), group="outs_h",
                         kind="component")  # fmt: skip
        several = len(self.ex.output_units) > 1 and not self.coupled
        for w, (src, unit) in self.ex.weights.items():
            if src.startswith("i"):
                self.hidden_weight(w, src, unit, several)
        if self.ex.update_biases:
            for b, units in self.ex.biases_of.items():
                if units[0].startswith("h"):
                    terms = [self.through(u) for u in units]
                    self.bias_gradient(
                        b, "hidden", [f for f, _ in terms], [c for _, c in terms], units
                    )
        hidden = [w for w, (src, _) in self.ex.weights.items() if src.startswith("i")]
        self.updates(hidden, "hidden")
        self.updates([b for b, u in self.ex.biases_of.items() if u[0].startswith("h")]
                     if self.ex.update_biases else [], "hidden")  # fmt: skip

    def slope_factor(self, unit: str) -> tuple[list[Expr], list[Expr]]:
        """The hidden unit's own factor ∂out_h/∂sum_h, if it has one: ([formula], [display])."""
        if self.acts["h"].slope is None:
            return [], []
        return [Ref(f"dout_{unit}_dsum_{unit}")], [d(Var("out", unit), self.net(unit))]

    def through(self, unit: str) -> tuple[Expr, Expr]:
        """∂E_total/∂sum_h of a hidden unit (formula, display): what a bias of it gets."""
        slope, shown = self.slope_factor(unit)
        if self.coupled:
            return product([Ref(f"dE_dout_{unit}"), *slope]), product(
                [d(self.E_total, Var("out", unit)), *shown]
            )
        paths = self.hidden_paths(unit, lambda k: self.E_total)
        inner = total([f for f, _ in paths])
        return product([inner, *slope]) if slope else inner, total([c for _, c in paths])

    def hidden_weight(self, w: str, src: str, unit: str, several: bool) -> None:
        W, slope, shown = symbol(w), *self.slope_factor(unit)
        tail = [*slope, self.value(src)], [*shown, d(self.net(unit), W)]
        if self.coupled:
            self.add(f"dE_d{w}", "hidden", Label("gradient of {p}", p=w), d(self.E_total, W),
                     product([Ref(f"dE_dout_{unit}"), *tail[0]]),
                     chain=product([d(self.E_total, Var("out", unit)), *tail[1]]),
                     group=f"grad_{w}")  # fmt: skip
            return
        # Through each output unit a path: the article's ∂E1/∂w1, ∂E2/∂w1, then their sum.
        errors = [Var("E", str(k)) if several else self.E_total for k in range(1, 5)]
        paths = self.hidden_paths(unit, lambda k: errors[k - 1])
        if not several:
            formula, chain = paths[0]
            self.add(f"dE_d{w}", "hidden", Label("gradient of {p}", p=w), d(self.E_total, W),
                     _chain(formula, tail[0]),
                     chain=_chain(chain, tail[1]), group=f"grad_{w}")  # fmt: skip
            return
        for k, (formula, chain) in enumerate(paths, start=1):
            self.add(f"dE{k}_d{w}", "hidden",
                     Label("gradient of E{k} with respect to {w}", k=str(k), w=w),
                     d(errors[k - 1], W), _chain(formula, tail[0]), chain=_chain(chain, tail[1]),
                     group=f"grad_{w}")  # fmt: skip
        self.add(f"dE_d{w}", "hidden", Label("gradient of {p}", p=w), d(self.E_total, W),
                 total([Ref(f"dE{k}_d{w}") for k in range(1, len(paths) + 1)]),
                 chain=total([d(errors[k], W) for k in range(len(paths))]),
                 group=f"grad_{w}")  # fmt: skip

    # --- the second forward pass ----------------------------------------------------------------

    def after(self) -> None:
        self.layer(self.ex.hidden_units, "after", "_after")
        self.layer(self.ex.output_units, "after", "_after")
        self.add("E_total_after", "after", Label("total error with the new weights"),
                 Var("E", "total", "+"), self.total_error("_after"),
                 group="error_after")  # fmt: skip

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


def _chain(head: Expr, tail: list[Expr]) -> Expr:
    """`head` times the factors of `tail`, left to right, as one flat product."""
    return product([head, *tail])


_BUILT: dict[tuple, tuple[StepDef, ...]] = {}


def build_steps(exercise: Exercise) -> tuple[StepDef, ...]:
    """The exercise's steps: forward pass, error, output layer, hidden layer (see module doc),
    and the second forward pass if asked for.

    Built once per process for every exercise of the same network (what is asked does not
    change the steps), so that every cache keyed on a step serves them all.
    """
    key = exercise.network
    if key not in _BUILT:
        _BUILT[key] = _build(exercise)
    return _BUILT[key]


def _build(exercise: Exercise) -> tuple[StepDef, ...]:
    b = _Builder(exercise)
    b.layer(exercise.hidden_units, "forward")
    b.layer(exercise.output_units, "forward")
    b.error()
    b.output_layer()
    b.hidden_layer()
    if exercise.second_pass:
        b.after()
    return tuple(b.expanded())


def instruction_formulas(exercise: Exercise) -> dict[str, tuple[Expr, Expr]]:
    """The rules the worksheet recalls, as (left, right) formulas of symbols: "error", and the
    "hidden" and "output" activations (none for a linear layer; softmax written for o1)."""
    b = _Builder(exercise)
    shown = {"error": (Var("E", "total"), b.total_error(names=symbol))}
    for layer, act in (("hidden", b.acts["h"]), ("output", b.acts["o"])):
        if act is not None and act.out is not None:
            shown[layer] = (Var("out"), act.out(Var("sum")))
    if b.coupled:
        exps = [exp(Var("sum", o)) for o in exercise.output_units]
        shown["output"] = (Var("out", exercise.output_units[0]), Frac(exps[0], total(exps)))
    return shown
