"""Store size: the SQLite file of a fleet, and bytes per raw sample.

A fleet's store is what sloboard holds at the fleet's end with the default retention
(``bench.fleet``): per-step rows (SLI counts, golden signals, cost) for the retained
days and hourly and daily rollup rows for all of the history. The cached fleet was
seeded with the retention of its build, so the size is measured on a copy of it pruned
at the fleet's end with today's default retention (``Retention.cutoffs``: golden signals'
hourly rows older than ``collect.golden_hourly_retention`` go) and VACUUMed: what a store
under today's policy holds; the cached file's size is noted. SQLite's ``dbstat`` table gives the
bytes of each table, so a raw sample's bytes and a rollup row's are printed apart. The
issue's target (3 GB) is for the large fleet; without ``--large`` the standard fleet's
bytes per row are extrapolated to the large fleet's row counts, and the row says so.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from sloboard.store import Store

from .fleet import GOLDEN_PER_SERVICE, RETENTION, SIZES, BuiltFleet, FleetSize, FleetTooLarge, build
from .report import Result, at_most, not_run
from .timing import fmt_bytes

LARGE_TARGET_BYTES = 3e9
RAW_TABLES = ("sli_samples", "series_samples")
HOURLY_TABLES = ("sli_hourly", "series_hourly")
DAILY_TABLES = ("sli_daily", "series_daily")


def at_todays_policy(built: BuiltFleet, scratch: Path) -> Path:
    """A copy of the fleet's database in ``scratch``, pruned at the fleet's end by today's
    default retention and VACUUMed (the file then holds only what the store keeps)."""
    copy = scratch / f"store-size-{built.size.name}.db"
    shutil.copyfile(built.db_path, copy)
    cutoff, kind_cutoffs, rollup_cutoff, hourly_cutoffs = RETENTION.cutoffs(built.end)
    with Store.open(f"sqlite:///{copy.resolve()}", clock=lambda: built.end, retention=RETENTION) as store:
        store.delete_samples_before(cutoff, kind_cutoffs=kind_cutoffs, rollup_cutoff=rollup_cutoff,
                                    kind_hourly_cutoffs=hourly_cutoffs)
    conn = sqlite3.connect(copy)
    try:
        conn.execute("VACUUM")
    finally:
        conn.close()
    return copy


def _tables(db_path: Path, names: tuple[str, ...]) -> tuple[int, int]:
    """(bytes, rows) of the named tables together, from SQLite's ``dbstat``."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        marks = ", ".join("?" for _ in names)
        size = conn.execute(f"SELECT sum(pgsize) FROM dbstat WHERE name IN ({marks})", names).fetchone()[0]
        rows = sum(conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in names)
    finally:
        conn.close()
    return int(size or 0), int(rows)


def _per_row(size_rows: tuple[int, int]) -> float:
    size, rows = size_rows
    return size / rows if rows else float("nan")


def _extrapolated_to(large: FleetSize, raw: tuple[int, int], hourly: tuple[int, int], daily: tuple[int, int],
                     total: int) -> str:
    """The large fleet's size from this store's bytes per raw and per rollup row, and the
    large fleet's row counts (``FleetSize.expected_rows``): an estimate, and said to be one."""
    raw_rows, daily_rows = large.expected_raw_rows(), large.expected_hourly_rows() // 24
    # Golden signals keep their hours for golden_hourly_retention only, the other series for the whole history.
    golden_days = min(large.days, RETENTION.golden_hourly_s // 86_400)
    hourly_rows = large.expected_hourly_rows() - large.services * GOLDEN_PER_SERVICE * (large.days - golden_days) * 24
    other = total - raw[0] - hourly[0] - daily[0]  # indexes, deployments, SLO rows: counted at this fleet's size
    estimate = _per_row(raw) * raw_rows + (_per_row(hourly) * hourly_rows + _per_row(daily) * daily_rows) + other
    return (f"extrapolated, NOT measured (run with --large to measure): the large fleet's {raw_rows:,} raw "
            f"and {hourly_rows:,} hourly and {daily_rows:,} daily rollup rows at these sizes would take about {fmt_bytes(estimate)}")


def size_row(built: BuiltFleet, scratch: Path) -> Result:
    seeded = built.db_bytes()
    db = at_todays_policy(built, scratch)
    total = db.stat().st_size
    raw, hourly, daily = _tables(db, RAW_TABLES), _tables(db, HOURLY_TABLES), _tables(db, DAILY_TABLES)
    sli = _tables(db, ("sli_samples",))
    golden_hourly_days = RETENTION.golden_hourly_s // 86_400
    size = built.size
    is_large = size.name == "large"
    row = Result(
        f"store size, {size.name} ({size.slos} SLOs, {size.days} d, SQLite)",
        figure=f"{fmt_bytes(total)}; {_per_row(raw):.1f} B per raw sample",
        target=f"<= {fmt_bytes(LARGE_TARGET_BYTES)}" if is_large else "- (3 GB is for large)",
        met=at_most(total, LARGE_TARGET_BYTES) if is_large else None,
        notes=[
            f"{raw[1]:,} raw samples in {fmt_bytes(raw[0])} ({sli[1]:,} SLI samples at {_per_row(sli):.1f} B, "
            f"the rest golden signals and cost at {_per_row((raw[0] - sli[0], raw[1] - sli[1])):.1f} B); "
            f"{hourly[1]:,} hourly rollup rows in {fmt_bytes(hourly[0])} ({_per_row(hourly):.1f} B each); "
            f"{daily[1]:,} daily rollup rows in {fmt_bytes(daily[0])} ({_per_row(daily):.1f} B each); "
            f"everything else (indexes, deployments, SLOs) {fmt_bytes(total - raw[0] - hourly[0] - daily[0])}",
            f"{built.manifest['samples']:,} 1-minute samples generated over {size.days} days, kept as steps for "
            f"the default raw retention and as hourly sums before it; golden signals' hourly sums for the last "
            f"{golden_hourly_days} days, daily sums before",
            f"measured on a copy pruned at the fleet's end by today's default retention and VACUUMed; the cached "
            f"store, seeded with the retention of its build, is {fmt_bytes(seeded)}",
        ],
    )
    db.unlink()
    if not is_large:
        row.notes.append(_extrapolated_to(SIZES["large"], raw, hourly, daily, total))
    return row


def run(ctx) -> list[Result]:
    results = [size_row(build(SIZES["standard"], ctx.root, ctx.log), ctx.scratch)]
    if ctx.large:
        try:
            results.append(size_row(build(SIZES["large"], ctx.root, ctx.log), ctx.scratch))
        except FleetTooLarge as exc:
            results.append(not_run("store size, large (SQLite)", str(exc), "<= 3 GB"))
    return results
