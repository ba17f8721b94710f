"""The DORA 2023 bands as data: ``sloboard/data/dora_bands.yaml`` (which cites the report and
states the boundary rule) read into the engine's ``BandScale`` per metric.

The engine (``engine.dora``) never reads the file: whoever composes the program loads
the bands once (:func:`load_dora_bands`) and passes them in.
"""

from __future__ import annotations

from importlib import resources
from types import MappingProxyType

import yaml

from .domain import parse_duration
from .engine.dora import BANDS, METRICS, BandScale, BandScales
from .errors import ConfigError

DAY_S = 86400.0


def parse_bands(text: str, origin: str) -> BandScales:
    """Read a bands table in the format of ``dora_bands.yaml``; ``origin`` names it in errors."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{origin}: not valid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise ConfigError(f"{origin}: expected a mapping with the keys {', '.join(METRICS)}")
    unknown = sorted(set(doc) - set(METRICS), key=str)
    if unknown:
        raise ConfigError(f"{origin}: {unknown[0]}: unknown metric; use {', '.join(METRICS)}")
    return MappingProxyType({metric: _parse_scale(doc.get(metric), metric, origin) for metric in METRICS})


def _parse_scale(entry: object, metric: str, origin: str) -> BandScale:
    graded = BANDS[:-1]
    if not isinstance(entry, dict) or set(entry) != set(graded):
        raise ConfigError(f"{origin}: {metric}: give exactly the thresholds {', '.join(graded)}")
    raw = [_parse_limit(entry[band], metric, band, origin) for band in graded]
    # Every limit is written as "at most" (a duration, or a fraction), so it must
    # grow from elite to medium; otherwise a band could never be reached.
    if not raw[0] < raw[1] < raw[2]:
        raise ConfigError(f"{origin}: {metric}: thresholds must grow from elite to high to medium")
    if metric == "deployment_frequency":
        # "at least one deployment every D" is a rate of at least 1/D deploys per day.
        return BandScale(True, tuple(DAY_S / seconds for seconds in raw))
    return BandScale(False, tuple(raw))


def _parse_limit(value: object, metric: str, band: str, origin: str) -> float:
    where = f"{origin}: {metric}.{band}"
    if metric == "change_failure_rate":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ConfigError(f"{where}: expected a fraction between 0 and 1, got {value!r}")
        return float(value)
    try:
        return parse_duration(str(value)).total_seconds()
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def load_dora_bands() -> BandScales:
    """The packaged DORA 2023 bands. The composition root reads them once and passes them down."""
    source = resources.files("sloboard").joinpath("data", "dora_bands.yaml")
    return parse_bands(source.read_text(encoding="utf-8"), origin="sloboard/data/dora_bands.yaml")
