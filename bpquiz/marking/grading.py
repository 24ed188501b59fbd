"""Marking one submission: each step `correct`, `ecf`, `wrong`, `blank` or `unreadable`.

Pure: a variant (the key) and the answers as written go in, marks come out; no files, no printing.
The step id links everything: the answer for `out_h1` is parsed (`answers.parse_answer`), compared
with the key's `out_h1`, and fed to the steps whose formula reads `out_h1` (`StepDef.inputs`, the
dependency graph of `bpquiz.network`).

Tolerance
---------
`Policy.tolerance(x)` is the allowed difference at value x. By default it is one unit in the last
asked decimal, u = 10^-decimals (1e-5 at 5 decimals): that accepts the value rounded (off by at
most u/2) and truncated, as the article does (off by less than u). `--atol`, `--rtol` or
`--sig-figs` replace it by max(atol, rtol·|x|, one unit in the sig-figs-th significant digit of x).

A step is `correct` when

1. the answer is within the tolerance of the key; or
2. every earlier step it reads was itself marked `correct`, and the answer is within the tolerance
   of what the step's formula gives when each of those inputs is taken anywhere between the
   student's own written value and the exact value (the student may have carried their rounded
   values, or kept more digits in the calculator). This is how answers computed from one's own
   rounded or truncated earlier answers stay `correct` however far the rounding travels.

It is `ecf` (error carried forward) when it is not correct, but it is within the tolerance of the
step's formula applied to the student's own answers for the steps it reads, each taken within its
own tolerance (the student's calculator may hold a digit more than the box shows), given values
taken from the key, and at least one of those inputs is not `correct`. ECF needs every such input
to be a real attempt (below); it is off with `Policy(ecf=False)`, and `ecf_credit` is the share of
the step's points it earns (default 1: full credit).

Never accepted, by either rule: an answer 5 or more tolerance units (5e-5 at 5 decimals) away from
both the key and the value recomputed from the student's own answers.

A real attempt
--------------
A `wrong` input answer passes ECF credit on to the steps that read it only when it is a real
attempt: not exactly 0, 1 or -1. Those values make a product, a sigmoid slope out·(1 − out) or a
difference trivial, so writing them anywhere would otherwise earn the later steps for free. A 0 or
±1 that the student earned honestly, as `ecf` from their own earlier answers, still counts, and so
does a `correct` one. Blank and unreadable inputs carry nothing. A step that reads an input that
carries nothing can only be `correct` or `wrong`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

from ..constants import STATUSES
from ..errors import PolicyError
from ..exercise.model import PHASES, Exercise, Variant
from ..exercise.solve import formula
from .answers import PLAIN_NUMBER, Parsed, parse_answer

Status = Literal["correct", "ecf", "wrong", "blank", "unreadable"]

CAP = 5.0  # tolerance units: an answer this far from both references is never accepted
_EPS = 1e-6  # relative slack on a tolerance, for binary floating point (0.41 + 1e-5 ≠ 0.41001)


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

    def real_attempt(self, x: float, status: Status) -> bool:
        """Whether an input answer may pass ECF credit on (see "A real attempt" above)."""
        return status in ("correct", "ecf") or x not in (0.0, 1.0, -1.0)

    def describe(self) -> dict[str, Any]:
        """The settings as plain data, for grades.json."""
        if self.default_tolerance:
            tolerance = f"±{self.unit:.{self.decimals}f} (one unit in the last decimal)"
        else:
            parts = []
            if self.atol is not None:
                parts.append(f"atol {self.atol:g}")
            if self.rtol is not None:
                parts.append(f"rtol {self.rtol:g}")
            if self.sig_figs is not None:
                parts.append(f"{self.sig_figs} significant figures")
            tolerance = "max(" + ", ".join(parts) + ")" if len(parts) > 1 else parts[0]
        return {
            "decimals": self.decimals,
            "tolerance": tolerance,
            "atol": self.atol,
            "rtol": self.rtol,
            "sig_figs": self.sig_figs,
            "ecf": self.ecf,
            "ecf_credit": self.ecf_credit,
            "points": dict(self.points),
            "default_points": self.default_points,
            "never_accepted_beyond": f"{CAP:g} tolerance units",
        }


class Mark(NamedTuple):
    """One step of one submission: what was written, how it reads, the key, and the verdict.

    `recomputed` is the step's formula on the student's own answers (None when an input is blank,
    unreadable, or the step was correct at first sight). A named tuple: a class of 10,000 has
    410,000 of them.
    """

    id: str
    written: str
    parsed: float | None
    key: float
    status: Status
    points: float
    max_points: float
    recomputed: float | None = None


@dataclass(frozen=True)
class GradedSubmission:
    version: str
    marks: tuple[Mark, ...]

    @cached_property
    def score(self) -> float:
        return math.fsum(m.points for m in self.marks)

    @cached_property
    def max_score(self) -> float:
        return math.fsum(m.max_points for m in self.marks)

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0

    def counts(self) -> dict[str, int]:
        found = dict.fromkeys(STATUSES, 0)
        for m in self.marks:
            found[m.status] += 1
        return found


def grade_submission(
    variant: Variant, answers: Mapping[str, object], policy: Policy = Policy()
) -> GradedSubmission:
    """Mark every asked step of `variant` against `answers` ({step id: text as written, or
    `Parsed`}).

    Steps are marked in the article's order, so each step's inputs are marked before it. A step
    that is not asked counts, for the steps that read it, as a given value: the key's.
    """
    exercise = variant.exercise
    key = variant.values
    given: dict[str, float] | None = None
    marks: dict[str, Mark] = {}
    table = policy.max_points(exercise)
    unit = policy._unit  # type: ignore[attr-defined]  # None unless the default tolerance
    plain = PLAIN_NUMBER.fullmatch
    get = answers.get
    for sid in exercise.asked_ids:
        raw = get(sid)
        k = key[sid]
        max_points = table[sid]
        # Fast path: a plain number as text (most answers); the rest goes through parse_answer.
        a: float | None = None
        if type(raw) is str:
            text = raw
            stripped = raw.strip()
            if stripped and plain(stripped):
                a = float(stripped)
                if not math.isfinite(a):
                    a = None
        if a is None:
            p = raw if isinstance(raw, Parsed) else parse_answer(raw)
            if p.status != "ok":
                marks[sid] = Mark(sid, p.text, None, k, p.status, 0.0, max_points)
                continue
            text, a = p.text, p.value
            assert a is not None
        tol = unit if unit is not None else policy.tolerance(k)
        if abs(a - k) <= tol * (1 + _EPS):
            marks[sid] = Mark(sid, text, a, k, "correct", max_points, max_points)
            continue
        if given is None:
            given = _known(variant)
        status, recomputed = _carried(exercise, sid, a, k, given, key, marks, policy)
        credit = 1.0 if status == "correct" else policy.ecf_credit if status == "ecf" else 0.0
        marks[sid] = Mark(sid, text, a, k, status, credit * max_points, max_points, recomputed)
    return GradedSubmission(variant.version, tuple(marks.values()))


def _known(variant: Variant) -> dict[str, float]:
    """What a student is given: the given values, and the key's values of the steps not asked."""
    asked = set(variant.exercise.asked_ids)
    return {**variant.given, **{s: x for s, x in variant.values.items() if s not in asked}}


