"""Per-instant results shared through a real Redis: computed once across workers, waited
for, served from the previous instant while another worker computes, versioned by the data
they read, and computed locally (with a warning) when Redis does not answer.

A "worker" here is an ``InstantResults`` of its own (its own in-process level and counters)
on the same Redis prefix, as each gunicorn worker builds one.
"""

from __future__ import annotations

import logging
import socket
import threading
import time

import flask
import pytest

from dashboard.cache import SharedResults
from dashboard.cache_compute import COMPUTING_HEADER, PREVIOUS_WAIT_S, InstantResults, add_computing_header
from dashboard.metrics import Metrics
from sloboard.settings import CacheSettings
from tests.redis_keys import redis_keys  # noqa: F401 (a fixture)


def _worker(url: str, prefix: str, *, wait_s: float = 5.0, lock_s: float = 30.0, deployments=lambda: None):
    metrics = Metrics()
    shared = SharedResults(CacheSettings(url=url, key_prefix=prefix, lock_s=lock_s, wait_s=wait_s), flask.Flask("w"))
    results = InstantResults(shared=shared, wait_s=wait_s, computations=metrics.computations,
                             deployments_version=deployments, fingerprint="specs-1")
    return results, metrics


def _computed(metrics: Metrics, result: str) -> int:
    return metrics.computations._counts.get(result, 0)


def test_a_result_is_computed_by_one_worker_and_read_by_the_others(redis_keys):
    workers = [_worker(redis_keys.url, redis_keys.prefix) for _ in range(3)]
    values = [results.get("status", 600, lambda: {"report": 600}) for results, _ in workers]
    assert values == [{"report": 600}] * 3
    assert [_computed(m, "status") for _, m in workers] == [1, 0, 0]
    # The next instant is computed again, once.
    assert workers[2][0].get("status", 660, lambda: {"report": 660}) == {"report": 660}
    assert sum(_computed(m, "status") for _, m in workers) == 2


def test_workers_asking_at_once_wait_for_the_one_that_computes(redis_keys):
    workers = [_worker(redis_keys.url, redis_keys.prefix) for _ in range(4)]
    started = threading.Barrier(len(workers))
    answers = []

    def slow_report():
        time.sleep(0.5)
        return "the report at 600"

    def ask(results):
        started.wait()
        answers.append(results.get("status", 600, slow_report))

    threads = [threading.Thread(target=ask, args=(results,)) for results, _ in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert answers == ["the report at 600"] * 4
    assert sum(_computed(m, "status") for _, m in workers) == 1


def test_threads_of_one_worker_compute_a_result_once(redis_keys):
    shared, _ = _worker(redis_keys.url, redis_keys.prefix)
    local_only = InstantResults(shared=None, wait_s=0, computations=Metrics().computations)
    for each in (shared, local_only):
        calls = []

        def compute():
            calls.append(1)
            time.sleep(0.3)
            return "report"

        threads = [threading.Thread(target=each.get, args=("status", 600, compute)) for _ in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert len(calls) == 1


def test_while_another_worker_computes_the_previous_instant_is_served_with_a_note(redis_keys):
    # wait_s is for a worker with nothing to show: one with an earlier instant shows it
    # after PREVIOUS_WAIT_S, not after 30 s (every user reaches a new minute at once).
    results, metrics = _worker(redis_keys.url, redis_keys.prefix, wait_s=30)
    results.get("status", 600, lambda: "the report at 600")
    other, _ = _worker(redis_keys.url, redis_keys.prefix)
    # The other worker holds the lock of the next instant and has not finished.
    assert other.shared.lock("specs-1:660:status:0:*") is not None
    app = flask.Flask("page")
    with app.test_request_context("/"):
        began = time.monotonic()
        assert results.get("status", 660, lambda: pytest.fail("computed while another worker does")) \
            == "the report at 600"
        assert PREVIOUS_WAIT_S <= time.monotonic() - began < 5.0
        response = add_computing_header(flask.Response("page"))
    assert response.headers[COMPUTING_HEADER] == "660"
    assert _computed(metrics, "status") == 1


def test_a_worker_with_nothing_older_computes_after_waiting(redis_keys, caplog):
    results, metrics = _worker(redis_keys.url, redis_keys.prefix, wait_s=0.2)
    assert results.shared.lock("specs-1:600:status:0:*") is not None  # held by a worker that died
    with caplog.at_level(logging.WARNING, logger="dashboard.cache_compute"):
        assert results.get("status", 600, lambda: "computed here") == "computed here"
    assert _computed(metrics, "status") == 1
    assert "waited 0.2 s for another worker to compute status at 600; computing it here" in caplog.text


def test_a_new_deployment_or_collection_generation_is_a_new_version(redis_keys):
    newest_deployment = [7]
    workers = [_worker(redis_keys.url, redis_keys.prefix, deployments=lambda: newest_deployment[0]) for _ in range(2)]
    (first, first_metrics), (second, second_metrics) = workers
    assert first.get("dora", 600, lambda: "DORA with 7") == "DORA with 7"
    assert first.get(("cost_trends", "total"), 600, lambda: "cost") == "cost"
    newest_deployment[0] = 8  # a deployment was recorded after the instant was computed
    assert second.get("dora", 600, lambda: "DORA with 8") == "DORA with 8"
    assert first.get("dora", 600, lambda: pytest.fail("computed twice")) == "DORA with 8"
    # Cost trends read no deployments: still the value computed before.
    assert second.get(("cost_trends", "total"), 600, lambda: pytest.fail("cost recomputed")) == "cost"
    assert second.mark_written() == 1  # a collection pass wrote samples
    assert first.get(("cost_trends", "total"), 600, lambda: "cost after the pass") == "cost after the pass"
    assert _computed(first_metrics, "dora") + _computed(second_metrics, "dora") == 2


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_without_redis_a_worker_computes_locally_and_says_so_once(caplog):
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    results, metrics = _worker(url, "down:")
    with caplog.at_level(logging.WARNING, logger="dashboard.cache_compute"):
        assert results.get("status", 600, lambda: "computed here") == "computed here"
        assert results.get("status", 600, lambda: pytest.fail("kept in the process")) == "computed here"
        assert results.get("status", 660, lambda: "next instant") == "next instant"
    assert _computed(metrics, "status") == 2
    assert results.down.startswith(f"cache {url}: Error 111 connecting")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "computing locally until it answers again" in warnings[0].getMessage()


def test_a_readiness_probe_finds_redis_down_before_any_result_is_asked_for():
    results, _ = _worker(f"redis://127.0.0.1:{_closed_port()}/0", "down:")
    assert results.down is None
    assert "Error 111 connecting" in results.probe() and results.down == results.probe()


def test_a_readiness_probe_of_a_redis_that_answers_finds_nothing(redis_keys):
    results, _ = _worker(redis_keys.url, redis_keys.prefix)
    assert results.probe() is None
