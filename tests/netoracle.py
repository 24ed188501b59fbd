"""An independent oracle for every exercise option: the network written out with loops, numbers
only (no expression trees), from the names of contract.md; and in sympy.

Nothing here imports bpquiz. `cycle(opts, g, keep)` computes every step in the order of the
exercise, each value passed through `keep(step id, value)` before the later steps use it (a
student rounding to the box, or slipping); `loss(opts, g)` is the forward pass alone, for finite
differences and for the second pass; `sympy_gradients(opts)` differentiates the loss built
symbolically from the same wiring.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import sympy as sp

LEAK = 0.01


@dataclass(frozen=True)
class Opts:
    """An exercise's options, as the oracle knows them (the CLI's names)."""

    shape: tuple[int, int, int] = (2, 2, 2)
    hidden: str = "sigmoid"
    output: str = "sigmoid"
    loss: str = "mse"
    biases: str = "shared"
    update_biases: bool = False
    second_pass: bool = False

    # --- names (contract.md) -----------------------------------------------------------------
    @property
    def units(self) -> tuple[list[str], list[str], list[str]]:
        n, m, k = self.shape
        return ([f"i{a}" for a in range(1, n + 1)], [f"h{a}" for a in range(1, m + 1)],
                [f"o{a}" for a in range(1, k + 1)])  # fmt: skip

    def w_in(self, i: int, j: int) -> str:
        """The weight from input i to hidden unit j (0-based): source-major."""
        return f"w{i * self.shape[1] + j + 1}"

    def w_out(self, j: int, k: int) -> str:
        """The weight from hidden unit j to output k (0-based): target-major after the hidden."""
        n, m, _ = self.shape
        return f"w{n * m + k * m + j + 1}"

    def b_hidden(self, j: int) -> str:
        return "b1" if self.biases == "shared" else f"b_h{j + 1}"

    def b_output(self, k: int) -> str:
        return "b2" if self.biases == "shared" else f"b_o{k + 1}"

    def biases_list(self) -> list[str]:
        n, m, k = self.shape
        if self.biases == "shared":
            return ["b1", "b2"]
        return [f"b_h{j + 1}" for j in range(m)] + [f"b_o{a + 1}" for a in range(k)]

    def weights(self) -> list[str]:
        n, m, k = self.shape
        return [f"w{a}" for a in range(1, n * m + m * k + 1)]


def act(name: str, s: float) -> float:
    if name == "sigmoid":
        return 1 / (1 + math.exp(-s))
    if name == "tanh":
        return math.tanh(s)
    if name == "relu":
        return max(0.0, s)
    if name == "leaky_relu":
        return s if s > 0 else LEAK * s
    return s  # linear


def slope(name: str, out: float, s: float) -> float:
    """∂out/∂sum, as the article writes it: through the output for sigmoid and tanh."""
    if name == "sigmoid":
        return out * (1 - out)
    if name == "tanh":
        return 1 - out**2
    if name == "relu":
        return 1.0 if s > 0 else 0.0
    return 1.0 if s > 0 else LEAK  # leaky_relu


def forward(o: Opts, g: dict, put, after: str = "", new=None) -> tuple[list[float], list[float]]:
    """The forward pass (hidden outputs, output outputs), each value `put` under its id."""
    new = new or {}
    p = lambda name: new.get(name, g[name])  # noqa: E731 - the new value in the second pass
    ins, hid, outs = o.units
    n, m, k = o.shape
    h = []
    for j in range(m):
        s = sum(g[ins[i]] * p(o.w_in(i, j)) for i in range(n)) + p(o.b_hidden(j))
        if o.hidden == "linear":
            h.append(put(f"out_{hid[j]}{after}", s))
        else:
            s = put(f"sum_{hid[j]}{after}", s)
            h.append(put(f"out_{hid[j]}{after}", act(o.hidden, s)))
    sums = []
    y = []
    for q in range(k):
        s = sum(h[j] * p(o.w_out(j, q)) for j in range(m)) + p(o.b_output(q))
        if o.output == "linear":
            y.append(put(f"out_{outs[q]}{after}", s))
        elif o.output == "softmax":
            sums.append(put(f"sum_{outs[q]}{after}", s))
        else:
            s = put(f"sum_{outs[q]}{after}", s)
            y.append(put(f"out_{outs[q]}{after}", act(o.output, s)))
    if o.output == "softmax":
        z = sum(math.exp(s) for s in sums)
        y = [put(f"out_{outs[q]}{after}", math.exp(sums[q]) / z) for q in range(k)]
    return h, y


def errors(o: Opts, g: dict, y: list[float]) -> list[float]:
    t = [g[f"target{q + 1}"] for q in range(o.shape[2])]
    if o.loss == "mse":
        return [0.5 * (t[q] - y[q]) ** 2 for q in range(len(y))]
    if o.loss == "bce":
        return [-(t[q] * math.log(y[q]) + (1 - t[q]) * math.log(1 - y[q])) for q in range(len(y))]
    return [-t[q] * math.log(y[q]) for q in range(len(y))]  # ce


def loss(o: Opts, g: dict) -> float:
    """E_total of a forward pass with the given values (no steps kept)."""
    _, y = forward(o, g, lambda sid, x: x)
    return math.fsum(errors(o, g, y))


def cycle(o: Opts, g: dict, keep=lambda sid, x: x) -> dict[str, float]:
    """Every step of the exercise, in its order, each through `keep` before it is used."""
    v: dict[str, float] = {}

    def put(sid: str, x: float) -> float:
        v[sid] = float(keep(sid, x))
        return v[sid]

    ins, hid, outs = o.units
    n, m, k = o.shape
    h, y = forward(o, g, put)
    t = [g[f"target{q + 1}"] for q in range(k)]
    # error
    if k == 1 or o.loss == "ce":
        if o.loss == "ce":
            put("E_total", -sum(t[q] * math.log(y[q]) for q in range(k)))
        else:
            put("E_total", errors(o, g, y)[0])
    else:
        terms = [put(f"E{q + 1}", e) for q, e in enumerate(errors(o, g, y))]
        put("E_total", sum(terms))
    # output layer: each output's factors, then their product δ (its value is not asked)
    delta = []
    for q in range(k):
        o_id = outs[q]
        if o.output == "softmax":
            delta.append(put(f"dE_dsum_{o_id}", v[f"out_{o_id}"] - t[q]))
            continue
        out = v[f"out_{o_id}"]
        if o.loss == "mse":
            grad = put(f"dE_dout_{o_id}", out - t[q])
        else:
            grad = put(f"dE_dout_{o_id}", (out - t[q]) / (out * (1 - out)))
        if o.output == "linear":
            delta.append(grad)
        else:
            delta.append(
                grad * put(f"dout_{o_id}_dsum_{o_id}", slope(o.output, out, v[f"sum_{o_id}"]))
            )
    factors = {}  # output k -> the stored factors whose product is δ_k (as the student has them)
    for q in range(k):
        o_id = outs[q]
        if o.output == "softmax":
            factors[q] = [v[f"dE_dsum_{o_id}"]]
        elif o.output == "linear":
            factors[q] = [v[f"dE_dout_{o_id}"]]
        else:
            factors[q] = [v[f"dE_dout_{o_id}"], v[f"dout_{o_id}_dsum_{o_id}"]]
    prod = lambda xs: math.prod(xs)  # noqa: E731
    for q in range(k):
        for j in range(m):
            put(f"dE_d{o.w_out(j, q)}", prod([*factors[q], h[j]]))
    if o.update_biases:
        if o.biases == "shared":
            put("dE_db2", sum(prod(factors[q]) for q in range(k)))
        else:
            for q in range(k):
                put(f"dE_db_{outs[q]}", prod(factors[q]))
    eta = g["learning_rate"]
    for q in range(k):
        for j in range(m):
            w = o.w_out(j, q)
            put(f"new_{w}", g[w] - eta * v[f"dE_d{w}"])
    if o.update_biases:
        for b in o.biases_list():
            if b == "b2" or b.startswith("b_o"):
                put(f"new_{b}", g[b] - eta * v[f"dE_d{b}"])
    # hidden layer
    slopes = [1.0] * m
    if o.hidden != "linear":
        for j in range(m):
            hj = hid[j]
            slopes[j] = put(f"dout_{hj}_dsum_{hj}", slope(o.hidden, v[f"out_{hj}"], v[f"sum_{hj}"]))
    if o.output == "softmax":
        back = [put(f"dE_dout_{hid[j]}", sum(v[f"dE_dsum_{outs[q]}"] * g[o.w_out(j, q)]
                                              for q in range(k))) for j in range(m)]  # fmt: skip
    own_slope = lambda j: [slopes[j]] if o.hidden != "linear" else []  # noqa: E731
    for i in range(n):
        for j in range(m):
            w = o.w_in(i, j)
            if o.output == "softmax":
                put(f"dE_d{w}", prod([back[j], *own_slope(j), g[ins[i]]]))
            elif k == 1:
                put(f"dE_d{w}", prod([*factors[0], g[o.w_out(j, 0)], *own_slope(j), g[ins[i]]]))
            else:
                parts = [put(f"dE{q + 1}_d{w}", prod([*factors[q], g[o.w_out(j, q)], *own_slope(j),
                                                       g[ins[i]]])) for q in range(k)]  # fmt: skip
                put(f"dE_d{w}", sum(parts))
    if o.update_biases:

        def through(j: int) -> float:  # ∂E_total/∂sum_hj
            if o.output == "softmax":
                return prod([back[j], *own_slope(j)])
            inner = sum(prod([*factors[q], g[o.w_out(j, q)]]) for q in range(k))
            return prod([inner, *own_slope(j)])

        if o.biases == "shared":
            put("dE_db1", sum(through(j) for j in range(m)))
        else:
            for j in range(m):
                put(f"dE_db_{hid[j]}", through(j))
    for i in range(n):
        for j in range(m):
            w = o.w_in(i, j)
            put(f"new_{w}", g[w] - eta * v[f"dE_d{w}"])
    if o.update_biases:
        for b in o.biases_list():
            if b == "b1" or b.startswith("b_h"):
                put(f"new_{b}", g[b] - eta * v[f"dE_d{b}"])
    if o.second_pass:
        new = {p[4:]: x for p, x in v.items() if p.startswith("new_")}
        _, y2 = forward(o, g, put, "_after", new)
        put("E_total_after", math.fsum(errors(o, g, y2)))
    return v


def new_givens(o: Opts, g: dict, v: dict) -> dict:
    """The given values with every updated parameter replaced by its new value."""
    return {**g, **{p[4:]: x for p, x in v.items() if p.startswith("new_")}}


# --- sympy -----------------------------------------------------------------------------------


@cache
def sympy_gradients(o: Opts):
    """(parameter names, a function of the given values returning ∂E_total/∂p for each), from
    the loss written symbolically with the same wiring and differentiated by sympy."""
    ins, hid, outs = o.units
    n, m, k = o.shape
    names = [*ins, *o.weights(), *o.biases_list(), *(f"target{q + 1}" for q in range(k))]
    S = {name: sp.Symbol(name, real=True) for name in names}

    def a(name: str, s):
        if name == "sigmoid":
            return 1 / (1 + sp.exp(-s))
        if name == "tanh":
            return sp.tanh(s)
        if name == "relu":
            return sp.Piecewise((s, s > 0), (0, True))
        if name == "leaky_relu":
            return sp.Piecewise((s, s > 0), (sp.Rational(1, 100) * s, True))
        return s

    h = [a(o.hidden, sum(S[ins[i]] * S[o.w_in(i, j)] for i in range(n)) + S[o.b_hidden(j)])
         for j in range(m)]  # fmt: skip
    sums = [sum(h[j] * S[o.w_out(j, q)] for j in range(m)) + S[o.b_output(q)] for q in range(k)]
    if o.output == "softmax":
        z = sum(sp.exp(s) for s in sums)
        y = [sp.exp(s) / z for s in sums]
    else:
        y = [a(o.output, s) for s in sums]
    t = [S[f"target{q + 1}"] for q in range(k)]
    if o.loss == "mse":
        E = sum(sp.Rational(1, 2) * (t[q] - y[q]) ** 2 for q in range(k))
    elif o.loss == "bce":
        E = -sum(t[q] * sp.log(y[q]) + (1 - t[q]) * sp.log(1 - y[q]) for q in range(k))
    else:
        E = -sum(t[q] * sp.log(y[q]) for q in range(k))
    params = [*o.weights(), *o.biases_list()]
    grads = sp.lambdify([S[x] for x in names], [sp.diff(E, S[p]) for p in params], cse=True)
    return params, lambda g: dict(zip(params, map(float, grads(*(g[x] for x in names)))))