def _carried(
    exercise: Exercise,
    sid: str,
    a: float,
    k: float,
    given: Mapping[str, float],
    key: Mapping[str, float],
    marks: Mapping[str, Mark],
    policy: Policy,
) -> tuple[Status, float | None]:
    """For an answer not within tolerance of the key: correct-by-carrying, ecf, or wrong."""
    names, fn = formula(exercise, sid)
    own: list[float] = []
    boxes: list[tuple[int, float, float]] = []  # (argument index, low, high) of each step input
    all_correct, trivial = True, False
    for i, name in enumerate(names):
        if name in given:
            own.append(given[name])
            continue
        mark = marks[name]
        x = mark.parsed
        if x is None:
            return "wrong", None  # a blank or unreadable input: nothing to carry
        own.append(x)
        if mark.status == "correct":
            low, high = min(x, key[name]), max(x, key[name])
        else:
            all_correct = False
            trivial = trivial or not policy.real_attempt(x, mark.status)
            t = policy.tolerance(x)
            low, high = x - t, x + t
        if low != high:
            boxes.append((i, low, high))
    r = _safe(fn, own)
    if r is None or trivial:
        return "wrong", r
    # The range of the formula over the box, linearised one input at a time.
    lo = hi = r
    for i, low, high in boxes:
        args = list(own)
        ends = []
        for end in (low, high):
            args[i] = end
            y = _safe(fn, args)
            if y is None:
                return "wrong", r
            ends.append(y - r)
        lo += min(0.0, *ends)
        hi += max(0.0, *ends)
    t = policy.tolerance(r)
    inside = lo - t * (1 + _EPS) <= a <= hi + t * (1 + _EPS)
    near = abs(a - k) < CAP * policy.tolerance(k) * (1 - _EPS) or abs(a - r) < CAP * t * (1 - _EPS)
    if not (inside and near):
        return "wrong", r
    if all_correct:
        return "correct", r
    return ("ecf" if policy.ecf else "wrong"), r


def _safe(fn: Callable[..., float], args: list[float]) -> float | None:
    """The formula's value, or None where it has none (overflow, division by zero, NaN)."""
    try:
        y = fn(*args)
    except (ArithmeticError, ValueError):
        return None
    return y if math.isfinite(y) else None
