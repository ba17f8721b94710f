"""The judgements a report prints next to a number: met, at risk or missed, and the
headline sentence. One place, so the weekly and the quarterly report judge alike."""

from __future__ import annotations

from typing import Sequence

from sloboard.reads.status import SLOEntry

from .render import Status, pct, status

SUCCESS_TARGET = 0.99  # deployment success rate
ROLLBACK_TARGET = 0.02  # rollback rate, under
AT_RISK_BUDGET = 0.25  # an SLO that met its objective with less budget left than this is at risk
_BAND_STATUS = {"elite": "met", "high": "met", "medium": "at-risk", "low": "missed", None: "none"}


def slo_status(entry: SLOEntry) -> Status:
    if entry.sli is None:
        return status("none")
    if entry.sli < entry.objective:
        return status("missed")
    return status("at-risk" if (entry.budget_remaining or 0.0) < AT_RISK_BUDGET else "met")


def band_status(band: str | None) -> Status:
    return status(_BAND_STATUS.get(band, "none"))


def at_least(value: float | None, target: float, risk: float) -> Status:
    if value is None:
        return status("none")
    return status("met" if value >= target else "at-risk" if value >= risk else "missed")


def at_most(value: float | None, target: float, risk: float) -> Status:
    if value is None:
        return status("none")
    return status("met" if value < target else "at-risk" if value < risk else "missed")


def attained(entries: Sequence[SLOEntry]) -> tuple[int, int]:
    """(SLOs that met their objective, SLOs with data)."""
    known = [e for e in entries if e.sli is not None]
    return sum(e.sli >= e.objective for e in known), len(known)


def biggest_risk(entries: Sequence[SLOEntry]) -> SLOEntry | None:
    """The SLO with the least budget left (the most overspent first); ties by id."""
    known = [e for e in entries if e.budget_remaining is not None]
    return min(known, key=lambda e: (e.budget_remaining, e.id), default=None)


def headline(entries: Sequence[SLOEntry], span: str) -> str:
    """One sentence: how many SLOs met their objective, and the biggest risk by name."""
    met, known = attained(entries)
    if not known:
        return f"No SLO had data {span}."
    risk = biggest_risk(entries)
    sentence = f"{met} of {known} SLOs met their objective {span}"
    if risk is None or (risk.budget_remaining or 0) >= AT_RISK_BUDGET:
        return sentence + "; no SLO is at risk."
    left = "overspent its error budget" if risk.budget_remaining < 0 else f"has {pct(risk.budget_remaining, 1)} of its error budget left"
    return sentence + f"; the biggest risk is {risk.id}, which {left}."
