"""Traffic-light levels. Every level carries an icon and a word as well as a colour, so
the state reads the same in grey scale and for colour-blind readers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from sloboard.reads.status import AlertEntry


@dataclass(frozen=True)
class Level:
    name: str  # CSS modifier: good | warn | bad | unknown
    icon: str
    word: str


GOOD = Level("good", "✓", "OK")
WARN = Level("warn", "▲", "At risk")
BAD = Level("bad", "✕", "Breached")
UNKNOWN = Level("unknown", "?", "No data")
INFO = Level("info", "•", "Info")  # a count that is neither good nor bad

# Policy states of sloboard.engine.policy.policy_state.
POLICY_LEVELS = {
    "ok": Level("good", "✓", "OK"),
    "warn": Level("warn", "▲", "Low budget"),
    "freeze": Level("bad", "✕", "Freeze"),
    "unknown": UNKNOWN,
}


def policy_level(policy: str) -> Level:
    return POLICY_LEVELS.get(policy, UNKNOWN)


def alert_level(alerts: Sequence[AlertEntry]) -> Level:
    """The worst firing alert: a page is red, a ticket amber; none firing is green."""
    firing = {a.severity for a in alerts if a.firing}
    if "page" in firing:
        return Level("bad", "✕", "Page")
    if "ticket" in firing:
        return Level("warn", "▲", "Ticket")
    if alerts and all(a.long_burn_rate is None for a in alerts):
        return UNKNOWN
    return Level("good", "✓", "Quiet")


def share_level(bad: int, warn: int, total: int) -> Level:
    """For a count tile: red if any is bad, amber if any is at risk, unknown if none known."""
    if total == 0:
        return UNKNOWN
    if bad:
        return BAD
    if warn:
        return WARN
    return GOOD
