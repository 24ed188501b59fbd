"""Typeset math as HTML for the printed documents (styled by the `math` rules of style.css).

Text rather than SVG glyphs keeps every number searchable and copyable, and costs nothing to
draw (an SVG formula from a typesetter costs WeasyPrint ~55 ms per occurrence to paint).
"""

from __future__ import annotations

from html import escape

from ..exercise.typeset import Typesetter

# Unicode sub- and superscript forms of the characters bpquiz's names use (all in DejaVu).
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUP = str.maketrans("0123456789+−", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻")
_SUP_CHARS = frozenset("0123456789+−")


class PrintMath(Typesetter):
    """Math as HTML made cheap for WeasyPrint: the same math with a fraction of the boxes.

    WeasyPrint's time grows with the number of boxes (about 0.15 ms per inline element, 1 ms per
    stacked fraction), and a worked solution has hundreds of variables. So:

    - a symbolic formula is set in an italic container (`math sym`): its variables are plain
      text and only the few upright pieces (numbers) are wrapped (`<span class="u">`);
    - a formula with numbers substituted is upright (`math`): numbers are plain text and the few
      variables (the `e` of the sigmoid) are wrapped in `<i>`;
    - digit subscripts and simple superscripts (5, 12, +, 2) use Unicode's sub/superscript
      characters, which DejaVu draws as such; a subscript with letters (h1, o2, total) is a
      `<sub>`, since DejaVu's subscript letters are hard to read (its ₒ looks like a 0);
    - operators and parentheses are plain text; fractions stay stacked (`span.frac`), but ½ is
      the one glyph ½ everywhere, as the article writes it.

    `formula(html)` wraps a typeset fragment in its container span.
    """

    minus = "−"

    @property
    def css_class(self) -> str:
        """The container's classes (for a block that holds one formula, e.g. a solution line)."""
        return "math" if self.numeric else "math sym"

    def formula(self, html: str) -> str:
        return f'<span class="{self.css_class}">{html}</span>'

    def number(self, x: float, decimals: int | None = None) -> str:
        text = super().number(x, decimals)
        return text if self.numeric else f'<span class="u">{text}</span>'

    def var(self, base: str, sub: str) -> str:
        name = {"eta": "η"}.get(base, escape(base))
        if self.numeric:
            name = f"<i>{name}</i>"
        if not sub:
            return name
        if sub.isdigit():
            return name + sub.translate(_SUB)
        return f"{name}<sub>{escape(sub)}</sub>"

    def sup(self, base: str, power: str) -> str:
        if set(power) <= _SUP_CHARS:
            return base + power.translate(_SUP)
        return f"{base}<sup>{power}</sup>"

    def frac(self, num: str, den: str) -> str:
        # A stacked fraction costs WeasyPrint ~5 ms: the ½ of the error is the one glyph ½.
        if (num, den) in (("1", "2"), (self._upright("1"), self._upright("2"))):
            return self._upright("½")
        return (
            f'<span class="frac"><span class="num">{num}</span>'
            f'<span class="den">{den}</span></span>'
        )

    def partial(self, of: str) -> str:
        return f"∂{of}"

    def name(self, fn: str) -> str:
        return self._upright(escape(fn))

    def word(self, text: str) -> str:
        return self._upright(escape(self.words(text)))

    def _upright(self, text: str) -> str:
        return text if self.numeric else '<span class="u">' + text + "</span>"
