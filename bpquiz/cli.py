"""The `bpquiz` command: thin typer commands that call the library.

Errors a user can cause (a bad file, a bad option value) end in one line on stderr and exit code 2,
never a traceback: commands raise `UserError`, `main()` prints it.
"""

from __future__ import annotations

import json
import sys
import time
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


# --- grade ---------------------------------------------------------------------------------------


def _parse_points(items: list[str]) -> dict[str, float]:
    points: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            points[name.strip()] = float(value)
        except ValueError:
            raise UserError(f"--points {item}: expected STEP=N or PHASE=N, e.g. E_total=2 or hidden=0.5") from None
        if not sep:
            raise UserError(f"--points {item}: expected STEP=N or PHASE=N, e.g. E_total=2 or hidden=0.5")
    return points


@app.command("grade")
def grade_command(
    submissions: Annotated[
        list[Path], typer.Argument(metavar="SUBMISSIONS...", help="Answers CSV/JSON files, filled worksheet PDFs, or folders of them.", show_default=False)
    ],
    key: Annotated[Path, typer.Option("--key", metavar="KEY.json", help="The key.json of the run the worksheets came from.", show_default=False)],
    out_dir: Annotated[Optional[Path], typer.Option("--out", metavar="DIR", help="Where to write the gradebook and reports (default: 'graded' beside the key).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing gradebook in DIR.")] = False,
    decimals: Annotated[Optional[int], typer.Option("--decimals", min=0, max=15, help="Decimals asked for (default: the key's).")] = None,
    atol: Annotated[Optional[float], typer.Option("--atol", min=0.0, help="Absolute tolerance (default: one unit in the last decimal).")] = None,
    rtol: Annotated[Optional[float], typer.Option("--rtol", min=0.0, help="Relative tolerance, e.g. 1e-4.")] = None,
    sig_figs: Annotated[Optional[int], typer.Option("--sig-figs", min=1, max=15, help="Accept answers agreeing to this many significant figures.")] = None,
    ecf_credit: Annotated[float, typer.Option("--ecf-credit", min=0.0, max=1.0, help="Share of a step's points for an error carried forward.")] = 1.0,
    no_ecf: Annotated[bool, typer.Option("--no-ecf", help="No error carried forward: a step is correct or wrong.")] = False,
    points: Annotated[list[str], typer.Option("--points", metavar="ID=N", help="Points for a step id or a phase (forward, error, output, hidden); repeatable.")] = [],  # noqa: B006
    step_points: Annotated[float, typer.Option("--step-points", min=0.0, help="Points of every other step.")] = 1.0,
    feedback: Annotated[bool, typer.Option("--feedback/--no-feedback", help="Write a feedback PDF per student.")] = True,
    summary: Annotated[bool, typer.Option("--summary/--no-summary", help="Write summary.pdf with the class statistics.")] = True,
    jobs: Annotated[Optional[int], typer.Option("--jobs", min=1, help="Worker processes for PDFs (default: all cores).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no warnings; problems and the result only.")] = False,
) -> None:
    """Grade filled worksheets and answer files against a key; write a gradebook, feedback and a summary.

    Each submission is matched to its variant by its version code. Steps are correct (within the
    tolerance, or following from the student's own correct rounded answers), ecf (right for the
    student's own wrong earlier answers), wrong, blank or unreadable.

    Writes to DIR: gradebook.csv, grades.json, problems.csv, summary.pdf, feedback/STUDENT.pdf.
    Exit code: 0 all graded; 1 graded, but some files, rows or submissions had problems (each
    named on one line and in problems.csv); 2 nothing graded: a usage error.

    Examples:

        bpquiz grade answers.csv --key output/seed-42/key.json --out graded

        bpquiz grade downloads/ --key key.json --out graded --no-feedback

        bpquiz grade a.csv b.json scans/ --key key.json --out graded --force --ecf-credit 0.5 --points hidden=2
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from .gradebook import GradeError, run_grade
    from .grading import Policy, PolicyError

    if no_ecf and ecf_credit != 1.0:
        raise UserError("give only one of --no-ecf and --ecf-credit")
    try:
        policy_args = dict(
            atol=atol, rtol=rtol, sig_figs=sig_figs, ecf=not no_ecf, ecf_credit=ecf_credit,
            points=_parse_points(points), default_points=step_points,
        )  # fmt: skip
        Policy(**policy_args)  # check the options before anything is read
    except PolicyError as e:
        raise UserError(str(e)) from None
    out_dir = out_dir if out_dir is not None else key.parent / "graded"

    bar = Progress(
        TextColumn("{task.description:<9}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=err, transient=True, disable=quiet or not err.is_terminal,
    )  # fmt: skip
    tasks: dict[str, object] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if total < 20:  # a handful of files: no bar
            return
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done)  # type: ignore[arg-type]

    try:
        with bar:
            run = run_grade(
                submissions, key, out_dir, policy_args=policy_args, decimals=decimals, force=force,
                feedback=feedback, summary=summary, jobs=jobs, progress=progress,
            )  # fmt: skip
    except (GradeError, PolicyError) as e:
        raise UserError(str(e)) from None

    if not quiet:
        for w in run.warnings:
            err.print(f"[yellow]warning:[/] {w}", soft_wrap=True, markup=True)
    for p in run.problems:
        err.print(f"[red]problem:[/] {p.line()}", soft_wrap=True)
    n = len(run.results)
    files = "file" if run.inputs == 1 else "files"
    if n:
        stats = run.statistics
        out.print(
            f"graded {n} submission{'s' if n != 1 else ''} from {run.inputs} {files}: "
            f"mean {stats['mean_percent']:.1f}%, median {stats['median_percent']:.1f}%, "
            f"range {stats['min_percent']:.1f}–{stats['max_percent']:.1f}%",
            soft_wrap=True,
        )
    else:
        out.print(f"graded no submission ({run.inputs} {files} read)", soft_wrap=True)
    written = [name for name in ("gradebook.csv", "grades.json", "problems.csv", "summary.pdf") if name in run.files]
    if "feedback/" in run.files:
        written.append(f"feedback/ ({n - len(run.feedback_failed)} PDFs)")
    out.print(f"written to {out_dir}/: {', '.join(written)}", soft_wrap=True)
    if run.problems:
        kinds: dict[str, int] = {}
        for p in run.problems:
            kinds[p.kind] = kinds.get(p.kind, 0) + 1
        detail = ", ".join(f"{c} {k}" for k, c in kinds.items())
        out.print(f"[red]{len(run.problems)} problem{'s' if len(run.problems) != 1 else ''}[/] ({detail}): see {out_dir / 'problems.csv'}", soft_wrap=True)
        raise typer.Exit(1)


Paper = Annotated[str, typer.Option("--paper", help="Paper size: a4 or letter.", metavar="a4|letter")]


@app.command("generate")
def generate_command(
    n: Annotated[
        Optional[int], typer.Option("--n", min=1, max=5000, help="How many sheets (default 30; with --roster: one per student).")
    ] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Run seed; the same seed and options give byte-identical files (default: random, recorded in key.json).")] = None,
    out_dir: Annotated[
        Optional[Path], typer.Option("--out", metavar="FOLDER", help="Output folder (default: output/seed-SEED).")
    ] = None,
    example: Annotated[bool, typer.Option("--example", help="A set of one: the article's own variant (η = 0.6).")] = False,
    title: Annotated[str, typer.Option("--title", help="Title printed on every sheet.")] = "Backpropagation exercise",
    course: Annotated[str, typer.Option("--course", help="Course name printed under the title.")] = "",
    roster: Annotated[
        Optional[Path], typer.Option("--roster", metavar="FILE.csv", help="CSV with columns student_id,name: one personal worksheet each, name printed on it.")
    ] = None,
    paper: Paper = "a4",
    decimals: Decimals = 5,
    lr: LearningRate = None,
    jobs: Annotated[Optional[int], typer.Option("--jobs", min=1, help="Parallel rendering processes (default: all cores).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Write into an existing, non-empty output folder.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary.")] = False,
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
    """
    from .generate import GenerateError, Settings, default_out, generate, read_roster

    paper = paper.lower()
    if paper not in ("a4", "letter"):
        raise UserError(f"--paper: expected a4 or letter, got {paper!r}")
    if example and roster is not None:
        raise UserError("--example makes a set of one; it cannot be combined with --roster")
    if example and n not in (None, 1):
        raise UserError("--example makes a set of one; leave out --n")
    if roster is not None and n is not None:
        raise UserError("--roster sets the number of sheets (one per student); leave out --n")
    try:
        students = read_roster(roster) if roster is not None else None
    except GenerateError as e:
        raise UserError(str(e)) from None
    count = 1 if example else len(students) if students else (n or 30)
    settings = Settings(
        n=count,
        seed=random_seed() if seed is None else seed,
        decimals=decimals,
        learning_rate=lr,
        paper=paper,
        title=title,
        course=course,
        example=example,
        roster=roster.name if roster is not None else None,
    )
    target = out_dir if out_dir is not None else default_out(settings)
    started = time.perf_counter()
    try:
        if quiet or not err.is_terminal:  # a bar only where someone watches it
            result = generate(settings, target, students, jobs=jobs, force=force)
        else:
            result = _generate_with_progress(settings, target, students, jobs, force)
    except GenerateError as e:
        raise UserError(str(e)) from None
    if not quiet:
        _print_summary(result, settings, time.perf_counter() - started)
    if result.failed:
        for failure in result.failed:
            err.print(f"[red]error:[/] sheet {failure.index + 1} ({failure.version}): {failure.error}", soft_wrap=True)
        raise UserError(f"{len(result.failed)} of {len(result.sheets)} sheets could not be rendered; the others were written to {target}")


