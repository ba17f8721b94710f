"""Parse the times and durations that users type on the command line."""

from __future__ import annotations

from datetime import datetime, timezone

from .domain import parse_duration


def parse_time(text: str, now: float) -> int:
    """Epoch seconds from ``now``, epoch digits, ISO 8601, or ``now-<duration>``.

    A naive ISO time is taken as UTC, so that a backfill repeated on another machine
    ends at the same instant. ``now`` is passed in: this module never reads the clock.
    """
    s = text.strip()
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
            f"{text!r} is not a time; use ISO 8601 (2026-11-20T12:00:00Z), epoch seconds, now or now-1h"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return int(parsed.timestamp())


def iso(epoch: float) -> str:
    """ISO 8601 in UTC with a Z, to the second: the form every JSON output uses."""
    return datetime.fromtimestamp(int(epoch), tz=timezone.utc).isoformat().replace("+00:00", "Z")
