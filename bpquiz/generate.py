"""`bpquiz generate`: a print-ready class set — worksheets, worked solutions, key, print files.

The run, in order:

1. plan: draw one variant per student (seeded, `variants.draw_variant`), give each an opaque
   version code bound to it under a new random secret (`codes.bound_codes`), pair them with the
   roster's students if any (or, `--from-key`, take the sheets and secret of an earlier run);
2. write the key (key.json, key.csv, answers-template.csv) — the source of truth, first;
3. lay out the part of each document kind that all students share (a skeleton, the two built
   side by side) from a neutral sheet — no student's numbers, code or name — so that it can be
   kept between runs (`documents.skeleton_cache`); saved to a temporary file that each worker
   reads once;
4. render every student's worksheet and solution, stamped on its skeleton; the worker writes
   the PDF itself, so this process never holds them;
5. as soon as all documents of a kind are written, merge them into print/worksheets.pdf or
   print/solutions.pdf, each document padded to an even page count, form fields renamed
   `<version>.<step id>` so they never collide.

Steps 3 to 5 are one pipeline over the worker pool (`bpquiz.pipeline`), so that no core waits.
Every file is written atomically. One document that fails to render does not stop the batch: the
others are written and the failure is reported; a skeleton that fails is a warning, and that
kind's documents are then rendered whole (slower, the same pages).

The output folder is locked for the run (`bpquiz.lock`). A run that stops early — Ctrl-C, a
worker that died, a full disk — stops within a moment, removes its half-written temporary files,
leaves the folder marked incomplete (no print file that is not whole), and says what it wrote;
`generate --resume FOLDER` makes what is missing from the folder's own key.json, so that the
result is the same bytes as an uninterrupted run.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from . import lock
from .constants import DEFAULT_DECIMALS, DEFAULT_TITLE, PAPERS
from .errors import GenerateError, Interrupted
from .exercise.codes import bound_codes, new_secret
from .exercise.key import Key, Sheet, answers_template_csv, dumps, key_csv, key_dict
from .exercise.model import Exercise
from .exercise.options import example_given
from .exercise.solve import solve
from .exercise.variants import draw_variant, problems
from .files import write_atomic
from .pipeline import KINDS, Job, Pipeline, Progress, Result
from .pool import WorkerDied
from .roster import Student

__all__ = ["KINDS", "Result", "Settings", "from_key", "generate", "plan"]


@dataclass(frozen=True)
class Settings:
    """What a run was asked for; recorded in key.json so that the run can be repeated."""

    n: int = 30
    seed: int = 0
    decimals: int = DEFAULT_DECIMALS
    learning_rate: float | None = None
    paper: str = "a4"
    title: str = DEFAULT_TITLE
    course: str = ""
    example: bool = False
    roster: str | None = None  # the roster's file name, for the record
    lang: str = "en"
    space: bool = False  # room for working under each question (paper exams)
    exercise: Exercise = field(default_factory=Exercise)  # recorded in key.json on its own

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "seed": self.seed,
            "decimals": self.decimals,
            "learning_rate": self.learning_rate,
            "paper": self.paper,
            "title": self.title,
            "course": self.course,
            "example": self.example,
            "roster": self.roster,
            "lang": self.lang,
            "space": self.space,
        }

    @property
    def page(self) -> Any:
        from .documents.views import Page  # the documents subpackage: only where it renders

        return Page(self.title, self.course, self.decimals, self.lang, self.space)


def from_key(key: Key) -> tuple[Settings, tuple[list[Sheet], str]]:
    """The settings, sheets and secret of the run that wrote `key`: `generate` with them makes
    that run's files again, byte for byte (a lost or spoiled PDF)."""
    recorded = key.settings
    try:
        settings = Settings(**{
            f.name: recorded[f.name] for f in fields(Settings)
            if f.name in recorded and f.name != "exercise"
        }, exercise=key.exercise)  # fmt: skip
    except TypeError as e:
        raise GenerateError(f"the key's settings cannot be read ({e})") from None
    for name, kind in (("n", int), ("seed", int), ("decimals", int), ("paper", str),
                       ("title", str), ("course", str), ("lang", str)):  # fmt: skip
        if not isinstance(getattr(settings, name), kind):
            raise GenerateError(f"the key's settings.{name} is {getattr(settings, name)!r}")
    return settings, (list(key.sheets), key.secret)


