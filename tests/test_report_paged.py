"""A report written in parts (reports/paged.py) reads as the same report laid out in one
piece: the text of every page (rows, repeated table headers, running header and footer,
"page X of Y", the contents' page numbers) equals that of the one-piece PDF, although its
long table was laid out 40 rows at a time. Its outline and links point at the sections'
pages, it passes a PDF/A-3b validator (pikepdf.pdfa) and a rebuild gives the same bytes."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest

from reports.paged import FIRST_BODY_PAGE, PagedDocument, Part, write_paged_pdf
from reports.pdf import write_pdf
from sloboard.errors import ReportError
from tests.missing import missing

AS_OF = 1_793_491_200  # 2026-11-01T00:00:00Z
ROWS = 150
CHUNK = 40  # about a page and a half of rows: every chunk but the last drops its last page
BODY = ('<body data-title="sloboard · parts sample" data-period="2026-10" data-report-id="monthly-2026-10" '
        'data-generated="2026-11-01 00:00 UTC">')
HEAD = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Parts sample</title></head>'
COVER = ('<section class="cover"><h1>Parts sample</h1></section>'
         '<nav class="toc"><h1>Contents</h1><p><a href="#rows">A. Rows</a></p>'
         '<p><a href="#short">B. A short table</a></p><p><a href="#end">C. After the table</a></p></nav>')
SECTIONS = {"rows": ("A. Rows", ROWS), "short": ("B. A short table", 3)}


def _document(inner: str) -> str:
    return f"{HEAD}{BODY}{inner}</body></html>"


def _section(anchor: str, start: int, stop: int) -> str:
    """Rows ``[start, stop)`` of a section's table; rows of one, two or three lines."""
    title, count = SECTIONS[anchor]
    head = f'<h2 id="{anchor}">{title}</h2><p class="quiet">Rows that wrap.</p>' if start == 0 else ""
    rows = "".join(f'<tr data-row="{i}"><td>{anchor}-{i:04d}</td><td>{"a few words that wrap " * (i % 3 * 4)}</td></tr>'
                   for i in range(start, stop))
    tail = '<h2 id="end">C. After the table</h2><p>The last words.</p>' if anchor == "short" and stop == count else ""
    return (f'<section style="break-before: page">{head}<table><thead><tr><th>Row</th><th>Words</th></tr></thead>'
            f'<tbody>{rows}</tbody></table>{tail}</section>')


def _front(body_pages) -> str:
    blanks = "".join(
        f'<div class="body-page"{f" id={FIRST_BODY_PAGE!r}" if i == 0 else ""}>'
        + "".join(f'<div id="{a}"></div>' for a in page.anchors)
        + "".join(f'<div class="bookmark" style="bookmark-level: {level}" data-label="{label}"></div>'
                  for level, label in page.bookmarks)
        + "</div>" for i, page in enumerate(body_pages))
    return _document(COVER + blanks)


def _paged(calls: list | None = None, front=_front) -> PagedDocument:
    def part(anchor: str) -> Part:
        def html(start: int, stop: int) -> str:
            if calls is not None:
                calls.append((anchor, start, stop))
            return _document(_section(anchor, start, stop))
        return Part(html, SECTIONS[anchor][1])
    return PagedDocument(front, (part("rows"), part("short")), chunk_rows=CHUNK)


def _one_piece(archival: bool = True) -> bytes:
    return write_pdf(_document(COVER + "".join(_section(a, 0, n) for a, (_t, n) in SECTIONS.items())),
                     as_of=AS_OF, archival=archival)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        missing(f"{name} is not on PATH (Debian: apt-get install poppler-utils)")
    return path


def _pages(pdf: bytes, tmp_path, name: str) -> list[str]:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run([_tool("pdftotext"), "-layout", str(path), "-"], check=True, capture_output=True, text=True)
    return out.stdout.split("\f")[:-1]


@pytest.fixture(scope="module")
def written():
    calls: list = []
    return write_paged_pdf(_paged(calls), as_of=AS_OF, archival=True), calls


def test_the_parts_read_as_the_report_laid_out_in_one_piece(written, tmp_path):
    pdf, calls = written
    pages, whole = _pages(pdf, tmp_path, "paged"), _pages(_one_piece(), tmp_path, "whole")
    assert len(pages) == len(whole) >= 8
    assert pages == whole
    total = len(pages)
    for number, text in enumerate(pages, 1):
        assert f"page {number} of {total}" in text and "report monthly-2026-10" in text
    rows = re.findall(r"\b(rows|short)-(\d{4})\b", "".join(pages))
    assert rows == [("rows", f"{i:04d}") for i in range(ROWS)] + [("short", f"{i:04d}") for i in range(3)]
    # The long table really was laid out in chunks, each from the first row of a page on.
    starts = [start for anchor, start, _stop in calls if anchor == "rows"]
    assert len(starts) >= ROWS // CHUNK and starts[0] == 0
    firsts = {int(m) for page in pages for m in re.findall(r"^\s*rows-(\d{4})", page, re.M)[:1]}
    assert set(starts) <= firsts


def test_contents_outline_and_links_point_at_the_sections_pages(written, tmp_path):
    import pikepdf

    pdf, _calls = written
    pages = _pages(pdf, tmp_path, "paged")
    heading_page = {title: next(n for n, text in enumerate(pages, 1) if re.search(rf"^\s*{re.escape(title)}\s*$", text, re.M))
                    for title in ("A. Rows", "B. A short table", "C. After the table")}
    for title, page in heading_page.items():
        assert re.search(rf"{re.escape(title)}\s*\.+\s*{page}\b", pages[1]), f"contents: {title} on page {page}"
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        number = {page.objgen: i for i, page in enumerate(doc.pages, 1)}
        dests = pikepdf.NameTree(doc.Root.Names.Dests)
        with doc.open_outline() as outline:
            entries = [(item.title, item.destination) for top in outline.root for item in [top, *top.children]]
        found = {title: number[(dests[str(dest)] if isinstance(dest, pikepdf.String) else dest)[0].objgen]
                 for title, dest in entries}
        assert {t: found[t] for t in heading_page} == heading_page
        links = {str(a.Dest) for a in doc.pages[1].Annots if a.Subtype == "/Link"}
        assert links == {"rows", "short", "end"}
        assert {a: number[dests[a][0].objgen] for a in ("rows", "short", "end")} == dict(
            zip(("rows", "short", "end"), heading_page.values()))


def test_the_archival_pdf_passes_a_pdf_a_3b_validator(written):
    import pikepdf.pdfa as pdfa  # pikepdf[pdfa]: its validator needs jsonschema and fontTools

    pdf, _calls = written
    report = pdfa.validate_written(io.BytesIO(pdf), "3b")
    assert report.verdict == "pass", report.findings
    plain = write_paged_pdf(_paged(), as_of=AS_OF)
    assert pdfa.validate_written(io.BytesIO(plain), "3b").verdict != "pass"  # the validator tells them apart


def test_a_rebuild_gives_the_same_bytes(written):
    assert write_paged_pdf(_paged(), as_of=AS_OF, archival=True) == written[0]


def test_a_front_without_a_page_for_each_body_page_is_refused():
    with pytest.raises(ReportError, match=r"not its own and one for each of the \d+ body pages"):
        write_paged_pdf(_paged(front=lambda body_pages: _front(body_pages[1:])), as_of=AS_OF)
