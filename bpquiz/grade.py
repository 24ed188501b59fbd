"""`bpquiz grade`: read what came back, grade it against the key, write the reports.

The run, in order: read the key (and refuse an existing gradebook unless --force) before
anything else; read every submission (PDFs in worker processes); match and grade them (pure,
`marking`); render the feedback PDFs and the summary in the worker pool while this process
writes grades.json and problems.csv; gradebook.csv last, so that a gradebook means a finished run.
"""

from __future__ import annotations

import functools
import itertools
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .constants import DEFAULT_DECIMALS, DEFAULT_TITLE, PAPERS
from .errors import GradeError, located
from .exercise.key import Key, Sheet, gc_paused, loads, parse_key
from .exercise.model import Exercise
from .files import BadJSON, decode_text, parse_json, read_json, write_atomic
from .marking.formats import read_file, read_files
from .marking.grading import Policy
from .marking.lms_match import identify, moodle_gradebook_csv
from .marking.match import Result, grade_class, missing
from .marking.own import unfilled_templates
from .marking.reports import gradebook_csv, grades_json, problems_csv, statistics_dict
from .marking.submissions import Problem, Reading, expand, normalize_version
from .pool import Pool, workers_for

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


REPORTS = ("gradebook.csv", "grades.json", "problems.csv", "summary.pdf")


def check_out(out: Path, force: bool, exercise: Exercise) -> None:
    """An existing gradebook is kept unless --force, and a file of a report's name that bpquiz
    did not write (DIR may be the submissions folder) is never overwritten; nothing is written
    before this check."""
    if out.exists() and not out.is_dir():
        raise GradeError(f"{out}: exists and is not a folder")
    for name in REPORTS:
        if (out / name).is_file() and not own_file(out / name, exercise):
            raise GradeError(f"{out / name} exists and was not written by bpquiz (a submission?): "
                             "it is not overwritten; choose another --out folder")  # fmt: skip
    if (out / "gradebook.csv").exists() and not force:
        raise GradeError(f"{out / 'gradebook.csv'} exists (use --force to overwrite it)")


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


def own_file(path: Path, exercise: Exercise) -> bool:
    """Whether bpquiz wrote this file (`marking.own`, by its content)."""
    if path.suffix.lower() == ".json":  # grades.json: its schema comes first; do not parse 50 MB
        try:
            with path.open("rb") as f:
                return b'"schema": "bpquiz.' in f.read(4096)
        except OSError:
            return False
    return bool(read_file(path, exercise).skipped)


def previous_feedback(out: Path) -> set[Path]:
    """The feedback PDFs the previous grading into `out` wrote, as its grades.json lists them."""
    folder = (out / "feedback").resolve()
    try:
        data = parse_json(decode_text((out / "grades.json").read_bytes()))
        listed = {str(s["feedback"]) for s in data["submissions"] if "feedback" in s}
    except (OSError, UnicodeDecodeError, BadJSON, KeyError, TypeError):
        return set()
    paths = {(out / f).resolve() for f in listed}
    return {p for p in paths if p.parent == folder and p.suffix.lower() == ".pdf"}


def feedback_folder(out: Path, reading: Reading, exercise: Exercise) -> tuple[list[Path], set[str]]:
    """What is in DIR/feedback: the files an earlier grading wrote (listed in its grades.json,
    or recognised by content), which --force removes, and the names of every other file (a
    student's, if DIR is the submissions folder), which no feedback PDF may take."""
    folder = out / "feedback"
    if not folder.is_dir():
        return [], set()
    listed = previous_feedback(out)
    skipped = {Path(f).resolve() for f, _ in reading.skipped}
    read = {Path(s.source).resolve() for s in reading.submissions}
    read |= {Path(p.file).resolve() for p in reading.problems}
    ours, others = [], set()
    for p in sorted(folder.iterdir()):
        real = p.resolve()
        known = real in listed or real in skipped
        if p.is_file() and real not in read and (known or own_file(p, exercise)):
            ours.append(p)
        else:
            others.add(p.name.casefold())
    return ours, others


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


# Names Windows keeps for devices, whatever the extension ("CON.pdf", "nul.txt.pdf" open the
# console or nothing): a feedback PDF is never named so.
WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"{d}{i}" for d in ("COM", "LPT") for i in range(1, 10)}
)
NAME_LENGTH = 60  # of the part of a feedback file name taken from the student ID


def feedback_names(results: Sequence[Result], taken: set[str] | None = None) -> list[str]:
    """Each result's feedback file name: its student ID (else version) made safe — letters,
    digits, `._-` only, at most NAME_LENGTH characters, never a Windows device name — unique
    ignoring case, and none of the names `taken` (files in the folder bpquiz did not write)."""
    names: list[str] = []
    taken = {t.casefold() for t in taken or ()}
    for k, r in enumerate(results, start=1):
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", r.student).strip("._-")[:NAME_LENGTH]
        base = base.strip("._-") or r.version
        if base.split(".")[0].upper() in WINDOWS_RESERVED:
            base = f"_{base}"
        candidates = itertools.chain(
            (base, f"{base}-{r.version}"), (f"{base}-{r.version}-{n}" for n in itertools.count(k))
        )
        name = next(c for c in candidates if f"{c}.pdf".casefold() not in taken)
        taken.add(f"{name}.pdf".casefold())
        names.append(f"{name}.pdf")
    return names


# --- the worker side --------------------------------------------------------------------------


def _warm_up(paper: str, templates: tuple[str, ...], lang: str, in_worker: bool) -> None:
    from .documents import render

    render.warm_up(papers=(paper,), templates=templates, lang=lang)


def render_feedback(path: Path, context: dict[str, Any], paper: str) -> str:
    """Render and write one feedback PDF; returns "" or the error (never raises)."""
    from .documents import render

    try:
        write_atomic(path, render.render_pdf("feedback.html.j2", context, paper))
    except Exception as e:  # noqa: BLE001 - one bad document must not stop the batch
        return f"{type(e).__name__}: {e}"
    return ""


def render_summary(context: dict[str, Any], paper: str) -> bytes:
    from .documents import render

    return render.render_pdf("summary.html.j2", context, paper)


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
    from .documents.feedback import feedback_context, summary_context
    from .documents.views import Page

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

    out.mkdir(parents=True, exist_ok=True)
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
    with Pool(workers, initializer, warm, in_process=jobs == 1 or not tasks) as pool:
        folder = out / "feedback"
        rendering = []
        if feedback:
            if force:
                for old in ours:  # an earlier grading's feedback; never a file it did not write
                    old.unlink(missing_ok=True)
            rendering = [
                (r, pool.submit(render_feedback, folder / name, feedback_context(r, policy, page),
                                paper, what=f"the feedback of {r.student}"))
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
    return run
