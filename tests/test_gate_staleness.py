"""The staleness rule the gate shares with the stale banner (``reads.health.sample_staleness``):
older than ``factor`` collection intervals beyond the collector's designed lag is stale."""

from __future__ import annotations

import pytest

from sloboard.reads.health import sample_staleness

AT = 1_800_000_000


@pytest.mark.parametrize("age, lag, stale", [
    pytest.param(180, 0, False, id="3 intervals of 60s is current for the banner"),
    pytest.param(181, 0, True, id="a second more is stale"),
    pytest.param(300, 120, False, id="the gate allows the collector's lag of 120s on top"),
    pytest.param(301, 120, True, id="and no more"),
])
def test_the_edge_of_staleness(age, lag, stale):
    assert (sample_staleness(AT - age, AT, 60, lag_s=lag) is not None) is stale


def test_the_reasons_name_the_age_and_the_rule():
    assert sample_staleness(None, AT, 60) == "no SLI samples stored yet"
    assert sample_staleness(AT - 3600, AT, 60, lag_s=120) == (
        "newest sample is 1h old (more than 3 collection intervals of 60s after the collector's lag of 120s)")
    assert sample_staleness(AT - 600, AT, 60) == "newest sample is 10m old (more than 3 collection intervals of 60s)"