def plan(settings: Settings, roster: Sequence[Student] | None = None) -> tuple[list[Sheet], str]:
    """The run's sheets (variant + student) in order, and its secret: random, new every run, so
    that no code leads back to the seed; each code bound to its sheet (`codes.bound_codes`)."""
    students = list(roster) if roster else [Student("", "")] * settings.n
    exercise = settings.exercise
    variants = []
    for index in range(len(students)):
        if settings.example:
            given = example_given(exercise)
            if settings.learning_rate is not None:
                given["learning_rate"] = settings.learning_rate
            example = solve(exercise, given)
            still = [p for p in problems(example, settings.decimals, True) if "not change" in p]
            if still:  # a draw would be rejected for it; the example cannot be redrawn
                raise GenerateError(
                    f"--example with η = {given['learning_rate']:g}: {still[0]} (and "
                    f"{len(still) - 1} more); choose a larger --lr"
                    if len(still) > 1
                    else f"--example with η = {given['learning_rate']:g}: "
                    f"{still[0]}; choose a larger --lr"
                )
            variants.append(example)
        else:
            variants.append(draw_variant(
                exercise, settings.seed, index, settings.decimals, settings.learning_rate
            ))  # fmt: skip
    secret = new_secret()
    codes = bound_codes(secret, exercise.as_dict(), [v.given for v in variants])
    sheets = [
        Sheet(replace(v, version=code), student.student_id, student.name)
        for v, student, code in zip(variants, students, codes)
    ]
    return sheets, secret


# --- the run ------------------------------------------------------------------------------------


def default_out(settings: Settings) -> Path:
    return Path("output") / ("example" if settings.example else f"seed-{settings.seed}")


def check_out(out: Path, force: bool) -> None:
    """An existing non-empty output folder needs --force (or, after an interrupted run,
    --resume); nothing is touched before this."""
    if out.exists() and not out.is_dir():
        raise GenerateError(f"{out}: exists and is not a folder")
    record = lock.found(out) if out.is_dir() else None
    if record is not None and record.alive:
        raise lock.busy(out, record)
    if out.is_dir() and any(out.iterdir()) and not force:
        if record is not None:
            raise GenerateError(
                f"{out}: an earlier run there did not finish ({record.written or 'interrupted'}); "
                f"bpquiz generate --resume {out} completes it, --force starts over"
            )
        raise GenerateError(f"{out}: folder exists and is not empty (use --force to overwrite)")


def _clear_previous(out: Path) -> None:
    """With --force: remove the documents of an earlier run (only bpquiz's own folders)."""
    for sub in ("worksheets", "solutions", "print"):
        folder = out / sub
        if folder.is_dir():
            for pdf in folder.glob("*.pdf"):
                pdf.unlink()


def write_key(settings: Settings, sheets: list[Sheet], secret: str, out: Path) -> dict[str, Path]:
    """key.json, key.csv and answers-template.csv: written first, the source of truth."""
    key = key_dict(sheets, settings.as_dict(), secret, settings.exercise)
    files = {}
    for name, text in (
        ("key.json", dumps(key)),
        ("key.csv", key_csv(sheets, settings.exercise)),
        ("answers-template.csv", answers_template_csv(sheets, settings.exercise)),
    ):
        try:
            write_atomic(out / name, text)
        except OSError as e:
            raise GenerateError(f"{out / name}: cannot write it ({e.strerror or e})") from None
        files[name] = out / name
    return files


