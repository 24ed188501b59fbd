"""`bpquiz grade`: grade what came back; one line per problem, a summary, exit 0, 1 or 2."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import BpquizError
from . import app
from .console import err, out
from .options import Lang, parse_points


@app.command("grade")
def grade_command(
    submissions: Annotated[
        list[Path],
        typer.Argument(
            metavar="SUBMISSIONS...",
            help="Answers CSV/JSON files, filled worksheet PDFs, Moodle Responses reports, QTI "
            "results, or folders of them.",
            show_default=False,
        ),
    ],
    key: Annotated[
        Path,
        typer.Option(
            "--key",
            metavar="KEY.json",
            help="The key.json of the run the worksheets came from.",
            show_default=False,
        ),
    ],
    out_dir: Annotated[
        Optional[Path],
        typer.Option(
            "--out",
            metavar="DIR",
            help="Where to write the gradebook and reports (default: 'graded' beside the key).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing gradebook in DIR.")
    ] = False,
    decimals: Annotated[
        Optional[int],
        typer.Option("--decimals", min=0, max=15, help="Decimals asked for (default: the key's)."),
    ] = None,
    atol: Annotated[
        Optional[float],
        typer.Option(
            "--atol", min=0.0, help="Absolute tolerance (default: one unit in the last decimal)."
        ),
    ] = None,
    rtol: Annotated[
        Optional[float], typer.Option("--rtol", min=0.0, help="Relative tolerance, e.g. 1e-4.")
    ] = None,
    sig_figs: Annotated[
        Optional[int],
        typer.Option(
            "--sig-figs",
            min=1,
            max=15,
            help="Accept answers agreeing to this many significant figures.",
        ),
    ] = None,
    ecf_credit: Annotated[
        float,
        typer.Option(
            "--ecf-credit",
            min=0.0,
            max=1.0,
            help="Share of a step's points for an error carried forward.",
        ),
    ] = 1.0,
    imprecise_credit: Annotated[
        float,
        typer.Option(
            "--imprecise-credit",
            min=0.0,
            max=1.0,
            help="Share of a step's points for an answer right to fewer decimals than asked "
            "(status imprecise; default 0: marked as wrong answers are).",
        ),
    ] = 0.0,
    no_ecf: Annotated[
        bool, typer.Option("--no-ecf", help="No error carried forward: a step is correct or wrong.")
    ] = False,
    points: Annotated[
        list[str],
        typer.Option(
            "--points",
            metavar="ID=N",
            help="Points for a step id or a phase (forward, error, output, hidden); repeatable.",
        ),
    ] = [],  # noqa: B006
    step_points: Annotated[
        float, typer.Option("--step-points", min=0.0, help="Points of every other step.")
    ] = 1.0,
    feedback: Annotated[
        bool, typer.Option("--feedback/--no-feedback", help="Write a feedback PDF per student.")
    ] = True,
    summary: Annotated[
        bool,
        typer.Option("--summary/--no-summary", help="Write summary.pdf with the class statistics."),
    ] = True,
    jobs: Annotated[
        Optional[int],
        typer.Option("--jobs", min=1, help="Worker processes for PDFs (default: all cores)."),
    ] = None,
    lang: Lang = None,
    fmt: Annotated[
        Optional[str],
        typer.Option(
            "--format",
            metavar="moodle|qti|csv|json|pdf",
            help="Read every file as this format (default: recognised by its content).",
        ),
    ] = None,
    gradebook: Annotated[
        Optional[str],
        typer.Option(
            "--gradebook",
            metavar="moodle",
            help="Also write gradebook-moodle.csv, for Moodle's gradebook import.",
        ),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet", "-q", help="No progress bar and no warnings; problems and the result only."
        ),
    ] = False,
) -> None:
    """Grade filled worksheets and answer files against a key; write a gradebook, feedback, summary.

    Each submission is matched to its variant by its version code. Steps are correct (within the
    tolerance, or following from the student's own correct rounded answers), ecf (right for the
    student's own wrong earlier answers), wrong, blank or unreadable.

    A Moodle quiz's Responses report (CSV) and QTI 2.1 results (XML) are recognised by their
    content (`--format` to force a reader); `--gradebook moodle` adds gradebook-moodle.csv.

    Writes to DIR: gradebook.csv, grades.json, problems.csv, summary.pdf, feedback/STUDENT.pdf.
    Exit code: 0 all graded; 1 graded, but some files, rows or submissions had problems (each
    named on one line and in problems.csv); 2 nothing graded: a usage error.

    Examples:

        bpquiz grade answers.csv --key output/seed-42/key.json --out graded

        bpquiz grade downloads/ --key key.json --out graded --no-feedback

        bpquiz grade a.csv b.json scans/ --key key.json --out graded --force --points hidden=2

        bpquiz grade ML101-Quiz-responses.csv --key key.json --out graded --gradebook moodle
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from ..grade import run_grade
    from ..marking.formats import FORMATS
    from ..marking.grading import Policy

    if fmt is not None and fmt not in FORMATS:
        raise BpquizError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    if gradebook is not None and gradebook != "moodle":
        raise BpquizError(f"--gradebook: expected moodle, got {gradebook!r}")
    if no_ecf and ecf_credit != 1.0:
        raise BpquizError("give only one of --no-ecf and --ecf-credit")
    policy_args = dict(
        atol=atol, rtol=rtol, sig_figs=sig_figs, ecf=not no_ecf, ecf_credit=ecf_credit,
        imprecise_credit=imprecise_credit, points=parse_points(points),
        default_points=step_points,
    )  # fmt: skip
    Policy(**policy_args)  # check the options before anything is read
    out_dir = out_dir if out_dir is not None else key.parent / "graded"

    bar = Progress(
        TextColumn("{task.description:<9}"), BarColumn(), MofNCompleteColumn(),
        TimeRemainingColumn(), console=err, transient=True, disable=quiet or not err.is_terminal,
    )  # fmt: skip
    tasks: dict[str, object] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if total < 20:  # a handful of files: no bar
            return
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done)  # type: ignore[arg-type]

    with bar:
        run = run_grade(
            submissions, key, out_dir, policy_args=policy_args, decimals=decimals, force=force,
            feedback=feedback, summary=summary, jobs=jobs, progress=progress, lang=lang, fmt=fmt,
            gradebooks=(gradebook,) if gradebook else (),
        )  # fmt: skip

    if not quiet:
        for w in run.warnings:
            err.print(f"[yellow]warning:[/] {w}", soft_wrap=True, markup=True)
    for p in run.problems:
        err.print(f"[red]problem:[/] {p.line()}", soft_wrap=True)
    n = len(run.results)
    files = "file" if run.inputs == 1 else "files"
    if n:
        stats = run.statistics
        absent = f", {len(run.missing)} missing (not in the mean)" if run.missing else ""
        out.print(
            f"graded {n} submission{'s' if n != 1 else ''} from {run.inputs} {files}{absent}: "
            f"mean {stats['mean_percent']:.1f}%, median {stats['median_percent']:.1f}%, "
            f"range {stats['min_percent']:.1f}–{stats['max_percent']:.1f}%",
            soft_wrap=True,
        )
    else:
        out.print(f"graded no submission ({run.inputs} {files} read)", soft_wrap=True)
    reports = ("gradebook.csv", "gradebook-moodle.csv", "grades.json", "problems.csv")
    written = [name for name in (*reports, "summary.pdf") if name in run.files]
    if "feedback/" in run.files:
        written.append(f"feedback/ ({n - len(run.feedback_failed)} PDFs)")
    out.print(f"written to {out_dir}/: {', '.join(written)}", soft_wrap=True)
    if run.problems:
        kinds: dict[str, int] = {}
        for p in run.problems:
            kinds[p.kind] = kinds.get(p.kind, 0) + 1
        detail = ", ".join(f"{c} {k}" for k, c in kinds.items())
        count = f"{len(run.problems)} problem{'s' if len(run.problems) != 1 else ''}"
        out.print(
            f"[red]{count}[/] ({detail}): see {out_dir / 'problems.csv'}",
            soft_wrap=True,
        )
        raise typer.Exit(1)
