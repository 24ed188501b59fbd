"""The answer key and its spreadsheet forms (contract.md): build, read back, and write as text.

Pure: functions here turn variants into dicts/text and back; `files.write_atomic` does the I/O.

key.json (schema "bpquiz.key/1") is contract.md's `{"schema", ..., "variants": [VARIANT, ...]}`
with each VARIANT kept to what the contract asks for, `{"version", "given", "steps": [{"id",
"value"}, ...]}` (plus the sheet's `student_id` and `name`), and what is the same for every variant
written once at the top: the `"exercise"` (network, loss, what is asked) and the
`"step_definitions"`, each step's id, phase, label, inputs and LaTeX symbol and formula, in order.
(Repeating those in every variant made a key of 10,000 variants 194 MB; now it is 32 MB.) The
definitions are for people and other tools: `parse_key` reads the exercise and the variants and
rebuilds the steps from the exercise. A key without an exercise (written before there were
options) is the article's. `bpquiz solve --json` prints one richer VARIANT (`variant_dict`).
"""

from __future__ import annotations

import gc
import json
import math
import operator
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any

import numpy as np

from .. import __version__
from ..constants import IDENTITY_COLUMNS
from ..errors import GivenError, KeyFileError
from ..files import csv_text, parse_json, safe_cell
from .codes import SCHEME, bound_codes, legacy_codes
from .model import Exercise, Variant
from .solve import program, solve
from .typeset import LaTeX, typeset

SCHEMA = "bpquiz.key/1"


@dataclass(frozen=True)
class Sheet:
    """One student's copy: a variant, and who it is for (empty for an anonymous class set)."""

    variant: Variant
    student_id: str = ""
    name: str = ""

    @property
    def version(self) -> str:
        return self.variant.version


@dataclass(frozen=True)
class Key:
    sheets: tuple[Sheet, ...]
    settings: dict[str, Any] = field(default_factory=dict)
    secret: str = ""
    exercise: Exercise = field(default_factory=Exercise)


def variant_dict(variant: Variant, decimals: int = 5) -> dict[str, Any]:
    """One VARIANT of contract.md: given values and every step, value at full precision."""
    ex = variant.exercise
    return {
        "version": variant.version,
        "exercise": ex.as_dict(),
        "given": dict(variant.given),
        "steps": [
            {
                "id": s.id,
                "phase": s.definition.phase,
                "label": str(s.definition.label),
                "value": s.value,
                "inputs": list(s.definition.inputs),
                "symbol": typeset(s.definition.symbol, LaTeX(), ex),
                "formula": typeset(s.definition.formula, LaTeX(), ex),
                "substituted": typeset(
                    s.definition.formula, LaTeX(numeric=True), ex, variant, decimals
                ),
                "rounded": round(s.value, decimals),
            }
            for s in variant.steps
        ],
    }


@cache
def step_definitions(exercise: Exercise) -> tuple[dict[str, Any], ...]:
    """What every variant shares, per step in order: written once at the top of key.json."""
    return tuple(
        {
            "id": d.id,
            "phase": d.phase,
            "label": str(d.label),
            "inputs": list(d.inputs),
            "symbol": typeset(d.symbol, LaTeX(), exercise),
            "formula": typeset(d.formula, LaTeX(), exercise),
        }
        for d in exercise.steps
    )


def key_variant_dict(sheet: Sheet) -> dict[str, Any]:
    """One VARIANT of key.json: who it is for, its given values and each step's id and value."""
    v = sheet.variant
    return {
        "student_id": sheet.student_id,
        "name": sheet.name,
        "version": v.version,
        "given": dict(v.given),
        "steps": [{"id": sid, "value": value} for sid, value in v.values.items()],
    }


def key_dict(
    sheets: list[Sheet], settings: dict[str, Any], secret: str, exercise: Exercise | None = None
) -> dict[str, Any]:
    exercise = exercise or (sheets[0].variant.exercise if sheets else Exercise())
    return {
        "schema": SCHEMA,
        "bpquiz_version": __version__,
        "settings": settings,
        "exercise": exercise.as_dict(),
        # Keep this file from students: the secret binds each version code to its variant.
        "secret": secret,
        "codes": SCHEME,
        "step_definitions": [dict(d, inputs=list(d["inputs"])) for d in step_definitions(exercise)],
        "variants": [key_variant_dict(s) for s in sheets],
    }


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: for reading a key, half a million acyclic objects.

    With the collector on, it scans the growing heap again and again (more than doubling the time
    to read a key of 10,000 variants); everything made here is freed by reference counting anyway.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def loads(text: str) -> Any:
    """key.json's text as JSON data (`files.parse_json`, without the garbage collector's rescans;
    bad JSON raises `files.BadJSON`)."""
    with gc_paused():
        return parse_json(text)


