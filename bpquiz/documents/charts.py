"""The summary's charts as SVG: plain rects and text, which WeasyPrint paints quickly."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any

from ..constants import STATUS_COLOURS, STATUSES

FILL = {status: colours["fill"] for status, colours in STATUS_COLOURS.items()}


def histogram(percents: Sequence[float], bins: int = 10) -> list[int]:
    """Counts of percent scores in [0,10), [10,20), … [90,100] (100 falls in the last bin)."""
    counts = [0] * bins
    for p in percents:
        counts[min(bins - 1, max(0, int(p // (100 / bins))))] += 1
    return counts


def svg_histogram(
    percents: Sequence[float],
    words: tuple[str, str] = ("score (%)", "students"),
    width: int = 640,
    height: int = 190,
) -> str:
    """Students per 10-point band of the score; `words`: the two axes' titles."""
    counts = histogram(percents)
    top = max(counts) or 1
    left, bottom, right, head = 34, 26, 8, 10
    plot_w, plot_h = width - left - right, height - bottom - head
    bar = plot_w / len(counts)
    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans" font-size="9">'
        )
    ]
    ticks = _ticks(top)
    for t in ticks:
        y = head + plot_h - plot_h * t / ticks[-1]
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            'stroke="#ddd" stroke-width="0.6"/>'
        )
        parts.append(f'<text x="{left - 4}" y="{y + 3:.1f}" text-anchor="end">{t}</text>')
    for i, c in enumerate(counts):
        h = plot_h * c / ticks[-1]
        x = left + i * bar
        if c:
            parts.append(
                f'<rect x="{x + 2:.1f}" y="{head + plot_h - h:.1f}" width="{bar - 4:.1f}" '
                f'height="{h:.1f}" fill="#4a78b0"/>'
            )
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{head + plot_h - h - 2:.1f}" '
                f'text-anchor="middle" font-size="8">{c}</text>'
            )
        parts.append(
            f'<text x="{x:.1f}" y="{height - bottom + 12}" text-anchor="middle">{i * 10}</text>'
        )
    parts.append(
        f'<text x="{left + plot_w:.1f}" y="{height - bottom + 12}" text-anchor="middle">100</text>'
    )
    parts.append(
        f'<line x1="{left}" y1="{head + plot_h}" x2="{width - right}" y2="{head + plot_h}" '
        'stroke="#333" stroke-width="0.8"/>'
    )
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 2}" text-anchor="middle">'
        f"{escape(words[0])}</text>"
    )
    parts.append(
        f'<text x="9" y="{head + plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 9 {head + plot_h / 2:.1f})">{escape(words[1])}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _ticks(top: int) -> list[int]:
    step = max(1, math.ceil(top / 4))
    for nice in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if nice >= step:
            step = nice
            break
    return list(range(0, top + step, step)) if top % step else list(range(0, top + 1, step))


def svg_facility(
    per_step: dict[str, dict[str, Any]],
    step_ids: Sequence[str],
    names: dict[str, str] | None = None,
    width: int = 640,
) -> str:
    """One stacked bar per step: shares correct, ecf, wrong, blank, unreadable (`names`: each
    status as the legend writes it)."""
    names = names or {s: s for s in STATUSES}
    row, label_w, right, head = 13.0, 104, 32, 16
    height = int(head + row * len(step_ids) + 6)
    plot_w = width - label_w - right
    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans" font-size="7.5">'
        )
    ]
    x = label_w
    for status in STATUSES:  # legend
        parts.append(f'<rect x="{x}" y="2" width="8" height="8" fill="{FILL[status]}"/>')
        parts.append(f'<text x="{x + 11}" y="9">{escape(names[status])}</text>')
        x += 14 + 6 * len(names[status]) + 10
    for k, sid in enumerate(step_ids):
        s = per_step[sid]
        total = sum(s[st] for st in STATUSES) or 1
        y = head + k * row
        parts.append(
            f'<text x="{label_w - 4}" y="{y + 7.5:.1f}" text-anchor="end">{escape(sid)}</text>'
        )
        x = float(label_w)
        for status in STATUSES:
            w = plot_w * s[status] / total
            if w > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{row - 2:.1f}" '
                    f'fill="{FILL[status]}"/>'
                )
            x += w
        parts.append(
            f'<text x="{label_w + plot_w + 3}" y="{y + 7.5:.1f}">{100 * s["facility"]:.0f}%</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
