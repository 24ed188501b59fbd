"""The `bpquiz` command: thin typer commands that call the library.

Errors a user can cause (a bad file, a bad option value) end in one line on stderr and exit code 2,
never a traceback: commands raise `UserError`, `main()` prints it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from . import __version__
from .expr import Text
from .keyfile import variant_dict
from .model import PHASES, Given, GivenError
from .network import solve, typeset
from .variants import ARTICLE_EXAMPLE, DrawError, draw_variant, random_seed, run_secret, version_codes

app = typer.Typer(
    name="bpquiz",
    no_args_is_help=True,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


class UserError(Exception):
    """A problem with the user's input, reported as one line: 'error: <message>'."""


def version_callback(value: bool) -> None:
    if value:
        print(f"bpquiz {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=version_callback, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """One backpropagation exercise per student: worksheets, worked solutions, automatic grading.

    A 2-2-2 sigmoid network (the article's), randomized per student: `generate` a class set,
    `solve` one variant, `grade` what comes back. `bpquiz COMMAND --help` shows examples.
    """


Decimals = Annotated[
    int, typer.Option("--decimals", min=4, max=8, help="Decimals shown and asked for (4–8).")
]
LearningRate = Annotated[
    Optional[float],
    typer.Option("--lr", min=0.001, max=10.0, help="Fix the learning rate η (default: drawn from 0.1, 0.2, …, 1.0)."),
]


def read_given(path: Path) -> Given:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: cannot read ({e})") from None
    except json.JSONDecodeError as e:
        raise UserError(f"{path}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    try:
        return Given.from_mapping(data)
    except GivenError as e:
        raise UserError(f"{path}: {e}") from None


@app.command("solve")
def solve_command(
    example: Annotated[bool, typer.Option("--example", help="The article's own values (η = 0.6).")] = False,
    given: Annotated[
        Optional[Path], typer.Option("--given", metavar="FILE.json", help="A JSON object with i1, i2, w1…w8, b1, b2, target1, target2, learning_rate.")
    ] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="The run seed of `generate` (default: random).")] = None,
    index: Annotated[int, typer.Option("--index", min=1, help="Which sheet of that run (1 = first).")] = 1,
    decimals: Decimals = 5,
    lr: LearningRate = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one VARIANT object (contract.md) instead of a table.")] = False,
) -> None:
    """Solve one variant and print every step: id, formula, numbers, value.

    Examples:

        bpquiz solve --example

        bpquiz solve --seed 42 --index 3 --json

        bpquiz solve --given my-values.json --decimals 4
    """
    if example + (given is not None) + (seed is not None) > 1:
        raise UserError("give only one of --example, --given and --seed")
    if example:
        variant = solve(ARTICLE_EXAMPLE, "ARTICLE")
        source = "the article's example"
    elif given is not None:
        variant = solve(read_given(given), "GIVEN")
        source = str(given)
    else:
        seed = random_seed() if seed is None else seed
        code = version_codes(run_secret(seed), index)[-1]
        try:
            variant = draw_variant(seed, index - 1, decimals, lr, version=code)
        except DrawError as e:
            raise UserError(str(e)) from None
        source = f"seed {seed}, sheet {index}"
    if as_json:
        print(json.dumps({**variant_dict(variant, decimals), "decimals": decimals}, indent=1))
        return
    print_variant(variant, decimals, source)


def print_variant(variant, decimals: int, source: str) -> None:
    given = variant.given.as_dict()
    out.print(f"[bold]Variant {variant.version}[/] ({source})")
    out.print("Given: " + ", ".join(f"{k} = {v:g}" for k, v in given.items()))
    sym, num = Text(), Text(numeric=True)
    for phase, title in PHASES.items():
        table = Table(title=title, title_justify="left", title_style="bold", show_edge=False)
        table.add_column("step", style="cyan", no_wrap=True)
        table.add_column("formula and numbers")
        table.add_column("value", justify="right", no_wrap=True)
        for step in variant.steps:
            d = step.definition
            if d.phase == phase:
                formula = (
                    f"{typeset(d.symbol, sym)} = {typeset(d.formula, sym)}\n"
                    f"  = {typeset(d.formula, num, variant, decimals)}"
                )
                table.add_row(step.id, formula, sym.number(step.value, decimals))
        out.print()
        out.print(table)


def main() -> None:
    try:
        app()
    except UserError as e:
        err.print(f"[red]error:[/] {e}", soft_wrap=True)
        sys.exit(2)
