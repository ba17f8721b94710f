"""SLO status at a point in time: the one query that the CLI, the dashboard, the
reports and the HTTP API all call, so a number can never differ between them.

``status_report`` returns plain data in the shape of the public JSON contract:
``{"at", "slos": [...], "dora": [...], "cost": [...]}``.
"""

from __future__ import annotations

import json
import math
from typing import Any, Sequence

from .domain import SLO, format_duration
from .engine import evaluate, window_bounds
from .timeparse import iso


def _number(value: Any) -> float | None:
    """NaN and None both mean "no data" and become JSON null."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def policy_state(slo: SLO, budget_remaining: float | None) -> str:
    """``freeze``, ``warn`` or ``ok`` under the SLO's error-budget policy; ``unknown`` without data."""
    if budget_remaining is None:
        return "unknown"
    if budget_remaining < slo.policy.freeze_below:
        return "freeze"
    if budget_remaining < slo.policy.warn_below:
        return "warn"
    return "ok"


def lookback_start(slo: SLO, at_epoch: int) -> int:
    """The earliest time any part of the status needs: the window or the longest alert window."""
    start, _ = window_bounds(slo.window, at_epoch)
    longest = max((int(a.long.total_seconds()) for a in slo.alert_windows), default=0)
    return min(start, at_epoch - longest)


def slo_status(slo: SLO, arrays, at_epoch: int, step_s: int) -> dict[str, Any]:
    ts, good, total = arrays
    st = evaluate(slo, ts, good, total, at_epoch, step_s=step_s)
    remaining = _number(st.budget_remaining)
    return {
        "id": slo.id,
        "service": slo.service,
        "team": slo.team,
        "objective": slo.objective,
        "window": slo.window.label,
        "window_start": iso(st.window_start),
        "sli": _number(st.sli),
        "good": _number(st.good),
        "total": _number(st.total),
        "budget_remaining": remaining,
        "budget_consumed": _number(st.budget_consumed),
        "burn_rates": {label: _number(v) for label, v in st.burn_rates.items()},
        "alerts": [
            {
                "severity": a.severity.value,
                "long": format_duration(a.long),
                "short": format_duration(a.short),
                "threshold": a.threshold,
                "long_burn_rate": _number(a.long_rate),
                "short_burn_rate": _number(a.short_rate),
                "firing": bool(a.firing),
            }
            for a in st.alerts
        ],
        "exhaustion_at": iso(st.exhaustion_at) if st.exhaustion_at is not None else None,
        "data_completeness": _number(st.data_completeness),
        "policy": policy_state(slo, remaining),
    }


def status_report(store, slos: Sequence[SLO], at_epoch: int, *, step_s: int = 60) -> dict[str, Any]:
    """Evaluate every SLO with all windows ending at ``at_epoch`` (one read per SLO set)."""
    slos = sorted(slos, key=lambda s: s.id)
    start = min((lookback_start(s, at_epoch) for s in slos), default=at_epoch)
    samples = store.read_sli_samples_many([s.id for s in slos], start, at_epoch)
    return {
        "at": iso(at_epoch),
        "slos": [slo_status(s, samples[s.id], at_epoch, step_s) for s in slos],
        "dora": [],
        "cost": [],
    }


def to_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, allow_nan=False)


def _fmt_pct(value: float | None, digits: int = 3) -> str:
    return "no data" if value is None else f"{value * 100:.{digits}f}%"


def _fmt_rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def render_table(report: dict[str, Any]) -> str:
    """A fixed-width table for a terminal; "no data" where nothing is known."""
    rows = report["slos"]
    if not rows:
        return f"at {report['at']}: no SLOs loaded (put specs in slo_specs/ and run sloboard validate)"
    header = ("SLO", "objective", "window", "SLI", "budget left", "burn 1h", "alerts", "data")
    lines = [header]
    for r in rows:
        firing = [f"{a['severity']}({a['long']}/{a['short']})" for a in r["alerts"] if a["firing"]]
        lines.append(
            (
                r["id"],
                _fmt_pct(r["objective"]),
                r["window"],
                _fmt_pct(r["sli"]),
                _fmt_pct(r["budget_remaining"], 1),
                _fmt_rate(r["burn_rates"].get("1h")),
                ", ".join(firing) or ("-" if r["sli"] is not None else "no data"),
                _fmt_pct(r["data_completeness"], 0),
            )
        )
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    out = [f"SLO status at {report['at']}"]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(line, widths)).rstrip() for line in lines]
    return "\n".join(out)
