import pytest

from sloboard.timeparse import iso, parse_time

NOW = 1_764_000_000.7


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param("now", 1_764_000_000, id="now truncates to the second"),
        pytest.param("now-1h", 1_764_000_000 - 3600, id="now minus a duration"),
        pytest.param("1700000000", 1_700_000_000, id="epoch seconds"),
        pytest.param("2026-11-20T12:00:00Z", 1_795_176_000, id="ISO with Z"),
        pytest.param("2026-11-20T12:00:00", 1_795_176_000, id="naive ISO is UTC"),
        pytest.param("2026-11-20T13:00:00+01:00", 1_795_176_000, id="ISO with offset"),
    ],
)
def test_parse_time(text, expected):
    assert parse_time(text, NOW) == expected


def test_bad_time_says_what_is_accepted():
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_time("yesterday", NOW)


def test_iso_round_trips():
    assert parse_time(iso(1_795_176_000), NOW) == 1_795_176_000
    assert iso(1_795_176_000) == "2026-11-20T12:00:00Z"
