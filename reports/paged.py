"""A long report written in parts: each part laid out by WeasyPrint on its own and freed
before the next, the pages then joined into one PDF.

WeasyPrint keeps every page's boxes, each with its computed style, until the PDF is
written: the 1,000-SLO month (200 pages) took 1.39 GB that way. Here no more than one
part's pages are alive at a time.

Two kinds of WeasyPrint document make the report:

- the *body parts*, laid out without running header or footer (``report-body.css``);
- the *front*: the cover, the contents and one blank page per body page, with the running
  header and footer of ``report.css``. The blank pages carry the anchors and bookmarks
  found on the body pages above them, so "page X of Y", the contents' page numbers
  (``target-counter``), their links and the PDF's outline come from one document, as in a
  report laid out in one piece; so do its PDF/A-3b metadata and output intent.

Each body page is then drawn onto its blank page as a form XObject (pikepdf).

A part's long table is laid out ``chunk_rows`` rows at a time. While rows remain, the
chunk's last page is dropped and the next chunk starts with the first row of that page
(each row carries its index as ``data-row``), so every page but a part's last is filled
as in one document, and the table's header repeats on each page.
"""

from __future__ import annotations

import io
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

from sloboard.errors import ReportError

from .pdf import STYLESHEET, TEMPLATES, WEASYPRINT_ERRORS, load_weasyprint, pdf_bytes

BODY_STYLESHEET = TEMPLATES / "report-body.css"
ROW_INDEX = "data-row"  # the attribute of a long table's <tr>: its index (from 0) in the table
FIRST_BODY_PAGE = "body-first"
BODY_FORM = "/SloboardBodyPage"  # the body page's name among its blank page's resources  # the id the front's first blank page carries
CHUNK_ROWS = 500  # about 18 trail pages: what one chunk's boxes cost stays near 100 MB


@dataclass(frozen=True)
class Part:
    """Pages that begin on a page of their own.

    ``html(start, stop)`` is the part as an HTML document holding rows ``[start, stop)`` of
    its one long table (``rows`` of them; 0 for a part without one), each ``<tr>`` with its
    index as ``data-row``. What comes before the table belongs to ``start == 0``, what comes
    after it to ``stop == rows``.
    """

    html: Callable[[int, int], str]
    rows: int = 0


@dataclass(frozen=True)
class BodyPage:
    """What the front's blank page under a body page carries: the body page's anchors and
    bookmarks (``(level, label)``)."""

    anchors: tuple[str, ...] = ()
    bookmarks: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class PagedDocument:
    """``front(body_pages)`` is the front's HTML: cover, contents, then one blank page per
    entry of ``body_pages``, the first with the id ``FIRST_BODY_PAGE``."""

    front: Callable[[Sequence[BodyPage]], str]
    parts: tuple[Part, ...]
    chunk_rows: int = CHUNK_ROWS


@dataclass(frozen=True)
class _Laid:
    pdf: bytes
    pages: tuple[BodyPage, ...]


def write_paged_pdf(document: PagedDocument, *, as_of: float, archival: bool = False) -> bytes:
    """The PDF of ``document``, dated ``as_of`` (PDF/A-3b when ``archival``); the same
    document and ``as_of`` give the same bytes. Raises ReportError."""
    weasyprint = load_weasyprint()
    try:
        from weasyprint.text.fonts import FontConfiguration

        fonts = FontConfiguration()  # one for every part: fonts are found once
        base = weasyprint.CSS(filename=str(STYLESHEET), font_config=fonts)
        body_css = weasyprint.CSS(filename=str(BODY_STYLESHEET), font_config=fonts)

        def lay_out(html: str, *stylesheets):
            return weasyprint.HTML(string=html, base_url=str(TEMPLATES)).render(
                stylesheets=[base, *stylesheets], font_config=fonts)

        bodies = [laid for part in document.parts
                  for laid in _chunks(part, document.chunk_rows, lambda html: lay_out(html, body_css),
                                      as_of=as_of, archival=archival)]
        body_pages = [page for laid in bodies for page in laid.pages]
        front = lay_out(document.front(body_pages))
        first = next((i for i, page in enumerate(front.pages) if FIRST_BODY_PAGE in page.anchors), None)
        if first is None or len(front.pages) - first != len(body_pages):
            raise ReportError(f"the report's front laid out {len(front.pages)} pages, not its own and one "
                              f"for each of the {len(body_pages)} body pages")
        front_pdf = pdf_bytes(front, as_of=as_of, archival=archival)
    except WEASYPRINT_ERRORS as exc:
        raise ReportError(f"WeasyPrint could not write the PDF: {exc}") from exc
    return _join(front_pdf, first, [laid.pdf for laid in bodies])


