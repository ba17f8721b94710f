"""Where an SLO window starts and ends at a given instant.

Time is epoch seconds throughout. A window is the half-open interval
``(start, end]``, matching the sample convention: a sample at ``ts`` covers
``(ts - step, ts]``. So a window contains the samples with ``start < ts <= end``.

- Rolling windows (``28d``) end at the evaluation time: ``(at - duration, at]``.
- Calendar windows (``week`` from ISO Monday 00:00, ``month``, ``quarter``) are
  cut at local midnight in the window's time zone, so they follow daylight saving
  time: a week that springs forward lasts 167 hours. Evaluated at ``at``, the
  window is the calendar period that contains ``at`` under the ``(start, end]``
  convention, so ``at`` exactly on a boundary still belongs to the period that
  ends there (evaluating at April 1st 00:00 gives all of March).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..domain import Window

CALENDAR_UNITS = ("week", "month", "quarter")


def window_bounds(window: Window, at_epoch: int) -> tuple[int, int]:
    """The part of the window that has elapsed at ``at_epoch``: ``(start, at_epoch)``.

    Rolling: ``start = at - duration``. Calendar: ``start`` is the period's first
    local midnight (see the module docstring).
    """
    start, _ = period_bounds(window, at_epoch)
    return start, int(at_epoch)


def period_bounds(window: Window, at_epoch: int) -> tuple[int, int]:
    """The whole period the window covers at ``at_epoch``: ``(start, end)``.

    For a rolling window this equals :func:`window_bounds`. For a calendar window
    ``end`` is the next boundary, which may lie after ``at_epoch``.
    """
    at_epoch = int(at_epoch)
    if window.is_rolling:
        return at_epoch - int(window.duration.total_seconds()), at_epoch
    zone = _zone(window.timezone)
    # at - 1 s lies in [start, end) exactly when at lies in (start, end].
    local_day = datetime.fromtimestamp(at_epoch - 1, zone).date()
    first, following = _calendar_period(window.calendar_unit, local_day)
    return _local_midnight(first, zone), _local_midnight(following, zone)


def period_length_s(window: Window, at_epoch: int) -> int:
    """Length in seconds of the whole period at ``at_epoch`` (DST-correct for calendar windows).

    Used to turn budget fractions into minutes: a March in Europe/Berlin is
    31 days minus one hour.
    """
    start, end = period_bounds(window, at_epoch)
    return end - start


def _calendar_period(unit: str | None, day: date) -> tuple[date, date]:
    """First day of the period containing ``day`` and first day of the next one."""
    if unit == "week":
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=7)
    if unit == "month":
        return day.replace(day=1), _add_months(day.year, day.month, 1)
    if unit == "quarter":
        first_month = 3 * ((day.month - 1) // 3) + 1
        return date(day.year, first_month, 1), _add_months(day.year, first_month, 3)
    raise ValueError(f"unknown calendar window {unit!r}; use one of {', '.join(CALENDAR_UNITS)}")


def _add_months(year: int, month: int, months: int) -> date:
    index = year * 12 + (month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def _local_midnight(day: date, zone: ZoneInfo) -> int:
    # Where DST starts at midnight, 00:00 does not exist; fold=0 resolves it with
    # the offset before the jump, which is the instant the local day begins.
    return int(datetime.combine(day, time(0), tzinfo=zone).timestamp())


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r} in the SLO window; use an IANA name such as Europe/Berlin") from exc
