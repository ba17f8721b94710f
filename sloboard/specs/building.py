"""Steps every format's ``to_domain()`` shares once it has assembled an SLO.

Checks that are about the SLO rather than its spelling live here, so that OpenSLO,
Sloth and Pyrra files get the same warnings for the same mistakes.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..domain import SLO, IndicatorKind, QueryMode, SpecSource, format_duration
from ..window_template import uses_window
from .base import MappingContext
from .promql import counter_mismatches
from .yaml_source import Loc

_ID_PART_RE = re.compile(r"[^\s/]+")
_RANGE_FUNCTION_RE = re.compile(r"\b(rate|irate|increase|\w+_over_time)\s*\(")


@dataclass(frozen=True)
class Where:
    """Field paths of the parts of an SLO inside its document, for pointing at problems."""

    service: Loc
    name: Loc
    window: Loc
    numerator: Loc  # the good or bad query
    total: Loc


def fingerprint(*parts: Any) -> str:
    """SHA-256 of the parts as canonical JSON (sorted keys): equal specs hash equal,
    however they were indented, ordered or commented."""
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def percent_to_fraction(percent: float | str) -> float:
    """99.99 -> 0.9999 without binary noise (99.99 / 100 is 0.9998999999999999)."""
    return float(Decimal(str(percent)) / 100)


def source(ctx: MappingContext, fmt: str, line: int | None = None) -> SpecSource:
    return SpecSource(ctx.doc.path, line or ctx.doc.line, fmt)


def is_id_part(value: str) -> bool:
    """Whether ``value`` can stand on one side of the SLO id ``service/name``."""
    return bool(_ID_PART_RE.fullmatch(value))


def check_id_part(ctx: MappingContext, loc: Loc, value: str, what: str) -> None:
    if not is_id_part(value):
        ctx.error(loc, f"{what} {value!r} cannot be used in the SLO id 'service/name': "
                       "it must be non-empty, without spaces or '/'")


def check_slo(ctx: MappingContext, slo: SLO, where: Where, query_ctx: MappingContext | None = None) -> None:
    """Warnings about an assembled SLO that is valid but probably not what was meant.

    ``query_ctx`` reports on the queries when they live in another document (an SLI
    referenced by an OpenSLO SLO).
    """
    query_ctx = query_ctx or ctx
    if slo.alert_windows:
        longest = max(w.long for w in slo.alert_windows)
        if slo.window.duration < longest:
            ctx.warn(where.window,
                     f"the window {slo.window.label} is shorter than the longest alert window "
                     f"({format_duration(longest)}); that alert would look past the window")
    indicator = slo.indicator
    # Raw ratios and bool gauges are no counters: the counter-mode hints do not apply.
    if indicator.mode is not QueryMode.COUNTER or indicator.kind not in (IndicatorKind.RATIO, IndicatorKind.LATENCY):
        return
    numerator = indicator.good if indicator.good is not None else indicator.bad
    for reason in counter_mismatches(numerator or "", indicator.total):
        query_ctx.warn(where.numerator, reason)
    for loc, query in ((where.numerator, numerator or ""), (where.total, indicator.total)):
        m = _RANGE_FUNCTION_RE.search(query)
        if m and not uses_window(query):
            query_ctx.warn(loc, f"{m.group(1)}() in a query without {{{{.window}}}}: sloboard reads such "
                          "queries as counters and takes increase() of them per step; write the "
                          "range as [{{.window}}] or give the bare counter")
