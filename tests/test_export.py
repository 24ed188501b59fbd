"""`bpquiz export moodle|qti`: parsed back with the reference's grammar and the IMS schemas."""

from __future__ import annotations

import base64
import html
import io
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from bpquiz.exercise.key import dumps, key_dict
from bpquiz.exercise.model import Exercise

from lms_files import NUMBER, parse_cloze, qti_schemas, validate
from oracle import article

SUBSET = Exercise(ask=("forward", "error"))
QTI_NS = {"q": "http://www.imsglobal.org/xsd/imsqti_v2p1"}


def bpquiz(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bpquiz", *map(str, args)],
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip


def make_key(folder: Path, n: int = 6, seed: int = 7, exercise: Exercise | None = None,
             **settings) -> tuple[Path, dict]:  # fmt: skip
    """A key.json of n variants (no documents rendered), and its data."""
    from bpquiz.generate import Settings, plan

    exercise = exercise or Exercise()
    s = Settings(n=n, seed=seed, exercise=exercise, **settings)
    sheets, secret = plan(s)
    data = key_dict(sheets, s.as_dict(), secret, exercise)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "key.json").write_text(dumps(data), encoding="utf-8")
    return folder / "key.json", data


def asked(data: dict) -> list[str]:
    """The asked step ids in worksheet order, as the key records them."""
    return data["exercise"]["ask"] or [d["id"] for d in data["step_definitions"]]


def values(variant: dict) -> dict[str, float]:
    return {s["id"]: s["value"] for s in variant["steps"]}


