"""The one PDF writer: report HTML plus the shared paged-media stylesheet, through WeasyPrint.

Rebuilding a report over the same data must give the same bytes, so that an auditor
can rebuild it and compare SHA-256s. WeasyPrint's output depends on nothing but its
input except the document dates, so both are pinned to the data's as-of time; the
PDF/A file identifier is then a hash of that same content.

WeasyPrint (and Pango under it) is imported inside ``write_pdf``: no other command
pays for it at start-up. A report too long to lay out in one piece is written by
``paged.write_paged_pdf`` with the same helpers.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from sloboard.errors import ReportError

TEMPLATES = Path(__file__).parent / "templates"
STYLESHEET = TEMPLATES / "report.css"
# The archival format auditors expect: PDF/A-3b (ISO 19005-3, level B: the look is preserved).
ARCHIVAL_VARIANT = "pdf/a-3b"
# What WeasyPrint raises for input it cannot lay out or write.
WEASYPRINT_ERRORS = (OSError, ValueError, AssertionError)


def pdf_date(as_of: float) -> str:
    """``as_of`` (epoch seconds) as the W3C date WeasyPrint writes into the PDF, in UTC."""
    return datetime.fromtimestamp(int(as_of), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def load_weasyprint():
    try:
        import weasyprint
    except ImportError as exc:  # a broken install: Pango or cffi missing
        raise ReportError(f"cannot load WeasyPrint to write the PDF: {exc}") from exc
    return weasyprint


def pdf_bytes(document, *, as_of: float, archival: bool) -> bytes:
    """A rendered WeasyPrint document as PDF, dated ``as_of``; PDF/A-3b when ``archival``."""
    stamp = pdf_date(as_of)
    document.metadata.created = stamp
    document.metadata.modified = stamp
    return document.write_pdf(pdf_variant=ARCHIVAL_VARIANT if archival else None)


def write_pdf(html: str, *, as_of: float, archival: bool = False, base_url: str | Path | None = None) -> bytes:
    """The PDF of ``html`` styled by ``report.css``; PDF/A-3b when ``archival``.

    ``as_of`` becomes the document's creation and modification date, so the same
    ``html`` and ``as_of`` give byte-identical PDFs. ``base_url`` resolves relative
    links and images (default: the templates folder). Raises ReportError.
    """
    weasyprint = load_weasyprint()
    try:
        document = weasyprint.HTML(string=html, base_url=str(base_url or TEMPLATES)).render(
            stylesheets=[weasyprint.CSS(filename=str(STYLESHEET))]
        )
        return pdf_bytes(document, as_of=as_of, archival=archival)
    except WEASYPRINT_ERRORS as exc:
        raise ReportError(f"WeasyPrint could not write the PDF: {exc}") from exc
