"""Sparklines: a tiny SVG line of daily values, drawn on the server and sent as an image.

An ``<img>`` with an SVG data URI costs no plotly.js instance per tile (a wall of
tiles stays fast), scales crisply on any screen, and carries its values in ``alt``
for screen readers.
"""

from __future__ import annotations

import base64
from typing import Callable

import numpy as np
from dash import html

from .palette import OKABE_ITO

WIDTH, HEIGHT, PAD = 84, 24, 2.5


def points(values: np.ndarray, width: float = WIDTH, height: float = HEIGHT) -> list[list[tuple[float, float]]]:
    """SVG coordinates of the values, split into runs at NaN (a day without data breaks the line).

    x spreads the values evenly over the width; y spans the values' own range (a flat
    series sits in the middle), higher values drawn higher.
    """
    values = np.asarray(values, dtype=np.float64)
    finite = values[~np.isnan(values)]
    if finite.size == 0:
        return []
    lo, hi = float(finite.min()), float(finite.max())
    step = (width - 2 * PAD) / max(values.size - 1, 1)
    runs: list[list[tuple[float, float]]] = [[]]
    for i, v in enumerate(values):
        if np.isnan(v):
            if runs[-1]:
                runs.append([])
            continue
        y = height / 2 if hi == lo else height - PAD - (v - lo) / (hi - lo) * (height - 2 * PAD)
        runs[-1].append((round(PAD + i * step, 2), round(y, 2)))
    return [run for run in runs if run]


def svg(values: np.ndarray, color: str = OKABE_ITO["blue"]) -> str:
    runs = points(values)
    shapes = []
    for run in runs:
        if len(run) == 1:  # a lone day between gaps: a dot, or it would not show
            shapes.append(f'<circle cx="{run[0][0]}" cy="{run[0][1]}" r="1.6" fill="{color}"/>')
        else:
            coords = " ".join(f"{x},{y}" for x, y in run)
            shapes.append(f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="1.6" '
                          'stroke-linejoin="round" stroke-linecap="round"/>')
    if runs:  # the newest value, marked
        x, y = runs[-1][-1]
        shapes.append(f'<circle cx="{x}" cy="{y}" r="2.2" fill="{color}"/>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
            f'height="{HEIGHT}">{"".join(shapes)}</svg>')


def sparkline(values: np.ndarray, describe: Callable[[float], str], what: str) -> html.Img:
    """The image of ``values``; ``describe`` formats one value for the ``alt`` text."""
    said = ", ".join("no data" if np.isnan(v) else describe(float(v)) for v in np.asarray(values, dtype=np.float64))
    src = "data:image/svg+xml;base64," + base64.b64encode(svg(values).encode()).decode()
    return html.Img(src=src, alt=f"{what}, oldest first: {said}", className="sparkline", width=WIDTH, height=HEIGHT)