def moodle_questions(xml_text: str) -> tuple[str, list[ET.Element]]:
    root = ET.fromstring(xml_text)
    assert root.tag == "quiz"
    category, *questions = root.findall("question")
    assert category.get("type") == "category"
    assert all(q.get("type") == "cloze" for q in questions)
    return category.findtext("category/text"), questions


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A class of 6 and of 4 (asked: forward and error), each exported to Moodle and QTI."""
    root = tmp_path_factory.mktemp("export")
    out = {}
    for name, exercise in (("full", Exercise()), ("subset", SUBSET)):
        key, data = make_key(root / name, n=6 if name == "full" else 4, exercise=exercise,
                             course="ML 101")  # fmt: skip
        moodle = bpquiz("export", "moodle", key, "--out", root / name / "class.xml")
        qti = bpquiz("export", "qti", key, "--out", root / name / "class.zip")
        assert moodle.returncode == 0 and qti.returncode == 0, moodle.stderr + qti.stderr
        out[name] = (data, (root / name / "class.xml").read_text(encoding="utf-8"),
                     (root / name / "class.zip").read_bytes(), moodle.stderr)  # fmt: skip
    return out


# --- Moodle ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["full", "subset"])
def test_moodle_parts_are_the_key_in_worksheet_order(exported, name):
    """Each variant is one cloze question whose n-th NUMERICAL part is the n-th asked step's key
    value within ±0.00001 (one unit at 5 decimals), labelled as on the worksheet."""
    data, xml_text, _, _ = exported[name]
    _, questions = moodle_questions(xml_text)
    assert [q.findtext("idnumber") for q in questions] == [v["version"] for v in data["variants"]]
    ids = asked(data)
    labels = {d["id"]: d["label"] for d in data["step_definitions"]}
    for q, variant in zip(questions, data["variants"]):
        text = q.findtext("questiontext/text")
        parts = parse_cloze(text)
        assert len(parts) == len(ids) == (41 if name == "full" else 11)
        key = values(variant)
        for k, (part, sid) in enumerate(zip(parts, ids), start=1):
            right = part.right
            assert right.tolerance == "0.00001"
            assert abs(float(right.answer) - key[sid]) <= 1e-9  # the window is centred on the key
            # The paragraph of the part: its number and the worksheet's label.
            paragraph = text[text.rindex("<p>", 0, part.start) : part.start]
            assert paragraph.startswith(f"<p><b>{k}.</b> ") and labels[sid] in paragraph


def test_moodle_number_syntax_and_weights(exported):
    """Weights are integers ≥ 1; every answer and tolerance is a number of §1.2 with a decimal
    point (never a comma); each part has one 100 % answer."""
    _, xml_text, _, _ = exported["full"]
    _, questions = moodle_questions(xml_text)
    for q in questions:
        for part in parse_cloze(q.findtext("questiontext/text")):
            assert re.fullmatch(r"[1-9][0-9]*", part.weight)
            assert sum(a.fraction == 1.0 for a in part.alternatives) == 1
            for a in part.alternatives:
                assert a.answer == "*" or NUMBER.fullmatch(a.answer), a.answer
                assert a.tolerance is None or NUMBER.fullmatch(a.tolerance), a.tolerance
                assert "," not in a.answer and "," not in (a.tolerance or "")


def test_moodle_boxes_do_not_tell_the_answer_length(exported):
    """Moodle sizes a box by its longest alternative: that is the same text in every part, and
    longer than every answer."""
    _, xml_text, _, _ = exported["full"]
    _, questions = moodle_questions(xml_text)
    parts = [p for q in questions for p in parse_cloze(q.findtext("questiontext/text"))]
    longest = {max((a.answer for a in p.alternatives), key=len) for p in parts}
    assert len(longest) == 1
    (pad,) = longest
    assert all(len(p.right.answer) < len(pad) for p in parts)


def test_moodle_question_text_carries_version_picture_and_givens(exported):
    """Name and first line carry the version code; the picture is embedded as a base64 SVG file
    referenced by @@PLUGINFILE@@, one <svg> with the weights drawn; every given value is in the
    text."""
    data, xml_text, _, _ = exported["full"]
    category, questions = moodle_questions(xml_text)
    assert category == "$course$/top/bpquiz/ML 101 Backpropagation exercise, seed 7"
    for q, variant in zip(questions, data["variants"]):
        code = variant["version"]
        assert q.findtext("name/text") == f"bpquiz {code}"
        text = q.findtext("questiontext/text")
        assert text.startswith(f"<p>Version {code}</p>")
        (file,) = q.findall("questiontext/file")
        assert (file.get("path"), file.get("encoding")) == ("/", "base64")
        assert f'src="@@PLUGINFILE@@/{file.get("name")}"' in text
        svg = ET.fromstring(base64.b64decode(file.text))
        assert svg.tag == "{http://www.w3.org/2000/svg}svg"
        # One <svg>: the numbers drawn in the drawing's coordinates (nested ones render apart).
        assert svg.findall(".//{http://www.w3.org/2000/svg}svg") == []
        drawn = "".join(svg.itertext())
        values = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text") if t.text]
        for name, x in variant["given"].items():
            shown = "η" if name == "learning_rate" else name
            assert f"{shown} = {x:g}" in html.unescape(text)
            if name.startswith("w"):  # each weight on its edge: its name, and its value
                assert f"{name} =" in drawn and f"{x:g}" in values


def test_moodle_escaping_of_titles_and_feedback(tmp_path):
    """A title with ]]>, braces, & and a / survives: CDATA split, no extra part, the category's /
    doubled; part feedback decodes (entities, \\} \\#) to the text written."""
    from bpquiz.export.moodle import feedback_text

    title = "Exam ]]> {1:NUMERICAL:=1} & <b>"
    key, data = make_key(tmp_path, n=2, title=title, course="A/B")
    assert bpquiz("export", "moodle", key, "--out", tmp_path / "m.xml").returncode == 0
    category, questions = moodle_questions((tmp_path / "m.xml").read_text(encoding="utf-8"))
    assert category.startswith("$course$/top/bpquiz/A//B Exam ]]>")
    text = questions[0].findtext("questiontext/text")
    assert len(parse_cloze(text)) == 41
    assert title in html.unescape(text.replace("&#123;", "{").replace("&#125;", "}"))
    for part in parse_cloze(text):
        assert "error carried forward" in part.alternatives[-1].feedback
    nasty = "a}b#c~d\\}e&<f>{1:NM:=2}"
    (part,) = parse_cloze("{1:NUMERICAL:=1:0#" + feedback_text(nasty) + "~%0%*#x}")
    assert [a.answer for a in part.alternatives] == ["1", "*"]
    assert html.unescape(part.alternatives[0].feedback) == nasty  # the browser shows the text


