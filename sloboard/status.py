"""SLO status at a point in time: the one query that the CLI, the dashboard, the
reports and the HTTP API all call, so a number can never differ between them.

``status_report`` returns plain data in the shape of the public JSON contract:
``{"at", "slos": [...], "dora": [...], "cost": [...]}``.

Reads: every window ends at ``at``, so Occurrences SLIs and cost come from sums that
the database adds up between the window starts (hourly rollups for whole hours, raw
steps at the window edges: ``sloboard.window_reads``), in one read for those SLOs and
one for all cost series; the sums equal the raw steps' sums. Time-slice SLOs read
hourly rollups with raw edges when their slices are whole hours, raw steps otherwise.
"""

from __future__ import annotations

import json
import math
from typing import Any, Collection, Sequence

from datetime import datetime, timezone

import numpy as np

from .domain import SLO, BudgetingMethod, Deployment, format_duration
from .engine import evaluate
from .engine.cost import IDLE_LABEL, IDLE_SCOPE, budget_state, cost_in_window, forecast_month, month_bounds
from .engine.dora import dora_by_service
from .engine.evaluate import window_starts
from .timeparse import iso
from .window_reads import PieceRows, Rows, hourly_rows_suffice, read_series_sums, read_sli_rows, read_sli_sums

DAY_S = 86400
HOUR_S = 3600
TREND_DAYS = (7, 30)  # the periods of the dashboard's KPI trends: the last week and the last 30 days
DORA_WINDOWS = {"7d": 7 * DAY_S, "30d": 30 * DAY_S}
COST_WINDOWS = {"1d": DAY_S, "7d": 7 * DAY_S, "30d": 30 * DAY_S}


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
    """The earliest time any part of the status needs: the start of the SLO window or of
    the longest burn-rate window (the forecast's included), whichever is earlier."""
    return min(window_starts(slo, at_epoch))


def read_slo_rows(store, slos: Sequence[SLO], at_epoch: int, step_s: int, *,
                  only: Collection[str] | None = None) -> dict[str, Rows]:
    """``{slo_id: (ts, good, total, step_counts)}`` covering every window of each SLO at ``at``.

    Occurrences SLOs need only window sums: they share one read of sums per piece
    (``window_reads.read_sli_sums``). Time-slice SLOs that rollup rows serve
    (``window_reads.hourly_rows_suffice``) share one hybrid read; the others share one
    read of raw steps (``step_counts`` None: one step a row). With ``only``, just those
    SLOs' rows, planned over the windows of all ``slos`` in their group: the very rows
    the read of all of them gives those SLOs.
    """
    groups = {read: [] for read in (read_sli_sums, read_sli_rows, None)}
    for slo in slos:
        read = (read_sli_sums if slo.budgeting is BudgetingMethod.OCCURRENCES
                else read_sli_rows if hourly_rows_suffice(slo, step_s) else None)
        groups[read].append(slo)
    rows: dict[str, Rows] = {}
    for read, group in groups.items():
        wanted = [s.id for s in group if only is None or s.id in only]
        if not wanted:
            continue
        if read is not None:
            rows.update(read(store, wanted, [c for s in group for c in window_starts(s, at_epoch)], at_epoch))
        else:
            start = min(lookback_start(s, at_epoch) for s in group)
            samples = store.read_sli_samples_many(wanted, start, at_epoch)
            rows.update({slo_id: (*arrays, None) for slo_id, arrays in samples.items()})
    return rows


def slo_status(slo: SLO, rows: Rows, at_epoch: int, step_s: int) -> dict[str, Any]:
    """The public JSON entry of one SLO, from its ``(ts, good, total, step_counts)`` rows."""
    ts, good, total, step_counts = rows
    st = evaluate(slo, ts, good, total, at_epoch, step_s=step_s, step_counts=step_counts)
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


