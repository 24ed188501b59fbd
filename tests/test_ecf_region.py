"""Error carried forward that cannot be gamed (issue 11 §1), for every exercise option: a student
who writes extreme or degenerate values scores no more than one who writes exactly 0, and an
honest slip keeps every ECF mark. The students are built by the independent oracle (netoracle)."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from netoracle import Opts, cycle

from bpquiz.exercise.model import Exercise
from bpquiz.exercise.options import build, preset
from bpquiz.exercise.solve import solve
from bpquiz.exercise.variants import ARTICLE_EXAMPLE, draw_variant
from bpquiz.marking.grading import grade_submission

EXERCISES = {
    "article": Exercise(),
    "mazur": build(preset("mazur")),
    "tanh-ce": build(preset("tanh-ce")),
    "relu-regression": build(preset("relu-regression")),
    "binary": build(preset("binary")),
    "leaky-3-2-2": Exercise(shape=(3, 2, 2), hidden="leaky_relu", biases="per-unit",
                            update_biases=True),
    "relu-dead": Exercise(shape=(2, 3, 2), hidden="relu", dead_units=True),
    "largest": build(preset("largest")),
}  # fmt: skip
VARIANTS = 12


def opts(ex: Exercise) -> Opts:
    return Opts(ex.shape, ex.hidden, ex.output, ex.loss, ex.biases, ex.update_biases,
                ex.second_pass)  # fmt: skip


def student(ex: Exercise, given: dict, change: dict[str, Callable[[float], float]]) -> dict:
    """A student who works every step from their own written answers (5 decimals), the steps
    named in `change` written as the function makes them (as typed: 1e-06, 1000000.0, …). Where
    their own numbers have no value (a logarithm of 0), the rest is left blank."""
    answers: dict[str, str] = {}

    def keep(sid: str, x: float) -> float:
        if sid in change:
            x = change[sid](x)
            answers[sid] = repr(float(x))
        else:
            answers[sid] = f"{x:.5f}"
        return float(answers[sid])

    try:
        cycle(opts(ex), dict(given), keep)
    except (ArithmeticError, ValueError):
        pass
    return answers


def score(variant, answers: dict) -> float:
    return grade_submission(variant, answers).score


def variants(name: str):
    ex = EXERCISES[name]
    return [draw_variant(ex, 2026, k, version=f"V{k}") for k in range(VARIANTS)]


def steps(ex: Exercise, test: Callable[[str], bool]) -> list[str]:
    return [sid for sid in ex.asked_ids if test(sid) and not sid.endswith("_after")]


# Each pattern: which steps the student writes, and the values that game them (issue 11 §1, and
# their neighbours), each against the same steps written as exactly 0.
PATTERNS = {
    "sums": (lambda s: s.startswith("sum_"), [1e6, -700.0, 1e3]),
    "slopes": (lambda s: s.startswith("dout_") and "_dsum_" in s, [1e-6, 1e-5, 1e-4]),
    "outputs": (lambda s: s.startswith("out_o"), [0.99999, 0.00001, 1.0]),
    "dE_dout": (lambda s: s.startswith(("dE_dout_o", "dE_dsum_o")), [1e-6, 1e-5, 1e-4]),
    "gradients": (lambda s: s.startswith("dE_dw"), [1e-5, 2e-5, 1e-6]),
}


@pytest.mark.parametrize("name", EXERCISES)
@pytest.mark.parametrize("pattern", PATTERNS)
def test_a_gaming_pattern_earns_no_more_ecf_than_writing_exactly_0(name, pattern):
    """Each gaming pattern (sums of 10^6 or −700, slopes of 10^-6 … 10^-4, saturated outputs,
    ∂E/∂out of 10^-6 … 10^-4, gradients of 0.00001), the later steps computed from it, earns no
    more ECF marks than the same steps written as exactly 0, on 12 variants of every exercise
    option; on the article's exercise it scores no more either. (A ReLU sum of 10^6 does make
    its slope of 1 right: that mark is no ECF.)"""
    ex = EXERCISES[name]
    chosen, values = PATTERNS[pattern]
    ids = steps(ex, chosen)
    if not ids or (pattern == "outputs" and ex.output == "linear"):
        pytest.skip(f"{name} has no {pattern} step that saturates")
    for v in variants(name):
        zero = grade_submission(v, student(ex, v.given, dict.fromkeys(ids, lambda x: 0.0)))
        for value in values:
            gamed = grade_submission(
                v, student(ex, v.given, {s: lambda x, y=value: y for s in ids})
            )
            assert gamed.counts()["ecf"] <= zero.counts()["ecf"], (v.version, value)
            if name == "article":
                assert gamed.score <= zero.score, (v.version, value, gamed.score, zero.score)


def test_the_issues_own_gaming_numbers_no_longer_pay():
    """The article's exercise, the issue's figures: four sums of 10^6 (37/41 before), slopes of
    0.00001 (37/41), out_o = 0.99999 (39/41), ∂E/∂out = 10^-6 (39/41) now score what exactly 0
    scores; none of them earns a single ecf mark."""
    ex = EXERCISES["article"]
    for v in variants("article"):
        for ids, value in (
            (["sum_h1", "sum_h2", "sum_o1", "sum_o2"], 1e6),
            (["dout_o1_dsum_o1", "dout_o2_dsum_o2", "dout_h1_dsum_h1", "dout_h2_dsum_h2"], 1e-5),
            (["out_o1", "out_o2"], 0.99999),
            (["dE_dout_o1", "dE_dout_o2"], 1e-6),
        ):
            graded = grade_submission(
                v, student(ex, v.given, {s: lambda x, y=value: y for s in ids})
            )
            assert graded.counts()["ecf"] == 0, (v.version, ids[0], value)


def _honest_slips(ex: Exercise, given: dict) -> dict[str, tuple[str, Callable[[float], float]]]:
    """The issue's honest slips: a bias left out of sum_h1, a sign error in ∂E/∂out (∂E/∂sum
    after softmax), a product with the wrong hidden output in the first output weight's
    gradient."""
    n, m, _ = ex.shape
    reference = cycle(opts(ex), dict(given))
    bias = "b1" if ex.biases == "shared" else "b_h1"
    slips = {
        "bias left out": ("sum_h1", lambda x: x - given[bias]),
        "sign error": ("dE_dsum_o1" if ex.loss == "ce" else "dE_dout_o1", lambda x: -x),
    }
    live = [j for j in range(2, m + 1) if reference[f"out_h{j}"]]
    if live and reference["out_h1"]:
        w = f"dE_dw{n * m + 1}"  # from h1 to o1: times another (live) unit's output
        ratio = reference[f"out_h{live[0]}"] / reference["out_h1"]
        slips["wrong product"] = (w, lambda x: x * ratio)
    return {k: v for k, v in slips.items() if v[0] in ex.asked_ids}


def _allowed(given: dict, answers: dict, sid: str) -> bool:
    """The region's stated exception for an honest slip: an update that the student's own
    numbers leave as it was at 5 decimals (a copy, however reached)."""
    return sid.startswith("new_") and float(answers[sid]) == round(given[sid[4:]], 5)


@pytest.mark.parametrize("name", EXERCISES)
def test_an_honest_slip_keeps_every_ecf_mark(name):
    """An honest slip costs its own step only: every later step it spoils is ecf (but an
    update it leaves unchanged, in at most 1 slip in 10), on 30 variants of every exercise
    option (a slip that puts a ReLU unit below its kink included: its zeros are honest)."""
    ex = EXERCISES[name]
    count = kept = 0
    for k in range(30):
        v = draw_variant(ex, 77, k, version=f"V{k}")
        for slip, (sid, f) in _honest_slips(ex, dict(v.given)).items():
            answers = student(ex, v.given, {sid: f})
            answers[sid] = f"{float(answers[sid]):.5f}"
            if abs(float(answers[sid]) - v.values[sid]) < 2e-5:
                continue  # no slip at all (a product with a dead unit's 0)
            if "relu" in ex.hidden and sid.startswith("sum_h") and abs(float(answers[sid])) < 0.01:
                continue  # on the kink, where the slope has no value: the region's stated edge
            graded = grade_submission(v, answers)
            wrong = [m.id for m in graded.marks if m.status == "wrong"]
            assert sid in wrong, (v.version, slip)
            others = [s for s in wrong if s != sid]
            assert all(_allowed(v.given, answers, s) for s in others), (slip, others)
            count += 1
            kept += not others
    assert count >= 40 and kept >= 0.9 * count, (kept, count)


def test_the_articles_example_with_each_honest_slip_scores_40_of_41():
    """The article's own numbers, each honest slip: 40/41."""
    v = solve(EXERCISES["article"], dict(ARTICLE_EXAMPLE), "ARTICLE")
    for slip, (sid, f) in _honest_slips(EXERCISES["article"], dict(v.given)).items():
        answers = student(EXERCISES["article"], v.given, {sid: f})
        answers[sid] = f"{float(answers[sid]):.5f}"
        assert score(v, answers) == 40, slip


