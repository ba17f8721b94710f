"""Grouped SLI queries (``collectors.grouping``) against a real Prometheus: the grouped
answer, split by ``service``, equals each SLO's own query step by step, and a grouped
collection pass stores exactly what SLO-by-SLO passes store, and the scrapes' truth.

The data are real scrapes (``scrapes``): 15/30/60 s intervals at per-target offsets with
jitter, a counter reset, a gap, a target born late, 5xx series created at the first
5xx, and a service name with regex characters; plus a 0/1 probe gauge and a ratio gauge
(with NaN) at scrape offsets, for the bool-gauge and raw-ratio forms.
"""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest

from collectors.collect import collect_pass
from collectors.grouping import grouped_form
from collectors.prometheus import PrometheusSource
from collectors.targets import SLITarget, grid
from sloboard.domain import IndicatorKind, QueryMode
from sloboard.settings import PrometheusSettings
from sloboard.store import Store
from tests.factories import make_indicator, make_slo

from . import prom, scrapes
from .scrapes import Target

pytestmark = pytest.mark.integration

STEP, LOOKBACK, HOUR = 60, 300, 3600
AT = int(datetime(2026, 6, 10, tzinfo=timezone.utc).timestamp())
START = AT - 4 * HOUR
FIRST = START + 10 * 60  # the first step end asked: the lookback is covered for every target
SERVICES = ("svc15", "svc.30", "svc60")
TARGETS = [
    Target("svc15", "a:9100", 15, 3.417, restarts=(2 * HOUR + 460.5,)),
    Target("svc15", "b:9100", 15, 11.903, born_s=HOUR),
    Target("svc.30", "a:9100", 30, 17.2, gaps=((HOUR, HOUR + 120), (3 * HOUR, 3 * HOUR + 1200))),
    Target("svc60", "a:9100", 60, 47.777, rates=(5.0, 0.5)),
]


def _gauges() -> list[prom.MetricSeries]:
    """``probe_success`` (0/1) and ``cache_hit_ratio`` (0..1, NaN at some scrapes) per service."""
    rng = np.random.default_rng(3)
    out = []
    for i, service in enumerate(SERVICES):
        ts = START + 7.25 + 13 * i + np.arange(0, AT - START - 60, 30.0)
        out.append(prom.MetricSeries("probe_success", {"service": service}, ts.tolist(),
                                     (rng.random(ts.size) > 0.1).astype(float).tolist()))
        ratio = rng.random(ts.size)
        ratio[rng.random(ts.size) < 0.05] = np.nan
        out.append(prom.MetricSeries("cache_hit_ratio", {"service": service}, ts.tolist(), ratio.tolist()))
    return out


@pytest.fixture(scope="module")
def scraped() -> list[scrapes.Scraped]:
    return [scrapes.scrape(target, START, AT, seed=i) for i, target in enumerate(TARGETS)]


@pytest.fixture(scope="module")
def server(prometheus_with, scraped):
    return prometheus_with([series for s in scraped for series in scrapes.metric_series(s)] + _gauges())


@pytest.fixture
def source(server):
    source = PrometheusSource(PrometheusSettings(url=server.url, timeout_s=60))
    yield source
    source.close()


def _family(name: str, service_query) -> list:
    """One SLO per service, its indicator ``service_query(service)``."""
    return [make_slo(id=f"{service}/{name}", service=service, name=name, indicator=service_query(service))
            for service in SERVICES]


