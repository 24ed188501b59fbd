"""`bpquiz generate`: a print-ready class set — worksheets, worked solutions, key, print files.

The pipeline, in order:

1. plan: draw one variant per student (seeded, `variants.draw_variant`), give each an opaque
   version code (`variants.version_codes`), pair them with the roster's students if any;
2. write the key (key.json, key.csv, answers-template.csv) — the source of truth, first;
3. lay out, once per run, the part of each document kind that all students share (a skeleton,
   the two built side by side in the worker pool; each worker loads templates, CSS and fonts
   once);
4. render every student's worksheet and solution: their own numbers, name and code stamped on
   the skeleton; a job carries the given values, who the sheet is for and the skeleton, and the
   worker writes the PDF itself, so the parent never holds them;
5. as soon as all documents of a kind are written, merge them into print/worksheets.pdf or
   print/solutions.pdf (in a thread of the parent), each document padded to an even page count,
   form fields renamed `<version>.<step id>` so they never collide.

Every file is written atomically. One document that fails to render does not stop the batch: the
others are written and the failure is reported.
"""

from __future__ import annotations

import csv
import functools
import gc
import hashlib
import io
import os
from collections.abc import Callable, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .expr import HALF, Frac, Partial, Typesetter, Var, sigmoid
from .files import write_atomic
from .keyfile import Sheet, answers_template_csv, dumps, key_csv, key_dict
from .model import PHASES, Given
from .network import BY_ID, GIVEN_SYMBOLS, STEPS, solve, typeset
from .pdfio import Stamper, merge_for_print
from .variants import (
    ARTICLE_EXAMPLE,
    DrawError,
    draw_variant,
    random_seed,
    run_secret,
    version_codes,
)

PAPERS = ("a4", "letter")
DEFAULT_TITLE = "Backpropagation exercise"
MAX_N = 5000


class GenerateError(ValueError):
    """A problem with the user's input (roster, options, output folder); one line."""


@dataclass(frozen=True)
class Settings:
    """What a run was asked for; recorded in key.json so that the run can be repeated."""

    n: int = 30
    seed: int = 0
    decimals: int = 5
    learning_rate: float | None = None
    paper: str = "a4"
    title: str = DEFAULT_TITLE
    course: str = ""
    example: bool = False
    roster: str | None = None  # the roster's file name, for the record

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
        }


@dataclass(frozen=True)
class Student:
    student_id: str
    name: str


# --- roster -------------------------------------------------------------------------------------


def read_roster(path: Path) -> list[Student]:
    """Students from a CSV with a header row `student_id,name` (other columns are ignored)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise GenerateError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise GenerateError(f"{path}: not UTF-8 text (save the roster as CSV UTF-8)") from None
    except OSError as e:
        raise GenerateError(f"{path}: cannot read ({e.strerror})") from None
    return parse_roster(text, str(path))


def parse_roster(text: str, source: str = "roster") -> list[Student]:
    rows = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = next(rows)
    except StopIteration:
        raise GenerateError(f"{source}: empty file (expected a header row student_id,name)") from None
    except csv.Error as e:
        raise GenerateError(f"{source}: line 1: {e}") from None
    columns = [h.strip().lower() for h in header]
    missing = [c for c in ("student_id", "name") if c not in columns]
    if missing:
        raise GenerateError(
            f"{source}: the header row must name the columns student_id and name "
            f"(missing {', '.join(missing)}; found {', '.join(map(repr, header)) or 'nothing'})"
        )
    id_col, name_col = columns.index("student_id"), columns.index("name")
    students: list[Student] = []
    seen: dict[str, int] = {}
    try:
        for row in rows:
            line = rows.line_num
            if not any(cell.strip() for cell in row):
                continue  # blank lines, e.g. at the end
            if len(row) <= max(id_col, name_col):
                raise GenerateError(
                    f"{source}: line {line}: expected at least {max(id_col, name_col) + 1} "
                    f"columns, got {len(row)}"
                )
            student_id, name = row[id_col].strip(), row[name_col].strip()
            if not student_id:
                raise GenerateError(f"{source}: line {line}: empty student_id")
            if student_id in seen:
                raise GenerateError(
                    f"{source}: line {line}: duplicate student_id {student_id!r} "
                    f"(also on line {seen[student_id]})"
                )
            seen[student_id] = line
            students.append(Student(student_id, name))
    except csv.Error as e:
        raise GenerateError(f"{source}: line {rows.line_num}: {e}") from None
    if not students:
        raise GenerateError(f"{source}: no students (only a header row)")
    if len(students) > MAX_N:
        raise GenerateError(f"{source}: {len(students)} students; at most {MAX_N} per run")
    return students


# --- plan ---------------------------------------------------------------------------------------


def plan(settings: Settings, roster: Sequence[Student] | None = None) -> tuple[list[Sheet], str]:
    """The run's sheets (variant + student) in order, and its secret for the version codes."""
    secret = run_secret(settings.seed)
    students = list(roster) if roster else [Student("", "")] * settings.n
    codes = version_codes(secret, len(students))
    sheets = []
    for index, (student, code) in enumerate(zip(students, codes)):
        if settings.example:
            given = ARTICLE_EXAMPLE
            if settings.learning_rate is not None:
                given = replace(given, learning_rate=settings.learning_rate)
            variant = solve(given, code)
        else:
            try:
                variant = draw_variant(
                    settings.seed, index, settings.decimals, settings.learning_rate, code
                )
            except DrawError as e:
                raise GenerateError(str(e)) from None
        sheets.append(Sheet(variant, student.student_id, student.name))
    return sheets, secret


