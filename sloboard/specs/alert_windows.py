"""Burn-rate alert windows: the shipped SRE workbook table, a user's file, or one SLO's override.

The table is data, not code (``sloboard/data/alert_windows.yaml``): a user file in
the same format replaces it for every SLO, and the ``sloboard.dev/alert-windows``
annotation replaces it for one SLO.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from pydantic import Field, model_validator

from ..domain import AlertWindow, Severity, parse_duration
from ..errors import Problem
from .base import Duration, Reporter, SpecModel, validate
from .yaml_source import read_documents


def make_window(severity: Severity, burn_rate: float, long: str, short: str) -> AlertWindow:
    """One alert window, checked: a positive burn rate and a short window inside the long one."""
    if burn_rate <= 0:
        raise ValueError(f"burn rate must be above 0, got {burn_rate}")
    long_d, short_d = parse_duration(long), parse_duration(short)
    if short_d >= long_d:
        raise ValueError(f"the short window ({short}) must be shorter than the long window ({long})")
    return AlertWindow(severity, long_d, short_d, float(burn_rate))


class AlertWindowEntry(SpecModel):
    severity: Severity
    burn_rate: float = Field(gt=0)
    long: Duration
    short: Duration

    @model_validator(mode="after")
    def _short_inside_long(self) -> "AlertWindowEntry":
        make_window(self.severity, self.burn_rate, self.long, self.short)
        return self

    def to_domain(self) -> AlertWindow:
        return make_window(self.severity, self.burn_rate, self.long, self.short)


class AlertWindowsFile(SpecModel):
    windows: list[AlertWindowEntry] = Field(min_length=1)


def default_windows_path() -> Path:
    return Path(str(resources.files("sloboard") / "data" / "alert_windows.yaml"))


def load_alert_windows(path: Path | None = None) -> tuple[tuple[AlertWindow, ...], list[Problem]]:
    """The alert windows from ``path`` (default: the shipped SRE workbook table).

    A broken user file is reported and the shipped table is used instead, so the specs
    themselves can still be checked in the same run.
    """
    source = path or default_windows_path()
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        return _fallback(path, [Problem(str(source), 0, "", f"cannot read alert windows file: {exc.strerror}")])
    documents, problems = read_documents(str(source), text)
    if problems or len(documents) != 1:
        if not problems:
            problems = [Problem(str(source), documents[1].line, "",
                                "an alert windows file holds one document")]
        return _fallback(path, problems)
    reporter = Reporter()
    parsed = validate(AlertWindowsFile, documents[0], reporter)
    if parsed is None or parsed.refused:
        return _fallback(path, reporter.problems)
    return tuple(w.to_domain() for w in parsed.obj.windows), []


def _fallback(path: Path | None, problems: list[Problem]) -> tuple[tuple[AlertWindow, ...], list[Problem]]:
    if path is None:  # the shipped file itself is broken: a packaging bug, not user input
        raise RuntimeError("; ".join(str(p) for p in problems))
    windows, _ = load_alert_windows(None)
    return windows, problems


_WINDOW_TEXT_RE = re.compile(r"^\s*(\w+)\s+(\d+(?:\.\d+)?)x\s+(\S+?)\s*/\s*(\S+)\s*$")


def windows_from_text(text: str) -> tuple[AlertWindow, ...]:
    """Parse the compact annotation form ``page 14.4x 1h/5m, page 6x 6h/30m, ticket 1x 3d/6h``.

    Each item is ``<severity> <burn rate>x <long window>/<short window>``.
    """
    windows = []
    for item in filter(str.strip, re.split(r"[,;]", text)):
        m = _WINDOW_TEXT_RE.match(item)
        if m is None:
            raise ValueError(f"cannot read alert window {item.strip()!r}; write items like "
                             "'page 14.4x 1h/5m, ticket 1x 3d/6h' (severity, burn rate, long/short window)")
        severity, burn_rate, long, short = m.groups()
        try:
            level = Severity(severity)
        except ValueError:
            raise ValueError(f"unknown severity {severity!r} in {item.strip()!r}; use page or ticket") from None
        windows.append(make_window(level, float(burn_rate), long, short))
    if not windows:
        raise ValueError("no alert windows given; remove the annotation to use the default table")
    return tuple(windows)
