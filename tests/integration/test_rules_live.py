"""The generated rules, loaded into a real Prometheus over backfilled data, record the same
SLI, budget left and 1h burn as ``sloboard status`` for the same instant, within 1e-6.

``promtool tsdb create-blocks-from rules`` evaluates recording rules over the past, as a
running Prometheus would have (at each group's own evaluation times, which lie at an
offset from the minute). It asks the server for each rule separately, so rules that read
other recorded series are backfilled level by level: counts first, then what sums them,
restarting Prometheus on the new blocks in between (the file keeps its path, so every
level is evaluated at the same offsets), a path at which a probe shows promtool evaluating
every group at every interval across a 2-hour block boundary (``_stage_path``).

The counters are sampled on the minute grid, so a count the rules record at an offset
``d`` past a minute equals the collector's count of the step that ends at that minute:
no sample lies between the two. Both indicator modes: a counter-mode ratio SLO and a
``{{.window}}`` latency SLO, each over a 1-day window so its lower edge cuts the data; and
the counter SLO budgeted by Timeslices and RatioTimeslices over one-minute slices.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
import yaml

from . import prom
from .sloboard_cli import cli_env, run_sloboard

pytestmark = pytest.mark.integration

STEP, DAY = 60, 86400
AT = int(datetime(2026, 4, 7, tzinfo=timezone.utc).timestamp())
START = AT - 2 * DAY
N = 2 * DAY // STEP + 1  # samples at START, START + 60 s, ..., AT

def _spec(name: str, good: str, total: str, target: float, counter: str = "", method: str = "Occurrences",
          slices: str = "") -> str:
    """An OpenSLO SLO of checkout over a rolling day."""
    return f"""\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: {name}
  annotations:
    sloboard.dev/team: storefront
spec:
  service: checkout
  indicator:
    metadata:
      name: checkout-{name}
    spec:
      ratioMetric:{counter}
        good:
          metricSource:
            type: Prometheus
            spec:
              query: {good}
        total:
          metricSource:
            type: Prometheus
            spec:
              query: {total}
  timeWindow:
    - duration: 1d
      isRolling: true
  budgetingMethod: {method}
  objectives:
    - target: {target}{slices}
"""


COUNTER_GOOD, COUNTER_TOTAL = 'sum(http_requests_total{service="checkout",code!~"5.."})', 'sum(http_requests_total{service="checkout"})'
OBJECTIVES = {"checkout/availability": 0.99, "checkout/latency": 0.95, "checkout/good-minutes": 0.9,
              "checkout/mean-minute": 0.99}
SPECS = "---\n".join([
    _spec("availability", COUNTER_GOOD, COUNTER_TOTAL, 0.99, counter="\n        counter: true"),
    # One-minute slices: a minute is good at 98 % good requests; and the mean of the minutes' ratios.
    _spec("good-minutes", COUNTER_GOOD, COUNTER_TOTAL, 0.9, method="Timeslices",
          slices="\n      timeSliceTarget: 0.98\n      timeSliceWindow: 1m"),
    _spec("mean-minute", COUNTER_GOOD, COUNTER_TOTAL, 0.99, method="RatioTimeslices",
          slices="\n      timeSliceWindow: 1m"),
    _spec("latency", 'sum(rate(http_request_duration_seconds_bucket{service="checkout",le="0.25"}[{{.window}}]))',
          'sum(rate(http_request_duration_seconds_count{service="checkout"}[{{.window}}]))', 0.95),
])


def _data() -> list[prom.MetricSeries]:
    """Two instances, a restart, a 5xx series born at the first 5xx, a missed scrape run
    shorter than the lookback, and an incident in the last day."""
    rng = np.random.default_rng(12)
    k = np.arange(N)
    incident = (k > N - 600) & (k < N - 420)  # 3 hours, 10 to 7 hours before AT
    out = []
    for instance, keep in (("a", np.ones(N, bool)), ("b", ~((k > 1500) & (k < 1504)))):
        labels = {"service": "checkout", "instance": instance}
        ok = rng.poisson(600, N)
        bad = rng.poisson(np.where(incident, 40.0, 1.5), N)
        resets = [2100] if instance == "a" else []
        for code, inc, born in (("200", ok, 0), ("500", bad, 300)):
            s = prom.counter_series("http_requests_total", {**labels, "code": code}, START + born * STEP, inc[born:],
                                    resets=[r - born for r in resets], step=STEP)
            out.append(_keep(s, keep[born:]))
        fast = rng.binomial(ok + bad, np.where(incident, 0.8, 0.97))
        for name, extra, inc in (("http_request_duration_seconds_bucket", {"le": "0.25"}, fast),
                                 ("http_request_duration_seconds_count", {}, ok + bad)):
            out.append(_keep(prom.counter_series(name, {**labels, **extra}, START, inc, resets=resets, step=STEP), keep))
    return out


def _keep(series: prom.MetricSeries, keep: np.ndarray) -> prom.MetricSeries:
    """``series`` without the scrapes that were missed (the counter kept counting)."""
    ts = [t for t, k in zip(series.ts, keep) if k]
    values = [v for v, k in zip(series.values, keep) if k]
    return prom.MetricSeries(series.name, series.labels, ts, values)


def _levels(groups: list[dict]) -> dict[str, int]:
    """Each recorded name's level: 1 for rules over raw series, 1 + the deepest name it reads otherwise."""
    exprs = {r["record"]: r["expr"] for g in groups for r in g["rules"] if "record" in r}
    reads = {name: {other for other in exprs if re.search(re.escape(other) + r"(?![\w:])", expr)}
             for name, expr in exprs.items()}
    level: dict[str, int] = {}
    while len(level) < len(exprs):
        for name, deps in reads.items():
            if name not in level and deps <= level.keys():
                level[name] = 1 + max((level[d] for d in deps), default=0)
    return level


