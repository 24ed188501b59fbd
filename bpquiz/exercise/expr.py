"""A tiny expression tree: one formula gives the value, the LaTeX, the plain text and the HTML.

Every step of the exercise is written once, as an `Expr` over named quantities (`Ref`). Compiling
it gives the function that computes the answer key; printing it with the quantities shown as
symbols gives the symbolic formula; printing it with the quantities shown as numbers gives the
"numbers substituted" line of the worked solution. Because all of them come from the same tree
they cannot disagree (R/exams' lesson).

Operators build trees micrograd-style (`a * b + c`). Display-only nodes (`Var`, `Partial`) name
things such as ``out_{h1}`` or ``∂E_total`` and have no value.

There is one way to evaluate a tree: `compile_function` turns formulas into Python source and
that into a function, run with a *library* of elementary functions — `MATH` (floats: solving a
variant, grading) or `numpy_library()` (columns of every variant of a key at once). Both do the
same arithmetic in the same order, so a float run gives the same bits as the tree's meaning.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .functions import FUNCTIONS

if TYPE_CHECKING:
    from .typeset import Typesetter

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

    def py(self, names: Mapping[str, str]) -> str:
        """Python source computing this formula; `names` maps each Ref to a variable."""
        raise TypeError(f"{type(self).__name__} is display-only and has no value")

    def show(self, ts: Typesetter, atom: Callable[[str], str]) -> str:
        raise NotImplementedError

    def replace_children(self, kids: Sequence[Expr]) -> Expr:
        """The same node over other children (for `expand`)."""
        return self


def lift(x: Expr | float) -> Expr:
    return x if isinstance(x, Expr) else Num(x)


@dataclass(frozen=True, eq=False)
class Num(Expr):
    value: float

    def py(self, names):
        return repr(float(self.value))

    def show(self, ts, atom):
        return ts.number(self.value)


@dataclass(frozen=True, eq=False)
class Ref(Expr):
    """A named quantity: a given value or the result of an earlier step."""

    name: str

    def refs(self):
        return (self.name,)

    def py(self, names):
        return names[self.name]

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
    op = ""  # the Python operator

    def children(self):
        return (self.left, self.right)

    def replace_children(self, kids):
        return type(self)(*kids)

    def py(self, names):
        return f"({self.left.py(names)} {self.op} {self.right.py(names)})"

    def operands(self, ts, atom, right_prec):
        # Only a right operand needs parentheses for being negative: "a + (−b)", but "−a × b";
        # a product after a plus or minus brackets its first factor alone: "a + (−b) × c".
        right = self.right
        if self.prec == SUM and isinstance(right, Mul) and right.prec >= right_prec:
            shown = right.show(ts, atom, lead=True)
        else:
            shown = wrap(right, right_prec, ts, atom)
        return wrap(self.left, self.prec, ts, atom, guard_negative=False), shown


class Add(Binary):
    prec, op = SUM, "+"

    def show(self, ts, atom):
        return ts.join("+", *self.operands(ts, atom, SUM))


class Sub(Binary):
    prec, op = SUM, "-"

    def show(self, ts, atom):
        # a − (b + c): the right side of a minus needs parentheses around a sum.
        return ts.join("-", *self.operands(ts, atom, PRODUCT))


class Mul(Binary):
    prec, op = PRODUCT, "*"

    def show(self, ts, atom, lead=False):
        """`lead`: the product follows a plus or minus, so a negative first factor is bracketed."""
        left, right = self.operands(ts, atom, UNARY)
        if lead:
            inner = self.left
            left = (
                inner.show(ts, atom, lead=True)
                if isinstance(inner, Mul)
                else wrap(inner, PRODUCT, ts, atom)
            )
        return ts.join("*", left, right)


class Frac(Binary):
    prec, op = ATOM, "/"  # a fraction bar groups by itself

    def show(self, ts, atom):
        return ts.frac(self.left.show(ts, atom), self.right.show(ts, atom))


@dataclass(frozen=True, eq=False)
class Neg(Expr):
    arg: Expr
    prec = UNARY

    def children(self):
        return (self.arg,)

    def replace_children(self, kids):
        return Neg(kids[0])

    def py(self, names):
        return f"(-{self.arg.py(names)})"

    def show(self, ts, atom):
        return ts.minus + wrap(self.arg, ATOM, ts, atom)


@dataclass(frozen=True, eq=False)
class Pow(Expr):
    base: Expr
    power: int
    prec = UNARY

    def children(self):
        return (self.base,)

    def replace_children(self, kids):
        return Pow(kids[0], self.power)

    def py(self, names):
        return f"({self.base.py(names)} ** {int(self.power)})"

    def show(self, ts, atom):
        return ts.sup(wrap(self.base, ATOM, ts, atom), str(self.power))


@dataclass(frozen=True, eq=False)
class Call(Expr):
    """An elementary function of one argument: `fn` names it in the evaluation library.

    `exp` shows as a power of e; the others as a named function, e.g. tanh(sum_h1).
    """

    fn: str
    arg: Expr
    prec = UNARY

    def children(self):
        return (self.arg,)

    def replace_children(self, kids):
        return Call(self.fn, kids[0])

    def py(self, names):
        return f"_{self.fn}({self.arg.py(names)})"

    def show(self, ts, atom):
        return FUNCTIONS[self.fn].show(ts, self.arg.show(ts, atom))


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
    return Call("exp", x)


HALF = Frac(Num(1), Num(2))


def expand(e: Expr, formulas: Mapping[str, Expr]) -> Expr:
    """`e` with each Ref to a name in `formulas` replaced by that formula (one level)."""
    if isinstance(e, Ref):
        return formulas.get(e.name, e)
    kids = e.children()
    if not kids:
        return e
    return e.replace_children([expand(k, formulas) for k in kids])


# --- evaluation: formulas compiled to Python, run with a library ---------------------------------

MATH: Mapping[str, Callable[..., float]] = {f"_{k}": f.compute for k, f in FUNCTIONS.items()}


def numpy_library() -> Mapping[str, Callable[..., object]]:
    """The same functions over numpy columns (numpy is imported only when a key is checked)."""
    import numpy as np

    return {f"_{k}": f.columns(np) for k, f in FUNCTIONS.items()}


def compile_function(
    inputs: Sequence[str],
    outputs: Sequence[tuple[str, Expr]],
    library: Mapping[str, Callable[..., object]] = MATH,
) -> Callable[..., tuple]:
    """A function of `inputs` that computes each (name, formula) of `outputs` in order, each
    formula reading the inputs and the outputs before it, and returns the outputs' values."""
    names = {name: f"v{k}" for k, name in enumerate(inputs)}
    lines = [f"def compiled({', '.join(names.values())}):"]
    for name, formula in outputs:
        variable = f"v{len(names)}"
        lines.append(f"    {variable} = {formula.py(names)}")
        names[name] = variable
    returned = [names[name] for name, _ in outputs]
    lines.append(f"    return ({', '.join(returned)}{',' if len(returned) == 1 else ''})")
    namespace = dict(library)
    exec("\n".join(lines), namespace)  # noqa: S102 - source built from our own formula trees
    return namespace["compiled"]


def compile_formula(
    formula: Expr, library: Mapping[str, Callable[..., object]] = MATH
) -> tuple[tuple[str, ...], Callable[..., float]]:
    """The formula's inputs (`refs()`) and the formula as a function of them, in that order.

    One expression and no tuple: grading runs this a few times per wrong answer.
    """
    inputs = formula.refs()
    names = {name: f"v{k}" for k, name in enumerate(inputs)}
    source = f"def compiled({', '.join(names.values())}):\n    return {formula.py(names)}"
    namespace = dict(library)
    exec(source, namespace)  # noqa: S102 - source built from our own formula trees
    return inputs, namespace["compiled"]
