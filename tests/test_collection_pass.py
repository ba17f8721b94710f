"""The collection pass against a fake Source (our own seam): watermarks, chunks, runs,
failures, the lock and each kind of target, with exact counts known in the test."""

from __future__ import annotations

import dataclasses
import numpy as np
import pytest

from collectors.collect import LOCK_NAME, collect_pass
from collectors.promql import presence_query
from collectors.queries import GOLDEN_SIGNALS, Queries, fill, load_queries
from collectors.source import SourceSeries
from collectors.targets import (
    CostTarget,
    DeploymentCounterTarget,
    GoldenSignalTarget,
    GroupedGoldenSignalTarget,
    SLITarget,
    targets_for,
)
from sloboard.domain import DeployStatus, SpecSource
from sloboard.errors import ConfigError, QueryRejected, SourceUnavailable, StoreError, StoreLockedError
from sloboard.store import Retention, Store
from tests.factories import make_indicator, make_slo
from tests.series_reads import read_series

STEP = 60
UNTIL = 1_800_003_600  # on the minute grid
SINCE_S = 6 * 3600
STEPS = SINCE_S // STEP  # 360 step ends: UNTIL - SINCE_S + 60 .. UNTIL
MAX_POINTS = 50  # 8 chunks per target: 7 of 50 steps and one of 10
GRID = UNTIL - SINCE_S + STEP * np.arange(1, STEPS + 1, dtype=np.int64)

CHECKOUT = make_slo(source=SpecSource("slo_specs/checkout.yaml", 3, "openslo/v1"))
SEARCH = make_slo(
    id="search/availability", service="search", name="availability",
    indicator=make_indicator(
        good=None,
        bad='sum(http_requests_total{service="search",code=~"5.."})',
        total='sum(http_requests_total{service="search"})',
    ),
    source=SpecSource("slo_specs/search.yaml", 7, "sloth/prometheus/v1"),
)


class FakeSource:
    """Answers ``query_range`` from whole series on the step grid, cut to the asked range.

    ``down_from_call`` makes call N and later raise SourceUnavailable (a server that
    went away); ``rejected`` maps a query to the message of a QueryRejected;
    ``on_call(n)`` runs before call n answers.
    """

    def __init__(self, answers: dict[str, list[SourceSeries]]):
        self.answers = answers
        self.calls: list[tuple[str, int, int, int]] = []
        self.down_from_call: int | None = None
        self.rejected: dict[str, str] = {}
        self.on_call = lambda n: None

    def query_range(self, promql: str, start: int, end: int, step: int) -> list[SourceSeries]:
        self.calls.append((promql, start, end, step))
        self.on_call(len(self.calls))
        if self.down_from_call is not None and len(self.calls) >= self.down_from_call:
            raise SourceUnavailable("http://127.0.0.1:9: connection failed: Connection refused")
        if promql in self.rejected:
            raise QueryRejected(f"http://127.0.0.1:9 rejected the query: {self.rejected[promql]}")
        out = []
        for s in self.answers.get(promql, []):
            keep = (s.ts >= start) & (s.ts <= end) & ((s.ts - start) % step == 0)
            out.append(SourceSeries(s.labels, s.ts[keep], s.values[keep]))
        return out


@dataclasses.dataclass
class Counts:
    good: np.ndarray
    total: np.ndarray


@pytest.fixture
def truth() -> dict[str, Counts]:
    rng = np.random.default_rng(7)
    out = {}
    for slo in (CHECKOUT, SEARCH):
        total = rng.integers(100, 1000, STEPS).astype(np.float64)
        bad = rng.binomial(total.astype(np.int64), 0.01).astype(np.float64)
        out[slo.id] = Counts(total - bad, total)
    return out


