"""`bpquiz grade`: read what came back, grade it against the key, write the reports.

The run, in order: read the key (and refuse an existing gradebook unless --force) before
anything else; read every submission (PDFs in worker processes); match and grade them (pure,
`marking`); render the feedback PDFs and the summary in the worker pool while this process
writes grades.json and problems.csv; gradebook.csv last, so that a gradebook means a finished run.
"""

from __future__ import annotations

import functools
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import lock
from .constants import DEFAULT_DECIMALS, DEFAULT_TITLE, PAPERS
from .errors import GradeError, Interrupted, located
from .exercise.key import Key, Sheet, gc_paused, loads, parse_key
from .exercise.model import Exercise
from .files import read_json, write_atomic
from .marking.formats import read_files
from .marking.grading import Policy
from .marking.lms_match import identify, moodle_gradebook_csv
from .marking.match import Result, grade_class, missing
from .marking.own import unfilled_templates
from .marking.reports import gradebook_csv, grades_json, problems_csv, statistics_dict
from .marking.submissions import Problem, Reading, expand, normalize_version
from .outfolder import check_out, feedback_folder, feedback_names
from .pool import Pool, WorkerDied, workers_for

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class Run:
    """What a grading run did: the graded results, the problems, and the files written."""

    out: Path
    exercise: Exercise = field(default_factory=Exercise)
    results: list[Result] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    missing: list[Sheet] = field(default_factory=list)  # roster students who handed nothing in
    files: dict[str, Path] = field(default_factory=dict)
    feedback_failed: list[str] = field(default_factory=list)
    inputs: int = 0  # files read
    seconds: dict[str, float] = field(default_factory=dict)  # stage -> wall time

    @functools.cached_property
    def statistics(self) -> dict[str, Any]:
        """Class statistics (`statistics_dict`), computed once the results are in."""
        return statistics_dict(self.exercise, self.results, len(self.missing))


def load_key(path: Path) -> Key:
    data = read_json(path, "key file", GradeError, loads)
    with located(path):
        return parse_key(data)


def key_settings(key: Key, path: Path) -> dict[str, Any]:
    """The key's settings that grading uses, checked: decimals a whole number 0–15 (as
    `--decimals`); paper, title and course text (an unknown paper is A4)."""
    settings = dict(key.settings)
    decimals = settings.get("decimals", DEFAULT_DECIMALS)
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 15:
        raise GradeError(f"{path}: settings.decimals: expected a whole number from 0 to 15, "
                         f"got {_brief(decimals)}")  # fmt: skip
    settings["decimals"] = decimals
    for name in ("paper", "title", "course", "lang"):
        value = settings.get(name)
        if value is not None and not isinstance(value, str):
            raise GradeError(f"{path}: settings.{name}: expected text, got {_brief(value)}")
    return settings


def _brief(value: Any) -> str:
    """A value for a one-line message: its repr, cut at 40 characters."""
    try:
        text = repr(value)
    except (RecursionError, ValueError):  # nested very deeply; an int too long to print
        text = f"a {type(value).__name__}"
    return text if len(text) <= 40 else text[:39] + "…"


def check_codes(key: Key, path: Path, reading: Reading) -> None:
    """Submissions none of whose codes is in the key were made for another run (or the key has
    no variants): a usage error before anything is written, not a gradebook of problems."""
    codes = {s.version for s in reading.submissions}
    if codes and not codes & {normalize_version(s.version) for s in key.sheets}:
        n = len(codes)
        shown = ", ".join(sorted(codes)[:3]) + (", …" if n > 3 else "")
        raise GradeError(
            f"{path}: none of the {n} code{'s' if n != 1 else ''} is in this key ({shown}; the key "
            f"has {len(key.sheets)} variant{'s' if len(key.sheets) != 1 else ''}): "
            "the key of another run?"
        )


