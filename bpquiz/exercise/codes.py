"""Version codes: short, opaque, unique in a run, bound to their sheets by the run's secret.

The run's secret is random (128 bits), drawn afresh for every run and kept in key.json: a code
tells nothing of the seed or of any other sheet. Code k is a MAC, under the secret, of k, the
exercise and sheet k's given values (`bound_codes`), so that a key whose codes were swapped, or
whose given values were edited, is refused when it is read (`check_codes`). What the codes cannot
do: a sheet prints its given values, from which anyone can work out its answers (`bpquiz solve
--given`); the codes keep students from finding *another* sheet's variant, or a seed, from theirs.

Keys written before this scheme (no "codes" entry) have codes that depend on (secret, k) only,
and the secret on the seed (`legacy_codes`); they are still read, their codes checked by position.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

# Short and unambiguous when read aloud or handwritten: no 0/O, 1/I/L.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
SCHEME = "bpquiz.codes/mac-of-given"  # key.json's "codes": how its version codes were made


def new_secret() -> str:
    """A run's secret: 128 random bits, as hex."""
    return secrets.token_hex(16)


def random_seed() -> int:
    return secrets.randbits(63)


def _code(secret: str, message: str) -> str:
    digest = int.from_bytes(hmac.new(secret.encode(), message.encode(), "sha256").digest(), "big")
    chars = []
    for _ in range(CODE_LENGTH):
        digest, r = divmod(digest, len(ALPHABET))
        chars.append(ALPHABET[r])
    return "".join(chars)


def _distinct(secret: str, messages: Sequence[str]) -> list[str]:
    """One code per message, rehashed (message/1, /2, …) in the rare collision."""
    codes: list[str] = []
    taken: set[str] = set()
    for message in messages:
        attempt = 0
        while (code := _code(secret, f"{message}/{attempt}")) in taken:
            attempt += 1
        codes.append(code)
        taken.add(code)
    return codes


def bound_codes(
    secret: str, exercise: Mapping[str, Any], givens: Sequence[Mapping[str, float]]
) -> list[str]:
    """The codes of a run's sheets in order: code k a MAC of (k, the exercise as key.json
    writes it, sheet k's given values) under the secret."""
    shared = json.dumps(exercise, sort_keys=True, separators=(",", ":"))
    return _distinct(secret, [
        f"{k}/{shared}/" + ",".join(f"{name}={float(x)!r}" for name, x in given.items())
        for k, given in enumerate(givens)
    ])  # fmt: skip


def legacy_codes(secret: str, n: int) -> list[str]:
    """The codes of a key written before `bound_codes` (code k from (secret, k) alone)."""
    return _distinct(secret, [str(k) for k in range(n)])