def test_moodle_points_become_whole_weights(tmp_path):
    """--points hidden=2 E_total=0.5 scale to whole weights: 4 (hidden), 1 (E_total), 2 (others)."""
    key, data = make_key(tmp_path, n=1)
    result = bpquiz("export", "moodle", key, "--out", tmp_path / "m.xml", "--points", "hidden=2",
                    "--points", "E_total=0.5", "--decimals", "4")  # fmt: skip
    assert result.returncode == 0, result.stderr
    phase = {d["id"]: d["phase"] for d in data["step_definitions"]}
    _, (q,) = moodle_questions((tmp_path / "m.xml").read_text(encoding="utf-8"))
    parts = parse_cloze(q.findtext("questiontext/text"))
    expected = [1 if sid == "E_total" else 4 if phase[sid] == "hidden" else 2
                for sid in asked(data)]  # fmt: skip
    assert [int(p.weight) for p in parts] == expected
    assert {p.right.tolerance for p in parts} == {"0.0001"}  # --decimals 4
    # 22 forward, error and output steps × 2 + E_total × 1 + 18 hidden steps × 4
    assert "117 marks" in result.stderr.replace("\n", " ")


@pytest.mark.parametrize(
    "args, message",
    [(["--points", "hidden=0"], "cannot be a Moodle weight"),
     (["--points", "bogus=1"], "neither a step id nor a phase"),
     (["--lang", "xx"], "--lang: expected one of en"),
     (["--tolerance", "0"], "--tolerance: expected a number > 0")],
)  # fmt: skip
def test_export_bad_options_are_one_line(tmp_path, args, message):
    """A bad option is one line `error: …` naming it, exit 2, and no file written."""
    key, _ = make_key(tmp_path, n=1)
    result = bpquiz("export", "moodle", key, "--out", tmp_path / "m.xml", *args)
    assert result.returncode == 2 and result.stderr.startswith("error:"), result.stderr
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "m.xml").exists()


def test_export_refuses_a_missing_key_and_an_existing_file(tmp_path):
    """A missing key and an existing output file (without --force) are one-line errors."""
    key, _ = make_key(tmp_path, n=1)
    missing = bpquiz("export", "qti", tmp_path / "nope.json", "--out", tmp_path / "q.zip")
    assert missing.returncode == 2 and "nope.json: no such key file" in missing.stderr
    (tmp_path / "q.zip").write_text("keep")
    kept = bpquiz("export", "qti", key, "--out", tmp_path / "q.zip")
    assert kept.returncode == 2 and "--force" in kept.stderr
    assert (tmp_path / "q.zip").read_text() == "keep"
    assert bpquiz("export", "qti", key, "--out", tmp_path / "q.zip", "--force").returncode == 0


# --- QTI ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schemas():
    return qti_schemas()


def test_qti_schemas_catch_an_invalid_item(schemas):
    """The offline validation is real: the reference's invalid example (a response identifier
    starting with a digit) fails it."""
    items, _, _ = schemas
    bad = Path(__file__).parent / "data/qti21-xsd/examples/item-bad-digit-responseid.xml"
    assert "5dE_dw" in validate(items, bad.read_bytes())


@pytest.mark.parametrize("name", ["full", "subset"])
def test_qti_package_validates_against_the_ims_schemas(exported, schemas, name):
    """Every item, the test and imsmanifest.xml validate; the manifest lists exactly the files
    of the zip."""
    items, manifest, _ = schemas
    data, _, package, _ = exported[name]
    z = zipfile.ZipFile(io.BytesIO(package))
    names = set(z.namelist())
    for member in sorted(names):
        if member.endswith(".xml"):
            schema = manifest if member == "imsmanifest.xml" else items
            assert validate(schema, z.read(member)) == "", member
    listed = {f.get("href") for f in ET.fromstring(z.read("imsmanifest.xml")).iter()
              if f.tag.endswith("}file")}  # fmt: skip
    assert listed == names - {"imsmanifest.xml"}
    codes = [v["version"] for v in data["variants"]]
    assert {f"items/V_{c}.xml" for c in codes} | {f"items/V_{c}.svg" for c in codes} <= names


