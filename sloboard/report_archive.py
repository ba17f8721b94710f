"""The report archive: every built PDF under ``<data dir>/reports/<kind>/<period>.pdf``,
its run in the store, its SHA-256 in the hash-chained audit log.

``verify_archive`` is what lets an auditor trust a file: each archived PDF must hash
to the SHA-256 its report run recorded, and that hash must equal the one the audit
log holds for the run (the audit chain itself is checked by ``Store.verify_audit``).
So changing a PDF on disk, or a PDF and the run's row together, is found and named.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from .errors import ReportError
from .store import Store
from .store.records import ReportRun

ARCHIVE_DIR = "reports"
AUDIT_ACTION = "report.archive"


def relative_path(kind: str, period: str) -> str:
    """Where a report lives, relative to the data dir (stored so the data dir may move)."""
    return f"{ARCHIVE_DIR}/{kind}/{period}.pdf"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_archive(data_dir: Path, kind: str, period: str, pdf: bytes) -> tuple[str, str]:
    """Write ``pdf`` into the archive (replacing a rebuilt period's file whole, never half);
    returns ``(path relative to data_dir, SHA-256)``. Raises ReportError."""
    relative = relative_path(kind, period)
    target = Path(data_dir) / relative
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{period}.", suffix=".pdf.tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pdf)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ReportError(f"cannot write the report archive {target}: {exc.strerror or exc}") from exc
    return relative, hashlib.sha256(pdf).hexdigest()


def record_archived(
    store: Store,
    *,
    kind: str,
    period: str,
    path: str,
    sha256: str,
    started_at: float,
    finished_at: float,
    recipients: Sequence[str],
    headline: Mapping,
    deliver: bool,
    actor: str,
) -> ReportRun:
    """Record the run of an archived PDF and put its SHA-256 into the audit log."""
    run_id = store.record_report_run(
        kind, period, status="ok", started_at=started_at, finished_at=finished_at, path=path, sha256=sha256,
        recipients=recipients, headline=headline, delivery_status="pending" if deliver else "none",
    )
    store.append_audit(actor, AUDIT_ACTION, {"run": run_id, "kind": kind, "period": period, "path": path, "sha256": sha256})
    return store.report_run(run_id)


@dataclass(frozen=True)
class ArchiveCheck:
    checked: int  # archived PDFs that match
    problems: tuple[str, ...]  # one line each, naming the file

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_archive(store: Store, data_dir: Path) -> ArchiveCheck:
    """Check every archived PDF against its newest recorded run and the audit log."""
    data_dir = Path(data_dir)
    audited = {e.payload.get("run"): e.payload.get("sha256") for e in store.audit_entries(limit=None, action=AUDIT_ACTION)}
    newest: dict[str, ReportRun] = {}
    for run in store.report_runs(limit=None):  # newest first: a rebuilt period's file is its newest run's
        if run.status == "ok" and run.sha256 and run.path:
            newest.setdefault(run.path, run)
    problems = [p for relative, run in sorted(newest.items()) if (p := _check_one(data_dir / relative, run, audited.get(run.id)))]
    checked = len(newest) - len(problems)
    archive = data_dir / ARCHIVE_DIR
    on_disk = {p.relative_to(data_dir).as_posix() for p in archive.rglob("*.pdf")} if archive.is_dir() else set()
    problems += [f"{data_dir / r}: archived PDF that no report run records" for r in sorted(on_disk - newest.keys())]
    return ArchiveCheck(checked, tuple(problems))


def _check_one(path: Path, run: ReportRun, audited_sha: str | None) -> str | None:
    if audited_sha is None:
        return f"{path}: report run {run.id} has no audit log entry for its SHA-256"
    if audited_sha != run.sha256:
        return f"{path}: report run {run.id} records SHA-256 {run.sha256}, the audit log {audited_sha}"
    try:
        actual = sha256_file(path)
    except FileNotFoundError:
        return f"{path}: missing (report run {run.id}, SHA-256 {run.sha256})"
    except OSError as exc:
        return f"{path}: cannot be read: {exc.strerror or exc}"
    if actual != run.sha256:
        return f"{path}: SHA-256 {actual} does not match the recorded {run.sha256} (report run {run.id}): the file changed"
    return None