def dora_entries(store, at_epoch: int, deployments: Sequence[Deployment] | None = None) -> list[dict[str, Any]]:
    """DORA per service and for all services (``"*"``) over 7 and 30 days ending at ``at``.

    Empty when no deployment was recorded in the longest window. ``deployments``: what
    ``store.deployments`` returns for a span that holds ``(at - 30 d - 1 s, at]``, when
    the caller has read it already; None reads that span.
    """
    # The store reads (start, end]; DORA counts [start, end): one second earlier covers both.
    start = at_epoch - max(DORA_WINDOWS.values()) - 1
    if deployments is None:
        deployments = store.deployments(start=start, end=at_epoch)
    else:  # the store's own bounds on started_at, and its order kept
        deployments = [d for d in deployments if start < d.started_at.timestamp() <= at_epoch]
    if not deployments:
        return []  # nothing recorded: no data, rather than a "low" band for zero deploys
    end = datetime.fromtimestamp(at_epoch, tz=timezone.utc)
    out = []
    for label, length in DORA_WINDOWS.items():
        start = datetime.fromtimestamp(at_epoch - length, tz=timezone.utc)
        for service, m in dora_by_service(deployments, start, end).items():
            out.append(
                {
                    "service": service,
                    "window": label,
                    "deployments": m.deployments,
                    "succeeded": m.succeeded,
                    "failed": m.failed,
                    "rolled_back": m.rolled_back,
                    "deployment_frequency_per_day": m.deployment_frequency_per_day,
                    "change_failure_rate": m.change_failure_rate,
                    "rollback_rate": m.rollback_rate,
                    "time_to_restore_median_s": m.time_to_restore_median_s,
                    "lead_time_median_s": m.lead_time_median_s,
                    "bands": dict(m.bands),
                }
            )
    return sorted(out, key=lambda e: (e["service"] != "*", e["service"], DORA_WINDOWS[e["window"]]))


