"""`bpquiz export moodle|qti`: a class as LMS questions, one per variant; one summary line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import ExportError
from . import app
from .console import err
from .options import parse_points

export_app = typer.Typer(
    name="export",
    no_args_is_help=True,
    rich_markup_mode="markdown",
    help="Export a class to an LMS: Moodle XML (cloze questions) or an IMS QTI 2.1 package.",
)
app.add_typer(export_app, name="export")

KeyArg = Annotated[
    Path,
    typer.Argument(metavar="KEY.json", help="The key.json of a generate run.", show_default=False),
]
Tolerance = Annotated[
    Optional[float],
    typer.Option(
        "--tolerance",
        metavar="X",
        help="Absolute tolerance of every box (default: one unit in the last asked decimal, "
        "as bpquiz grade).",
    ),
]
Points = Annotated[
    list[str],
    typer.Option(
        "--points",
        metavar="ID=N",
        help="Points for a step id or a phase (forward, error, output, hidden); repeatable.",
    ),
]
StepPoints = Annotated[
    float, typer.Option("--step-points", min=0.0, help="Points of every other step.")
]
Decimals = Annotated[
    Optional[int],
    typer.Option("--decimals", min=0, max=15, help="Decimals asked for (default: the key's)."),
]
Lang = Annotated[str, typer.Option("--lang", help="Language of the question text.")]
Force = Annotated[bool, typer.Option("--force", help="Overwrite an existing output file.")]


def _prepare(key_path: Path, out: Path, force: bool, tolerance, points, step_points, decimals,
             lang):  # fmt: skip
    from ..export.content import Options, check
    from ..grade import load_key
    from ..marking.grading import Policy

    if out.exists() and not force:
        raise ExportError(f"{out} exists (use --force to overwrite it)")
    key = load_key(key_path)
    policy = Policy(points=parse_points(points), default_points=step_points)
    options = Options(decimals=decimals, tolerance=tolerance, policy=policy, lang=lang)
    check(key, options)
    return key, options


def _done(what: str, key, out: Path, size: int, detail: str) -> None:
    n = len(key.sheets)
    parts = len(key.exercise.asked_ids)
    err.print(
        f"[bold]bpquiz export {what}[/]: {n} question{'s' * (n != 1)} (one per variant, "
        f"{parts} parts each{detail}) → {out} ({size / 1e6:.1f} MB)",
        soft_wrap=True,
    )


@export_app.command("moodle")
def moodle_command(
    key: KeyArg,
    out: Annotated[
        Path, typer.Option("--out", metavar="FILE.xml", help="Moodle XML file to write.")
    ],
    category: Annotated[
        Optional[str],
        typer.Option(
            "--category",
            metavar="PATH",
            help="Question bank category, e.g. '$course$/top/Exams/Backprop' (default: "
            "$course$/top/bpquiz/<course title, seed S>; a / inside a name is written //).",
        ),
    ] = None,
    tolerance: Tolerance = None,
    points: Points = [],  # noqa: B006
    step_points: StepPoints = 1.0,
    decimals: Decimals = None,
    lang: Lang = "en",
    force: Force = False,
) -> None:
    """Write one Moodle cloze question per variant, all in one question bank category.

    Import the file in the course's question bank (Import, "Moodle XML format"), then add
    "a random question" from the category to a quiz: each student draws one variant. Each
    question starts with its version code; each asked step is a numerical part with the
    grader's tolerance. Download the quiz's Responses report (tick "Question text", "Response"
    and "Right answer") and grade it with `bpquiz grade`, error carried forward included.

    Examples:

        bpquiz export moodle output/seed-42/key.json --out class.xml

        bpquiz export moodle key.json --out exam.xml --category '$course$/top/Exam 1'
    """
    from ..export.content import questions
    from ..export.moodle import default_category, moodle_xml, weights
    from ..files import write_atomic

    key, options = _prepare(key, out, force, tolerance, points, step_points, decimals, lang)
    where = category if category is not None else default_category(key)
    total = sum(weights(list(options.policy.max_points(key.exercise).values())))
    text = moodle_xml(questions(key, options), where)
    write_atomic(out, text)
    _done("moodle", key, out, len(text.encode()), f", {total} marks; category {where}")


@export_app.command("qti")
def qti_command(
    key: KeyArg,
    out: Annotated[
        Path, typer.Option("--out", metavar="FILE.zip", help="QTI 2.1 content package to write.")
    ],
    tolerance: Tolerance = None,
    points: Points = [],  # noqa: B006
    step_points: StepPoints = 1.0,
    decimals: Decimals = None,
    lang: Lang = "en",
    force: Force = False,
) -> None:
    """Write an IMS QTI 2.1 package: one item per variant, and a test that gives each candidate
    one of them.

    Each item has a float text-entry box per asked step, scored with an absolute tolerance (the
    grader's, by default). Results reports (assessmentResult XML, e.g. from TAO) go back into
    `bpquiz grade`.

    Examples:

        bpquiz export qti output/seed-42/key.json --out class-qti.zip

        bpquiz export qti key.json --out class-qti.zip --tolerance 0.00005 --force
    """
    from ..export.content import questions, title_of
    from ..export.qti import qti_package
    from ..files import write_atomic

    key, options = _prepare(key, out, force, tolerance, points, step_points, decimals, lang)
    data = qti_package(questions(key, options), title_of(key))
    write_atomic(out, data)
    total = sum(options.policy.max_points(key.exercise).values())
    _done("qti", key, out, len(data), f", {total:g} points")
