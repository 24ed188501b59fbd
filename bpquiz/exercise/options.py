"""Choosing an exercise: named presets, a course's exercise file, and the command-line options.

Later sources override earlier ones: the article's defaults, then a preset (`--preset`, or
`preset = "…"` in the file), then the file's own settings (`--exercise course.toml`), then each
option given on the command line. Pure: the caller reads the file and passes its text.

A course file is TOML, its keys the options' names (`-` or `_` alike), at the top level or under
`[exercise]`:

    preset = "mazur"
    shape = "2-3-2"          # N-M-K: inputs, hidden units, outputs; each 1 to 4
    hidden_act = "tanh"      # sigmoid, tanh, relu, leaky_relu, linear
    output_act = "sigmoid"   # sigmoid, linear, softmax
    loss = "mse"             # mse, bce, ce
    biases = "per-unit"      # shared, per-unit
    update_biases = true
    second_pass = true
    ask = ["forward", "error", "dE_dw5"]   # or "forward,error,dE_dw5"
    unasked = "given"        # given, computed

and, for `generate` and `solve`, the sheet's `title`, `course`, `decimals`, `paper` and `lr`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import fields
from types import MappingProxyType
from typing import Any

from ..errors import ExerciseError
from .model import Exercise
from .variants import ARTICLE_EXAMPLE

# Each preset: (options, what it is for). Listed in --help.
PRESETS: Mapping[str, tuple[Mapping[str, Any], str]] = MappingProxyType({
    "article": ({}, "the article's 2-2-2 sigmoid network, squared error (the default)"),
    "mazur": ({"second_pass": True},
              "the article's network and a second forward pass: the error fell"),
    "tanh-ce": ({"shape": (2, 3, 2), "hidden": "tanh", "output": "softmax", "loss": "ce",
                 "biases": "per-unit", "update_biases": True},
                "2-3-2, tanh hidden units, softmax outputs, cross-entropy, biases updated"),
    "relu-regression": ({"shape": (2, 3, 1), "hidden": "relu", "output": "linear",
                         "update_biases": True},
                        "2-3-1, ReLU hidden units, a linear output, squared error"),
    "binary": ({"shape": (2, 2, 1), "loss": "bce", "update_biases": True},
               "2-2-1, a sigmoid output with binary cross-entropy, biases updated"),
    "forward-quiz": ({"ask": ("forward", "error")}, "a short quiz: the forward pass and the error"),
    "largest": ({"shape": (4, 4, 4), "update_biases": True, "second_pass": True},
                "4-4-4 sigmoid, biases updated, a second pass: every step asked"),
})  # fmt: skip

# Mazur's "A step by step backpropagation example" (its w2 and w3 are our w3 and w2: contract.md
# numbers the hidden weights source-major): E_total 0.298371109, after one update 0.291027924.
MAZUR_EXAMPLE: Mapping[str, float] = MappingProxyType({
    "i1": 0.05, "i2": 0.10, "w1": 0.15, "w2": 0.25, "w3": 0.20, "w4": 0.30, "w5": 0.40,
    "w6": 0.45, "w7": 0.50, "w8": 0.55, "b1": 0.35, "b2": 0.60, "target1": 0.01,
    "target2": 0.99, "learning_rate": 0.5,
})  # fmt: skip

# The names a course file and the command line use for an Exercise's fields.
ALIASES = {"hidden_act": "hidden", "output_act": "output"}
FIELDS = {f.name for f in fields(Exercise)} - {"name"}
SHEET_KEYS = ("title", "course", "decimals", "paper", "lr", "lang")


def parse_shape(text: Any) -> tuple[int, int, int]:
    """ "2-3-2" (or [2, 3, 2]) as (2, 3, 2); each of N, M, K from 1 to 4."""
    parts = text.split("-") if isinstance(text, str) else text
    try:
        shape = tuple(int(p) for p in parts)
        if len(shape) == 3 and all(1 <= n <= 4 for n in shape):
            return shape  # type: ignore[return-value]
    except (TypeError, ValueError):
        pass
    raise ExerciseError(f"--shape: expected N-M-K with each of N, M, K from 1 to 4, got {text!r}")


def preset(name: str) -> dict[str, Any]:
    if name not in PRESETS:
        raise ExerciseError(f"--preset: unknown preset {name!r} (known: {', '.join(PRESETS)})")
    return dict(PRESETS[name][0])


def read_course_file(text: str, source: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A course file's exercise options (its preset applied first) and sheet settings."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ExerciseError(f"{source}: not valid TOML ({e})") from None
    if isinstance(data.get("exercise"), dict):
        data = {**{k: v for k, v in data.items() if k != "exercise"}, **data["exercise"]}
    options: dict[str, Any] = {}
    sheet: dict[str, Any] = {}
    for raw, value in data.items():
        key = ALIASES.get(raw.replace("-", "_"), raw.replace("-", "_"))
        if key == "preset":
            options = {**preset(str(value)), **options}
        elif key in FIELDS:
            options[key] = parse_shape(value) if key == "shape" else value
        elif key in SHEET_KEYS:
            sheet[key] = value
        else:
            known = ", ".join(["preset", *sorted(FIELDS), *SHEET_KEYS])
            raise ExerciseError(f"{source}: unknown setting {raw!r} (known: {known})")
    if isinstance(options.get("ask"), list):
        options["ask"] = tuple(options["ask"])
    return options, sheet


def build(*layers: Mapping[str, Any], name: str = "") -> Exercise:
    """An Exercise from option layers, later ones overriding earlier ones; None means unset."""
    merged: dict[str, Any] = {}
    for layer in layers:
        merged.update({k: v for k, v in layer.items() if v is not None})
    return Exercise(**merged, name=name)


def example_given(exercise: Exercise) -> dict[str, float]:
    """A worked example's given values: Mazur's for his preset, else the article's, for an
    exercise with the article's given values (2-2-2, shared biases)."""
    given = MAZUR_EXAMPLE if exercise.name == "mazur" else ARTICLE_EXAMPLE
    if tuple(given) != exercise.given_names:
        raise ExerciseError(
            "--example: the worked examples are 2-2-2 with shared biases; this exercise has "
            f"other given values ({', '.join(exercise.given_names)}): use --seed or --given"
        )
    return dict(given)
