"""The three report kinds built from a store seeded with known numbers, read back with
pdftotext: every SLO id, SLI, good and total events, budget and deployment count
printed equals what the test computes from the seed for that calendar period in the
configured time zone. Every page is rendered to PNG under tests/artifacts/ to be looked at."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from reports.publish import write_report
from reports.periods import parse_period
from reports.service import build, make_report
from sloboard.domain import Deployment, DeployStatus
from sloboard.settings import Settings
from sloboard.store import Store
from tests.factories import make_slo
from tests.missing import missing

ARTIFACTS = Path(__file__).parent / "artifacts"
TZ = "Europe/Berlin"
STEP = 60
MONTH = parse_period("monthly", "2026-10", TZ)  # 31 days and 1 hour: DST ends on 25 October
# Seeded from the start of July to the end of October: the quarter before, Q3, and October.
SEED_START = parse_period("monthly", "2026-07", TZ).start
SEED_END = MONTH.end
SLOS = (
    make_slo(id="checkout/availability", service="checkout", name="availability", objective=0.99),
    make_slo(id="search/latency", service="search", name="latency", team="search-team", objective=0.995),
)


def _bad(slo_index: int, ts: np.ndarray) -> np.ndarray:
    """Bad events per step: a known pattern per SLO (an incident hour every 5th day for one)."""
    minute = (ts // 60) % 1440
    if slo_index == 0:
        return np.where(minute % 7 == 0, 3.0, 0.0) + np.where(((ts // 86400) % 5 == 0) & (minute // 60 == 13), 40.0, 0.0)
    return np.where(minute % 11 == 0, 2.0, 0.0)


def _total(ts: np.ndarray) -> np.ndarray:
    return 100.0 + (ts // 60) % 3


def _deployments() -> list[Deployment]:
    statuses = (DeployStatus.SUCCEEDED,) * 8 + (DeployStatus.FAILED, DeployStatus.ROLLED_BACK)
    out = []
    for i, t in enumerate(range(SEED_START + 3600 * 5, SEED_END, 3600 * 17)):
        out.append(Deployment("checkout" if i % 3 else "search", f"1.{i}.0", statuses[i % len(statuses)],
                              datetime.fromtimestamp(t, timezone.utc), datetime.fromtimestamp(t + 300, timezone.utc),
                              "api", f"{i:040x}"))
    return out


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reports")
    url = f"sqlite:///{folder / 'sloboard.db'}"
    ts = np.arange(SEED_START + STEP, SEED_END + 1, STEP, dtype=np.int64)
    with Store.open(url) as store:
        store.sync_slos(list(SLOS))
        for i, slo in enumerate(SLOS):
            total = _total(ts)
            store.write_sli_samples(slo.id, ts, total - _bad(i, ts), total)
        store.write_series("cost", "service:checkout", "opencost", ts, np.full(ts.size, 0.01))
        store.record_deployments(_deployments())
    return url, folder


def _settings(folder: Path) -> Settings:
    return Settings(data_dir=folder, timezone=TZ)


def _expected(period) -> dict[str, tuple[float, float, float, float]]:
    """SLI, good, total and budget consumed of each SLO over ``(start, end]``, from the seed's formulas."""
    ts = np.arange(SEED_START + STEP, SEED_END + 1, STEP, dtype=np.int64)
    ts = ts[(ts > period.start) & (ts <= period.end)]
    out = {}
    for i, slo in enumerate(SLOS):
        total = float(_total(ts).sum())
        bad = float(_bad(i, ts).sum())
        out[slo.id] = ((total - bad) / total, total - bad, total, bad / ((1 - slo.objective) * total))
    return out


def _deploys_in(period) -> list[Deployment]:
    return [d for d in _deployments() if period.start <= d.started_at.timestamp() < period.end]


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        missing(f"{tool} is not on PATH (Debian: apt-get install poppler-utils)")
    return path


def _text(pdf: Path) -> list[str]:
    out = subprocess.run([_poppler("pdftotext"), "-layout", str(pdf), "-"], check=True, capture_output=True, text=True)
    return out.stdout.split("\f")[:-1]


def _render_pages(pdf: Path, name: str) -> list[Path]:
    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    subprocess.run([_poppler("pdftoppm"), "-png", "-r", "60", str(pdf), str(ARTIFACTS / name)], check=True)
    return sorted(ARTIFACTS.glob(f"{name}-*.png"))


