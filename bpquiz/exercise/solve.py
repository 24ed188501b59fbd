"""Solving an exercise: its steps compiled once into one function, run on given values.

`program(exercise)` is the whole cycle — forward pass, error, backward pass, updates — as one
Python function of the given values (in `exercise.given_names` order) that returns every step's
value in the exercise's order. With `MATH` it solves one variant; with numpy's library it solves
columns of many variants at once (the key check). `formula(exercise, step_id)` is one step's
formula as a function of its inputs, for grading a student's own earlier answers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from types import MappingProxyType

from .expr import MATH, compile_formula, compile_function, numpy_library
from .model import Exercise, Variant


@cache
def program(exercise: Exercise, library: str = "math") -> Callable[..., tuple]:
    """The exercise's cycle as one function (see the module docstring); library "math" or
    "numpy"."""
    lib = MATH if library == "math" else numpy_library()
    return compile_function(exercise.given_names, [(s.id, s.formula) for s in exercise.steps], lib)


def solve(exercise: Exercise, given: Mapping[str, float], version: str = "") -> Variant:
    """Run one forward and one backward pass; every step's value at full float64 precision.

    `given` must hold every name of `exercise.given_names` (see `Exercise.read_given`).
    """
    values = program(exercise)(*(given[name] for name in exercise.given_names))
    return Variant(
        exercise,
        version,
        MappingProxyType({name: given[name] for name in exercise.given_names}),
        MappingProxyType(dict(zip(exercise.step_ids, values))),
    )


@cache
def formula(exercise: Exercise, step_id: str) -> tuple[tuple[str, ...], Callable[..., float]]:
    """A step's inputs (`StepDef.inputs`) and its formula as a function of them, in that order."""
    return compile_formula(exercise.by_id[step_id].formula)


def carried(variant: Variant, decimals: int) -> dict[str, float]:
    """Every step as a student carries it: computed from the given values and the earlier
    results rounded to `decimals`, then rounded itself (the key keeps the exact values)."""
    exercise = variant.exercise
    env = dict(variant.given)
    for step in exercise.steps:
        names, fn = formula(exercise, step.id)
        env[step.id] = float(f"{fn(*(env[n] for n in names)):.{decimals}f}")
    return {sid: env[sid] for sid in exercise.step_ids}
