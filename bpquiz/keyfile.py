"""The answer key and its spreadsheet forms (contract.md): build, read back, and write as text.

Pure: functions here turn variants into dicts/text and back; `files.write_atomic` does the I/O.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from . import __version__
from .expr import LaTeX
from .model import Given, GivenError, Variant
from .network import STEP_IDS, solve, typeset

SCHEMA = "bpquiz.key/1"
ANSWER_COLUMNS = ("student_id", "name", "version")


class KeyFileError(ValueError):
    """key.json is not a bpquiz key; the message names the variant or field."""


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

    def by_version(self) -> dict[str, Sheet]:
        return {s.version: s for s in self.sheets}


def variant_dict(variant: Variant, decimals: int = 5) -> dict[str, Any]:
    """One VARIANT of contract.md: given values and every step, value at full precision."""
    return {
        "version": variant.version,
        "given": variant.given.as_dict(),
        "steps": [
            {
                "id": s.id,
                "phase": s.definition.phase,
                "label": s.definition.label,
                "value": s.value,
                "inputs": list(s.definition.inputs),
                "symbol": typeset(s.definition.symbol, LaTeX()),
                "formula": typeset(s.definition.formula, LaTeX()),
                "substituted": typeset(s.definition.formula, LaTeX(numeric=True), variant, decimals),
                "rounded": round(s.value, decimals),
            }
            for s in variant.steps
        ],
    }


def key_dict(sheets: list[Sheet], settings: dict[str, Any], secret: str) -> dict[str, Any]:
    decimals = settings.get("decimals", 5)
    return {
        "schema": SCHEMA,
        "bpquiz_version": __version__,
        "settings": settings,
        # Keep this file from students: the secret maps version codes to variants.
        "secret": secret,
        "variants": [
            {"student_id": s.student_id, "name": s.name, **variant_dict(s.variant, decimals)}
            for s in sheets
        ],
    }


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def parse_key(data: Any) -> Key:
    """Read a key.json object back; the values are recomputed from the givens and checked."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise KeyFileError(f'not a bpquiz key (expected "schema": "{SCHEMA}")')
    raw_variants = data.get("variants")
    if not isinstance(raw_variants, list):
        raise KeyFileError('"variants" must be a list')
    sheets = []
    for i, raw in enumerate(raw_variants):
        where = f"variant {i + 1}"
        if not isinstance(raw, dict) or not isinstance(raw.get("version"), str):
            raise KeyFileError(f'{where}: expected an object with a "version" code')
        where = f"variant {raw['version']}"
        try:
            given = Given.from_mapping(raw.get("given"))
        except GivenError as e:
            raise KeyFileError(f"{where}: given: {e}") from None
        variant = solve(given, raw["version"])
        stored = {s.get("id"): s.get("value") for s in raw.get("steps", []) if isinstance(s, dict)}
        for step in variant.steps:
            value = stored.get(step.id)
            # A key from another bpquiz version, or an edited one, must not grade silently.
            if value is not None and abs(value - step.value) > 1e-9 * max(1.0, abs(step.value)):
                raise KeyFileError(
                    f"{where}: step {step.id} is {value} in the key but computes to "
                    f"{step.value} from its given values"
                )
        sheets.append(Sheet(variant, str(raw.get("student_id", "")), str(raw.get("name", ""))))
    codes = [s.version for s in sheets]
    if len(set(codes)) != len(codes):
        raise KeyFileError("version codes in the key are not unique")
    return Key(tuple(sheets), dict(data.get("settings", {})), str(data.get("secret", "")))


def _csv(rows: list[list[Any]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def key_csv(sheets: list[Sheet]) -> str:
    """A row per variant, a column per given value and per step (full precision)."""
    given_names = list(sheets[0].variant.given.as_dict()) if sheets else []
    header = [*ANSWER_COLUMNS, *given_names, *STEP_IDS]
    rows = [
        [s.student_id, s.name, s.version,
         *(repr(x) for x in s.variant.given.as_dict().values()),
         *(repr(s.variant.values[i]) for i in STEP_IDS)]  # fmt: skip
        for s in sheets
    ]
    return _csv([header, *rows])


def answers_template_csv(sheets: list[Sheet]) -> str:
    """contract.md's answers CSV with each row's student and version filled in, answers empty."""
    header = [*ANSWER_COLUMNS, *STEP_IDS]
    rows = [[s.student_id, s.name, s.version, *[""] * len(STEP_IDS)] for s in sheets]
    return _csv([header, *rows])
