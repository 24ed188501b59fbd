"""The data that flows through bpquiz: the exercise, its step definitions, solved variants.

All frozen: an exercise is described once and a variant computed once, then only read (by the
worksheet, the solution, the key and the grader), so nothing downstream can change a number
behind another part's back.

An `Exercise` is the network and what is asked of it; everything else follows from it: the names
of the given values, the ordered steps with their phases (`bpquiz.exercise.network` builds them),
the question rows of the worksheet. The default is the article's exercise: a 2-2-2 network of
sigmoid units, squared error, one bias per layer shared by its units, biases not updated.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import cache, cached_property
from types import MappingProxyType
from typing import Any

from ..errors import ExerciseError, GivenError
from .expr import Expr

# Phases in the article's order; `after` is the optional second forward pass.
PHASES = ("forward", "error", "output", "hidden", "after")
HIDDEN_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "linear")
OUTPUT_ACTIVATIONS = ("sigmoid", "linear", "softmax")
LOSSES = ("mse", "bce", "ce")
BIASES = ("shared", "per-unit")
UNASKED = ("given", "computed")


@dataclass(frozen=True)
class Label:
    """A step's few words: English text with {placeholders}, and their values. The documents
    translate `text` (a gettext message id) and then fill in the values."""

    text: str
    params: tuple[tuple[str, str], ...] = ()

    def __init__(self, text: str, **params: str):
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "params", tuple(params.items()))

    def __str__(self) -> str:
        return self.text.format(**dict(self.params))

    def translated(self, gettext) -> str:
        return gettext(self.text).format(**dict(self.params))


@dataclass(frozen=True)
class StepDef:
    """One value of the cycle, defined once: its formula computes it and typesets it.

    `inputs` (the names the formula reads) is the dependency graph that error-carried-forward
    grading walks. `chain` and `expanded` are display-only forms for the worked solution;
    `group` keeps steps that belong together on one row of the worksheet. `kind` is
    "component" for a chain-rule factor (the solution writes its formula out where a later step
    uses it), "update" for a new weight or bias, "" otherwise.
    """

    id: str
    phase: str
    label: Label  # a few words for the worksheet and feedback, e.g. "output of h1"
    symbol: Expr
    formula: Expr
    chain: Expr | None = None
    expanded: Expr | None = None
    group: str = ""
    kind: str = ""

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
class Exercise:
    """What the students compute: the network, its loss, what is updated and what is asked.

    `ask` lists the asked step ids in order (empty: every step). A step that an asked step
    reads but that is not asked is printed on the sheet as a given value (`unasked="given"`), or
    left for the student to work out on the way (`unasked="computed"`).
    """

    shape: tuple[int, int, int] = (2, 2, 2)
    hidden: str = "sigmoid"
    output: str = "sigmoid"
    loss: str = "mse"
    biases: str = "shared"
    update_biases: bool = False
    second_pass: bool = False
    ask: tuple[str, ...] = ()
    unasked: str = "given"
    dead_units: bool = False  # allow a dead ReLU unit on purpose (its gradients are then 0)
    name: str = field(default="", compare=False)  # the preset it came from, for people

    def __post_init__(self) -> None:
        shape = tuple(self.shape) if isinstance(self.shape, (tuple, list)) else ()
        if len(shape) != 3 or not all(type(n) is int and 1 <= n <= 4 for n in shape):
            raise ExerciseError(
                f"--shape: expected N-M-K with each of N, M, K from 1 to 4, got {self.shape!r}"
            )
        object.__setattr__(self, "shape", shape)
        for option, value, allowed in (
            ("--hidden-act", self.hidden, HIDDEN_ACTIVATIONS),
            ("--output-act", self.output, OUTPUT_ACTIVATIONS),
            ("--loss", self.loss, LOSSES),
            ("--biases", self.biases, BIASES),
            ("--unasked", self.unasked, UNASKED),
        ):
            if value not in allowed:
                raise ExerciseError(
                    f"{option}: expected one of {', '.join(allowed)}, got {value!r}"
                )
        for option, value in (
            ("--update-biases", self.update_biases),
            ("--second-pass", self.second_pass),
            ("--dead-units", self.dead_units),
        ):
            if not isinstance(value, bool):
                raise ExerciseError(f"{option}: expected true or false, got {value!r}")
        if self.dead_units and self.hidden not in ("relu", "leaky_relu"):
            raise ExerciseError(
                "--dead-units needs ReLU hidden units (--hidden-act relu or leaky_relu)"
            )
        if self.output == "softmax" and shape[2] < 2:
            raise ExerciseError(
                "--output-act softmax needs at least two outputs (K ≥ 2 in --shape)"
            )
        if self.loss == "ce" and self.output != "softmax":
            raise ExerciseError("--loss ce (cross-entropy) needs --output-act softmax")
        if self.output == "softmax" and self.loss != "ce":
            raise ExerciseError("--output-act softmax goes with --loss ce (cross-entropy)")
        if self.loss == "bce" and self.output != "sigmoid":
            raise ExerciseError("--loss bce (binary cross-entropy) needs --output-act sigmoid")
        ask = self.ask.split(",") if isinstance(self.ask, str) else self.ask
        if not isinstance(ask, (tuple, list)) or not all(isinstance(a, str) for a in ask):
            raise ExerciseError(f"--ask: expected phases and step ids, got {self.ask!r}")
        object.__setattr__(self, "ask", self._asked_ids(tuple(a.strip() for a in ask if a.strip())))

    def __reduce__(self):
        # Only the options travel to a worker process, where equal exercises are one object:
        # its steps are built, and its formulas compiled and typeset, once per process.
        return (_interned, tuple(getattr(self, f.name) for f in fields(self)))

    def _asked_ids(self, parts: tuple[str, ...]) -> tuple[str, ...]:
        """`--ask`'s phases (and `update`: every new weight or bias) and step ids as the asked
        step ids in the exercise's order; () when that is every step."""
        chosen: set[str] = set()
        for part in parts:
            if part in PHASES or part == "update":
                found = {s.id for s in self.steps if part in (s.phase, s.kind)}
                if not found:
                    raise ExerciseError(f"--ask: this exercise has no {part} steps")
                chosen |= found
            elif part in self.by_id:
                chosen.add(part)
            else:
                raise ExerciseError(
                    f"--ask: {part!r} is neither a phase ({', '.join(PHASES)}, update) nor a "
                    f"step of this exercise ({self.step_ids[0]}, …, {self.step_ids[-1]})"
                )
        ids = tuple(s for s in self.step_ids if s in chosen)
        return () if ids == self.step_ids else ids

    # --- names ---------------------------------------------------------------------------------

    @cached_property
    def inputs(self) -> tuple[str, ...]:
        return tuple(f"i{k}" for k in range(1, self.shape[0] + 1))

    @cached_property
    def hidden_units(self) -> tuple[str, ...]:
        return tuple(f"h{k}" for k in range(1, self.shape[1] + 1))

    @cached_property
    def output_units(self) -> tuple[str, ...]:
        return tuple(f"o{k}" for k in range(1, self.shape[2] + 1))

    @cached_property
    def weights(self) -> Mapping[str, tuple[str, str]]:
        """Weight name -> (source unit, target unit): hidden weights source-major (i1→h1,
        i1→h2, …), then output weights target-major (h1→o1, h2→o1, …), as in the article."""
        pairs = [(i, h) for i in self.inputs for h in self.hidden_units]
        pairs += [(h, o) for o in self.output_units for h in self.hidden_units]
        return MappingProxyType({f"w{k}": pair for k, pair in enumerate(pairs, start=1)})

    @cached_property
    def biases_of(self) -> Mapping[str, tuple[str, ...]]:
        """Bias name -> the units it feeds: b1 (hidden) and b2 (output) when shared, else one
        per unit named after it (b_h1, b_o2)."""
        if self.biases == "shared":
            return MappingProxyType({"b1": self.hidden_units, "b2": self.output_units})
        units = (*self.hidden_units, *self.output_units)
        return MappingProxyType({f"b_{u}": (u,) for u in units})

    @cached_property
    def bias_of(self) -> Mapping[str, str]:
        """Unit -> its bias."""
        return MappingProxyType({u: b for b, units in self.biases_of.items() for u in units})

    @cached_property
    def targets(self) -> tuple[str, ...]:
        return tuple(f"target{k}" for k in range(1, self.shape[2] + 1))

    @cached_property
    def given_names(self) -> tuple[str, ...]:
        """The given values of a variant, in the key's order."""
        return (*self.inputs, *self.weights, *self.biases_of, *self.targets, "learning_rate")

    @cached_property
    def parameters(self) -> tuple[str, ...]:
        """What one update changes: every weight, and the biases with `update_biases`."""
        return (*self.weights, *(self.biases_of if self.update_biases else ()))

    # --- steps ---------------------------------------------------------------------------------

    @property
    def network(self) -> tuple:
        """The options that make the steps (all but what is asked)."""
        return (self.shape, self.hidden, self.output, self.loss, self.biases,
                self.update_biases, self.second_pass, self.dead_units)  # fmt: skip

    @cached_property
    def steps(self) -> tuple[StepDef, ...]:
        """Every step of the cycle, in the article's order (asked or not)."""
        from .network import build_steps

        return build_steps(self)

    @cached_property
    def step_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.steps)

    @cached_property
    def by_id(self) -> Mapping[str, StepDef]:
        return MappingProxyType({s.id: s for s in self.steps})

    @cached_property
    def updates(self) -> Mapping[str, str]:
        """Parameter (weight or bias) -> the step id of its new value."""
        return MappingProxyType(
            {s.formula.refs()[0]: s.id for s in self.steps if s.kind == "update"}
        )

    @cached_property
    def asked(self) -> tuple[StepDef, ...]:
        """The asked steps, in the article's order."""
        if not self.ask:
            return self.steps
        chosen = set(self.ask)
        return tuple(s for s in self.steps if s.id in chosen)

    @cached_property
    def asked_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.asked)

    @cached_property
    def shown_steps(self) -> tuple[str, ...]:
        """Steps not asked whose values the sheet prints, because an asked step reads them."""
        if self.unasked != "given":
            return ()
        asked = set(self.asked_ids)
        read = {name for s in self.asked for name in s.inputs}
        return tuple(s for s in self.step_ids if s in read and s not in asked)

    @cached_property
    def phases(self) -> tuple[str, ...]:
        """The phases that have asked steps, in order."""
        present = {s.phase for s in self.asked}
        return tuple(p for p in PHASES if p in present)

    @cached_property
    def by_phase(self) -> tuple[tuple[str, tuple[StepDef, ...]], ...]:
        """The asked steps phase by phase: (phase, its steps in order)."""
        return tuple((p, tuple(s for s in self.asked if s.phase == p)) for p in self.phases)

    @cached_property
    def question_rows(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The worksheet's rows: (phase, asked step ids), steps of one group together, at most
        three to a row (a group of four or more is split into rows of two or three)."""
        groups: dict[tuple[str, str], list[str]] = {}
        for s in self.asked:
            groups.setdefault((s.phase, s.group or s.id), []).append(s.id)
        rows = []
        for (phase, _), ids in groups.items():
            count = -(-len(ids) // 3)  # rows needed
            sizes = [len(ids) // count + (k < len(ids) % count) for k in range(count)]
            start = 0
            for size in sizes:
                rows.append((phase, tuple(ids[start : start + size])))
                start += size
        return tuple(rows)

    # --- given values --------------------------------------------------------------------------

    def read_given(self, data: Any) -> Mapping[str, float]:
        """A {name: number} object (e.g. a parsed --given file) as given values, naming what is
        missing, unknown or not a finite number."""
        names = self.given_names
        if not isinstance(data, Mapping):
            raise GivenError(f"expected an object with the names {', '.join(names)}")
        missing = [n for n in names if n not in data]
        if missing:
            raise GivenError(f"missing given value(s): {', '.join(missing)}")
        unknown = [str(k) for k in data if k not in names]
        if unknown:
            raise GivenError(f"unknown name(s): {', '.join(unknown)} (expected {', '.join(names)})")
        values = {}
        for name in names:
            x = data[name]
            # bool is an int subclass; "true" is no weight.
            if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
                raise GivenError(f"{name}: expected a finite number, got {x!r}")
            values[name] = float(x)
        return MappingProxyType(values)

    # --- the record in key.json ----------------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        """The `exercise` object of key.json and `solve --json` (contract.md)."""
        return {
            "shape": list(self.shape),
            "hidden": self.hidden,
            "output": self.output,
            "loss": self.loss,
            "biases": self.biases,
            "update_biases": self.update_biases,
            "second_pass": self.second_pass,
            "ask": list(self.asked_ids),
            "unasked": self.unasked,
            "dead_units": self.dead_units,
            "weights": {w: list(pair) for w, pair in self.weights.items()},
            "biases_of": {b: list(units) for b, units in self.biases_of.items()},
        }

    @classmethod
    def from_dict(cls, data: Any) -> Exercise:
        """An `exercise` object read back; a key without one is the article's exercise."""
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise ExerciseError(f'"exercise" must be an object, got {type(data).__name__}')
        known = {f.name for f in fields(cls)} - {"name"}
        options = {k: v for k, v in data.items() if k in known}
        if "shape" in options:
            shape = options["shape"]
            options["shape"] = tuple(shape) if isinstance(shape, (list, tuple)) else shape
        if "ask" in options and isinstance(options["ask"], list):
            options["ask"] = tuple(options["ask"])
        return cls(**options)


@cache
def _interned(*options: Any) -> Exercise:
    return Exercise(*options)


@dataclass(frozen=True)
class Variant:
    """One student's exercise: the given values and every step's value (full float64)."""

    exercise: Exercise
    version: str
    given: Mapping[str, float]
    values: Mapping[str, float]  # step id -> value, in the exercise's order

    @property
    def steps(self) -> tuple[Step, ...]:
        return tuple(Step(d, self.values[d.id]) for d in self.exercise.steps)

    def env(self) -> dict[str, float]:
        """Every named quantity: given values and step values."""
        return {**self.given, **self.values}
