"""The quarterly business review: two pages for an executive audience.

The quarter month by month (SLO attainment, DORA with its bands, cost against budget),
each against the previous quarter, and the three incidents that burned the most budget
(``reports.incidents``), with the previous quarter's worst for comparison.
"""

from __future__ import annotations

from typing import Sequence

from sloboard.domain import SLO
from sloboard.engine.cost import CostBudgets
from sloboard.engine.dora import BandScales

from . import charts, kpis
from .data import local_months, period_cost, period_deployments, period_dora, period_slos
from .delivery import Headline
from .incidents import incidents
from .periods import Period
from .render import Built, duration, local_time, pct, render, usd

WORST = 3


def build_quarterly(store, slos: Sequence[SLO], period: Period, *, step_s: int, cost_budgets: CostBudgets,
                    dora_bands: BandScales) -> Built:
    previous = period.previous()
    budget = cost_budgets.budgets_usd.get("total")
    this, before = _column(store, slos, period, step_s, dora_bands), _column(store, slos, previous, step_s, dora_bands)
    months = [_column(store, slos, m, step_s, dora_bands) | {"label": m.label} for m in local_months(period)]
    entries = this.pop("entries")
    before.pop("entries")
    for m in months:
        m.pop("entries")
    sentence = kpis.headline(entries, f"over {period.label}")
    worst = _worst(store, slos, period)
    previous_months = local_months(previous)
    cost_chart = charts.bars([m.label for m in previous_months] + [m["label"] for m in months],
                             [period_cost(store, slos, m).usd for m in previous_months] + [m["cost_usd"] for m in months],
                             y_label="USD per month", width_mm=178, height_mm=50)
    html = render("quarterly.html", period, "sloboard \u00b7 quarterly business review", headline=sentence,
                  months=months, this=this, before=before, previous_label=previous.label, budget=usd(budget),
                  budget_usd=budget, worst=worst, worst_before=_worst(store, slos, previous), cost_chart=cost_chart,
                  fmt={"pct": pct, "usd": usd, "duration": duration})
    return Built(html, Headline(sentence, (("SLO attainment", this["attainment"]), ("Cost", usd(this["cost_usd"])),
                                           ("Change failure rate", this["cfr"]))))


def _column(store, slos, period: Period, step_s: int, bands: BandScales) -> dict:
    """One column of the month-by-month table: the numbers of one period."""
    entries = period_slos(store, slos, period, step_s)
    met, known = kpis.attained(entries)
    dora = period_dora(period_deployments(store, period), period, bands)
    cost = period_cost(store, slos, period)
    return {"entries": entries, "attainment": f"{met} of {known}" if known else "no data",
            "attainment_share": met / known if known else None,
            "deployments": dora.deployments, "frequency": f"{dora.deployment_frequency_per_day:.1f} / day",
            "frequency_band": dora.bands.get("deployment_frequency") or "no data",
            "cfr": pct(dora.change_failure_rate, 1), "cfr_band": dora.bands.get("change_failure_rate") or "no data",
            "ttr": duration(dora.time_to_restore_median_s), "ttr_band": dora.bands.get("time_to_restore") or "no data",
            "lead": duration(dora.lead_time_median_s), "lead_band": dora.bands.get("lead_time") or "no data",
            "cost_usd": cost.usd}


def _worst(store, slos, period: Period) -> list[dict]:
    return [{"slo": i.slo_id, "from": local_time(i.start, period.timezone), "to": local_time(i.end, period.timezone),
             "hours": (i.end - i.start) // 3600, "burned": pct(i.budget_burned, 1)}
            for i in incidents(store, slos, period)[:WORST]]
