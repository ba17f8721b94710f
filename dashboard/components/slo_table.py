"""The SLO status table (overview and service pages): one row per SLO from ``status_report``,
worst budget first, with a budget bar, burn rate per alert window, alerts and policy."""

from __future__ import annotations

from typing import Any, Sequence

from dash.dash_table.Format import Format, Scheme, Symbol

from .palette import LEVEL_TEXT
from .levels import alert_level, policy_level
from .tables import bar_style, data_table, quoted



def percent_format(digits: int) -> Format:
    return Format(precision=digits, scheme=Scheme.fixed).symbol(Symbol.yes).symbol_suffix("%").nully("no data")


RATE_FORMAT = Format(precision=2, scheme=Scheme.fixed).symbol(Symbol.yes).symbol_suffix("×").nully("–")


def worst_first(slos: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """By budget remaining, lowest first; SLOs without data last, then by id."""
    return sorted(slos, key=lambda s: (s["budget_remaining"] is None, s["budget_remaining"] or 0.0, s["id"]))


def long_windows(slos: Sequence[dict[str, Any]]) -> list[str]:
    """The long window of every alert shown, in the order the alerts are defined."""
    labels: list[str] = []
    for s in slos:
        for a in s["alerts"]:
            if a["long"] not in labels:
                labels.append(a["long"])
    return labels


def _percent(value: float | None) -> float | None:
    return None if value is None else value * 100.0


def _alerts_text(alerts: list[dict]) -> str:
    level = alert_level(alerts)
    firing = [f"{a['long']}/{a['short']}" for a in alerts if a["firing"]]
    return f"{level.icon} {level.word}" + (f" {', '.join(firing)}" if firing else "")


def slo_rows(slos: Sequence[dict[str, Any]], windows: Sequence[str]) -> list[dict[str, Any]]:
    rows = []
    for s in slos:
        policy = policy_level(s["policy"])
        row = {
            "slo": s["id"],
            "service": s["service"],
            "team": s["team"],
            "objective": _percent(s["objective"]),
            "window": s["window"],
            "sli": _percent(s["sli"]),
            "budget_remaining": _percent(s["budget_remaining"]),
            "alerts": _alerts_text(s["alerts"]),
            "policy": f"{policy.icon} {policy.word}",
            "completeness": _percent(s["data_completeness"]),
        }
        for label in windows:
            row[f"burn_{label}"] = s["burn_rates"].get(label)
        rows.append(row)
    return rows


def slo_table(table_id: str, slos: Sequence[dict[str, Any]], *, empty_title: str, empty_hint: str):
    ordered = worst_first(slos)
    windows = long_windows(ordered)
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
    styles = []
    for s in ordered:
        color = LEVEL_TEXT[policy_level(s["policy"]).name] + "55"  # translucent bar
        styles.append(bar_style(f"{{slo}} = {quoted(s['id'])}", "budget_remaining", s["budget_remaining"], color))
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
        link_columns=("slo",),
        caption="Worst error budget first. Click an SLO to open its detail page. Burn rates are over each alert's long window.",
    )
