"""The key (contract.md): one VARIANT per sheet, read back with its values checked."""

from __future__ import annotations

import copy
import csv
import gc
import io
import json
from dataclasses import replace

import pytest

from bpquiz.errors import GivenError, KeyFileError
from bpquiz.exercise.codes import bound_codes, legacy_codes
from bpquiz.exercise.key import (
    Sheet,
    answers_template_csv,
    dumps,
    key_csv,
    key_dict,
    loads,
    parse_key,
    variant_dict,
)
from bpquiz.exercise.model import PHASES, Exercise
from bpquiz.exercise.variants import draw_variant as draw

from oracle import forward_backward

EX = Exercise()
GIVEN_NAMES, STEP_IDS, STEPS = EX.given_names, EX.step_ids, EX.steps


def draw_variant(seed, index, **options):
    return draw(EX, seed, index, **options)


SECRET = "0123456789abcdef0123456789abcdef"  # a run's secret, as generate draws one


def sheets(n=3):
    """n sheets of seed 9 under their codes (bound to their given values by SECRET)."""
    drawn = [draw_variant(9, k) for k in range(n)]
    codes = bound_codes(SECRET, EX.as_dict(), [v.given for v in drawn])
    return [Sheet(replace(v, version=c), f"s{k}", f"Student {k}") for k, (v, c) in
            enumerate(zip(drawn, codes))]  # fmt: skip


def code(k):
    """The code of sheet k of `sheets` (k, and sheet k's givens, decide it: not n)."""
    return sheets(k + 1)[k].version


def test_variant_dict_holds_every_step_at_full_precision():
    """A VARIANT lists the 41 steps in order with float64 values and their inputs."""
    v = draw_variant(9, 0, version="ABC234")
    d = variant_dict(v)
    assert d["version"] == "ABC234" and list(d["given"]) == list(GIVEN_NAMES)
    assert [s["id"] for s in d["steps"]] == list(STEP_IDS)
    ref = forward_backward(d["given"])
    for s in d["steps"]:
        assert s["value"] == pytest.approx(ref[s["id"]], abs=1e-12)
        assert s["rounded"] == round(s["value"], 5)
    assert d["steps"][0]["inputs"] == ["i1", "w1", "i2", "w3", "b1"]


def test_key_variants_hold_only_id_and_value_per_step():
    """Each VARIANT in key.json is its sheet, version, givens and [{id, value}] in order."""
    made = sheets()
    data = json.loads(dumps(key_dict(made, {"decimals": 5}, SECRET)))
    for sheet, v in zip(made, data["variants"]):
        assert list(v) == ["student_id", "name", "version", "given", "steps"]
        assert v["given"] == dict(sheet.variant.given)
        assert all(list(step) == ["id", "value"] for step in v["steps"])
        assert [step["id"] for step in v["steps"]] == list(STEP_IDS)
        assert [step["value"] for step in v["steps"]] == [s.value for s in sheet.variant.steps]


def test_step_definitions_are_written_once_and_match_the_network():
    """The top-level step_definitions list the 41 steps in order, once, each reading only the given
    values and earlier steps, with a LaTeX formula."""
    data = key_dict(sheets(2), {}, SECRET)
    defs = data["step_definitions"]
    assert [d["id"] for d in defs] == list(STEP_IDS)
    known = set(GIVEN_NAMES)
    for d in defs:
        assert d["inputs"] and set(d["inputs"]) <= known, d["id"]
        assert d["phase"] in PHASES and d["label"] and d["symbol"] and d["formula"]
        known.add(d["id"])
    # The article's chain rule: ∂E_total/∂w5 = ∂E_total/∂out_o1 · ∂out_o1/∂sum_o1 · out_h1.
    by_id = {d["id"]: d for d in defs}
    assert set(by_id["dE_dw5"]["inputs"]) == {"dE_dout_o1", "dout_o1_dsum_o1", "out_h1"}
    text = dumps(data)
    assert text.count('"formula"') == len(STEP_IDS) and "\\frac" in text


def test_key_round_trips_through_json():
    """key.json written and parsed back gives the same sheets, values bit for bit, and file."""
    made = sheets(40)
    data = json.loads(dumps(key_dict(made, {"seed": 9, "decimals": 5}, SECRET)))
    key = parse_key(data)
    assert [s.version for s in key.sheets] == [s.version for s in made]
    assert key.sheets[1].name == "Student 1" and key.settings["seed"] == 9
    assert key.secret == SECRET
    for sheet, again in zip(made, key.sheets):
        assert again.variant.values == sheet.variant.values
        assert again.variant.given == sheet.variant.given
        assert [s.definition for s in again.variant.steps] == list(STEPS)
    assert key_dict(list(key.sheets), key.settings, key.secret) == data


