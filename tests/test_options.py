"""Exercise options (shapes, activations, losses, biases, second pass, subsets), each checked as
the article's exercise is: an independent oracle, sympy's derivatives, finite differences."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from netoracle import Opts, cycle, loss, new_givens, sympy_gradients

from bpquiz.errors import ExerciseError
from bpquiz.exercise.model import Exercise
from bpquiz.exercise.options import MAZUR_EXAMPLE, PRESETS, build, preset, read_course_file
from bpquiz.exercise.solve import solve
from bpquiz.exercise.variants import ARTICLE_EXAMPLE

HIDDEN = ("sigmoid", "tanh", "relu", "leaky_relu", "linear")
OUTPUTS = (("sigmoid", "mse"), ("sigmoid", "bce"), ("linear", "mse"), ("softmax", "ce"))
SHAPES = ((2, 2, 2), (2, 3, 1), (3, 2, 2), (4, 4, 4))
CONFIGS = [
    (shape, hidden, output, loss_, biases)
    for shape in SHAPES
    for hidden in HIDDEN
    for output, loss_ in OUTPUTS
    for biases in ("shared", "per-unit")
    if not (output == "softmax" and shape[2] < 2)
]


def givens_for(ex: Exercise, rng: random.Random) -> dict[str, float]:
    """Given values of either sign, away from a ReLU's kink (where the derivative jumps)."""
    while True:
        g = {name: rng.uniform(-0.9, 0.9) for name in ex.given_names}
        g.update({t: rng.uniform(0.05, 0.95) for t in ex.targets})
        if ex.loss == "ce":
            right = rng.randrange(len(ex.targets))
            g.update({t: float(k == right) for k, t in enumerate(ex.targets)})
        g["learning_rate"] = 0.5
        values = solve(ex, g).values
        if all(abs(values[s]) > 1e-3 for s in values if s.startswith("sum_")):
            return g


def both(shape, hidden, output, loss_, biases):
    ex = Exercise(shape=shape, hidden=hidden, output=output, loss=loss_, biases=biases,
                  update_biases=True, second_pass=True)  # fmt: skip
    return ex, Opts(shape, hidden, output, loss_, biases, True, True)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(map(str, c)).replace(" ", ""))
def test_every_option_agrees_with_the_oracle_sympy_and_finite_differences(config):
    """Each option on 2-2-2, 2-3-1, 3-2-2 and 4-4-4: every step equals the independent oracle
    (ids in the same order), every gradient sympy's diff of the loss and a central difference,
    and E_total_after a forward pass with the new parameters."""
    ex, opts = both(*config)
    g = givens_for(ex, random.Random(str(config)))
    values = solve(ex, g).values
    reference = cycle(opts, g)
    assert list(values) == list(reference)
    for sid, x in values.items():
        assert x == pytest.approx(reference[sid], rel=1e-12, abs=1e-14), sid
    params, gradients = sympy_gradients(opts)
    exact = gradients(g)
    for p in params:
        assert values[f"dE_d{p}"] == pytest.approx(exact[p], rel=1e-10, abs=1e-13), p
        up, down = dict(g), dict(g)
        up[p] += 1e-6
        down[p] -= 1e-6
        central = (loss(opts, up) - loss(opts, down)) / 2e-6
        assert values[f"dE_d{p}"] == pytest.approx(central, abs=1e-7), p
        assert values[f"new_{p}"] == pytest.approx(g[p] - 0.5 * exact[p], abs=1e-12), p
    assert values["E_total_after"] == pytest.approx(
        loss(opts, new_givens(opts, g, values)), abs=1e-12
    )


options = st.fixed_dictionaries({
    "shape": st.tuples(*[st.integers(1, 4)] * 3),
    "hidden": st.sampled_from(HIDDEN),
    "output": st.sampled_from(OUTPUTS),
    "biases": st.sampled_from(("shared", "per-unit")),
    "update_biases": st.booleans(),
    "second_pass": st.booleans(),
})  # fmt: skip


