"""The 2-2-2 sigmoid network's full cycle as 41 named steps, in the article's order.

Wiring (contract.md): w1 i1→h1, w2 i1→h2, w3 i2→h1, w4 i2→h2, w5 h1→o1, w6 h2→o1, w7 h1→o2,
w8 h2→o2; bias b1 shared by h1 and h2, b2 by o1 and o2. E_total = ½(target1 − out_o1)² +
½(target2 − out_o2)², new_w = w − η·∂E_total/∂w. Biases are not updated (as in the article).

Each step's formula reads earlier steps by id, exactly as the article's worked example does
(∂E_total/∂w5 = 0.68492 × 0.19480 × 0.60108), so a student's own earlier answers can be fed
through it for error-carried-forward grading.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace

from .expr import HALF, Expr, Frac, Partial, Ref, Typesetter, Var, sigmoid, sigmoid_prime
from .model import GIVEN_NAMES, Given, Step, StepDef, Variant

R = {name: Ref(name) for name in GIVEN_NAMES}

# How each given name is written in formulas: i_1, w_5, b_1, target_1, η.
GIVEN_SYMBOLS: dict[str, Expr] = {
    **{f"i{k}": Var("i", str(k)) for k in (1, 2)},
    **{f"w{k}": Var("w", str(k)) for k in range(1, 9)},
    **{f"b{k}": Var("b", str(k)) for k in (1, 2)},
    **{f"target{k}": Var("target", str(k)) for k in (1, 2)},
    "learning_rate": Var("eta"),
}

# Which weights feed which unit: (unit, [(weight, source)...], bias).
HIDDEN = {"h1": (("w1", "i1"), ("w3", "i2")), "h2": (("w2", "i1"), ("w4", "i2"))}
OUTPUT = {"o1": (("w5", "h1"), ("w6", "h2")), "o2": (("w7", "h1"), ("w8", "h2"))}
TARGET = {"o1": "target1", "o2": "target2"}


def d(of: Expr, wrt: Expr) -> Expr:
    """The display of ∂of/∂wrt."""
    return Frac(Partial(of), Partial(wrt))


def _steps() -> list[StepDef]:
    steps: list[StepDef] = []
    ref = Ref

    def add(id: str, phase: str, label: str, symbol: Expr, formula: Expr, **display) -> None:
        steps.append(StepDef(id, phase, label, symbol, formula, **display))

    # Forward pass: weighted sum, then sigmoid, for each unit.
    for layer, bias, source_out in ((HIDDEN, "b1", R), (OUTPUT, "b2", None)):
        for unit, wiring in layer.items():
            (wa, sa), (wb, sb) = wiring
            src = (lambda s: R[s]) if source_out is R else (lambda s: ref(f"out_{s}"))
            total = src(sa) * R[wa] + src(sb) * R[wb] + R[bias]
            add(f"sum_{unit}", "forward", f"weighted sum into {unit}", Var("sum", unit), total)
            add(f"out_{unit}", "forward", f"output of {unit}", Var("out", unit),
                sigmoid(ref(f"sum_{unit}")))  # fmt: skip

    # Error.
    for k, unit in ((1, "o1"), (2, "o2")):
        add(f"E{k}", "error", f"error at {unit}", Var("E", str(k)),
            HALF * (R[TARGET[unit]] - ref(f"out_{unit}")) ** 2)  # fmt: skip
    add("E_total", "error", "total error", Var("E", "total"), ref("E1") + ref("E2"))

    # Output layer: the two chain-rule components of each output unit, then its weights.
    E_total = Var("E", "total")
    for unit in OUTPUT:
        out, s = Var("out", unit), Var("sum", unit)
        add(f"dE_dout_{unit}", "output", f"error gradient at the output of {unit}", d(E_total, out),
            ref(f"out_{unit}") - R[TARGET[unit]])  # fmt: skip
        add(f"dout_{unit}_dsum_{unit}", "output", f"sigmoid slope at {unit}", d(out, s),
            sigmoid_prime(ref(f"out_{unit}")))  # fmt: skip
    components = {s.id: s.formula for s in steps if s.id.startswith(("dE_dout", "dout"))}
    for unit, wiring in OUTPUT.items():
        for w, source in wiring:
            out, s = Var("out", unit), Var("sum", unit)
            add(f"dE_d{w}", "output", f"gradient of {w}", d(E_total, GIVEN_SYMBOLS[w]),
                ref(f"dE_dout_{unit}") * ref(f"dout_{unit}_dsum_{unit}") * ref(f"out_{source}"),
                chain=d(E_total, out) * d(out, s) * d(s, GIVEN_SYMBOLS[w]))  # fmt: skip
    for unit, wiring in OUTPUT.items():
        for w, _ in wiring:
            add(f"new_{w}", "output", f"updated {w}", Var("w", w[1:], "+"),
                R[w] - R["learning_rate"] * ref(f"dE_d{w}"))  # fmt: skip

    # Hidden layer: each weight's gradient through o1 (E1) and through o2 (E2), then the sum.
    for unit in HIDDEN:
        out, s = Var("out", unit), Var("sum", unit)
        add(f"dout_{unit}_dsum_{unit}", "hidden", f"sigmoid slope at {unit}", d(out, s),
            sigmoid_prime(ref(f"out_{unit}")))  # fmt: skip
        components[f"dout_{unit}_dsum_{unit}"] = steps[-1].formula
    hidden_weights = sorted(
        (w, unit, source) for unit, wiring in HIDDEN.items() for w, source in wiring
    )
    for w, unit, source in hidden_weights:
        W = GIVEN_SYMBOLS[w]
        out_h, sum_h = Var("out", unit), Var("sum", unit)
        for k, o in ((1, "o1"), (2, "o2")):
            # The output weight from this hidden unit to o: ∂sum_o/∂out_h.
            w_out = next(wo for wo, src in OUTPUT[o] if src == unit)
            E, out_o, sum_o = Var("E", str(k)), Var("out", o), Var("sum", o)
            formula = (ref(f"dE_dout_{o}") * ref(f"dout_{o}_dsum_{o}") * R[w_out]
                       * ref(f"dout_{unit}_dsum_{unit}") * R[source])  # fmt: skip
            add(f"dE{k}_d{w}", "hidden", f"gradient of E{k} with respect to {w}", d(E, W), formula,
                chain=d(E, out_o) * d(out_o, sum_o) * d(sum_o, out_h) * d(out_h, sum_h)
                * d(sum_h, W))  # fmt: skip
        add(f"dE_d{w}", "hidden", f"gradient of {w}", d(E_total, W),
            ref(f"dE1_d{w}") + ref(f"dE2_d{w}"), chain=d(Var("E", "1"), W) + d(Var("E", "2"), W))
    for w in ("w1", "w2", "w3", "w4"):
        add(f"new_{w}", "hidden", f"updated {w}", Var("w", w[1:], "+"),
            R[w] - R["learning_rate"] * ref(f"dE_d{w}"))  # fmt: skip

    # The article's middle line: chain-rule components written out, e.g. (out_o1 − target1)·…
    return [
        s if not (set(s.inputs) & components.keys()) or s.id in components
        else StepDef(s.id, s.phase, s.label, s.symbol, s.formula, s.chain,
                     expand(s.formula, components))  # fmt: skip
        for s in steps
    ]


def expand(e: Expr, formulas: Mapping[str, Expr]) -> Expr:
    """`e` with each Ref to a name in `formulas` replaced by that formula (one level)."""
    if isinstance(e, Ref):
        return formulas.get(e.name, e)
    kids = e.children()
    if not kids:
        return e
    return rebuild(e, [expand(k, formulas) for k in kids])


def rebuild(e: Expr, kids: list[Expr]) -> Expr:
    names = [f.name for f in fields(e) if isinstance(getattr(e, f.name), Expr)]
    return replace(e, **dict(zip(names, kids)))


STEPS: tuple[StepDef, ...] = tuple(_steps())
STEP_IDS: tuple[str, ...] = tuple(s.id for s in STEPS)
BY_ID: dict[str, StepDef] = {s.id: s for s in STEPS}


def solve(given: Given, version: str = "") -> Variant:
    """Run one forward and one backward pass; every step's value at full float64 precision."""
    env = given.as_dict()
    steps = []
    for step in STEPS:
        env[step.id] = value = step.formula.eval(env)
        steps.append(Step(step, value))
    return Variant(version, given, tuple(steps))


def symbol_of(name: str) -> Expr:
    """How a given name or step id is written in formulas."""
    return GIVEN_SYMBOLS[name] if name in GIVEN_SYMBOLS else BY_ID[name].symbol


def typeset(
    e: Expr, ts: Typesetter, variant: Variant | None = None, decimals: int = 5
) -> str:
    """`e` in the typesetter's language: with symbols, or with `variant`'s numbers substituted.

    Given values are written as given (0.1, not 0.10000); step values at `decimals` decimals,
    as a student carries them.
    """
    if variant is None:
        return e.show(ts, lambda name: typeset(symbol_of(name), ts))
    given = variant.given.as_dict()

    def number(name: str) -> str:
        if name in given:
            return ts.number(given[name])
        return ts.number(variant.values[name], decimals)

    return e.show(ts, number)
