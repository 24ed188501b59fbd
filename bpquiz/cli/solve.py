"""`bpquiz solve`: one variant, every step, in the terminal or as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from ..constants import DEFAULT_DECIMALS
from ..errors import BpquizError, located
from ..exercise.codes import random_seed, run_secret, version_codes
from ..exercise.key import variant_dict
from ..exercise.model import Exercise
from ..exercise.options import example_given
from ..exercise.solve import solve
from ..exercise.typeset import Text, lines, phase_title
from ..exercise.variants import draw_variant
from ..files import read_json
from . import app
from .console import out
from .options import Decimals, LearningRate, exercise_options


def read_given(path: Path, exercise: Exercise) -> dict[str, float]:
    data = read_json(path)
    with located(path):
        return dict(exercise.read_given(data))


@app.command("solve")
@exercise_options
def solve_command(
    example: Annotated[
        bool,
        typer.Option(
            "--example",
            help="The article's own values (η = 0.6); with --preset mazur, Mazur's (η = 0.5).",
        ),
    ] = False,
    given: Annotated[
        Optional[Path],
        typer.Option(
            "--given",
            metavar="FILE.json",
            help="A JSON object with the given values (for the article's exercise: i1, i2, "
            "w1…w8, b1, b2, target1, target2, learning_rate).",
        ),
    ] = None,
    seed: Annotated[
        Optional[int], typer.Option("--seed", help="The run seed of `generate` (default: random).")
    ] = None,
    index: Annotated[
        int, typer.Option("--index", min=1, help="Which sheet of that run (1 = first).")
    ] = 1,
    decimals: Decimals = None,
    lr: LearningRate = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print one VARIANT object (contract.md) instead of a table."),
    ] = False,
    *,
    exercise: Exercise,
    sheet: dict,
) -> None:
    """Solve one variant and print every step: id, formula, numbers, value.

    Examples:

        bpquiz solve --example

        bpquiz solve --seed 42 --index 3 --json

        bpquiz solve --shape 2-3-2 --hidden-act tanh --update-biases --second-pass

        bpquiz solve --preset mazur --example

        bpquiz solve --given my-values.json --decimals 4
    """
    if example + (given is not None) + (seed is not None) > 1:
        raise BpquizError("give only one of --example, --given and --seed")
    decimals = decimals if decimals is not None else int(sheet.get("decimals", DEFAULT_DECIMALS))
    lr = lr if lr is not None else sheet.get("lr")
    if example:
        variant = solve(exercise, example_given(exercise), exercise.name.upper() or "ARTICLE")
        source = "Mazur's example" if exercise.name == "mazur" else "the article's example"
    elif given is not None:
        variant = solve(exercise, read_given(given, exercise), "GIVEN")
        source = str(given)
    else:
        seed = random_seed() if seed is None else seed
        code = version_codes(run_secret(seed), index)[-1]
        variant = draw_variant(exercise, seed, index - 1, decimals, lr, version=code)
        source = f"seed {seed}, sheet {index}"
    if as_json:
        data = {**variant_dict(variant, decimals), "decimals": decimals}
        print(json.dumps(data, indent=1))
        return
    print_variant(variant, decimals, source)


def print_variant(variant, decimals: int, source: str) -> None:
    exercise = variant.exercise
    out.print(f"[bold]Variant {variant.version}[/] ({source})")
    out.print("Given: " + ", ".join(f"{k} = {v:g}" for k, v in variant.given.items()))
    for phase, definitions in exercise.by_phase:
        table = Table(
            title=phase_title(exercise, phase),
            title_justify="left",
            title_style="bold",
            show_edge=False,
        )
        table.add_column("step", style="cyan", no_wrap=True)
        table.add_column("formula and numbers")
        table.add_column("value", justify="right", no_wrap=True)
        for d in definitions:
            shown = lines(d, TEXT, exercise, variant, decimals)
            table.add_row(
                d.id, f"{shown.symbol} = {shown.formula}\n  = {shown.numbers}", shown.result
            )
        out.print()
        out.print(table)


TEXT = Text()
