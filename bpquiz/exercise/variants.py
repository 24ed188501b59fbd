"""Seeded, well-conditioned variants: the draw ranges and the rules a draw must pass.

Variant k of a run is drawn from its own random stream, numpy's PCG64 seeded with (seed, k), so
it is the same on every machine and does not change when the class size n changes. Draws that
would make a poor exercise are rejected and redrawn from the same stream (R/exams' habit).

The rules are data (`value_rules`, `variant_rules`) so that the grader can ask of a student's own
values what the draws ask of the key's (the region in which error carried forward is earned).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from types import MappingProxyType

import numpy as np

from ..errors import DrawError
from .model import Exercise, Variant
from .solve import solve
from .units import ACTIVATIONS

# The worked example of the article (backprop-article.txt), η = 0.6.
ARTICLE_EXAMPLE: Mapping[str, float] = MappingProxyType({
    "i1": 0.1, "i2": 0.5, "w1": 0.1, "w2": 0.2, "w3": 0.3, "w4": 0.4, "w5": 0.5, "w6": 0.6,
    "w7": 0.7, "w8": 0.8, "b1": 0.25, "b2": 0.35, "target1": 0.05, "target2": 0.95,
    "learning_rate": 0.6,
})  # fmt: skip

LEARNING_RATES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
MAX_DRAWS = 10_000  # far beyond need: about 1 draw in 2 is accepted for the article's exercise
SATURATED = 0.05  # a sigmoid or softmax output within this of 0 or 1 is flat; so is a ReLU
# sum within it of the kink at 0 (value_rules' margin for the draws)


# --- draw ranges ---------------------------------------------------------------------------------


def signed(exercise: Exercise) -> bool:
    """Weights and biases of either sign: where the hidden units are not the article's sigmoid
    (tanh is odd; ReLU units die only below 0, when the lecturer asks for dead units), or where
    a unit has more than two inputs (positive sums of three or four terms saturate a sigmoid)."""
    n, m, _ = exercise.shape
    return exercise.hidden in ("tanh", "linear") or exercise.dead_units or max(n, m) > 2


@cache
def _choices(exercise: Exercise) -> tuple[tuple[str, ...], np.ndarray, np.ndarray, tuple]:
    """The drawn names and, for each, the allowed values in hundredths: (names, low, size,
    tables) — a name's hundredths are `low + k` for k < size, or `tables[i][k]` when signed.

    As in the article: positive, two decimals, 0.05 … 0.95; targets 0.01 … 0.99 (−0.99 … 0.99
    for linear outputs); with `signed`, weights and biases ±0.05 … ±0.95.
    """
    names = tuple(
        n
        for n in exercise.given_names[:-1]
        if not (exercise.loss == "ce" and n in exercise.targets)
    )
    both = np.array([*range(-95, -4), *range(5, 96)])
    low, size, tables = [], [], []
    parameters = set(exercise.weights) | set(exercise.biases_of)
    for n in names:
        if n in exercise.targets:
            span = (-99, 99) if exercise.output == "linear" else (1, 99)
        else:
            span = (5, 95)
        if (n in parameters and signed(exercise)) or (n in exercise.targets and span[0] < 0):
            table = both if n in parameters else np.array([k for k in range(-99, 100) if k])
            low.append(0)
            size.append(len(table))
            tables.append(table)
        else:
            low.append(span[0])
            size.append(span[1] - span[0] + 1)
            tables.append(None)
    return names, np.array(low), np.array(size), tuple(tables)


def draws(
    exercise: Exercise, seed: int, index: int, learning_rate: float | None = None
) -> Iterator[dict[str, float]]:
    """The endless stream of candidate givens for variant `index` of run `seed`."""
    names, low, size, tables = _choices(exercise)
    rng = np.random.default_rng([seed, index])
    while True:
        hundredths = rng.integers(low, low + size)
        rate = learning_rate if learning_rate is not None else LEARNING_RATES[rng.integers(10)]
        values = {
            name: int(h if table is None else table[h]) / 100
            for name, h, table in zip(names, hundredths, tables)
        }
        if exercise.loss == "ce":  # one-hot targets: one class is right
            right = int(rng.integers(len(exercise.targets)))
            values.update({t: float(k == right) for k, t in enumerate(exercise.targets)})
        values["learning_rate"] = rate
        yield {name: values[name] for name in exercise.given_names}


# --- the rules -----------------------------------------------------------------------------------

Check = Callable[[float, Mapping[str, float]], str | None]  # (value, givens) -> why it is poor


def value_rules(
    exercise: Exercise,
    decimals: int,
    margin: float = SATURATED,
    significant: bool = True,
    changes: bool = True,
    alive: bool = True,
) -> Mapping[str, tuple[Check, ...]]:
    """What each asked step's value must satisfy, whoever computed it (the draw, or a student
    whose own carried values the grader looks at). A check returns why a value fails, or None.
    `margin` is how far an output keeps from its flat ends and its target, and a ReLU sum from
    its kink: 0.05 for the draws (a fair exercise); the grader asks 0.01 of a student's values
    (enough that no later step is trivial, and an honest slip to 0.96 is still inside); the
    rules of significant digits (`significant`) and of updates that change (`changes`) only of
    the values a student did not compute from their own inputs; and not that a leaky ReLU's sum
    be positive (`alive`: the draws' choice; the grader allows a unit a student's own sum puts
    below the kink, and asks only that one stays alive, `marking.region`).

    - a sigmoid or softmax output lies in (0.05, 0.95), a tanh output within ±0.95: away from
      the flat ends;
    - a ReLU unit's weighted sum is at least 0.05 away from the kink at 0, and positive unless
      the lecturer asked for dead units;
    - a slope ∂out/∂sum is as steep as the activation's slope is there (`units.Activation`:
      a sigmoid's at least 0.0475; the sign and the upper end are left to the grader's other
      rules, since an honest sign error or a wrong product may break them);
    - every asked value, written with `decimals` decimals, is not 0 and keeps at least two
      significant digits (|value| ≥ 10^(1−decimals): ten units of the last decimal, so that
      it is not 0 within a tolerance), but for the exact zeros a dead unit gives;
    - each output is at least 0.05 away from its target (squared or binary cross-entropy error),
      so the error's gradient ∂E/∂out (∂E/∂sum after softmax) is at least 0.05 from 0;
    - every update changes its parameter at the asked decimals (but for a dead unit's).
    """
    ex = exercise
    smallest = 10.0 ** (1 - decimals)  # float("0.0001") == 10.0**-4, and so on to 8 decimals
    rules: dict[str, list[Check]] = {sid: [] for sid in ex.asked_ids}

    def two_digits(sid: str) -> Check:
        def check(x: float, g: Mapping[str, float]) -> str | None:
            if abs(x) >= smallest or (x == 0 and ex.dead_units):
                return None
            return f"{sid} = {x:.2e} has under 2 significant digits"

        return check

    def within(sid: str, low: float, high: float) -> Check:
        return lambda x, g: (
            None if low < x < high else f"{sid} = {x:.5f} is outside ({low}, {high})"
        )

    def flat_tanh(sid: str) -> Check:
        return lambda x, g: None if abs(x) <= 1 - margin else f"{sid} = {x:.5f} is saturated"

    def kink(sid: str, act: str) -> Check:
        below = ex.dead_units or not alive

        def check(x: float, g: Mapping[str, float]) -> str | None:
            if abs(x) < margin:
                return f"{sid} = {x:.5f} is within {margin} of the ReLU's kink"
            return None if x > 0 or below else f"{sid} = {x:.5f}: a dead ReLU unit"

        return check

    def apart(sid: str, target: str) -> Check:
        return lambda x, g: (
            None if abs(g[target] - x) >= margin else f"{target} is within {margin} of {sid}"
        )

    def steep(sid: str) -> Check:
        return lambda x, g: None if abs(x) >= margin else f"{sid} = {x:.5f} is within {margin} of 0"

    def changed(sid: str, parameter: str) -> Check:
        def check(x: float, g: Mapping[str, float]) -> str | None:
            if round(x, decimals) != round(g[parameter], decimals):
                return None
            if x == g[parameter] and ex.dead_units:  # a dead unit's weight: its gradient is 0
                return None
            return f"{sid} does not change {parameter} at {decimals} decimals"

        return check

    def slope(sid: str, low: float) -> Check:
        def check(x: float, g: Mapping[str, float]) -> str | None:
            if abs(x) >= low - 1e-12 or (x == 0 and (ex.dead_units or not alive)):
                return None
            return f"{sid} = {x:.5f} is flatter than the activation's slope can be ({low:.4f})"

        return check

    layers = ((ex.hidden_units, ex.hidden), (ex.output_units, ex.output))
    for units, act in layers:
        slopes = ACTIVATIONS[act].slopes if act in ACTIVATIONS else None
        for u in units:
            if slopes is not None and f"dout_{u}_dsum_{u}" in rules:
                rules[f"dout_{u}_dsum_{u}"].append(slope(f"dout_{u}_dsum_{u}", slopes(margin)))
            for after in ("", "_after"):
                out, total = f"out_{u}{after}", f"sum_{u}{after}"
                if out in rules and act in ("sigmoid", "softmax"):
                    rules[out].append(within(out, margin, 1 - margin))
                if out in rules and act == "tanh":
                    rules[out].append(flat_tanh(out))
                if total in rules and act in ("relu", "leaky_relu") and not after:
                    rules[total].append(kink(total, act))
    for sid in ex.asked_ids if significant else ():
        rules[sid].append(two_digits(sid))
    if ex.loss != "ce":
        for t, u in zip(ex.targets, ex.output_units):
            if f"out_{u}" in rules:
                rules[f"out_{u}"].append(apart(f"out_{u}", t))
    for u in ex.output_units:  # what apart outputs make of the error's gradient
        for gradient in (f"dE_dout_{u}", f"dE_dsum_{u}"):
            if gradient in rules:
                rules[gradient].append(steep(gradient))
    for parameter, sid in ex.updates.items() if changes else ():
        if sid in rules:
            rules[sid].append(changed(sid, parameter))
    return MappingProxyType({sid: tuple(checks) for sid, checks in rules.items()})


def variant_rules(
    exercise: Exercise, fixed_rate: bool
) -> tuple[Callable[[Mapping[str, float], Mapping[str, float]], str | None], ...]:
    """Rules on a variant as a whole, (values, givens) -> why it is poor:

    - no two weights are equal (each weight's answer must be told apart); with more than eight
      weights, no two into one unit;
    - with a second pass, the update lowered the error (unless the learning rate was fixed);
    - with dead units asked for, at least one hidden unit is dead and at least one alive.
    """
    ex = exercise
    # Among more than 8 weights some pair is almost always equal (32 from 182 values: 94 %);
    # what a student must tell apart then is the weights into one unit.
    groups = [list(ex.weights)] if len(ex.weights) <= 8 else [
        [w for w, (_, dst) in ex.weights.items() if dst == unit]
        for unit in (*ex.hidden_units, *ex.output_units)
    ]  # fmt: skip

    def distinct(v: Mapping[str, float], g: Mapping[str, float]) -> str | None:
        if all(len({g[w] for w in group}) == len(group) for group in groups):
            return None
        return (
            "two weights are equal" if len(groups) == 1 else "two weights into one unit are equal"
        )

    found: list[Callable] = [distinct]
    if ex.second_pass and not fixed_rate:
        found.append(
            lambda v, g: (
                None if v["E_total_after"] < v["E_total"] else "the update did not lower the error"
            )
        )
    if ex.dead_units:

        def dead(v: Mapping[str, float], g: Mapping[str, float]) -> str | None:
            if live_beside_dead([v[f"sum_{u}"] for u in ex.hidden_units]):
                return None
            return "no dead unit beside a live one"

        found.append(dead)
    return tuple(found)


def live_beside_dead(sums: list[float]) -> bool:
    """Dead units on purpose: at least one hidden ReLU unit dead (sum < 0) and one alive."""
    return any(x < 0 for x in sums) and any(x > 0 for x in sums)


def problems(variant: Variant, decimals: int = 5, fixed_rate: bool = False) -> list[str]:
    """Why this variant makes a poor exercise (see `value_rules`, `variant_rules`), or []."""
    ex, v, g = variant.exercise, variant.values, variant.given
    found = []
    for sid, checks in _value_rules(ex, decimals).items():
        for check in checks:
            if (why := check(v[sid], g)) is not None:
                found.append(why)
    for rule in _variant_rules(ex, fixed_rate):
        if (why := rule(v, g)) is not None:
            found.append(why)
    return found


_value_rules = cache(value_rules)
_variant_rules = cache(variant_rules)


def draw_variant(
    exercise: Exercise,
    seed: int,
    index: int,
    decimals: int = 5,
    learning_rate: float | None = None,
    version: str = "",
) -> Variant:
    """The first well-conditioned variant in the stream of (seed, index)."""
    fixed = learning_rate is not None
    for _, given in zip(range(MAX_DRAWS), draws(exercise, seed, index, learning_rate)):
        try:
            variant = solve(exercise, given, version)
        except (ArithmeticError, ValueError):  # e.g. ln of a saturated output: a poor draw
            continue
        if all(math.isfinite(x) for x in variant.values.values()) and not problems(
            variant, decimals, fixed
        ):
            return variant
    raise DrawError(
        f"no well-conditioned variant in {MAX_DRAWS} draws for seed {seed}, index {index} "
        f"(learning rate {learning_rate}, {decimals} decimals)"
    )
