"""Marking steps: tolerance, carried rounding, error carried forward, points (bpquiz.grading)."""

from __future__ import annotations

import math

import pytest

from bpquiz.constants import STATUSES
from bpquiz.errors import PolicyError
from bpquiz.exercise.model import Exercise
from bpquiz.exercise.solve import formula, solve
from bpquiz.exercise.variants import ARTICLE_EXAMPLE, draw_variant
from bpquiz.marking.grading import Policy, grade_submission

from oracle import article, forward_backward
from students import carried as carried_from
from students import from_key, written

EX = Exercise()
STEP_IDS, STEPS, BY_ID = EX.step_ids, EX.steps, EX.by_id
ARTICLE = solve(EX, ARTICLE_EXAMPLE, "ARTICLE")
VARIANTS = [draw_variant(EX, 404, k, version=f"V{k}") for k in range(150)]


def key_answers(variant, how="round"):
    """Every step written from the key (the oracle's values), rounded or truncated."""
    return from_key(dict(variant.given), how)


def carried(variant, how="round", slip=None):
    """A student who works step by step from their own written answers, as the article does."""
    return carried_from(dict(variant.given), how, slip)


def statuses(graded):
    return {m.id: m.status for m in graded.marks}


# --- tolerance: what is correct ------------------------------------------------------------------


def test_every_number_the_article_prints_is_correct():
    """The article's printed numbers (truncated, carried) are all correct for its variant."""
    printed = article()["printed"]
    graded = grade_submission(ARTICLE, {k: str(v) for k, v in printed.items()})
    got = statuses(graded)
    assert all(got[k] == "correct" for k in printed), {
        k: got[k] for k in printed if got[k] != "correct"
    }
    assert graded.score == len(printed) and graded.max_score == 41


def test_exact_rounding_of_the_article_is_correct_too():
    """Where the article's truncation differs from rounding (exact_5dp), both are correct."""
    exact = article()["exact_5dp"]
    got = statuses(grade_submission(ARTICLE, {k: f"{v:.5f}" for k, v in exact.items()}))
    assert all(got[k] == "correct" for k in exact)


@pytest.mark.parametrize("how", ["round", "trunc"])
def test_rounded_or_truncated_key_values_are_correct(how):
    """Every step written from the key to 5 decimals, rounded or truncated, is correct."""
    for v in VARIANTS:
        graded = grade_submission(v, key_answers(v, how))
        assert graded.counts()["correct"] == 41, (v.version, statuses(graded))


@pytest.mark.parametrize("how", ["round", "trunc"])
def test_carrying_ones_own_rounded_answers_is_correct(how):
    """A student who carries their own rounded (or truncated) answers gets every step correct,
    though some end up beyond the key's own tolerance (truncating: E_total up to ~4 units)."""
    farthest = 0.0
    for v in VARIANTS:
        answers = carried(v, how)
        graded = grade_submission(v, answers)
        assert graded.counts()["correct"] == 41, (v.version, statuses(graded))
        farthest = max(farthest, max(abs(m.parsed - m.key) for m in graded.marks) / 1e-5)
    assert farthest > 1.0  # the key's tolerance alone would not have accepted these


@pytest.mark.parametrize("units", [5, -5, 6, -7, 20, -100])
def test_answers_five_or_more_units_off_are_wrong(units):
    """One answer off by ≥ 5 units in the last decimal is wrong, the others stay correct."""
    for v in VARIANTS[:40]:
        base = key_answers(v)
        for sid in STEP_IDS:
            answers = dict(base)
            answers[sid] = written(float(base[sid]) + units * 1e-5)
            got = statuses(grade_submission(v, answers))
            assert got[sid] == "wrong", (v.version, sid, answers[sid])


def test_off_by_five_units_is_wrong_for_a_carrying_student():
    """Five units off the value their own carried answers give is wrong, even when carrying."""
    for v in VARIANTS[:40]:
        for sid in STEP_IDS:
            for units in (5, -5):
                slip = (sid, lambda x, u=units: round(x, 5) + u * 1e-5)
                got = statuses(grade_submission(v, carried(v, "trunc", slip)))
                assert got[sid] == "wrong", (v.version, sid, units)


def test_exactly_five_units_from_a_short_key_is_wrong():
    """sum_h1 = 0.41 exactly: 0.40995 and 0.41005 are wrong, 0.40999 and 0.41001 correct."""
    base = key_answers(ARTICLE)
    for text, status in (
        ("0.40995", "wrong"),
        ("0.41005", "wrong"),
        ("0.40999", "correct"),
        ("0.41001", "correct"),
    ):
        got = statuses(grade_submission(ARTICLE, {**base, "sum_h1": text}))
        assert got["sum_h1"] == status, text


