"""How answers are marked: tolerance, credits, points (`Policy`); pure data, checked once.

Tolerance
---------
`Policy.tolerance(x)` is the allowed difference at value x. By default it is one unit in the last
asked decimal, u = 10^-decimals (1e-5 at 5 decimals): that accepts the value rounded (off by at
most u/2) and truncated, as the article does (off by less than u). `--atol`, `--rtol` or
`--sig-figs` replace it by max(atol, rtol·|x|, one unit in the sig-figs-th significant digit of x).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..errors import PolicyError
from ..exercise.model import PHASES, Exercise

CAP = 5.0  # tolerance units: an answer this far from both references is never accepted
EPS = 1e-6  # relative slack on a tolerance, for binary floating point (0.41 + 1e-5 ≠ 0.41001)


@dataclass(frozen=True)
class Policy:
    """How answers are marked. The defaults are the README's: 5 decimals, ±1 unit, full ECF
    credit."""

    decimals: int = 5
    atol: float | None = None
    rtol: float | None = None
    sig_figs: int | None = None
    ecf: bool = True
    ecf_credit: float = 1.0
    imprecise_credit: float = 0.0  # share of the points for an answer right to fewer decimals
    # Points per step id or per phase (forward, error, …); a step id wins over its phase.
    points: Mapping[str, float] = field(default_factory=dict)
    default_points: float = 1.0

    def __post_init__(self) -> None:
        if not 0 <= self.decimals <= 15:
            raise PolicyError(f"decimals must be between 0 and 15, got {self.decimals}")
        for name in ("atol", "rtol"):
            x = getattr(self, name)
            if x is not None and not (math.isfinite(x) and x >= 0):
                raise PolicyError(f"{name} must be a number ≥ 0, got {x}")
        if self.sig_figs is not None and not 1 <= self.sig_figs <= 15:
            raise PolicyError(f"significant figures must be between 1 and 15, got {self.sig_figs}")
        if not 0 <= self.ecf_credit <= 1:
            raise PolicyError(f"ECF credit must be between 0 and 1, got {self.ecf_credit}")
        if not 0 <= self.imprecise_credit <= 1:
            raise PolicyError(
                f"imprecise credit must be between 0 and 1, got {self.imprecise_credit}"
            )
        for name, pts in self.points.items():
            if not (math.isfinite(pts) and pts >= 0):
                raise PolicyError(f"points for {name} must be a number ≥ 0, got {pts}")
        if not (math.isfinite(self.default_points) and self.default_points >= 0):
            raise PolicyError(f"points per step must be a number ≥ 0, got {self.default_points}")
        object.__setattr__(self, "points", MappingProxyType(dict(self.points)))
        object.__setattr__(self, "_unit", 10.0**-self.decimals if self.default_tolerance else None)
        object.__setattr__(self, "_tables", {})  # exercise -> max points per step

    def check(self, exercise: Exercise) -> None:
        """Every name of `points` is a step id or a phase of the exercise."""
        for name in self.points:
            if name not in exercise.by_id and name not in PHASES:
                raise PolicyError(
                    f"points: {name!r} is neither a step id nor a phase ({', '.join(PHASES)})"
                )

    def max_points(self, exercise: Exercise) -> Mapping[str, float]:
        """Each asked step's points: its own setting, else its phase's, else `default_points`.

        Looked up for every step of every submission: computed once per exercise.
        """
        table = self._tables.get(exercise)  # type: ignore[attr-defined]
        if table is None:
            self.check(exercise)
            points, default = self.points, self.default_points
            table = MappingProxyType({
                s.id: points.get(s.id, points.get(s.phase, default)) for s in exercise.asked
            })  # fmt: skip
            self._tables[exercise] = table  # type: ignore[attr-defined]
        return table

    @property
    def unit(self) -> float:
        """One unit in the last asked decimal."""
        return 10.0**-self.decimals

    @property
    def default_tolerance(self) -> bool:
        return self.atol is None and self.rtol is None and self.sig_figs is None

    def tolerance(self, x: float) -> float:
        """The allowed difference from the value x (see the module docstring)."""
        if self._unit is not None:  # type: ignore[attr-defined]
            return self._unit  # type: ignore[attr-defined]
        tol = max(self.atol or 0.0, (self.rtol or 0.0) * abs(x))
        if self.sig_figs is not None and x != 0:
            tol = max(tol, 10.0 ** (math.floor(math.log10(abs(x))) - self.sig_figs + 1))
        return tol

    def tolerance_text(
        self, show: Callable[[float], str] | None = None, _: Callable[[str], str] = str
    ) -> str:
        """The tolerance in words: ±0.00001 (one unit in the last decimal), or max(atol …, …).
        `show` writes a number (a language's decimal sign), `_` translates (the feedback's)."""
        if show is None:
            show = self.show_number
        if self.default_tolerance:
            return _("±%(unit)s (one unit in the last decimal)") % {"unit": show(self.unit)}
        parts = []
        if self.atol is not None:
            parts.append(f"atol {show(self.atol)}")
        if self.rtol is not None:
            parts.append(f"rtol {show(self.rtol)}")
        if self.sig_figs is not None:
            parts.append(_("%(n)s significant figures") % {"n": self.sig_figs})
        return "max(" + ", ".join(parts) + ")" if len(parts) > 1 else parts[0]

    def show_number(self, x: float) -> str:
        """A tolerance as written: 0.00001 at 5 decimals rather than 1e-05; 0.05 as it is."""
        return f"{x:g}" if x >= 1e-4 else f"{x:.{self.decimals}f}"

    def describe(self) -> dict[str, Any]:
        """The settings as plain data, for grades.json."""
        tolerance = self.tolerance_text()
        return {
            "decimals": self.decimals,
            "tolerance": tolerance,
            "atol": self.atol,
            "rtol": self.rtol,
            "sig_figs": self.sig_figs,
            "ecf": self.ecf,
            "ecf_credit": self.ecf_credit,
            "imprecise_credit": self.imprecise_credit,
            "points": dict(self.points),
            "default_points": self.default_points,
            "never_accepted_beyond": f"{CAP:g} tolerance units",
        }