def parse_key(data: Any) -> Key:
    """Read a key.json object back; the values are recomputed from the givens and checked.

    A stored value that differs from the recomputed one by more than 1e-9 (relative to values
    above 1) is refused, naming the variant and the step. The recomputation runs on all variants
    at once (`_recompute`); a variant whose values all check out keeps them, exactly as written
    (they are what `solve` gave when the key was made), and one that lacks some is solved again.
    """
    with gc_paused():
        return _parse_key(data)


def _parse_key(data: Any) -> Key:
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise KeyFileError(f'not a bpquiz key (expected "schema": "{SCHEMA}")')
    try:
        exercise = Exercise.from_dict(data.get("exercise"))
    except Exception as e:  # noqa: BLE001 - any malformed exercise object is the key's fault
        raise KeyFileError(f"exercise: {e}") from None
    raw_variants = data.get("variants")
    if not isinstance(raw_variants, list):
        raise KeyFileError('"variants" must be a list')
    reader = _VariantReader(exercise)
    # First pass: each variant's code, givens and stored values, up to the first malformed one
    # (whose error is raised once the variants before it are checked, as a reader going in
    # order would find them).
    read: list[tuple[str, MappingProxyType, dict[str, Any]]] = []  # code, givens, raw VARIANT
    given_rows: list[tuple[float, ...]] = []
    stored_rows: list[list[Any]] = []
    late_error: KeyFileError | None = None
    for i, raw in enumerate(raw_variants):
        try:
            version, given, given_row, row = reader.read(i, raw)
        except KeyFileError as e:
            late_error = e
            break
        read.append((version, given, raw))
        given_rows.append(given_row)
        stored_rows.append(row)

    suspect, checked = _recompute(exercise, given_rows, stored_rows)
    sheets = []
    ids = exercise.step_ids
    for i, ((version, given, raw), row) in enumerate(zip(read, stored_rows)):
        if i in suspect or None in row:
            variant = _check_one(exercise, version, given, row)
        else:
            variant = Variant(
                exercise, version, given, MappingProxyType(dict(zip(ids, checked[i])))
            )
        sheets.append(Sheet(variant, str(raw.get("student_id", "")), str(raw.get("name", ""))))
    if late_error is not None:
        raise late_error
    codes = [s.version for s in sheets]
    if len(set(codes)) != len(codes):
        raise KeyFileError("version codes in the key are not unique")
    secret = data.get("secret")
    if not isinstance(secret, str) or not secret:
        raise KeyFileError('no "secret": the version codes cannot be checked')
    _check_codes(data, secret, sheets)
    settings = data.get("settings", {})
    return Key(tuple(sheets), dict(settings) if isinstance(settings, dict) else {},
               secret, exercise)  # fmt: skip


def _check_codes(data: dict[str, Any], secret: str, sheets: list[Sheet]) -> None:
    """Each variant's code is the one its position, exercise and given values make under the
    key's secret (`codes.bound_codes`; a key from before that scheme: its position alone), so
    that swapped codes or an edited given value are refused before anything is graded."""
    scheme = data.get("codes")
    if scheme == SCHEME:
        expected = bound_codes(secret, data["exercise"] if "exercise" in data else
                               Exercise().as_dict(), [s.variant.given for s in sheets])  # fmt: skip
    elif scheme is None:
        expected = legacy_codes(secret, len(sheets))
    else:
        raise KeyFileError(f'"codes": {scheme!r} is not a scheme this bpquiz knows ({SCHEME})')
    for k, (sheet, code) in enumerate(zip(sheets, expected)):
        if sheet.version != code:
            raise KeyFileError(
                f"variant {k + 1} (version {sheet.version}): the code does not match its given "
                "values under the key's secret — the key was edited (codes swapped, a given "
                "value changed, variants reordered); nothing is graded against it"
            )


_ID, _VALUE = operator.itemgetter("id"), operator.itemgetter("value")


