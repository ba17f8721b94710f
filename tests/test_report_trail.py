"""The monthly report's deployment audit trail: every deployment of a month appears in
the PDF (pdftotext), exactly once and in order, across pages that each repeat the
table's header, with no row lost at a page break.

The test lays out 1,000 deployments (about 10 s of WeasyPrint); the issue's 5,000 take
about a minute of CPU on this machine, so ``bench.report_speed`` builds that month at
1,000 SLOs and runs the same checks (``check_trail``) on its PDF."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from datetime import datetime, timezone

import numpy as np
import pytest

from reports.publish import write_report
from reports.periods import parse_period
from reports.service import build
from sloboard.domain import Deployment, DeployStatus
from sloboard.settings import Settings
from sloboard.store import Store
from tests.factories import make_slo
from tests.missing import missing

TZ = "Europe/Berlin"
MONTH = parse_period("monthly", "2026-10", TZ)
DEPLOYMENTS = 1_000
SLO = make_slo(id="checkout/availability", service="checkout", name="availability", objective=0.99)
STATUSES = (DeployStatus.SUCCEEDED,) * 8 + (DeployStatus.FAILED, DeployStatus.ROLLED_BACK)
SERVICES = ("checkout", "search", "payments-gateway-eu-central")


def commit(i: int) -> str:
    return hashlib.sha1(f"deploy {i}".encode()).hexdigest()


def deployments(count: int = DEPLOYMENTS, start: int = MONTH.start, end: int = MONTH.end,
                services=SERVICES) -> list[Deployment]:
    """``count`` deployments spread over ``[start, end)``, each with its own commit."""
    span = (end - start) / count
    out = []
    for i in range(count):
        started = datetime.fromtimestamp(start + int(i * span), timezone.utc)
        finished = datetime.fromtimestamp(start + int(i * span) + 240, timezone.utc)
        out.append(Deployment(services[i % len(services)], f"1.{i // 100}.{i % 100}", STATUSES[i % 10], started, finished,
                              "api", commit(i)))
    return out


def pdftotext(pdf: bytes, tmp_path) -> list[str]:
    """The text of each page of ``pdf`` (written under ``tmp_path``), laid out as printed."""
    tool = shutil.which("pdftotext")
    if tool is None:
        missing("pdftotext is not on PATH (Debian: apt-get install poppler-utils)")
    path = tmp_path / "monthly.pdf"
    path.write_bytes(pdf)
    out = subprocess.run([tool, "-layout", str(path), "-"], check=True, capture_output=True, text=True)
    return out.stdout.split("\f")[:-1]


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    folder = tmp_path_factory.mktemp("trail")
    ts = np.arange(MONTH.start + 3600, MONTH.end + 1, 3600, dtype=np.int64)
    with Store.open(f"sqlite:///{folder / 'sloboard.db'}") as store:
        store.sync_slos([SLO])
        store.write_sli_samples(SLO.id, ts, np.full(ts.size, 99.5), np.full(ts.size, 100.0))
        store.record_deployments(deployments())
        built = build("monthly", store, [SLO], MONTH, Settings(data_dir=folder, timezone=TZ, collect={"step_s": 3600, "lookback": "1h"}))
    return pdftotext(write_report(built.html, as_of=MONTH.end, archival=True), folder)


HEADER = re.compile(r"#\s+Service\s+Version\s+Status\s+Started\s+Finished\s+Source\s+Commit\s+Recorded\s+Frozen")
ROW = re.compile(r"^\s*(\d+)\s+\S.*?\b([0-9a-f]{40})\b", re.M)


def check_trail(pages: list[str], count: int) -> list[str]:
    """What is wrong with the trail of ``count`` deployments made by ``deployments()`` (empty: nothing)."""
    problems = []
    rows = [(int(n), sha) for page in pages for n, sha in ROW.findall(page)]
    if [n for n, _ in rows] != list(range(1, count + 1)):
        problems.append(f"rows numbered {len(rows)} times, not 1..{count} once each in order")
    if [sha for _, sha in rows] != [commit(i) for i in range(count)]:
        problems.append("the commits printed are not every deployment's, in order")
    if f"Deployment audit trail ({count} deployments)" not in "\n".join(pages):
        problems.append("the contents do not count every deployment")
    trail_pages = [page for page in pages if ROW.search(page)]
    if len(trail_pages) < count // 60:  # at most about 50 rows fit a page
        problems.append(f"{count} rows on only {len(trail_pages)} pages")
    if not all(HEADER.search(page) for page in trail_pages):
        problems.append("a trail page without the table's header")
    # Each page's rows follow the previous page's: none dropped at a page break.
    firsts = [int(ROW.search(page).group(1)) for page in trail_pages]
    lasts = [int(ROW.findall(page)[-1][0]) for page in trail_pages]
    if not all(first == last + 1 for first, last in zip(firsts[1:], lasts)):
        problems.append("a page's first row does not follow the previous page's last")
    if not all(f"page {i} of {len(pages)}" in page for i, page in enumerate(pages, 1)):
        problems.append("a page without its 'page X of Y'")
    return problems


def test_every_deployment_of_the_month_is_listed_once_in_order_under_repeated_headers(pages):
    assert check_trail(pages, DEPLOYMENTS) == []


def test_the_check_finds_a_dropped_row_and_a_missing_header(pages):
    dropped = [page.replace(f" {commit(500)} ", " ") for page in pages]
    headless = [HEADER.sub("", page) for page in pages]
    assert check_trail(dropped, DEPLOYMENTS) and check_trail(headless, DEPLOYMENTS)
