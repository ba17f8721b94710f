"""The SLO status table (overview and service pages): one row per SLO from ``status_report``,
worst budget first, with a budget bar, burn rate per alert window, alerts and policy.

Burn-rate columns are the long windows of the alert tables, shortest first, and only
those that at least half of the SLOs shown alert on: one team's extra alert (a ``1d``
ticket) would otherwise add a column that is empty for every other SLO. The caption
names the windows left out; each SLO's page shows all of its own."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, Sequence

from dash.dash_table.Format import Format, Scheme, Symbol

from sloboard.domain import parse_duration
from sloboard.reads.status import AlertEntry, SLOEntry

from .levels import alert_level, policy_level
from .palette import LEVEL_TEXT
from .tables import bar_style, data_table, quoted


def percent_format(digits: int) -> Format:
    return Format(precision=digits, scheme=Scheme.fixed).symbol(Symbol.yes).symbol_suffix("%").nully("no data")


RATE_FORMAT = Format(precision=2, scheme=Scheme.fixed).symbol(Symbol.yes).symbol_suffix("×").nully("–")


def worst_first(slos: Sequence[SLOEntry]) -> list[SLOEntry]:
    """By budget remaining, lowest first; SLOs without data last, then by id."""
    return sorted(slos, key=lambda s: (s.budget_remaining is None, s.budget_remaining or 0.0, s.id))


def long_windows(slos: Sequence[SLOEntry]) -> tuple[list[str], dict[str, int]]:
    """The alerts' long windows that at least half of ``slos`` use, shortest first, and the
    others with the number of SLOs that use each."""
    users = Counter(label for s in slos for label in {a.long for a in s.alerts})
    by_length = sorted(users, key=lambda label: parse_duration(label))
    shown = [label for label in by_length if 2 * users[label] >= len(slos)]
    return shown, {label: users[label] for label in by_length if label not in shown}


def _burn_caption(shown: list[str], left_out: dict[str, int], total: int) -> str:
    if not shown and not left_out:
        return "No SLO shown has burn-rate alerts."
    text = "Burn rates are over each alert's long window"
    if left_out:
        few = ", ".join(f"{label} ({n} of {total} SLOs alert on it)" for label, n in left_out.items())
        text += f"; {few} {'is' if len(left_out) == 1 else 'are'} shown on those SLOs' pages"
    return text + "."


def _percent(value: float | None) -> float | None:
    return None if value is None else value * 100.0


def _alerts_text(alerts: Sequence[AlertEntry]) -> str:
    level = alert_level(alerts)
    firing = [f"{a.long}/{a.short}" for a in alerts if a.firing]
    return f"{level.icon} {level.word}" + (f" {', '.join(firing)}" if firing else "")


def slo_rows(slos: Sequence[SLOEntry], windows: Sequence[str]) -> list[dict[str, Any]]:
    rows = []
    for s in slos:
        policy = policy_level(s.policy)
        row = {
            "slo": s.id,
            "service": s.service,
            "team": s.team,
            "objective": _percent(s.objective),
            "window": s.window,
            "sli": _percent(s.sli),
            "budget_remaining": _percent(s.budget_remaining),
            "alerts": _alerts_text(s.alerts),
            "policy": f"{policy.icon} {policy.word}",
            "completeness": _percent(s.data_completeness),
        }
        for label in windows:
            row[f"burn_{label}"] = s.burn_rates.get(label)
        rows.append(row)
    return rows


def budget_bars(slos: Sequence[SLOEntry]) -> list[dict[str, Any]]:
    """The bars behind the budget cells: one style per whole percent of budget left and
    policy level that ``slos`` have (at most 400 however many SLOs; a style per row, its
    filter the row's link, made the browser test a thousand filters on every cell shown),
    none where no budget is left."""
    # A cell shows percent p when its value lies in [p - 0.5, p + 0.5): floor(value + 0.5).
    bars = sorted({(min(100, math.floor(s.budget_remaining * 100 + 0.5)), policy_level(s.policy))
                   for s in slos if s.budget_remaining is not None and s.budget_remaining >= 0.005},
                  key=lambda bar: (bar[0], bar[1].name))
    return [bar_style(f"{{budget_remaining}} >= {percent - 0.5} && {{budget_remaining}} < {percent + 0.5} "
                      f"&& {{policy}} contains {quoted(level.icon)}",
                      "budget_remaining", percent / 100, LEVEL_TEXT[level.name] + "55")  # translucent bar
            for percent, level in bars]


def slo_table(table_id: str, slos: Sequence[SLOEntry], *, empty_title: str, empty_hint: str,
              query: str = ""):
    """``query``: the page's query string, which the SLO and service links carry."""
    ordered = worst_first(slos)
    windows, left_out = long_windows(ordered)
    columns = [
        {"id": "slo", "name": "SLO"},
        {"id": "service", "name": "Service"},
        {"id": "team", "name": "Team"},
        {"id": "objective", "name": "Objective", "type": "numeric", "format": percent_format(2)},
        {"id": "window", "name": "Window"},
        {"id": "sli", "name": "SLI", "type": "numeric", "format": percent_format(3)},
        {"id": "budget_remaining", "name": "Budget remaining", "type": "numeric", "format": percent_format(1)},
        *[{"id": f"burn_{w}", "name": f"Burn {w}", "type": "numeric", "format": RATE_FORMAT} for w in windows],
        {"id": "alerts", "name": "Alerts"},
        {"id": "policy", "name": "Policy"},
        {"id": "completeness", "name": "Data", "type": "numeric", "format": percent_format(0)},
    ]
    styles = budget_bars(ordered)
    for icon, level in (("✕", "bad"), ("▲", "warn"), ("✓", "good"), ("?", "unknown")):
        for col in ("alerts", "policy"):
            styles.append({"if": {"filter_query": f"{{{col}}} contains {quoted(icon)}", "column_id": col},
                           "color": LEVEL_TEXT[level], "fontWeight": "600"})
    return data_table(
        table_id,
        columns,
        slo_rows(ordered, windows),
        empty_title=empty_title,
        empty_hint=empty_hint,
        style_data_conditional=styles,
        link_columns=("slo", "service"),
        query=query,
        caption="Worst error budget first. " + _burn_caption(windows, left_out, len(ordered)),
    )