def _answers(truth: dict[str, Counts], ts: np.ndarray = GRID) -> dict[str, list[SourceSeries]]:
    answers = {}
    for slo in (CHECKOUT, SEARCH):
        num_query, total_query = SLITarget(slo).per_step_queries(STEP)
        counts = truth[slo.id]
        numerator = counts.good if slo.indicator.good is not None else counts.total - counts.good
        answers[num_query] = [SourceSeries((), ts, numerator)]
        answers[total_query] = [SourceSeries((), ts, counts.total)]
    return answers


@pytest.fixture
def source(truth) -> FakeSource:
    return FakeSource(_answers(truth))


def _pass(store, source, *, until=UNTIL, targets=None, slos=(CHECKOUT, SEARCH), **options):
    targets = targets if targets is not None else [SLITarget(s) for s in slos]
    return collect_pass(store, source, targets, until=until, since_s=SINCE_S, step=STEP,
                        max_points=MAX_POINTS, slos=list(slos), **options)


def _assert_exact(store, truth, slo_id, upto=UNTIL):
    """Stored samples equal the truth on every step: no duplicates, no holes, exact counts."""
    ts, good, total = store.read_sli_samples(slo_id, 0, upto)
    n = int((upto - GRID[0]) // STEP) + 1
    assert np.array_equal(ts, GRID[:n])
    assert np.array_equal(good, truth[slo_id].good[:n])
    assert np.array_equal(total, truth[slo_id].total[:n])


def test_first_pass_backfills_in_chunks_and_leaves_a_watermark(store, source, truth):
    seen = []
    summary = _pass(store, source, on_progress=lambda result, done, count: seen.append((result.key, done, count)))
    assert [r.error for r in summary.results] == [None, None]
    assert summary.samples == 2 * STEPS
    assert seen == [("sli:checkout/availability", 1, 2), ("sli:search/availability", 2, 2)]
    for slo in (CHECKOUT, SEARCH):
        _assert_exact(store, truth, slo.id)
        assert store.watermark(f"sli:{slo.id}") == UNTIL
    # Two queries per chunk, 8 chunks per SLO; no request longer than MAX_POINTS points.
    assert len(source.calls) == 2 * 8 * 2
    assert max((end - start) // STEP + 1 for _, start, end, _ in source.calls) == MAX_POINTS
    runs = store.runs()
    assert {(r.query_key, r.status, r.samples_written, r.range_start, r.range_end) for r in runs} == {
        (f"sli:{s.id}", "ok", STEPS, UNTIL - SINCE_S, UNTIL) for s in (CHECKOUT, SEARCH)
    }


def test_later_pass_fetches_only_the_new_steps(store, truth):
    early = UNTIL - 3600
    _pass(store, FakeSource(_answers(truth)), until=early)
    later = FakeSource(_answers(truth))
    summary = _pass(store, later)
    assert summary.samples == 2 * 60
    assert {start for _, start, _, _ in later.calls} == {early + STEP, early + STEP + MAX_POINTS * STEP}
    newest = store.runs(limit=2)
    assert {(r.range_start, r.range_end, r.samples_written) for r in newest} == {(early, UNTIL, 60)}
    for slo in (CHECKOUT, SEARCH):
        _assert_exact(store, truth, slo.id)


def test_repeating_a_pass_asks_nothing_and_writes_nothing(store, source, truth):
    _pass(store, source)
    runs_before = store.runs()
    again = FakeSource(_answers(truth))
    summary = _pass(store, again)
    assert again.calls == []
    assert [r.up_to_date for r in summary.results] == [True, True]
    assert summary.samples == 0
    assert store.runs() == runs_before
    for slo in (CHECKOUT, SEARCH):
        _assert_exact(store, truth, slo.id)


def test_source_down_mid_target_keeps_the_last_whole_chunk_and_the_next_pass_fills_in(store, source, truth):
    # Call 21 is the first query of the third chunk of the second SLO (16 calls for the first).
    source.down_from_call = 21
    summary = _pass(store, source)
    assert [r.error is None for r in summary.results] == [True, False]
    assert "Connection refused" in summary.results[1].error
    failed = store.runs(limit=1)[0]
    assert (failed.query_key, failed.status, failed.samples_written) == ("sli:search/availability", "failed", 100)
    assert "Connection refused" in failed.error
    assert store.watermark("sli:search/availability") == int(GRID[99])  # two whole chunks

    summary = _pass(store, FakeSource(_answers(truth)))
    assert [r.error for r in summary.results] == [None, None]
    assert summary.samples == STEPS - 100
    for slo in (CHECKOUT, SEARCH):
        _assert_exact(store, truth, slo.id)


def test_rejected_query_names_the_slo_and_spec_and_the_pass_goes_on(store, source, truth):
    num_query, _ = SLITarget(CHECKOUT).per_step_queries(STEP)
    source.rejected[num_query] = '1:5: parse error: unexpected "}"'
    summary = _pass(store, source)
    error = summary.results[0].error
    assert error.startswith("SLO checkout/availability (slo_specs/checkout.yaml:3): ")
    assert error.endswith('rejected the query: 1:5: parse error: unexpected "}"')
    assert summary.results[1].error is None
    _assert_exact(store, truth, SEARCH.id)
    assert store.watermark("sli:checkout/availability") is None
    assert store.read_sli_samples(CHECKOUT.id, 0, UNTIL)[0].size == 0


def test_steps_missing_where_the_series_had_samples_are_written_around_and_reported(store, truth):
    """Prometheus had samples for steps 100-119 (the presence query says so), yet the
    total came back without them: the rest is written, the run is "incomplete"."""
    answers = _answers(truth)
    _, total_query = SLITarget(CHECKOUT).per_step_queries(STEP)
    (total,) = answers[total_query]
    hole = np.ones(STEPS, bool)
    hole[100:120] = False
    answers[total_query] = [SourceSeries((), GRID[hole], total.values[hole])]
    answers[presence_query(CHECKOUT.indicator.total, CHECKOUT.indicator.mode, STEP)] = [
        SourceSeries((), GRID, np.full(STEPS, 3.0))]
    summary = _pass(store, FakeSource(answers), slos=(CHECKOUT,))
    (result,) = summary.results
    assert result.error is None and result.samples == STEPS - 20
    assert "gave no data for 20 step(s) from " in result.warning and "although its series had samples" in result.warning
    run = store.runs(limit=1)[0]
    assert (run.status, run.samples_written, run.error) == ("incomplete", STEPS - 20, result.warning)
    assert store.watermark(SLITarget(CHECKOUT).key) == UNTIL
    assert np.array_equal(store.read_sli_samples(CHECKOUT.id, 0, UNTIL)[0], GRID[hole])


def test_steps_without_samples_at_the_source_are_no_data_not_a_problem(store, truth):
    """A series born late leaves its first steps empty: the presence query finds nothing there."""
    answers = _answers(truth)
    for slo in (CHECKOUT, SEARCH):
        for query in SLITarget(slo).per_step_queries(STEP):
            answers[query] = [SourceSeries((), GRID[50:], answers[query][0].values[50:])]
    summary = _pass(store, FakeSource(answers))
    assert [(r.error, r.warning) for r in summary.results] == [(None, None), (None, None)]
    assert {r.status for r in store.runs()} == {"ok"}


def test_query_that_cannot_be_counted_per_step_fails_its_slo_with_file_and_line(store, source, truth):
    # Validation only warns about rate() without {{.window}}; collecting must not crash the pass.
    with_rate = dataclasses.replace(
        CHECKOUT, indicator=make_indicator(total='sum(rate(http_requests_total{service="checkout"}[5m]))')
    )
    summary = _pass(store, source, slos=(with_rate, SEARCH))
    error = summary.results[0].error
    assert error.startswith("slo_specs/checkout.yaml:3: indicator: SLO checkout/availability: cannot count")
    assert "already has a range" in error
    assert store.runs(limit=2)[1].status == "failed"
    _assert_exact(store, truth, SEARCH.id)


def test_a_held_lock_stops_the_pass_before_any_write(store, source):
    with store.lock(LOCK_NAME, "other-host:4242"):
        with pytest.raises(StoreLockedError, match="other-host:4242"):
            _pass(store, source)
    assert source.calls == []
    assert store.runs() == []
    assert store.slo_rows() == []
    assert store.watermark("sli:checkout/availability") is None


def test_targets_are_collected_concurrently_within_the_bound_and_reported_in_order(store, truth):
    import threading
    import time as wall

    slos = [dataclasses.replace(SEARCH if i % 2 else CHECKOUT, id=f"svc{i}/availability", service=f"svc{i}")
            for i in range(6)]
    answers = {}
    for slo in slos:
        base = CHECKOUT if slo.indicator.good is not None else SEARCH
        num_query, total_query = SLITarget(slo).per_step_queries(STEP)
        counts = truth[base.id]
        answers[num_query] = [SourceSeries((), GRID, counts.good if base.indicator.good is not None else counts.total - counts.good)]
        answers[total_query] = [SourceSeries((), GRID, counts.total)]
    in_flight, peak, guard = 0, 0, threading.Lock()

    class SlowSource(FakeSource):
        def query_range(self, promql, start, end, step):
            nonlocal in_flight, peak
            with guard:
                in_flight += 1
                peak = max(peak, in_flight)
            wall.sleep(0.01)
            try:
                return super().query_range(promql, start, end, step)
            finally:
                with guard:
                    in_flight -= 1

    seen = []
    summary = _pass(store, SlowSource(answers), slos=tuple(slos), concurrency=3,
                    on_progress=lambda result, done, count: seen.append(result.key))
    assert 1 < peak <= 3
    assert seen == [f"sli:{slo.id}" for slo in slos] == [r.key for r in summary.results]
    assert [r.error for r in summary.results] == [None] * 6
    for slo in slos:
        base = CHECKOUT if slo.indicator.good is not None else SEARCH
        ts, good, total = store.read_sli_samples(slo.id, 0, UNTIL)
        assert np.array_equal(ts, GRID) and np.array_equal(total, truth[base.id].total)
        assert np.array_equal(good, truth[base.id].good)


def test_a_long_pass_renews_its_lease(store, store_url, clock, source):
    # Each query takes "five minutes": the lease (600 s) would run out during the first
    # SLO's 16 queries without renewal after each target.
    intruder = Store.open(store_url, clock=clock)
    outcomes = []

    def slow(n: int) -> None:
        clock.advance(300)
        if n == 17:  # the first target is done and 4800 s have passed since the lock was taken
            try:
                with intruder.lock(LOCK_NAME, "intruder:1"):
                    outcomes.append("taken")
            except StoreLockedError:
                outcomes.append("refused")

    source.on_call = slow
    try:
        summary = _pass(store, source)
    finally:
        intruder.close()
    assert outcomes == ["refused"]
    assert [r.error for r in summary.results] == [None, None]


def _queries(**overrides) -> Queries:
    return dataclasses.replace(load_queries(), **overrides)


DEPLOYMENTS = "sum by (service, status) (increase(deployments_total[$window]))"


def test_deployment_counter_gives_one_event_per_increment_once(store):
    queries = _queries(deployments=DEPLOYMENTS)
    query = fill(DEPLOYMENTS, STEP)
    ok = np.zeros(STEPS)
    ok[[10, 200]] = [1, 2]
    rolled = np.zeros(STEPS)
    rolled[300] = 1
    source = FakeSource({query: [
        SourceSeries((("service", "checkout"), ("status", "success")), GRID, ok),
        SourceSeries((("service", "checkout"), ("status", "rolled_back")), GRID, rolled),
    ]})
    target = DeploymentCounterTarget(queries)
    summary = _pass(store, source, targets=[target], slos=())
    assert summary.samples == 4
    got = [(d.service, d.status, int(d.started_at.timestamp())) for d in store.deployments()]
    assert got == [
        ("checkout", DeployStatus.SUCCEEDED, int(GRID[10])),
        ("checkout", DeployStatus.SUCCEEDED, int(GRID[200])),
        ("checkout", DeployStatus.SUCCEEDED, int(GRID[200])),
        ("checkout", DeployStatus.ROLLED_BACK, int(GRID[300])),
    ]
    assert store.watermark(target.key) == UNTIL
    # Collecting the same steps again (a watermark moved back) records nothing twice.
    store.set_watermark(target.key, UNTIL - SINCE_S)
    assert _pass(store, source, targets=[target], slos=()).samples == 0
    assert len(store.deployments()) == 4


def test_deployment_counter_with_an_unknown_status_fails_that_target_only(store, truth):
    queries = _queries(deployments=DEPLOYMENTS)
    answers = _answers(truth)
    answers[fill(DEPLOYMENTS, STEP)] = [
        SourceSeries((("service", "checkout"), ("status", "exploded")), GRID, np.ones(STEPS))
    ]
    summary = _pass(store, FakeSource(answers), targets=[DeploymentCounterTarget(queries), SLITarget(CHECKOUT)],
                    slos=(CHECKOUT,))
    assert "unknown deployment status 'exploded'" in summary.results[0].error
    assert summary.results[1].error is None
    assert store.deployments() == []


def test_cost_target_turns_usd_per_hour_into_usd_per_step_per_namespace(store):
    queries = _queries(cost="sum by (namespace) (cost_per_hour)", cost_scope_label="namespace")
    source = FakeSource({"sum by (namespace) (cost_per_hour)": [
        SourceSeries((("namespace", "checkout"),), GRID, np.full(STEPS, 1.2)),
        SourceSeries((), GRID[:10], np.full(10, 6.0)),  # no namespace label: unallocated
    ]})
    summary = _pass(store, source, targets=[CostTarget(queries)], slos=())
    assert summary.samples == STEPS + 10
    ts, usd = read_series(store, "cost", "service:checkout", "opencost", 0, UNTIL)
    assert np.array_equal(ts, GRID)
    assert usd.sum() == pytest.approx(1.2 * SINCE_S / 3600, rel=1e-12)
    assert read_series(store, "cost", "service:unallocated", "opencost", 0, UNTIL)[1].sum() == pytest.approx(1.0)
    assert store.watermark("cost:opencost") == UNTIL


def test_cost_target_without_any_cost_series_still_moves_its_watermark(store):
    summary = _pass(store, FakeSource({}), targets=[CostTarget(_queries(cost="sum(nothing)"))], slos=())
    assert summary.samples == 0 and summary.failed == []
    assert store.watermark("cost:opencost") == UNTIL
    assert store.series_keys("cost") == []


def test_steps_without_total_are_no_data_and_a_missing_bad_series_means_zero_bad(store, truth):
    num_query, total_query = SLITarget(SEARCH).per_step_queries(STEP)
    total = truth[SEARCH.id].total
    answers = {
        total_query: [SourceSeries((), GRID[:100], total[:100]), SourceSeries((), GRID[200:], total[200:])],
        num_query: [],  # no 5xx series exists yet
    }
    _pass(store, FakeSource(answers), slos=(SEARCH,))
    ts, good, stored_total = store.read_sli_samples(SEARCH.id, 0, UNTIL)
    assert np.array_equal(ts, np.concatenate([GRID[:100], GRID[200:]]))
    assert np.array_equal(good, stored_total)
    assert store.watermark(f"sli:{SEARCH.id}") == UNTIL


# --- golden signals: grouped by service in PromQL, or one query per service ---------------

GROUPED_TRAFFIC = "sum by (service) (rate(http_requests_total[$window]))"
GROUPED_TRAFFIC_1M = fill(GROUPED_TRAFFIC, STEP)  # the exact rates per step


def _traffic(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(1.0, 50.0, STEPS)


def _golden_queries(**templates: str) -> Queries:
    """Only these golden signals: no deployment or cost target."""
    return _queries(golden_signals=templates, deployments=None, cost=None)


def _grouped_answer() -> list[SourceSeries]:
    """checkout and search (both with SLOs), billing (no SLO) and a series without the label."""
    search = _traffic(2)
    search[40:60] = np.nan  # Prometheus had no point there: no data, not 0
    return [
        SourceSeries((("service", "checkout"),), GRID, _traffic(1)),
        SourceSeries((("service", "search"),), GRID, search),
        SourceSeries((("service", "billing"),), GRID, _traffic(3)),
        SourceSeries((), GRID, _traffic(4)),
    ]


def test_grouped_golden_signal_is_one_query_per_chunk_split_into_per_service_series(store):
    queries = _golden_queries(traffic=GROUPED_TRAFFIC)
    source = FakeSource({GROUPED_TRAFFIC_1M: _grouped_answer()})
    (target,) = [t for t in targets_for([CHECKOUT, SEARCH], queries) if not isinstance(t, SLITarget)]
    assert isinstance(target, GroupedGoldenSignalTarget) and target.key == "golden:*:traffic"

    summary = _pass(store, source, targets=[target])
    assert summary.failed == []
    assert [call[0] for call in source.calls] == [GROUPED_TRAFFIC_1M] * 8  # one per chunk, not per service
    ts, checkout = read_series(store, "golden", "checkout", "traffic", 0, UNTIL)
    assert np.array_equal(ts, GRID) and np.array_equal(checkout, _traffic(1))
    ts, search = read_series(store, "golden", "search", "traffic", 0, UNTIL)
    has_point = np.ones(STEPS, bool)
    has_point[40:60] = False
    assert np.array_equal(ts, GRID[has_point]) and np.array_equal(search, _traffic(2)[has_point])
    # Services without an SLO and unlabelled series are not stored.
    assert store.series_keys("golden") == [("checkout", "traffic"), ("search", "traffic")]
    assert summary.samples == 2 * STEPS - 20
    assert store.watermark("golden:*:traffic") == UNTIL
    (run,) = store.runs()
    assert (run.query_key, run.status, run.samples_written) == ("golden:*:traffic", "ok", 2 * STEPS - 20)


class StoreFailingAtWrite:
    """Our own Store, failing its ``fail_at``-th call of ``method`` (a database that went away)."""

    def __init__(self, store, fail_at: int, method: str = "write_series"):
        self._store, self._fail_at, self._writes, self._method = store, fail_at, 0, method

    def _write(self, *args, **kwargs):
        self._writes += 1
        if self._writes == self._fail_at:
            raise StoreError(f"database sqlite:///gone.db: disk I/O error in {self._method}")
        return getattr(self._store, self._method)(*args, **kwargs)

    def __getattr__(self, name):
        return self._write if name == self._method else getattr(self._store, name)


def test_grouped_golden_signal_failing_between_services_repeats_the_chunk_without_duplicates(store):
    queries = _golden_queries(traffic=GROUPED_TRAFFIC)
    target = GroupedGoldenSignalTarget("traffic", frozenset({"checkout", "search"}), queries)
    source = FakeSource({GROUPED_TRAFFIC_1M: _grouped_answer()})
    # Writes go checkout, search per chunk: write 6 is search's of the third chunk, after checkout's landed.
    with pytest.raises(StoreError, match="disk I/O error"):
        _pass(StoreFailingAtWrite(store, fail_at=6), source, targets=[target])
    assert store.watermark("golden:*:traffic") == int(GRID[2 * MAX_POINTS - 1])  # two whole chunks
    assert read_series(store, "golden", "checkout", "traffic", 0, UNTIL)[0].size == 3 * MAX_POINTS
    assert store.runs()[0].status == "failed"

    _pass(store, FakeSource({GROUPED_TRAFFIC_1M: _grouped_answer()}), targets=[target])
    ts, checkout = read_series(store, "golden", "checkout", "traffic", 0, UNTIL)
    assert np.array_equal(ts, GRID) and np.array_equal(checkout, _traffic(1))
    assert read_series(store, "golden", "search", "traffic", 0, UNTIL)[0].size == STEPS - 20
    assert store.watermark("golden:*:traffic") == UNTIL


def test_switching_to_the_grouped_form_resumes_from_the_oldest_per_service_watermark(store):
    # Per-service targets collected checkout up to an hour ago and search up to 30 min ago.
    store.set_watermark("golden:checkout:traffic", UNTIL - 3600)
    store.set_watermark("golden:search:traffic", UNTIL - 1800)
    target = GroupedGoldenSignalTarget("traffic", frozenset({"checkout", "search"}),
                                       _golden_queries(traffic=GROUPED_TRAFFIC))
    source = FakeSource({GROUPED_TRAFFIC_1M: _grouped_answer()})
    summary = _pass(store, source, targets=[target])
    assert [call[1:3] for call in source.calls] == [(UNTIL - 3600 + STEP, UNTIL - 3600 + MAX_POINTS * STEP),
                                                    (UNTIL - 3600 + (MAX_POINTS + 1) * STEP, UNTIL)]
    assert summary.samples == 2 * 60
    assert store.watermark("golden:*:traffic") == UNTIL


def test_a_service_that_joins_a_grouped_signal_later_gets_its_history_once(store):
    queries = _golden_queries(traffic=GROUPED_TRAFFIC)
    answer = _grouped_answer()
    first = GroupedGoldenSignalTarget("traffic", frozenset({"checkout"}), queries)
    _pass(store, FakeSource({GROUPED_TRAFFIC_1M: answer}), targets=[first], until=UNTIL - 3600)
    assert store.series_keys("golden") == [("checkout", "traffic")]

    # search gets its first SLO: the shared watermark alone would start it an hour ago.
    both = GroupedGoldenSignalTarget("traffic", frozenset({"checkout", "search"}), queries)
    summary = _pass(store, FakeSource({GROUPED_TRAFFIC_1M: answer}), targets=[both])
    assert [r.key for r in summary.results] == ["golden:*:traffic", "golden:search:traffic"]
    ts, search = read_series(store, "golden", "search", "traffic", 0, UNTIL)
    has_point = np.ones(STEPS, bool)
    has_point[40:60] = False
    assert np.array_equal(ts, GRID[has_point]) and np.array_equal(search, _traffic(2)[has_point])
    assert store.watermark("golden:search:traffic") == UNTIL

    # Later passes know search: no second backfill.
    later = _pass(store, FakeSource({GROUPED_TRAFFIC_1M: answer}), targets=[both], until=UNTIL + 600)
    assert [r.key for r in later.results] == ["golden:*:traffic"]


def test_grouped_golden_signal_without_any_series_moves_its_watermark(store):
    queries = _golden_queries(traffic=GROUPED_TRAFFIC)
    target = GroupedGoldenSignalTarget("traffic", frozenset({"checkout"}), queries)
    summary = _pass(store, FakeSource({}), targets=[target])
    assert summary.samples == 0 and summary.failed == []
    assert store.watermark("golden:*:traffic") == UNTIL


def test_rejected_grouped_golden_query_names_the_signal(store):
    queries = _golden_queries(traffic=GROUPED_TRAFFIC)
    source = FakeSource({})
    source.rejected[GROUPED_TRAFFIC_1M] = "1:1: parse error"
    summary = _pass(store, source, targets=targets_for([CHECKOUT], queries)[1:])
    assert summary.results[0].error == (
        "golden signal traffic of every service: http://127.0.0.1:9 rejected the query: 1:1: parse error"
    )


def test_a_template_with_service_is_one_query_per_service(store):
    # A fleet whose services name their metrics differently: the per-service form.
    queries = _golden_queries(traffic="sum(rate(${service}_requests_total[$window]))",
                              saturation="max by (service) (process_saturation_ratio)")
    targets = targets_for([CHECKOUT, SEARCH], queries)[2:]
    assert [t.key for t in targets] == ["golden:*:saturation", "golden:checkout:traffic", "golden:search:traffic"]
    assert all(isinstance(t, GoldenSignalTarget) for t in targets[1:])
    source = FakeSource({
        fill("sum(rate(checkout_requests_total[$window]))", STEP): [SourceSeries((), GRID, _traffic(1))],
        fill("sum(rate(search_requests_total[$window]))", STEP): [SourceSeries((), GRID, _traffic(2))],
    })
    summary = _pass(store, source, targets=targets[1:])
    assert summary.failed == [] and summary.samples == 2 * STEPS
    for service, seed in (("checkout", 1), ("search", 2)):
        ts, values = read_series(store, "golden", service, "traffic", 0, UNTIL)
        assert np.array_equal(ts, GRID) and np.array_equal(values, _traffic(seed))
        assert store.watermark(f"golden:{service}:traffic") == UNTIL


def test_grouped_query_names_the_services_with_an_slo_as_an_exact_regex(store):
    queries = _golden_queries(traffic='sum by (service) (rate(http_requests_total{service=~"$services"}[$window]))')
    (target,) = targets_for([SEARCH, dataclasses.replace(CHECKOUT, service="check.out")], queries)[2:]
    source = FakeSource({})
    _pass(store, source, targets=[target])
    # Sorted, the dot escaped for the regex and its backslash for the PromQL string.
    assert r'http_requests_total{service=~"check\\.out|search"}' in source.calls[0][0]


def test_queries_file_refuses_unknown_cost_keys_naming_file_and_key(tmp_path):
    path = tmp_path / "queries.yaml"
    path.write_text("cost:\n  query: sum(x)\n  scope_lable: team\n")
    with pytest.raises(ConfigError, match=r"queries.yaml: cost: unknown key\(s\) \['scope_lable'\]"):
        load_queries(path)


def test_shipped_queries_file_loads_with_every_golden_signal():
    queries = load_queries()
    assert sorted(queries.golden_signals) == sorted(GOLDEN_SIGNALS)
    assert all(queries.golden_is_grouped(signal) for signal in GOLDEN_SIGNALS)
    assert all("by (service" in queries.golden(signal, STEP) for signal in GOLDEN_SIGNALS)
    assert queries.deployments and queries.cost and queries.cost_scope_label == "namespace"


def test_golden_chunks_past_the_stores_hourly_horizon_end_at_midnight_and_a_day_too_long_for_a_query_stops_the_pass(
        open_store):
    """With a store keeping golden days older than 2 days as daily sums only, a 5-day backfill
    asks whole days up to that horizon; at a 5 s step a day is more than one query may ask for."""
    day, now = 86_400, UNTIL + 300
    retention = Retention(raw_s=35 * day, golden_raw_s=day, rollup_s=400 * day, golden_hourly_s=2 * day)
    store = open_store(clock=lambda: now, retention=retention)
    queries = _golden_queries(traffic=GROUPED_TRAFFIC, saturation=GROUPED_TRAFFIC)
    target = GroupedGoldenSignalTarget("traffic", frozenset({"checkout"}), queries)
    source = FakeSource({})
    collect_pass(store, source, [target], until=UNTIL, since_s=5 * day, step=STEP, max_points=2_000)
    horizon = (now - 2 * day) // day * day
    ends = [end for _, _, end, _ in source.calls]
    assert [end % day for end in ends if end <= horizon] == [0, 0, 0]  # the first, partial day, then two whole
    assert ends[2] == horizon and ends[3] == horizon + 2_000 * STEP  # then 2,000 points a chunk, as before

    fresh = FakeSource({})
    target = dataclasses.replace(target, signal="saturation")  # no watermark yet
    with pytest.raises(ConfigError, match="a UTC day holds 17280 steps of 5 s, more than the 11000 points one "
                                          r"query may ask for \(collect.max_points_per_query\).*at least 8 s"):
        collect_pass(store, fresh, [target], until=UNTIL, since_s=5 * day, step=5, max_points=11_000)
    assert fresh.calls == []
    assert [run.status for run in store.runs()][:1] == ["failed"]
