"""The render pipeline of `generate`: skeletons, then documents, then print files, on one pool.

Steps 3 to 5 of `bpquiz.generate`: the skeletons (laid out once per run from a neutral sheet,
`neutral_job`), each student's documents as soon as their kind's skeleton is there (`render_job`,
in worker processes that write the PDFs themselves), each print file as soon as its documents are
(`merge`). One document that fails does not stop the batch: the failure is in `Result.failed`.
The jobs are small and picklable, so that a worker needs nothing but them and the settings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .constants import NEUTRAL_CODE, NEUTRAL_ID, NEUTRAL_NAME
from .exercise.key import Sheet
from .exercise.model import Exercise
from .exercise.solve import solve
from .exercise.variants import draw_variant
from .files import write_atomic
from .pool import Completions, Pool, workers_for

if TYPE_CHECKING:
    from .generate import Settings

KINDS = ("worksheet", "solution")


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


def neutral_job(settings: Settings, first: Job) -> Job:
    """The sheet a run's skeletons are laid out from: sheet 0 of seed 0, code XXXXXX, and, in a
    roster run, a placeholder name and ID. It shares every student's layout and none of their
    text, so that a skeleton depends on no student (and neither on the seed)."""
    variant = draw_variant(
        settings.exercise, 0, 0, settings.decimals, settings.learning_rate, NEUTRAL_CODE
    )
    return Job(
        -1, NEUTRAL_CODE, dict(variant.given),
        NEUTRAL_ID if first.student_id else "", NEUTRAL_NAME if first.name else "",
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
    except OSError as e:  # a full disk, a folder made read-only: said as the system says it
        return Done(job.index, job.version, f"{kind} not written: {e.strerror or e}")
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
    errors: list[str] = field(default_factory=list)  # print files that could not be written


class Pipeline:
    """Skeletons, then each kind's documents as soon as its skeleton is there, then its print
    file as soon as its documents are: one pool, so that no core waits."""

    def __init__(self, settings, out, jobs, result, progress, scratch, written):
        self.settings, self.out, self.jobs, self.result = settings, out, jobs, result
        self.progress, self.scratch = progress, scratch
        self.written = written  # kind -> sheets whose document is there already (--resume)
        self.total = sum(len(jobs) - len(written[k]) for k in KINDS) + 2  # and the print files
        self.done = 0
        self.failed: dict[int, Done] = {}
        self.bad: set[tuple[str, int]] = set()  # (kind, index) of the documents that failed
        self.left = {kind: len(jobs) - len(written[kind]) for kind in KINDS}
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
        self.result.errors = self.merge_errors

    def documents(self, pool: Pool, kind: str, skeleton_future) -> dict:
        try:
            skeleton = pool.result(skeleton_future)
        except Exception as e:  # noqa: BLE001 - then this kind is rendered whole: slower, same pages
            skeleton = None
            self.result.warnings.append(
                f"the shared {kind} layout could not be built ({type(e).__name__}: {e}); "
                f"every {kind} is rendered whole, about 3x slower"
            )
        if not self.left[kind]:  # --resume: every document of this kind is there
            return self.print_file(pool, kind)
        return {
            pool.submit(render_job, kind, j, self.settings, self.target(kind, j), skeleton,
                        what=f"the {kind} of sheet {j.index + 1} ({j.version})"):
            ("document", kind, j)
            for j in self.jobs
            if j.index not in self.written[kind]
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
        return self.print_file(pool, kind)

    def print_file(self, pool: Pool, kind: str) -> dict:
        """The merge of this kind's documents into its print file, once all are written."""
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
            system = isinstance(e, OSError) and e.strerror
            why = e.strerror if system else f"{type(e).__name__}: {e}"
            self.merge_errors.append(f"print/{kind}s.pdf not written: {why}")
            self.result.files.pop(f"print/{kind}s.pdf", None)
        self.step(f"print/{kind}s.pdf")
