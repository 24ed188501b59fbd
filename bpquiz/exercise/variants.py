"""Seeded, well-conditioned variants and opaque version codes.

Variant k of a run is drawn from its own random stream, numpy's PCG64 seeded with (seed, k), so
it is the same on every machine and does not change when the class size n changes. Draws that
would make a poor exercise are rejected and redrawn from the same stream (R/exams' habit); the
rules are `problems()` below and in the README.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator, Mapping
from functools import cache
from types import MappingProxyType

import numpy as np

from ..errors import DrawError
from .model import Exercise, Variant
from .solve import solve

# The worked example of the article (backprop-article.txt), η = 0.6.
ARTICLE_EXAMPLE: Mapping[str, float] = MappingProxyType({
    "i1": 0.1, "i2": 0.5, "w1": 0.1, "w2": 0.2, "w3": 0.3, "w4": 0.4, "w5": 0.5, "w6": 0.6,
    "w7": 0.7, "w8": 0.8, "b1": 0.25, "b2": 0.35, "target1": 0.05, "target2": 0.95,
    "learning_rate": 0.6,
})  # fmt: skip

LEARNING_RATES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
MAX_DRAWS = 10_000  # far beyond need: about 1 draw in 2 is accepted


@cache
def _ranges(exercise: Exercise) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """The drawn names (every given but the learning rate) and their ranges in hundredths,
    inclusive low and exclusive high: 0.05 … 0.95, targets 0.01 … 0.99, as in the article."""
    names = exercise.given_names[:-1]
    low = [1 if n in exercise.targets else 5 for n in names]
    high = [100 if n in exercise.targets else 96 for n in names]
    return names, np.array(low), np.array(high)


def problems(variant: Variant, decimals: int = 5) -> list[str]:
    """Why this variant makes a poor exercise, or [] when it is well-conditioned.

    - every sigmoid output lies in (0.05, 0.95): away from the flat ends of the sigmoid;
    - every asked value, written with `decimals` decimals, is not 0 and keeps at least two
      significant digits (|value| >= 10^(1-decimals), 1e-4 at 5 decimals);
    - each target is at least 0.05 away from its output;
    - no two weights are equal (each weight's answer must be told apart).
    """
    ex = variant.exercise
    v, g = variant.values, variant.given
    found = []
    for units, act in ((ex.hidden_units, ex.hidden), (ex.output_units, ex.output)):
        if act != "sigmoid":
            continue
        for unit in units:
            x = v[f"out_{unit}"]
            if not 0.05 < x < 0.95:
                found.append(f"out_{unit} = {x:.5f} is outside (0.05, 0.95)")
    smallest = 10.0 ** (1 - decimals)
    for sid in ex.asked_ids:
        if abs(v[sid]) < smallest:
            found.append(f"{sid} = {v[sid]:.2e} has under 2 significant digits")
    for target, unit in zip(ex.targets, ex.output_units):
        if abs(g[target] - v[f"out_{unit}"]) < 0.05:
            found.append(f"{target} is within 0.05 of out_{unit}")
    weights = [g[w] for w in ex.weights]
    if len(set(weights)) < len(weights):
        found.append("two weights are equal")
    return found


def draws(
    exercise: Exercise, seed: int, index: int, learning_rate: float | None = None
) -> Iterator[dict[str, float]]:
    """The endless stream of candidate givens for variant `index` of run `seed`."""
    names, low, high = _ranges(exercise)
    rng = np.random.default_rng([seed, index])
    while True:
        hundredths = rng.integers(low, high)
        rate = learning_rate if learning_rate is not None else LEARNING_RATES[rng.integers(10)]
        values = {name: int(h) / 100 for name, h in zip(names, hundredths)}
        values["learning_rate"] = rate
        yield values


def draw_variant(
    exercise: Exercise,
    seed: int,
    index: int,
    decimals: int = 5,
    learning_rate: float | None = None,
    version: str = "",
) -> Variant:
    """The first well-conditioned variant in the stream of (seed, index)."""
    for _, given in zip(range(MAX_DRAWS), draws(exercise, seed, index, learning_rate)):
        variant = solve(exercise, given, version)
        if not problems(variant, decimals):
            return variant
    raise DrawError(
        f"no well-conditioned variant in {MAX_DRAWS} draws for seed {seed}, index {index} "
        f"(learning rate {learning_rate}, {decimals} decimals)"
    )


# --- version codes ------------------------------------------------------------------------------
# Short and unambiguous when read aloud or handwritten: no 0/O, 1/I/L.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6


def run_secret(seed: int) -> str:
    """The run's secret for version codes, kept in key.json.

    Derived from the seed, so that the same seed gives byte-identical worksheets; the default
    seed is 63 random bits, so the secret cannot be guessed from a worksheet.
    """
    return hashlib.sha256(f"bpquiz/version-codes/{seed}".encode()).hexdigest()


def random_seed() -> int:
    return secrets.randbits(63)


def _code(secret: str, message: str) -> str:
    digest = int.from_bytes(hmac.new(secret.encode(), message.encode(), "sha256").digest(), "big")
    chars = []
    for _ in range(CODE_LENGTH):
        digest, r = divmod(digest, len(ALPHABET))
        chars.append(ALPHABET[r])
    return "".join(chars)


def version_codes(secret: str, n: int) -> list[str]:
    """n distinct codes; code k depends only on (secret, k), rehashed in the rare collision."""
    codes: list[str] = []
    taken: set[str] = set()
    for k in range(n):
        attempt = 0
        while (code := _code(secret, f"{k}/{attempt}")) in taken:
            attempt += 1
        codes.append(code)
        taken.add(code)
    return codes
