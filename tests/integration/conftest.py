"""Fixtures for tests against real servers.

``prometheus_with(data)`` backfills ``data`` (OpenMetrics text, or ``prom.MetricSeries``)
into a fresh TSDB, starts Prometheus on a free loopback port and returns the running
``prom.PrometheusServer`` (``.url``, ``.stop()``, ``.start()``, ``.restart()``). Servers
are shared for the session by data: the same data gives the same server. A test that
stops or restarts its server asks for its own with ``prometheus_with(data, private=True)``.
All servers are stopped by PID at the end of the session, also after failures.

Without ``prometheus``/``promtool`` on PATH these tests skip, and fail when CI=true.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator

import pytest

from tests.missing import missing

from . import prom
from .stub_http import StubHTTPServer


@pytest.fixture(scope="session")
def prometheus_binaries() -> prom.PrometheusBinaries:
    binaries = prom.find_binaries()
    if binaries is None:
        missing("prometheus and promtool must be on PATH (Debian: apt-get install prometheus)")
    return binaries


PrometheusFactory = Callable[..., prom.PrometheusServer]


@pytest.fixture(scope="session")
def prometheus_with(
    prometheus_binaries: prom.PrometheusBinaries, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PrometheusFactory]:
    shared: dict[str, prom.PrometheusServer] = {}
    started: list[prom.PrometheusServer] = []

    def factory(data: str | Iterable[prom.MetricSeries], *, private: bool = False) -> prom.PrometheusServer:
        text = data if isinstance(data, str) else prom.to_openmetrics(data)
        key = hashlib.sha256(text.encode()).hexdigest()
        if not private and key in shared:
            shared[key].start()  # no-op unless a test stopped a shared server by mistake
            return shared[key]
        server = prom.launch(prometheus_binaries, text, tmp_path_factory.mktemp("prometheus"))
        started.append(server)
        if not private:
            shared[key] = server
        return server

    yield factory
    for server in started:
        server.stop()


@pytest.fixture
def stub_http() -> Iterator[StubHTTPServer]:
    """A loopback HTTP server with programmable replies; see ``stub_http.StubHTTPServer``."""
    with StubHTTPServer() as server:
        yield server
