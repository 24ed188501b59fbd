"""The elementary functions a formula may call, each in one row: how it is computed (floats, and
numpy columns) and how it is written. An activation that needs a new function adds a row here
and one to `network.ACTIVATIONS`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

LEAK = 0.01  # the slope of a leaky ReLU below 0


def N_(text: str) -> str:
    """A message for the documents' catalogs, translated where it is shown (gettext's N_)."""
    return text


@dataclass(frozen=True)
class Function:
    compute: Callable[[float], float]  # on a float
    columns: Callable[[Any], Callable[[Any], Any]]  # numpy -> the same on numpy columns
    show: Callable[[Any, str], str]  # (typesetter, argument as written) -> the call written


IF, ELSE = N_("if"), N_("else")


def _cases(ts: Any, arg: str, low: str) -> str:
    """A ReLU's slope: 1 above 0, `low` below."""
    zero, one = ts.number(0.0), ts.number(1.0)
    return ts.paren(f"{one} {ts.word(IF)} {arg} > {zero}, {ts.word(ELSE)} {low}")


FUNCTIONS: dict[str, Function] = {
    "exp": Function(math.exp, lambda np: np.exp, lambda ts, a: ts.sup(ts.var("e", ""), a)),
    "log": Function(math.log, lambda np: np.log, lambda ts, a: ts.name("ln") + ts.paren(a)),
    "tanh": Function(math.tanh, lambda np: np.tanh, lambda ts, a: ts.name("tanh") + ts.paren(a)),
    "relu": Function(
        lambda x: x if x > 0 else 0.0,
        lambda np: lambda x: np.where(x > 0, x, 0.0),
        lambda ts, a: ts.name("max") + ts.paren(f"{ts.number(0.0)}, {a}"),
    ),
    "step": Function(
        lambda x: 1.0 if x > 0 else 0.0,
        lambda np: lambda x: np.where(x > 0, 1.0, 0.0),
        lambda ts, a: _cases(ts, a, ts.number(0.0)),
    ),
    "leaky_relu": Function(
        lambda x: x if x > 0 else LEAK * x,
        lambda np: lambda x: np.where(x > 0, x, LEAK * x),
        lambda ts, a: ts.name("max") + ts.paren(f"{ts.join('*', ts.number(LEAK), a)}, {a}"),
    ),
    "leaky_step": Function(
        lambda x: 1.0 if x > 0 else LEAK,
        lambda np: lambda x: np.where(x > 0, 1.0, LEAK),
        lambda ts, a: _cases(ts, a, ts.number(LEAK)),
    ),
}
