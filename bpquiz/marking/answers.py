"""Reading a student's answer: the text as written -> a number, `blank`, or `unreadable`.

Pure and total: `parse_answer` never raises, whatever the text (a form field, a CSV cell, a JSON
value). Parsing comes before grading, linked by the step id (PrairieLearn's parse -> grade).

Accepted, with surrounding spaces ignored:

- plain decimals: ``0.60108``, ``.601``, ``+0.5``, ``-0.0176``, ``5.``;
- a decimal comma: ``0,60108`` (European keyboards, Excel exports with ``;`` as the separator);
- a Unicode minus or dash as the sign: ``−0.0176`` (U+2212), ``–0.0176`` (en dash), and a space
  after the sign (``- 0.5``);
- exponents: ``6.0108e-1``, ``6,0108E-1``, ``6.0108×10^-1``, ``6.0108 x 10^(-1)``, ``6.0108·10⁻¹``;
- a leading ``=`` or ``≈`` copied from the worked line (``= 0.60108``);
- full-width digits and other compatibility forms (Unicode NFKC).

Refused as `unreadable` (0 points, shown in the feedback): anything else, in particular

- an answer longer than `MAX_ANSWER_LENGTH` (64) characters after trimming, unread: parsing costs
  a glance whatever is pasted into a box;

- thousands separators: ``1,234`` is read as 1.234 (a comma is always a decimal comma; the values
  of this exercise are small numbers with five decimals), but ``1,234.5``, ``1.234,5`` and
  ``1 234`` are refused rather than guessed;
- two numbers, fractions (``1/2``), percentages, units, words, ``nan``, ``inf``, values too large
  for a float; a number times anything but a power of ten written with ``^`` or a superscript
  (``0.60108x100`` is not 0.60108, nor ``6.0108 x 10-1`` a power of ten);
- Python-only spellings that ``float()`` would take: ``1_000``, ``infinity``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Status = Literal["ok", "blank", "unreadable"]


@dataclass(frozen=True, slots=True)
class Parsed:
    """`status` "ok" with a finite `value`, or "blank"/"unreadable" with `value` None; `text`
    as written."""

    status: Status
    value: float | None
    text: str


# Longer answers (after trimming) are unreadable without being looked at: no number of this
# exercise needs more, and a pasted 60,000-character text must not cost more than a glance.
MAX_ANSWER_LENGTH = 64

# The common case, tried first: an ASCII decimal with a dot, maybe signed, maybe an e-exponent.
# Each digit can be matched one way only (no `\d+\.?\d*`, which backtracks quadratically on a
# long run of digits that does not end as a number).
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")

_MINUSES = "\u2212\u2012\u2013\u2014\ufe63\uff0d\u2010\u2011"  # − ‒ – — ﹣ － ‐ ‑
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_SPACES = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000]+")

_NUMBER = re.compile(
    r"""
    (?P<sign>[+-]?)\s*
    (?P<mantissa>\d+(?:[.,]\d*)?|[.,]\d+)
    (?:
        [eE](?P<e>[+-]?\d+)
      # "×10^-1", "x 10^(-1)" ("10⁻¹" arrives here as "10^-1"). The ^ is required: without it
      # "x100" would read as x10^0 and "0.60108x100" as 0.60108.
      | \s*[x×*·⋅]\s*10\s*\^\s*(?P<p>\(\s*[+-]?\d+\s*\)|[+-]?\d+)
    )?
    """,
    re.VERBOSE,
)


def parse_answer(text: object) -> Parsed:
    """Read one answer; `text` is normally a str (None or a JSON number are accepted too)."""
    if text is None:
        return Parsed("blank", None, "")
    if isinstance(text, bool):  # JSON true/false is no answer to a numeric step
        return Parsed("unreadable", None, str(text).lower())
    if isinstance(text, (int, float)):
        try:
            value = float(text)
        except OverflowError:  # a JSON integer of hundreds of digits
            value = math.inf
        written = repr(text) if isinstance(text, float) else _int_text(text)
        return (
            Parsed("ok", value, written)
            if math.isfinite(value)
            else Parsed("unreadable", None, written)
        )
    raw = str(text)
    stripped = raw.strip()
    if not stripped:
        return Parsed("blank", None, raw)
    if len(stripped) > MAX_ANSWER_LENGTH:
        return Parsed("unreadable", None, raw)
    if PLAIN_NUMBER.fullmatch(stripped):
        value = float(stripped)
        return Parsed("ok", value, raw) if math.isfinite(value) else Parsed("unreadable", None, raw)
    value = _messy(stripped)
    return Parsed("unreadable", None, raw) if value is None else Parsed("ok", value, raw)


def _int_text(n: int) -> str:
    """An int as written; past Python's int-to-text limit (4,300 digits), its length instead."""
    try:
        return str(n)
    except ValueError:
        return "(an integer too long to show)"


def _messy(s: str) -> float | None:
    """The slow path: normalise Unicode, signs, commas and exponent notations, then read."""
    # Superscript exponents first: NFKC would turn "10⁻¹" into "10−1", a subtraction.
    s = re.sub(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+", lambda m: "^" + m.group().translate(_SUPERSCRIPTS), s)
    s = unicodedata.normalize("NFKC", s)
    s = _SPACES.sub(" ", s).strip()
    for dash in _MINUSES:
        s = s.replace(dash, "-")
    if s[:1] in ("=", "≈"):
        s = s[1:].lstrip()
    m = _NUMBER.fullmatch(s)
    if m is None:
        return None
    mantissa = m["mantissa"].replace(",", ".")
    exponent = m["e"] if m["e"] is not None else m["p"]
    text = (m["sign"] or "") + mantissa
    if exponent is not None:
        text += "e" + exponent.strip("() ").replace(" ", "")
    try:
        value = float(text)
    except ValueError:  # pragma: no cover - the pattern only admits float syntax
        return None
    return value if math.isfinite(value) else None


_DECIMALS = re.compile(r"[=≈]?\s*[-+−–]?\s*\d*[.,]?(\d*)")


def written_decimals(text: str) -> int | None:
    """How many decimals a plain number was written with (`0.6011`: 4, `1`: 0); None for an
    exponent or anything else, whose precision the text does not say."""
    m = _DECIMALS.fullmatch(unicodedata.normalize("NFKC", text).strip())
    return None if m is None else len(m[1])
