"""Marking one submission: each step `correct`, `ecf`, `imprecise`, `wrong`, `blank`, `unreadable`.

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
taken from the key, and at least one of those inputs is not `correct`. ECF needs the carried chain
to stay inside the exercise's region (below); it is off with `Policy(ecf=False)`, and `ecf_credit`
is the share of the step's points it earns (default 1: full credit).

An answer written with fewer decimals than asked is never `ecf` (whose rule it would meet by
chance, where the missing digit is a 0). It is `imprecise` when it is not correct but has two
significant digits at least and is right to the decimals written: within one unit of its
own last decimal of the key, or of the formula on the student's own inputs where each is correct
or imprecise (work carried at 4 decimals where 5 were asked). It earns `imprecise_credit` of the
points (default 0: the marks of a wrong answer); a later step computed from it at the asked
decimals may be `ecf`, as from any answer of the student's own.

Never accepted, by either rule: an answer 5 or more tolerance units (5e-5 at 5 decimals) away from
both the key and the value recomputed from the student's own answers.

The region: ECF is earned only inside what the draws accept
------------------------------------------------------------
A variant is drawn again until its values make a fair exercise (`variants.value_rules`). The
grader asks the same of a student's own values, with a margin of 0.01 where the draws keep 0.05:

- sigmoid and softmax outputs in (0.01, 0.99), tanh outputs within ±0.99, each output 0.01 or
  more from its target, a ReLU sum 0.01 or more from the kink (and positive, unless the exercise
  has dead units on purpose; then a live unit beside a dead one, as the draws have);
- a slope ∂out/∂sum as steep as the activation's is there (a sigmoid's at least 0.0099), an
  error gradient ∂E/∂out (∂E/∂sum after softmax) at least 0.01 from 0;
- each update changes its parameter at the asked decimals;
- no value beyond 100 × max(1, |key|) (a decimal slip is inside; a sum of −700 is not);
- and, for a value the student wrote that does not follow from their own inputs (where a slip,
  or a game, starts), two significant digits: at least ten units of the last decimal from 0.
  A value that does follow may be smaller (two terms that honestly cancel).

A wrong answer outside the region (a sum of 10^6, an output of 0.99999, a slope or ∂E/∂out of
10^-6, a gradient of 0.00002) is *out*, and so is every answer that follows from an out value: an
out value carries nothing, so the steps that read it are `correct` or `wrong`, never `ecf`.
Blank and unreadable inputs carry nothing either. An honest slip (a bias left out, a sign error,
a wrong product) keeps the values inside, and every later step it spoils is `ecf`; the exception
is an update that the student's own numbers leave unchanged at the asked decimals (a copy of the
old weight, however reached), which earns no ECF but, reached honestly, carries on to the second
pass. A leaky ReLU's sum may be negative (its unit still passes gradient on); a ReLU's may not,
unless the exercise asks for dead units: a dead unit's zeros would make every later step trivial.
"""

from __future__ import annotations

import functools
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
from ..exercise.variants import live_beside_dead, value_rules
from .answers import PLAIN_NUMBER, Parsed, parse_answer, written_decimals

Status = Literal["correct", "ecf", "imprecise", "wrong", "blank", "unreadable"]

STUDENT_MARGIN = 0.01  # the region's margin for a student's values (see "The region")
EXTREME = 100.0  # a value beyond 100 × max(1, |key|) is out: no draw comes near it
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
            "imprecise_credit": self.imprecise_credit,
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
    region: Region | None = None
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
            region = Region(variant, policy.decimals, given, _own_hidden_sums(variant, answers))
        assert region is not None
        status, recomputed = _carried(exercise, sid, a, k, given, key, marks, policy, region)
        # Written with fewer decimals than asked: no ecf. (A number, not text, as an LMS's float
        # or a JSON number, does not say how it was written.)
        if status != "correct" and not isinstance(raw, (int, float)) and _short(text, policy):
            imprecise = _imprecise(text, a, k, recomputed, sid, exercise, marks, policy)
            status = "imprecise" if imprecise else "wrong"
        credit = {"correct": 1.0, "ecf": policy.ecf_credit, "imprecise": policy.imprecise_credit}
        credit = credit.get(status, 0.0)
        marks[sid] = Mark(sid, text, a, k, status, credit * max_points, max_points, recomputed)
    return GradedSubmission(variant.version, tuple(marks.values()))


def _short(text: str, policy: Policy) -> bool:
    d = written_decimals(text)
    return d is not None and d < policy.decimals


def _imprecise(
    text: str,
    a: float,
    k: float,
    recomputed: float | None,
    sid: str,
    exercise: Exercise,
    marks: Mapping[str, Mark],
    policy: Policy,
) -> bool:
    """An answer written with fewer decimals than asked, but two significant digits at least,
    that is right to the decimals written: within one unit of its own last decimal of the key,
    or of the step's formula on the student's own inputs when each of them is correct or itself
    imprecise (work carried at 4 decimals where 5 were asked)."""
    d = written_decimals(text)
    if d is None or d >= policy.decimals or abs(a) < 10.0 ** (1 - d):
        return False  # as many decimals as asked, or under two significant digits ("0", "0.6")
    unit = 10.0**-d * (1 + _EPS)
    if abs(a - k) <= unit:
        return True
    inputs = [marks[n].status for n in formula(exercise, sid)[0] if n in marks]
    return (
        recomputed is not None
        and all(s in ("correct", "imprecise") for s in inputs)
        and abs(a - recomputed) <= unit
    )


