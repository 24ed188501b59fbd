"""Independent oracles for the tests: the network written out directly, and in sympy.

Nothing here imports bpquiz's formulas: the forward/backward pass is coded from the article's
equations by hand (array style), and sympy differentiates E_total built from the same wiring.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import sympy as sp

# Copies of ../shared/reference (the article's numbers and the contract), so a clone tests alone.
REFERENCE = Path(__file__).resolve().parent / "data"


def article() -> dict:
    return json.loads((REFERENCE / "article-example.json").read_text())


def contract_step_ids() -> list[str]:
    """The 41 ids in the order of contract.md's table (read from the document itself)."""
    text = (REFERENCE / "contract.md").read_text()
    table = text.split("## Step ids", 1)[1].split("## Files", 1)[0]
    ids: list[str] = []
    for line in table.splitlines():
        cells = line.split("|")
        if len(cells) < 4 or "`" not in cells[2]:
            continue
        for token in cells[2].replace(",", " ").split("`")[1::2]:
            for name in token.split():
                if name == "dE1_dw1":
                    ids += ["dE1_dw1", "dE2_dw1", "dE_dw1"]
                    for w in ("w2", "w3", "w4"):  # "likewise for `w2 w3 w4`"
                        ids += [f"dE1_d{w}", f"dE2_d{w}", f"dE_d{w}"]
                elif name in ("dE2_dw1", "dE_dw1", "w2", "w3", "w4"):
                    continue
                else:
                    ids.append(name)
    return ids


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def forward_backward(g: dict) -> dict:
    """The full cycle in matrix form: W1 (hidden x input), W2 (output x hidden)."""
    x = np.array([g["i1"], g["i2"]])
    W1 = np.array([[g["w1"], g["w3"]], [g["w2"], g["w4"]]])  # rows h1, h2; columns i1, i2
    W2 = np.array([[g["w5"], g["w6"]], [g["w7"], g["w8"]]])  # rows o1, o2; columns h1, h2
    t = np.array([g["target1"], g["target2"]])
    eta = g["learning_rate"]

    net_h = W1 @ x + g["b1"]
    h = sigmoid(net_h)
    net_o = W2 @ h + g["b2"]
    o = sigmoid(net_o)
    E = 0.5 * (t - o) ** 2

    delta_o = (o - t) * o * (1 - o)  # dE/dnet_o
    grad_W2 = np.outer(delta_o, h)
    dh = h * (1 - h)
    # Per-error contributions to the hidden weights: dE_k/dW1[j, i] = delta_o[k] W2[k, j] dh[j] x[i]
    per_error = np.einsum("k,kj,j,i->kji", delta_o, W2, dh, x)
    grad_W1 = per_error.sum(axis=0)

    out = {
        "sum_h1": net_h[0], "out_h1": h[0], "sum_h2": net_h[1], "out_h2": h[1],
        "sum_o1": net_o[0], "out_o1": o[0], "sum_o2": net_o[1], "out_o2": o[1],
        "E1": E[0], "E2": E[1], "E_total": E.sum(),
        "dE_dout_o1": o[0] - t[0], "dout_o1_dsum_o1": o[0] * (1 - o[0]),
        "dE_dout_o2": o[1] - t[1], "dout_o2_dsum_o2": o[1] * (1 - o[1]),
        "dout_h1_dsum_h1": dh[0], "dout_h2_dsum_h2": dh[1],
    }  # fmt: skip
    where = {"w1": (0, 0), "w3": (0, 1), "w2": (1, 0), "w4": (1, 1)}
    for w, (j, i) in where.items():
        out[f"dE1_d{w}"] = per_error[0, j, i]
        out[f"dE2_d{w}"] = per_error[1, j, i]
        out[f"dE_d{w}"] = grad_W1[j, i]
        out[f"new_{w}"] = g[w] - eta * grad_W1[j, i]
    for w, (k, j) in {"w5": (0, 0), "w6": (0, 1), "w7": (1, 0), "w8": (1, 1)}.items():
        out[f"dE_d{w}"] = grad_W2[k, j]
        out[f"new_{w}"] = g[w] - eta * grad_W2[k, j]
    return {k: float(v) for k, v in out.items()}


def total_error(g: dict) -> float:
    return float(forward_backward(g)["E_total"])