def test_configurable_tolerances():
    """--atol, --rtol and significant figures replace the default tolerance."""
    base = key_answers(ARTICLE)
    off = {**base, "out_h1": "0.6012"}  # 11 units off 0.601088
    assert statuses(grade_submission(ARTICLE, off))["out_h1"] == "wrong"
    assert statuses(grade_submission(ARTICLE, off, Policy(atol=2e-4)))["out_h1"] == "correct"
    assert statuses(grade_submission(ARTICLE, off, Policy(rtol=5e-4)))["out_h1"] == "correct"
    assert statuses(grade_submission(ARTICLE, off, Policy(sig_figs=3)))["out_h1"] == "correct"
    assert statuses(grade_submission(ARTICLE, off, Policy(sig_figs=4)))["out_h1"] == "wrong"
    assert Policy(sig_figs=3).tolerance(0.0016) == pytest.approx(1e-5)
    assert Policy(decimals=3).tolerance(123.0) == pytest.approx(1e-3)


# --- error carried forward -----------------------------------------------------------------------


def test_one_early_error_carried_consistently_is_ecf_downstream():
    """out_h1 wrong, everything after computed from it: out_h1 wrong, its dependants ecf."""
    v = VARIANTS[0]
    graded = grade_submission(v, carried(v, "round", ("out_h1", lambda x: x + 0.05)))
    got = statuses(graded)
    assert got["out_h1"] == "wrong"
    for sid in (
        "sum_o1",
        "out_o1",
        "sum_o2",
        "E1",
        "E_total",
        "dE_dw5",
        "dE_dw7",
        "new_w5",
        "dE1_dw1",
        "new_w1",
    ):
        assert got[sid] == "ecf", sid
    for sid in ("sum_h1", "sum_h2", "out_h2"):  # do not depend on out_h1
        assert got[sid] == "correct"
    assert (
        set(got.values()) <= {"correct", "ecf", "wrong"} and list(got.values()).count("wrong") == 1
    )
    assert graded.score == 40  # default: full ECF credit


def slip(x: float) -> float:
    """A 10 % mistake away from 0, or toward the middle where it would saturate an output."""
    y = x * 1.1 + math.copysign(0.0005, x)
    return y if abs(y) < 0.98 or abs(x) > 1 else x * 0.9


def _copies(answers: dict, given: dict, sid: str) -> bool:
    """An update the student's own numbers leave as it was at 5 decimals: the region's one
    exception to "an honest slip keeps every ECF mark" (a copy however it was reached)."""
    return sid.startswith("new_") and float(answers[sid]) == round(given[sid[4:]], 5)


@pytest.mark.parametrize("sid", [s.id for s in STEPS if any(i in BY_ID for i in s.inputs)][:30])
def test_ecf_from_any_step(sid):
    """A 10 % mistake in any step read by later ones: that step wrong, none of the rest wrong
    but an update that the student's own numbers leave unchanged."""
    for v in VARIANTS[:10]:
        answers = carried(v, "round", (sid, slip))
        got = statuses(grade_submission(v, answers))
        assert got[sid] == "wrong"
        others = [k for k, s in got.items() if s == "wrong" and k != sid]
        assert all(_copies(answers, dict(v.given), k) for k in others), (v.version, others)


def test_ecf_uses_the_formula_on_the_students_own_inputs():
    """Mark.recomputed is the step's formula on the student's answers and the key's givens."""
    answers = key_answers(ARTICLE)
    answers["dE_dout_o1"] = "0.70000"
    answers["dE_dw5"] = written(0.7 * float(answers["dout_o1_dsum_o1"]) * float(answers["out_h1"]))
    mark = grade_submission(ARTICLE, answers).marks[STEP_IDS.index("dE_dw5")]
    assert mark.status == "ecf"
    assert mark.recomputed == pytest.approx(
        0.7 * float(answers["dout_o1_dsum_o1"]) * float(answers["out_h1"])
    )


def test_no_ecf_from_blank_or_unreadable_inputs():
    """A step reading a blank or unreadable answer cannot be ecf: it is correct or wrong."""
    v = VARIANTS[1]
    for bad in ("", "???"):
        answers = carried(v, "round", ("dE_dout_o1", lambda x: x + 0.1))
        answers["dE_dout_o1"] = bad
        got = statuses(grade_submission(v, answers))
        assert got["dE_dout_o1"] == ("blank" if bad == "" else "unreadable")
        assert got["dE_dw5"] == "wrong" and got["dE_dw6"] == "wrong"


