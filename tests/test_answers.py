"""Reading answers as written: numbers, blanks and unreadable text (bpquiz.answers)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bpquiz.marking.answers import Parsed, parse_answer


@pytest.mark.parametrize(
    "text, value",
    [
        ("0.60108", 0.60108),
        ("0,60108", 0.60108),
        (" .601 ", 0.601),
        ("6.0108e-1", 0.60108),
        ("6,0108E-1", 0.60108),
        ("+0.5", 0.5),
        ("\u22120.0176", -0.0176),  # Unicode minus
        ("\u20130.0176", -0.0176),  # en dash
        ("- 0.5", -0.5),
        ("-.5", -0.5),
        ("5.", 5.0),
        ("1", 1.0),
        ("= 0.60108", 0.60108),
        ("≈0.601", 0.601),
        ("6.0108×10^-1", 0.60108),
        ("6.0108 x 10^(-1)", 0.60108),
        ("6.0108·10⁻¹", 0.60108),
        ("\uff10.\uff15", 0.5),  # full-width digits
        ("\u00a00.25\u2009", 0.25),  # no-break and thin spaces around
        ("1,234", 1.234),  # a comma is always a decimal comma
    ],
)
def test_accepted_spellings_read_as_the_number(text, value):
    """Every spelling the issue lists (and a few more) reads as the number meant."""
    p = parse_answer(text)
    assert p.status == "ok" and p.value == pytest.approx(value, rel=1e-15) and p.text == text


@pytest.mark.parametrize("text", ["", "   ", "\t\n", None])
def test_empty_is_blank(text):
    """An empty or all-space answer (or no answer at all) is blank, not unreadable."""
    assert parse_answer(text).status == "blank" and parse_answer(text).value is None


@pytest.mark.parametrize(
    "text",
    ["abc", "n/a", "?", "1/2", "50%", "0.6 0.7", "1,234.5", "1.234,5", "1 234", "0.6.1",
     "nan", "inf", "-infinity", "1_000", "1e400", ".", "-", "e5", "0x1A", "0.5 kg", "==0.5"],
)  # fmt: skip
def test_anything_else_is_unreadable(text):
    """Words, fractions, two numbers, thousands separators, nan/inf and overflow are unreadable."""
    p = parse_answer(text)
    assert p == Parsed("unreadable", None, text)


def test_json_numbers_and_booleans():
    """A JSON number is read as is; true/false are no answers to a numeric step."""
    assert parse_answer(0.25) == Parsed("ok", 0.25, "0.25")
    assert parse_answer(-3) == Parsed("ok", -3.0, "-3")
    assert parse_answer(True).status == "unreadable"
    assert parse_answer(float("nan")).status == "unreadable"


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6))
def test_any_printed_float_reads_back(x):
    """A float printed with 5 decimals, plain, with a decimal comma or a Unicode minus, reads
    back."""
    text = f"{x:.5f}"
    for spelling in (text, text.replace(".", ","), text.replace("-", "\u2212"), f"  {text} "):
        assert parse_answer(spelling).value == float(text)


@given(st.text(max_size=30))
def test_never_raises(text):
    """Whatever the text, parsing gives a status and never an exception."""
    p = parse_answer(text)
    assert p.status in ("ok", "blank", "unreadable")
    assert (p.value is not None) == (p.status == "ok")
