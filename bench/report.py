"""Benchmark results and the printed table.

Each row states a figure and its target, and, where the issue asks for one, a
baseline measured in the same run and the ratio against it with its own target.
A target that is missed is reported as ``MISSED``; it never fails the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Result:
    name: str
    figure: str = "-"
    target: str = "-"
    met: bool | None = None  # None: no target, or nothing measured
    baseline: str = "-"
    ratio: str = "-"
    ratio_target: str = "-"
    ratio_met: bool | None = None
    notes: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # printed as they are, after the notes


def not_run(name: str, why: str, target: str = "-") -> Result:
    """A row for a benchmark that could not be measured, saying why (never a made-up figure)."""
    return Result(name, figure="not measured", target=target, notes=[why])


def verdict(met: bool | None) -> str:
    return {True: "ok", False: "MISSED", None: "-"}[met]


def at_most(value: float, limit: float) -> bool:
    return value <= limit


def at_least(value: float, limit: float) -> bool:
    return value >= limit


COLUMNS = ("benchmark", "figure", "target", "", "baseline (same run)", "ratio", "ratio target", "")


def table(results: list[Result]) -> str:
    """A Markdown table (readable as plain text too), then the notes of each row."""
    rows = [
        (r.name, r.figure, r.target, verdict(r.met), r.baseline, r.ratio, r.ratio_target, verdict(r.ratio_met))
        for r in results
    ]
    widths = [max(len(str(row[i])) for row in [COLUMNS, *rows]) for i in range(len(COLUMNS))]

    def line(cells) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"

    out = [line(COLUMNS), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(row) for row in rows]
    notes = [(r.name, n) for r in results for n in r.notes]
    if notes:
        out.append("")
        out.append("Notes:")
        out += [f"- {name}: {note}" for name, note in notes]
    for r in results:
        if r.details:
            out += ["", f"{r.name}:", "```", *r.details, "```"]
    return "\n".join(out)
