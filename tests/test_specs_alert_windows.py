"""Burn-rate alert windows: the shipped SRE workbook table, a user's file, one SLO's override."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from sloboard.domain import AlertWindow, Severity
from sloboard.specs import load_specs
from sloboard.specs.alert_windows import load_alert_windows, windows_from_text
from tests.factories import WORKBOOK_WINDOWS

DEMO = Path(__file__).resolve().parent.parent / "slo_specs"


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def test_shipped_table_is_the_sre_workbook_table():
    windows, problems = load_alert_windows(None)
    assert problems == []
    assert windows == WORKBOOK_WINDOWS


def test_user_file_replaces_the_table_for_every_slo_without_an_override(tmp_path):
    user = write(tmp_path / "windows.yaml", """
        windows:
          - {severity: page, burn_rate: 10, long: 2h, short: 10m}
        """)
    result = load_specs([DEMO], alert_windows_file=user)
    assert result.problems == []
    mine = (AlertWindow(Severity.PAGE, timedelta(hours=2), timedelta(minutes=10), 10.0),)
    by_id = {s.id: s.alert_windows for s in result.slos}
    assert by_id["checkout/availability"] == mine
    assert by_id["search/availability"] == mine  # Sloth, no severity disabled
    assert len(by_id["payments/availability"]) == 4  # its own annotation wins


def test_broken_user_file_is_reported_and_the_shipped_table_is_used(tmp_path):
    user = write(tmp_path / "windows.yaml", """
        windows:
          - severity: page
            burn_rate: 14.4
            long: 5m
            short: 1h
          - severity: pager
            burn_rate: 6
            long: 6h
            short: 30m
        """)
    result = load_specs([DEMO], alert_windows_file=user)
    assert [(p.path, p.line, p.field) for p in result.problems] == [
        (str(user), 2, "windows[0]"), (str(user), 6, "windows[1].severity")]
    assert "the short window (1h) must be shorter than the long window (5m)" in result.problems[0].message
    assert "did you mean 'page'?" in result.problems[1].message
    assert not result.ok
    assert {s.id: s.alert_windows for s in result.slos}["checkout/availability"] == WORKBOOK_WINDOWS


def test_missing_user_file_is_an_error(tmp_path):
    result = load_specs([DEMO], alert_windows_file=tmp_path / "nope.yaml")
    assert [(p.path, p.severity) for p in result.problems] == [(str(tmp_path / "nope.yaml"), "error")]
    assert "cannot read alert windows file" in result.problems[0].message


def test_annotation_form_reads_like_the_table():
    assert windows_from_text("page 14.4x 1h/5m, page 6x 6h/30m, ticket 1x 3d/6h") == WORKBOOK_WINDOWS


@pytest.mark.parametrize(("text", "message"), [
    pytest.param("page 14.4 1h/5m", "cannot read alert window 'page 14.4 1h/5m'", id="burn rate without x is refused"),
    pytest.param("pager 2x 1h/5m", "unknown severity 'pager'", id="unknown severity is refused"),
    pytest.param("page 0x 1h/5m", "burn rate must be above 0", id="zero burn rate is refused"),
    pytest.param("page 2x 1 hour/5m", "cannot read alert window", id="spaced duration is refused"),
    pytest.param(" , ", "no alert windows given", id="empty list is refused"),
])
def test_annotation_form_errors_say_what_to_write(text, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        windows_from_text(text)
