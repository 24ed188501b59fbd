"""Students for the grading tests, benchmarks and demos, built from the independent oracle.

`written` is a value as a student writes it in a box; `from_key` a student who copies the key's
values (rounded or truncated); `carried` one who works step by step from their own written
answers, as the article does, maybe with one slip that the later steps carry.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from pathlib import Path

from oracle import cycle, forward_backward


def written(x: float, how: str = "round", decimals: int = 5) -> str:
    """A value written with `decimals` decimals, rounded or truncated ("trunc")."""
    if how == "trunc":
        x = math.trunc(x * 10**decimals) / 10**decimals
    return f"{x:.{decimals}f}"


def from_key(given: dict, how: str = "round", decimals: int = 5) -> dict[str, str]:
    """Every step written from the oracle's exact values for these givens."""
    return {sid: written(x, how, decimals) for sid, x in forward_backward(given).items()}


def carried(
    given: dict,
    how: str = "round",
    slip: tuple[str, Callable[[float], float]] | None = None,
    decimals: int = 5,
) -> dict[str, str]:
    """A student working from their own written answers; `slip` = (step id, f): that step's
    value goes through f (a mistake) and the later steps carry it."""
    answers: dict[str, str] = {}

    def keep(sid: str, x: float) -> float:
        if slip and sid == slip[0]:
            x = slip[1](x)
        answers[sid] = written(float(x), how, decimals)
        return float(answers[sid])

    cycle(given, keep)
    return answers


def fill(pdf: Path | bytes, values: dict[str, str], target: Path | None = None) -> bytes:
    """A worksheet PDF with its form fields filled in as a PDF viewer saves them (pypdf),
    written to `target` if given."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf))
    for page in writer.pages:
        writer.update_page_form_field_values(page, values, auto_regenerate=False)
    buffer = io.BytesIO()
    writer.write(buffer)
    if target is not None:
        target.write_bytes(buffer.getvalue())
    return buffer.getvalue()
