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

Steps 3 to 5 are one pipeline over the worker pool (`bpquiz.pool`), so that no core waits. Every
file is written atomically. One document that fails to render does not stop the batch: the others
are written and the failure is reported; a skeleton that fails is a warning, and that kind's
documents are then rendered whole (slower, the same pages).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .constants import DEFAULT_DECIMALS, DEFAULT_TITLE, PAPERS
from .errors import GenerateError
from .exercise.codes import bound_codes, new_secret
from .exercise.key import Key, Sheet, answers_template_csv, dumps, key_csv, key_dict
from .exercise.model import Exercise
from .exercise.options import example_given
from .exercise.solve import solve
from .exercise.variants import draw_variant, problems
from .files import write_atomic
from .pool import Completions, Pool, workers_for
from .roster import Student

KINDS = ("worksheet", "solution")


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


# --- the worker side: small, picklable jobs ------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One student's documents: the given values and who the sheet is for."""

    index: int
    version: str
    given: dict[str, float]
    student_id: str
    name: str

    def sheet(self, exercise: Exercise) -> Sheet:
        return Sheet(solve(exercise, self.given, self.version), self.student_id, self.name)


@dataclass(frozen=True)
class Done:
    index: int
    version: str
    error: str = ""  # empty when the document was written; else "<kind>: <what went wrong>"


NEUTRAL_CODE = "XXXXXX"


def neutral_job(settings: Settings, first: Job) -> Job:
    """The sheet a run's skeletons are laid out from: sheet 0 of seed 0, code XXXXXX, and, in a
    roster run, a placeholder name and ID. It shares every student's layout and none of their
    text, so that a skeleton depends on no student (and neither on the seed)."""
    variant = draw_variant(
        settings.exercise, 0, 0, settings.decimals, settings.learning_rate, NEUTRAL_CODE
    )
    return Job(
        -1, NEUTRAL_CODE, dict(variant.given),
        "Xx0" if first.student_id else "", "Xx" if first.name else "",
    )  # fmt: skip


def _warm_up(paper: str, lang: str, in_worker: bool) -> None:
    from .documents import sheets

    sheets.warm_up(paper, lang, in_worker)


def build_skeleton(kind: str, job: Job, settings: Settings, path: Path) -> Path:
    from .documents import sheets

    return sheets.build_skeleton(
        kind, job.sheet(settings.exercise), settings.page, settings.paper, path
    )


def render_job(
    kind: str, job: Job, settings: Settings, target: Path, skeleton: Path | None
) -> Done:
    """Render and write one student's worksheet or solution; never raises."""
    from .documents import sheets

    try:
        sheet = job.sheet(settings.exercise)
        write_atomic(
            target, sheets.render_document(kind, sheet, settings.page, settings.paper, skeleton)
        )
    except Exception as e:  # noqa: BLE001 - one bad document must not stop the batch
        return Done(job.index, job.version, f"{kind}: {type(e).__name__}: {e}")
    return Done(job.index, job.version)


def merge(documents: list[tuple[str, str, Path]], target: Path, forms: bool) -> int:
    from .documents.pdfio import merge_for_print

    return merge_for_print(documents, target, forms)


# --- the run ------------------------------------------------------------------------------------

Progress = Callable[[int, int, str], None]  # (documents done, total, what was just done)


@dataclass
class Result:
    out: Path
    sheets: list[Sheet]
    files: dict[str, Path] = field(default_factory=dict)  # what -> path
    failed: list[Done] = field(default_factory=list)
    pages: dict[str, int] = field(default_factory=dict)  # print file -> pages
    warnings: list[str] = field(default_factory=list)


def default_out(settings: Settings) -> Path:
    return Path("output") / ("example" if settings.example else f"seed-{settings.seed}")


def check_out(out: Path, force: bool) -> None:
    """An existing non-empty output folder needs --force; nothing is touched before this."""
    if out.exists() and not out.is_dir():
        raise GenerateError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
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
        write_atomic(out / name, text)
        files[name] = out / name
    return files


def generate(
    settings: Settings,
    out: Path,
    roster: Sequence[Student] | None = None,
    jobs: int | None = None,
    force: bool = False,
    progress: Progress | None = None,
    planned: tuple[list[Sheet], str] | None = None,
) -> Result:
    """Write a class set to `out`; see the module docstring for the steps. `planned`: the
    sheets and secret of an earlier run (`from_key`), whose documents are then made again."""
    if settings.paper not in PAPERS:
        raise GenerateError(f"unknown paper {settings.paper!r} (expected a4 or letter)")
    check_out(out, force)
    sheets, secret = planned if planned is not None else plan(settings, roster)
    result = Result(out, sheets)
    if force:
        _clear_previous(out)
    out.mkdir(parents=True, exist_ok=True)
    result.files.update(write_key(settings, sheets, secret, out))
    job_list = [
        Job(k, s.version, dict(s.variant.given), s.student_id, s.name) for k, s in enumerate(sheets)
    ]
    with tempfile.TemporaryDirectory(prefix="bpquiz-skeletons-") as scratch:
        _Pipeline(settings, out, job_list, result, progress, Path(scratch)).run(jobs)
    result.files["worksheets"] = out / "worksheets"
    result.files["solutions"] = out / "solutions"
    return result


