"""The key (contract.md): one VARIANT per sheet, read back with its values checked."""

from __future__ import annotations

import csv
import io
import json

import pytest

from bpquiz.keyfile import (
    KeyFileError,
    Sheet,
    answers_template_csv,
    dumps,
    key_csv,
    key_dict,
    parse_key,
    variant_dict,
)
from bpquiz.model import GIVEN_NAMES, Given, GivenError
from bpquiz.network import STEP_IDS
from bpquiz.variants import draw_variant

from oracle import forward_backward


def sheets(n=3):
    return [Sheet(draw_variant(9, k, version=f"CODE{k}"), f"s{k}", f"Student {k}") for k in range(n)]


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


def test_key_round_trips_through_json():
    """key.json written and parsed back gives the same sheets."""
    data = json.loads(dumps(key_dict(sheets(), {"seed": 9, "decimals": 5}, "s3cret")))
    key = parse_key(data)
    assert [s.version for s in key.sheets] == ["CODE0", "CODE1", "CODE2"]
    assert key.sheets[1].name == "Student 1" and key.settings["seed"] == 9
    assert key.by_version()["CODE2"].variant.values == sheets()[2].variant.values


def test_tampered_key_is_refused_naming_variant_and_step():
    """A key whose stored value disagrees with its givens is refused, naming where."""
    data = key_dict(sheets(1), {}, "")
    data["variants"][0]["steps"][5]["value"] += 0.01
    with pytest.raises(KeyFileError, match="variant CODE0: step out_o1"):
        parse_key(data)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"variants": []}, "not a bpquiz key"),
        ({"schema": "bpquiz.key/1", "variants": [{"given": {}}]}, 'variant 1: expected an object with a "version"'),
        ({"schema": "bpquiz.key/1", "variants": [{"version": "X", "given": {"i1": 1}}]}, "variant X: given: missing"),
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
    assert template[1]["version"] == "CODE1" and template[1]["out_h1"] == ""


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
    """Given.from_mapping says which name is missing, unknown or not a number."""
    with pytest.raises(GivenError) as e:
        Given.from_mapping(data)
    assert message in str(e.value)
