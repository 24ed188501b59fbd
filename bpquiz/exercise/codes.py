"""Version codes: short, opaque, unique in a run, derived from the run's secret."""

from __future__ import annotations

import hashlib
import hmac
import secrets

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
