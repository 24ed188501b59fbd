"""A slot's drawing as a piece of PDF page content in the skeleton's fonts, and reusing it.

Per student, what costs is WeasyPrint laying out the slots; writing them out as a PDF of their
own costs about as much again (font subsets, objects). This module saves both:

- `paint` draws one laid-out slot with WeasyPrint's own painter into a `Fragment`: content-stream
  bytes in the page's CSS pixel space that name fonts by WeasyPrint's resource names. The fonts
  are the skeleton's (`SkeletonFonts`): the skeleton embeds the glyphs of its neutral sheet's
  slots and, for each text run, every character of its kinds (`reservoir`: digits, capitals,
  small letters), so that numbers, codes and plain names need no font of their own. An SVG's
  text is painted so too (the network diagram's numbers), each group in which WeasyPrint draws
  a text anchored at its middle or end inlined (`_inline`). A slot whose drawing needs anything
  else (a glyph the skeleton lacks; an image, a pattern, a group drawn with some opacity) is
  not a fragment; it is laid out as a small PDF of its own (`overlays`).
- A slot's layout does not depend on which digits its text has: a font's digits have one width
  and no kerning (checked for each slot on the skeleton, with a probe: `other_code`). So a
  fragment painted for one student is a `Template` for every student whose slot has the same
  markup with other digits (the same `shape`): filling in their digits' glyph codes gives the
  bytes painting would give, in microseconds instead of a layout. In a monospaced font the same
  holds for digits and capitals together (a version code). A template is kept only if the
  characters it drew are those of the slot's text, in the same order (`Template.of`, `orderly`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from html import unescape
from typing import Any

from pydyf import _to_bytes  # how pydyf writes a content-stream item (pinned with WeasyPrint)
from weasyprint.draw import draw_stacking_context
from weasyprint.pdf.stream import Stream
from weasyprint.stacking import StackingContext

DIGITS = "0123456789"
CAPITALS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CODE = DIGITS + CAPITALS  # what a version code or an ID is written with
# A tag or character reference (group 1), or a digit (or a capital) of the text.
MARKUP_OR_DIGIT = re.compile(r"(<[^>]*>|&#?\w+;)|[0-9]")
MARKUP_OR_CODE = re.compile(r"(<[^>]*>|&#?\w+;)|[0-9A-Z]")
_TAGS = re.compile(r"<[^>]*>")
_ALPHA = re.compile(r"^(a|A)(\d+(?:\.\d+)?)$")  # WeasyPrint's names of fill/stroke alpha states
_TEXT_OPS = re.compile(rb"/(\S+) [\d.]+ Tf|\[([^\]]*)\] TJ")
_HEX = re.compile(rb"<([0-9a-f]*)>")


def shape(html: str, capitals: bool = False) -> str:
    """A slot's markup with every digit of its text written 0 — with `capitals`, every digit
    and capital written X (a code in a monospaced font) — tags and character references kept."""
    if capitals:
        return MARKUP_OR_CODE.sub(lambda m: m.group(1) or "X", html)
    return MARKUP_OR_DIGIT.sub(lambda m: m.group(1) or "0", html)


def variable(html: str, capitals: bool = False) -> str:
    """The digits (and with `capitals` the capitals) of a slot's text in order (not those in
    tags or character references): what a template fills in."""
    pattern = MARKUP_OR_CODE if capitals else MARKUP_OR_DIGIT
    return "".join(m.group(0) for m in pattern.finditer(html) if not m.group(1))


def text(html: str) -> str:
    """A slot's text (markup removed, references resolved)."""
    return unescape(_TAGS.sub("", html))


_SMALL = "abcdefghijklmnopqrstuvwxyz"
# A number's characters (decimal comma and minus sign included), and what students write in
# an answer besides (a hyphen for minus, fractions, exponents, a question mark; "—" for a blank):
# the feedback shows answers as written.
_NUMBER = DIGITS + ".,\u2212-+/eE^×·?—"
_RESERVOIR = (  # (what a text run has, what is then added to the skeleton's fonts)
    (set(DIGITS), _NUMBER),
    (set(CAPITALS), CAPITALS + _NUMBER),  # codes, IDs: X7K2
    (set(_SMALL), _SMALL),
)


def reservoir(content: str) -> str:
    """A slot's markup with each text run followed by the characters of the kinds it has
    (numbers, capitals, small letters): painted into the skeleton's fonts, so that the
    students' numbers, codes, IDs and plain Latin names need no font of their own (the
    neutral sheet's name and ID are "Xx" and "Xx0")."""
    parts = re.split(r"(<[^>]*>)", content)
    for k in range(0, len(parts), 2):
        run = parts[k]
        parts[k] = run + "".join(added for has, added in _RESERVOIR if has & set(run))
    return "".join(parts)


