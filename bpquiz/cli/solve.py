"""`bpquiz solve`: one variant, every step, in the terminal or as JSON."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from ..constants import DEFAULT_DECIMALS, DEFAULT_TITLE, PAPERS
from ..errors import BpquizError, located
from ..exercise.codes import random_seed
from ..exercise.key import Sheet, variant_dict
from ..exercise.model import Exercise
from ..exercise.options import example_given
from ..exercise.solve import solve
from ..exercise.typeset import Text, lines, phase_title
from ..exercise.variants import draw_variant
from ..files import read_json, write_new
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
        Optional[int],
        typer.Option("--seed", help="The numbers of sheet --index of `generate --seed` (no code)."),
    ] = None,
    index: Annotated[
        int, typer.Option("--index", min=1, help="Which sheet of that run (1 = first).")
    ] = 1,
    key_file: Annotated[
        Optional[Path],
        typer.Option(
            "--key",
            metavar="KEY.json",
            help="A run's key: show the sheet of --version (its exercise, decimals, language "
            "and student come from the key).",
        ),
    ] = None,
    version: Annotated[
        Optional[str],
        typer.Option("--version", metavar="CODE", help="With --key: the sheet's version code."),
    ] = None,
    pdf: Annotated[
        Optional[Path],
        typer.Option(
            "--pdf",
            metavar="FILE.pdf",
            help="Also write the worked solution as a PDF (never over an existing file).",
        ),
    ] = None,
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

        bpquiz solve --key output/seed-42/key.json --version 7W3F6S --pdf 7W3F6S.pdf

        bpquiz solve --seed 42 --index 3 --json

        bpquiz solve --shape 2-3-2 --hidden-act tanh --update-biases --second-pass

        bpquiz solve --preset mazur --example

        bpquiz solve --given my-values.json --decimals 4
    """
    if example + (given is not None) + (seed is not None) + (key_file is not None) > 1:
        raise BpquizError("give only one of --example, --given, --seed and --key")
    if (version is None) != (key_file is None):
        raise BpquizError("--key and --version go together: the key, and the sheet's code in it")
    if pdf is not None and pdf.exists():
        raise BpquizError(f"--pdf: {pdf} exists; give a new file name (nothing was written)")
    page = None
    if key_file is not None:
        if exercise != Exercise() or sheet or lr is not None or decimals is not None:
            raise BpquizError("--key sets the exercise, η and the decimals; drop the other options")
        found, page, paper = _from_key(key_file, str(version))
        variant, decimals = found.variant, page.decimals
        who = " · ".join(x for x in (found.name, found.student_id) if x)
        source = f"{key_file}{f', {who}' if who else ''}"
    else:
        if decimals is None:
            decimals = int(sheet.get("decimals", DEFAULT_DECIMALS))
        lr = lr if lr is not None else sheet.get("lr")
        found = None
        paper = str(sheet.get("paper", "a4"))
        if example or given is not None:
            values = example_given(exercise) if example else read_given(given, exercise)
            if lr is not None:  # --lr applies to the values given too, as in `generate --example`
                values["learning_rate"] = float(lr)
            variant = solve(exercise, values, "")
            source = (
                str(given) if given is not None
                else "Mazur's example" if exercise.name == "mazur" else "the article's example"
            )  # fmt: skip
        else:
            seed = random_seed() if seed is None else seed
            # No version code: a run's codes come from its own random secret (key.json); these
            # are only the numbers that run drew for its sheet `index`, if η was the same.
            variant = draw_variant(exercise, seed, index - 1, decimals, lr)
            fixed = f", η fixed at {lr:g}" if lr is not None else ""
            source = f"seed {seed}, sheet {index}{fixed}"
    if as_json:
        data = {**variant_dict(variant, decimals), "decimals": decimals}
        print(json.dumps(data, indent=1))
    else:
        print_variant(variant, decimals, source)
    if pdf is not None:
        _write_pdf(pdf, found or Sheet(variant), page, paper, decimals)


def _from_key(path: Path, version: str) -> tuple[Sheet, Any, str]:
    """The sheet of `version` in the key at `path`, and the page settings it was printed with."""
    from ..documents import i18n
    from ..documents.views import Page
    from ..grade import key_settings, load_key
    from ..marking.submissions import normalize_version

    key = load_key(path)
    sheets = {normalize_version(s.version): s for s in key.sheets}
    found = sheets.get(normalize_version(version))
    if found is None:
        close = difflib.get_close_matches(normalize_version(version), sheets, n=1, cutoff=0.6)
        hint = f" (did you mean {sheets[close[0]].version}?)" if close else ""
        raise BpquizError(f"{path}: no version {version!r} among its {len(sheets)} sheets{hint}")
    settings = key_settings(key, path)
    page = Page(
        str(settings.get("title") or DEFAULT_TITLE), str(settings.get("course") or ""),
        settings["decimals"], i18n.check(str(settings.get("lang") or "en")),
        bool(settings.get("space", False)),
    )  # fmt: skip
    return found, page, str(settings.get("paper") or "a4")


def _write_pdf(path: Path, sheet: Sheet, page: Any, paper: str, decimals: int) -> None:
    from ..documents import sheets
    from ..documents.views import Page

    page = page or Page(decimals=decimals)
    if paper not in PAPERS:
        paper = "a4"
    try:
        write_new(path, sheets.render_document("solution", sheet, page, paper))
    except FileExistsError:
        message = f"--pdf: {path} exists; give a new file name (nothing was written)"
        raise BpquizError(message) from None
    except OSError as e:
        raise BpquizError(f"--pdf: cannot write {path} ({e.strerror or e})") from None
    out.print(f"Worked solution written to {path}")


def print_variant(variant, decimals: int, source: str) -> None:
    exercise = variant.exercise
    title = f"Version {variant.version}" if variant.version else "Variant"
    out.print(f"[bold]{title}[/] ({source})")
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
