"""The weekly executive report: two to four A4 pages for a reader with two minutes.

A headline sentence, KPI tiles against the previous week, the SLO table, the three
SLOs that burned the most budget with the deployments and incidents that line up, three
charts, and a footer with the time zone and the data's completeness. Plain words: no
query text, no metric names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from sloboard.domain import SLO
from sloboard.engine.cost import CostBudgets
from sloboard.engine.dora import BandScales
from sloboard.reads.cost import MONTH, cost_entries
from sloboard.reads.history import budget_history, slo_history, top_burners

from . import charts, kpis
from .data import (deployments_per_day, in_period, local_days, period_cost, period_deployments, period_dora,
                   period_gaps, period_slos)
from .delivery import Headline
from .incidents import incidents
from .periods import Period
from .render import Built, duration, local_time, pct, render, signed_pct_points, status, usd

CHART_SLOS = 6  # budget lines drawn: the SLOs with the least budget left
BURNERS = 3


@dataclass(frozen=True)
class Tile:
    name: str
    value: str
    status: object
    change: str
    note: str = ""


def build_weekly(store, slos: Sequence[SLO], period: Period, *, step_s: int, cost_budgets: CostBudgets,
                 dora_bands: BandScales) -> Built:
    previous = period.previous()
    entries = period_slos(store, slos, period, step_s)
    before = {e.id: e for e in period_slos(store, slos, previous, step_s)}
    deploys, deploys_before = period_deployments(store, period), period_deployments(store, previous)
    dora, dora_before = period_dora(deploys, period, dora_bands), period_dora(deploys_before, previous, dora_bands)
    cost, cost_before = period_cost(store, slos, period), period_cost(store, slos, previous)
    sentence = kpis.headline(entries, "this week")

    tiles = _tiles(entries, before, dora, dora_before, cost, cost_before,
                   _month_cost(store, slos, period, cost_budgets), cost_budgets)
    days = local_days(period)
    day_labels = [local_time(a, period.timezone, "%a\n%d") for a, _ in days]
    html = render(
        "weekly.html", period, "sloboard \u00b7 weekly executive report",
        headline=sentence, tiles=tiles, rows=[_slo_row(e, before.get(e.id)) for e in entries],
        burners=_burners(store, slos, entries, period, step_s),
        budget_chart=_budget_chart(store, slos, entries, period, step_s, day_labels),
        deploy_chart=charts.stacked_bars(day_labels, deployments_per_day(deploys, period), y_label="deployments"),
        cost_chart=charts.bars(day_labels, list(cost.daily), y_label="USD per day"),
        gaps=[(g.slo_id, g.missing / g.expected) for g in period_gaps(store, slos, period, step_s)
              if g.expected and g.missing],
        deployments=len(deploys),
    )
    headline = Headline(sentence, tuple((t.name, t.value) for t in tiles))
    return Built(html, headline)


def _tiles(entries, before, dora, dora_before, cost, cost_before, month, budgets: CostBudgets) -> list[Tile]:
    met, known = kpis.attained(entries)
    met_before, known_before = kpis.attained(list(before.values()))
    share = met / known if known else None
    share_before = met_before / known_before if known_before else None
    success = dora.succeeded / dora.deployments if dora.deployments else None
    success_before = dora_before.succeeded / dora_before.deployments if dora_before.deployments else None
    bands = dora.bands
    tiles = [
        Tile("SLO attainment", pct(share, 1), kpis.at_least(share, 1.0, 0.9), _pp(share, share_before),
             f"{met} of {known} SLOs met"),
        Tile("Deployment success", pct(success, 1), kpis.at_least(success, kpis.SUCCESS_TARGET, 0.95),
             _pp(success, success_before), "target 99 %"),
        Tile("Deployment frequency", f"{dora.deployment_frequency_per_day:.1f} / day",
             kpis.band_status(bands.get("deployment_frequency")),
             _change(dora.deployment_frequency_per_day, dora_before.deployment_frequency_per_day, "{:+.1f} / day"),
             f"DORA band: {bands.get('deployment_frequency') or 'no data'}"),
        Tile("Rollback rate", pct(dora.rollback_rate, 1), kpis.at_most(dora.rollback_rate, kpis.ROLLBACK_TARGET, 0.05),
             _pp(dora.rollback_rate, dora_before.rollback_rate), "target under 2 %"),
        Tile("Change failure rate", pct(dora.change_failure_rate, 1),
             kpis.band_status(bands.get("change_failure_rate")),
             _pp(dora.change_failure_rate, dora_before.change_failure_rate),
             f"DORA band: {bands.get('change_failure_rate') or 'no data'}"),
        Tile("Time to restore", duration(dora.time_to_restore_median_s), kpis.band_status(bands.get("time_to_restore")),
             _change(dora.time_to_restore_median_s, dora_before.time_to_restore_median_s, None),
             f"DORA band: {bands.get('time_to_restore') or 'no data'}"),
        _cost_tile(cost, cost_before, month, budgets),
    ]
    return tiles


def _cost_tile(cost, cost_before, month, budgets: CostBudgets) -> Tile:
    change = _change(cost.usd, cost_before.usd, "{:+,.0f} USD")
    if month is None or month.budget_usd is None:
        return Tile("Cost", usd(cost.usd), status("none"), change, "no monthly budget set")
    note = f"month so far {usd(month.usd)} of {usd(month.budget_usd)}"
    if month.forecast_overrun:
        over = (month.forecast_usd / month.budget_usd - 1) if month.forecast_usd else None
        return Tile("Cost", usd(cost.usd), status("missed"), change,
                    f"warning: the month's forecast {usd(month.forecast_usd)} is {pct(over, 0)} over budget")
    return Tile("Cost", usd(cost.usd), status("at-risk" if month.budget_warning else "met"), change, note)


def _month_cost(store, slos, period: Period, budgets: CostBudgets):
    """The ``total`` month-to-date entry the dashboard shows at the week's end (budget and forecast)."""
    team_of = {s.service: s.team for s in slos if s.team}
    entries = cost_entries(store, period.end, timezone_name=period.timezone, budgets=budgets, team_of=team_of)
    return next((e for e in entries if e.scope == "total" and e.window == MONTH), None)


