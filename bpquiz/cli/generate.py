"""`bpquiz generate`: a class set, with a progress bar and a summary of what was written."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from ..constants import DEFAULT_DECIMALS, DEFAULT_TITLE, PAPER_NAMES, PAPERS
from ..documents import i18n
from ..errors import BpquizError
from ..exercise.codes import random_seed
from ..exercise.model import Exercise
from . import app
from .console import err
from .options import Decimals, Lang, LearningRate, Paper, exercise_options


@app.command("generate")
@exercise_options
def generate_command(
    n: Annotated[
        Optional[int],
        typer.Option(
            "--n",
            min=1,
            max=5000,
            help="How many sheets (default 30; with --roster: one per student).",
        ),
    ] = None,
    seed: Annotated[
        Optional[int],
        typer.Option(
            "--seed",
            help="Run seed; the same seed and options draw the same numbers, under new version "
            "codes (default: random, recorded in key.json). --from-key remakes a run's files.",
        ),
    ] = None,
    out_dir: Annotated[
        Optional[Path],
        typer.Option("--out", metavar="FOLDER", help="Output folder (default: output/seed-SEED)."),
    ] = None,
    example: Annotated[
        bool, typer.Option("--example", help="A set of one: the article's own variant (η = 0.6).")
    ] = False,
    title: Annotated[
        Optional[str],
        typer.Option("--title", help=f"Title printed on every sheet (default: {DEFAULT_TITLE})."),
    ] = None,
    course: Annotated[
        Optional[str], typer.Option("--course", help="Course name printed under the title.")
    ] = None,
    roster: Annotated[
        Optional[Path],
        typer.Option(
            "--roster",
            metavar="FILE.csv",
            help="CSV with columns student_id,name: one personal worksheet each, name printed "
            "on it.",
        ),
    ] = None,
    paper: Paper = None,
    lang: Lang = None,
    space: Annotated[
        bool, typer.Option("--space", help="Room for working under each question (paper exams).")
    ] = False,
    decimals: Decimals = None,
    lr: LearningRate = None,
    jobs: Annotated[
        Optional[int],
        typer.Option("--jobs", min=1, help="Parallel rendering processes (default: all cores)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Write into an existing, non-empty output folder.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar and no summary.")
    ] = False,
    resume: Annotated[
        Optional[Path],
        typer.Option(
            "--resume",
            metavar="FOLDER",
            help="Complete a run that stopped early (Ctrl-C, a full disk): make the documents "
            "and print files it has not written, from its own key.json.",
        ),
    ] = None,
    key_file: Annotated[
        Optional[Path],
        typer.Option(
            "--from-key",
            metavar="KEY.json",
            help="Make an earlier run's files again, byte for byte, from its key.json (a lost "
            "or spoiled PDF); give --out, and no other option of the run.",
        ),
    ] = None,
    *,
    exercise: Exercise,
    sheet: dict,
) -> None:
    """Write a print-ready class set: worksheets, worked solutions, answer key, print files.

    Writes `worksheets/CODE.pdf` and `solutions/CODE.pdf` (one per student, named by version
    code), `print/worksheets.pdf` and `print/solutions.pdf` (everything merged, each document
    padded to an even page count for double-sided printing), `key.json`, `key.csv` and
    `answers-template.csv`. Keep key.json from students: it maps version codes to answers.

    Examples:

        bpquiz generate --n 30 --course "ML 101"

        bpquiz generate --roster class.csv --paper letter --seed 42

        bpquiz generate --example --out output/article

        bpquiz generate --n 30 --exercise course.toml

        bpquiz generate --n 30 --preset tanh-ce --ask forward,error,output

        bpquiz generate --n 30 --lang de --space

        bpquiz generate --from-key output/seed-42/key.json --out output/again

        bpquiz generate --resume output/seed-42
    """
    from ..generate import Settings, default_out, from_key
    from ..roster import read_roster

    if resume is not None:
        key_file, out_dir = resume / "key.json", resume
    if key_file is not None:
        from ..grade import load_key

        given = {"--n": n, "--seed": seed, "--title": title, "--course": course,
                 "--roster": roster, "--decimals": decimals, "--lr": lr, "--paper": paper,
                 "--lang": lang, "--example": example or None,
                 "--space": space or None}  # fmt: skip
        extra = [name for name, value in given.items() if value is not None]
        if extra or exercise != Exercise() or sheet:
            named = ", ".join(extra) or "the exercise options"
            how = "--resume" if resume is not None else "--from-key"
            raise BpquizError(f"{how} takes the run's own settings from its key; drop {named}")
        if out_dir is None:
            raise BpquizError("--from-key: give --out FOLDER for the files made again")
        if resume is not None and not key_file.is_file():
            raise BpquizError(f"--resume: {key_file} is missing: {resume} holds no run to complete")
        settings, planned = from_key(load_key(key_file))
        _run(settings, out_dir, None, jobs, force, quiet, planned, resume is not None)
        return

    paper = str(paper if paper is not None else sheet.get("paper", "a4")).lower()
    if paper not in PAPERS:
        raise BpquizError(f"--paper: expected a4 or letter, got {paper!r}")
    if example and roster is not None:
        raise BpquizError("--example makes a set of one; it cannot be combined with --roster")
    if example and n not in (None, 1):
        raise BpquizError("--example makes a set of one; leave out --n")
    if roster is not None and n is not None:
        raise BpquizError("--roster sets the number of sheets (one per student); leave out --n")
    students = read_roster(roster) if roster is not None else None
    count = 1 if example else len(students) if students else (n or 30)
    settings = Settings(
        n=count,
        seed=random_seed() if seed is None else seed,
        decimals=_pick(decimals, sheet, "decimals", DEFAULT_DECIMALS, int),
        learning_rate=_pick(lr, sheet, "lr", None, float),
        paper=paper,
        title=_pick(title, sheet, "title", DEFAULT_TITLE, str),
        course=_pick(course, sheet, "course", "", str),
        example=example,
        roster=roster.name if roster is not None else None,
        lang=i18n.check(_pick(lang, sheet, "lang", "en", str)),
        space=space,
        exercise=exercise,
    )
    target = out_dir if out_dir is not None else default_out(settings)
    _run(settings, target, students, jobs, force, quiet)


def _run(settings, target, students, jobs, force, quiet, planned=None, resume=False) -> None:
    """Generate, with a progress bar where someone watches, then the summary and failures."""
    from ..generate import generate

    started = time.perf_counter()
    if quiet or not err.is_terminal:  # a bar only where someone watches it
        result = generate(
            settings, target, students, jobs=jobs, force=force, planned=planned, resume=resume
        )
    else:
        result = _generate_with_progress(settings, target, students, jobs, force, planned, resume)
    if not quiet:
        for warning in result.warnings:
            err.print(f"[yellow]warning:[/] {warning}", soft_wrap=True)
        _print_summary(result, settings, time.perf_counter() - started)
    if result.failed or result.errors:
        _report_failures(result, target)


def _report_failures(result, target) -> None:
    """One line per kind of failure (a full disk fails every document the same way), each
    naming the sheets it struck; then what to do."""
    by_error: dict[str, list[str]] = {}
    for failure in result.failed:
        for part in failure.error.split("; "):
            by_error.setdefault(part, []).append(f"{failure.index + 1} ({failure.version})")
    for error, sheets in by_error.items():
        more = f" and {len(sheets) - 8} more" if len(sheets) > 8 else ""
        err.print(f"[red]error:[/] {error} — sheet{'s' * (len(sheets) > 1)} "
                  f"{', '.join(sheets[:8])}{more}", soft_wrap=True)  # fmt: skip
    for error in result.errors:
        err.print(f"[red]error:[/] {error}", soft_wrap=True)
    what = f"{len(result.failed)} of {len(result.sheets)} sheets are incomplete" if result.failed \
        else "the print files are incomplete"  # fmt: skip
    raise BpquizError(
        f"{what}; the rest is in {target}; once the cause is fixed, "
        f"bpquiz generate --resume {target} makes what is missing"
    )


def _pick(given, sheet: dict, key: str, default, kind):
    """An option as given, else the course file's setting, else the default."""
    if given is not None:
        return given
    if key not in sheet:
        return default
    try:
        return kind(sheet[key])
    except (TypeError, ValueError):
        raise BpquizError(
            f"--exercise: {key}: expected a {kind.__name__}, got {sheet[key]!r}"
        ) from None


