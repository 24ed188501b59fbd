"""Hostile answers: spellings that must not be misread, and texts that must not stall the parser."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpquiz.marking.answers import MAX_ANSWER_LENGTH, PLAIN_NUMBER, parse_answer


@pytest.mark.parametrize(
    "text", ["0.60108x100", "0.0060108x100", "0.60108 × 100", "6.0108*100", "0.60108·103"]
)
def test_times_a_number_that_is_no_power_of_ten_is_unreadable(text):
    """`x100`, `×100`, `·103` after a number are no power of ten: unreadable, not the number."""
    assert parse_answer(text).status == "unreadable"


@pytest.mark.parametrize(
    "text, value",
    [("6.0108×10^-1", 0.60108), ("6.0108x10^(-1)", 0.60108), ("6.0108·10⁻¹", 0.60108),
     ("6.0108 × 10^1", 60.108)],
)  # fmt: skip
def test_a_power_of_ten_written_as_such_still_reads(text, value):
    """A power of ten written with ^ or a superscript exponent still reads as the number."""
    p = parse_answer(text)
    assert p.status == "ok" and p.value == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize(
    "text",
    ["1" * 60_000 + "x", "1" * 60_000, "0." + "1" * 60_000 + "e", "-" + "1" * 60_000 + ",5,5",
     " " * 30_000 + "1" * 30_000 + "z", "1" * 30_000 + "×10^" + "1" * 30_000 + "x"],
)  # fmt: skip
def test_a_very_long_answer_is_unreadable_at_once(text):
    """A 60,000-character answer is unreadable, read in well under half a second."""
    start = time.perf_counter()
    p = parse_answer(text)
    assert time.perf_counter() - start < 0.5
    assert p.status == "unreadable" and p.value is None


def test_the_plain_number_pattern_is_linear():
    """The fast path's pattern itself rejects 60,000 digits and a letter in well under 0.5 s."""
    start = time.perf_counter()
    assert PLAIN_NUMBER.fullmatch("1" * 60_000 + "x") is None
    assert time.perf_counter() - start < 0.5


def test_answers_up_to_the_length_bound_read_and_longer_ones_do_not():
    """An answer of MAX_ANSWER_LENGTH characters (after trimming) reads; one more is unreadable."""
    fits = "0." + "1" * (MAX_ANSWER_LENGTH - 2)
    assert parse_answer(f"  {fits}  ").status == "ok"
    assert parse_answer(fits + "1").status == "unreadable"
    assert MAX_ANSWER_LENGTH == 64


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.text(max_size=200),
        st.text(alphabet="0123456789.,eE+-−x×*·^()⁻¹² ", max_size=200),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.none(),
        st.booleans(),
    )
)
def test_parsing_never_raises(text):
    """Whatever the text (or JSON value), parse_answer returns a Parsed and never raises."""
    p = parse_answer(text)
    assert p.status in ("ok", "blank", "unreadable")
    assert (p.value is not None) == (p.status == "ok")


def test_an_integer_too_large_for_a_float_is_unreadable():
    """A JSON integer of 400 digits (too large for a float) is unreadable, not an OverflowError."""
    assert parse_answer(10**400).status == "unreadable"
