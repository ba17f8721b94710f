"""Counters as a real Prometheus scrape records them, with the exact truth kept aside.

Events arrive per second (Poisson) at each target. A target is scraped every
``interval_s`` at its own ``offset_s`` from the minute, with uniform jitter, so samples
fall between step ends as real scrapes do. A target may:

- be born late (its first scrape is its counters' baseline);
- miss scrapes for a while (``gaps``: the process keeps serving, nobody looks);
- restart (``restarts``): it is down from just after one scrape until the restart, so no
  event is lost unseen, and its counters start again at 0;
- create its 5xx series lazily, at the first 5xx (and again after a restart), as
  client libraries do.

The truth never reads sample values: the events one step counts for a series are the
events that happened between the series' last sample at or before the previous step
end (within the lookback) and its last sample at or before this step end. That is the
counting rule ``collectors.promql`` documents, stated over event times.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import prom

CODES = ("200", "500")
# Event times within their second: never on a scrape time (those have a fraction of ms).
EVENT_FRACTION = 0.25


@dataclass(frozen=True)
class Target:
    service: str
    instance: str
    interval_s: float
    offset_s: float
    jitter_s: float = 2.0
    rates: tuple[float, float] = (20.0, 0.2)  # events per second: 200s, 500s
    born_s: float = 0.0  # seconds after the data's start before the first scrape
    gaps: tuple[tuple[float, float], ...] = ()  # (from, to) seconds after start: no scrape
    restarts: tuple[float, ...] = ()  # seconds after start: counters start again at 0


@dataclass
class Scraped:
    """One target's samples per code, and the events behind them."""

    target: Target
    start: int
    scrape_ts: np.ndarray  # float seconds, ascending
    events: dict[str, np.ndarray]  # per second since start: events of that code
    samples: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # code: (ts, values)


def scrape(target: Target, start: int, end: int, seed: int) -> Scraped:
    rng = np.random.default_rng(seed)
    seconds = end - start
    ticks = np.arange(target.offset_s, seconds, target.interval_s)
    ts = ticks + rng.uniform(-target.jitter_s, target.jitter_s, ticks.size)
    ts = np.round(ts, 3)
    ts = np.where(ts % 1 == 0, ts + 0.001, ts)  # whole seconds are where step ends lie
    ts = ts[(ts > target.born_s) & (ts < seconds)]
    for lo, hi in target.gaps:
        ts = ts[(ts < lo) | (ts >= hi)]
    assert np.all(np.diff(ts) > 0) and np.all(ts % 1 != 0), "jitter reordered scrapes or hit a whole second"
    events = {code: rng.poisson(rate, seconds).astype(np.int64) for code, rate in zip(CODES, target.rates)}
    event_t = np.arange(seconds) + EVENT_FRACTION
    for restart in target.restarts:
        down_from = ts[ts < restart].max()  # the last scrape before the crash
        for counts in events.values():
            counts[(event_t > down_from) & (event_t <= restart)] = 0
    out = Scraped(target, start, ts + start, events)
    for code, counts in events.items():
        cumulative = np.concatenate([[0], np.cumsum(counts)])
        seen = cumulative[np.searchsorted(event_t, ts, side="right")]  # events at or before each scrape
        since_restart = seen - cumulative[np.searchsorted(event_t, _last_restart(ts, target.restarts), side="right")]
        exists = since_restart > 0 if code.startswith("5") else np.ones(ts.size, dtype=bool)
        out.samples[code] = (ts[exists] + start, since_restart[exists].astype(np.float64))
    return out


def _last_restart(ts: np.ndarray, restarts: tuple[float, ...]) -> np.ndarray:
    """For each scrape, the time of the last restart before it (-1: none yet)."""
    marks = np.array([-1.0, *sorted(restarts)])
    return marks[np.searchsorted(marks, ts, side="right") - 1]


def metric_series(scraped: Scraped, name: str = "http_requests_total") -> list[prom.MetricSeries]:
    out = []
    for code, (ts, values) in scraped.samples.items():
        labels = {"service": scraped.target.service, "instance": scraped.target.instance, "code": code}
        out.append(prom.MetricSeries(name, labels, ts.tolist(), values.tolist()))
    return out


def step_truth(scraped: Scraped, code: str, step_ends: np.ndarray, step_s: int, lookback_s: int) -> np.ndarray:
    """Events of ``code`` that each step counts: those between the series' last sample at or
    before the previous step end and its last sample at or before this one, both within the
    lookback; 0 where either is missing."""
    ts, _ = scraped.samples[code]
    cumulative = np.concatenate([[0], np.cumsum(scraped.events[code])])
    event_t = scraped.start + np.arange(scraped.events[code].size) + EVENT_FRACTION

    def last_sample(at: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(ts, at, side="right") - 1
        found = np.where(idx >= 0, ts[np.maximum(idx, 0)], np.nan)
        return np.where(at - found < lookback_s, found, np.nan)

    now, before = last_sample(step_ends), last_sample(step_ends - step_s)
    both = ~np.isnan(now) & ~np.isnan(before)
    upto = lambda t: cumulative[np.searchsorted(event_t, np.nan_to_num(t), side="right")]  # noqa: E731
    return np.where(both, upto(now) - upto(before), 0)


def availability_spec(service: str, matchers: str, window: str, target: float, alert_windows: str = "",
                      name: str = "availability") -> str:
    """An OpenSLO v1 availability SLO over ``http_requests_total{<matchers>}`` in counter mode,
    as a team would write it for these counters."""
    annotations = f"\n  annotations:\n    sloboard.dev/alert-windows: {alert_windows}" if alert_windows else ""
    return f"""\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: {name}{annotations}
spec:
  service: {service}
  indicator:
    metadata:
      name: {service}-{name}
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec:
              query: sum(http_requests_total{{{matchers},code!~"5.."}})
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(http_requests_total{{{matchers}}})
  timeWindow:
    - duration: {window}
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: {target}
"""
