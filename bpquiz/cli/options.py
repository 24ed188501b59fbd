"""Options that several commands share."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ..errors import BpquizError

Decimals = Annotated[
    int, typer.Option("--decimals", min=4, max=8, help="Decimals shown and asked for (4–8).")
]
LearningRate = Annotated[
    Optional[float],
    typer.Option(
        "--lr",
        min=0.001,
        max=10.0,
        help="Fix the learning rate η (default: drawn from 0.1, 0.2, …, 1.0).",
    ),
]


Paper = Annotated[
    str, typer.Option("--paper", help="Paper size: a4 or letter.", metavar="a4|letter")
]


def parse_points(items: list[str]) -> dict[str, float]:
    """`--points STEP=N` / `PHASE=N` options (repeatable) as {name: points}."""
    points: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            points[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise BpquizError(
                f"--points {item}: expected STEP=N or PHASE=N, e.g. E_total=2 or hidden=0.5"
            )
    return points