def _create_blocks(binaries, server: prom.PrometheusServer, rules: Path, start: int, end: int, out: Path) -> None:
    """Blocks in ``out`` of the recording rules in ``rules``, evaluated from ``start`` to ``end`` on ``server``."""
    done = subprocess.run([binaries.promtool, "tsdb", "create-blocks-from", "rules", f"--start={start}",
                           f"--end={end}", f"--url={server.url}", f"--output-dir={out}", "--quiet", str(rules)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr or done.stdout


def _evaluations(binaries, server: prom.PrometheusServer, rules: Path, start: int, end: int) -> dict[str, list[int]]:
    """The times (ms) at which promtool evaluates each group of ``rules``, from a probe rule per group."""
    out = rules.parent / "probe-blocks"
    _create_blocks(binaries, server, rules, start, end, out)
    (out / "wal").mkdir()  # tsdb dump opens a head, which needs one
    dump = subprocess.run([binaries.promtool, "tsdb", "dump", str(out)], capture_output=True, text=True, timeout=120)
    assert dump.returncode == 0, dump.stderr
    shutil.rmtree(out)
    times: dict[str, list[int]] = {}
    for group, at in re.findall(r'group="([^"]+)"\} 1 (\d+)$', dump.stdout, re.M):
        times.setdefault(group, []).append(int(at))
    return times


def _stage_path(binaries, server: prom.PrometheusServer, groups: list[dict], work: Path) -> Path:
    """A path for the staged rules at which promtool evaluates every group at every interval.

    promtool queries each 2-hour block separately, from and to whole seconds, so a group whose
    offset (a hash of its name and file) puts an evaluation in the last second before a block
    boundary loses that evaluation, with exit code 0: 12 one-step slices a day, about one path
    in 60. A probe over the boundary at AT shows it; another path gives other offsets."""
    for attempt in range(10):
        stage = work / f"stage-{attempt}" / "rules.yml"
        stage.parent.mkdir()
        stage.write_text(yaml.safe_dump({"groups": [
            {**g, "rules": [{"record": "probe", "expr": "vector(1)", "labels": {"group": g["name"]}}]}
            for g in groups]}, sort_keys=False))
        times = _evaluations(binaries, server, stage, AT - 3600, AT + 3600)
        assert times.keys() == {g["name"] for g in groups}, times.keys()
        if all(len(set(np.diff(t))) == 1 for t in times.values()):
            return stage
    raise AssertionError(f"promtool skipped an evaluation at the block boundary {AT} for 10 rule file paths")


def _backfill_rules(binaries, server: prom.PrometheusServer, rules_file: Path, work: Path) -> None:
    groups = yaml.safe_load(rules_file.read_text())["groups"]
    level = _levels(groups)
    stage = _stage_path(binaries, server, groups, work)  # one path for every level: same evaluation offsets
    for depth in range(1, max(level.values()) + 1):
        # Per-step series (counts, one-step slices) over all the data, as the windows sum them;
        # what reads them only near AT, where the test looks.
        for per_step, start in ((True, START + 600), (False, AT - 3600)):
            def chosen(rule: dict) -> bool:
                name = rule.get("record") or ""
                return level.get(name) == depth and name.endswith((":step_count", ":step")) == per_step

            if not any(chosen(r) for g in groups for r in g["rules"]):
                continue
            stage.write_text(yaml.safe_dump({"groups": [
                {**g, "rules": [r for r in g["rules"] if chosen(r)]} for g in groups
                if any(chosen(r) for r in g["rules"])]}, sort_keys=False))
            out = work / f"blocks-{depth}-{per_step}"
            _create_blocks(binaries, server, stage, start, AT, out)
            server.stop()
            for block in out.iterdir():
                shutil.move(str(block), server.data_dir / block.name)
            server.start()


def _query(server: prom.PrometheusServer, expr: str, at: float) -> dict[str, float]:
    """An instant query's value per SLO."""
    url = f"{server.url}/api/v1/query?" + urllib.parse.urlencode({"query": expr, "time": f"{at:.3f}"})
    with urllib.request.urlopen(url, timeout=30) as answer:
        result = json.load(answer)["data"]["result"]
    return {r["metric"]["slo"]: float(r["value"][1]) for r in result}


@pytest.fixture(scope="module")
def live(prometheus_binaries, tmp_path_factory):
    work = tmp_path_factory.mktemp("rules-live")
    server = prom.launch(prometheus_binaries, _data(), work)
    try:
        specs = work / "specs"
        specs.mkdir()
        (specs / "checkout.yaml").write_text(SPECS)
        env = cli_env(work / "var", server.url, specs_dir=specs)
        rules = run_sloboard(["rules", "--out", str(work / "rules.yml")], env, work)
        assert rules.returncode == 0, rules.stderr
        _backfill_rules(prometheus_binaries, server, work / "rules.yml", work)
        collect = run_sloboard(["collect", "--since", "2d", "--until", str(AT)], env, work)
        assert collect.returncode == 0, collect.stderr
        yield server, env, work
    finally:
        server.stop()


def _status_at(env, work, at: int) -> dict[str, dict]:
    status = run_sloboard(["status", "--json", "--at", str(at)], env, work)
    assert status.returncode == 0, status.stderr
    return {entry["id"]: entry for entry in json.loads(status.stdout)["slos"]}


def test_recorded_sli_budget_and_burn_equal_sloboard_status_at_the_same_instant(live):
    server, env, work = live
    slis = _query(server, "slo:sloboard_sli:ratio", AT)
    assert set(slis) == set(OBJECTIVES)
    # The 3-hour incident's minutes are all bad slices (6 % errors against a 2 % allowance), an
    # eighth of the day, while it spends about 1 % of the day's requests: the methods really differ.
    assert slis["checkout/good-minutes"] < 0.9 < slis["checkout/availability"]
    for slo_id, sli in slis.items():
        sel = f'{{slo="{slo_id}"}}'
        (evaluated,) = _query(server, f"timestamp(slo:sloboard_sli:ratio{sel})", AT).values()
        # The last step the SLI summed: the count group's last evaluation at or before it.
        (counted,) = _query(server, f"timestamp(slo:sloboard_total:step_count{sel})", evaluated).values()
        assert AT - 600 < counted <= evaluated <= AT and counted % STEP != 0  # an offset, as a real server
        step_end = int(counted // STEP * STEP)
        entry = _status_at(env, work, step_end)[slo_id]
        budget = _query(server, f"slo:sloboard_error_budget_remaining:ratio{sel}", evaluated)[slo_id]
        ratio_1h = _query(server, f"slo:sloboard_error_ratio:1h{sel}", counted)[slo_id]
        assert 0.5 < entry["sli"] < 0.9999 and entry["burn_rates"]["1h"] > 0  # the incident shows, errors go on
        assert sli == pytest.approx(entry["sli"], abs=1e-6, rel=0)
        assert budget == pytest.approx(entry["budget_remaining"], abs=1e-6, rel=0)
        objective = OBJECTIVES[slo_id]
        assert ratio_1h / (1 - objective) == pytest.approx(entry["burn_rates"]["1h"], abs=1e-6, rel=0)