# --- what the templates get ---------------------------------------------------------------------
# Formulas are HTML strings from the `render.PrintMath` typesetter; the templates mark them safe
# with the `math` filter. The symbolic forms are the same for every student: computed once per
# process (functools.cache).


@functools.cache
def _ts(numeric: bool) -> Typesetter:
    from .render import PrintMath  # the typesetter matching style.css

    return PrintMath(numeric=numeric)


@functools.cache
def _symbolic(step_id: str, part: str) -> str:
    """A step's symbol, chain, expanded form or formula, typeset (no container)."""
    step = BY_ID[step_id]
    return typeset(getattr(step, part), _ts(False))


def _sym(html: str) -> str:
    return _ts(False).formula(html)


@functools.cache
def _given_symbol(name: str) -> str:
    return _sym(typeset(GIVEN_SYMBOLS[name], _ts(False)))


def _given_text(x: float) -> str:
    return Typesetter().number(x).replace("-", "−")


# Question rows: (phase, step ids per row). Three to a row where the article groups three
# (∂E1/∂w, ∂E2/∂w, ∂E_total/∂w), two otherwise.
QUESTION_ROWS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("forward", ("sum_h1", "out_h1")),
    ("forward", ("sum_h2", "out_h2")),
    ("forward", ("sum_o1", "out_o1")),
    ("forward", ("sum_o2", "out_o2")),
    ("error", ("E1", "E2", "E_total")),
    ("output", ("dE_dout_o1", "dout_o1_dsum_o1")),
    ("output", ("dE_dout_o2", "dout_o2_dsum_o2")),
    ("output", ("dE_dw5", "dE_dw6")),
    ("output", ("dE_dw7", "dE_dw8")),
    ("output", ("new_w5", "new_w6")),
    ("output", ("new_w7", "new_w8")),
    ("hidden", ("dout_h1_dsum_h1", "dout_h2_dsum_h2")),
    *(("hidden", (f"dE1_d{w}", f"dE2_d{w}", f"dE_d{w}")) for w in ("w1", "w2", "w3", "w4")),
    ("hidden", ("new_w1", "new_w2")),
    ("hidden", ("new_w3", "new_w4")),
)
NUMBER = {s.id: k for k, s in enumerate(STEPS, start=1)}
assert [i for _, row in QUESTION_ROWS for i in row] == [s.id for s in STEPS]


