"""Marking one submission: each step `correct`, `ecf`, `imprecise`, `wrong`, `blank`, `unreadable`.

Pure: a variant (the key) and the answers as written go in, marks come out; no files, no printing.
The step id links everything: the answer for `out_h1` is parsed (`answers.parse_answer`), compared
with the key's `out_h1`, and fed to the steps whose formula reads `out_h1` (`StepDef.inputs`, the
dependency graph of `bpquiz.network`).

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

The tolerance is the policy's (`policy.Policy`, which is also exported here); the region in
which ECF is earned, `region.Region`'s.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Literal, NamedTuple

from ..constants import STATUSES
from ..exercise.model import Exercise, Variant
from ..exercise.solve import formula
from .answers import PLAIN_NUMBER, Parsed, parse_answer, written_decimals
from .policy import CAP, Policy
from .policy import EPS as _EPS
from .region import Region, own_hidden_sums
from .region import wrong as _wrong

__all__ = ["CAP", "GradedSubmission", "Mark", "Policy", "Status", "grade_submission"]

Status = Literal["correct", "ecf", "imprecise", "wrong", "blank", "unreadable"]
DEFAULT = Policy()  # the README's: 5 decimals, ±1 unit, full ECF credit


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
    variant: Variant, answers: Mapping[str, object], policy: Policy = DEFAULT
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
            region = Region(variant, policy.decimals, given, own_hidden_sums(variant, answers))
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
    # A copy of the old weight earns no ECF, unless the student's own gradient is exactly 0
    # (a ReLU unit their sum put below the kink): then no change is the right answer.
    if region.copies(sid, a) and not any(marks[n].parsed == 0 for n in names if n in marks):
        return "wrong", r
    return ("ecf" if policy.ecf else "wrong"), r


def _safe(fn: Callable[..., float], args: list[float]) -> float | None:
    """The formula's value, or None where it has none (overflow, division by zero, NaN)."""
    try:
        y = fn(*args)
    except (ArithmeticError, ValueError):
        return None
    return y if math.isfinite(y) else None