def other_code(content: str, capitals: bool = False) -> str:
    """A slot's markup with other digits in its text — with `capitals`, other digits and
    capitals, a digit's place taken by a capital and the other way round — a probe for
    templates: the k-th character moves 3k + 1 (7k + 3) places on in its alphabet."""
    count = iter(range(1 << 30))
    chars, step, start = (CODE, 7, 3) if capitals else (DIGITS, 3, 1)

    def other(m: re.Match) -> str:
        if m.group(1):
            return m.group(1)
        return chars[(chars.index(m.group(0)) + step * next(count) + start) % len(chars)]

    return (MARKUP_OR_CODE if capitals else MARKUP_OR_DIGIT).sub(other, content)


@dataclass(frozen=True)
class FontGlyphs:
    """What the skeleton embeds of one font: each glyph's width (/W) and text (ToUnicode)."""

    widths: Mapping[int, int]
    to_unicode: Mapping[int, str]
    bitmap: bool

    def codes(self, chars: str) -> dict[str, bytes] | None:
        """Each of `chars`' glyph codes (4 hex digits), if all are embedded with one width (any
        font's digits; a monospaced font's capitals): one can stand for another."""
        codes = {t: gid for gid, t in self.to_unicode.items() if len(t) == 1 and t in chars}
        widths = {self.widths.get(g) for g in codes.values()}
        if self.bitmap or len(codes) != len(chars) or len(widths) > 1:
            return None
        return {t: f"{gid:04x}".encode() for t, gid in codes.items()}


def font_glyphs(fonts: Mapping[Any, Any]) -> dict[str, FontGlyphs]:
    """A rendered WeasyPrint document's fonts (after `write_pdf`), by resource name."""
    found: dict[str, FontGlyphs] = {}
    for font in fonts.values():
        known = found.get(font.hash)
        widths = {**(known.widths if known else {}), **font.widths}
        to_unicode = {**(known.to_unicode if known else {}), **font.to_unicode}
        found[font.hash] = FontGlyphs(widths, to_unicode, font.bitmap)
    return found


def fill_codes(glyphs: Mapping[str, FontGlyphs]) -> dict[str, dict[str, bytes]]:
    """Per font, the glyph codes of the characters a template may fill in: its digits if all
    ten have one width; its digits and capitals if all 36 have one (a monospaced font)."""
    found = {}
    for name, g in glyphs.items():
        codes = g.codes(CODE) or g.codes(DIGITS)
        if codes:
            found[name] = codes
    return found


class SkeletonFonts(dict):
    """A WeasyPrint fonts table whose fonts start out knowing the skeleton's glyphs and widths.

    Text painted with it is spaced by the widths the skeleton's /W arrays give (a width
    measured again at another size could round differently). `grew()` says whether the last
    painting needed something the skeleton lacks; `reset()` forgets it, so that one slot never
    changes how another is painted.
    """

    def __init__(self, glyphs: Mapping[str, FontGlyphs]):
        super().__init__()
        self.glyphs = glyphs

    def __setitem__(self, key: Any, font: Any) -> None:
        known = self.glyphs.get(font.hash)
        if known is not None:
            font.widths.update(known.widths)
            font.to_unicode.update(known.to_unicode)
        super().__setitem__(key, font)

    def grew(self) -> bool:
        for font in self.values():
            known = self.glyphs.get(font.hash)
            if known is None or font.missing or len(font.to_unicode) > len(known.to_unicode):
                return True
            if len(font.widths) > len(known.widths):
                return True
        return False

    def reset(self) -> None:
        for key, font in list(self.items()):
            known = self.glyphs.get(font.hash)
            if known is None:
                del self[key]
                continue
            font.missing.clear()
            for table, kept in ((font.widths, known.widths), (font.to_unicode, known.to_unicode)):
                for gid in [g for g in table if g not in kept]:
                    del table[gid]


@dataclass(frozen=True)
class Fragment:
    """One slot's drawing: content bytes (CSS px, y down) and the alpha states they set."""

    data: bytes
    states: tuple[tuple[str, str, float], ...]  # (resource name, "ca" or "CA", alpha)


_DO = re.compile(rb"^/(\S+) Do$")


def _bytes(stream: Stream, alphas: dict[str, float]) -> bytes | None:
    """A drawing's content bytes, each group it draws inlined (`_inline`); None if it needs
    resources other than fonts and alpha states. `alphas` gets its alpha states (name ->
    alpha), those of its groups too."""
    resources = stream._resources
    if resources.get("Pattern") or resources.get("Shading"):
        return None
    for name in resources.get("ExtGState") or {}:
        if not (m := _ALPHA.match(name)):
            return None
        alphas[name] = float(m.group(2))
    parts = []
    for item in stream.stream:
        data = item if isinstance(item, bytes) else _to_bytes(item)
        if m := _DO.match(data):
            data = _inline((resources.get("XObject") or {}).get(m.group(1).decode()), alphas)
            if data is None:
                return None
        parts.append(data)
    return b"\n".join(parts)


