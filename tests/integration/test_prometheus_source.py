"""PrometheusSource against a real Prometheus holding counters with totals known exactly,
and against a stub server for the faults a real one does not produce on demand."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pytest
from pydantic import SecretStr

from collectors.prometheus import PrometheusSource
from collectors.promql import per_step_count_query
from collectors.source import SourceSeries
from sloboard.domain import QueryMode
from sloboard.errors import QueryRejected, SourceError, SourceUnavailable
from sloboard.settings import PrometheusSettings
from tests.test_source import fetch_in_chunks

from . import prom
from .stub_http import prometheus_error, prometheus_matrix

pytestmark = pytest.mark.integration

START = 1_704_067_200  # 2024-01-01T00:00:00Z, on the minute grid
MINUTES = 2 * 24 * 60  # two days of 1-minute samples
STEP = prom.STEP_S
RESETS = {"200": [1000], "500": [1700, 2500]}  # sample indices where the process restarted


@dataclass(frozen=True)
class Truth:
    """Per-sample increments, as written: ``increments[code][k]`` events arrived in ``(ts[k-1], ts[k]]``."""

    increments: dict[str, np.ndarray]

    def count(self, codes: list[str], first: int, last: int, step: int) -> float:
        """Events counted by steps evaluated at ``first, first + step, ..., last`` (epoch seconds).

        Each step counts ``(T - step, T]``; the very first sample has nothing before it.
        """
        lo = max((first - step - START) // STEP + 1, 1)
        hi = (last - START) // STEP
        return float(sum(self.increments[code][lo : hi + 1].sum() for code in codes))


@pytest.fixture(scope="module")
def truth() -> Truth:
    rng = np.random.default_rng(20240101)
    return Truth({
        "200": rng.integers(50, 500, MINUTES + 1).astype(float),
        "500": rng.integers(0, 7, MINUTES + 1).astype(float),
    })


@pytest.fixture(scope="module")
def series(truth: Truth) -> list[prom.MetricSeries]:
    return [
        prom.counter_series(
            "http_requests_total", {"service": "checkout", "code": code}, START, inc, resets=RESETS[code]
        )
        for code, inc in truth.increments.items()
    ]


@pytest.fixture(scope="module")
def prometheus(prometheus_with, series) -> prom.PrometheusServer:
    return prometheus_with(series)


def source_for(url: str, **overrides) -> PrometheusSource:
    settings = {"url": url, "timeout_s": 5.0, "retry_max_s": 2.0} | overrides
    return PrometheusSource(PrometheusSettings(**settings))


def total(result: list[SourceSeries]) -> float:
    return float(sum(s.values.sum() for s in result))


RANGES = [
    pytest.param(START, START + 3600, id="the first hour including the very first sample"),
    pytest.param(START + 900 * 60, START + 1100 * 60, id="a range across the reset of the 200 counter"),
    pytest.param(START + 1440 * 60, START + 1441 * 60, id="two steps across midnight"),
    pytest.param(START + 2000 * 60, START + 2000 * 60, id="a single step"),
    pytest.param(START, START + MINUTES * 60, id="the whole two days"),
]

ALL_CODES = ["200", "500"]
BY_CODE = 'sum by (code) (http_requests_total{service="checkout"})'


@pytest.mark.parametrize(("first", "last"), RANGES)
def test_counter_mode_adds_up_to_the_exact_total_written(prometheus, truth, first, last):
    query = per_step_count_query('sum(http_requests_total{service="checkout"})', QueryMode.COUNTER, STEP)
    result = source_for(prometheus.url).query_range(query, first, last, STEP)
    assert total(result) == truth.count(ALL_CODES, first, last, STEP)


@pytest.mark.parametrize(("first", "last"), RANGES)
@pytest.mark.parametrize(
    "spec_query",
    [
        pytest.param('sum(rate(http_requests_total{service="checkout"}[{{.window}}]))', id="rate"),
        pytest.param('sum(increase(http_requests_total{service="checkout"}[{{ .window }}]))', id="increase"),
    ],
)
def test_window_mode_adds_up_to_the_exact_total_written(prometheus, truth, spec_query, first, last):
    query = per_step_count_query(spec_query, QueryMode.WINDOW, STEP)
    result = source_for(prometheus.url).query_range(query, first, last, STEP)
    # rate * step is exact in real numbers; in floats it may differ in the last bits.
    assert total(result) == pytest.approx(truth.count(ALL_CODES, first, last, STEP), rel=1e-12)


def test_five_minute_steps_count_exactly_too(prometheus, truth):
    step = 300
    first, last = START + 3 * 3600, START + 30 * 3600
    query = per_step_count_query('http_requests_total{code="500"}', QueryMode.COUNTER, step)
    result = source_for(prometheus.url).query_range(query, first, last, step)
    assert total(result) == truth.count(["500"], first, last, step)


def test_grouped_counts_keep_one_series_per_group(prometheus, truth):
    query = per_step_count_query(BY_CODE, QueryMode.COUNTER, STEP)
    first, last = START + 600, START + 2000 * 60
    result = source_for(prometheus.url).query_range(query, first, last, STEP)
    by_code = {s.label_map["code"]: s for s in result}
    assert sorted(by_code) == ALL_CODES
    for code, s in by_code.items():
        assert s.values.sum() == truth.count([code], first, last, STEP)
        assert np.array_equal(s.ts, np.arange(first, last + 1, STEP))


class RecordingSource:
    """Our own seam, wrapped to see which ranges the chunker asks for."""

    def __init__(self, inner):
        self.inner = inner
        self.ranges: list[tuple[int, int, int]] = []

    def query_range(self, promql, start, end, step):
        self.ranges.append((start, end, step))
        return self.inner.query_range(promql, start, end, step)


def test_chunked_fetch_equals_the_unchunked_one_and_the_truth(prometheus, truth):
    query = per_step_count_query(BY_CODE, QueryMode.COUNTER, STEP)
    first, last = START, START + MINUTES * 60
    plain = source_for(prometheus.url)
    recorder = RecordingSource(plain)

    chunked = fetch_in_chunks(recorder, query, first, last, STEP, 100)
    unchunked = plain.query_range(query, first, last, STEP)

    assert sorted(chunked, key=lambda s: s.labels) == sorted(unchunked, key=lambda s: s.labels)
    assert total(chunked) == truth.count(ALL_CODES, first, last, STEP)
    points = [(end - start) // step + 1 for start, end, step in recorder.ranges]
    assert max(points) == 100 and sum(points) == MINUTES + 1
    assert all(b[0] - a[1] == STEP for a, b in zip(recorder.ranges, recorder.ranges[1:]))


def test_a_query_longer_than_any_url_is_answered(prometheus, truth):
    """A grouped query over 20,000 services (1.4 MB of PromQL once counted per step):
    Prometheus refuses such a URL (431), so it must travel as a form body."""
    services = "|".join(f"service-{i:05d}-of-a-large-fleet" for i in range(20_000)) + "|checkout"
    query = per_step_count_query(f'sum(http_requests_total{{service=~"{services}"}})', QueryMode.COUNTER, STEP)
    assert len(query) > 1_048_576  # Go's default limit on a request's header block, URL included
    first, last = START + 600, START + 3600
    result = source_for(prometheus.url, timeout_s=60.0).query_range(query, first, last, STEP)
    assert total(result) == truth.count(ALL_CODES, first, last, STEP)


def test_a_one_point_range_returns_the_counter_value_written(prometheus, series):
    at = START + 500 * 60
    answer = source_for(prometheus.url).query_range('http_requests_total{code="200"}', at, at, STEP)
    assert [(s.label_map["code"], s.ts.tolist(), s.values.tolist()) for s in answer] == [
        ("200", [at], [series[0].values[500]])]


def test_a_syntax_error_is_rejected_with_prometheus_own_message(prometheus):
    started = time.monotonic()
    with pytest.raises(QueryRejected) as caught:
        source_for(prometheus.url, retry_max_s=30.0).query_range("sum(rate(http_requests_total[5m])", START + 600, START + 600, STEP)
    assert "parse error" in str(caught.value) and "unclosed left parenthesis" in str(caught.value)
    assert prometheus.url in str(caught.value)
    assert time.monotonic() - started < 2.0  # not retried for 30 s


def test_a_query_prometheus_cannot_execute_is_rejected(prometheus):
    many_to_many = "http_requests_total + on(service) http_requests_total"
    with pytest.raises(QueryRejected, match="many-to-many matching not allowed"):
        source_for(prometheus.url).query_range(many_to_many, START + 600, START + 600, STEP)


def test_a_stopped_prometheus_is_unavailable_within_the_retry_budget_then_recovers(prometheus_with, series):
    server = prometheus_with(series, private=True)
    query = per_step_count_query("sum(http_requests_total)", QueryMode.COUNTER, STEP)
    source = source_for(server.url, retry_max_s=1.5)
    before = source.query_range(query, START, START + 3600, STEP)

    server.stop()
    started = time.monotonic()
    with pytest.raises(SourceUnavailable) as caught:
        source.query_range(query, START, START + 3600, STEP)
    elapsed = time.monotonic() - started
    assert elapsed <= 1.5 + 0.5
    assert server.url in str(caught.value) and "Connection refused" in str(caught.value)
    assert "gave up after" in str(caught.value) and "attempts" in str(caught.value)

    server.start()
    assert source.query_range(query, START, START + 3600, STEP) == before


def test_http_500_is_unavailable_and_retried(stub_http):
    stub_http.reply(500, "internal error", content_type="text/plain")
    with pytest.raises(SourceUnavailable, match="HTTP 500: internal error") as caught:
        source_for(stub_http.url, retry_max_s=1.0).query_range("up", START, START + 60, STEP)
    assert stub_http.url in str(caught.value)
    assert len(stub_http.requests) > 1


def test_http_503_from_a_query_timeout_carries_prometheus_message(stub_http):
    stub_http.reply(503, prometheus_error("timeout", "query timed out in expression evaluation"))
    with pytest.raises(SourceUnavailable, match="query timed out in expression evaluation"):
        source_for(stub_http.url, retry_max_s=0.0).query_range("up", START, START, STEP)
    assert len(stub_http.requests) == 1  # a zero budget allows exactly one attempt


def test_too_many_requests_is_unavailable(stub_http):
    stub_http.reply(429, "slow down", content_type="text/plain")
    with pytest.raises(SourceUnavailable, match="HTTP 429"):
        source_for(stub_http.url, retry_max_s=0.0).query_range("up", START, START, STEP)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param('{"status": "success", "data": {"resultType": "matr', "not JSON", id="truncated JSON"),
        pytest.param("<html>proxy error</html>", "not JSON", id="an HTML page from a proxy"),
        pytest.param('{"status": "success"}', "lacks data.result", id="JSON without data"),
        pytest.param(prometheus_matrix([{"metric": {}, "values": [[1, "2", 3]]}]), "malformed range result",
                     id="a matrix whose points are not pairs"),
    ],
)
def test_a_malformed_answer_is_unavailable(stub_http, body, message):
    stub_http.reply(200, body)
    with pytest.raises(SourceUnavailable, match=message):
        source_for(stub_http.url, retry_max_s=0.3).query_range("up", START, START + 60, STEP)


def test_a_slow_server_times_out_within_the_bounds(stub_http):
    stub_http.reply(200, prometheus_matrix([]), delay_s=5.0)
    timeout_s, retry_max_s = 0.3, 0.8
    started = time.monotonic()
    with pytest.raises(SourceUnavailable, match=r"no answer within 0\.3 s"):
        source_for(stub_http.url, timeout_s=timeout_s, retry_max_s=retry_max_s).query_range("up", START, START, STEP)
    # The budget can be overrun by at most the one request that started inside it.
    assert time.monotonic() - started <= retry_max_s + timeout_s + 0.5


def test_bad_data_from_the_stub_is_rejected_once_not_retried(stub_http):
    stub_http.reply(400, prometheus_error("bad_data", '1:5: parse error: unexpected "}"'))
    with pytest.raises(QueryRejected, match='parse error: unexpected "}"'):
        source_for(stub_http.url, retry_max_s=5.0).query_range("up}", START, START, STEP)
    assert len(stub_http.requests) == 1


def test_custom_headers_and_bearer_token_reach_the_server(stub_http):
    values = [[START, "1"], [START + 60, "NaN"], [START + 120, "+Inf"]]
    stub_http.reply(200, prometheus_matrix([{"metric": {"job": "api"}, "values": values}]))
    source = source_for(
        stub_http.url, headers={"X-Scope-OrgID": "tenant-7"}, bearer_token=SecretStr("s3cr3t-token")
    )
    [result] = source.query_range("up", START, START + 120, STEP)

    [request] = stub_http.requests
    assert request.path == "/api/v1/query_range"
    assert request.headers["x-scope-orgid"] == "tenant-7"
    assert request.headers["authorization"] == "Bearer s3cr3t-token"
    # A form body, not the URL: no PromQL is too long for a proxy's URL limit.
    assert request.method == "POST" and request.query == {}
    assert request.form["query"] == ["up"] and request.form["start"] == [str(START)]
    assert result.label_map == {"job": "api"}
    assert result.ts.tolist() == [START, START + 60, START + 120]
    assert np.array_equal(result.values, [1.0, np.nan, np.inf], equal_nan=True)


def test_basic_auth_reaches_the_server(stub_http):
    source = source_for(stub_http.url, basic_auth_user="sre", basic_auth_password=SecretStr("pa55"))
    source.query_range("up", START, START + 60, STEP)
    assert stub_http.requests[0].headers["authorization"] == "Basic c3JlOnBhNTU="  # base64("sre:pa55")


def test_errors_never_carry_the_credentials(stub_http):
    stub_http.reply(401, "unauthorized", content_type="text/plain")
    url_with_password = stub_http.url.replace("http://", "http://reader:url-secret@")
    source = source_for(url_with_password, headers={"X-Scope-OrgID": "t"})
    with pytest.raises(SourceError, match="HTTP 401") as caught:
        source.query_range("up", START, START, STEP)
    # Neither retried (a wrong credential stays wrong) nor blamed on the query.
    assert not isinstance(caught.value, (SourceUnavailable, QueryRejected))
    assert "url-secret" not in str(caught.value)
    assert len(stub_http.requests) == 1
