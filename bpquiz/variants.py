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
from collections.abc import Iterator

import numpy as np

from .model import GIVEN_NAMES, Given, Variant
from .network import solve

# The worked example of the article (backprop-article.txt), η = 0.6.
ARTICLE_EXAMPLE = Given(
    i1=0.1, i2=0.5, w1=0.1, w2=0.2, w3=0.3, w4=0.4, w5=0.5, w6=0.6, w7=0.7, w8=0.8,
    b1=0.25, b2=0.35, target1=0.05, target2=0.95, learning_rate=0.6,
)  # fmt: skip

LEARNING_RATES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)

# Ranges in hundredths (inclusive), as in the article: positive, two decimals.
RANGES = {
    **{name: (5, 95) for name in ("i1", "i2")},
    **{f"w{k}": (5, 95) for k in range(1, 9)},
    **{name: (5, 95) for name in ("b1", "b2")},
    **{name: (1, 99) for name in ("target1", "target2")},
}
_DRAWN = tuple(RANGES)  # every given name but the learning rate
_LOW = np.array([RANGES[n][0] for n in _DRAWN])
_HIGH = np.array([RANGES[n][1] + 1 for n in _DRAWN])

OUTPUTS = ("out_h1", "out_h2", "out_o1", "out_o2")
MAX_DRAWS = 10_000  # far beyond need: about 1 draw in 3 is accepted


class DrawError(RuntimeError):
    """No acceptable variant within MAX_DRAWS (e.g. a learning rate that makes every draw bad)."""


def problems(variant: Variant, decimals: int = 5) -> list[str]:
    """Why this variant makes a poor exercise, or [] when it is well-conditioned.

    - every sigmoid output lies in (0.05, 0.95): away from the flat ends of the sigmoid;
    - every asked value, written with `decimals` decimals, is not 0 and keeps at least two
      significant digits (|value| >= 10^(1-decimals), 1e-4 at 5 decimals);
    - each target is at least 0.05 away from its output;
    - no two weights are equal (each weight's answer must be told apart).
    """
    found = []
    v = variant.values
    for name in OUTPUTS:
        if not 0.05 < v[name] < 0.95:
            found.append(f"{name} = {v[name]:.5f} is outside (0.05, 0.95)")
    smallest = 10.0 ** (1 - decimals)
    for step in variant.steps:
        if abs(step.value) < smallest:
            found.append(f"{step.id} = {step.value:.2e} has under 2 significant digits")
    g = variant.given
    for target, out in (("target1", "out_o1"), ("target2", "out_o2")):
        if abs(getattr(g, target) - v[out]) < 0.05:
            found.append(f"{target} is within 0.05 of {out}")
    weights = [getattr(g, f"w{k}") for k in range(1, 9)]
    if len(set(weights)) < len(weights):
        found.append("two weights are equal")
    return found


def draws(seed: int, index: int, learning_rate: float | None = None) -> Iterator[Given]:
    """The endless stream of candidate givens for variant `index` of run `seed`."""
    rng = np.random.default_rng([seed, index])
    while True:
        hundredths = rng.integers(_LOW, _HIGH)
        rate = learning_rate if learning_rate is not None else LEARNING_RATES[rng.integers(10)]
        values = {name: int(h) / 100 for name, h in zip(_DRAWN, hundredths)}
        yield Given(**values, learning_rate=rate)


def draw_variant(
    seed: int, index: int, decimals: int = 5, learning_rate: float | None = None, version: str = ""
) -> Variant:
    """The first well-conditioned variant in the stream of (seed, index)."""
    for _, given in zip(range(MAX_DRAWS), draws(seed, index, learning_rate)):
        variant = solve(given, version)
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


assert set(RANGES) | {"learning_rate"} == set(GIVEN_NAMES)