@pytest.mark.parametrize("name", ["full", "subset"])
def test_qti_items_score_each_step_with_an_absolute_tolerance(exported, name):
    """Item V_CODE: a float box per asked step in order, correct value = key, an `equal` with
    absolute tolerance 0.00001 adding its point; the same expected length everywhere."""
    data, _, package, _ = exported[name]
    z = zipfile.ZipFile(io.BytesIO(package))
    ids = asked(data)
    for variant in data["variants"]:
        item = ET.fromstring(z.read(f"items/V_{variant['version']}.xml"))
        assert item.get("identifier") == f"V_{variant['version']}"
        boxes = item.findall(".//q:textEntryInteraction", QTI_NS)
        assert [b.get("responseIdentifier") for b in boxes] == ids
        assert {b.get("stringIdentifier") for b in boxes} == {f"{i}_RAW" for i in ids}
        assert {b.get("expectedLength") for b in boxes} == {"12"}
        declared = {d.get("identifier"): d for d in item.findall("q:responseDeclaration", QTI_NS)}
        key = values(variant)
        for sid in ids:
            assert declared[sid].get("baseType") == "float"
            assert declared[f"{sid}_RAW"].get("baseType") == "string"
            correct = float(declared[sid].findtext("q:correctResponse/q:value", namespaces=QTI_NS))
            assert abs(correct - key[sid]) <= 1e-9
        checks = item.findall(".//q:equal", QTI_NS)
        assert [c.find("q:variable", QTI_NS).get("identifier") for c in checks] == ids
        assert {(c.get("toleranceMode"), c.get("tolerance")) for c in checks} == {
            ("absolute", "0.00001")
        }
        added = item.findall(".//q:setOutcomeValue/q:sum/q:baseValue", QTI_NS)
        assert [float(a.text) for a in added] == [1.0] * len(ids)
        assert item.find(".//q:itemBody/q:p", QTI_NS).text == f"Version {variant['version']}"


def test_qti_test_selects_one_item_per_candidate(exported):
    """The test's one section selects 1 of the items, and refers to every variant's item."""
    data, _, package, _ = exported["full"]
    z = zipfile.ZipFile(io.BytesIO(package))
    test = ET.fromstring(z.read("test.xml"))
    (section,) = test.findall(".//q:assessmentSection", QTI_NS)
    assert section.find("q:selection", QTI_NS).get("select") == "1"
    refs = section.findall("q:assessmentItemRef", QTI_NS)
    codes = [v["version"] for v in data["variants"]]
    assert [r.get("href") for r in refs] == [f"items/V_{c}.xml" for c in codes]


def test_export_is_reproducible(tmp_path):
    """The same key exports to the same bytes (Moodle and QTI)."""
    key, _ = make_key(tmp_path, n=2)
    for kind, suffix in (("moodle", "xml"), ("qti", "zip")):
        for run in ("a", "b"):
            result = bpquiz("export", kind, key, "--out", tmp_path / f"{run}.{suffix}")
            assert result.returncode == 0
        assert (tmp_path / f"a.{suffix}").read_bytes() == (tmp_path / f"b.{suffix}").read_bytes()


def test_export_of_the_article_matches_its_numbers(tmp_path):
    """The article's variant: its given values in the text, and every answer, rounded to 5
    decimals, is the article's number (or, where the article truncated, the exact rounding the
    article's data file lists)."""
    key, data = make_key(tmp_path, n=1, example=True)
    assert bpquiz("export", "moodle", key, "--out", tmp_path / "m.xml").returncode == 0
    _, (q,) = moodle_questions((tmp_path / "m.xml").read_text(encoding="utf-8"))
    text = q.findtext("questiontext/text")
    assert "i1 = 0.1, i2 = 0.5, w1 = 0.1" in text and "η = 0.6" in text
    answers = dict(zip(asked(data), (float(p.right.answer) for p in parse_cloze(text))))
    reference = article()
    expected = {**reference["printed"], **reference["exact_5dp"]}
    assert len(expected) >= 30
    for sid, x in expected.items():
        assert round(answers[sid], 5) == pytest.approx(x, abs=1e-12), sid