def cost_by_scope(store, start: int, end: int, team_of: dict[str, str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Cost samples with ``start < ts <= end`` per scope, merged by :func:`merge_cost_scopes`."""
    keys = store.series_keys("cost")
    return merge_cost_scopes(store.read_series_many("cost", keys, start, end), team_of)


def merge_cost_scopes(per_series: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]],
                      team_of: dict[str, str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``(ts, usd)`` per scope from ``{(scope, name): (ts, usd)}``, sorted by ts, with the
    sources of a scope (OpenCost, bill) added together.

    Teams get the cost of their services (``team_of`` maps service -> team) on top of
    any cost billed to the team directly; ``total`` is every stored sample once.
    """
    parts: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    for (scope, _name), (ts, usd) in sorted(per_series.items()):
        parts.setdefault(scope, []).append((ts, usd))
        parts.setdefault("total", []).append((ts, usd))
        kind, _, service = scope.partition(":")
        if kind == "service" and service in team_of:
            parts.setdefault(f"team:{team_of[service]}", []).append((ts, usd))
    merged = {}
    for scope, pieces in parts.items():
        ts = np.concatenate([p[0] for p in pieces]) if pieces else np.empty(0, np.int64)
        usd = np.concatenate([p[1] for p in pieces]) if pieces else np.empty(0)
        order = np.argsort(ts, kind="stable")
        merged[scope] = (ts[order], usd[order])
    return merged


def cost_scope_name(scope: str, *, bare: bool = False) -> str:
    """How a cost scope is shown: the idle remainder by what it is, any other as stored
    (``bare``: without its kind, ``checkout`` for ``service:checkout``)."""
    if scope == IDLE_SCOPE:
        return IDLE_LABEL
    return scope.partition(":")[2] if bare and ":" in scope else scope


def cost_cuts(at_epoch: int, timezone_name: str) -> list[int]:
    """The cuts of the cost read (``window_reads.read_series_sums``): the starts of the windows
    :func:`cost_entries` sums (the month's and ``at`` less each of ``COST_WINDOWS``), and
    the starts of the dashboard's daily cost trends (``views.cost_trends``) after the
    earliest of those, so that a read of the trends, which has all these cuts and older
    ones, sums this read's very pieces: the report's share of it equals this read.
    """
    month_start, _ = month_bounds(at_epoch, timezone_name)
    cuts = [month_start] + [at_epoch - length for length in COST_WINDOWS.values()]
    return sorted({*cuts, *(c for c in trend_day_cuts(at_epoch) if c > min(cuts))})


def trend_day_cuts(at_epoch: int, days: Sequence[int] = TREND_DAYS) -> list[int]:
    """Where the KPI trends' periods and days begin: ``at - d`` and ``at - 2 d`` for each
    period ``d`` of ``days``, and ``at - k d`` floored to the hour for each day inside the
    longest period (``views.trend``, ``align_s`` one hour)."""
    starts = {at_epoch - k * d * DAY_S for d in days for k in (1, 2)}
    for k in range(1, max(days)):
        day = at_epoch - k * DAY_S
        starts.add(day - day % HOUR_S)
    return sorted(starts)


def cost_entries(store, at_epoch: int, *, timezone_name: str, budgets: dict[str, float],
                 team_of: dict[str, str], warn_at: float, overrun_at: float,
                 rows: dict[tuple[str, str], PieceRows] | None = None) -> list[dict[str, Any]]:
    """Spend per scope over 1, 7 and 30 days and month to date, with budget and forecast.

    Each entry names its scope for people too (``name``: :func:`cost_scope_name`). The monthly budget and the month-end forecast belong to the ``month`` window only.
    Read as sums per piece (cuts :func:`cost_cuts`), the newest row of each series at its
    newest step, so the forecast's newest sample time is exact
    (``window_reads.read_series_sums`` with ``exact_newest``). ``rows``: that read, when
    the caller has made it.
    """
    month_start, _ = month_bounds(at_epoch, timezone_name)
    if rows is None:
        rows = read_series_sums(store, "cost", store.series_keys("cost"), cost_cuts(at_epoch, timezone_name),
                                at_epoch, exact_newest=True)
    merged = merge_cost_scopes({key: (ts, usd) for key, (_first, ts, usd, _steps) in rows.items()}, team_of)
    out = []
    for scope, (ts, usd) in sorted(merged.items()):
        for label, length in COST_WINDOWS.items():
            out.append({"scope": scope, "name": cost_scope_name(scope), "window": label,
                        "usd": cost_in_window(ts, usd, at_epoch - length, at_epoch),
                        "budget_usd": None, "forecast_usd": None})
        mtd = cost_in_window(ts, usd, month_start, at_epoch)
        forecast = forecast_month(ts, usd, at_epoch, timezone_name)
        budget = budgets.get(scope)
        entry = {"scope": scope, "name": cost_scope_name(scope), "window": "month", "usd": mtd,
                 "budget_usd": budget, "forecast_usd": forecast}
        if budget is not None:
            state = budget_state(mtd, forecast, budget, warn_at=warn_at, overrun_at=overrun_at)
            entry.update(budget_warning=state.warning, forecast_overrun=state.overrun)
        out.append(entry)
    return out


def _step(settings, step_s: int | None) -> int:
    return step_s or (settings.collect.step_s if settings else 60)


def slo_entry(store, slos: Sequence[SLO], slo_id: str, at_epoch: int, *, settings=None,
              step_s: int | None = None) -> dict[str, Any]:
    """The entry of ``slo_id`` in ``status_report(store, slos, at_epoch, ...)["slos"]``, equal
    to it in every bit, from a read of that SLO's rows alone (``read_slo_rows``'s ``only``)."""
    slo = next(s for s in slos if s.id == slo_id)
    step = _step(settings, step_s)
    return slo_status(slo, read_slo_rows(store, slos, at_epoch, step, only={slo_id})[slo_id], at_epoch, step)


def status_report(store, slos: Sequence[SLO], at_epoch: int, *, settings=None, step_s: int | None = None,
                  deployments: Sequence[Deployment] | None = None,
                  cost_rows: dict[tuple[str, str], PieceRows] | None = None) -> dict[str, Any]:
    """Everything ``sloboard status`` shows, with all windows ending at ``at_epoch``.

    ``settings`` supplies the step, time zone and cost budgets; without it the
    defaults apply (60 s steps, UTC, no budgets). ``deployments``: as for
    :func:`dora_entries`, ``cost_rows`` as ``rows`` of :func:`cost_entries`, when the
    caller has read them.
    """
    step = _step(settings, step_s)
    tz = settings.timezone if settings else "UTC"
    cost_settings = settings.cost if settings else None
    slos = sorted(slos, key=lambda s: s.id)
    rows = read_slo_rows(store, slos, at_epoch, step)
    return {
        "at": iso(at_epoch),
        "slos": [slo_status(s, rows[s.id], at_epoch, step) for s in slos],
        "dora": dora_entries(store, at_epoch, deployments),
        "cost": cost_entries(
            store,
            at_epoch,
            timezone_name=tz,
            budgets=dict(cost_settings.budgets_usd) if cost_settings else {},
            team_of={s.service: s.team for s in slos if s.team},
            warn_at=cost_settings.warn_fraction if cost_settings else 0.8,
            overrun_at=cost_settings.overrun_fraction if cost_settings else 1.25,
            rows=cost_rows,
        ),
    }


def to_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, allow_nan=False)


def _fmt_pct(value: float | None, digits: int = 3) -> str:
    return "no data" if value is None else f"{value * 100:.{digits}f}%"


def _fmt_rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _columns(header: tuple[str, ...], rows: list[tuple]) -> list[str]:
    lines = [header, *rows]
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    return ["  ".join(str(c).ljust(w) for c, w in zip(line, widths)).rstrip() for line in lines]


def _fmt_usd(value: float | None) -> str:
    return "no data" if value is None else f"${value:,.2f}"


def render_table(report: dict[str, Any]) -> str:
    """Fixed-width tables for a terminal (SLOs, then DORA and cost when there are any);
    "no data" where nothing is known."""
    rows = report["slos"]
    if not rows:
        return f"at {report['at']}: no SLOs loaded (put specs in slo_specs/ and run sloboard validate)"
    slo_rows = []
    for r in rows:
        firing = [f"{a['severity']}({a['long']}/{a['short']})" for a in r["alerts"] if a["firing"]]
        slo_rows.append(
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
    out = [f"SLO status at {report['at']}"]
    out += _columns(("SLO", "objective", "window", "SLI", "budget left", "burn 1h", "alerts", "data"), slo_rows)
    if report["dora"]:
        out += ["", "Deployments (DORA)"]
        out += _columns(
            ("service", "window", "deploys", "per day", "change failure", "rollbacks", "restore (median)"),
            [
                (
                    "all" if d["service"] == "*" else d["service"],
                    d["window"],
                    d["deployments"],
                    f"{d['deployment_frequency_per_day']:.2f}",
                    _fmt_pct(d["change_failure_rate"], 1),
                    _fmt_pct(d["rollback_rate"], 1),
                    "-" if d["time_to_restore_median_s"] is None else f"{d['time_to_restore_median_s'] / 3600:.1f}h",
                )
                for d in report["dora"]
            ],
        )
    month = [c for c in report["cost"] if c["window"] == "month"]
    if month:
        out += ["", "Cost, month to date"]
        out += _columns(
            ("scope", "spent", "forecast", "budget"),
            [(c["name"], _fmt_usd(c["usd"]), _fmt_usd(c["forecast_usd"]), _fmt_usd(c["budget_usd"]) if c["budget_usd"] is not None else "-")
             for c in month],
        )
    return "\n".join(out)
