"""What every builder shares: the Jinja2 environment over ``reports/templates/``, the
words numbers are written in, and the status a reader sees (colour, icon and word).

A builder returns a :class:`Built`: the HTML for ``publish`` (or, for a report too long to
lay out in one piece, its parts: ``paged.PagedDocument``) and the headline for the mail.
The generation time printed is the data's as-of time (the period's end), so a rebuild of
the period gives the same text and, with ``publish.write_report``, the same bytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from .delivery import Headline
from .paged import PagedDocument
from .pdf import TEMPLATES
from .periods import Period

NO_DATA = "no data"
# Status by colour, icon and word together (report.css: .status-*), never by colour alone.
STATUSES = {
    "met": ("status-met", "\u2714", "met"),
    "at-risk": ("status-at-risk", "\u25b2", "at risk"),
    "missed": ("status-missed", "\u2716", "missed"),
    "none": ("status-none", "\u2013", NO_DATA),
}


@dataclass(frozen=True)
class Built:
    html: str | PagedDocument
    headline: Headline


@dataclass(frozen=True)
class Status:
    css: str
    icon: str
    word: str


def status(key: str) -> Status:
    return Status(*STATUSES[key])


def pct(value: float | None, digits: int = 2) -> str:
    return NO_DATA if value is None or math.isnan(value) else f"{value * 100:.{digits}f} %"


def signed_pct_points(value: float | None, digits: int = 1) -> str:
    """A change of a share, in percentage points (``+1.2 pp``)."""
    return "\u2013" if value is None else f"{value * 100:+.{digits}f} pp"


def number(value: float | None, digits: int = 0) -> str:
    return NO_DATA if value is None or math.isnan(value) else f"{value:,.{digits}f}"


def usd(value: float | None) -> str:
    return NO_DATA if value is None else f"${value:,.2f}"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return NO_DATA
    minutes = seconds / 60
    if minutes < 90:
        return f"{minutes:.0f} min"
    hours = minutes / 60
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


def local_time(epoch: float | None, tz: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return "\u2013" if epoch is None else datetime.fromtimestamp(epoch, ZoneInfo(tz)).strftime(fmt)


def period_words(period: Period) -> str:
    """``2026-W47 · 16 Nov – 22 Nov 2026 · Europe/Berlin``: short enough for the running header."""
    first = local_time(period.start, period.timezone, "%d %b")
    last = local_time(period.end - 1, period.timezone, "%d %b %Y")
    return f"{period.label} \u00b7 {first} \u2013 {last} \u00b7 {period.timezone}"


def environment():
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters.update(pct=pct, number=number, usd=usd, duration=duration, pp=signed_pct_points)
    return env


def render(template: str, period: Period, title: str, **context) -> str:
    """The template with the header and footer strings every report carries."""
    return environment().get_template(template).render(
        title=title, period=period, period_words=period_words(period), report_id=f"{period.kind}-{period.label}",
        generated=local_time(period.end, "UTC", "%Y-%m-%d %H:%M UTC") + " (data as of the period's end)",
        tz=period.timezone, **context)
