"""DORA metrics and the 2023 bands, checked against numbers worked out by hand."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sloboard.domain import Deployment, DeployStatus
from sloboard.dora_bands import load_dora_bands, parse_bands
from sloboard.engine.dora import ALL_SERVICES, BANDS, METRICS, dora_by_service, dora_metrics
from sloboard.errors import ConfigError, InputError

OK, FAILED, ROLLED_BACK = DeployStatus.SUCCEEDED, DeployStatus.FAILED, DeployStatus.ROLLED_BACK
START = datetime(2026, 3, 2, tzinfo=timezone.utc)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
SECOND = timedelta(seconds=1)
BANDS_2023 = load_dora_bands()


def deploy(
    at: timedelta,
    status: DeployStatus = OK,
    service: str = "checkout",
    *,
    took: timedelta | None = timedelta(minutes=5),
    commit_age: timedelta | None = None,
) -> Deployment:
    """A deployment started ``at`` after START; ``commit_age`` is commit to finish."""
    started = START + at
    finished = started + took if took is not None else None
    committed = finished - commit_age if commit_age is not None and finished is not None else None
    return Deployment(
        service=service,
        version=f"v{int(at.total_seconds())}",
        status=status,
        started_at=started,
        finished_at=finished,
        committed_at=committed,
    )


def metrics(deployments, days: float = 28):
    return dora_metrics(deployments, START, START + timedelta(days=days), BANDS_2023)


# --- counts and rates ---------------------------------------------------------------


def test_counts_and_rates_of_a_small_history():
    history = [
        deploy(0 * HOUR),
        deploy(1 * HOUR, FAILED),
        deploy(2 * HOUR),
        deploy(3 * HOUR, ROLLED_BACK),
        deploy(4 * HOUR),
        deploy(5 * HOUR),
        deploy(6 * HOUR, FAILED),
        deploy(7 * HOUR),
    ]
    m = metrics(history, days=4)
    assert (m.deployments, m.succeeded, m.failed, m.rolled_back) == (8, 5, 2, 1)
    assert m.deployment_frequency_per_day == 2.0  # 8 deploys over 4 days
    assert m.change_failure_rate == 3 / 8
    assert m.rollback_rate == 1 / 8


def test_window_includes_its_start_and_excludes_its_end():
    end = START + 7 * DAY
    history = [
        deploy(-SECOND),  # before the window
        deploy(timedelta(0)),  # exactly at start: in
        deploy(7 * DAY - SECOND, FAILED),  # last second: in
        deploy(7 * DAY),  # exactly at end: out
    ]
    m = dora_metrics(history, START, end, BANDS_2023)
    assert (m.deployments, m.succeeded, m.failed) == (2, 1, 1)


def test_no_deployments_is_no_data_not_zero():
    m = metrics([])
    assert m.deployments == 0
    assert m.deployment_frequency_per_day == 0.0  # a count: nothing was deployed
    assert m.change_failure_rate is None
    assert m.rollback_rate is None
    assert m.time_to_restore_median_s is None
    assert m.lead_time_median_s is None
    assert m.bands == {
        "deployment_frequency": "low",
        "lead_time": None,
        "change_failure_rate": None,
        "time_to_restore": None,
    }


def test_bands_name_every_metric():
    m = metrics([deploy(HOUR)])
    assert set(m.bands) == set(METRICS)
    assert all(band is None or band in BANDS for band in m.bands.values())


# --- band boundaries, each exactly on the threshold and one unit either side ---------
# The rule (sloboard/data/dora_bands.yaml): a value on a threshold gets the better band.


@pytest.mark.parametrize(
    "window_days, count, band",
    [
        pytest.param(7, 8, "elite", id="8 deploys in 7 days is elite"),
        pytest.param(7, 7, "elite", id="exactly one deploy per day is elite"),
        pytest.param(7, 6, "high", id="6 deploys in 7 days is high"),
        pytest.param(28, 5, "high", id="5 deploys in 4 weeks is high"),
        pytest.param(28, 4, "high", id="exactly one deploy per week is high"),
        pytest.param(28, 3, "medium", id="3 deploys in 4 weeks is medium"),
        pytest.param(90, 4, "medium", id="4 deploys in 90 days is medium"),
        pytest.param(90, 3, "medium", id="exactly one deploy per 30 days is medium"),
        pytest.param(90, 2, "low", id="2 deploys in 90 days is low"),
    ],
)
def test_deployment_frequency_bands(window_days, count, band):
    history = [deploy(i * HOUR) for i in range(count)]
    m = metrics(history, days=window_days)
    assert m.deployment_frequency_per_day == count / window_days
    assert m.bands["deployment_frequency"] == band


@pytest.mark.parametrize(
    "bad, band",
    [
        pytest.param(4, "elite", id="4 percent is elite"),
        pytest.param(5, "elite", id="exactly 5 percent is elite"),
        pytest.param(6, "high", id="6 percent is high"),
        pytest.param(9, "high", id="9 percent is high"),
        pytest.param(10, "high", id="exactly 10 percent is high"),
        pytest.param(11, "medium", id="11 percent is medium"),
        pytest.param(14, "medium", id="14 percent is medium"),
        pytest.param(15, "medium", id="exactly 15 percent is medium"),
        pytest.param(16, "low", id="16 percent is low"),
    ],
)
def test_change_failure_rate_bands(bad, band):
    # 100 deployments; the bad ones alternate between failed and rolled back.
    statuses = [FAILED if i % 2 else ROLLED_BACK for i in range(bad)] + [OK] * (100 - bad)
    m = metrics([deploy(i * HOUR, s) for i, s in enumerate(statuses)])
    assert m.change_failure_rate == bad / 100
    assert m.bands["change_failure_rate"] == band


@pytest.mark.parametrize(
    "lead, band",
    [
        pytest.param(DAY - SECOND, "elite", id="a second under one day is elite"),
        pytest.param(DAY, "elite", id="exactly one day is elite"),
        pytest.param(DAY + SECOND, "high", id="a second over one day is high"),
        pytest.param(7 * DAY - SECOND, "high", id="a second under one week is high"),
        pytest.param(7 * DAY, "high", id="exactly one week is high"),
        pytest.param(7 * DAY + SECOND, "medium", id="a second over one week is medium"),
        pytest.param(30 * DAY - SECOND, "medium", id="a second under 30 days is medium"),
        pytest.param(30 * DAY, "medium", id="exactly 30 days is medium"),
        pytest.param(30 * DAY + SECOND, "low", id="a second over 30 days is low"),
    ],
)
def test_lead_time_bands(lead, band):
    m = metrics([deploy(HOUR, commit_age=lead)])
    assert m.lead_time_median_s == lead.total_seconds()
    assert m.bands["lead_time"] == band


@pytest.mark.parametrize(
    "outage, band",
    [
        pytest.param(HOUR - SECOND, "elite", id="a second under one hour is elite"),
        pytest.param(HOUR, "elite", id="exactly one hour is elite"),
        pytest.param(HOUR + SECOND, "high", id="a second over one hour is high"),
        pytest.param(DAY - SECOND, "high", id="a second under one day is high"),
        pytest.param(DAY, "high", id="exactly one day is high"),
        pytest.param(DAY + SECOND, "medium", id="a second over one day is medium"),
        pytest.param(7 * DAY - SECOND, "medium", id="a second under one week is medium"),
        pytest.param(7 * DAY, "medium", id="exactly one week is medium"),
        pytest.param(7 * DAY + SECOND, "low", id="a second over one week is low"),
    ],
)
def test_time_to_restore_bands(outage, band):
    fix_takes = timedelta(minutes=10)
    failure = deploy(DAY, FAILED)
    # The fix finishes exactly `outage` after the failed deployment started.
    fix = deploy(DAY + outage - fix_takes, took=fix_takes)
    m = metrics([failure, fix])
    assert m.time_to_restore_median_s == outage.total_seconds()
    assert m.bands["time_to_restore"] == band


def test_packaged_bands_say_what_the_2023_report_says():
    bands = load_dora_bands()
    per_day = {"1d": 1.0, "7d": 1 / 7, "30d": 1 / 30}
    assert bands["deployment_frequency"].higher_is_better
    assert bands["deployment_frequency"].limits == (per_day["1d"], per_day["7d"], per_day["30d"])
    assert bands["lead_time"].limits == (86400, 7 * 86400, 30 * 86400)
    assert bands["change_failure_rate"].limits == (0.05, 0.10, 0.15)
    assert bands["time_to_restore"].limits == (3600, 86400, 7 * 86400)
    assert not any(bands[m].higher_is_better for m in ("lead_time", "change_failure_rate", "time_to_restore"))


# --- time to restore -------------------------------------------------------------------


def test_time_to_restore_never_mixes_services():
    history = [
        deploy(0 * HOUR, FAILED, "checkout"),
        deploy(10 * timedelta(minutes=1), OK, "search", took=timedelta(0)),  # other service
        deploy(2 * HOUR, OK, "checkout", took=timedelta(0)),
    ]
    everything = metrics(history)
    assert everything.time_to_restore_median_s == 2 * 3600
    per_service = dora_by_service(history, START, START + 28 * DAY, BANDS_2023)
    assert per_service["checkout"].time_to_restore_median_s == 2 * 3600
    assert per_service["search"].time_to_restore_median_s is None


def test_every_failure_before_a_fix_counts_and_the_median_is_taken():
    minute = timedelta(minutes=1)
    history = [
        deploy(0 * minute, FAILED, "a"),
        deploy(10 * minute, ROLLED_BACK, "a"),
        deploy(55 * minute, OK, "a", took=5 * minute),  # restores both: 60 and 50 minutes
        deploy(0 * minute, ROLLED_BACK, "b"),
        deploy(30 * minute, OK, "b", took=None),  # finish unknown: its start counts, 30 minutes
        deploy(40 * minute, FAILED, "b"),  # never restored inside the window
    ]
    m = metrics(history)
    assert m.time_to_restore_median_s == 50 * 60  # median of 60, 50, 30 minutes


def test_a_restore_after_the_window_is_not_seen():
    end = START + DAY
    history = [deploy(20 * HOUR, FAILED), deploy(DAY + HOUR)]
    assert dora_metrics(history, START, end, BANDS_2023).time_to_restore_median_s is None
    assert dora_metrics(history, START, end + DAY, BANDS_2023).time_to_restore_median_s == 5 * 3600 + 300


# --- lead time -------------------------------------------------------------------------


def test_lead_time_is_the_median_over_succeeded_deployments_with_a_known_commit():
    history = [
        deploy(HOUR, commit_age=2 * HOUR),
        deploy(2 * HOUR, commit_age=4 * HOUR),
        deploy(3 * HOUR, commit_age=9 * HOUR),
        deploy(4 * HOUR, FAILED, commit_age=100 * HOUR),  # delivered nothing
        deploy(5 * HOUR),  # commit time unknown
    ]
    assert metrics(history).lead_time_median_s == 4 * 3600


def test_lead_time_without_commit_times_is_no_data():
    assert metrics([deploy(HOUR), deploy(2 * HOUR)]).lead_time_median_s is None


def test_a_commit_after_the_deployment_finished_is_refused():
    bad = deploy(HOUR, commit_age=-SECOND)
    with pytest.raises(InputError, match="checkout v3600: committed_at .* is after finished_at"):
        metrics([bad])


# --- bad windows and times -----------------------------------------------------------


@pytest.mark.parametrize(
    "start, end",
    [
        pytest.param(START, START, id="empty window"),
        pytest.param(START + DAY, START, id="end before start"),
        pytest.param(START.replace(tzinfo=None), START + DAY, id="naive start"),
    ],
)
def test_bad_windows_are_refused(start, end):
    with pytest.raises(InputError, match="DORA window"):
        dora_metrics([], start, end, BANDS_2023)


def test_a_deployment_without_time_zone_is_named():
    naive = Deployment("checkout", "1.2.3", OK, started_at=datetime(2026, 3, 3))
    with pytest.raises(InputError, match="checkout 1.2.3: started_at .* has no time zone"):
        metrics([naive])


# --- per service -------------------------------------------------------------------------


def test_by_service_has_all_services_together_and_each_alone():
    history = [
        deploy(HOUR, OK, "checkout"),
        deploy(2 * HOUR, FAILED, "checkout"),
        deploy(3 * HOUR, OK, "search"),
        deploy(-DAY, OK, "billing"),  # before the window: billing was quiet
    ]
    result = dora_by_service(history, START, START + 28 * DAY, BANDS_2023)
    assert list(result) == [ALL_SERVICES, "billing", "checkout", "search"]
    assert result[ALL_SERVICES].deployments == 3
    assert result["checkout"].change_failure_rate == 0.5
    assert result["search"].change_failure_rate == 0.0
    assert result["billing"].deployments == 0
    assert result["billing"].change_failure_rate is None


def test_by_service_of_nothing_is_only_the_total():
    result = dora_by_service([], START, START + DAY, BANDS_2023)
    assert list(result) == [ALL_SERVICES]
    assert result[ALL_SERVICES].deployments == 0


# --- bands tables ------------------------------------------------------------------------

VALID = """
deployment_frequency: {elite: 1d, high: 7d, medium: 30d}
lead_time: {elite: 1h, high: 1d, medium: 7d}
change_failure_rate: {elite: 0.01, high: 0.02, medium: 0.03}
time_to_restore: {elite: 5m, high: 1h, medium: 1d}
"""


def test_a_custom_bands_table_changes_the_bands():
    strict = parse_bands(VALID, "strict.yaml")
    history = [deploy(HOUR, commit_age=2 * HOUR)] + [deploy(i * HOUR, FAILED) for i in range(2, 4)]
    m = dora_metrics(history, START, START + 28 * DAY, strict)
    assert m.bands["lead_time"] == "high"  # 2 h: over the custom 1 h, within 1 d
    assert m.bands["change_failure_rate"] == "low"  # 2 of 3
    assert metrics(history).bands["lead_time"] == "elite"  # the packaged table: under 1 d


@pytest.mark.parametrize(
    "text, message",
    [
        pytest.param("lead_time: [", "not valid YAML", id="broken YAML is refused"),
        pytest.param("- 1\n- 2\n", "expected a mapping", id="a list is refused"),
        pytest.param(VALID + "mttr: {elite: 1h}\n", "mttr: unknown metric", id="an unknown metric is named"),
        pytest.param(
            VALID.replace("lead_time: {elite: 1h, high: 1d, medium: 7d}", ""),
            "lead_time: give exactly the thresholds elite, high, medium",
            id="a missing metric is named",
        ),
        pytest.param(
            VALID.replace("{elite: 1h, high: 1d, medium: 7d}", "{elite: 1h, high: 1d}"),
            "lead_time: give exactly the thresholds",
            id="a missing band is named",
        ),
        pytest.param(
            VALID.replace("medium: 7d}", "medium: 1w2}"),
            "lead_time.medium: '1w2' is not a duration",
            id="a bad duration is named with its field",
        ),
        pytest.param(
            VALID.replace("medium: 0.03", "medium: 3"),
            "change_failure_rate.medium: expected a fraction between 0 and 1",
            id="a percentage written as a whole number is refused",
        ),
        pytest.param(
            VALID.replace("high: 0.02", "high: yes"),
            "change_failure_rate.high: expected a fraction",
            id="a boolean is not a fraction",
        ),
        pytest.param(
            VALID.replace("{elite: 5m, high: 1h, medium: 1d}", "{elite: 1h, high: 5m, medium: 1d}"),
            "time_to_restore: thresholds must grow",
            id="thresholds out of order are refused",
        ),
    ],
)
def test_bad_bands_tables_are_refused_with_the_field(text, message):
    with pytest.raises(ConfigError, match=message) as caught:
        parse_bands(text, "bands.yaml")
    assert str(caught.value).startswith("bands.yaml: ")


# --- properties --------------------------------------------------------------------------

_deployments = st.lists(
    st.builds(
        deploy,
        at=st.integers(-3 * 86400, 10 * 86400).map(lambda s: timedelta(seconds=s)),
        status=st.sampled_from(list(DeployStatus)),
        service=st.sampled_from(["checkout", "search", "billing"]),
        took=st.one_of(st.none(), st.integers(0, 7200).map(lambda s: timedelta(seconds=s))),
        commit_age=st.one_of(st.none(), st.integers(0, 30 * 86400).map(lambda s: timedelta(seconds=s))),
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(history=_deployments, days=st.integers(1, 7))
def test_counts_add_up_and_rates_are_fractions(history, days):
    end = START + timedelta(days=days)
    result = dora_by_service(history, START, end, BANDS_2023)
    total = result[ALL_SERVICES]
    expected = sum(START <= d.started_at < end for d in history)
    assert total.deployments == expected
    assert total.deployment_frequency_per_day == expected / days
    for m in result.values():
        assert m.succeeded + m.failed + m.rolled_back == m.deployments
        if m.deployments:
            assert 0.0 <= m.rollback_rate <= m.change_failure_rate <= 1.0
        else:
            assert m.change_failure_rate is None and m.rollback_rate is None
        for seconds in (m.time_to_restore_median_s, m.lead_time_median_s):
            assert seconds is None or seconds >= 0
    per_service = [m for name, m in result.items() if name != ALL_SERVICES]
    for field in ("deployments", "succeeded", "failed", "rolled_back"):
        assert getattr(total, field) == sum(getattr(m, field) for m in per_service)