def _chunks(part: Part, chunk_rows: int, lay_out, *, as_of: float, archival: bool) -> Iterator[_Laid]:
    """The part's pages as PDFs of up to ``chunk_rows`` table rows each, every page full
    but the last (see the module's docstring)."""
    start = 0
    while True:
        stop = min(start + chunk_rows, part.rows)
        document = lay_out(part.html(start, stop))
        pages, resume = document.pages, stop
        if stop < part.rows and len(pages) > 1:
            carried = _first_row(pages[-1])
            if carried is not None and carried > start:
                pages, resume = pages[:-1], carried
        laid = _Laid(pdf_bytes(document.copy(pages), as_of=as_of, archival=archival),
                     tuple(_body_page(page) for page in pages))
        del document, pages  # this chunk's boxes go before the next chunk's are made
        yield laid
        if resume >= part.rows:
            return
        start = resume


def _first_row(page) -> int | None:
    """The ``data-row`` of the first row of a long table on ``page``.

    WeasyPrint's pages list their anchors but not their rows, and an ``id`` on each row
    would make every row's style its own (an id is a declaration), which defeats
    WeasyPrint's style cache: 9 times the style computations, 50 % more time. So the
    page's boxes (``Page._page_box``, what ``Page.paint`` draws) are read."""
    from weasyprint.formatting_structure.boxes import TableRowBox

    for box in page._page_box.descendants():
        if isinstance(box, TableRowBox) and box.element is not None and box.element.get(ROW_INDEX) is not None:
            return int(box.element.get(ROW_INDEX))
    return None


def _body_page(page) -> BodyPage:
    return BodyPage(tuple(page.anchors), tuple((level, label) for level, label, _target, _state in page.bookmarks))


def _join(front_pdf: bytes, first: int, bodies: Sequence[bytes]) -> bytes:
    """``front_pdf`` with the pages of ``bodies``, in order, drawn on its pages from index ``first`` on."""
    import pikepdf

    try:
        with ExitStack() as open_files, pikepdf.open(io.BytesIO(front_pdf)) as out:
            target = iter(out.pages[first:])
            for body in bodies:
                # Copied streams are read from their source when ``out`` is saved: keep it open.
                source = open_files.enter_context(pikepdf.open(io.BytesIO(body)))
                for page in source.pages:
                    _draw(next(target), out.copy_foreign(page.as_form_xobject()))
            _drop_empty_resources(out)
            written = io.BytesIO()
            out.save(written, deterministic_id=True)
            return written.getvalue()
    except (pikepdf.PdfError, StopIteration) as exc:
        raise ReportError(f"could not join the report's parts into one PDF: {exc}") from exc


def _draw(page, form) -> None:
    """Draw ``form`` (a body page) over ``page`` (its blank page) under a fixed name:
    pikepdf's ``add_overlay`` names it at random, which would change the bytes of every
    rebuild. The page gets resources of its own: WeasyPrint's pages share theirs."""
    import pikepdf

    resources = pikepdf.Dictionary(dict(page.obj.get("/Resources", {})))
    xobjects = pikepdf.Dictionary(dict(resources.get("/XObject", {})))
    xobjects[BODY_FORM] = form
    resources["/XObject"] = xobjects
    page.obj["/Resources"] = resources
    placed = page.calc_form_xobject_placement(form, pikepdf.Name(BODY_FORM), pikepdf.Rectangle(page.trimbox))
    page.contents_add(b"q\n", prepend=True)
    page.contents_add(b"Q\n" + placed)


def _drop_empty_resources(pdf) -> None:
    """Remove the empty /Pattern and /Shading dictionaries WeasyPrint writes into the
    resources of every page (and so of every form made of one): they mean nothing, and a
    PDF/A validator that allows patterns and shadings only once it has checked them
    (pikepdf.pdfa) cannot pass a file that lists them."""
    import pikepdf

    seen = set()
    pending = [page.obj.get("/Resources") for page in pdf.pages]
    while pending:
        resources = pending.pop()
        if not isinstance(resources, pikepdf.Dictionary) or resources.objgen in seen and resources.objgen != (0, 0):
            continue
        seen.add(resources.objgen)
        for key in ("/Pattern", "/Shading"):
            value = resources.get(key)
            if isinstance(value, pikepdf.Dictionary) and len(value) == 0:
                del resources[key]
        for xobject in resources.get("/XObject", {}).values():
            if isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == "/Form":
                pending.append(xobject.get("/Resources"))
