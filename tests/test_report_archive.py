"""The report archive: publish writes, archives and records a real PDF; `sloboard audit
verify` finds a changed, missing or unrecorded PDF and a run whose hash was rewritten."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from sloboard.report_archive import AUDIT_ACTION, verify_archive
from reports.delivery import Headline
from reports.periods import parse_period
from reports.publish import publish
from sloboard.errors import ConfigError, ReportError
from sloboard.settings import ReportsSettings
from sloboard.store import Store

HTML = """<!doctype html><html><head><meta charset="utf-8"><title>Weekly</title></head>
<body data-title="sloboard weekly" data-period="{period}" data-report-id="r" data-generated="g">
<h1>Weekly report {period}</h1><p class="headline">{sentence}</p></body></html>"""
HEADLINE = Headline("3 of 4 SLOs met their objective; the biggest risk is checkout/latency.",
                    (("SLO attainment", "75 %"), ("Deployment success", "98.7 %")))
REPORTS = ReportsSettings(recipients={"weekly": ["cto@example.com", "sre@example.com"]})


def _publish(store: Store, data_dir: Path, kind: str, label: str, sentence: str = "all met", **options):
    period = parse_period(kind, label, "Europe/Berlin")
    html = HTML.format(period=label, sentence=sentence)
    return publish(store, data_dir=data_dir, reports=REPORTS, period=period, html=html, headline=HEADLINE, **options)


def test_publish_archives_records_and_audits_the_pdf(store, tmp_path, clock):
    run = _publish(store, tmp_path, "weekly", "2026-W47", clock=clock)
    path = tmp_path / "reports" / "weekly" / "2026-W47.pdf"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert path.read_bytes().startswith(b"%PDF-")
    assert (run.kind, run.period, run.status, run.path, run.sha256) == (
        "weekly", "2026-W47", "ok", "reports/weekly/2026-W47.pdf", digest)
    assert run.recipients == ("cto@example.com", "sre@example.com")
    assert (run.delivery_status, run.started_at, run.finished_at) == ("none", clock.now, clock.now)
    assert Headline.from_json(run.headline) == HEADLINE
    [entry] = store.audit_entries(action=AUDIT_ACTION)
    assert entry.payload == {"run": run.id, "kind": "weekly", "period": "2026-W47",
                             "path": "reports/weekly/2026-W47.pdf", "sha256": digest}
    assert store.verify_audit() == (True, None)
    assert verify_archive(store, tmp_path).problems == ()


def test_rebuilding_a_period_gives_the_same_bytes_and_one_archived_file(store, tmp_path):
    first = _publish(store, tmp_path, "monthly", "2026-10")
    second = _publish(store, tmp_path, "monthly", "2026-10")
    assert first.id != second.id and first.sha256 == second.sha256
    assert sorted(p.name for p in (tmp_path / "reports").rglob("*")) == ["2026-10.pdf", "monthly"]
    check = verify_archive(store, tmp_path)
    assert (check.checked, check.problems) == (1, ())


def test_the_monthly_report_is_pdf_a_3b_and_the_weekly_is_not(store, tmp_path):
    from tests.test_report_pdf import _run

    _publish(store, tmp_path, "monthly", "2026-10")
    _publish(store, tmp_path, "weekly", "2026-W47")
    assert 'pdfaid:part="3"' in _run("pdfinfo", "-meta", tmp_path / "reports/monthly/2026-10.pdf").replace("'", '"')
    assert "pdfaid" not in _run("pdfinfo", "-meta", tmp_path / "reports/weekly/2026-W47.pdf")


def test_a_build_that_cannot_be_archived_is_recorded_as_failed(store, tmp_path):
    blocker = tmp_path / "reports"
    blocker.write_text("a file where the archive folder should be")
    with pytest.raises(ReportError, match="cannot write the report archive"):
        _publish(store, tmp_path, "weekly", "2026-W47")
    [run] = store.report_runs()
    assert (run.status, run.sha256, run.delivery_status) == ("failed", None, "none")
    assert "cannot write the report archive" in run.error


def test_sending_without_smtp_or_recipients_is_refused_before_building(store, tmp_path):
    with pytest.raises(ConfigError, match="reports.smtp.host is not set"):
        _publish(store, tmp_path, "weekly", "2026-W47", send=True)
    with pytest.raises(ConfigError, match="no recipients for quarterly reports: set reports.recipients.quarterly"):
        publish(store, data_dir=tmp_path, reports=ReportsSettings(smtp={"host": "127.0.0.1", "tls": "none"}),
                period=parse_period("quarterly", "2026-Q4", "UTC"), html="<p>q</p>", headline=HEADLINE, send=True)
    assert store.report_runs() == [] and not (tmp_path / "reports").exists()


# --- sloboard audit verify, as a user runs it -----------------------------------------------


def _verify(data_dir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLOBOARD_")}
    env["SLOBOARD_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "-m", "sloboard", "audit", "verify"], env=env, cwd=data_dir,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


@pytest.fixture
def archived(tmp_path) -> Path:
    """A data dir whose default store holds two archived reports."""
    data_dir = tmp_path / "data"
    store = Store.open(f"sqlite:///{data_dir / 'sloboard.db'}")
    try:
        _publish(store, data_dir, "weekly", "2026-W47")
        _publish(store, data_dir, "monthly", "2026-10")
    finally:
        store.close()
    return data_dir


def test_audit_verify_confirms_an_untouched_archive(archived):
    engine = sa.create_engine(f"sqlite:///{archived / 'sloboard.db'}")
    with engine.connect() as conn:
        entries = conn.exec_driver_sql("SELECT count(*) FROM audit_log").scalar_one()
    engine.dispose()
    result = _verify(archived)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["audit log intact", "report archive intact: 2 PDF(s) match their recorded SHA-256",
                                          "records intact: 2 deployment(s), user(s), token(s) and report run(s) "
                                          "match their audit entries",
                                          f"target columns intact: each of the {entries} entries walked holds "
                                          "its payload's target"]


def test_audit_verify_names_a_tampered_pdf_and_exits_non_zero(archived):
    tampered = archived / "reports" / "weekly" / "2026-W47.pdf"
    data = bytearray(tampered.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit, same size
    tampered.write_bytes(bytes(data))
    result = _verify(archived)
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"report archive: {tampered}: SHA-256 {hashlib.sha256(data).hexdigest()} does not match")
    assert "the file changed" in line and "monthly" not in line
    assert "audit log intact" in result.stdout


def test_audit_verify_names_missing_and_unrecorded_pdfs(archived):
    (archived / "reports" / "monthly" / "2026-10.pdf").unlink()
    stray = archived / "reports" / "weekly" / "2026-W01.pdf"
    stray.write_bytes(b"%PDF-1.7 not ours")
    result = _verify(archived)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"report archive: {archived / 'reports/monthly/2026-10.pdf'}: missing (report run 2")
    assert lines[1] == f"report archive: {stray}: archived PDF that no report run records"


def test_audit_verify_catches_a_pdf_and_its_recorded_hash_changed_together(archived):
    tampered = archived / "reports" / "weekly" / "2026-W47.pdf"
    tampered.write_bytes(tampered.read_bytes() + b"\n% appended")
    new_hash = hashlib.sha256(tampered.read_bytes()).hexdigest()
    engine = sa.create_engine(f"sqlite:///{archived / 'sloboard.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE report_runs SET sha256 = '{new_hash}' WHERE kind = 'weekly'")
    engine.dispose()
    result = _verify(archived)
    assert result.returncode == 1
    record, line = sorted(result.stderr.splitlines())  # the report run's row, and the archive's line
    assert line.startswith(f"report archive: {tampered}: report run 1 records SHA-256 {new_hash}, the audit log ")
    assert record.startswith("record: report run 1 (weekly 2026-W47) differs from audit entry ") and new_hash in record
