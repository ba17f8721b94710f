"""The synthetic fleet: deterministic, internally consistent, written as strict OpenMetrics.

Truths are checked against values recomputed here from the OpenMetrics text (counter
deltas, OpenCost prices times allocations) or by hand (``histogram_quantile``).
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from collectors.queries import GOLDEN_SIGNALS
from collectors.synthetic import DEMO_SERVICES, LATENCY_BOUNDS_S, LE_LABELS, generate_fleet
from collectors.synthetic_store import golden_signal_values, histogram_quantile, seed_store
from sloboard.domain import DeployStatus
from sloboard.errors import InputError
from sloboard.specs import load_specs
from sloboard.store import Retention, Store
from tests.factories import make_indicator, make_slo
from tests.missing import missing
from tests.openmetrics_backfill import openmetrics_text, write_openmetrics
from tests.series_reads import read_series, read_series_hourly

REPO = Path(__file__).resolve().parents[1]
WEDNESDAY = 1_700_006_400  # 2023-11-15 00:00 UTC
DAY = 86_400
STEP = 60


@pytest.fixture(scope="module")
def day_fleet():
    return generate_fleet(3, WEDNESDAY, WEDNESDAY + DAY, seed=7)


@pytest.fixture(scope="module")
def day_text(day_fleet) -> str:
    return openmetrics_text(day_fleet)


@pytest.fixture(scope="module")
def day_parsed(day_text):
    """The day's OpenMetrics, checked strictly once: ({family: type}, {(name, labels): (ts, values)})."""
    return read_openmetrics(day_text)


def demo_fleet_for(seed: int):
    return generate_fleet(DEMO_SERVICES, WEDNESDAY, WEDNESDAY + 35 * DAY, seed=seed)


@pytest.fixture(scope="module")
def demo_fleet():
    return demo_fleet_for(0)


@pytest.fixture(scope="module")
def demo_slos():
    return {slo.id: slo for slo in load_specs([REPO / "slo_specs"]).slos}


# --- a strict OpenMetrics reader -------------------------------------------------------

_SAMPLE = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+) (\d+)")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')
_SUFFIXES = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_count", "_sum")}


def _labels(body: str) -> tuple[tuple[str, str], ...]:
    pairs = _LABEL.findall(body)
    assert ",".join(f'{k}="{v}"' for k, v in pairs) == body, f"malformed labels {body!r}"
    keys = [k for k, _ in pairs]
    assert keys == sorted(keys) and len(set(keys)) == len(keys), f"labels not sorted or repeated: {body!r}"
    return tuple(pairs)


def read_openmetrics(text: str) -> tuple[dict[str, str], dict[tuple, tuple[np.ndarray, np.ndarray]]]:
    """Check the text line by line; return {family: type} and {(name, labels): (ts, values)}.

    Enforced: metadata before a family's samples and once per family, families in name
    order and never reopened, sample names matching the family's type, a UNIT that is
    the name's suffix, series in label order and contiguous (histograms: one point =
    all buckets in ``le`` order, ``_count``, ``_sum``), timestamps strictly increasing,
    counters integer and never decreasing, ``_count`` = +Inf bucket, ``# EOF`` last.
    """
    assert text.endswith("# EOF\n") and text.count("# EOF") == 1
    types: dict[str, str] = {}
    series: dict[tuple, tuple[list, list]] = {}
    family = kind = None
    order: list[tuple] = []  # series keys of the current family, in first-seen order
    point: list[tuple] = []  # the current histogram point
    for number, line in enumerate(text[: -len("# EOF\n")].split("\n")[:-1], start=1):
        where = f"line {number}: {line[:120]!r}"
        if line.startswith("#"):
            word, name, rest = (line.split(" ", 3) + [""])[1:4]
            assert word in ("HELP", "TYPE", "UNIT") and rest, where
            if name != family:
                assert name not in types and (family is None or name > family), f"{where}: family out of order"
                assert not point, f"{where}: unfinished histogram point"
                family, kind, order = name, None, []
                types[name] = ""
            assert not order, f"{where}: metadata after samples"
            if word == "TYPE":
                assert rest in _SUFFIXES and kind is None, where
                kind = types[name] = rest
            if word == "UNIT":
                assert name.endswith("_" + rest), f"{where}: unit is not the name's suffix"
            continue
        match = _SAMPLE.fullmatch(line)
        assert match and kind, where
        name, body, value, ts = match.groups()
        suffix = name[len(family):]
        assert name.startswith(family) and suffix in _SUFFIXES[kind], f"{where}: sample outside family {family}"
        labels = _labels(body)
        numeric = float(value)
        assert math.isfinite(numeric) and numeric >= 0, where
        counts_events = kind == "counter" and not family.endswith("_seconds")  # CPU seconds are not events
        if counts_events or suffix in ("_bucket", "_count"):
            assert value.isdigit(), f"{where}: counter value is not an integer"
        key = (name, labels)
        if kind == "histogram":
            group = tuple(kv for kv in labels if kv[0] != "le")
            point.append((suffix, dict(labels).get("le"), numeric, int(ts), group))
            if suffix == "_sum":
                _check_histogram_point(point, where)
                if not order or order[-1] != group:
                    assert group not in order and (not order or group > order[-1]), f"{where}: series order"
                    order.append(group)
                point = []
        elif not order or order[-1] != key:
            assert key not in series and (not order or labels > order[-1][1]), f"{where}: series out of order"
            order.append(key)
        times, values = series.setdefault(key, ([], []))
        assert not times or int(ts) > times[-1], f"{where}: timestamps must increase"
        if kind == "counter" or kind == "histogram":
            assert not values or numeric >= values[-1], f"{where}: counter decreased"
        times.append(int(ts))
        values.append(numeric)
    assert not point
    return types, {k: (np.array(t), np.array(v)) for k, (t, v) in series.items()}