def _build_pdf(seeded, kind: str, label: str) -> tuple[Path, bytes]:
    url, folder = seeded
    period = parse_period(kind, label, TZ)
    with Store.open(url) as store:
        built = build(kind, store, list(SLOS), period, _settings(folder))
    pdf = write_report(built.html, as_of=period.end, archival=kind == "monthly")
    path = folder / f"{kind}-{label}.pdf"
    path.write_bytes(pdf)
    return path, pdf


def _row(pages: list[str], slo_id: str) -> str:
    return next(line for page in pages for line in page.splitlines() if line.strip().startswith(slo_id))


def test_monthly_prints_each_slos_numbers_for_the_calendar_month(seeded):
    path, _ = _build_pdf(seeded, "monthly", "2026-10")
    pages = _text(path)
    _render_pages(path, "report-monthly")
    text = "\n".join(pages)
    for slo in SLOS:
        sli, good, total, consumed = _expected(MONTH)[slo.id]
        row = _row(pages[2:], slo.id)
        assert f"{sli * 100:.4f} %" in row and f"{good:,.0f}" in row and f"{total:,.0f}" in row, row
        assert f"{consumed * 100:.2f} %" in row, row
        assert ("met" if sli >= slo.objective else "missed") in row
    deploys = _deploys_in(MONTH)
    assert f"Deployment audit trail ({len(deploys)} deployments)" in text
    for d in deploys:
        assert d.version in text and d.commit in text
    assert "page 1 of" in pages[0] and f"page {len(pages)} of {len(pages)}" in pages[-1]
    assert "monthly-2026-10" in pages[-1]


def test_the_monthly_passes_a_pdf_a_3b_validator(seeded):
    import pikepdf.pdfa as pdfa  # pikepdf[pdfa]

    path, _ = _build_pdf(seeded, "monthly", "2026-10")
    report = pdfa.validate_written(path, "3b")
    assert report.verdict == "pass", report.findings


def test_weekly_prints_the_weeks_slis_budgets_and_deployments(seeded):
    path, _ = _build_pdf(seeded, "weekly", "2026-W43")
    week = parse_period("weekly", "2026-W43", TZ)
    pages = _text(path)
    assert 2 <= len(pages) <= 4
    _render_pages(path, "report-weekly")
    text = "\n".join(pages)
    for slo in SLOS:
        sli, _good, total, consumed = _expected(week)[slo.id]
        row = _row(pages, slo.id)
        assert f"{sli * 100:.3f} %" in row and f"{(1 - consumed) * 100:.1f} %" in row, row
    assert f"{len(_deploys_in(week))} deployments this week" in text
    assert "Times are in Europe/Berlin" in text
    assert "sum(" not in text and "http_requests_total" not in text  # no query text for executives


def test_quarterly_counts_the_deployments_of_each_month(seeded):
    path, _ = _build_pdf(seeded, "quarterly", "2026-Q3")
    pages = _text(path)
    assert len(pages) == 2
    _render_pages(path, "report-quarterly")
    row = next(line for line in pages[0].splitlines() if line.strip().startswith("Deployments"))
    counts = [len(_deploys_in(parse_period("monthly", m, TZ))) for m in ("2026-07", "2026-08", "2026-09")]
    quarter = len(_deploys_in(parse_period("quarterly", "2026-Q3", TZ)))
    assert re.findall(r"\d+", row) == [str(c) for c in counts] + [str(quarter), "0"]


@pytest.mark.parametrize("kind,label", [("weekly", "2026-W43"), ("monthly", "2026-10"), ("quarterly", "2026-Q3")])
def test_building_a_period_twice_gives_identical_bytes(seeded, kind, label):
    assert _build_pdf(seeded, kind, label)[1] == _build_pdf(seeded, kind, label)[1]


def test_the_command_archives_the_default_period_and_rejects_a_bad_one(seeded, tmp_path):
    url, _folder = seeded
    env = {"SLOBOARD_DATABASE_URL": url, "SLOBOARD_DATA_DIR": str(tmp_path), "SLOBOARD_TIMEZONE": TZ,
           "SLOBOARD_SPECS_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    sloboard = str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / "sloboard")
    bad = subprocess.run([sloboard, "report", "monthly", "--period", "2026-13"], env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "2026-13" in bad.stderr


def test_make_report_writes_the_archive_and_the_copy(seeded, tmp_path):
    url, _folder = seeded
    with Store.open(url) as store:
        run = make_report(store, list(SLOS), _settings(tmp_path), "weekly", parse_period("weekly", "2026-W43", TZ),
                          out=tmp_path / "copy.pdf")
    assert (tmp_path / run.path).read_bytes() == (tmp_path / "copy.pdf").read_bytes()
    assert run.path == "reports/weekly/2026-W43.pdf"