def _pp(value, before) -> str:
    return signed_pct_points(None if value is None or before is None else value - before)


def _change(value, before, fmt) -> str:
    if value is None or before is None:
        return "\u2013"
    if fmt is None:  # a duration
        delta = value - before
        return ("+" if delta >= 0 else "\u2212") + duration(abs(delta))
    return fmt.format(value - before)


def _slo_row(entry, before) -> dict:
    trend = None if before is None or before.sli is None or entry.sli is None else entry.sli - before.sli
    return {"id": entry.id, "objective": pct(entry.objective, 2), "sli": pct(entry.sli, 3),
            "budget": pct(entry.budget_remaining, 1), "status": kpis.slo_status(entry),
            "trend": signed_pct_points(trend, 3)}


def _burners(store, slos, entries, period: Period, step_s: int) -> list[dict]:
    by_id = {s.id: s for s in slos}
    burning = sorted((e for e in entries if (e.budget_consumed or 0) > 0), key=lambda e: (-e.budget_consumed, e.id))
    out = []
    for entry in burning[:BURNERS]:
        slo = by_id[entry.id]
        # The SLO page's numbers: its own window, at the week's end, the week as the range.
        history = slo_history(store, slo, period.end, period.end - period.start, step_s=step_s)
        deploys = [{"when": local_time(i.deployment.started_at.timestamp(), period.timezone),
                    "version": i.deployment.version, "status": i.deployment.status.value.replace("_", " "),
                    "burned": pct(i.budget_consumed, 2)} for i in top_burners(history.impacts, limit=5)]
        hot = [{"from": local_time(i.start, period.timezone), "to": local_time(i.end, period.timezone, "%H:%M"),
                "burned": pct(i.budget_burned, 1)} for i in incidents(store, [slo], period)[:3]]
        out.append({"id": entry.id, "window": slo.window.label, "consumed": pct(entry.budget_consumed, 1), "deploys": deploys, "incidents": hot,
                    "deploys_in_week": sum(1 for i in history.impacts if period.start <= i.deployment.started_at.timestamp() < period.end)})
    return out


def _budget_chart(store, slos, entries, period: Period, step_s: int, day_labels) -> str:
    lowest = sorted((e for e in entries if e.budget_remaining is not None), key=lambda e: (e.budget_remaining, e.id))
    chosen = [in_period(s, period) for s in slos if s.id in {e.id for e in lowest[:CHART_SLOS]}]
    points = len(day_labels) * 4  # every six hours
    series = budget_history(store, chosen, period.end, period.end - period.start, step_s=step_s, max_points=points)
    ordered = {e.id: series[e.id] for e in lowest[:CHART_SLOS]}
    length = max((s.ts.size for s in ordered.values()), default=0)
    # A label at the first point of each local day, none between.
    days = [local_time(int(t), period.timezone, "%a\n%d") for t in next(iter(ordered.values())).ts] if ordered else []
    labels = [day if i == 0 or day != days[i - 1] else "" for i, day in enumerate(days)]
    return charts.lines(labels, {k: [None if v != v else float(v) for v in s.values][:length] for k, s in ordered.items()},
                        y_label="budget remaining (%)", percent=True)