def _generate_with_progress(settings, target, students, jobs, force, planned=None, resume=False):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..generate import generate

    columns = (
        TextColumn("[bold]rendering[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("documents"),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("", total=None)

        def progress(done: int, total: int, what: str) -> None:
            bar.update(task, completed=done, total=total, description=what)

        return generate(
            settings, target, students, jobs=jobs, force=force, progress=progress,
            planned=planned, resume=resume,
        )  # fmt: skip


def _print_summary(result, settings, seconds: float) -> None:
    sheets = len(result.sheets)
    ok = sheets - len(result.failed)
    who = (
        f"{sheets} students from {settings.roster}"
        if settings.roster
        else f"{sheets} sheet{'s' * (sheets != 1)}"
    )
    paper = PAPER_NAMES[settings.paper]
    err.print(
        f"[bold]bpquiz generate[/]: {who}, seed {settings.seed}, {paper}, "
        f"{settings.decimals} decimals, "
        f"{seconds:.1f} s → {result.out}/",
        soft_wrap=True,
    )
    table = Table(
        show_header=False, show_edge=False, box=None, pad_edge=False, padding=(0, 2, 0, 0)
    )
    table.add_column(style="cyan", no_wrap=True)
    table.add_column()
    table.add_row("worksheets/", f"{ok} fillable worksheets, one PDF per student")
    table.add_row("solutions/", f"{ok} worked solutions, one PDF per student")
    for kind in ("worksheets", "solutions"):
        if kind in result.pages:
            table.add_row(
                f"print/{kind}.pdf",
                f"all {kind}, {result.pages[kind]} pages, for double-sided print",
            )
    table.add_row("key.json", "answer key and run secret: keep it from students")
    table.add_row("key.csv", "the key for spreadsheets, a row per sheet")
    table.add_row("answers-template.csv", "answers CSV to fill in, a row per sheet")
    err.print(table)
