"""Grouped SLI queries (``collectors.grouping``): which queries group, how a pass forms
groups, and that a group's failures keep each SLO's watermark, run and exact counts.
Against a real Prometheus: ``tests/integration/test_grouped_sli_queries.py``."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from collectors.collect import collect_pass
from collectors.grouping import SLIGroup, grouped_form, sli_groups
from collectors.source import SourceSeries
from collectors.targets import SLITarget
from sloboard.errors import StoreError
from tests.factories import make_indicator, make_slo
from tests.test_collection_pass import FakeSource, StoreFailingAtWrite

STEP = 60
UNTIL = 1_800_003_600
SINCE_S = 3600
GRID = UNTIL - SINCE_S + STEP * np.arange(1, SINCE_S // STEP + 1, dtype=np.int64)
SERVICES = ("a.b", "checkout", "search")


def _slo(service: str, name: str = "availability"):
    return make_slo(id=f"{service}/{name}", service=service, name=name, indicator=make_indicator(
        good=f'sum(http_requests_total{{service="{service}",code!~"5.."}})',
        total=f'sum(http_requests_total{{service="{service}"}})'))


SLOS = [_slo(service) for service in SERVICES]


@pytest.mark.parametrize("query", [
    'sum by (code) (x{service="a"})',  # the SLO's own grouping
    'sum(x{service="a"}) / sum(y{service="a"})',  # two aggregations
    'sum(x{service="a"} or vector(0))',  # a label-free series joins
    'sum(x{service="a"} / on (instance) y{service="a"})',  # matched on chosen labels
    'sum(x{service="a"} / y)',  # a selector of every service
    'sum(x{service=~"a"})',
    'sum(x{service!="a"})',
    'sum(x{service="a",service="b"})',
    'sum(x{service="a"} + y{service="b"})',
    'sum(x{service=""})',
    'histogram_quantile(0.9, x{service="a"})',
    'sum(label_replace(x{service="a"}, "service", "b", "", ""))',
    'topk(1, x{service="a"})',
    'sum(x{code="500"})',
    'sum(x{service="a"} / end)',  # a metric named like a function, of every service
])
def test_queries_that_would_not_split_exactly_are_not_grouped(query):
    assert grouped_form(query) is None


def test_a_grouped_query_aggregates_by_service_and_matches_exactly_the_services():
    aggregated, value = grouped_form('sum(rate(x{service="a",code=~"5.."}[5m]))')
    assert value == "a"
    assert aggregated.text(["b.c", "a"]) == 'sum by (service) (rate(x{service=~"a|b\\\\.c",code=~"5.."}[5m]))'
    unaggregated, _ = grouped_form('x{service="a"} - x{service="a"} offset 1m @ end()')
    assert unaggregated.text(["a"]) == 'sum by (service) (x{service=~"a"} - x{service=~"a"} offset 1m @ end())'


def test_slos_group_by_shape_and_range_and_a_group_asks_for_at_most_max_points():
    other_shape = make_slo(id="checkout/latency", service="checkout", name="latency", indicator=make_indicator(
        good='sum(x_bucket{service="checkout",le="0.25"})', total='sum(x_count{service="checkout"})'))
    targets = [SLITarget(slo) for slo in [*SLOS, other_shape]]
    same = {t.key: (UNTIL - 5 * STEP, UNTIL) for t in targets}
    jobs = sli_groups(targets, same, STEP, max_points=100)
    assert isinstance(jobs[0], SLIGroup) and [m.key for m in jobs[0].members] == [t.key for t in targets[:3]]
    assert jobs[1:] == [targets[3]]  # nothing shares its shape
    # 6 points each: 100 points take all 3 SLOs; 12 points take 2, and 11 not even two.
    assert len(sli_groups(targets, same, STEP, max_points=12)[0].targets) == 2
    assert sli_groups(targets, same, STEP, max_points=11) == targets  # not two in a group
    behind = {**same, targets[1].key: (UNTIL - 9 * STEP, UNTIL)}  # another range: collected alone
    assert [len(job.targets) if isinstance(job, SLIGroup) else job.key for job in sli_groups(targets, behind, STEP, 100)] \
        == [2, targets[1].key, targets[3].key]


def _truth():
    rng = np.random.default_rng(5)
    out = {}
    for service in SERVICES:
        total = rng.integers(50, 500, GRID.size).astype(np.float64)
        out[service] = (total - rng.integers(0, 5, GRID.size), total)
    return out


def _answers(truth, grouped: bool) -> dict[str, list[SourceSeries]]:
    """The fake's answers: each SLO's own two queries and, if ``grouped``, the grouped two
    for any two or more of the SLOs."""
    answers = {}
    for slo in SLOS:
        for which, query in enumerate(SLITarget(slo).per_step_queries(STEP)):
            answers[query] = [SourceSeries((), GRID, truth[slo.service][which])]
    for size in range(2, len(SERVICES) + 1) if grouped else ():
        for services in itertools.combinations(SERVICES, size):
            for which in (0, 1):
                form, _ = grouped_form(SLITarget(SLOS[0]).per_step_queries(STEP)[which])
                answers[form.text(services)] = [SourceSeries({"service": service}, GRID, truth[service][which])
                                                for service in services]
    return answers


def _pass(store, source, **options):
    return collect_pass(store, source, [SLITarget(slo) for slo in SLOS], until=UNTIL, since_s=SINCE_S, step=STEP,
                        max_points=11_000, slos=SLOS, **options)


def _assert_exact(store, truth):
    for slo in SLOS:
        ts, good, total = store.read_sli_samples(slo.id, 0, UNTIL)
        assert np.array_equal(ts, GRID), slo.id
        assert np.array_equal(good, truth[slo.service][0]) and np.array_equal(total, truth[slo.service][1])


def test_a_group_is_two_requests_and_keeps_a_run_and_a_watermark_per_slo(store):
    truth = _truth()
    source = FakeSource(_answers(truth, grouped=True))
    seen = []
    summary = _pass(store, source, on_progress=lambda result, done, count: seen.append((result.key, done, count)))
    assert len(source.calls) == 2 and all("by (service)" in call[0] for call in source.calls)
    assert seen == [(f"sli:{slo.id}", i, 3) for i, slo in enumerate(SLOS, start=1)]
    assert [r.samples for r in summary.results] == [GRID.size] * 3
    assert {run.query_key for run in store.runs()} == {f"sli:{slo.id}" for slo in SLOS}
    assert all(store.watermark(f"sli:{slo.id}") == UNTIL for slo in SLOS)
    _assert_exact(store, truth)


def test_a_refused_grouped_query_makes_each_slo_ask_alone(store):
    truth = _truth()
    source = FakeSource(_answers(truth, grouped=False))
    grouped_num = grouped_form(SLITarget(SLOS[0]).per_step_queries(STEP)[0])[0].text(SERVICES)
    source.rejected[grouped_num] = "parse error: query too long"
    summary = _pass(store, source)
    assert not summary.failed
    assert len(source.calls) == 1 + 2 * len(SLOS)  # the group's first query, refused, then each SLO's own two
    _assert_exact(store, truth)


def test_a_source_outage_fails_every_member_and_the_next_pass_fills_in(store):
    truth = _truth()
    source = FakeSource(_answers(truth, grouped=True))
    source.down_from_call = 1
    summary = _pass(store, source)
    assert [r.key for r in summary.failed] == [f"sli:{slo.id}" for slo in SLOS]
    assert "Connection refused" in summary.failed[0].error and len(source.calls) == 1  # asked once, not per SLO
    assert all(store.watermark(f"sli:{slo.id}") is None for slo in SLOS)
    _pass(store, FakeSource(_answers(truth, grouped=True)))
    _assert_exact(store, truth)


def test_a_store_failure_between_members_leaves_no_hole_or_duplicate(store):
    truth = _truth()
    with pytest.raises(StoreError, match="disk I/O error"):
        _pass(StoreFailingAtWrite(store, fail_at=2, method="write_sli_samples"), FakeSource(_answers(truth, grouped=True)))
    assert store.watermark(f"sli:{SLOS[0].id}") == UNTIL and store.watermark(f"sli:{SLOS[1].id}") is None
    source = FakeSource(_answers(truth, grouped=True))
    _pass(store, source)
    # The first SLO is up to date; the other two, in one range, make one group of two.
    assert len(source.calls) == 2 and f'service=~"a\\\\.b|' not in source.calls[0][0]
    _assert_exact(store, truth)
