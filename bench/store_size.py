"""Store size: the SQLite file of a fleet, and bytes per raw sample.

Raw samples are the rows written by ``seed_store`` (SLI counts, golden signals, cost).
SQLite's ``dbstat`` table gives the bytes of each table, so the bytes of one SLI sample
and of one hourly rollup row are known apart. The issue's target (3 GB) is for the large
fleet; the standard fleet's figure is extrapolated to it, and says so.
"""

from __future__ import annotations

import sqlite3

from sloboard.domain import parse_duration
from sloboard.settings import CollectSettings

from .fleet import SIZES, BuiltFleet, FleetTooLarge, build
from .report import Result, at_most, not_run
from .timing import fmt_bytes

LARGE_TARGET_BYTES = 3e9


RAW_TABLES = ("sli_samples", "series_samples")
HOURLY_TABLES = ("sli_hourly", "series_hourly")


def _tables(built: BuiltFleet, names: tuple[str, ...]) -> tuple[int, int]:
    """(bytes, rows) of the named tables together, from SQLite's ``dbstat``."""
    conn = sqlite3.connect(f"file:{built.db_path}?mode=ro", uri=True)
    try:
        marks = ", ".join("?" for _ in names)
        size = conn.execute(f"SELECT sum(pgsize) FROM dbstat WHERE name IN ({marks})", names).fetchone()[0]
        rows = sum(conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in names)
    finally:
        conn.close()
    return int(size or 0), int(rows)


def _large_with_retention(built: BuiltFleet) -> str:
    """The large fleet's size with the default raw retention, from this store's bytes per
    raw sample and per hourly rollup row: an extrapolation, and said to be one."""
    raw_bytes, raw_rows = _tables(built, RAW_TABLES)
    hourly_bytes, hourly_rows = _tables(built, HOURLY_TABLES)
    if not hourly_rows:
        return "no hourly rollup tables in this store"
    large = SIZES["large"]
    retention = CollectSettings().raw_retention
    raw_days = min(large.days, parse_duration(retention).days)
    series_per_step = large.expected_samples // (large.days * 1440)
    estimate = (raw_bytes / raw_rows * series_per_step * raw_days * 1440
                + hourly_bytes / hourly_rows * series_per_step * large.days * 24)
    return (f"extrapolated, NOT measured: with the default raw retention ({retention}; hourly rollups keep the "
            f"rest) the large fleet would take about {fmt_bytes(estimate)} ({raw_bytes / raw_rows:.1f} B per raw "
            f"sample, {hourly_bytes / hourly_rows:.1f} B per rollup row, as measured here)")


def size_row(built: BuiltFleet) -> Result:
    total = built.db_bytes()
    samples = built.manifest["samples"]
    sli_bytes, sli_rows = _tables(built, ("sli_samples",))
    name = built.size.name
    is_large = name == "large"
    row = Result(
        f"store size, {name} (SQLite)",
        figure=f"{fmt_bytes(total)}, {total / samples:.1f} B/sample",
        target="<= 3 GB (large)" if is_large else "- (3 GB is for large)",
        met=at_most(total, LARGE_TARGET_BYTES) if is_large else None,
        notes=[f"{samples:,} raw samples ({sli_rows:,} SLI samples at {sli_bytes / sli_rows:.1f} B each, "
               f"the rest golden signals and cost)"],
    )
    if not is_large:
        large = SIZES["large"]
        estimate = total / samples * large.expected_samples
        row.notes.append(
            f"extrapolated, NOT measured: the large fleet ({large.expected_samples:,} samples) at this "
            f"rate would take {fmt_bytes(estimate)} against the 3 GB target with every raw sample kept; "
            "raw samples alone cannot meet it"
        )
        row.notes.append(_large_with_retention(built))
    return row


def run(ctx) -> list[Result]:
    results = [size_row(build(SIZES["standard"], ctx.root, ctx.log))]
    if ctx.large:
        try:
            results.append(size_row(build(SIZES["large"], ctx.root, ctx.log)))
        except FleetTooLarge as exc:
            results.append(not_run("store size, large (SQLite)", str(exc), "<= 3 GB"))
    return results
