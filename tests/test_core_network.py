"""The 41 steps against the article, an independent numpy pass, sympy, finite differences."""

from __future__ import annotations

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from bpquiz.exercise.model import PHASES, Exercise
from bpquiz.exercise.solve import formula, solve
from bpquiz.exercise.variants import ARTICLE_EXAMPLE

from oracle import S, article, contract_step_ids, forward_backward, symbolic_errors, total_error

ARTICLE = article()
EX = Exercise()
GIVEN_NAMES, STEP_IDS, STEPS, BY_ID = EX.given_names, EX.step_ids, EX.steps, EX.by_id
WEIGHTS = [f"w{k}" for k in range(1, 9)]


def test_step_ids_are_contracts_in_order():
    """The model asks exactly contract.md's 41 ids, in the order of its table."""
    assert list(STEP_IDS) == contract_step_ids()
    assert len(STEPS) == 41


def test_given_names_match_article_file():
    """The given names are the keys of article-example.json's "given", in order."""
    assert list(GIVEN_NAMES) == list(ARTICLE["given"])
    assert dict(ARTICLE_EXAMPLE) == ARTICLE["given"]


def test_every_step_has_phase_symbol_formula_and_known_inputs():
    """Each step carries a phase, a label and inputs that are given names or earlier steps."""
    seen: set[str] = set(GIVEN_NAMES)
    for step in STEPS:
        assert step.phase in PHASES
        assert step.label
        assert step.inputs, step.id
        assert set(step.inputs) <= seen, f"{step.id} reads a later step"
        seen.add(step.id)


@pytest.mark.parametrize("step_id", list(ARTICLE["printed"]))
def test_article_printed_numbers(step_id):
    """Every number the article prints is our value rounded, or truncated as the article does."""
    variant = solve(EX, EX.read_given(ARTICLE["given"]))
    value = variant.values[step_id]
    printed = ARTICLE["printed"][step_id]
    exact = ARTICLE["exact_5dp"].get(step_id, printed)
    assert round(value, 5) == pytest.approx(exact, abs=1e-12)
    # The article's printed number is within 2 units of the 5th decimal (truncation + carrying).
    assert abs(value - printed) < 2e-5


def test_article_values_match_independent_pass():
    """All 41 values of the article's variant equal an independent matrix computation to 1e-12."""
    variant = solve(EX, ARTICLE_EXAMPLE)
    reference = forward_backward(ARTICLE["given"])
    for step_id in STEP_IDS:
        assert variant.values[step_id] == pytest.approx(reference[step_id], abs=1e-12), step_id


@pytest.fixture(scope="module")
def sympy_gradients():
    E1, E2 = symbolic_errors()
    total = E1 + E2
    grads = {}
    for w in WEIGHTS:
        grads[f"dE_d{w}"] = sp.lambdify(list(S.values()), sp.diff(total, S[w]))
    for w in ("w1", "w2", "w3", "w4"):
        grads[f"dE1_d{w}"] = sp.lambdify(list(S.values()), sp.diff(E1, S[w]))
        grads[f"dE2_d{w}"] = sp.lambdify(list(S.values()), sp.diff(E2, S[w]))
    grads["E_total"] = sp.lambdify(list(S.values()), total)
    return grads


def _args(g: dict) -> list[float]:
    return [g[n] for n in S]


def test_gradients_equal_sympy_diff_on_article(sympy_gradients):
    """Every gradient step equals sympy's diff of E_total (or E1/E2) at the article's values."""
    variant = solve(EX, ARTICLE_EXAMPLE)
    args = _args(ARTICLE["given"])
    for step_id, fn in sympy_gradients.items():
        assert variant.values[step_id] == pytest.approx(fn(*args), abs=1e-13, rel=1e-12), step_id


def _central_difference(g: dict, name: str, h: float = 1e-6) -> float:
    up, down = dict(g), dict(g)
    up[name] += h
    down[name] -= h
    return (total_error(up) - total_error(down)) / (2 * h)


def test_gradients_equal_finite_differences_on_article():
    """Each ∂E_total/∂w equals a central finite difference of E_total (h = 1e-6)."""
    variant = solve(EX, ARTICLE_EXAMPLE)
    for w in WEIGHTS:
        fd = _central_difference(ARTICLE["given"], w)
        assert variant.values[f"dE_d{w}"] == pytest.approx(fd, abs=1e-9), w


def test_updated_weights_lower_the_error_for_small_steps():
    """A small step along the computed update lowers E_total (the gradient's sign is right)."""
    base = solve(EX, ARTICLE_EXAMPLE)
    small = {**ARTICLE["given"]}
    for w in WEIGHTS:
        small[w] -= 0.01 * base.values[f"dE_d{w}"]
    assert total_error(small) < base.values["E_total"]


two_decimals = st.integers(-99, 99).map(lambda h: h / 100)
givens = st.fixed_dictionaries(
    {
        **{
            n: two_decimals for n in GIVEN_NAMES if n not in ("target1", "target2", "learning_rate")
        },
        "target1": st.integers(1, 99).map(lambda h: h / 100),
        "target2": st.integers(1, 99).map(lambda h: h / 100),
        "learning_rate": st.sampled_from([0.1, 0.25, 0.5, 0.6, 1.0]),
    }
)


@settings(max_examples=150, deadline=None)
@given(givens)
def test_random_givens_match_independent_pass(g):
    """For any givens, all 41 steps equal the independent matrix computation."""
    variant = solve(EX, EX.read_given(g))
    reference = forward_backward(g)
    for step_id in STEP_IDS:
        assert variant.values[step_id] == pytest.approx(reference[step_id], abs=1e-12, rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(givens)
def test_random_givens_gradients_match_sympy_and_finite_differences(g):
    """For any givens, every gradient equals sympy's diff and a central finite difference."""
    E1, E2 = symbolic_errors()
    variant = solve(EX, EX.read_given(g))
    subs = {S[n]: g[n] for n in S}
    for w in WEIGHTS:
        exact = float(sp.diff(E1 + E2, S[w]).evalf(subs=subs))
        assert variant.values[f"dE_d{w}"] == pytest.approx(exact, abs=1e-13, rel=1e-10)
        assert variant.values[f"dE_d{w}"] == pytest.approx(_central_difference(g, w), abs=1e-8)
        assert variant.values[f"new_{w}"] == pytest.approx(
            g[w] - g["learning_rate"] * exact, abs=1e-12
        )


def test_step_formula_reads_only_its_inputs():
    """A step's formula needs only the names in its inputs (the ECF graph is complete)."""
    variant = solve(EX, ARTICLE_EXAMPLE)
    env = variant.env()
    for step in STEPS:
        only = {name: env[name] for name in step.inputs}
        names, fn = formula(EX, step.id)
        assert names == step.inputs
        assert fn(*(only[n] for n in names)) == variant.values[step.id]


def test_inputs_follow_the_article_chain():
    """∂E_total/∂w5 is built from ∂E_total/∂out_o1, ∂out_o1/∂sum_o1 and out_h1, as the article
    builds it."""
    assert BY_ID["dE_dw5"].inputs == ("dE_dout_o1", "dout_o1_dsum_o1", "out_h1")
    assert set(BY_ID["dE2_dw3"].inputs) == {
        "dE_dout_o2", "dout_o2_dsum_o2", "w7", "dout_h1_dsum_h1", "i2"
    }  # fmt: skip
    assert BY_ID["new_w1"].inputs == ("w1", "learning_rate", "dE_dw1")