class _Pipeline:
    """Skeletons, then each kind's documents as soon as its skeleton is there, then its print
    file as soon as its documents are: one pool, so that no core waits."""

    def __init__(self, settings, out, jobs, result, progress, scratch):
        self.settings, self.out, self.jobs, self.result = settings, out, jobs, result
        self.progress, self.scratch = progress, scratch
        self.total = 2 * len(jobs) + 2  # documents, then the two print files
        self.done = 0
        self.failed: dict[int, Done] = {}
        self.bad: set[tuple[str, int]] = set()  # (kind, index) of the documents that failed
        self.left = dict.fromkeys(KINDS, len(jobs))
        self.merge_errors: list[str] = []

    def target(self, kind: str, job: Job) -> Path:
        return self.out / f"{kind}s" / f"{job.version}.pdf"

    def run(self, jobs: int | None) -> None:
        settings = self.settings
        warm = (settings.paper, settings.lang)
        with Pool(workers_for(jobs, len(self.jobs)), _warm_up, warm) as pool:
            # The skeletons come from a neutral sheet, not from a student: the output does not
            # depend on how sheets are shared out among workers, nor a kept skeleton on the run.
            neutral = neutral_job(settings, self.jobs[0])
            pending = {
                pool.submit(build_skeleton, kind, neutral, settings,
                            self.scratch / f"{kind}.skeleton", what=f"the {kind} layout"):
                ("skeleton", kind, None)
                for kind in KINDS
            }  # fmt: skip
            done = Completions()
            for future in pending:
                done.add(future)
            while pending:
                future = done.next()
                stage, kind, job = pending.pop(future)
                if stage == "skeleton":
                    new = self.documents(pool, kind, future)
                elif stage == "document":
                    new = self.document_done(pool, kind, pool.result(future))
                else:
                    new = {}
                    self.merged(pool, kind, future)
                pending.update(new)
                for future in new:
                    done.add(future)
        self.result.failed = sorted(self.failed.values(), key=lambda d: d.index)
        if self.merge_errors:
            raise GenerateError(
                f"{'; '.join(self.merge_errors)} (the per-student files are in {self.out})"
            )

    def documents(self, pool: Pool, kind: str, skeleton_future) -> dict:
        try:
            skeleton = pool.result(skeleton_future)
        except Exception as e:  # noqa: BLE001 - then this kind is rendered whole: slower, same pages
            skeleton = None
            self.result.warnings.append(
                f"the shared {kind} layout could not be built ({type(e).__name__}: {e}); "
                f"every {kind} is rendered whole, about 3x slower"
            )
        return {
            pool.submit(render_job, kind, j, self.settings, self.target(kind, j), skeleton,
                        what=f"the {kind} of sheet {j.index + 1} ({j.version})"):
            ("document", kind, j)
            for j in self.jobs
        }  # fmt: skip

    def step(self, what: str) -> None:
        self.done += 1
        if self.progress:
            self.progress(self.done, self.total, what)

    def document_done(self, pool: Pool, kind: str, outcome: Done) -> dict:
        if outcome.error:
            self.bad.add((kind, outcome.index))
            earlier = self.failed.get(outcome.index)
            self.failed[outcome.index] = (
                replace(earlier, error=f"{earlier.error}; {outcome.error}") if earlier else outcome
            )
        self.step(outcome.version)
        self.left[kind] -= 1
        if self.left[kind]:
            return {}
        documents = [
            (j.version, f"{j.version} — {j.name}" if j.name else j.version, self.target(kind, j))
            for j in self.jobs
            if (kind, j.index) not in self.bad
        ]
        if not documents:
            return {}
        target = self.out / "print" / f"{kind}s.pdf"
        self.result.files[f"print/{kind}s.pdf"] = target
        future = pool.submit(
            merge, documents, target, kind == "worksheet", what=f"print/{kind}s.pdf"
        )
        return {future: ("print", kind, None)}

    def merged(self, pool: Pool, kind: str, future) -> None:
        try:
            self.result.pages[f"{kind}s"] = pool.result(future)
        except Exception as e:  # noqa: BLE001 - the documents are written; say so
            self.merge_errors.append(f"print/{kind}s.pdf not written: {type(e).__name__}: {e}")
            self.result.files.pop(f"print/{kind}s.pdf", None)
        self.step(f"print/{kind}s.pdf")