@functools.cache
def _question_phases() -> tuple[dict[str, Any], ...]:
    """The worksheet's questions: the same for every student (no numbers in them)."""
    phases = []
    for phase, title in PHASES.items():
        rows = []
        for row_phase, ids in QUESTION_ROWS:
            if row_phase != phase:
                continue
            questions = [
                {
                    "number": NUMBER[i],
                    "id": i,
                    "label": BY_ID[i].label,
                    "symbol": _sym(_symbolic(i, "symbol")),
                }
                for i in ids
            ]
            # A 6-column grid: two questions to a row take 3 columns each, three take 2.
            rows.append({"questions": questions, "span": 6 // len(ids)})
        phases.append({"title": title, "rows": rows})
    return tuple(phases)


@functools.cache
def _instruction_formulas() -> dict[str, str]:
    """The worksheet's reminders: weighted sum, sigmoid, error, update rule (symbolic)."""
    ts = _ts(False)
    out, s, w, eta = Var("out"), Var("sum"), Var("w"), Var("eta")
    o1, o2 = Var("out", "o1"), Var("out", "o2")
    t1, t2 = GIVEN_SYMBOLS["target1"], GIVEN_SYMBOLS["target2"]
    E = Var("E", "total")

    def eq(left: Any, right: Any) -> str:
        return _sym(f"{typeset(left, ts)} = {typeset(right, ts)}")

    return {
        "sum": _sym(
            f"{typeset(s, ts)} = Σ {typeset(w, ts)} · <span class=\"u\">input</span> + "
            f"{typeset(Var('b'), ts)}"
        ),
        "sigmoid": eq(out, sigmoid(s)),
        "error": eq(E, HALF * (t1 - o1) ** 2 + HALF * (t2 - o2) ** 2),
        "update": eq(Var("w", "", "+"), w - eta * Frac(Partial(E), Partial(w))),
        "eta": _sym(typeset(eta, ts)),
    }


def _given_groups(given: Given) -> list[list[tuple[str, str, str]]]:
    """The given values as a narrow table: (name, symbol, value), two to a row."""
    g = given.as_dict()
    rows = [
        ("i1", "i2"), ("w1", "w2"), ("w3", "w4"), ("w5", "w6"), ("w7", "w8"),
        ("b1", "b2"), ("target1", "target2"),
    ]  # fmt: skip
    groups = [[(n, _given_symbol(n), _given_text(g[n])) for n in row] for row in rows]
    groups.append([("learning_rate", _given_symbol("learning_rate"), _given_text(g["learning_rate"]))])
    return groups


def _given_rows(given: Given) -> list[list[tuple[str, str, str]]]:
    """The given values as one wide table: four rows of (name, symbol, value)."""
    g = given.as_dict()
    rows = [
        ("i1", "i2", "b1", "b2"), ("w1", "w2", "w3", "w4"), ("w5", "w6", "w7", "w8"),
        ("target1", "target2", "learning_rate"),
    ]  # fmt: skip
    return [[(n, _given_symbol(n), _given_text(g[n])) for n in row] for row in rows]


def _net(given: Given) -> dict[str, str]:
    return {k: _given_text(v) for k, v in given.as_dict().items()}


def _common(sheet: Sheet, settings: Settings) -> dict[str, Any]:
    given = sheet.variant.given
    return {
        "title": settings.title,
        "course": settings.course,
        "version": sheet.version,
        "student_id": sheet.student_id,
        "name": sheet.name,
        "decimals": settings.decimals,
        "net": _net(given),
        "given_groups": _given_groups(given),
        "given_rows": _given_rows(given),
    }


def worksheet_context(sheet: Sheet, settings: Settings) -> dict[str, Any]:
    """Everything worksheet.html.j2 shows: the given values and the questions, no step value."""
    return {
        **_common(sheet, settings),
        "formulas": _instruction_formulas(),
        "eta": _given_text(sheet.variant.given.learning_rate),
        "example_number": "0." + "".join(str((k % 9) + 1) for k in range(settings.decimals)),
        "phases": _question_phases(),
    }


def solution_context(sheet: Sheet, settings: Settings) -> dict[str, Any]:
    """Everything solution.html.j2 shows: per step the formula lines, numbers and result.

    A step's lines, as the article writes them: `symbol = chain rule` (if it has one), then
    `= components written out` (or `= formula`), then `= numbers substituted = result`. The
    symbolic lines are the same for every student and computed once per process.
    """
    variant, decimals = sheet.variant, settings.decimals
    numeric = _ts(True)
    phases = []
    for phase, title in PHASES.items():
        steps = []
        for step in variant.steps:
            d = step.definition
            if d.phase != phase:
                continue
            value = numeric.number(step.value, decimals)
            numbers = typeset(d.formula, numeric, variant, decimals)
            steps.append(
                {
                    "number": NUMBER[d.id],
                    "id": d.id,
                    "label": d.label,
                    "symbolic": _solution_lines(d.id),
                    "numbers": f'= {numbers} = <b class="result">{value}</b>',
                }
            )
        phases.append({"title": title, "steps": steps})
    given = variant.given.as_dict()
    updated = [
        {
            "name": w,
            "symbol": _given_symbol(w),
            "before": _given_text(given[w]),
            "after": numeric.number(variant.values[f"new_{w}"], decimals),
        }
        for w in (f"w{k}" for k in range(1, 9))
    ]
    return {
        **_common(sheet, settings),
        "phases": phases,
        "updated": updated,
        "symbolic_class": _ts(False).css_class,
        "numeric_class": numeric.css_class,
    }


@functools.cache
def _solution_lines(step_id: str) -> tuple[str, ...]:
    """The symbolic lines of a step's worked solution (the first one starts with its symbol)."""
    d = BY_ID[step_id]
    rights = [_symbolic(step_id, "chain")] if d.chain is not None else []
    second = _symbolic(step_id, "expanded" if d.expanded is not None else "formula")
    if second not in rights:
        rights.append(second)
    symbol = _symbolic(step_id, "symbol")
    return tuple(f"{symbol} = {right}" if k == 0 else f"= {right}" for k, right in enumerate(rights))


# --- rendering (worker side) --------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One student's documents: small, picklable data for a worker process."""

    index: int
    version: str
    given: dict[str, float]
    student_id: str
    name: str
    worksheet: Path
    solution: Path


@dataclass(frozen=True)
class Done:
    index: int
    version: str
    error: str = ""  # empty when the document was written; else "<kind>: <what went wrong>"


# A worksheet or solution differs between students only in its slots (templates/macros.html.j2):
# the shared part is laid out once per run — from the run's first sheet, so the output does not
# depend on how sheets are shared out among workers — and each student's slots are stamped on it
# (render.render_skeleton, pdfio.Stamper). Without a skeleton, a document is rendered whole.
DOCUMENTS = {"worksheet": ("worksheet.html.j2", True), "solution": ("solution.html.j2", False)}
_stampers: dict[bytes, Stamper] = {}  # per worker process: skeleton PDF digest -> its Stamper


def _context(kind: str, sheet: Sheet, settings: Settings) -> dict[str, Any]:
    return (worksheet_context if kind == "worksheet" else solution_context)(sheet, settings)


def _sheet(job: Job) -> Sheet:
    return Sheet(solve(Given(**job.given), job.version), job.student_id, job.name)


def _init_worker(paper: str) -> None:
    from . import render

    render.warm_up(
        papers=(paper,), templates=("worksheet.html.j2", "solution.html.j2", "network.svg.j2")
    )
    gc.freeze()  # fonts, styles, templates live as long as the worker: the collector can skip them


def build_skeleton(kind: str, reference: Job, settings: Settings) -> Any:
    """The shared part of a run's worksheets or solutions (a render.Skeleton), or None."""
    from . import render

    template, forms = DOCUMENTS[kind]
    try:
        html = render.render_html(template, _context(kind, _sheet(reference), settings))
        return render.render_skeleton(html, settings.paper, forms)
    except Exception:  # noqa: BLE001 - then every document is rendered whole: slower, same pages
        return None


def render_document(kind: str, sheet: Sheet, settings: Settings, skeleton: Any = None) -> bytes:
    """One student's worksheet or solution as PDF: stamped on `skeleton`, or rendered whole."""
    from . import render

    template, forms = DOCUMENTS[kind]
    html = render.render_html(template, _context(kind, sheet, settings))
    if skeleton is None:
        return render.html_to_pdf(html, settings.paper, forms)
    digest = hashlib.md5(skeleton.pdf, usedforsecurity=False).digest()
    if digest not in _stampers:
        _stampers[digest] = Stamper(skeleton.pdf)
        gc.freeze()  # and so does the skeleton
    return _stampers[digest].stamp(render.render_stamp(skeleton, html), render.field_values(html))


def render_job(job: Job, settings: Settings, kind: str, skeleton: Any = None) -> Done:
    """Render and write one student's worksheet or solution; never raises."""
    try:
        path = job.worksheet if kind == "worksheet" else job.solution
        write_atomic(path, render_document(kind, _sheet(job), settings, skeleton))
    except Exception as e:  # noqa: BLE001 - one bad document must not stop the batch
        return Done(job.index, job.version, f"{kind}: {type(e).__name__}: {e}")
    return Done(job.index, job.version)


# --- the run ------------------------------------------------------------------------------------

Progress = Callable[[int, int, str], None]  # (documents done, total, what was just done)


@dataclass
class Result:
    out: Path
    sheets: list[Sheet]
    files: dict[str, Path] = field(default_factory=dict)  # what -> path
    failed: list[Done] = field(default_factory=list)
    pages: dict[str, int] = field(default_factory=dict)  # print file -> pages


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


def generate(
    settings: Settings,
    out: Path,
    roster: Sequence[Student] | None = None,
    jobs: int | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> Result:
    """Write a class set to `out`; see the module docstring for the steps."""
    if settings.paper not in PAPERS:
        raise GenerateError(f"unknown paper {settings.paper!r} (expected a4 or letter)")
    check_out(out, force)
    sheets, secret = plan(settings, roster)
    result = Result(out, sheets)

    if force:
        _clear_previous(out)
    out.mkdir(parents=True, exist_ok=True)
    key = key_dict(sheets, settings.as_dict(), secret)
    for name, text in (
        ("key.json", dumps(key)),
        ("key.csv", key_csv(sheets)),
        ("answers-template.csv", answers_template_csv(sheets)),
    ):
        write_atomic(out / name, text)
        result.files[name] = out / name

    job_list = [
        Job(
            k,
            s.version,
            s.variant.given.as_dict(),
            s.student_id,
            s.name,
            out / "worksheets" / f"{s.version}.pdf",
            out / "solutions" / f"{s.version}.pdf",
        )
        for k, s in enumerate(sheets)
    ]
    total = 2 * len(job_list) + 2  # documents, then the two print files
    done = 0
    workers = max(1, min(jobs or os.cpu_count() or 1, len(job_list)))
    failed: dict[int, Done] = {}
    bad: set[tuple[str, int]] = set()  # (kind, index) of the documents that failed
    merge_errors: list[str] = []
    # Print files are merged in threads of this process, which is idle otherwise, so that the
    # worksheets' merge runs while the workers still render solutions.
    merger = _InProcess() if workers == 1 else ThreadPoolExecutor(max_workers=2)
    with _executor(workers, settings.paper) as pool, merger:
        # A pipeline, so that no core waits: each kind's skeleton, then that kind's documents as
        # soon as its skeleton is there, then its print file as soon as its documents are.
        pending: dict[Future, tuple[str, str, Job | None]] = {
            pool.submit(build_skeleton, kind, job_list[0], settings): ("skeleton", kind, None)
            for kind in DOCUMENTS
        }
        left = dict.fromkeys(DOCUMENTS, len(job_list))
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(finished, key=lambda f: (pending[f][1], pending[f][0])):
                stage, kind, job = pending.pop(future)
                if stage == "skeleton":
                    skeleton = future.result()
                    for j in job_list:
                        pending[pool.submit(render_job, j, settings, kind, skeleton)] = ("document", kind, j)
                elif stage == "document":
                    outcome = future.result()
                    done += 1
                    if outcome.error:
                        bad.add((kind, outcome.index))
                        earlier = failed.get(outcome.index)
                        failed[outcome.index] = (
                            replace(earlier, error=f"{earlier.error}; {outcome.error}") if earlier else outcome
                        )
                    if progress:
                        progress(done, total, outcome.version)
                    left[kind] -= 1
                    if left[kind] == 0:
                        merge = _submit_merge(merger, kind, job_list, bad, out)
                        if merge is not None:
                            pending[merge] = ("print", kind, None)
                            result.files[f"print/{kind}s.pdf"] = out / "print" / f"{kind}s.pdf"
                else:
                    try:
                        result.pages[f"{kind}s"] = future.result()
                    except Exception as e:  # noqa: BLE001 - the documents are written; say so
                        merge_errors.append(f"print/{kind}s.pdf not written: {type(e).__name__}: {e}")
                        result.files.pop(f"print/{kind}s.pdf", None)
                    done += 1
                    if progress:
                        progress(done, total, f"print/{kind}s.pdf")
    result.failed = sorted(failed.values(), key=lambda d: d.index)
    if merge_errors:
        raise GenerateError(f"{'; '.join(merge_errors)} (the per-student files are in {out})")
    result.files["worksheets"] = out / "worksheets"
    result.files["solutions"] = out / "solutions"
    return result


def _submit_merge(
    pool: Executor, kind: str, job_list: Sequence[Job], bad: set[tuple[str, int]], out: Path
) -> Future | None:
    """Merge the kind's documents, all but the failed ones, into print/<kind>s.pdf (None: none)."""
    documents = [
        (
            j.version,
            f"{j.version} — {j.name}" if j.name else j.version,
            j.worksheet if kind == "worksheet" else j.solution,
        )
        for j in job_list
        if (kind, j.index) not in bad
    ]
    if not documents:
        return None
    return pool.submit(merge_for_print, documents, out / "print" / f"{kind}s.pdf", kind == "worksheet")


class _InProcess(Executor):
    """An executor that runs each call at once in this process (--jobs 1, tests)."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as e:
            future.set_exception(e)
        return future


def _executor(workers: int, paper: str) -> Executor:
    """A pool of `workers` processes that each load templates, CSS and fonts once."""
    if workers == 1:
        _init_worker(paper)
        return _InProcess()
    return ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(paper,))


__all__ = [
    "GenerateError",
    "Result",
    "Settings",
    "Student",
    "check_out",
    "default_out",
    "generate",
    "merge_for_print",
    "parse_roster",
    "plan",
    "random_seed",
    "read_roster",
    "solution_context",
    "worksheet_context",
]

