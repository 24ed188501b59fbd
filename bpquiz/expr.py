"""A tiny expression tree: one formula gives the value, the LaTeX, the plain text and the HTML.

Every step of the exercise is written once, as an `Expr` over named quantities (`Ref`). Evaluating it
computes the answer key; printing it with the quantities shown as symbols gives the symbolic formula;
printing it with the quantities shown as numbers gives the "numbers substituted" line of the worked
solution. Because all three come from the same tree they cannot disagree (R/exams' lesson).

Operators build trees micrograd-style (`a * b + c`). Display-only nodes (`Var`, `Partial`) name
things such as ``out_{h1}`` or ``∂E_total`` and have no value.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Callable, Mapping

# Binding strength, for parentheses: a child is wrapped when it binds looser than its slot needs.
SUM, PRODUCT, UNARY, ATOM = 1, 2, 3, 4


class Expr:
    prec = ATOM

    def __add__(self, other: Expr | float) -> Expr:
        return Add(self, lift(other))

    def __radd__(self, other: float) -> Expr:
        return Add(lift(other), self)

    def __sub__(self, other: Expr | float) -> Expr:
        return Sub(self, lift(other))

    def __rsub__(self, other: float) -> Expr:
        return Sub(lift(other), self)

    def __mul__(self, other: Expr | float) -> Expr:
        return Mul(self, lift(other))

    def __rmul__(self, other: float) -> Expr:
        return Mul(lift(other), self)

    def __truediv__(self, other: Expr | float) -> Expr:
        return Frac(self, lift(other))

    def __rtruediv__(self, other: float) -> Expr:
        return Frac(lift(other), self)

    def __neg__(self) -> Expr:
        return Neg(self)

    def __pow__(self, power: int) -> Expr:
        return Pow(self, power)

    def refs(self) -> tuple[str, ...]:
        """Names this formula reads, in first-use order (the step's inputs)."""
        seen: dict[str, None] = {}
        for child in self.children():
            for name in child.refs():
                seen.setdefault(name)
        return tuple(seen)

    def children(self) -> tuple[Expr, ...]:
        return ()

    def eval(self, env: Mapping[str, float]) -> float:
        raise TypeError(f"{type(self).__name__} is display-only and has no value")

    def show(self, ts: Typesetter, atom: Callable[[str], str]) -> str:
        raise NotImplementedError


def lift(x: Expr | float) -> Expr:
    return x if isinstance(x, Expr) else Num(x)


@dataclass(frozen=True, eq=False)
class Num(Expr):
    value: float

    def eval(self, env):
        return self.value

    def show(self, ts, atom):
        return ts.number(self.value)


@dataclass(frozen=True, eq=False)
class Ref(Expr):
    """A named quantity: a given value or the result of an earlier step."""

    name: str

    def refs(self):
        return (self.name,)

    def eval(self, env):
        return env[self.name]

    def show(self, ts, atom):
        return atom(self.name)


@dataclass(frozen=True, eq=False)
class Var(Expr):
    """A display symbol: `base` with optional subscript and superscript, e.g. out_{h1}, w_5^{+}."""

    base: str
    sub: str = ""
    sup: str = ""

    def show(self, ts, atom):
        text = ts.var(self.base, self.sub)
        return ts.sup(text, self.sup) if self.sup else text


@dataclass(frozen=True, eq=False)
class Partial(Expr):
    """∂x, for the numerator or denominator of a partial derivative."""

    of: Expr

    def show(self, ts, atom):
        return ts.partial(self.of.show(ts, atom))


@dataclass(frozen=True, eq=False)
class Binary(Expr):
    left: Expr
    right: Expr

    def children(self):
        return (self.left, self.right)

    def operands(self, ts, atom, right_prec):
        # Only a right operand needs parentheses for being negative: "a + (−b)", but "−a × b".
        return (
            wrap(self.left, self.prec, ts, atom, guard_negative=False),
            wrap(self.right, right_prec, ts, atom),
        )


class Add(Binary):
    prec = SUM

    def eval(self, env):
        return self.left.eval(env) + self.right.eval(env)

    def show(self, ts, atom):
        return ts.join("+", *self.operands(ts, atom, SUM))


class Sub(Binary):
    prec = SUM

    def eval(self, env):
        return self.left.eval(env) - self.right.eval(env)

    def show(self, ts, atom):
        # a − (b + c): the right side of a minus needs parentheses around a sum.
        return ts.join("-", *self.operands(ts, atom, PRODUCT))


class Mul(Binary):
    prec = PRODUCT

    def eval(self, env):
        return self.left.eval(env) * self.right.eval(env)

    def show(self, ts, atom):
        return ts.join("*", *self.operands(ts, atom, UNARY))


class Frac(Binary):
    prec = ATOM  # a fraction bar groups by itself

    def eval(self, env):
        return self.left.eval(env) / self.right.eval(env)

    def show(self, ts, atom):
        return ts.frac(self.left.show(ts, atom), self.right.show(ts, atom))


@dataclass(frozen=True, eq=False)
class Neg(Expr):
    arg: Expr
    prec = UNARY

    def children(self):
        return (self.arg,)

    def eval(self, env):
        return -self.arg.eval(env)

    def show(self, ts, atom):
        return ts.minus + wrap(self.arg, ATOM, ts, atom)


@dataclass(frozen=True, eq=False)
class Pow(Expr):
    base: Expr
    power: int
    prec = UNARY

    def children(self):
        return (self.base,)

    def eval(self, env):
        return self.base.eval(env) ** self.power

    def show(self, ts, atom):
        return ts.sup(wrap(self.base, ATOM, ts, atom), str(self.power))


@dataclass(frozen=True, eq=False)
class Exp(Expr):
    arg: Expr
    prec = UNARY

    def children(self):
        return (self.arg,)

    def eval(self, env):
        x = self.arg.eval(env)
        # Floats (a variant) through math.exp; numpy columns (every variant of a key at once,
        # keyfile._recompute) through their own exp.
        return math.exp(x) if isinstance(x, (int, float)) else _np().exp(x)

    def show(self, ts, atom):
        return ts.sup(ts.var("e", ""), self.arg.show(ts, atom))


def _np():
    import numpy  # only for evaluating on arrays; the expression tree itself needs no numpy

    return numpy


def wrap(
    e: Expr, need: int, ts: Typesetter, atom: Callable[[str], str], guard_negative: bool = True
) -> str:
    """Show `e`, in parentheses when it binds looser than `need` or starts with a minus sign."""
    text = e.show(ts, atom)
    negative = guard_negative and text.startswith(ts.minus)
    if e.prec < need or negative:
        return ts.paren(text)
    return text


def exp(x: Expr) -> Expr:
    return Exp(x)


def sigmoid(x: Expr) -> Expr:
    return 1 / (1 + exp(-x))


def sigmoid_prime(out: Expr) -> Expr:
    """σ'(x) written, as the article does, through the unit's output: out·(1 − out)."""
    return out * (1 - out)


HALF = Frac(Num(1), Num(2))


# --- typesetters --------------------------------------------------------------------------------
# `atom` maps a Ref name to its display (a symbol or a number); `ts` knows the target language.


class Typesetter:
    minus = "-"
    times, cdot = "×", "·"

    def __init__(self, numeric: bool = False):
        self.numeric = numeric  # numbers substituted: "×" between factors instead of "·"

    def sign(self, op: str) -> str:
        return {"+": "+", "-": self.minus, "*": self.times if self.numeric else self.cdot}[op]

    def number(self, x: float, decimals: int | None = None) -> str:
        """A constant (`decimals` None: shortest form, 0.1 or 2) or a result at fixed decimals."""
        text = fixed(x, decimals) if decimals is not None else f"{x:g}"
        return text.replace("-", self.minus)

    def var(self, base: str, sub: str) -> str:
        raise NotImplementedError

    def partial(self, of: str) -> str:
        raise NotImplementedError

    def join(self, op: str, left: str, right: str) -> str:
        return f"{left} {self.sign(op)} {right}"

    def frac(self, num: str, den: str) -> str:
        raise NotImplementedError

    def sup(self, base: str, power: str) -> str:
        raise NotImplementedError

    def paren(self, inner: str) -> str:
        return f"({inner})"


def fixed(x: float, decimals: int) -> str:
    """`x` with exactly `decimals` decimals, never "-0.000"."""
    text = f"{x:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


class LaTeX(Typesetter):
    times, cdot = r"\times", r"\cdot"

    def var(self, base, sub):
        if base == "eta":
            return r"\eta"
        body = base if len(base) == 1 else rf"\mathit{{{base}}}"
        return f"{body}_{{{sub}}}" if sub else body

    def partial(self, of):
        return rf"\partial {of}"

    def frac(self, num, den):
        return rf"\frac{{{num}}}{{{den}}}"

    def sup(self, base, power):
        return f"{base}^{{{power}}}"

    def paren(self, inner):
        return rf"\left({inner}\right)"


class Text(Typesetter):
    """Plain Unicode for terminals: out_h1 = 1/(1 + e^(−sum_h1))."""

    minus = "−"

    def var(self, base, sub):
        # Digit subscripts join as in the contract's names (w5, target1); others keep "_" (out_h1).
        joiner = "" if sub.isdigit() else "_"
        return {"eta": "η"}.get(base, base) + (f"{joiner}{sub}" if sub else "")

    def partial(self, of):
        return f"∂{of}"

    def frac(self, num, den):
        simple = lambda s: all(c not in s for c in " +−·×")  # noqa: E731
        return f"{num if simple(num) else '(' + num + ')'}/{den if simple(den) else '(' + den + ')'}"

    def sup(self, base, power):
        return f"{base}^{power}" if len(power) == 1 else f"{base}^({power})"


class HTML(Typesetter):
    """Real-text math for WeasyPrint: fractions are stacked spans styled by the `math` CSS.

    Text rather than SVG glyphs keeps every number searchable and copyable, and costs nothing to
    draw (an SVG formula from a typesetter costs WeasyPrint ~55 ms per occurrence to paint).
    """

    minus = "−"

    def number(self, x, decimals=None):
        # The sign stays outside the span so that `wrap` sees a leading minus.
        text = super().number(x, decimals)
        sign, digits = (self.minus, text[1:]) if text.startswith(self.minus) else ("", text)
        return f'{sign}<span class="mn">{digits}</span>'

    def var(self, base, sub):
        name = {"eta": "η"}.get(base, html.escape(base))
        return f'<i class="mi">{name}</i>' + (f"<sub>{html.escape(sub)}</sub>" if sub else "")

    def partial(self, of):
        return f'<span class="mo">∂</span>{of}'

    def join(self, op, left, right):
        return f'{left}<span class="mo bin">{self.sign(op)}</span>{right}'

    def frac(self, num, den):
        return (
            f'<span class="frac"><span class="num">{num}</span>'
            f'<span class="den">{den}</span></span>'
        )

    def sup(self, base, power):
        return f"{base}<sup>{power}</sup>"

    def paren(self, inner):
        return f'<span class="mo">(</span>{inner}<span class="mo">)</span>'
