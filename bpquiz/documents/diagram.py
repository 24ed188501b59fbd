"""The network diagram of any N-M-K exercise, as SVG: units in three columns, every edge an arrow
labelled with its weight, biases in boxes attached to the units they feed, targets at the outputs.

Two layers of one size: the drawing, the same for every student (laid out once per run), and
the numbers, one variant's values, drawn over it. Lines, circles, small polygons and text only:
WeasyPrint paints SVG paths slowly. Labels keep the documents' notation (w₁, b₁, i₁, target₁).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from html import escape

from ..exercise.model import Exercise

R = 17  # a unit's radius
BOX_W, BOX_H = 62, 15  # a weight label: "w₁₂ =" and up to five characters of value (−0.95)
SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def sub(name: str) -> str:
    """w5 -> w₅, target1 -> target₁ (digits only; b_h1 -> b with h1 as <tspan>)."""
    return name.translate(SUBSCRIPT)


@dataclass(frozen=True)
class Geometry:
    width: float
    height: float
    nodes: dict[str, tuple[float, float]]
    labels: dict[str, tuple[float, float]]  # weight -> centre of its label box
    biases: dict[str, tuple[float, float]]  # bias -> centre of its box
    values: bool  # small enough to print each weight's value on its edge


@cache
def geometry(exercise: Exercise) -> Geometry:
    """Where everything goes. The article's 2-2-2 (and anything as small) prints each weight's
    value on its edge; larger networks print the weights' names, spread out: each edge's label
    sits at a fraction of the way that depends on its target, so that the labels into one unit
    share a column and the labels of one column lie on edges from different sources."""
    n, m, k = exercise.shape
    rows = max(n, m, k)
    values = n * m <= 4 and m * k <= 4
    gap = 140 if values else 200  # between the columns
    step = 100 if rows <= 2 else 90
    top = 46
    columns = {"i": 70, "h": 70 + gap, "o": 70 + 2 * gap}

    def column(prefix: str, count: int) -> dict[str, tuple[float, float]]:
        offset = (rows - count) * step / 2
        return {
            f"{prefix}{a + 1}": (columns[prefix], top + offset + a * step) for a in range(count)
        }

    nodes = {**column("i", n), **column("h", m), **column("o", k)}
    labels = {}
    for w, (src, dst) in exercise.weights.items():
        (x1, y1), (x2, y2) = nodes[src], nodes[dst]
        if values:  # the article's: straight edges half-way, crossing ones near their source
            t = 0.5 if y1 == y2 else 0.24
        else:
            targets = sorted({d for s, d in exercise.weights.values() if s == src})
            t = 0.22 + 0.58 * targets.index(dst) / max(1, len(targets) - 1)
        labels[w] = (x1 + R + (x2 - x1 - 2 * R) * t, y1 + (y2 - y1) * t)
    biases = {}
    per_unit = exercise.biases == "per-unit"
    bottom = top + step * (rows - 1)
    for b, units in exercise.biases_of.items():
        x, y = nodes[units[0]]
        biases[b] = (x - 30, y + 34) if per_unit else (x - 44, bottom + 62)
    height = bottom + (50 if per_unit else 90)
    return Geometry(columns["o"] + 90, height, nodes, labels, biases, values)


def _arrow(x1: float, y1: float, x2: float, y2: float, colour: str = "#222") -> str:
    """A line ending in a small filled arrowhead at (x2, y2)."""
    angle = math.atan2(y2 - y1, x2 - x1)
    back = [
        (x2 - 7 * math.cos(angle + s * 0.38), y2 - 7 * math.sin(angle + s * 0.38)) for s in (-1, 1)
    ]
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in ((x2, y2), *back))
    return (
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2 - 5 * math.cos(angle):.1f}" '
        f'y2="{y2 - 5 * math.sin(angle):.1f}" stroke="{colour}" stroke-width="1.05"/>'
        f'<polygon points="{points}" fill="{colour}"/>'
    )


def _text(x: float, y: float, body: str, size: float, extra: str = "") -> str:
    """An SVG text element at (x, y)."""
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}"{extra}>{body}</text>'


def _name(base: str, subscript: str, size: float, italic: bool = True) -> str:
    """A symbol as SVG text: an italic letter with an upright subscript."""
    style = ' font-style="italic" font-family="DejaVu Serif"' if italic else ""
    lowered = (
        f'<tspan font-size="{size * 0.72:.1f}" font-style="normal" dy="2.5">{subscript}</tspan>'
    )
    return f"<tspan{style}>{base}</tspan>{lowered if subscript else ''}"


def _split(name: str) -> tuple[str, str]:
    """(letter, subscript) of a unit, weight or bias name: w5 -> (w, 5), b_h1 -> (b, h1)."""
    if name.startswith("b_"):
        return "b", name[2:]
    base = name.rstrip("0123456789")
    return base, name[len(base) :]


@cache
def drawing(exercise: Exercise, words: tuple[str, str, str, str]) -> str:
    """The shared layer: units, arrows, label boxes with the weights' names, bias boxes.

    `words`: the translated "input layer", "hidden layer", "output layer", "target".
    """
    g = geometry(exercise)
    parts = [_svg_open(g, 'role="img"'), f"<title>{escape(_title(exercise))}</title>"]
    for src, dst in exercise.weights.values():
        (x1, y1), (x2, y2) = g.nodes[src], g.nodes[dst]
        angle = math.atan2(y2 - y1, x2 - x1)
        parts.append(_arrow(x1 + R * math.cos(angle), y1 + R * math.sin(angle),
                            x2 - R * math.cos(angle), y2 - R * math.sin(angle)))  # fmt: skip
    for b, units in exercise.biases_of.items():
        bx, by = g.biases[b]
        for u in units:  # to each unit's lower left, clear of the units between
            ux, uy = g.nodes[u]
            parts.append(
                f'<line x1="{bx:.1f}" y1="{by - 11:.1f}" x2="{ux - R * 0.72:.1f}" '
                f'y2="{uy + R * 0.7:.1f}" stroke="#777" stroke-width="0.9" stroke-dasharray="3 2"/>'
            )
    for o in exercise.output_units:  # arrows out of the outputs, towards the targets
        x, y = g.nodes[o]
        parts.append(_arrow(x + R, y, x + R + 22, y))
        parts.append(_text(x + R + 27, y - 5, escape(words[3]), 9.5, ' fill="#444"'))
    for name, (x, y) in g.nodes.items():
        fill = "#eef3fb" if name[0] == "h" else "#fff"
        parts.append(
            f'<circle cx="{x}" cy="{y}" r="{R}" fill="{fill}" stroke="#222" stroke-width="1.3"/>'
        )
        parts.append(_text(x, y + 4.5, _name(*_split(name), 14), 14, ' text-anchor="middle"'))
    for w, (x, y) in g.labels.items():
        width = BOX_W if g.values else 26
        parts.append(
            f'<rect x="{x - width / 2:.1f}" y="{y - 8.5:.1f}" width="{width}" height="{BOX_H}" '
            'rx="3" fill="#fff" stroke="#bbb" stroke-width="0.6"/>'
        )
        anchor = ("end", x - 1) if g.values else ("middle", x)
        label = _name(*_split(w), 10) + ('<tspan dy="-2.5"> =</tspan>' if g.values else "")
        parts.append(_text(anchor[1], y + 3.5, label, 10, f' text-anchor="{anchor[0]}"'))
    for b, (x, y) in g.biases.items():
        parts.append(
            f'<rect x="{x - 22}" y="{y - 11}" width="{68 if g.values else 30}" height="18" rx="4" '
            'fill="#fff" stroke="#777" stroke-width="1"/>'
        )
        suffix = '<tspan dy="-2.5"> =</tspan>' if g.values else ""
        parts.append(_text(x - 18, y + 2.5, _name(*_split(b), 11) + suffix, 11))
    heads = zip(("i1", "h1", "o1"), words[:3])
    parts.append('<g font-size="10" fill="#444" text-anchor="middle">')
    parts += [f'<text x="{g.nodes[u][0]}" y="12">{escape(text)}</text>' for u, text in heads]
    parts.append("</g></svg>")
    return "".join(parts)


def numbers(exercise: Exercise, shown: dict[str, str]) -> str:
    """One variant's layer: each given value where the drawing leaves room for it (`shown`:
    name -> the number as the documents write it)."""
    g = geometry(exercise)
    parts = [_svg_open(g, 'aria-hidden="true"')]
    if g.values:
        for w, (x, y) in g.labels.items():
            parts.append(
                f'<text x="{x + 2:.1f}" y="{y + 3.5:.1f}" font-size="10">{escape(shown[w])}</text>'
            )
        for b, (x, y) in g.biases.items():
            parts.append(
                f'<text x="{x + 9}" y="{y + 2.5}" font-size="11">{escape(shown[b])}</text>'
            )
    for i in exercise.inputs:
        x, y = g.nodes[i]
        parts.append(_text(x - R - 6, y + 4, escape(shown[i]), 11, ' text-anchor="end"'))
    for t, o in zip(exercise.targets, exercise.output_units):
        x, y = g.nodes[o]
        parts.append(
            f'<text x="{x + R + 27}" y="{y + 11}" font-size="11">{escape(shown[t])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _svg_open(g: Geometry, extra: str) -> str:
    return (
        '<svg class="network" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="8 0 {g.width} {g.height}" '
        f'font-family="DejaVu Sans" {extra}>'
    )


def _title(exercise: Exercise) -> str:
    n, m, k = exercise.shape
    return f"Network {n}-{m}-{k}: inputs, hidden units and outputs, every weight on its edge"


def standalone(exercise: Exercise, shown: dict[str, str], words: tuple[str, str, str, str]) -> str:
    """Both layers as one SVG document (for an LMS question): the numbers over the drawing."""
    drawing_svg = drawing(exercise, words)
    inner = numbers(exercise, shown).split(">", 1)[1].rsplit("</svg>", 1)[0]
    return drawing_svg.replace("</svg>", inner + "</svg>")