def test_key_in_the_earlier_layout_still_reads():
    """A key with the full per-step fields in every variant (before step_definitions) reads."""
    old_codes = legacy_codes(SECRET, 2)  # before codes were bound to their sheets
    made = [Sheet(replace(s.variant, version=c)) for s, c in zip(sheets(2), old_codes)]
    data = {
        "schema": "bpquiz.key/1",
        "settings": {"decimals": 5},
        "secret": SECRET,
        "variants": [
            {"student_id": s.student_id, "name": s.name, **variant_dict(s.variant)} for s in made
        ],
    }
    key = parse_key(json.loads(dumps(data)))
    assert [s.variant.values for s in key.sheets] == [s.variant.values for s in made]
    data["variants"].reverse()  # an old key's codes are still checked, by their position
    with pytest.raises(KeyFileError, match="variant 1 .*does not match"):
        parse_key(data)


def _edited(change) -> str:
    data = key_dict(sheets(4), {}, SECRET)
    change(data)
    with pytest.raises(KeyFileError) as e:
        parse_key(json.loads(dumps(data)))
    return str(e.value)


def test_swapped_codes_or_an_edited_given_value_are_refused():
    """A key whose codes were swapped, whose given values were edited (the values with them,
    so that they agree), whose variants were reordered or whose secret was changed is refused
    in one line naming the first variant that does not match; an intact key reads."""

    def swap(data):
        a, b = data["variants"][1], data["variants"][2]
        a["version"], b["version"] = b["version"], a["version"]

    def edit(data):  # a consistent edit: a new given value, and the values it gives
        variant = data["variants"][3]
        variant["given"]["w1"] = round(variant["given"]["w1"] + 0.01, 2)
        variant["steps"] = [{"id": k, "value": x} for k, x in
                            forward_backward(variant["given"]).items()]  # fmt: skip

    assert "variant 2 " in _edited(swap) and "codes swapped" in _edited(swap)
    assert f"variant 4 (version {code(3)})" in _edited(edit)
    assert "variant 1 " in _edited(lambda d: d["variants"].reverse())
    assert "variant 1 " in _edited(lambda d: d.update(secret="f" * 32))
    assert 'no "secret"' in _edited(lambda d: d.pop("secret"))
    assert len(parse_key(key_dict(sheets(4), {}, SECRET)).sheets) == 4


def test_tampered_key_is_refused_naming_variant_and_step():
    """A key whose stored value disagrees with its givens is refused, naming where."""
    data = key_dict(sheets(1), {}, SECRET)
    data["variants"][0]["steps"][5]["value"] += 0.01
    with pytest.raises(KeyFileError, match=f"variant {code(0)}: step out_o1"):
        parse_key(data)


@pytest.mark.parametrize("variant, step", [(0, 0), (17, 26), (29, 40)])
def test_tampered_value_anywhere_in_a_class_set_is_refused(variant, step):
    """In a set of 30, one value changed by 1e-8 is found and named, with both numbers."""
    data = key_dict(sheets(30), {}, SECRET)
    stored = data["variants"][variant]["steps"][step]
    good = stored["value"]
    stored["value"] = good + 1e-8 * max(1.0, abs(good))
    with pytest.raises(KeyFileError) as e:
        parse_key(data)
    message = str(e.value)
    assert message.startswith(
        f"variant {code(variant)}: step {STEP_IDS[step]} is {stored['value']}"
    )
    assert message.endswith(f"computes to {good} from its given values")
    assert "\n" not in message


def test_tampered_given_is_refused():
    """A given value changed without its steps no longer computes to the stored values."""
    data = key_dict(sheets(5), {}, SECRET)
    data["variants"][3]["given"]["w5"] += 0.05
    with pytest.raises(KeyFileError, match=f"variant {code(3)}: step sum_o1 is"):
        parse_key(data)


def test_last_bit_differences_are_accepted():
    """Stored values within 1e-12 of the computation (another machine's exp) still read."""
    data = key_dict(sheets(3), {}, SECRET)
    for v in data["variants"]:
        for step in v["steps"]:
            step["value"] *= 1 + 1e-12
    assert len(parse_key(data).sheets) == 3


