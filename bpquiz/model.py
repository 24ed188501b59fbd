"""The data that flows through bpquiz: given values, step definitions, solved variants.

All frozen: a variant is computed once and then only read (by the worksheet, the solution, the key
and the grader), so nothing downstream can change a number behind another part's back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from functools import cached_property
from types import MappingProxyType
from typing import Any, Mapping

from .expr import Expr

# The names of contract.md, in its order; also the keys of article-example.json's "given".
GIVEN_NAMES = (
    "i1", "i2", "w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8",
    "b1", "b2", "target1", "target2", "learning_rate",
)  # fmt: skip

PHASES = {
    "forward": "Forward pass",
    "error": "Total error",
    "output": "Backward pass: output layer (w5–w8)",
    "hidden": "Backward pass: hidden layer (w1–w4)",
}


class GivenError(ValueError):
    """A given value is missing, unknown or not a finite number; the message names it."""


@dataclass(frozen=True)
class Given:
    i1: float
    i2: float
    w1: float
    w2: float
    w3: float
    w4: float
    w5: float
    w6: float
    w7: float
    w8: float
    b1: float
    b2: float
    target1: float
    target2: float
    learning_rate: float

    @classmethod
    def from_mapping(cls, data: Any) -> Given:
        """Build from a {name: number} object, e.g. a parsed --given file, naming what is wrong."""
        if not isinstance(data, Mapping):
            raise GivenError(f"expected an object with the names {', '.join(GIVEN_NAMES)}")
        missing = [n for n in GIVEN_NAMES if n not in data]
        if missing:
            raise GivenError(f"missing given value(s): {', '.join(missing)}")
        unknown = [str(k) for k in data if k not in GIVEN_NAMES]
        if unknown:
            raise GivenError(
                f"unknown name(s): {', '.join(unknown)} (expected {', '.join(GIVEN_NAMES)})"
            )
        values = {}
        for name in GIVEN_NAMES:
            x = data[name]
            # bool is an int subclass; "true" is no weight.
            if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
                raise GivenError(f"{name}: expected a finite number, got {x!r}")
            values[name] = float(x)
        return cls(**values)

    def as_dict(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class StepDef:
    """One asked value of the cycle, defined once: its formula computes it and typesets it.

    `inputs` (the names the formula reads) is the dependency graph that error-carried-forward
    grading walks. `chain` and `expanded` are display-only forms for the worked solution.
    """

    id: str
    phase: str
    label: str  # a few words for the worksheet and feedback, e.g. "output of h1"
    symbol: Expr
    formula: Expr
    chain: Expr | None = None
    expanded: Expr | None = None

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.formula.refs()


@dataclass(frozen=True)
class Step:
    """A step definition with its value for one variant."""

    definition: StepDef
    value: float

    @property
    def id(self) -> str:
        return self.definition.id


@dataclass(frozen=True)
class Variant:
    """One student's exercise: the given values and every step's value (full float64)."""

    version: str
    given: Given
    steps: tuple[Step, ...]

    @cached_property
    def values(self) -> Mapping[str, float]:
        """Step id -> value."""
        return MappingProxyType({s.id: s.value for s in self.steps})

    def env(self) -> dict[str, float]:
        """Every named quantity: given values and step values."""
        return {**self.given.as_dict(), **self.values}