def _generate_with_progress(settings, target, students, jobs, force):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .generate import generate

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

        return generate(settings, target, students, jobs=jobs, force=force, progress=progress)


def _print_summary(result, settings, seconds: float) -> None:
    sheets = len(result.sheets)
    ok = sheets - len(result.failed)
    who = f"{sheets} students from {settings.roster}" if settings.roster else f"{sheets} sheet{'s' * (sheets != 1)}"
    paper = "A4" if settings.paper == "a4" else "Letter"
    err.print(
        f"[bold]bpquiz generate[/]: {who}, seed {settings.seed}, {paper}, {settings.decimals} decimals, "
        f"{seconds:.1f} s → {result.out}/",
        soft_wrap=True,
    )
    table = Table(show_header=False, show_edge=False, box=None, pad_edge=False, padding=(0, 2, 0, 0))
    table.add_column(style="cyan", no_wrap=True)
    table.add_column()
    table.add_row("worksheets/", f"{ok} fillable worksheets, one PDF per student")
    table.add_row("solutions/", f"{ok} worked solutions, one PDF per student")
    for kind in ("worksheets", "solutions"):
        if kind in result.pages:
            table.add_row(f"print/{kind}.pdf", f"all {kind}, {result.pages[kind]} pages, for double-sided print")
    table.add_row("key.json", "answer key and run secret: keep it from students")
    table.add_row("key.csv", "the key for spreadsheets, a row per sheet")
    table.add_row("answers-template.csv", "answers CSV to fill in, a row per sheet")
    err.print(table)


def main() -> None:
    try:
        app()
    except UserError as e:
        err.print(f"[red]error:[/] {e}", soft_wrap=True)
        sys.exit(2)
