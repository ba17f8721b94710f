"""Import a cloud bill exported as CSV into the cost series.

Expected columns (header names are case-insensitive):

- ``date``: the day (``2026-11-03``) or the end time of the billed period (ISO 8601);
- ``usd`` (or ``cost``): the amount in US dollars;
- one scope column: ``service``, ``team`` or ``namespace``.

Each row becomes one cost sample ending at the end of its day (or at its time), so a
row of a daily bill counts in every window that contains that day. Rows for the
same scope and time are added up. Every bad row is reported by its line number; a
file with any bad row imports nothing.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from sloboard.errors import InputError

SCOPE_COLUMNS = ("service", "team", "namespace")


@dataclass(frozen=True)
class CostRows:
    """Parsed bill: USD per (scope, period end)."""

    amounts: dict[tuple[str, int], float]

    @property
    def total_usd(self) -> float:
        return sum(self.amounts.values())


def _period_end(text: str) -> int:
    text = text.strip()
    try:
        if len(text) == 10:  # a plain day: the bill covers the whole day
            day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=timezone.utc)
            return int((day + timedelta(days=1)).timestamp())
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"date {text!r} is not YYYY-MM-DD or ISO 8601") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return int(parsed.timestamp())


def read_bill(path: Path) -> CostRows:
    """Parse and check the whole file first; raise InputError listing every bad row."""
    try:
        handle = open(path, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from exc
    with handle:
        reader = csv.DictReader(handle)
        columns = {c.strip().lower(): c for c in (reader.fieldnames or [])}
        amount_col = columns.get("usd") or columns.get("cost")
        scope_key = next((c for c in SCOPE_COLUMNS if c in columns), None)
        missing = [name for name, col in (("date", columns.get("date")), ("usd", amount_col)) if not col]
        if scope_key is None:
            missing.append("service|team|namespace")
        if missing:
            raise InputError(f"{path}:1: missing column(s): {', '.join(missing)} (found: {', '.join(columns) or 'none'})")
        amounts: dict[tuple[str, int], float] = defaultdict(float)
        problems = []
        for row in reader:
            line = reader.line_num
            try:
                scope = (row[columns[scope_key]] or "").strip()
                if not scope:
                    raise ValueError(f"{scope_key} is empty")
                usd = float(row[amount_col])
                if not math.isfinite(usd):
                    raise ValueError(f"usd {row[amount_col]!r} is not a number")
                amounts[(f"{scope_key}:{scope}", _period_end(row[columns['date']] or ""))] += usd
            except (ValueError, TypeError) as exc:
                problems.append(f"{path}:{line}: {exc}")
    if problems:
        raise InputError("\n".join(problems) + f"\n{len(problems)} bad row(s); nothing imported")
    if not amounts:
        raise InputError(f"{path}: no rows to import")
    return CostRows(dict(amounts))


def import_bill(store, rows: CostRows) -> int:
    """Write the bill as ``cost`` series samples (name ``bill``, apart from OpenCost's); idempotent per scope and time."""
    by_scope: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for (scope, ts), usd in rows.amounts.items():
        by_scope[scope].append((ts, usd))
    written = 0
    for scope, points in sorted(by_scope.items()):
        points.sort()
        ts = np.array([p[0] for p in points], dtype=np.int64)
        usd = np.array([p[1] for p in points], dtype=np.float64)
        written += store.write_series("cost", scope, "bill", ts, usd)
    return written