def test_first_problem_in_variant_order_is_named():
    """A tampered value is reported before a malformed variant that comes after it."""
    data = key_dict(sheets(4), {}, SECRET)
    data["variants"][1]["steps"][2]["value"] += 1
    data["variants"][3]["given"] = {"i1": 1}
    with pytest.raises(KeyFileError, match=f"variant {code(1)}: step sum_h2"):
        parse_key(copy.deepcopy(data))
    data["variants"][1]["steps"][2]["value"] -= 1
    with pytest.raises(KeyFileError, match=f"variant {code(3)}: given: missing"):
        parse_key(data)


def test_missing_values_are_computed_and_others_still_checked():
    """A variant that stores only some steps gets the rest computed; the stored ones are checked."""
    made = sheets(2)
    data = key_dict(made, {}, SECRET)
    data["variants"][0]["steps"] = data["variants"][0]["steps"][:10]
    key = parse_key(data)
    assert key.sheets[0].variant.values == made[0].variant.values
    data["variants"][0]["steps"][9]["value"] = 0.5
    with pytest.raises(KeyFileError, match=f"variant {code(0)}: step {STEP_IDS[9]} is 0.5"):
        parse_key(data)


@pytest.mark.parametrize("value", ["0.5", None, True, [1], float("nan"), float("inf")])
def test_a_stored_value_that_is_no_number_is_refused(value):
    """A step value that is text, null, a bool, a list or not finite is refused, naming the step."""
    data = key_dict(sheets(2), {}, SECRET)
    data["variants"][1]["steps"][4]["value"] = value
    if value is None:  # null: not stored; the step is computed, as for a missing one
        assert parse_key(data).sheets[1].variant.values == sheets(2)[1].variant.values
        return
    with pytest.raises(KeyFileError, match=f"variant {code(1)}: step sum_o1"):
        parse_key(data)


def test_givens_that_cannot_be_computed_are_named():
    """Givens whose forward pass overflows give a one-line error naming the variant."""
    data = key_dict(sheets(3), {}, SECRET)
    data["variants"][2]["given"]["w1"] = -1e6
    with pytest.raises(
        KeyFileError, match=f"variant {code(2)}: its given values cannot be computed"
    ):
        parse_key(data)


def test_reading_a_key_leaves_the_garbage_collector_as_it_was():
    """parse_key and loads pause the cyclic collector only while they run."""
    text = dumps(key_dict(sheets(2), {}, SECRET))
    assert gc.isenabled()
    parse_key(loads(text))
    assert gc.isenabled()
    gc.disable()
    try:
        parse_key(loads(text))
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"variants": []}, "not a bpquiz key"),
        (
            {"schema": "bpquiz.key/1", "variants": [{"given": {}}]},
            'variant 1: expected an object with a "version"',
        ),
        (
            {"schema": "bpquiz.key/1", "variants": [{"version": "X", "given": {"i1": 1}}]},
            "variant X: given: missing",
        ),
    ],
)
def test_bad_keys_are_named(data, message):
    """Bad key files give a message naming what is wrong."""
    with pytest.raises(KeyFileError, match=message):
        parse_key(data)


def test_csv_forms_have_a_column_per_step():
    """key.csv has a column per given and step; the answers template has empty answers."""
    rows = list(csv.reader(io.StringIO(key_csv(sheets(2)))))
    assert rows[0][:3] == ["student_id", "name", "version"] and rows[0][-41:] == list(STEP_IDS)
    assert float(rows[1][rows[0].index("out_h1")]) == sheets(2)[0].variant.values["out_h1"]
    template = list(csv.DictReader(io.StringIO(answers_template_csv(sheets(2)))))
    assert template[1]["version"] == code(1) and template[1]["out_h1"] == ""


@pytest.mark.parametrize(
    "data, message",
    [
        ([1, 2], "expected an object"),
        ({n: 0.1 for n in GIVEN_NAMES if n != "w3"}, "missing given value(s): w3"),
        ({**{n: 0.1 for n in GIVEN_NAMES}, "w9": 1}, "unknown name(s): w9"),
        ({**{n: 0.1 for n in GIVEN_NAMES}, "b1": "0.3"}, "b1: expected a finite number, got '0.3'"),
        ({**{n: 0.1 for n in GIVEN_NAMES}, "b1": True}, "b1: expected a finite number"),
        ({**{n: 0.1 for n in GIVEN_NAMES}, "b1": float("nan")}, "b1: expected a finite number"),
    ],
)
def test_given_errors_name_the_field(data, message):
    """read_given says which name is missing, unknown or not a number."""
    with pytest.raises(GivenError) as e:
        EX.read_given(data)
    assert message in str(e.value)
