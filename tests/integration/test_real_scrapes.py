"""Exact counts on counters scraped as real Prometheus servers scrape them.

Samples lie between step ends: 15 s, 30 s and 60 s intervals at a per-target offset
with +-2 s jitter, a counter reset, a short gap (within the lookback) and a long one,
targets born mid-range and 5xx series created at the first 5xx. They are backfilled into
a real Prometheus; `sloboard collect` and `sloboard status` run as a user runs them.
The truth counts events (``scrapes.step_truth``), never sample values.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import numpy as np
import pytest

from sloboard.store import Store

from . import scrapes
from .scrapes import Target
from .sloboard_cli import cli_env, run_sloboard

pytestmark = pytest.mark.integration

STEP, LOOKBACK = 60, 300
HOUR, DAY = 3600, 86400
AT = int(datetime(2026, 6, 10, tzinfo=timezone.utc).timestamp())
START = AT - 8 * DAY
WINDOWS = {"1h": HOUR, "6h": 6 * HOUR, "1d": DAY, "7d": 7 * DAY}

TARGETS = [
    Target("svc15", "a:9100", 15, 3.417, restarts=(2 * DAY + 3 * HOUR + 460.5,)),
    Target("svc15", "b:9100", 15, 11.903, born_s=1.5 * DAY),
    Target("svc30", "a:9100", 30, 17.2, gaps=((3 * DAY, 3 * DAY + 120), (5 * DAY, 5 * DAY + 1200))),
    Target("svc30", "b:9100", 30, 24.6),
    Target("svc60", "a:9100", 60, 17.123, restarts=(4 * DAY + 7 * HOUR + 31.5,)),
    Target("svc60", "b:9100", 60, 47.777, born_s=2 * DAY, gaps=((6 * DAY, 6 * DAY + 900),)),
]

ALERT_WINDOWS = "page 14.4x 1h/5m, page 6x 6h/30m, ticket 1x 7d/1d"


def openslo(service: str) -> str:
    return scrapes.availability_spec(service, f'service="{service}"', "7d", 0.99, ALERT_WINDOWS)


# The same SLI of svc30, written for Sloth: window mode ({{.window}}) must count alike.
SLOTH = """\
version: "prometheus/v1"
service: "svc30"
slos:
  - name: "availability-sloth"
    objective: 99
    sli:
      events:
        error_query: sum(rate(http_requests_total{service="svc30",code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total{service="svc30"}[{{.window}}]))
    alerting:
      page_alert:
        disable: true
      ticket_alert:
        disable: true
"""


@pytest.fixture(scope="module")
def scraped() -> list[scrapes.Scraped]:
    return [scrapes.scrape(target, START, AT, seed=i) for i, target in enumerate(TARGETS)]


def truth(scraped, service: str, step_ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-step good (non-5xx) and total events of ``service``."""
    per_code = {code: sum(scrapes.step_truth(s, code, step_ends, STEP, LOOKBACK)
                          for s in scraped if s.target.service == service) for code in scrapes.CODES}
    return per_code["200"], per_code["200"] + per_code["500"]


def test_status_counts_every_event_of_offset_jittered_scrapes_with_resets_gaps_and_births(
    prometheus_with, scraped, tmp_path
):
    server = prometheus_with([series for s in scraped for series in scrapes.metric_series(s)])
    specs = tmp_path / "specs"
    specs.mkdir()
    for service in ("svc15", "svc30", "svc60"):
        (specs / f"{service}.yaml").write_text(openslo(service))
    (specs / "svc30-sloth.yaml").write_text(SLOTH)
    env = cli_env(tmp_path / "var", server.url, specs_dir=specs)

    collect = run_sloboard(["collect", "--since", "8d", "--until", str(AT)], env, tmp_path)
    assert collect.returncode == 0, collect.stderr
    status = run_sloboard(["status", "--json", "--at", str(AT)], env, tmp_path)
    assert status.returncode == 0, status.stderr
    by_id = {entry["id"]: entry for entry in json.loads(status.stdout)["slos"]}

    step_ends = np.arange(START + STEP, AT + 1, STEP)
    with Store.open(f"sqlite:///{tmp_path / 'var' / 'sloboard.db'}", upgrade=False) as store:
        for slo_id, service in [("svc15/availability", "svc15"), ("svc30/availability", "svc30"),
                                ("svc60/availability", "svc60"), ("svc30/availability-sloth", "svc30")]:
            good, total = truth(scraped, service, step_ends)
            assert (total[-7 * DAY // STEP:] - good[-7 * DAY // STEP:]).sum() > 0  # errors to count
            for label, length in WINDOWS.items():
                keep = step_ends > AT - length
                _, got_good, got_total = store.read_sli_samples(slo_id, AT - length, AT)
                assert (got_good.sum(), got_total.sum()) == (good[keep].sum(), total[keep].sum()), (slo_id, label)
            entry = by_id[slo_id]
            if slo_id.endswith("sloth"):
                continue  # Sloth's own 30-day window and alert table: the stored sums above cover it
            keep = step_ends > AT - 7 * DAY
            assert (entry["good"], entry["total"]) == (good[keep].sum(), total[keep].sum()), slo_id
            for label, length in WINDOWS.items():
                keep = step_ends > AT - length
                burn = (1 - good[keep].sum() / total[keep].sum()) / (1 - 0.99)
                assert entry["burn_rates"][label] == pytest.approx(burn, rel=1e-12), (slo_id, label)


# A join with an info metric that this Prometheus does not have: the answer is empty
# although the requests series are there, a mistake that once passed as "0 samples".
def joined(service: str) -> str:
    spec = scrapes.availability_spec(service, f'service="{service}"', "7d", 0.99, ALERT_WINDOWS, name="joined")
    return spec.replace(f'query: sum(http_requests_total{{service="{service}"}})',
                        f'query: sum(http_requests_total{{service="{service}"}} * on (instance) group_left (team) target_info)')


def test_a_query_empty_where_its_series_have_samples_fails_its_slo_and_keeps_the_watermark(
    prometheus_with, scraped, tmp_path
):
    server = prometheus_with([series for s in scraped for series in scrapes.metric_series(s)])
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "svc60.yaml").write_text(openslo("svc60") + "---\n" + joined("svc60"))
    env = cli_env(tmp_path / "var", server.url, specs_dir=specs)

    collect = run_sloboard(["collect", "--since", "1d", "--until", str(AT)], env, tmp_path)
    assert collect.returncode == 1, collect.stderr
    (line,) = [line for line in collect.stderr.splitlines() if line.startswith("failed sli:svc60/joined")]
    assert "target_info" in line and "gave no data for 1440 step(s)" in line and "watermark stays" in line
    assert "sli:svc60/availability: 1440 samples" in collect.stderr
    with Store.open(f"sqlite:///{tmp_path / 'var' / 'sloboard.db'}", upgrade=False) as store:
        assert store.watermark("sli:svc60/joined") is None
        assert store.watermark("sli:svc60/availability") == AT
        runs = {r.query_key: r for r in store.runs()}
        assert runs["sli:svc60/joined"].status == "failed"
    status = run_sloboard(["status", "--json", "--at", str(AT)], env, tmp_path)
    entry = {e["id"]: e for e in json.loads(status.stdout)["slos"]}["svc60/joined"]
    assert (entry["sli"], entry["total"], entry["data_completeness"]) == (None, None, None)  # no data, never 100 %