def _known(variant: Variant) -> dict[str, float]:
    """What a student is given: the given values, and the key's values of the steps not asked."""
    asked = set(variant.exercise.asked_ids)
    return {**variant.given, **{s: x for s, x in variant.values.items() if s not in asked}}


def _own_hidden_sums(variant: Variant, answers: Mapping[str, object]) -> list[float]:
    """The hidden units' weighted sums as the student has them: their readable answer, else the
    key's (for the dead-units rule of the region)."""
    sums = []
    for unit in variant.exercise.hidden_units:
        sid = f"sum_{unit}"
        raw = answers.get(sid)
        p = raw if isinstance(raw, Parsed) else parse_answer(raw)
        sums.append(p.value if p.status == "ok" and p.value is not None else variant.values[sid])
    return sums


class Region:
    """Which of one student's wrong answers may carry ECF (see "The region" above): those that
    pass the draws' value rules, and do not follow from one that does not (`out`)."""

    def __init__(
        self, variant: Variant, decimals: int, given: Mapping[str, float], sums: list[float]
    ) -> None:
        exercise = variant.exercise
        self.rules = _rules(exercise, decimals, STUDENT_MARGIN, leaky_alive=False)
        self.computed_rules = _rules(
            exercise, decimals, STUDENT_MARGIN, significant=False, changes=False, leaky_alive=False
        )
        self.updated = {sid: p for p, sid in exercise.updates.items()}
        self.decimals = decimals
        self.given = given
        self.key = variant.values
        self.out: set[str] = set()
        # Dead units on purpose: the draws keep a live unit beside a dead one; so must the student.
        self.dead_ok = not exercise.dead_units or live_beside_dead(sums)
        self.sums = {f"sum_{u}" for u in exercise.hidden_units} if exercise.dead_units else set()

    def inside(self, sid: str, x: float, computed: bool = False) -> bool:
        """Whether a student's value x of step sid is inside; `computed`: it follows from their
        own inside inputs (then it may be small: two terms that honestly cancel)."""
        if sid in self.sums and not self.dead_ok:
            return False
        if abs(x) > EXTREME * max(1.0, abs(self.key[sid])):
            return False
        rules = self.computed_rules if computed else self.rules
        return all(check(x, self.given) is None for check in rules.get(sid, ()))

    def copies(self, sid: str, x: float) -> bool:
        """An update that leaves its parameter as it was at the asked decimals: no ECF for it,
        though a student who reached it honestly carries it on (to the second pass)."""
        p = self.updated.get(sid)
        return p is not None and round(x, self.decimals) == round(self.given[p], self.decimals)


_rules = functools.cache(value_rules)


def _carried(
    exercise: Exercise,
    sid: str,
    a: float,
    k: float,
    given: Mapping[str, float],
    key: Mapping[str, float],
    marks: Mapping[str, Mark],
    policy: Policy,
    region: Region,
) -> tuple[Status, float | None]:
    """For an answer not within tolerance of the key: correct-by-carrying, ecf, or wrong; an
    answer outside the region, or following from one that is, is recorded in `region.out`."""
    names, fn = formula(exercise, sid)
    own: list[float] = []
    boxes: list[tuple[int, float, float]] = []  # (argument index, low, high) of each step input
    all_correct, from_out = True, False
    for i, name in enumerate(names):
        if name in given:
            own.append(given[name])
            continue
        mark = marks[name]
        x = mark.parsed
        if x is None:
            return _wrong(region, sid, a), None  # a blank or unreadable input: nothing to carry
        own.append(x)
        if mark.status == "correct":
            low, high = min(x, key[name]), max(x, key[name])
        else:
            all_correct = False
            from_out = from_out or name in region.out
            t = policy.tolerance(x)
            low, high = x - t, x + t
        if low != high:
            boxes.append((i, low, high))
    r = _safe(fn, own)
    if r is None:
        return _wrong(region, sid, a), r
    # The range of the formula over the box, linearised one input at a time.
    lo = hi = r
    for i, low, high in boxes:
        args = list(own)
        ends = []
        for end in (low, high):
            args[i] = end
            y = _safe(fn, args)
            if y is None:
                return _wrong(region, sid, a), r
            ends.append(y - r)
        lo += min(0.0, *ends)
        hi += max(0.0, *ends)
    t = policy.tolerance(r)
    inside = lo - t * (1 + _EPS) <= a <= hi + t * (1 + _EPS)
    near = abs(a - k) < CAP * policy.tolerance(k) * (1 - _EPS) or abs(a - r) < CAP * t * (1 - _EPS)
    if not (inside and near):
        return _wrong(region, sid, a), r
    if all_correct:
        return "correct", r
    if from_out or not region.inside(sid, a, computed=True):
        region.out.add(sid)  # it follows from an out value, or is out itself: it carries nothing
        return "wrong", r
    if region.copies(sid, a):
        return "wrong", r
    return ("ecf" if policy.ecf else "wrong"), r


def _wrong(region: Region, sid: str, a: float) -> Status:
    """A wrong answer, which carries ECF on only if it lies inside the region."""
    if not region.inside(sid, a):
        region.out.add(sid)
    return "wrong"


def _safe(fn: Callable[..., float], args: list[float]) -> float | None:
    """The formula's value, or None where it has none (overflow, division by zero, NaN)."""
    try:
        y = fn(*args)
    except (ArithmeticError, ValueError):
        return None
    return y if math.isfinite(y) else None
