"""The Cost page's spend chart from day sums the database adds (``reads.cost.cost_buckets``):
a 90-day chart shows all 90 days although per-step retention deleted every step older than
35 days (the hourly rollups keep their cost), its days are local days across a DST change,
and its numbers are the reports' cost per day (``reports.data.period_cost``). The truth
is the steps written, added up here."""

from __future__ import annotations

import base64
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from bench.dashboard import flask_client, load_page
from dashboard.app import create_app
from reports.data import local_days, period_cost
from reports.periods import parse_period
from sloboard.reads.cost import cost_buckets, local_day_cuts
from sloboard.settings import Settings
from tests.factories import make_slo

BERLIN = "Europe/Berlin"
DAY = 86_400
STEP = 300
END = int(datetime(2026, 11, 20, tzinfo=ZoneInfo(BERLIN)).timestamp())  # the range holds 2026-10-25 (25 hours)
FIRST = END - 120 * DAY
RETAINED = END - 35 * DAY  # per-step samples older than this are deleted
TS = np.arange(FIRST + STEP, END + 1, STEP, dtype=np.int64)
# USD per step: different every hour and every service, so a day cut an hour off shows.
USD = {"service:checkout": 0.01 + (TS // 3600 % 24) * 1e-4, "service:search": 0.02 + (TS // DAY % 7) * 1e-3}
TEAM_OF = {"checkout": "storefront"}


@pytest.fixture
def costed_store(store):
    store.sync_slos([make_slo()])
    for scope, usd in USD.items():
        store.write_series("cost", scope, "opencost", TS, usd)
    store.delete_samples_before(RETAINED)
    assert store.read_series_many("cost", store.series_keys("cost"), FIRST, RETAINED - 1)[
        ("service:checkout", "opencost")][0].size == 0  # the old steps are gone
    return store


def _array(value) -> np.ndarray:
    """A plotly JSON array: a list, or typed (``{"dtype", "bdata"}``, base64)."""
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return np.asarray(value)


def _spent(scope: str, start: int, end: int) -> float:
    """USD of ``scope``'s steps in ``(start, end]``, from what was written."""
    return float(USD[scope][(TS > start) & (TS <= end)].sum())


def test_ninety_local_days_each_sum_their_steps_also_past_the_step_retention(costed_store):
    start = END - 90 * DAY
    cuts = local_day_cuts(start, END, BERLIN)
    # 90 x 24 h back from a winter midnight is 01:00 summer time: the first day is cut to 23 h;
    # 2026-10-25 has 25 h.
    assert len(cuts) == 90 and sorted(set(np.diff([*cuts, END]).tolist())) == [DAY - 3600, DAY, DAY + 3600]
    buckets = cost_buckets(costed_store, cuts, END, TEAM_OF)
    ends = [*cuts[1:], END]
    for scope in USD:
        series = buckets[scope]
        assert list(series.ts) == ends
        assert series.values == pytest.approx([_spent(scope, a, b) for a, b in zip(cuts, ends)], rel=1e-12)
    both = [_spent("service:checkout", a, b) + _spent("service:search", a, b) for a, b in zip(cuts, ends)]
    assert buckets["total"].values == pytest.approx(both, rel=1e-12)
    assert buckets["team:storefront"].values == pytest.approx(buckets["service:checkout"].values, rel=1e-12)
    # A range that starts before anything was written: those days have no data, not 0.
    early = cost_buckets(costed_store, local_day_cuts(FIRST - 3 * DAY, FIRST + 2 * DAY, BERLIN), FIRST + 2 * DAY,
                         TEAM_OF)
    assert np.isnan(early["total"].values[:3]).all() and not np.isnan(early["total"].values[3:]).any()


def test_the_chart_days_are_the_reports_cost_per_day(costed_store):
    october = parse_period("monthly", "2026-10", BERLIN)  # older than the step retention, with the DST day
    report = period_cost(costed_store, [make_slo()], october)
    days = local_days(october)
    buckets = cost_buckets(costed_store, [a for a, _ in days], october.end, TEAM_OF)
    assert list(buckets["total"].values) == pytest.approx(list(report.daily), rel=1e-12)
    assert len(days) == 31 and report.daily[24] == pytest.approx(
        _spent("service:checkout", *days[24]) + _spent("service:search", *days[24]), rel=1e-12)


def test_the_cost_page_draws_ninety_days_with_the_oldest_from_rollups(costed_store, tmp_path, clock):
    clock.now = END + 30
    app = create_app(Settings(data_dir=tmp_path, timezone=BERLIN, collect={"step_s": STEP}), store=costed_store,
                     clock=clock)
    _times, page = load_page(*flask_client(app), "/cost?range=90d")
    figure = page.props["cost-chart"]["figure"]
    bars = {trace["name"]: trace for trace in figure["data"]}
    assert set(bars) == {"checkout", "search"}
    cuts = local_day_cuts(END - 90 * DAY, END, BERLIN)  # the browser's zone is the configured one here
    ends = [*cuts[1:], END]
    search = bars["search"]
    assert len(search["x"]) == 90 and list(_array(search["y"])) == pytest.approx(
        [_spent("service:search", a, b) for a, b in zip(cuts, ends)], rel=1e-12)
    assert str(search["x"][0]).startswith("2026-08-22T01:00") and str(search["x"][1]).startswith("2026-08-23T00:00")
    assert list(_array(search["width"])) == pytest.approx([(b - a) * 1000 * 0.85 for a, b in zip(cuts, ends)])
    assert figure["layout"]["title"]["text"].startswith(f"Spend per day ({BERLIN} days)")