@pytest.mark.parametrize(
    "trivial", ["0", "1", "-1", "0.00000", "1.00000", "0.99999", "0.00001", "1e-6"]
)
def test_no_ecf_from_a_degenerate_output(trivial):
    """A wrong output at or next to 0 or ±1, and whatever the student computes from it, passes
    no ECF credit on: every step that depends on out_o1 is wrong."""
    v = VARIANTS[2]
    answers = carried(v, "round", ("out_o1", lambda x: float(trivial)))
    got = statuses(grade_submission(v, answers))
    for sid in ("out_o1", "E1", "E_total", "dE_dout_o1", "dout_o1_dsum_o1", "dE_dw5", "dE_dw6",
                "new_w5", "new_w6", "dE1_dw1", "dE_dw1", "new_w1"):  # fmt: skip
        assert got[sid] == "wrong", sid
    assert got["out_o2"] == got["dE_dw7"] == "correct"  # what does not depend on it is untouched


def test_an_honest_small_carried_value_still_earns_ecf():
    """A carried gradient next to 0 that follows from the student's own work (two terms that
    nearly cancel) is ecf, and so is the update from it where it changes the weight by more
    than a unit."""
    for v in VARIANTS[3:40]:
        dE2 = forward_backward(dict(v.given))["dE2_dw1"]
        if abs(dE2) < 1e-3:
            continue  # the slip itself would be a value under 10 units: out (a written 0.00007)
        answers = carried(v, "round", ("dE1_dw1", lambda x, d=dE2: -d + 6e-5))  # dE_dw1 ≈ 6e-5
        got = statuses(grade_submission(v, answers))
        assert got["dE1_dw1"] == "wrong" and got["dE_dw1"] == "ecf"
        assert abs(float(answers["dE_dw1"])) < 1e-4
        moved = float(answers["new_w1"]) != v.given["w1"]
        assert got["new_w1"] == ("ecf" if moved else "wrong"), v.version


def test_ecf_credit_and_no_ecf():
    """--ecf-credit scales ecf points; --no-ecf marks those steps wrong."""
    v = VARIANTS[0]
    answers = carried(v, "round", ("out_h1", lambda x: x + 0.05))
    full = grade_submission(v, answers)
    n_ecf = full.counts()["ecf"]
    assert n_ecf > 20
    half = grade_submission(v, answers, Policy(ecf_credit=0.5))
    assert half.counts()["ecf"] == n_ecf and half.score == pytest.approx(41 - 1 - n_ecf / 2)
    off = grade_submission(v, answers, Policy(ecf=False))
    assert off.counts()["ecf"] == 0 and off.counts()["wrong"] == n_ecf + 1
    assert off.score == 41 - 1 - n_ecf


def test_random_garbage_earns_nothing():
    """Random numbers in every box are wrong (not ecf by coincidence), blank or unreadable."""
    import random

    rng = random.Random(7)
    total_ecf = 0
    for v in VARIANTS[:100]:
        answers = {sid: f"{rng.uniform(-1, 2):.5f}" for sid in STEP_IDS}
        total_ecf += grade_submission(v, answers).counts()["ecf"]
    assert total_ecf <= 2


# --- statuses, points, policy --------------------------------------------------------------------


def test_blank_and_unreadable_score_zero_and_keep_the_text():
    """Blank and unreadable steps score 0; the mark keeps the text as written."""
    answers = {**key_answers(ARTICLE), "E1": "", "E2": "zero point one"}
    graded = grade_submission(ARTICLE, answers)
    marks = {m.id: m for m in graded.marks}
    assert marks["E1"].status == "blank" and marks["E1"].points == 0
    assert marks["E2"].status == "unreadable" and marks["E2"].written == "zero point one"
    assert marks["E2"].parsed is None and marks["E2"].key == pytest.approx(0.0145259, abs=1e-7)
    assert graded.score == 39 and set(graded.counts()) == set(STATUSES)


