"""Hybrid reads equal raw reads: hourly rollups for whole hours and raw steps at the edges
give the same sums, SLIs, budgets and completeness as the raw steps alone (1e-12), on a
real store (SQLite, and PostgreSQL through the ``store`` fixture)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.factories import make_slo

HOUR = 3600
H0 = 1_800_000_000 - 1_800_000_000 % HOUR  # an hour boundary
SLO_ID = "checkout/availability"


def test_span_reads_return_raw_steps_of_every_span_and_the_hourly_rows_in_one_read(store):
    store.sync_slos([make_slo(spec_hash="h1"), make_slo(id="search/latency", service="search", spec_hash="h2")])
    ts = H0 + np.arange(1, 6 * 60 + 1, dtype=np.int64) * 60  # six hours of 1-minute steps
    good, total = np.arange(ts.size, dtype=float), np.full(ts.size, 1000.0)
    store.write_sli_samples(SLO_ID, ts, good, total)
    store.write_sli_samples("search/latency", ts[:30], good[:30], total[:30])

    raw, hourly = store.read_sli_spans_many(
        [SLO_ID, "search/latency", "never/synced"], [(H0, H0 + 600), (H0 + 5 * HOUR, H0 + 5 * HOUR + 120)],
        (H0 + HOUR, H0 + 4 * HOUR),
    )
    r_ts, r_good, r_total = raw[SLO_ID]
    assert r_ts.tolist() == [H0 + 60 * i for i in range(1, 11)] + [H0 + 5 * HOUR + 60, H0 + 5 * HOUR + 120]
    np.testing.assert_array_equal(r_good, good[np.isin(ts, r_ts)])
    np.testing.assert_array_equal(r_total, 1000.0)
    h_ts, h_good, h_total, h_steps = hourly[SLO_ID]
    assert h_ts.tolist() == [H0 + 2 * HOUR, H0 + 3 * HOUR, H0 + 4 * HOUR]
    assert h_good.tolist() == [good[60 * k:60 * (k + 1)].sum() for k in (1, 2, 3)]
    assert h_total.tolist() == [60_000.0] * 3 and h_steps.tolist() == [60, 60, 60]
    assert raw["search/latency"][0].tolist() == ts[:10].tolist()
    assert [a.size for a in hourly["search/latency"]] == [0, 0, 0, 0]
    assert [a.size for a in raw["never/synced"]] + [a.size for a in hourly["never/synced"]] == [0] * 7


def test_series_span_reads_match_the_raw_steps(store):
    ts = H0 + np.arange(1, 3 * 60 + 1, dtype=np.int64) * 60
    usd = np.linspace(0.5, 2.0, ts.size)
    store.write_series("cost", "service:checkout", "opencost", ts, usd)
    raw, hourly = store.read_series_spans_many(
        "cost", [("service:checkout", "opencost"), ("service:none", "opencost")], [(H0 + 2 * HOUR, H0 + 3 * HOUR)],
        (H0, H0 + 2 * HOUR),
    )
    r_ts, r_usd = raw[("service:checkout", "opencost")]
    np.testing.assert_array_equal(r_ts, ts[120:])
    np.testing.assert_array_equal(r_usd, usd[120:])
    h_ts, h_sum, h_steps = hourly[("service:checkout", "opencost")]
    assert h_ts.tolist() == [H0 + HOUR, H0 + 2 * HOUR] and h_steps.tolist() == [60, 60]
    assert h_sum == pytest.approx([usd[:60].sum(), usd[60:120].sum()], rel=1e-12)
    assert [a.size for a in raw[("service:none", "opencost")]] == [0, 0]


@pytest.mark.parametrize("spans", [[(10, 5)], [(0, 10), (5, 20)], [(10, 20), (0, 5)]],
                         ids=["empty span", "overlapping spans", "descending spans"])
def test_span_reads_refuse_spans_that_are_not_disjoint_and_ascending(store, spans):
    with pytest.raises(ValueError, match="disjoint and ascending"):
        store.read_sli_spans_many([SLO_ID], spans, (0, 10))
