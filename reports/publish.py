"""``publish``: the one service a report builder calls with its HTML and headline.

It writes the PDF (PDF/A-3b for the monthly compliance report, the one auditors
keep), archives it, records the run with its SHA-256 (store and audit log) and, when
asked, mails it. A builder only produces HTML and a headline; the CLI and the
scheduler only call this.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from sloboard.errors import ConfigError, ReportError
from sloboard.report_archive import record_archived, write_archive
from sloboard.settings import ReportsSettings
from sloboard.store import Store
from sloboard.store.records import ReportRun

from .delivery import Headline, deliver, require_smtp
from .paged import PagedDocument, write_paged_pdf
from .pdf import write_pdf
from .periods import Period

# The kinds written as PDF/A-3b: archival copies an auditor may be handed years later.
ARCHIVAL_KINDS = frozenset({"monthly"})


def write_report(html: str | PagedDocument, *, as_of: float, archival: bool) -> bytes:
    """The PDF of a builder's HTML, or of its parts when it made them."""
    write = write_paged_pdf if isinstance(html, PagedDocument) else write_pdf
    return write(html, as_of=as_of, archival=archival)


def publish(
    store: Store,
    *,
    data_dir: Path,
    reports: ReportsSettings,
    period: Period,
    html: str | PagedDocument,
    headline: Headline,
    send: bool = False,
    as_of: float | None = None,
    actor: str = "sloboard",
    clock: Callable[[], float] = time.time,
) -> ReportRun:
    """Build, archive, record and (with ``send``) mail the ``period.kind`` report of ``period``.

    ``as_of`` (default: the period's end) is the PDF's date, so rebuilding a period
    over the same data gives the same bytes. A delivery that fails is recorded on the
    returned run (``delivery_status`` failed) and retried by ``deliver_pending``; a
    build that fails is recorded as a failed run and raised as ReportError.
    """
    kind = period.kind
    recipients = tuple(reports.recipients.get(kind, ()))
    if send:
        require_smtp(reports.smtp)
        if not recipients:
            raise ConfigError(f"no recipients for {kind} reports: set reports.recipients.{kind} "
                              f"(SLOBOARD_REPORTS__RECIPIENTS='{{\"{kind}\": [\"cto@example.com\"]}}')")
    started = clock()
    try:
        pdf = write_report(html, as_of=period.end if as_of is None else as_of, archival=kind in ARCHIVAL_KINDS)
        path, sha256 = write_archive(Path(data_dir), kind, period.label, pdf)
    except ReportError as exc:
        store.record_report_run(kind, period.label, status="failed", started_at=started, finished_at=clock(),
                                error=str(exc), recipients=recipients)
        raise
    run = record_archived(
        store, kind=kind, period=period.label, path=path, sha256=sha256, started_at=started, finished_at=clock(),
        recipients=recipients, headline=headline.to_json(), deliver=send, actor=actor,
    )
    if send:
        run = deliver(store, run.id, data_dir=Path(data_dir), smtp=reports.smtp)
    return run
