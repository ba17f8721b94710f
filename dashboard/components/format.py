"""How numbers read on screen. "No data" is always spelled out, never shown as 0 or 100 %."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sloboard.domain import format_duration

NO_DATA = "no data"


def pct(value: float | None, digits: int = 2) -> str:
    return NO_DATA if value is None else f"{value * 100:.{digits}f}%"


def objective(value: float) -> str:
    """99.9 % as written, without trailing zeros: 0.999 -> 99.9%, 0.9995 -> 99.95%."""
    return f"{value * 100:.4f}".rstrip("0").rstrip(".") + "%"


def rate(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}×"


def usd(value: float | None) -> str:
    return NO_DATA if value is None else f"${value:,.2f}"


def seconds(value: float | None) -> str:
    """A duration such as 1h25m; durations under a minute keep their seconds."""
    if value is None:
        return "–"
    return format_duration(timedelta(seconds=round(value))) if value >= 1 else f"{value:.2f}s"


def age(seconds_old: float | None) -> str:
    """How long ago, to the minute: ``just now``, ``5m ago``, ``2h5m ago``."""
    if seconds_old is None:
        return NO_DATA
    if seconds_old < 60:
        return "just now"
    return format_duration(timedelta(seconds=int(seconds_old) // 60 * 60)) + " ago"


def when(epoch: float | None, tz: str) -> str:
    """``2026-11-26 14:05`` in the dashboard's time zone."""
    if epoch is None:
        return "–"
    return datetime.fromtimestamp(epoch, ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
