"""The words of a PDF and where they are, as poppler's pdftotext reads them (an independent
reader): to check that a stamped document shows what a full render of it shows, in place."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path


def words(pdf: Path | bytes) -> list[tuple[int, str, tuple[float, ...]]]:
    """Every word of a PDF with its page and bounding box, as poppler's pdftotext reads them."""
    source = ["-"] if isinstance(pdf, bytes) else [str(pdf)]
    xml = subprocess.run(
        ["pdftotext", "-bbox", *source, "-"],
        input=pdf if isinstance(pdf, bytes) else None, capture_output=True, check=True,
    ).stdout.decode()  # fmt: skip
    found, page = [], -1
    for line in xml.splitlines():
        if "<page " in line:
            page += 1
        elif m := re.search(
            r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*)</word>', line
        ):
            found.append((page, m.group(5), tuple(float(m.group(k)) for k in range(1, 5))))
    return sorted(found)


def same_words(stamped: list, expected: list, who: str = "") -> None:
    """Assert the same words on the same pages, each within 0.05 pt of its place in `expected`
    (each matched to the nearest same word, once)."""
    assert [(p, w) for p, w, _ in stamped] == [(p, w) for p, w, _ in expected], who
    places: dict[tuple[int, str], list[tuple[float, ...]]] = {}
    for page, word, box in expected:
        places.setdefault((page, word), []).append(box)
    for page, word, box in stamped:
        candidates = places[(page, word)]
        distance, nearest = min(
            (max(abs(a - b) for a, b in zip(box, other)), k) for k, other in enumerate(candidates)
        )
        assert distance < 0.05, (who, page, word, distance)
        candidates.pop(nearest)
