"""docs/math.md's tables are the numbers sloboard uses: the alert table is the shipped
default (sloboard/data/alert_windows.yaml) and each threshold is its budget share times the
30-day period over its long window; the DORA bands are sloboard/data/dora_bands.yaml's."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from sloboard.dora_bands import load_dora_bands
from sloboard.engine.budget import burn_rate_threshold
from sloboard.specs.alert_windows import load_alert_windows

MATH = (Path(__file__).resolve().parents[1] / "docs" / "math.md").read_text(encoding="utf-8")
UNITS = {"h": timedelta(hours=1), "min": timedelta(minutes=1), "d": timedelta(days=1)}


def _duration(text: str) -> timedelta:
    number, unit = text.split()
    return int(number) * UNITS[unit]


def test_the_alert_table_is_the_default_table_and_its_thresholds_follow_the_formula():
    rows = re.findall(r"^\| (page|ticket) \| (\d+) % \| ([^|]+) \| ([^|]+) \| ([\d.]+) \|", MATH, flags=re.MULTILINE)
    windows, problems = load_alert_windows(None)
    assert not problems
    assert [(sev, _duration(long_), _duration(short), float(rate)) for sev, _, long_, short, rate in rows] == [
        (w.severity.value, w.long, w.short, w.burn_rate) for w in windows]
    for _, share, long_, _, rate in rows:
        assert burn_rate_threshold(int(share) / 100, timedelta(days=30), _duration(long_)) == float(rate)


def test_the_dora_band_table_has_the_shipped_thresholds():
    bands = load_dora_bands()
    failure = bands["change_failure_rate"].limits
    row = re.search(r"^\| change failure rate \| at most (\d+) % \| at most (\d+) % \| at most (\d+) % \|", MATH,
                    flags=re.MULTILINE)
    assert tuple(int(x) / 100 for x in row.groups()) == failure
    restore = re.search(r"^\| time to restore \| at most 1 hour \| at most 1 day \| at most 1 week \|", MATH, flags=re.MULTILINE)
    assert restore and bands["time_to_restore"].limits == (3600.0, 86400.0, 7 * 86400.0)
    lead = re.search(r"^\| lead time for changes \| at most 1 day \| at most 1 week \| at most 1 month \|", MATH, flags=re.MULTILINE)
    assert lead and bands["lead_time"].limits == (86400.0, 7 * 86400.0, 30 * 86400.0)
    frequency = re.search(r"^\| deployment frequency \| at least one deploy per day \| at least one per week \| "
                          r"at least one per month \|", MATH, flags=re.MULTILINE)
    assert frequency and bands["deployment_frequency"].limits == (1.0, 1 / 7, 1 / 30)