def read_inputs(
    paths: Sequence[Path], exercise: Exercise, exclude: Sequence[Path] = (),
    jobs: int | None = None, progress: Progress | None = None, fmt: str | None = None,
) -> tuple[Reading, int]:  # fmt: skip
    """Every submission under `paths`, in input order; PDFs are read in worker processes."""
    files, reading = expand(paths, exclude)
    pdfs = [f for f in files if f.suffix.lower() == ".pdf"]
    # A process is worth its start-up for a dozen PDFs or more; eight files to a job.
    chunks = [files[k : k + 8] for k in range(0, len(files), 8)]
    with Pool(workers_for(jobs, len(pdfs) // 16)) as pool:
        futures = [pool.submit(read_files, c, exercise, fmt, what=str(c[0])) for c in chunks]
        done = 0
        for chunk, future in zip(chunks, futures):
            for part in pool.result(future):
                reading.extend(part)
            done += len(chunk)
            if progress:
                progress("reading", done, len(files))
    return reading, len(files)


# --- the worker side --------------------------------------------------------------------------


def _warm_up(paper: str, templates: tuple[str, ...], lang: str, in_worker: bool) -> None:
    from .documents import render

    render.warm_up(papers=(paper,), templates=templates, lang=lang)


# --- the run ------------------------------------------------------------------------------------


def run_grade(
    inputs: Sequence[Path],
    key_path: Path,
    out: Path,
    policy: Policy | None = None,
    *,
    decimals: int | None = None,
    policy_args: dict[str, Any] | None = None,
    force: bool = False,
    feedback: bool = True,
    summary: bool = True,
    jobs: int | None = None,
    progress: Progress | None = None,
    lang: str | None = None,
    fmt: str | None = None,
    gradebooks: Sequence[str] = (),
) -> Run:
    """Grade everything under `inputs` against the key; write the reports to `out`.

    `policy` None: `Policy(**policy_args)` at `decimals`, by default the key's; `lang`: the
    feedback's and summary's language, by default the sheets' (the key's). `fmt` forces one
    reader for every file (`formats.FORMATS`); `gradebooks` ("moodle") adds
    gradebook-moodle.csv, the import of a Moodle gradebook.
    """
    from .documents import i18n

    key = load_key(key_path)
    check_out(out, force, key.exercise)
    settings = key_settings(key, key_path)
    lang = i18n.check(lang or str(settings.get("lang") or "en"))
    if policy is None:
        if decimals is None:
            decimals = settings["decimals"]
        policy = Policy(decimals=decimals, **(policy_args or {}))
    policy.check(key.exercise)
    run = Run(out, key.exercise)
    clock = time.perf_counter()
    # DIR is not excluded: it may be the submissions folder itself. The files a grading writes
    # there are recognised by their content (marking.own) and skipped.
    reading, run.inputs = read_inputs(inputs, key.exercise, jobs=jobs, progress=progress, fmt=fmt)
    reading = identify(key, reading, policy)  # LMS submissions that did not name their variant
    if run.inputs == 0:  # nothing to grade is a usage error, not an empty gradebook
        raise GradeError(
            "; ".join(p.line() for p in reading.problems)
            or "no CSV, JSON, PDF or XML files found in " + ", ".join(map(str, inputs))
        )
    templates = unfilled_templates([s.version for s in key.sheets], reading.submissions)
    if templates:
        reading.submissions = [s for s in reading.submissions if s.source not in templates]
        reading.skipped += [(f, "an answers template with no answer filled in") for f in templates]
    run.warnings = reading.skipped_warnings() + reading.warnings
    check_codes(key, key_path, reading)
    # The key and the marks are many small objects that live to the end of the run: keep the
    # cyclic garbage collector from scanning them again and again (3x faster on 10,000 rows).
    with gc_paused():
        run.results, class_problems = grade_class(key, reading.submissions, policy)
        run.missing, absent = missing(key, run.results)
        run.problems = reading.problems + class_problems + absent
        run.statistics  # noqa: B018 - computed here, with the collector paused
    run.seconds["read+grade"] = time.perf_counter() - clock

    # The folder is locked from here (one grading at a time); gradebook.csv is written last, so
    # that a run stopped before it (Ctrl-C, a full disk) leaves no gradebook that looks finished.
    earlier = lock.found(out)
    # The feedback an unfinished grading left is replaced, as with --force.
    clear = force or (earlier is not None and earlier.state == "incomplete")
    with lock.RunLock(out, "grade", take_over=True) as run_lock:
        try:
            _write(run, out, key, reading, policy, settings, lang, feedback, summary, clear,
                   jobs, progress, gradebooks)  # fmt: skip
        except Interrupted:
            run_lock.incomplete("interrupted")
            done = len(list((out / "feedback").glob("*.pdf"))) if feedback else 0
            _remove_temporary(out)
            raise Interrupted(
                f"interrupted: {len(run.results)} submissions graded, no gradebook written"
                + (f" ({done} feedback PDFs are in {out / 'feedback'})" if feedback else "")
                + "; the same command again finishes the grading"
            ) from None
        except OSError as e:
            run_lock.incomplete(f"not written: {e.strerror or e}")
            _remove_temporary(out)
            where = f"{e.filename}: cannot write it" if e.filename else f"{out}: cannot write there"
            failed = len(run.feedback_failed)
            also = f"; {failed} feedback PDFs could not be written either" if failed else ""
            raise GradeError(f"{where} ({e.strerror or e}); no gradebook written{also}") from None
    return run


def _remove_temporary(out: Path) -> None:
    """The temporary files of writes that a stop left half done (`files.open_atomic`)."""
    for folder in (out, out / "feedback"):
        for tmp in folder.glob(".*.tmp") if folder.is_dir() else ():
            tmp.unlink(missing_ok=True)


def _feedback_skeleton(
    pool: Pool, run: Run, policy: Policy, page: Any, paper: str, scratch: Path
) -> Path | None:  # fmt: skip
    """The feedback's shared layout, laid out (or found kept) once; None, with a warning, if it
    cannot be: then each feedback is rendered whole."""
    from .documents.feedback import feedback_context
    from .documents.graded import build_feedback_skeleton, neutral_result

    try:
        context = feedback_context(neutral_result(run.exercise, policy), policy, page)
        job = pool.submit(build_feedback_skeleton, context, paper, scratch / "feedback.skeleton",
                          what="the feedback layout")  # fmt: skip
        return pool.result(job)
    except (Interrupted, WorkerDied):
        raise
    except Exception as e:  # noqa: BLE001 - slower, not wrong: each feedback is rendered whole
        run.warnings.append(f"the feedback layout failed ({type(e).__name__}: {e}); "
                            "each feedback PDF is rendered whole")  # fmt: skip
        return None


def _write(
    run: Run, out: Path, key: Key, reading: Reading, policy: Policy, settings: dict[str, Any],
    lang: str, feedback: bool, summary: bool, force: bool, jobs: int | None,
    progress: Progress | None, gradebooks: Sequence[str],
) -> None:  # fmt: skip
    """The feedback PDFs, summary.pdf and the reports, gradebook.csv last."""
    from .documents.feedback import feedback_context, summary_context
    from .documents.graded import render_feedback, render_summary
    from .documents.views import Page

    ours, others = feedback_folder(out, reading, key.exercise) if feedback else ([], set())
    names = feedback_names(run.results, others)
    paper = str(settings.get("paper") or "a4")
    paper = paper if paper in PAPERS else "a4"
    title, course = str(settings.get("title") or DEFAULT_TITLE), str(settings.get("course") or "")
    page = Page(title, course, policy.decimals, lang)
    clock = time.perf_counter()
    tasks = (len(run.results) if feedback else 0) + summary
    # In worker processes even for one document (this process writes grades.json meanwhile),
    # unless --jobs 1.
    workers = workers_for(jobs, tasks)
    templates = ("feedback.html.j2",) * feedback + ("summary.html.j2",) * summary
    initializer = _warm_up if tasks else None
    warm = (paper, templates, lang)
    with (
        Pool(workers, initializer, warm, in_process=jobs == 1 or not tasks) as pool,
        tempfile.TemporaryDirectory(prefix="bpquiz-skeletons-") as scratch,
    ):
        folder = out / "feedback"
        rendering = []
        if feedback and run.results:
            if force:
                for old in ours:  # an earlier grading's feedback; never a file it did not write
                    old.unlink(missing_ok=True)
            skeleton = _feedback_skeleton(pool, run, policy, page, paper, Path(scratch))
            rendering = [
                (r, pool.submit(render_feedback, folder / name, feedback_context(r, policy, page),
                                paper, skeleton, what=f"the feedback of {r.student}"))
                for r, name in zip(run.results, names)
            ]  # fmt: skip
            for done, (r, future) in enumerate(rendering, start=1):
                error = pool.result(future)
                if progress:
                    progress("feedback", done, len(rendering))
                if error:
                    run.feedback_failed.append(f"{r.student}: {error}")
                    run.problems.append(Problem(r.submission.source, r.submission.row, "feedback",
                                                f"feedback PDF not written: {error}"))  # fmt: skip
            if rendering:
                run.files["feedback/"] = folder
        run.seconds["feedback"] = time.perf_counter() - clock
        clock = time.perf_counter()
        if summary:
            context = summary_context(
                key.exercise, run.results, run.problems, policy, page, run.statistics
            )
            summary_pdf = pool.submit(render_summary, context, paper, what="summary.pdf")
        written = [f"feedback/{n}" for n in names] if feedback else None
        extra = []
        if "moodle" in gradebooks:
            text, notes = moodle_gradebook_csv(run.results, page.title)
            run.warnings += notes
            extra.append(("gradebook-moodle.csv", text))
        reports = (
            *extra,
            ("grades.json", grades_json(key.exercise, run.results, run.problems, run.warnings,
                                        policy, written, run.statistics, run.missing)),
            ("problems.csv", problems_csv(run.problems)),
            ("gradebook.csv", gradebook_csv(key.exercise, run.results, run.missing,
                                            sum(policy.max_points(key.exercise).values()))),
        )  # fmt: skip
        if summary:
            write_atomic(out / "summary.pdf", pool.result(summary_pdf))
            run.files["summary.pdf"] = out / "summary.pdf"
        for name, text in reports:
            write_atomic(out / name, text)
            run.files[name] = out / name
    run.seconds["write"] = time.perf_counter() - clock