def _check_histogram_point(point: list[tuple], where: str) -> None:
    suffixes = [p[0] for p in point]
    assert suffixes == ["_bucket"] * len(LE_LABELS) + ["_count", "_sum"], f"{where}: histogram point {suffixes}"
    assert [p[1] for p in point[: len(LE_LABELS)]] == list(LE_LABELS), where
    assert len({p[3] for p in point}) == 1 and len({p[4] for p in point}) == 1, where
    counts = [p[2] for p in point[: len(LE_LABELS)]]
    assert counts == sorted(counts) and point[len(LE_LABELS)][2] == counts[-1], f"{where}: buckets"


def series_values(parsed, name: str, **labels) -> np.ndarray:
    return parsed[(name, tuple(sorted(labels.items())))][1]


# --- determinism and consistency ---------------------------------------------------------


def test_same_seed_gives_the_same_fleet_and_another_seed_does_not():
    a = generate_fleet(3, WEDNESDAY, WEDNESDAY + 3 * DAY, seed=11)
    b = generate_fleet(3, WEDNESDAY, WEDNESDAY + 3 * DAY, seed=11)
    c = generate_fleet(3, WEDNESDAY, WEDNESDAY + 3 * DAY, seed=12)
    assert a.deployments == b.deployments and a.incidents == b.incidents
    assert openmetrics_text(a) == openmetrics_text(b)
    assert not np.array_equal(a.requests("checkout"), c.requests("checkout"))


def test_a_service_does_not_depend_on_the_other_services_or_on_block_caching():
    alone = generate_fleet(DEMO_SERVICES[:1], WEDNESDAY, WEDNESDAY + 9 * DAY, seed=3)
    together = generate_fleet(DEMO_SERVICES, WEDNESDAY, WEDNESDAY + 9 * DAY, seed=3)
    np.testing.assert_array_equal(alone.requests("checkout", "5xx"), together.requests("checkout", "5xx"))
    blocks = list(together.iter_series("checkout"))
    assert [b.ts.size for b in blocks] == [7 * 1440, 2 * 1440]
    np.testing.assert_array_equal(np.concatenate([b.buckets for b in blocks]), together.series("checkout").buckets)


def test_counts_are_integers_and_every_truth_adds_up(demo_fleet):
    for service in demo_fleet.service_names:
        s = demo_fleet.series(service)
        total = demo_fleet.requests(service)
        assert total.dtype == np.int64 and total.min() >= 0
        codes = sum(demo_fleet.requests(service, code) for code in ("200", "404", "500", "503"))
        np.testing.assert_array_equal(codes, total)
        classes = sum(demo_fleet.requests(service, c) for c in ("2xx", "4xx", "5xx"))
        np.testing.assert_array_equal(classes, total)
        good, avail_total = demo_fleet.availability(service)
        np.testing.assert_array_equal(avail_total - good, demo_fleet.requests(service, "5xx"))
        assert np.all(np.diff(s.buckets, axis=1) >= 0), "buckets must be cumulative"
        previous = np.zeros_like(total)
        for bound in LATENCY_BOUNDS_S:
            fast, latency_total = demo_fleet.latency(service, bound)
            assert np.all(previous <= fast) and np.all(fast <= latency_total)
            previous = fast
        assert 0.0 <= s.saturation.min() and s.saturation.max() <= 1.0
        assert np.all(s.duration_sum >= 0) and np.all((s.duration_sum > 0) == (total > 0))


