"""DORA tiles from the ``dora`` entries of ``status_report`` (one service, or ``"*"``)."""

from __future__ import annotations

from sloboard.reads.dora import ALL_SERVICES, DoraEntry
from sloboard.reads.status import StatusReport

from . import format as fmt
from .levels import BAD, GOOD, INFO, UNKNOWN, WARN, Level
from .tiles import tile, tiles

BAND_LEVELS = {"elite": GOOD, "high": GOOD, "medium": WARN, "low": BAD}
ALL = ALL_SERVICES


def band_level(band: str | None) -> Level:
    level = BAND_LEVELS.get(band or "", UNKNOWN)
    return Level(level.name, level.icon, band.capitalize()) if band else UNKNOWN


def dora_window(range_s: int) -> str:
    """The status report computes DORA over 7 and 30 days; pick the one nearer the range."""
    return "7d" if range_s <= 7 * 86_400 else "30d"


def dora_entry(report: StatusReport, service: str | None, window: str) -> DoraEntry | None:
    wanted = service or ALL
    return next((e for e in report.dora if e.service == wanted and e.window == window), None)


def dora_tiles(entry: DoraEntry | None, window: str) -> object:
    if entry is None:
        return tiles([tile("Deployments", fmt.NO_DATA, UNKNOWN, "no deployments recorded", tile_id="tile-deploys")])
    bands = entry.bands
    return tiles(
        [
            tile(f"Deployments ({window})", str(entry.deployments), INFO,
                 f"{entry.failed} failed, {entry.rolled_back} rolled back", tile_id="tile-deploys"),
            tile("Deployment frequency", f"{entry.deployment_frequency_per_day:.2f}/day",
                 band_level(bands.get("deployment_frequency")), "DORA 2023 band", tile_id="tile-frequency"),
            tile("Change failure rate", fmt.pct(entry.change_failure_rate, 1),
                 band_level(bands.get("change_failure_rate")), "failed + rolled back / all", tile_id="tile-cfr"),
            tile("Time to restore", fmt.seconds(entry.time_to_restore_median_s),
                 band_level(bands.get("time_to_restore")), "median, failure to next success", tile_id="tile-restore"),
            tile("Lead time", fmt.seconds(entry.lead_time_median_s), band_level(bands.get("lead_time")),
                 "median, commit to deployed", tile_id="tile-lead"),
        ]
    )