# --- sympy ---------------------------------------------------------------------------------------
NAMES = (
    "i1",
    "i2",
    "w1",
    "w2",
    "w3",
    "w4",
    "w5",
    "w6",
    "w7",
    "w8",
    "b1",
    "b2",
    "target1",
    "target2",
)
S = {n: sp.Symbol(n, real=True) for n in NAMES}


def _sym_sigmoid(x):
    return 1 / (1 + sp.exp(-x))


def symbolic_errors() -> tuple[sp.Expr, sp.Expr]:
    """E1 and E2 as sympy expressions of the given symbols, from the article's wiring."""
    out_h1 = _sym_sigmoid(S["i1"] * S["w1"] + S["i2"] * S["w3"] + S["b1"])
    out_h2 = _sym_sigmoid(S["i1"] * S["w2"] + S["i2"] * S["w4"] + S["b1"])
    out_o1 = _sym_sigmoid(out_h1 * S["w5"] + out_h2 * S["w6"] + S["b2"])
    out_o2 = _sym_sigmoid(out_h1 * S["w7"] + out_h2 * S["w8"] + S["b2"])
    E1 = sp.Rational(1, 2) * (S["target1"] - out_o1) ** 2
    E2 = sp.Rational(1, 2) * (S["target2"] - out_o2) ** 2
    return E1, E2


# --- a student working step by step ---------------------------------------------------------------
HIDDEN_WIRING = {"h1": (("w1", "i1"), ("w3", "i2")), "h2": (("w2", "i1"), ("w4", "i2"))}
OUTPUT_WIRING = {"o1": (("w5", "h1"), ("w6", "h2")), "o2": (("w7", "h1"), ("w8", "h2"))}


def cycle(g: dict, keep=lambda step_id, x: x) -> dict:
    """The article's 41 values in its order, computed as a student does: each value goes through
    `keep(step id, value)` (rounding it to the box, a slip) before the later steps use it.

    Written out from the article's equations; with the identity `keep` it is forward_backward.
    """
    v: dict[str, float] = {}

    def put(sid: str, x: float) -> float:
        v[sid] = keep(sid, x)
        return v[sid]

    for h, wiring in HIDDEN_WIRING.items():
        s = put(f"sum_{h}", sum(g[src] * g[w] for w, src in wiring) + g["b1"])
        put(f"out_{h}", 1 / (1 + np.exp(-s)))
    for o, wiring in OUTPUT_WIRING.items():
        s = put(f"sum_{o}", sum(v[f"out_{src}"] * g[w] for w, src in wiring) + g["b2"])
        put(f"out_{o}", 1 / (1 + np.exp(-s)))
    targets = {"o1": g["target1"], "o2": g["target2"]}
    put("E1", 0.5 * (targets["o1"] - v["out_o1"]) ** 2)
    put("E2", 0.5 * (targets["o2"] - v["out_o2"]) ** 2)
    put("E_total", v["E1"] + v["E2"])
    for o in OUTPUT_WIRING:
        put(f"dE_dout_{o}", v[f"out_{o}"] - targets[o])
        put(f"dout_{o}_dsum_{o}", v[f"out_{o}"] * (1 - v[f"out_{o}"]))
    for o, wiring in OUTPUT_WIRING.items():
        for w, src in wiring:
            put(f"dE_d{w}", v[f"dE_dout_{o}"] * v[f"dout_{o}_dsum_{o}"] * v[f"out_{src}"])
    for wiring in OUTPUT_WIRING.values():
        for w, _ in wiring:
            put(f"new_{w}", g[w] - g["learning_rate"] * v[f"dE_d{w}"])
    for h in HIDDEN_WIRING:
        put(f"dout_{h}_dsum_{h}", v[f"out_{h}"] * (1 - v[f"out_{h}"]))
    for w, h, src in sorted((w, h, src) for h, ws in HIDDEN_WIRING.items() for w, src in ws):
        for k, o in ((1, "o1"), (2, "o2")):
            w_out = next(wo for wo, s in OUTPUT_WIRING[o] if s == h)
            put(f"dE{k}_d{w}", v[f"dE_dout_{o}"] * v[f"dout_{o}_dsum_{o}"] * g[w_out]
                * v[f"dout_{h}_dsum_{h}"] * g[src])  # fmt: skip
        put(f"dE_d{w}", v[f"dE1_d{w}"] + v[f"dE2_d{w}"])
    for w in ("w1", "w2", "w3", "w4"):
        put(f"new_{w}", g[w] - g["learning_rate"] * v[f"dE_d{w}"])
    return {k: float(x) for k, x in v.items()}
