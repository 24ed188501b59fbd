"""An IMS QTI 2.1 content package: one item per variant and a test that gives each candidate one
(pure: bytes out). Follows lms-formats.md §3; the tests validate every file against the IMS XSDs.

- `items/V_CODE.xml`: an `assessmentItem` (identifier `V_` + the version code: the response and
  resource identifiers are XML names, which may not start with a digit, and the item's is kept
  the same for one rule everywhere). Its body has the version code, the picture
  (`items/V_CODE.svg`), the given values, the instructions and one float `textEntryInteraction`
  per asked step, whose response identifier is the step id (`out_h1`) and whose string
  identifier `<step id>_RAW` keeps the text as typed, which `bpquiz grade` reads back. Response
  processing is custom: the `match_correct` template has no tolerance, so each step is an
  `equal` with `toleranceMode="absolute"` that adds the step's points to SCORE. Every box has
  the same expected length, which tells nothing about its answer.
- `test.xml`: an `assessmentTest` whose one section selects 1 of the items: each candidate gets
  one variant at random.
- `imsmanifest.xml`: the test and each item (with its picture) as resources.

Written as text with explicit escaping, like the Moodle file; the stdlib's zipfile packs it with
fixed timestamps, so the same key gives the same bytes.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from io import BytesIO
from xml.sax.saxutils import escape, quoteattr

from ..errors import ExportError
from .content import PICTURE_ALT, Question, plain_number

QTI = "http://www.imsglobal.org/xsd/imsqti_v2p1"
CP = "http://www.imsglobal.org/xsd/imscp_v1p1"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
RAW = "_RAW"  # suffix of the string response that keeps a box's text as typed
EXPECTED_LENGTH = 12
TEST_FILE = "test.xml"
_NCNAME = re.compile(r"[A-Za-z_][A-Za-z0-9._-]*")
_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


def item_identifier(version: str) -> str:
    return f"V_{version}"


def version_of_item(identifier: str) -> str | None:
    """The version code of a bpquiz item identifier (`V_K7F3Q9` -> `K7F3Q9`), else None."""
    return identifier[2:] if identifier.startswith("V_") and len(identifier) > 2 else None


def _check_ids(q: Question) -> None:
    ids = [p.step_id for p in q.parts]
    for name in (item_identifier(q.version), *ids):
        if not _NCNAME.fullmatch(name):
            raise ExportError(f"{name!r} cannot be a QTI identifier (an XML name is needed)")
    if {i + RAW for i in ids} & set(ids):
        raise ExportError(f"a step id ends in {RAW}: its raw-text response would clash")


def _attr(value: str) -> str:
    return quoteattr(value)


def item_xml(q: Question) -> str:
    """One variant as an assessmentItem."""
    _check_ids(q)
    ident = item_identifier(q.version)
    out = [
        _HEAD,
        f'<assessmentItem xmlns="{QTI}" xmlns:xsi="{XSI}" xsi:schemaLocation="{QTI} '
        f'http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd" identifier="{ident}" '
        f'title={_attr(q.name)} adaptive="false" timeDependent="false">\n',
    ]
    for p in q.parts:
        out.append(
            f'  <responseDeclaration identifier="{p.step_id}" cardinality="single" '
            f'baseType="float"><correctResponse><value>{p.answer}</value></correctResponse>'
            "</responseDeclaration>\n"
            f'  <responseDeclaration identifier="{p.step_id}{RAW}" cardinality="single" '
            'baseType="string"/>\n'
        )
    for name, value in (("SCORE", "0"), ("MAXSCORE", plain_number(q.max_points))):
        out.append(
            f'  <outcomeDeclaration identifier="{name}" cardinality="single" baseType="float">'
            f"<defaultValue><value>{value}</value></defaultValue></outcomeDeclaration>\n"
        )
    given = ", ".join(f"{escape(name)} = {escape(value)}" for name, value in q.given)
    out += [
        "  <itemBody>\n",
        f"    <p>Version {escape(q.version)}</p>\n",
        f"    <p><b>{escape(q.heading)}</b></p>\n",
        f'    <p><img src="{ident}.svg" alt={_attr(PICTURE_ALT)} width="418" height="226"/></p>\n',
        f"    <p><b>Given values:</b> {given}</p>\n",
        "    <ul>" + "".join(f"<li>{escape(line)}</li>" for line in q.instructions) + "</ul>\n",
    ]
    for title, parts in q.sections:
        out.append(f"    <h4>{escape(title)}</h4>\n")
        for p in parts:
            out.append(
                f"    <p><b>{p.number}.</b> {escape(p.label)}: {escape(p.symbol)} = "
                f'<textEntryInteraction responseIdentifier="{p.step_id}" '
                f'stringIdentifier="{p.step_id}{RAW}" expectedLength="{EXPECTED_LENGTH}"/></p>\n'
            )
    out.append("  </itemBody>\n  <responseProcessing>\n")
    for p in q.parts:
        out.append(
            "    <responseCondition><responseIf>"
            f'<equal toleranceMode="absolute" tolerance="{p.tolerance}" '
            'includeLowerBound="true" includeUpperBound="true">'
            f'<variable identifier="{p.step_id}"/><correct identifier="{p.step_id}"/></equal>'
            '<setOutcomeValue identifier="SCORE"><sum><variable identifier="SCORE"/>'
            f'<baseValue baseType="float">{plain_number(p.points)}</baseValue></sum>'
            "</setOutcomeValue></responseIf></responseCondition>\n"
        )
    out.append("  </responseProcessing>\n</assessmentItem>\n")
    return "".join(out)


def test_xml(versions: list[str], title: str) -> str:
    """The assessmentTest: one section that selects one of the items per candidate."""
    refs = "".join(
        f'      <assessmentItemRef identifier="{item_identifier(v)}" '
        f'href="items/{item_identifier(v)}.xml"/>\n'
        for v in versions
    )
    return (
        f'{_HEAD}<assessmentTest xmlns="{QTI}" xmlns:xsi="{XSI}" xsi:schemaLocation="{QTI} '
        f'http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd" identifier="bpquiz_test" '
        f"title={_attr(title)}>\n"
        '  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float">'
        "<defaultValue><value>0</value></defaultValue></outcomeDeclaration>\n"
        '  <testPart identifier="part_1" navigationMode="linear" submissionMode="individual">\n'
        f'    <assessmentSection identifier="variants" title={_attr(title)} visible="true">\n'
        '      <selection select="1"/>\n'
        f"{refs}"
        "    </assessmentSection>\n  </testPart>\n"
        '  <outcomeProcessing><setOutcomeValue identifier="SCORE"><sum>'
        '<testVariables variableIdentifier="SCORE"/></sum></setOutcomeValue>'
        "</outcomeProcessing>\n</assessmentTest>\n"
    )


def manifest_xml(versions: list[str]) -> str:
    """imsmanifest.xml: the test (depending on every item), then each item and its picture."""
    deps = "".join(
        f'      <dependency identifierref="RES_{item_identifier(v)}"/>\n' for v in versions
    )
    items = "".join(
        f'    <resource identifier="RES_{item_identifier(v)}" type="imsqti_item_xmlv2p1" '
        f'href="items/{item_identifier(v)}.xml">\n'
        f'      <file href="items/{item_identifier(v)}.xml"/>\n'
        f'      <file href="items/{item_identifier(v)}.svg"/>\n'
        "    </resource>\n"
        for v in versions
    )
    return (
        f'{_HEAD}<manifest xmlns="{CP}" xmlns:xsi="{XSI}" xsi:schemaLocation="{CP} '
        f'http://www.imsglobal.org/xsd/imscp_v1p1.xsd" identifier="MANIFEST_bpquiz">\n'
        "  <metadata><schema>QTIv2.1 Package</schema><schemaversion>1.0.0</schemaversion>"
        "</metadata>\n  <organizations/>\n  <resources>\n"
        f'    <resource identifier="RES_TEST" type="imsqti_test_xmlv2p1" href="{TEST_FILE}">\n'
        f'      <file href="{TEST_FILE}"/>\n{deps}    </resource>\n'
        f"{items}  </resources>\n</manifest>\n"
    )


def qti_package(questions: Iterable[Question], title: str) -> bytes:
    """The zip: imsmanifest.xml, test.xml, and per variant its item and picture."""
    buffer = BytesIO()
    versions: list[str] = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:

        def put(name: str, text: str) -> None:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, text.encode())

        for q in questions:
            versions.append(q.version)
            put(f"items/{item_identifier(q.version)}.xml", item_xml(q))
            put(f"items/{item_identifier(q.version)}.svg", q.picture)
        put(TEST_FILE, test_xml(versions, title))
        put("imsmanifest.xml", manifest_xml(versions))
    return buffer.getvalue()
