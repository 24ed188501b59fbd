"""What a unit computes and what an error is: each activation and each loss one row, written
as formulas (`expr`), so that the builder (`network`) needs no case for any of them.

Adding an activation is a row of `ACTIVATIONS` — its output as a formula of the weighted sum,
its slope ∂out/∂sum as one of the output and the sum — and, if it calls a new elementary
function, a row of `functions.FUNCTIONS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .expr import HALF, Call, Expr, exp
from .functions import LEAK, N_


@dataclass(frozen=True)
class Activation:
    """A unit's nonlinearity: `out(sum)` and its slope ∂out/∂sum written with (out, sum).

    `out` None: a linear unit, whose output is its weighted sum (no sum step, no slope step).
    """

    out: Callable[[Expr], Expr] | None
    slope: Callable[[Expr, Expr], Expr] | None
    slope_label: str  # the slope step's label, to translate: N_("sigmoid slope at {unit}")
    # The least steepness |∂out/∂sum| where the output keeps `margin` from its flat ends (the
    # draws' rule on outputs, asked of the slope too): a flatter slope of a student's carries
    # no ECF (`variants.value_rules`).
    slopes: Callable[[float], float] | None = None


ACTIVATIONS = {
    "sigmoid": Activation(
        lambda s: 1 / (1 + exp(-s)),
        lambda out, s: out * (1 - out),
        N_("sigmoid slope at {unit}"),
        lambda m: m * (1 - m),
    ),
    "tanh": Activation(
        lambda s: Call("tanh", s),
        lambda out, s: 1 - out**2,
        N_("tanh slope at {unit}"),
        lambda m: 1 - (1 - m) ** 2,
    ),
    "relu": Activation(
        lambda s: Call("relu", s),
        lambda out, s: Call("step", s),
        N_("ReLU slope at {unit}"),
        lambda m: 1.0,  # a live unit's; 0 only where dead units are asked for
    ),
    "leaky_relu": Activation(
        lambda s: Call("leaky_relu", s),
        lambda out, s: Call("leaky_step", s),
        N_("leaky ReLU slope at {unit}"),
        lambda m: LEAK,
    ),
    "linear": Activation(None, None, ""),
}


@dataclass(frozen=True)
class Loss:
    """The error of one output with target t: `term(t, out)`, negated when `negated` (the
    cross-entropies: E = −Σ term); its gradient ∂E/∂out (None: coupled across the outputs, as
    cross-entropy after softmax, whose factor is ∂E/∂sum = out − target)."""

    term: Callable[[Expr, Expr], Expr]
    gradient: Callable[[Expr, Expr], Expr] | None
    negated: bool = False


def _ln(x: Expr) -> Expr:
    return Call("log", x)


LOSSES = {
    "mse": Loss(lambda t, out: HALF * (t - out) ** 2, lambda t, out: out - t),
    "bce": Loss(
        lambda t, out: t * _ln(out) + (1 - t) * _ln(1 - out),
        lambda t, out: (out - t) / (out * (1 - out)),
        negated=True,
    ),
    "ce": Loss(lambda t, out: t * _ln(out), None, negated=True),
}