def test_points_per_step_and_phase():
    """Points per step id win over points per phase, which win over the default."""
    policy = Policy(points={"hidden": 2, "E_total": 5, "new_w1": 0}, default_points=0.5)
    points = policy.max_points(EX)
    assert points["dE1_dw3"] == 2 and points["E_total"] == 5
    assert points["new_w1"] == 0 and points["out_h1"] == 0.5
    graded = grade_submission(ARTICLE, key_answers(ARTICLE), policy)
    hidden = sum(1 for s in STEPS if s.phase == "hidden")
    assert graded.max_score == pytest.approx(2 * (hidden - 1) + 5 + 0.5 * (41 - hidden - 1))
    assert graded.score == graded.max_score and graded.percent == 100


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"ecf_credit": 1.5}, "ECF credit"),
        ({"points": {"nope": 1}}, "neither a step id nor a phase"),
        ({"points": {"E1": -1}}, "points for E1"),
        ({"atol": -1}, "atol"),
        ({"sig_figs": 0}, "significant figures"),
    ],
)
def test_bad_policy_is_refused_naming_the_setting(kwargs, message):
    """An out-of-range setting, or points for a name the exercise lacks, raise PolicyError."""
    with pytest.raises(PolicyError, match=message):
        Policy(**kwargs).check(EX)


def test_compiled_step_formulas_agree_with_the_oracle():
    """Each step's compiled formula, on the oracle's values of its inputs, gives the oracle's
    value of the step (the grader's recomputation is the network's own arithmetic)."""
    for v in VARIANTS[:20]:
        env = {**v.given, **forward_backward(dict(v.given))}
        for sid in STEP_IDS:
            names, fn = formula(EX, sid)
            assert names == BY_ID[sid].inputs
            assert fn(*(env[n] for n in names)) == pytest.approx(env[sid], rel=1e-12, abs=1e-15)


def test_overflowing_inputs_are_wrong_not_a_crash():
    """Absurd inputs (exp overflow, huge squares) make the step wrong, never an exception."""
    answers = {**key_answers(ARTICLE), "sum_o1": "-1e300", "out_o1": "1e200", "E1": "5"}
    got = statuses(grade_submission(ARTICLE, answers))
    assert got["sum_o1"] == got["out_o1"] == got["E1"] == "wrong"


# --- imprecise: right to fewer decimals than asked -------------------------------------------


@pytest.mark.parametrize("decimals", [4, 3])
def test_work_carried_at_fewer_decimals_is_imprecise_with_its_own_credit(decimals):
    """A student who works every step at 4 (or 3) decimals where 5 are asked: no step is
    `wrong` (but answers of one significant digit) or `ecf`, those not correct are `imprecise`;
    by default they score as before (0 points),
    --imprecise-credit 0.5 gives each half its points."""
    for v in VARIANTS[:20]:
        answers = carried_from(dict(v.given), "round", None, decimals)
        graded = grade_submission(v, answers)
        counts = graded.counts()
        wrong = [m for m in graded.marks if m.status == "wrong"]
        # only the answers that keep under two significant digits (−0.003 for −0.00326)
        assert all(abs(m.parsed) < 10 ** (1 - decimals) for m in wrong), v.version
        assert counts["ecf"] == 0 and counts["imprecise"] > 10, (v.version, counts)
        assert graded.score == counts["correct"]
        half = grade_submission(v, answers, Policy(imprecise_credit=0.5))
        assert half.score == pytest.approx(graded.score + counts["imprecise"] / 2)


def test_imprecise_needs_the_written_decimals_right_and_two_significant_digits():
    """For out_h1 = 0.6010885…: 0.6011 (rounded), 0.6010 (truncated) and 0.601 are imprecise;
    0.6013 (two units of its last decimal off) is wrong, and so are 0.6 and 1 (one significant
    digit), a 5-decimal answer that is off, and a lone 0 for a small gradient."""
    v = ARTICLE
    key = v.values["out_h1"]  # 0.6010885...
    policy = Policy(imprecise_credit=1.0)

    def status(text):
        answers = key_answers(v)
        answers["out_h1"] = text
        return statuses(grade_submission(v, answers, policy))["out_h1"]

    assert f"{key:.4f}" == "0.6011" and status("0.6011") == "imprecise"
    assert status("0.6010") == "imprecise"  # truncated to 4 decimals
    assert status("0.6013") == "wrong" and status("0.601") == "imprecise"
    assert status("0.6") == "wrong" and status("1") == "wrong" and status("0.60120") == "wrong"
    small = key_answers(v)
    small["dE_dw1"] = "0"  # the key is 0.000438…: "0" is no imprecise answer
    assert statuses(grade_submission(v, small, policy))["dE_dw1"] == "wrong"
    with pytest.raises(PolicyError):
        Policy(imprecise_credit=1.5)