def _inline(group: Any, alphas: dict[str, float]) -> bytes | None:
    """A form XObject's drawing as content of the stream that draws it: clipped to its box, in
    a saved state. Only WeasyPrint's transparency groups without a matrix (how its SVG painter
    anchors a text at its middle or end, `text-anchor`): drawn where every alpha is 1 (`paint`
    checks), such a group paints exactly what its content paints in place."""
    extra = getattr(group, "extra", None)
    if not isinstance(group, Stream) or extra is None:
        return None  # an image, or anything WeasyPrint's painter did not draw itself
    if extra.get("Subtype") != "/Form" or "Group" not in extra or "Matrix" in extra:
        return None
    inner = _bytes(group, alphas)
    if inner is None:
        return None
    x1, y1, x2, y2 = (float(v) for v in extra["BBox"])
    clip = b" ".join(_to_bytes(v) for v in (x1, y1, x2 - x1, y2 - y1))
    return b"q\n" + clip + b" re W n\n" + inner + b"\nQ"


def paint(box: Any, page_box: Any, fonts: dict) -> Fragment | None:
    """Draw one laid-out slot box alone, as WeasyPrint draws it on its page; None if the
    drawing needs resources other than fonts and alpha states (images, patterns, shadings,
    soft masks), or draws a group where an alpha is not 1 (opacity)."""
    resources: dict[str, dict] = {
        "ExtGState": {}, "XObject": {}, "Pattern": {}, "Shading": {}, "ColorSpace": {},
    }  # fmt: skip
    stream = Stream(fonts, (0, 0, page_box.width, page_box.height), resources, {}, None, {}, None)
    draw_stacking_context(stream, StackingContext.from_box(box, page_box))
    alphas: dict[str, float] = {}
    data = _bytes(stream, alphas)
    if data is None or (resources["XObject"] and any(a != 1 for a in alphas.values())):
        return None
    states = tuple(
        (name, "ca" if name[0] == "a" else "CA", alpha) for name, alpha in sorted(alphas.items())
    )
    return Fragment(data, states)


def orderly(box: Any, content: str) -> bool:
    """Whether a slot's text is drawn in the order it is written: left to right, with nothing
    floated or positioned inside (which would be painted out of order)."""
    if any(unicodedata.bidirectional(c) in ("R", "AL", "RLE", "RLO", "RLI") for c in text(content)):
        return False
    for child in box.descendants():
        style = child.style
        if child is box:
            continue
        if style["position"] != "static" or style["float"] != "none" or style["direction"] != "ltr":
            return False
    return box.style["direction"] == "ltr"


@dataclass(frozen=True)
class Template:
    """A fragment with a gap at each digit's glyph code, filled per student (see module doc)."""

    pieces: tuple[bytes, ...]  # len(fonts) + 1 pieces around the gaps
    fonts: tuple[str, ...]  # the font of each gap
    states: tuple[tuple[str, str, float], ...]

    @classmethod
    def of(
        cls,
        fragment: Fragment,
        content: str,
        codes: Mapping[str, Mapping[str, bytes]],
        glyphs: Mapping[str, FontGlyphs],
        capitals: bool = False,
    ) -> Template | None:
        """The template of a fragment painted from `content`, if its digits (and capitals)
        were drawn in order, each in a font whose `codes` (`fill_codes`) has it."""
        chars = CODE if capitals else DIGITS
        gaps: list[tuple[int, str]] = []
        drawn = []
        font = None
        for m in _TEXT_OPS.finditer(fragment.data):
            if m.group(1) is not None:
                font = m.group(1).decode()
                continue
            known = glyphs.get(font or "")
            if known is None or known.bitmap:
                return None
            for h in _HEX.finditer(m.group(2)):
                start = m.start(2) + h.start(1)
                for k in range(0, len(h.group(1)), 4):
                    t = known.to_unicode.get(int(h.group(1)[k : k + 4], 16), "")
                    if len(t) == 1 and t in chars:
                        gaps.append((start + k, font))
                        drawn.append(t)
        if "".join(drawn) != variable(content, capitals):
            return None
        if any(t not in codes.get(f, {}) for t, (_, f) in zip(drawn, gaps)):
            return None
        cuts = [0, *(p for g, _ in gaps for p in (g, g + 4)), len(fragment.data)]
        pieces = tuple(fragment.data[cuts[k] : cuts[k + 1]] for k in range(0, len(cuts), 2))
        return cls(pieces, tuple(f for _, f in gaps), fragment.states)

    def fill(self, chars: str, codes: Mapping[str, Mapping[str, bytes]]) -> Fragment | None:
        """The fragment for a slot of the same shape with these digits (and capitals), from
        `variable`; None if one cannot be drawn so."""
        if len(chars) != len(self.fonts):
            return None
        parts = [self.pieces[0]]
        for c, font, piece in zip(chars, self.fonts, self.pieces[1:]):
            code = codes[font].get(c)
            if code is None:
                return None
            parts.append(code)
            parts.append(piece)
        return Fragment(b"".join(parts), self.states)
