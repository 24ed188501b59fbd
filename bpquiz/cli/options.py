"""Options that several commands share, and the exercise options `solve` and `generate` take.

`@exercise_options` adds the same exercise options to a command (written once here) and hands
it the chosen `exercise` and the course file's `sheet` settings instead.
"""

from __future__ import annotations

import functools
import inspect
import typing
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from ..errors import BpquizError, located
from ..exercise.model import BIASES, HIDDEN_ACTIVATIONS, LOSSES, OUTPUT_ACTIVATIONS, PHASES
from ..exercise.options import PRESETS, build, parse_shape, preset, read_course_file

Decimals = Annotated[
    Optional[int],
    typer.Option("--decimals", min=4, max=8, help="Decimals shown and asked for (4–8; default 5)."),
]
LearningRate = Annotated[
    Optional[float],
    typer.Option(
        "--lr",
        min=0.01,
        max=10.0,
        help="Fix the learning rate η, 0.01 to 10 (default: drawn from 0.1, 0.2, …, 1.0); "
        "every sheet's updates still change each weight at the asked decimals.",
    ),
]
Lang = Annotated[
    Optional[str],
    typer.Option(
        "--lang",
        metavar="en|de|fr|es",
        help="The documents' language (default en; a catalog per language).",
    ),
]
Paper = Annotated[
    Optional[str],
    typer.Option("--paper", help="Paper size: a4 or letter (default a4).", metavar="a4|letter"),
]

_PRESETS = "; ".join(f"`{name}`: {text}" for name, (_, text) in PRESETS.items())
EXERCISE = "Exercise"  # the help panel of these options

EXERCISE_OPTIONS: dict[str, Any] = {
    "preset_name": Annotated[Optional[str], typer.Option(
        "--preset", metavar="NAME", rich_help_panel=EXERCISE,
        help=f"A named exercise: {_PRESETS}.")],
    "course_file": Annotated[Optional[Path], typer.Option(
        "--exercise", metavar="FILE.toml", rich_help_panel=EXERCISE,
        help="A course's exercise file (TOML: the options below by name; see the README). "
        "Options given here override it.")],
    "shape": Annotated[Optional[str], typer.Option(
        "--shape", metavar="N-M-K", rich_help_panel=EXERCISE,
        help="Inputs, hidden units, outputs; each 1 to 4 (default 2-2-2).")],
    "hidden": Annotated[Optional[str], typer.Option(
        "--hidden-act", metavar="|".join(HIDDEN_ACTIVATIONS), rich_help_panel=EXERCISE,
        help="The hidden units' activation (default sigmoid; leaky_relu's slope is 0.01).")],
    "output": Annotated[Optional[str], typer.Option(
        "--output-act", metavar="|".join(OUTPUT_ACTIVATIONS), rich_help_panel=EXERCISE,
        help="The output units' activation (default sigmoid; softmax needs two outputs).")],
    "loss": Annotated[Optional[str], typer.Option(
        "--loss", metavar="|".join(LOSSES), rich_help_panel=EXERCISE,
        help="mse: Σ ½(target − out)² (default); bce: binary cross-entropy (sigmoid outputs); "
        "ce: cross-entropy (softmax outputs, one-hot targets).")],
    "biases": Annotated[Optional[str], typer.Option(
        "--biases", metavar="|".join(BIASES), rich_help_panel=EXERCISE,
        help="shared: b1 for the hidden units, b2 for the outputs (default); per-unit: "
        "b_h1, b_h2, …, b_o1, ….")],
    "update_biases": Annotated[Optional[bool], typer.Option(
        "--update-biases/--no-update-biases", rich_help_panel=EXERCISE, show_default=False,
        help="Also ask ∂E/∂b and the new biases.")],
    "second_pass": Annotated[Optional[bool], typer.Option(
        "--second-pass/--no-second-pass", rich_help_panel=EXERCISE, show_default=False,
        help="Also ask the forward pass with the new weights, ending in E_total_after.")],
    "ask": Annotated[Optional[str], typer.Option(
        "--ask", metavar="PARTS", rich_help_panel=EXERCISE,
        help=f"Ask only these: a comma list of phases ({', '.join(PHASES)}, update) and/or "
        "step ids (default: everything).")],
    "unasked": Annotated[Optional[str], typer.Option(
        "--unasked", metavar="given|computed", rich_help_panel=EXERCISE,
        help="A step an asked step needs but that is not asked: printed on the sheet (given, "
        "the default) or left for the student to work out (computed).")],
    "dead_units": Annotated[Optional[bool], typer.Option(
        "--dead-units/--no-dead-units", rich_help_panel=EXERCISE, show_default=False,
        help="ReLU: draw a dead hidden unit on purpose (its gradients are 0).")],
}  # fmt: skip


def choose_exercise(chosen: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The Exercise the options name (preset < file < options), and the file's sheet settings."""
    layers: list[dict[str, Any]] = []
    name = chosen.pop("preset_name") or ""
    if name:
        layers.append(preset(name))
    sheet: dict[str, Any] = {}
    path = chosen.pop("course_file")
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise BpquizError(f"--exercise: {path}: no such file") from None
        except (OSError, UnicodeDecodeError) as e:
            raise BpquizError(f"--exercise: {path}: cannot read ({e})") from None
        from_file, sheet = read_course_file(text, str(path))
        with located(path):  # the file's own settings, checked on their own: named by the file
            build(*layers, from_file)
        layers.append(from_file)
    if chosen.get("shape") is not None:
        chosen["shape"] = parse_shape(chosen["shape"])
    layers.append(chosen)
    return build(*layers, name=name), sheet


def exercise_options(command):
    """Give `command` the exercise options; it is called with `exercise=` and `sheet=`."""
    signature = inspect.signature(command)
    hints = typing.get_type_hints(command, include_extras=True)  # typer reads real annotations
    kept = [
        p.replace(annotation=hints.get(name, p.annotation))
        for name, p in signature.parameters.items()
        if name not in ("exercise", "sheet")
    ]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=kind)
        for name, kind in EXERCISE_OPTIONS.items()
    ]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> Any:
        chosen = {name: kwargs.pop(name) for name in EXERCISE_OPTIONS}
        exercise, sheet = choose_exercise(chosen)
        return command(**kwargs, exercise=exercise, sheet=sheet)

    wrapper.__signature__ = signature.replace(parameters=[*kept, *added])  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in [*kept, *added]}
    return wrapper


def parse_points(items: list[str]) -> dict[str, float]:
    """`--points STEP=N` / `PHASE=N` options (repeatable) as {name: points}."""
    points: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            points[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise BpquizError(
                f"--points {item}: expected STEP=N or PHASE=N, e.g. E_total=2 or hidden=0.5"
            )
    return points