# One SLO per service for each; the keys are the SLOs' names.
FAMILIES = {
    "counter-good": lambda s: make_indicator(
        good=f'sum(http_requests_total{{service="{s}",code!~"5.."}})', total=f'sum(http_requests_total{{service="{s}"}})'),
    "counter-bad-unaggregated": lambda s: make_indicator(
        good=None, bad=f'http_requests_total{{code="500",service="{s}"}}',
        total=f'http_requests_total{{service="{s}"}}'),
    "window-sloth": lambda s: make_indicator(
        good=None, mode=QueryMode.WINDOW,
        bad=f'sum(rate(http_requests_total{{service="{s}",code=~"5.."}}[{{{{.window}}}}]))',
        total=f'sum(rate(http_requests_total{{service="{s}"}}[{{{{.window}}}}]))'),
    "bool-gauge": lambda s: make_indicator(kind=IndicatorKind.BOOL_GAUGE, good=f'probe_success{{service="{s}"}}',
                                           total=f'probe_success{{service="{s}"}}'),
    "raw-ratio": lambda s: make_indicator(kind=IndicatorKind.RAW_RATIO, good=f'cache_hit_ratio{{service="{s}"}}',
                                          total=f'cache_hit_ratio{{service="{s}"}}'),
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_grouped_answer_split_by_service_equals_each_slos_own_query(source, family):
    slos = _family(family, FAMILIES[family])
    for which in (0, 1):  # numerator, total
        queries = [SLITarget(slo).per_step_queries(STEP)[which] for slo in slos]
        forms = [grouped_form(query) for query in queries]
        assert all(form is not None for form in forms), f"{family}: expected a grouped form"
        assert len({form[0].shape for form in forms}) == 1 and [form[1] for form in forms] == list(SERVICES)
        grouped = source.query_range(forms[0][0].text(SERVICES), FIRST, AT, STEP)
        assert {s.label_map["service"] for s in grouped} <= set(SERVICES)
        for service, query in zip(SERVICES, queries):
            own = grid(source.query_range(query, FIRST, AT, STEP), FIRST, AT, STEP)
            split = grid([s for s in grouped if s.label_map["service"] == service], FIRST, AT, STEP)
            assert (~np.isnan(own)).sum() > 100, f"{family}: {service} has too little data to compare"
            np.testing.assert_array_equal(split, own, err_msg=f"{family}, {service}, query {which}")


class Recording:
    def __init__(self, inner):
        self.inner, self.calls = inner, []

    def query_range(self, promql, start, end, step):
        self.calls.append(promql)
        return self.inner.query_range(promql, start, end, step)


def _collect(path, source, slos, until):
    with Store.open(f"sqlite:///{path}") as store:
        summary = collect_pass(store, source, [SLITarget(slo) for slo in slos], until=until,
                               since_s=until - FIRST + STEP, step=STEP, max_points=11_000, slos=slos)
        assert not summary.failed, [r.error for r in summary.failed]
        return {slo.id: store.read_sli_samples(slo.id, 0, AT) for slo in slos}


def test_a_grouped_pass_stores_what_slo_by_slo_passes_store_and_the_scrapes_truth(source, scraped, tmp_path):
    slos = [slo for name, query in sorted(FAMILIES.items()) for slo in _family(name, query)]
    grouped = Recording(source)
    _collect(tmp_path / "grouped.db", grouped, slos, AT - 30 * STEP)
    together = _collect(tmp_path / "grouped.db", grouped, slos, AT)  # then one incremental pass of 30 steps
    grouped_calls = [c for c in grouped.calls if c.startswith(("sum by (service)", "count by (service)"))]
    assert len(grouped_calls) == 2 * 2 * len(FAMILIES), "each family's two queries, once per pass"
    # Besides: the presence queries of SLOs with steps missing (the gap), asked per SLO.
    assert all(c.startswith("count(last_over_time(") for c in grouped.calls if c not in grouped_calls)
    alone = {}
    for slo in slos:  # a pass of one SLO has nothing to group with
        alone |= _collect(tmp_path / f"{slo.service}-{slo.name}.db", source, [slo], AT)
    for slo in slos:
        for got, want, what in zip(together[slo.id], alone[slo.id], ("ts", "good", "total")):
            np.testing.assert_array_equal(got, want, err_msg=f"{slo.id}: {what}")
    step_ends = FIRST + STEP * np.arange((AT - FIRST) // STEP + 1)
    for service in SERVICES:
        per_code = {code: sum(scrapes.step_truth(s, code, step_ends, STEP, LOOKBACK)
                              for s in scraped if s.target.service == service) for code in scrapes.CODES}
        ts, good, total = together[f"{service}/counter-good"]
        keep = np.isin(step_ends, ts)
        np.testing.assert_array_equal(total, (per_code["200"] + per_code["500"])[keep])
        np.testing.assert_array_equal(good, per_code["200"][keep])
