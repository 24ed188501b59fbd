"""Hostile answers: spellings that must not be misread, and texts that must not stall the parser."""

from __future__ import annotations

import pytest

from bpquiz.marking.answers import parse_answer


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
