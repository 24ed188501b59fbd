"""10,000 drawn variants of every preset obey the README's rules, checked independently."""

from __future__ import annotations

import pytest
from netoracle import Opts, cycle

from bpquiz.exercise.options import PRESETS, build, preset
from bpquiz.exercise.variants import LEARNING_RATES, draw_variant


def opts_of(ex) -> Opts:
    return Opts(ex.shape, ex.hidden, ex.output, ex.loss, ex.biases, ex.update_biases,
                ex.second_pass)  # fmt: skip


def violations(ex, given: dict, asked: tuple[str, ...]) -> list[str]:
    """The README's rules, from the oracle's values of these givens."""
    o = opts_of(ex)
    v = cycle(o, given)
    bad = []
    n, m, k = ex.shape
    signed = ex.hidden in ("tanh", "linear") or max(n, m) > 2
    for name, x in given.items():
        if name == "learning_rate":
            bad += [] if x in LEARNING_RATES else ["learning rate"]
            continue
        if round(x * 100) != x * 100 and abs(round(x * 100) - x * 100) > 1e-9:
            bad.append(f"{name} has more than two decimals")
        if name.startswith("target"):
            if ex.loss == "ce":
                ok = x in (0.0, 1.0)
            elif ex.output == "linear":
                ok = 0.01 <= abs(x) <= 0.99
            else:
                ok = 0.01 <= x <= 0.99
        elif name.startswith(("w", "b")) and signed:
            ok = 0.05 <= abs(x) <= 0.95
        else:
            ok = 0.05 <= x <= 0.95
        if not ok:
            bad.append(f"{name} = {x} out of its range")
    if ex.loss == "ce" and sum(given[f"target{q}"] for q in range(1, k + 1)) != 1.0:
        bad.append("targets are not one-hot")
    for sid, x in v.items():
        if not sid.startswith("out_") or sid not in asked:
            continue
        unit = sid[4:6]
        act = ex.hidden if unit[0] == "h" else ex.output
        if act in ("sigmoid", "softmax") and not 0.05 < x < 0.95:
            bad.append(f"{sid} saturated")
        if act == "tanh" and abs(x) > 0.95:
            bad.append(f"{sid} saturated")
    if ex.hidden in ("relu", "leaky_relu"):
        for j in range(1, m + 1):
            if v[f"sum_h{j}"] < 0.05:
                bad.append(f"h{j} dead or on its kink")
    for sid in asked:
        if abs(v[sid]) < 1e-4:
            bad.append(f"{sid} under two significant digits")
    if ex.loss != "ce":
        for q in range(1, k + 1):
            if abs(given[f"target{q}"] - v[f"out_o{q}"]) < 0.05:
                bad.append(f"target{q} near its output")
    weights = [given[w] for w in o.weights()]
    if len(weights) <= 8:
        bad += [] if len(set(weights)) == len(weights) else ["two weights equal"]
    else:
        groups = [[o.w_in(i, j) for i in range(n)] for j in range(m)]
        groups += [[o.w_out(j, q) for j in range(m)] for q in range(k)]
        for group in groups:
            into = [given[w] for w in group]
            bad += [] if len(set(into)) == len(into) else [f"two of {group} equal"]
    for sid, x in v.items():
        if sid.startswith("new_") and sid in asked and round(x, 5) == round(given[sid[4:]], 5):
            bad.append(f"{sid} does not change")
    if ex.second_pass and not v["E_total_after"] < v["E_total"]:
        bad.append("the update did not lower the error")
    return bad


@pytest.mark.parametrize("name", list(PRESETS))
def test_ten_thousand_variants_of_each_preset_obey_every_rule(name):
    """Every preset: 10,000 drawn variants pass every rule of the README, recomputed by the
    independent oracle from the drawn givens."""
    ex = build(preset(name), name=name)
    for k in range(10_000):
        variant = draw_variant(ex, 77, k)
        assert violations(ex, dict(variant.given), ex.asked_ids) == [], (name, k)


def test_dead_units_on_purpose():
    """--dead-units: every variant has a dead ReLU unit beside a live one (sums at least 0.05
    from the kink), and the dead unit's gradients are exactly 0."""
    ex = build({"shape": (2, 3, 1), "hidden": "relu", "output": "linear", "dead_units": True})
    for k in range(500):
        v = cycle(opts_of(ex), dict(draw_variant(ex, 5, k).given))
        sums = [v[f"sum_h{j}"] for j in (1, 2, 3)]
        assert any(s <= -0.05 for s in sums) and any(s >= 0.05 for s in sums), k
        assert all(abs(s) >= 0.05 for s in sums)
        for j, s in enumerate(sums, start=1):
            if s < 0:
                assert v[f"out_h{j}"] == 0 and v[f"dout_h{j}_dsum_h{j}"] == 0