@settings(max_examples=120, deadline=None)
@given(options, st.integers(0, 2**32))
def test_any_shape_and_option_matches_the_oracle(chosen, seed):
    """Hypothesis over shapes 1–4 each, every option and random givens: all steps equal the
    oracle's, and every gradient a central finite difference of the loss."""
    (output, loss_) = chosen.pop("output")
    assume(not (output == "softmax" and chosen["shape"][2] < 2))
    ex = Exercise(output=output, loss=loss_, **chosen)
    opts = Opts(chosen["shape"], chosen["hidden"], output, loss_, chosen["biases"],
                chosen["update_biases"], chosen["second_pass"])  # fmt: skip
    g = givens_for(ex, random.Random(seed))
    values = solve(ex, g).values
    reference = cycle(opts, g)
    assert list(values) == list(reference)
    for sid, x in values.items():
        assert x == pytest.approx(reference[sid], rel=1e-12, abs=1e-14), sid
    for p in ex.parameters:
        up, down = dict(g), dict(g)
        up[p] += 1e-6
        down[p] -= 1e-6
        assert values[f"dE_d{p}"] == pytest.approx(
            (loss(opts, up) - loss(opts, down)) / 2e-6, abs=1e-7
        )


def test_the_default_is_still_the_articles_41_steps():
    """Without options the exercise is the article's: 41 steps, no bias update, no second pass."""
    ex = Exercise()
    assert len(ex.steps) == 41 and not any(s.id.startswith(("dE_db", "new_b")) for s in ex.steps)
    assert ex.weights["w3"] == ("i2", "h1") and ex.weights["w6"] == ("h2", "o1")


def test_mazur_example_with_a_second_pass():
    """Mazur's network (his w2/w3 swapped into contract.md's order) gives his numbers: E_total
    0.298371109, the new weights as printed, and 0.291027924 after one update — which he
    printed 1.5e-7 above the exact 0.2910277737 (a forward pass of the oracle confirms ours),
    the same at any number of decimals a sheet asks for."""
    ex = build(preset("mazur"), name="mazur")
    v = solve(ex, MAZUR_EXAMPLE).values
    assert v["E_total"] == pytest.approx(0.298371109, abs=5e-10)
    assert v["E_total_after"] == pytest.approx(0.291027924, abs=2e-7)
    assert round(v["E_total_after"], 6) == round(0.291027924, 6)
    opts = Opts(second_pass=True)
    exact = loss(opts, new_givens(opts, dict(MAZUR_EXAMPLE), v))
    assert v["E_total_after"] == pytest.approx(exact, abs=1e-15)
    printed = {"new_w5": 0.35891648, "new_w6": 0.408666186, "new_w7": 0.511301270,
               "new_w8": 0.561370121, "new_w1": 0.149780716, "new_w3": 0.19956143,
               "new_w2": 0.24975114, "new_w4": 0.29950229}  # fmt: skip
    for sid, x in printed.items():
        assert v[sid] == pytest.approx(x, abs=5e-9), sid


def test_the_articles_variant_with_a_second_pass():
    """The article's variant with --second-pass: E_total_after is a separate forward pass with
    the new weights, and lower than E_total."""
    ex = Exercise(second_pass=True)
    opts = Opts(second_pass=True)
    v = solve(ex, ARTICLE_EXAMPLE).values
    assert v["E_total_after"] == pytest.approx(
        loss(opts, new_givens(opts, dict(ARTICLE_EXAMPLE), v)), abs=1e-14
    )
    assert v["E_total_after"] < v["E_total"]


