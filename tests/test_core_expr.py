"""One formula, several faces: the displayed numbers and symbols match the article's lines."""

from __future__ import annotations

from bpquiz.documents.mathhtml import PrintMath
from bpquiz.exercise.expr import MATH, Ref, compile_formula, numpy_library
from bpquiz.exercise.model import Exercise
from bpquiz.exercise.solve import solve
from bpquiz.exercise.typeset import LaTeX, Text, fixed, typeset
from bpquiz.exercise.units import ACTIVATIONS
from bpquiz.exercise.variants import ARTICLE_EXAMPLE

EX = Exercise()
BY_ID = EX.by_id
VARIANT = solve(EX, ARTICLE_EXAMPLE)


def numbers(step_id: str, decimals: int = 5) -> str:
    return typeset(BY_ID[step_id].formula, Text(numeric=True), EX, VARIANT, decimals)


def test_substituted_line_of_dE_dw5_is_the_articles():
    """∂E_total/∂w5 shows the article's three factors, rounded (the article truncates)."""
    assert numbers("dE_dw5") == "0.68493 × 0.19481 × 0.60109"


def test_given_values_are_written_as_given():
    """Given values appear as the lecturer wrote them (0.1, not 0.10000)."""
    assert numbers("sum_h1") == "0.1 × 0.1 + 0.5 × 0.3 + 0.25"
    assert numbers("new_w5") == "0.5 − 0.6 × 0.08020"


def test_negative_right_operands_get_parentheses():
    """A negative number after an operator is bracketed: 0.7 − 0.6 × (−0.01761), a + (−b)."""
    assert numbers("new_w7") == "0.7 − 0.6 × (−0.01761)"
    assert numbers("dE_dw1") == "0.00160 + (−0.00049)"
    assert numbers("dE2_dw1").startswith("−0.17045 × 0.17185 × 0.7")


def test_symbolic_forms():
    """Symbols: the sigmoid as a fraction, E1 with its half and square, partials stacked."""
    text = Text()
    assert typeset(BY_ID["out_h1"].formula, text, EX) == "1/(1 + e^(−sum_h1))"
    assert typeset(BY_ID["E1"].formula, text, EX) == "1/2 · (target1 − out_o1)^2"
    assert typeset(BY_ID["dE_dw5"].expanded, text, EX) == (
        "(out_o1 − target1) · (out_o1 · (1 − out_o1)) · out_h1"
    )
    assert (
        typeset(BY_ID["dE_dw5"].symbol, LaTeX(), EX) == r"\frac{\partial E_{total}}{\partial w_{5}}"
    )


def test_html_is_escaped_real_text():
    """HTML math keeps numbers as plain text with a real minus sign, and escapes names."""
    html = typeset(BY_ID["dE_dout_o2"].formula, PrintMath(numeric=True), EX, VARIANT)
    assert html == "0.77955 − 0.95"
    assert PrintMath(numeric=True).number(-0.5, 2) == "−0.50"
    assert PrintMath(numeric=False).number(0.5, 2) == '<span class="u">0.50</span>'
    assert "&lt;" in PrintMath().var("<x>", "")


def test_formula_value_and_display_come_from_one_tree():
    """Compiling the displayed tree gives the value, with floats and with numpy columns alike."""
    sigmoid = ACTIVATIONS["sigmoid"].out
    _, half = compile_formula(sigmoid(Ref("x")))
    assert half(0.0) == 0.5
    assert fixed(-0.000001, 5) == "0.00000"
    names, out_h1 = compile_formula(BY_ID["out_h1"].formula)
    assert names == ("sum_h1",) and out_h1(0.41) == VARIANT.values["out_h1"]
    import numpy as np

    _, columns = compile_formula(BY_ID["out_h1"].formula, numpy_library())
    assert np.allclose(columns(np.array([0.41, 0.0])), [VARIANT.values["out_h1"], 0.5])
    assert MATH["_exp"](0.0) == 1.0
