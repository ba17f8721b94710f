"""Parse the times and durations that users type on the command line."""

from __future__ import annotations

from datetime import datetime, timezone

from .domain import parse_duration

# The span every time must lie in. No sample or deployment predates the epoch, and
# ``datetime`` ends with the year 9999: a calendar window (up to a quarter, in any time
# zone) ending at LATEST must still fit in it. A time outside is bad input (exit 2,
# HTTP 400), not a crash deep inside the engine.
EARLIEST = 0
LATEST = int(datetime(9999, 1, 1, tzinfo=timezone.utc).timestamp())
_RANGE = "1970-01-01T00:00:00Z and 9999-01-01T00:00:00Z"


def parse_time(text: str, now: float) -> int:
    """Epoch seconds from ``now``, epoch digits, ISO 8601, or ``now-<duration>``.

    A naive ISO time is taken as UTC, so that a backfill repeated on another machine
    ends at the same instant. ``now`` is passed in: this module never reads the clock.
    Raises ValueError with a message for users, also for a time outside ``EARLIEST`` to
    ``LATEST``.
    """
    s = str(text).strip()
    try:
        epoch = _parse(s, now)
    except OverflowError:  # a duration too long for a timedelta, e.g. now-99999999999d
        epoch = None
    if epoch is None or not EARLIEST <= epoch <= LATEST:
        raise ValueError(f"{text!r} is out of range; a time must lie between {_RANGE}")
    return epoch


def _parse(s: str, now: float) -> int:
    if s == "now":
        return int(now)
    if s.startswith("now-"):
        return int(now - parse_duration(s[4:]).total_seconds())
    if s.isdigit():
        return int(s)
    try:
        parsed = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{s!r} is not a time; use ISO 8601 (2026-11-20T12:00:00Z), epoch seconds, now or now-1h"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return int(parsed.timestamp())


def iso(epoch: float) -> str:
    """ISO 8601 in UTC with a Z, to the second: the form every JSON output uses."""
    return datetime.fromtimestamp(int(epoch), tz=timezone.utc).isoformat().replace("+00:00", "Z")
