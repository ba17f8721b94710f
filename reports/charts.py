"""Report charts as SVG from matplotlib's SVG backend (no pyplot, no global state, no
browser), embedded in the HTML as data URIs.

Two builds of one period must give the same bytes: the SVG's ids are salted with a fixed
string instead of a random one and its date metadata is left out. Glyphs are drawn as
paths, so the chart looks the same whatever fonts the PDF reader has.

matplotlib is imported inside each function: no other command pays for it at start-up.
"""

from __future__ import annotations

import base64
import io
from typing import Mapping, Sequence

PALETTE = ("#2f5fa7", "#c0392b", "#e08e0b", "#2e8b57", "#7d3c98", "#5d6d7e", "#17a2b8", "#8c564b")
STATUS_COLOURS = {"succeeded": "#2e8b57", "failed": "#c0392b", "rolled_back": "#e08e0b"}
_RC = {"svg.hashsalt": "sloboard-report", "svg.fonttype": "path", "font.family": "DejaVu Sans", "font.size": 8,
       "axes.spines.top": False, "axes.spines.right": False, "axes.edgecolor": "#9aa5b8", "axes.grid": True,
       "grid.color": "#e3e7ee", "grid.linewidth": 0.6, "legend.frameon": False, "axes.axisbelow": True}


def _figure(width_mm: float, height_mm: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width_mm / 25.4, height_mm / 25.4), layout="constrained")


def _data_uri(figure) -> str:
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    buffer = io.BytesIO()
    FigureCanvasSVG(figure).print_svg(buffer, metadata={"Date": None, "Creator": "sloboard"})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _rc():
    import matplotlib

    return matplotlib.rc_context(_RC)


def lines(x_labels: Sequence[str], series: Mapping[str, Sequence[float | None]], *, y_label: str,
          percent: bool = False, width_mm: float = 178, height_mm: float = 62) -> str:
    """One line per named series over the labelled points (None: no data, a gap)."""
    with _rc():
        figure = _figure(width_mm, height_mm)
        ax = figure.add_subplot()
        x = list(range(len(x_labels)))
        for i, (name, values) in enumerate(series.items()):
            y = [float("nan") if v is None else (v * 100 if percent else v) for v in values]
            ax.plot(x, y, label=name, color=PALETTE[i % len(PALETTE)], linewidth=1.4)
        _label_x(ax, x_labels)
        ax.set_ylabel(y_label)
        if series:
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)
        return _data_uri(figure)


def stacked_bars(x_labels: Sequence[str], stacks: Mapping[str, Sequence[float]], *, y_label: str,
                 colours: Mapping[str, str] = STATUS_COLOURS, width_mm: float = 85, height_mm: float = 55) -> str:
    """Bars per label, one stacked segment per named series."""
    with _rc():
        figure = _figure(width_mm, height_mm)
        ax = figure.add_subplot()
        x = list(range(len(x_labels)))
        bottom = [0.0] * len(x_labels)
        for i, (name, values) in enumerate(stacks.items()):
            ax.bar(x, values, bottom=bottom, label=name.replace("_", " "), width=0.7,
                   color=colours.get(name, PALETTE[i % len(PALETTE)]))
            bottom = [b + v for b, v in zip(bottom, values)]
        _label_x(ax, x_labels)
        ax.set_ylabel(y_label)
        ax.legend(loc="upper left", fontsize=7, ncols=len(stacks))
        ax.set_ylim(0, max(bottom, default=0) * 1.3 + 1)
        return _data_uri(figure)


def bars(x_labels: Sequence[str], values: Sequence[float | None], *, y_label: str, colour: str = PALETTE[0],
         width_mm: float = 85, height_mm: float = 55) -> str:
    """One bar per label (None: no bar)."""
    return stacked_bars(x_labels, {y_label: [0.0 if v is None else v for v in values]}, y_label=y_label,
                        colours={y_label: colour}, width_mm=width_mm, height_mm=height_mm)


def _label_x(ax, labels: Sequence[str]) -> None:
    """Ticks at the labelled points (an empty label: no tick), at most about twelve."""
    shown = [i for i, label in enumerate(labels) if label]
    every = max(1, -(-len(shown) // 12))
    shown = shown[::every]
    ax.set_xticks(shown, [labels[i] for i in shown])
    ax.tick_params(axis="both", labelsize=7)