@pytest.mark.parametrize(
    "options, message",
    [
        ({"loss": "ce"}, "--loss ce (cross-entropy) needs --output-act softmax"),
        ({"output": "softmax", "loss": "ce", "shape": (2, 2, 1)}, "needs at least two outputs"),
        ({"shape": (2, 5, 2)}, "--shape: expected N-M-K"),
        ({"shape": (0, 2, 2)}, "--shape: expected N-M-K"),
        ({"hidden": "tahn"}, "--hidden-act: expected one of sigmoid, tanh"),
        ({"output": "softmax"}, "--output-act softmax goes with --loss ce"),
        ({"loss": "bce", "output": "linear"}, "--loss bce (binary cross-entropy) needs"),
        ({"ask": ("forward", "nope")}, "--ask: 'nope' is neither a phase"),
        ({"ask": ("after",)}, "--ask: this exercise has no after steps"),
        ({"dead_units": True}, "--dead-units needs ReLU hidden units"),
        ({"update_biases": "yes"}, "--update-biases: expected true or false"),
    ],
)
def test_invalid_options_are_one_line_naming_the_option(options, message):
    """Invalid combinations and values raise ExerciseError naming the option."""
    with pytest.raises(ExerciseError) as e:
        Exercise(**options)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_ask_selects_phases_and_steps_in_order():
    """--ask takes phases, `update` and step ids; the asked steps keep the article's order, and
    the steps they read but that are not asked are shown as given values."""
    ex = Exercise(ask=("dE_dw5", "error", "update"))
    assert ex.asked_ids[:4] == ("E1", "E2", "E_total", "dE_dw5")
    assert ex.asked_ids[4:] == ("new_w5", "new_w6", "new_w7", "new_w8", "new_w1", "new_w2",
                                "new_w3", "new_w4")  # fmt: skip
    assert ex.phases == ("error", "output", "hidden")
    shown = set(ex.shown_steps)
    assert {"out_o1", "out_o2", "dE_dout_o1", "dout_o1_dsum_o1", "out_h1", "dE_dw6"} <= shown
    assert not shown & set(ex.asked_ids)
    assert Exercise(ask=("dE_dw5",), unasked="computed").shown_steps == ()
    assert Exercise(ask=tuple(Exercise().step_ids)).ask == ()  # everything is no subset


def test_every_preset_builds_and_is_listed():
    """Each named preset is a valid exercise; `largest` is 4-4-4 with every step asked."""
    for name in PRESETS:
        build(preset(name), name=name)
    largest = build(preset("largest"))
    assert largest.shape == (4, 4, 4) and largest.asked_ids == largest.step_ids
    with pytest.raises(ExerciseError, match="unknown preset 'nope'"):
        preset("nope")


def test_course_file_reads_options_and_sheet_settings():
    """A course TOML file: a preset, options by either spelling, the sheet's settings; unknown
    keys are refused, naming the file."""
    text = 'preset = "tanh-ce"\nshape = "2-4-3"\nupdate-biases = false\ntitle = "Week 5"\n'
    options, sheet = read_course_file(text, "course.toml")
    ex = build(options)
    assert (ex.shape, ex.hidden, ex.output, ex.update_biases) == (
        (2, 4, 3),
        "tanh",
        "softmax",
        False,
    )
    assert sheet == {"title": "Week 5"}
    options, _ = read_course_file('[exercise]\nhidden_act = "relu"\nask = ["forward"]\n', "c")
    assert build(options).hidden == "relu" and build(options).phases == ("forward",)
    with pytest.raises(ExerciseError, match="course.toml: unknown setting 'colour'"):
        read_course_file('colour = "red"\n', "course.toml")
    with pytest.raises(ExerciseError, match="course.toml: not valid TOML"):
        read_course_file("shape = \n", "course.toml")


def test_key_records_the_exercise_and_reads_it_back():
    """key.json carries the exercise object (contract.md) and a key read back has it."""
    from bpquiz.exercise.key import Sheet, key_dict, parse_key

    ex = Exercise(shape=(2, 3, 2), hidden="tanh", biases="per-unit", update_biases=True,
                  ask=("forward", "output"))  # fmt: skip
    g = givens_for(ex, random.Random(1))
    from bpquiz.exercise.codes import bound_codes

    (code,) = bound_codes("5ecret", ex.as_dict(), [solve(ex, g).given])
    data = key_dict([Sheet(solve(ex, g, code))], {}, "5ecret")
    record = data["exercise"]
    assert record["shape"] == [2, 3, 2] and record["hidden"] == "tanh"
    assert record["ask"] == list(ex.asked_ids) and record["weights"]["w4"] == ["i2", "h1"]
    assert record["biases_of"] == {f"b_{u}": [u] for u in ("h1", "h2", "h3", "o1", "o2")}
    key = parse_key(data)
    assert key.exercise == ex and math.isclose(key.sheets[0].variant.values["out_o1"],
                                                solve(ex, g).values["out_o1"])  # fmt: skip