def test_a_huge_value_is_out_but_a_decimal_slip_is_not():
    """A value 10^6 times the key carries nothing; one 10 times the key (a decimal slip in a
    sum) still carries ECF to the output that reads it."""
    ex = EXERCISES["relu-regression"]
    for v in variants("relu-regression")[:6]:
        slipped = student(ex, v.given, {"sum_h1": lambda x: x * 10})
        marks = {m.id: m.status for m in grade_submission(v, slipped).marks}
        assert marks["sum_h1"] == "wrong" and marks["out_h1"] == "ecf"
        huge = student(ex, v.given, {"sum_h1": lambda x: 1e6})
        marks = {m.id: m.status for m in grade_submission(v, huge).marks}
        assert marks["out_h1"] == "wrong" and "ecf" not in {
            marks[s] for s in marks if "h1" in s or s.startswith(("sum_o", "out_o", "E"))
        }
        assert math.isfinite(grade_submission(v, huge).score)


def test_a_relu_unit_a_slip_kills_gives_honest_zeros_but_all_dead_is_out():
    """ReLU (no dead units asked for): a student whose own sum_h1 is below the kink earns ecf for
    out_h1 = 0, its slope 0 and the zero gradients through h1, while h2 lives; writing every
    hidden sum below the kink earns no ECF."""
    ex = Exercise(shape=(2, 2, 1), hidden="relu", output="linear")
    checked = 0
    for k in range(30):
        v = draw_variant(ex, 5, k, version=f"V{k}")
        answers = student(ex, v.given, {"sum_h1": lambda x: -0.3})
        marks = {m.id: m.status for m in grade_submission(v, answers).marks}
        assert marks["sum_h1"] == "wrong" and answers["out_h1"] == "0.00000"
        assert marks["out_h1"] == marks["dout_h1_dsum_h1"] == marks["dE_dw1"] == "ecf", v.version
        dead = student(ex, v.given, {"sum_h1": lambda x: -0.3, "sum_h2": lambda x: -0.4})
        assert grade_submission(v, dead).counts()["ecf"] == 0, v.version
        checked += 1
    assert checked == 30
