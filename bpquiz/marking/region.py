"""Which of a student's wrong answers may carry error carried forward (`Region`); pure.

The region: ECF is earned only inside what the draws accept
------------------------------------------------------------
A variant is drawn again until its values make a fair exercise (`variants.value_rules`). The
grader asks the same of a student's own values, with a margin of 0.01 where the draws keep 0.05:

- sigmoid and softmax outputs in (0.01, 0.99), tanh outputs within ±0.99, each output 0.01 or
  more from its target, a ReLU sum 0.01 or more from the kink;
- a ReLU unit that the student's own sum puts below the kink is an honest 0 (its output, its
  slope, the gradients through it) while another hidden unit stays alive; all of them dead is out
  (with dead units on purpose: a live unit beside a dead one, as the draws have);
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
old weight, however reached), which earns no ECF (unless the student's own gradient is exactly 0,
as through a unit their sum put below a ReLU's kink) but, reached honestly, carries on to the
second pass.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Literal

from ..exercise.model import Variant
from ..exercise.variants import live_beside_dead, value_rules
from .answers import Parsed, parse_answer

STUDENT_MARGIN = 0.01  # the region's margin for a student's values (where the draws keep 0.05)
EXTREME = 100.0  # a value beyond 100 × max(1, |key|) is out: no draw comes near it


def own_hidden_sums(variant: Variant, answers: Mapping[str, object]) -> list[float]:
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
        self.rules = _rules(exercise, decimals, STUDENT_MARGIN, alive=False)
        self.computed_rules = _rules(
            exercise, decimals, STUDENT_MARGIN, significant=False, changes=False, alive=False
        )
        self.updated = {sid: p for p, sid in exercise.updates.items()}
        self.decimals = decimals
        self.given = given
        self.key = variant.values
        self.out: set[str] = set()
        # A ReLU unit the student's own sum puts below the kink is an honest 0 (its output, its
        # slope, the gradients through it), while another unit stays alive; with dead units on
        # purpose, a live unit beside a dead one, as the draws have.
        relu = exercise.hidden == "relu"
        if exercise.dead_units:
            self.dead_ok = live_beside_dead(sums)
        else:
            self.dead_ok = not relu or any(x > 0 for x in sums)
        self.sums = {f"sum_{u}" for u in exercise.hidden_units} if relu else set()

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


def wrong(region: Region, sid: str, a: float) -> Literal["wrong"]:
    """A wrong answer, which carries ECF on only if it lies inside the region."""
    if not region.inside(sid, a):
        region.out.add(sid)
    return "wrong"
