"""The PDF writer with real WeasyPrint, read back with poppler (pdftotext, pdfinfo, pdftoppm)."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import zlib
from datetime import datetime, timezone
from pathlib import Path

import pytest

from reports.pdf import pdf_date, write_pdf
from tests.missing import missing

ARTIFACTS = Path(__file__).parent / "artifacts"
AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc).timestamp()
ROWS = 120

# A tiny report: a cover, a table of contents, and a table long enough to span pages.
SAMPLE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sample compliance report</title></head>
<body data-title="sloboard · sample compliance report" data-period="2026-10 (Europe/Berlin)"
      data-report-id="monthly-2026-10" data-generated="2026-11-01 00:00 UTC">
<section class="cover"><h1>Sample compliance report</h1><p class="subtitle">October 2026 · Europe/Berlin</p></section>
<nav class="toc"><h1>Contents</h1><p><a href="#slos">SLO compliance</a></p><p><a href="#deploys">Deployment audit trail</a></p></nav>
<h2 id="slos">SLO compliance</h2>
<p class="headline">12 of 13 SLOs met their objective; <span class="status-missed">&#x2716; missed</span>: checkout/latency.</p>
<h2 id="deploys">Deployment audit trail</h2>
<table><thead><tr><th>#</th><th>Service</th><th>Version</th><th>Status</th><th class="num">Minutes</th></tr></thead>
<tbody>{rows}</tbody></table>
</body></html>"""


def _sample(rows: int = ROWS) -> str:
    body = "".join(
        f"<tr><td>row-{i:04d}</td><td>checkout</td><td>v1.{i}.0</td><td>succeeded</td><td class=num>{i % 17}</td></tr>"
        for i in range(1, rows + 1)
    )
    return SAMPLE.replace("{rows}", body)


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        missing(f"{tool} is not on PATH (Debian: apt-get install poppler-utils)")
    return path


def _run(tool: str, *args: str | Path) -> str:
    return subprocess.run([_poppler(tool), *map(str, args)], check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def archival_pdf(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "sample.pdf"
    path.write_bytes(write_pdf(_sample(), as_of=AS_OF, archival=True))
    return path


def _inflated(raw: bytes) -> bytes:
    """The PDF with its compressed streams (object streams among them) inflated, to search in."""
    parts = [raw]
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", raw, flags=re.DOTALL):
        try:
            parts.append(zlib.decompress(stream))
        except zlib.error:
            pass  # not a Flate stream (or not one we need)
    return b"\n".join(parts)


def _pages(pdf: Path) -> list[str]:
    return _run("pdftotext", "-layout", pdf, "-").split("\f")[:-1]


def test_the_same_input_gives_byte_identical_pdfs():
    for archival in (False, True):
        first = write_pdf(_sample(), as_of=AS_OF, archival=archival)
        second = write_pdf(_sample(), as_of=AS_OF, archival=archival)
        assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()
    later = write_pdf(_sample(), as_of=AS_OF + 86400, archival=True)
    assert later != first  # the pinned date is really in the file


def test_pages_are_a4_with_the_as_of_dates(archival_pdf):
    info = _run("pdfinfo", archival_pdf)
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info)
    # pdfinfo prints dates in the local zone of the process: compare the instant.
    meta = _run("pdfinfo", "-isodates", archival_pdf)
    created = re.search(r"CreationDate:\s+(\S+)", meta).group(1)
    modified = re.search(r"ModDate:\s+(\S+)", meta).group(1)
    assert datetime.fromisoformat(created).timestamp() == AS_OF
    assert datetime.fromisoformat(modified).timestamp() == AS_OF
    assert pdf_date(AS_OF) == "2026-11-01T00:00:00Z"


def test_archival_pdfs_declare_pdf_a_3b_with_an_srgb_output_intent(archival_pdf):
    # No PDF/A validator installs here (veraPDF is Java, not in these registries):
    # check what PDF/A-3b requires that a reader can see.
    xmp = _run("pdfinfo", "-meta", archival_pdf)
    assert re.search(r'pdfaid:part\s*=\s*"3"|<pdfaid:part>3</pdfaid:part>', xmp)
    assert re.search(r'pdfaid:conformance\s*=\s*"B"|<pdfaid:conformance>B</pdfaid:conformance>', xmp)
    objects = _inflated(archival_pdf.read_bytes())
    assert b"/GTS_PDFA1" in objects and b"/OutputIntents" in objects
    assert b"/ID [" in objects  # PDF/A needs a file identifier
    assert re.search(r"PDF version:\s+1\.7", _run("pdfinfo", archival_pdf))
    assert b"/GTS_PDFA1" not in _inflated(write_pdf(_sample(), as_of=AS_OF))


def test_running_header_footer_and_page_x_of_y(archival_pdf):
    pages = _pages(archival_pdf)
    total = len(pages)
    assert total >= 4, "the sample table should spill over several pages"
    for number, text in enumerate(pages, start=1):
        assert f"page {number} of {total}" in text
        assert "Generated 2026-11-01 00:00 UTC · report monthly-2026-10" in text
        if number > 1:  # the cover has no running header
            assert "sloboard · sample compliance report" in text and "2026-10 (Europe/Berlin)" in text
    assert "2026-10 (Europe/Berlin)" not in pages[0].replace("October 2026 · Europe/Berlin", "")


def test_tables_continue_with_repeated_headers_and_no_lost_row(archival_pdf):
    pages = _pages(archival_pdf)
    table_pages = [p for p in pages if "row-" in p]
    assert len(table_pages) >= 3
    for text in table_pages:
        assert re.search(r"#\s+Service\s+Version\s+Status\s+Minutes", text), "each table page repeats the header"
    found = re.findall(r"row-(\d{4})", "".join(pages))
    assert found == [f"{i:04d}" for i in range(1, ROWS + 1)]


def test_the_contents_point_at_the_pages_of_their_sections(archival_pdf):
    pages = _pages(archival_pdf)
    toc = pages[1]
    assert "Contents" in toc and "row-0001" not in toc  # the contents have a page of their own
    for title, marker in (("SLO compliance", "12 of 13 SLOs met"), ("Deployment audit trail", "row-0001")):
        page = next(n for n, p in enumerate(pages, 1) if marker in p)
        assert re.search(rf"{title}\s*\.+\s*{page}\b", toc), f"{title} is on page {page}"


def test_a_page_renders_to_png_for_a_look(archival_pdf):
    ARTIFACTS.mkdir(exist_ok=True)
    prefix = ARTIFACTS / "report-sample"
    _run("pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "3", archival_pdf, prefix)
    images = sorted(ARTIFACTS.glob("report-sample-*.png"))
    assert len(images) >= 3 and all(p.stat().st_size > 5_000 for p in images)


def test_weasyprint_stays_out_of_other_commands_start_up():
    probe = "import sys, sloboard.cli, reports.pdf, reports.periods; print('weasyprint' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "False"


def test_matplotlib_stays_out_of_start_up_until_a_chart_is_drawn():
    probe = ("import sys, sloboard.cli, reports.service, reports.weekly, reports.monthly, reports.quarterly, "
             "reports.charts as charts\nbefore = 'matplotlib' in sys.modules\n"
             "charts.bars(['a', 'b'], [1.0, 2.0], y_label='USD')\nprint(before, 'matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    assert out.split() == ["False", "True"]
