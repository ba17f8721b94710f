"""Report periods: ``2026-W47`` (ISO week), ``2026-10`` (month), ``2026-Q4`` (quarter).

A period is the half-open ``[start, end)`` of epoch seconds between two local
midnights in the configured time zone, so it follows daylight saving time (a week
that springs forward lasts 167 hours). The cutting itself is the engine's calendar
windows (``sloboard.engine.windows.period_bounds``), so a report's month is exactly
the month a calendar SLO window covers: one place decides where a month begins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sloboard.domain import Window
from sloboard.engine.windows import period_bounds
from sloboard.errors import InputError

# Report kind -> the engine's calendar unit, and the shape its periods are written in.
UNITS = {"weekly": "week", "monthly": "month", "quarterly": "quarter"}
_EXAMPLES = {"weekly": "2026-W47", "monthly": "2026-10", "quarterly": "2026-Q4"}
_PATTERNS = {
    "weekly": re.compile(r"(\d{4})-W(\d{2})"),
    "monthly": re.compile(r"(\d{4})-(\d{2})"),
    "quarterly": re.compile(r"(\d{4})-Q(\d)"),
}
_NOMINAL_DAYS = {"week": 7, "month": 30, "quarter": 90}


class PeriodError(InputError):
    """A period that is not one of its kind's (exit 2 with one line)."""


@dataclass(frozen=True)
class Period:
    kind: str  # weekly | monthly | quarterly
    label: str  # "2026-W47", "2026-10", "2026-Q4"
    start: int  # epoch seconds, the first local midnight of the period (included)
    end: int  # epoch seconds, the first local midnight after it (excluded)
    timezone: str

    def previous(self) -> "Period":
        """The period of the same kind just before this one (for week-on-week changes)."""
        return _containing(self.kind, self.start - 1, self.timezone)

    def is_complete(self, at_epoch: float) -> bool:
        return self.end <= at_epoch


def parse_period(kind: str, text: str, timezone: str) -> Period:
    """``text`` as a period of ``kind`` in ``timezone``; raises PeriodError saying what is expected."""
    _check_kind(kind)
    match = _PATTERNS[kind].fullmatch(text.strip())
    if match is None:
        raise PeriodError(f"period {text!r} is not a {UNITS[kind]}: {kind} reports take a period like {_EXAMPLES[kind]}")
    year, number = int(match.group(1)), int(match.group(2))
    if not 1970 <= year <= 9998:
        raise PeriodError(f"period {text!r}: the year must lie between 1970 and 9998")
    try:
        first_day = _first_day(kind, year, number)
    except ValueError as exc:
        raise PeriodError(f"period {text!r} does not exist: {_why_not(kind, year)}") from exc
    # Noon of the first day lies inside the period whatever the zone's DST rules.
    noon = datetime(first_day.year, first_day.month, first_day.day, 12, tzinfo=ZoneInfo(timezone))
    return _containing(kind, int(noon.timestamp()), timezone)


def last_complete(kind: str, at_epoch: float, timezone: str) -> Period:
    """The newest period of ``kind`` that has ended at ``at_epoch`` (the default report period)."""
    _check_kind(kind)
    current = _containing(kind, int(at_epoch), timezone)
    return current if current.end <= at_epoch else current.previous()


def _containing(kind: str, at_epoch: int, timezone: str) -> Period:
    """The period of ``kind`` with ``start <= at_epoch < end``."""
    unit = UNITS[kind]
    window = Window(duration=timedelta(days=_NOMINAL_DAYS[unit]), calendar_unit=unit, timezone=timezone)
    # period_bounds cuts (start, end]; asking at + 1 gives the [start, end) that holds at.
    start, end = period_bounds(window, at_epoch + 1)
    return Period(kind, _label(kind, datetime.fromtimestamp(start, ZoneInfo(timezone)).date()), start, end, timezone)


def _first_day(kind: str, year: int, number: int) -> date:
    if kind == "weekly":
        return date.fromisocalendar(year, number, 1)
    if kind == "monthly":
        return date(year, number, 1)
    if not 1 <= number <= 4:
        raise ValueError(number)
    return date(year, 3 * (number - 1) + 1, 1)


def _label(kind: str, first_day: date) -> str:
    if kind == "weekly":
        iso = first_day.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    if kind == "monthly":
        return f"{first_day.year}-{first_day.month:02d}"
    return f"{first_day.year}-Q{(first_day.month - 1) // 3 + 1}"


def _why_not(kind: str, year: int) -> str:
    if kind == "weekly":
        weeks = date(year, 12, 28).isocalendar().week  # 28 December always lies in the last ISO week
        return f"{year} has ISO weeks W01 to W{weeks}"
    return "months are 01 to 12" if kind == "monthly" else "quarters are Q1 to Q4"


def _check_kind(kind: str) -> None:
    if kind not in UNITS:
        raise PeriodError(f"unknown report kind {kind!r}; use one of {', '.join(UNITS)}")