class _VariantReader:
    """Reads VARIANT objects of one exercise; the common case, a key as bpquiz writes it, by
    C-level lookups: this runs 10,000 times per large key."""

    def __init__(self, exercise: Exercise):
        self.exercise = exercise
        self.names = exercise.given_names
        self.given_values = operator.itemgetter(*self.names)
        self.ids = exercise.step_ids

    def read(self, i: int, raw: Any) -> tuple[str, MappingProxyType, tuple[float, ...], list[Any]]:
        """A VARIANT's code, its givens (also as values in given-name order) and its stored values
        in step order (None: not stored). A malformed variant is named.

        Steps the key has beyond the exercise's (from a later bpquiz) are ignored.
        """
        if not isinstance(raw, dict) or not isinstance(raw.get("version"), str):
            raise KeyFileError(f'variant {i + 1}: expected an object with a "version" code')
        where = f"variant {raw['version']}"
        g = raw.get("given")
        try:
            values = self.given_values(g)
            if len(g) != len(self.names) or set(map(type, values)) != {float}:
                raise TypeError  # unknown names, or ints, bools, strings: read_given sorts them out
            if not all(map(math.isfinite, values)):
                raise TypeError
            given = MappingProxyType(dict(zip(self.names, values)))
        except (TypeError, KeyError):
            try:
                given = self.exercise.read_given(g)
            except GivenError as e:
                raise KeyFileError(f"{where}: given: {e}") from None
            values = self.given_values(given)
        steps = raw.get("steps", [])
        if not isinstance(steps, list):
            raise KeyFileError(f'{where}: "steps" must be a list of {{"id": ..., "value": ...}}')
        try:
            row = list(map(_VALUE, steps)) if tuple(map(_ID, steps)) == self.ids else None
        except (TypeError, KeyError):  # not every step an object with an id and a value
            row = None
        if row is None:
            stored = {s.get("id"): s.get("value") for s in steps if isinstance(s, dict)}
            row = [stored.get(sid) for sid in self.ids]
        if set(map(type, row)) != {float}:
            for sid, value in zip(self.ids, row):
                number = isinstance(value, (int, float)) and not isinstance(value, bool)
                if value is not None and not number:
                    raise KeyFileError(f"{where}: step {sid}: expected a number, got {value!r}")
        return raw["version"], given, values, row


def _agrees(stored: float, computed: float) -> bool:
    return abs(stored - computed) <= 1e-9 * max(1.0, abs(computed))


def _check_one(exercise: Exercise, version: str, given: Any, stored: list[Any]) -> Variant:
    """One variant solved on its own and its stored values checked (missing ones are computed)."""
    where = f"variant {version}"
    try:
        variant = solve(exercise, given, version)
    except (ArithmeticError, ValueError) as e:
        raise KeyFileError(f"{where}: its given values cannot be computed ({e})") from None
    for (sid, value), kept in zip(variant.values.items(), stored):
        # A key from another bpquiz version, or an edited one, must not grade silently.
        if kept is not None and not _agrees(kept, value):
            raise KeyFileError(
                f"{where}: step {sid} is {kept} in the key but computes to "
                f"{value} from its given values"
            )
    return variant


def _recompute(
    exercise: Exercise, given_rows: list[tuple[float, ...]], stored_rows: list[list[Any]]
) -> tuple[set[int], list[list[float]]]:
    """Which variants' stored values may disagree with their givens (checked one by one after),
    and the stored values as floats.

    Every step is computed for all variants at once, as numpy columns, by the same compiled
    cycle as `solve` (`solve.program` with numpy's library); numpy's exp may differ from
    math.exp in the last bit, far below the 1e-9 that is checked. Where numpy overflows or
    divides by zero, every variant is checked one by one, so that the one whose givens cannot
    be computed is named.
    """
    n = len(given_rows)
    if n == 0:
        return set(), []
    givens = np.array(given_rows, dtype=np.float64).reshape(n, len(exercise.given_names))
    try:
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            columns = program(exercise, "numpy")(*givens.T)
    except FloatingPointError:
        return set(range(n)), []
    computed = np.column_stack([np.broadcast_to(c, (n,)) for c in columns])
    # None (no stored value) becomes nan and fails here; the caller solves such a variant anew.
    stored = np.array(stored_rows, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        ok = np.abs(stored - computed) <= 1e-9 * np.maximum(1.0, np.abs(computed))
    return set(np.flatnonzero(~ok.all(axis=1)).tolist()), stored.tolist()


def key_csv(sheets: list[Sheet], exercise: Exercise | None = None) -> str:
    """A row per variant, a column per given value and per step (full precision)."""
    exercise = exercise or (sheets[0].variant.exercise if sheets else Exercise())
    header = [*IDENTITY_COLUMNS, *exercise.given_names, *exercise.step_ids]
    rows = [
        [
            safe_cell(s.student_id),
            safe_cell(s.name),
            s.version,
            *(repr(x) for x in s.variant.given.values()),
            *(repr(x) for x in s.variant.values.values()),
        ]  # fmt: skip
        for s in sheets
    ]
    return csv_text([header, *rows])


def answers_template_csv(sheets: list[Sheet], exercise: Exercise | None = None) -> str:
    """contract.md's answers CSV with each row's student and version filled in, answers empty."""
    exercise = exercise or (sheets[0].variant.exercise if sheets else Exercise())
    header = [*IDENTITY_COLUMNS, *exercise.asked_ids]
    rows = [
        [safe_cell(s.student_id), safe_cell(s.name), s.version, *[""] * len(exercise.asked_ids)]
        for s in sheets
    ]
    return csv_text([header, *rows])