def test_traffic_follows_the_day_and_the_week(demo_fleet):
    ts = demo_fleet.ts
    total = demo_fleet.requests("search")
    hour = (ts - STEP // 2) % DAY // 3600
    weekday = ((ts - STEP // 2) // DAY + 3) % 7
    workdays = weekday < 5
    afternoon = total[workdays & (hour == 15)].mean()
    night = total[workdays & (hour == 3)].mean()
    assert afternoon > 2 * night
    assert total[~workdays].mean() < 0.85 * total[workdays].mean()
    rps = total.mean() / STEP
    assert 0.8 * 120 < rps < 1.2 * 120  # search's base rate, the daily curve averaging 1


def test_unknown_threshold_scope_and_bad_grids_are_refused(day_fleet):
    with pytest.raises(InputError, match="not a bucket bound"):
        day_fleet.latency("checkout", 0.3)
    with pytest.raises(InputError, match="not in the fleet"):
        day_fleet.requests("nope")
    with pytest.raises(InputError, match="cost scope"):
        day_fleet.cost_usd("cluster")
    with pytest.raises(InputError, match="multiples of step_s"):
        generate_fleet(1, WEDNESDAY + 30, WEDNESDAY + DAY)
    with pytest.raises(InputError, match="whole number of steps"):
        generate_fleet(1, WEDNESDAY, WEDNESDAY + DAY, step_s=7)
    with pytest.raises(InputError, match="unique"):
        generate_fleet([DEMO_SERVICES[0]] * 2, WEDNESDAY, WEDNESDAY + DAY)


# --- deployments and incidents -------------------------------------------------------------


def test_deployments_tell_a_consistent_story(demo_fleet):
    deploys = demo_fleet.deployments
    statuses = {d.status for d in deploys}
    assert statuses == set(DeployStatus)
    for service in demo_fleet.service_names:
        mine = [d for d in deploys if d.service == service]
        for before, after in zip(mine, mine[1:]):
            assert before.finished_at <= after.started_at, "deploys of one service never overlap"
        for i, d in enumerate(mine):
            assert d.committed_at < d.started_at < d.finished_at and len(d.commit) == 40
            if i and d.status is DeployStatus.SUCCEEDED and mine[i - 1].status is not DeployStatus.SUCCEEDED:
                assert d.committed_at > mine[i - 1].finished_at, "a fix is committed after the bad deploy"
            assert WEDNESDAY <= d.started_at.timestamp() and d.finished_at.timestamp() <= demo_fleet.end
            if d.status is DeployStatus.ROLLED_BACK and d.finished_at.timestamp() < demo_fleet.end - 8 * 3600:
                fix = mine[i + 1]
                assert fix.status is DeployStatus.SUCCEEDED
                assert timedelta(hours=1) <= fix.started_at - d.finished_at <= timedelta(hours=7)
                assert fix.version.rsplit(".", 1)[0] == d.version.rsplit(".", 1)[0]
                incident = next(x for x in demo_fleet.incidents if x.cause == d.version and x.service == service)
                assert 0 < incident.start - d.finished_at.timestamp() <= 300
        versions = [tuple(map(int, d.version.split("."))) for d in mine]
        assert versions == sorted(versions) and len(set(versions)) == len(versions)


def _rolling_burn(good: np.ndarray, total: np.ndarray, objective: float, steps: int) -> np.ndarray:
    bad = np.convolve(total - good, np.ones(steps), "valid")
    events = np.convolve(total, np.ones(steps), "valid")
    return bad / events / (1 - objective)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_incidents_make_some_slo_burn_over_14_4_for_an_hour(seed, demo_slos):
    fleet = demo_fleet_for(seed)
    fastest = max(_rolling_burn(*fleet.sli(slo), slo.objective, 60).max() for slo in demo_slos.values())
    assert fastest > 14.4


def test_the_demo_shows_exhausted_low_and_healthy_budgets(demo_fleet, demo_slos):
    last = slice(-28 * 1440, None)
    spent = {}
    for slo in demo_slos.values():
        good, total = demo_fleet.sli(slo)
        spent[slo.id] = (1 - good[last].sum() / total[last].sum()) / (1 - slo.objective)
    assert spent["checkout/availability"] > 1.0, spent
    assert 0.5 < spent["checkout/latency"] < 1.0, spent
    assert spent["payments/availability"] < 0.7 and spent["payments/latency"] < 0.5, spent
    assert spent["search/availability"] < 0.3, spent


def test_every_demo_spec_maps_to_its_truth(day_fleet, demo_slos):
    expected = {
        "checkout/availability": day_fleet.availability("checkout"),
        "checkout/latency": day_fleet.latency("checkout", 0.25),
        "payments/availability": day_fleet.availability("payments"),
        "payments/latency": day_fleet.latency("payments", 0.5),
        "search/availability": day_fleet.availability("search"),
        "search/latency": day_fleet.latency("search", 0.1),
    }
    assert set(demo_slos) == set(expected)
    for slo_id, (good, total) in expected.items():
        got_good, got_total = day_fleet.sli(demo_slos[slo_id])
        np.testing.assert_array_equal(got_good, good, err_msg=slo_id)
        np.testing.assert_array_equal(got_total, total, err_msg=slo_id)
    unknown = make_slo(indicator=make_indicator(good='sum(queue_jobs_total{state="done"})'))
    with pytest.raises(InputError, match="no truth"):
        day_fleet.sli(unknown)


def test_many_incidents_start_right_after_a_deploy(demo_fleet):
    caused = [i for i in demo_fleet.incidents if i.cause is not None]
    assert len(caused) >= 3 and len(caused) < len(demo_fleet.incidents)


# --- OpenMetrics --------------------------------------------------------------------------


def test_openmetrics_is_strict_and_holds_every_family(day_parsed, day_fleet):
    types, parsed = day_parsed
    assert types == {
        "container_cpu_allocation": "gauge", "container_cpu_usage_seconds": "counter",
        "container_memory_allocation_bytes": "gauge",
        "deployments": "counter", "http_request_duration_seconds": "histogram", "http_requests": "counter",
        "kube_node_status_capacity_cpu_cores": "gauge", "kube_node_status_capacity_memory_bytes": "gauge",
        "kube_pod_container_resource_limits": "gauge",
        "node_cpu_hourly_cost": "gauge", "node_ram_hourly_cost": "gauge", "node_total_hourly_cost": "gauge",
    }
    ts = day_fleet.ts
    for key, (times, _) in parsed.items():
        expected = np.concatenate([[day_fleet.start], ts]) if key[0].endswith(("_total", "_bucket", "_count", "_sum")) else ts
        np.testing.assert_array_equal(times, expected, err_msg=str(key))


def test_counter_deltas_equal_the_truths(day_parsed, day_fleet):
    _, parsed = day_parsed
    for service in day_fleet.service_names:
        for code in ("200", "404", "500", "503"):
            counter = series_values(parsed, "http_requests_total", code=code, service=service)
            np.testing.assert_array_equal(np.diff(counter), day_fleet.requests(service, code))
        for le, bound in zip(LE_LABELS, LATENCY_BOUNDS_S):
            bucket = series_values(parsed, "http_request_duration_seconds_bucket", le=le, service=service)
            np.testing.assert_array_equal(np.diff(bucket), day_fleet.latency(service, bound)[0])
        count = series_values(parsed, "http_request_duration_seconds_count", service=service)
        np.testing.assert_array_equal(np.diff(count), day_fleet.requests(service))
        mine = [d for d in day_fleet.deployments if d.service == service]
        for status, label in ((DeployStatus.SUCCEEDED, "success"), (DeployStatus.FAILED, "failed"),
                              (DeployStatus.ROLLED_BACK, "rolled_back")):
            counter = series_values(parsed, "deployments_total", service=service, status=label)
            assert counter[-1] == sum(d.status is status for d in mine)


def test_cost_truth_is_opencost_prices_times_allocations(day_parsed, day_fleet):
    """Recompute the shipped OpenCost query from the written gauges, per namespace."""
    _, parsed = day_parsed
    prices = {dict(k[1])["node"]: v for k, (_, v) in parsed.items() if k[0] == "node_cpu_hourly_cost"}
    ram = {dict(k[1])["node"]: v for k, (_, v) in parsed.items() if k[0] == "node_ram_hourly_cost"}
    per_hour: dict[str, np.ndarray] = {}
    for (name, labels), (_, values) in parsed.items():
        labels = dict(labels)
        if name == "container_cpu_allocation":
            cost = values * prices[labels["node"]]
        elif name == "container_memory_allocation_bytes":
            cost = values / 1073741824 * ram[labels["node"]]
        else:
            continue
        per_hour[labels["namespace"]] = per_hour.get(labels["namespace"], 0) + cost
    for service, hourly in per_hour.items():
        np.testing.assert_allclose(day_fleet.cost_usd(f"service:{service}"), hourly * STEP / 3600, rtol=1e-12)
    team = DEMO_SERVICES[1].team
    np.testing.assert_allclose(day_fleet.cost_usd(f"team:{team}"), day_fleet.cost_usd("service:payments"))
    totals = {k: float(v.sum()) for k, v in per_hour.items()}
    assert all(0.5 < usd * STEP / 3600 < 20 for usd in totals.values()), totals  # dollars per day


def test_writes_to_a_path_the_same_text(tmp_path, day_fleet, day_text):
    path = tmp_path / "fleet.om"
    write_openmetrics(day_fleet, path)
    assert path.read_text(encoding="utf-8") == day_text


def test_promtool_backfills_the_file_and_reads_back_every_sample(tmp_path, day_fleet, day_text, day_parsed):
    promtool = shutil.which("promtool")
    if promtool is None:
        missing("promtool is not on PATH (Debian: apt-get install prometheus)")
    source = tmp_path / "fleet.om"
    source.write_text(day_text, encoding="utf-8")
    blocks = tmp_path / "blocks"
    subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=168h",
                    str(source), str(blocks)], check=True, capture_output=True, timeout=120)
    (blocks / "wal").mkdir()  # `tsdb dump` opens the directory as a database
    dump = subprocess.run([promtool, "tsdb", "dump", str(blocks)], check=True, capture_output=True,
                          text=True, timeout=120).stdout
    _, parsed = day_parsed
    assert len(dump.splitlines()) == sum(t.size for t, _ in parsed.values())
    wanted = 'http_requests_total", code="503", service="checkout"}'
    got = [line.rsplit(" ", 2) for line in dump.splitlines() if line.endswith(tuple("0123456789")) and wanted in line]
    values = np.array([float(v) for _, v, _ in got])
    np.testing.assert_array_equal(np.diff(values), day_fleet.requests("checkout", "503"))
    assert [int(t) // 1000 for _, _, t in got][-1] == day_fleet.end


# --- golden signals and the store -------------------------------------------------------------


def test_histogram_quantile_interpolates_like_prometheus():
    buckets = np.array([[2, 6, 8], [0, 0, 0], [0, 0, 4]])
    got = [histogram_quantile(q, (1.0, 2.0), buckets) for q in (0.1, 0.5, 0.9)]
    np.testing.assert_allclose([g[0] for g in got], [0.4, 1.5, 2.0])  # 0.8/2 of bucket 1; 2/4 into bucket 2; +Inf
    assert all(math.isnan(g[1]) for g in got)  # no requests, no latency
    assert got[1][2] == 2.0  # everything above the top bound: the top bound


def test_golden_signals_are_per_step_rates_and_ratios(day_fleet):
    s = day_fleet.series("checkout")
    signals = golden_signal_values(s, STEP)
    assert set(signals) == set(GOLDEN_SIGNALS)  # the names the Prometheus collector stores
    np.testing.assert_allclose(signals["traffic"] * STEP, day_fleet.requests("checkout"))
    i = int(np.argmax(day_fleet.requests("checkout", "5xx")))
    assert signals["error_ratio"][i] == day_fleet.requests("checkout", "5xx")[i] / day_fleet.requests("checkout")[i]
    assert np.all(signals["latency_p50"] <= signals["latency_p95"])
    assert np.all(signals["latency_p95"] <= signals["latency_p99"])
    assert 0.05 < np.median(signals["latency_p50"]) < 0.25


def test_seed_store_writes_exact_truths_through_the_store(tmp_path, demo_slos):
    fleet = generate_fleet(DEMO_SERVICES, WEDNESDAY, WEDNESDAY + 8 * DAY, seed=5)
    elsewhere = make_slo(id="billing/availability", service="billing")
    slos = [*demo_slos.values(), elsewhere]
    calls = []
    with Store.open(f"sqlite:///{tmp_path / 'demo.db'}") as store:
        written = seed_store(store, fleet, slos, progress=lambda *a: calls.append(a))
        assert calls == [(i, 6) for i in range(1, 7)]  # three services, two blocks each
        for slo in demo_slos.values():
            want_good, want_total = fleet.sli(slo)
            ts, good, total = store.read_sli_samples(slo.id, fleet.start, fleet.end)
            np.testing.assert_array_equal(ts, fleet.ts)
            np.testing.assert_array_equal(good, want_good, err_msg=slo.id)
            np.testing.assert_array_equal(total, want_total, err_msg=slo.id)
        assert store.read_sli_samples(elsewhere.id, fleet.start, fleet.end)[0].size == 0
        _, usd = read_series(store, "cost", "service:payments", "opencost", fleet.start, fleet.end)
        assert math.isclose(usd.sum(), fleet.cost_usd("service:payments").sum(), rel_tol=1e-12)
        ts, p99 = read_series(store, "golden", "checkout", "latency_p99", fleet.start, fleet.end)
        assert ts.size == fleet.ts.size and np.all((p99 > 0) & (p99 <= 2.5))
        assert store.deployments() == list(fleet.deployments)
    steps = fleet.ts.size
    assert written == 6 * steps + 3 * (6 + 1) * steps  # SLIs, and 6 golden signals + cost per service


def test_seeding_a_retaining_store_equals_seeding_everything_then_pruning(tmp_path, demo_slos):
    """A store with a retention keeps old steps as hourly sums only: the same steps after
    each horizon and the same hourly rollups as seeding every step and pruning."""
    fleet = generate_fleet(DEMO_SERVICES[:1], WEDNESDAY, WEDNESDAY + 9 * DAY, seed=5)
    slos = [s for s in demo_slos.values() if s.service == DEMO_SERVICES[0].name]
    retention = Retention(raw_s=3 * DAY + 7 * 3600 + 600, golden_raw_s=DAY, rollup_s=400 * DAY)
    end = fleet.end
    with Store.open(f"sqlite:///{tmp_path / 'full.db'}") as full, \
            Store.open(f"sqlite:///{tmp_path / 'history.db'}", clock=lambda: end, retention=retention) as history:
        seed_store(full, fleet, slos)
        # Rollup rows of whole hours only: the horizon falls on the hour before the cutoff.
        full.delete_samples_before(retention.raw_horizon(None, end),
                                   kind_cutoffs={"golden": retention.raw_horizon("golden", end)})
        seed_store(history, fleet, slos)
        for slo in slos:
            for read in ("read_sli_samples_many", "read_sli_hourly_many"):
                want, got = (getattr(s, read)([slo.id], fleet.start, fleet.end)[slo.id] for s in (full, history))
                for w, g in zip(want, got):
                    np.testing.assert_array_equal(g, w, err_msg=f"{slo.id} {read}")
        for kind, scope, name in [("golden", "checkout", "latency_p99"), ("golden", "checkout", "error_ratio"),
                                  ("cost", "service:checkout", "opencost")]:
            want_steps, got_steps = (read_series(s, kind, scope, name, fleet.start, fleet.end) for s in (full, history))
            for w, g in zip(want_steps, got_steps):
                np.testing.assert_array_equal(g, w, err_msg=name)
            want, got = (read_series_hourly(s, kind, [(scope, name)], fleet.start, fleet.end)[(scope, name)]
                         for s in (full, history))
            np.testing.assert_array_equal(got[0], want[0])
            np.testing.assert_allclose(got[1], want[1], rtol=1e-12)  # sums added in another order
            np.testing.assert_array_equal(got[2], want[2])
        first_step = history.read_sli_samples(slos[0].id, fleet.start, fleet.end)[0].min()
        assert first_step == end - 3 * DAY - 8 * 3600 + STEP  # the hour boundary before the cutoff


def test_demo_fleet_generates_in_a_few_seconds():
    began = time.perf_counter()
    fleet = generate_fleet(3, WEDNESDAY, WEDNESDAY + 35 * DAY, seed=1)
    for service in fleet.service_names:
        fleet.series(service)
    assert time.perf_counter() - began < 3.0


def test_a_fleet_of_many_services_is_generated_block_by_block():
    fleet = generate_fleet(60, WEDNESDAY, WEDNESDAY + 14 * DAY, seed=2)
    assert len(fleet.service_names) == 60 and fleet.service_names[-1] == "svc-0060"
    steps = sum(block.ts.size for s in fleet.service_names[-5:] for block in fleet.iter_series(s))
    assert steps == 5 * 14 * 1440