def _written(out: Path, jobs: Sequence[Job]) -> dict[str, set[int]]:
    """Per kind, the sheets whose document is in `out` already (written whole: atomically)."""
    return {
        kind: {j.index for j in jobs if (out / f"{kind}s" / f"{j.version}.pdf").is_file()}
        for kind in KINDS
    }


def _remove_temporary(out: Path) -> None:
    """The temporary files of writes a stopped worker left half done (`files.open_atomic`)."""
    for folder in (out, *(out / f"{kind}s" for kind in KINDS), out / "print"):
        for tmp in folder.glob(".*.tmp") if folder.is_dir() else ():
            tmp.unlink(missing_ok=True)


def _state(out: Path, jobs: Sequence[Job], total: int) -> str:
    """What an unfinished run has written: '97 of 200 worksheets and 0 of 200 solutions, no
    print file'."""
    done = _written(out, jobs)
    prints = [k for k in KINDS if (out / "print" / f"{k}s.pdf").is_file()]
    files = (
        "both print files" if len(prints) == 2 else f"print/{prints[0]}s.pdf" if prints
        else "no print file"
    )  # fmt: skip
    return (
        f"{len(done['worksheet'])} of {total} worksheets and {len(done['solution'])} of {total} "
        f"solutions written, {files}"
    )


def generate(
    settings: Settings,
    out: Path,
    roster: Sequence[Student] | None = None,
    jobs: int | None = None,
    force: bool = False,
    progress: Progress | None = None,
    planned: tuple[list[Sheet], str] | None = None,
    resume: bool = False,
) -> Result:
    """Write a class set to `out`; see the module docstring for the steps. `planned`: the
    sheets and secret of an earlier run (`from_key`), whose documents are then made again;
    with `resume` (and `planned` from the folder's own key), only those not yet written.

    The folder is locked for the run (`lock.RunLock`): a run that stops early (Ctrl-C, a
    worker that died, documents that could not be written) leaves it marked incomplete, with
    no print file that is not whole, and says how to resume."""
    if settings.paper not in PAPERS:
        raise GenerateError(f"unknown paper {settings.paper!r} (expected a4 or letter)")
    if resume:
        record = lock.found(out)
        if record is None:
            raise GenerateError(f"{out}: no unfinished run there to resume")
        if record.alive:
            raise lock.busy(out, record)
    else:
        check_out(out, force)
    sheets, secret = planned if planned is not None else plan(settings, roster)
    result = Result(out, sheets)
    job_list = [
        Job(k, s.version, dict(s.variant.given), s.student_id, s.name) for k, s in enumerate(sheets)
    ]
    with lock.RunLock(out, "generate", take_over=force or resume) as run_lock:
        if force:
            _clear_previous(out)
        if not resume:
            result.files.update(write_key(settings, sheets, secret, out))
        else:
            result.files.update(
                {n: out / n for n in ("key.json", "key.csv", "answers-template.csv")}
            )
        done = _written(out, job_list) if resume else {kind: set() for kind in KINDS}
        try:
            with tempfile.TemporaryDirectory(prefix="bpquiz-skeletons-") as scratch:
                Pipeline(settings, out, job_list, result, progress, Path(scratch), done).run(jobs)
        except (Interrupted, WorkerDied) as e:
            _remove_temporary(out)
            state = _state(out, job_list, len(job_list))
            run_lock.incomplete(state)
            again = f"bpquiz generate --resume {out} completes the run"
            if isinstance(e, Interrupted):
                raise Interrupted(f"interrupted: {state}; {again}") from None
            raise GenerateError(f"{e}; {state}; {again}") from None
        if result.failed or result.errors:
            run_lock.incomplete(_state(out, job_list, len(job_list)))
    result.files["worksheets"] = out / "worksheets"
    result.files["solutions"] = out / "solutions"
    return result
