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


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("99999999999999", id="epoch digits past the year 9999"),
        pytest.param("9999-01-01T00:00:01Z", id="a second past the latest time"),
        pytest.param("1969-12-31T23:59:59Z", id="before the epoch"),
        pytest.param("0001-01-01T00:00:00+01:00", id="ISO that ends before year 1 in UTC"),
        pytest.param("now-60000d", id="now minus more than the epoch"),
        pytest.param("now-99999999999999999d", id="now minus a duration too long for a timedelta"),
    ],
)
def test_a_time_out_of_range_is_a_clear_value_error(text):
    with pytest.raises(ValueError, match=r"is out of range; a time must lie between 1970-01-01T00:00:00Z and 9999"):
        parse_time(text, NOW)


def test_the_range_ends_are_accepted_and_print():
    assert iso(parse_time("9999-01-01T00:00:00Z", NOW)) == "9999-01-01T00:00:00Z"
    assert parse_time("0", NOW) == 0
