"""What ``sloboard audit verify`` finds, as lines: the chain, the anchor, the entries'
target column, the records it covers and the archived report PDFs. The command prints
them; the dashboard's Audit page shows the same lines, so both always agree on the
chain's state."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Finding:
    ok: bool
    text: str


@dataclass(frozen=True)
class Verification:
    findings: tuple[Finding, ...]
    entries: int  # entries walked
    head: "object | None"  # audit_check.Anchor of the newest entry, or None for an empty log

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)


def verify(store, data_dir: Path, *, start: float | None = None, end: float | None = None,
           anchor=None) -> Verification:
    """Check the chain (entries timed in ``[start, end]``) against ``anchor``, every
    covered record, and the report archive under ``data_dir``."""
    from .report_archive import verify_archive

    report = store.check_audit(start=start, end=end, anchor=anchor)
    archive = verify_archive(store, data_dir)
    if report.broken is not None:
        chain = Finding(False, f"audit log broken at {report.broken}")
    elif report.truncation is not None:
        chain = Finding(False, f"audit log {report.truncation}")
    else:
        chain = Finding(True, "audit log intact")
    unnamed = report.targets_differing - len(report.targets)
    findings = [chain, *(Finding(False, f"target column: {p}") for p in report.targets),
                *([Finding(False, f"target column: and {unnamed} more entries differ from their payload's target")]
                  if unnamed else []),
                *(Finding(False, f"record: {p}") for p in report.records),
                *(Finding(False, f"report archive: {p}") for p in archive.problems)]
    if archive.ok:
        findings.append(Finding(True, f"report archive intact: {archive.checked} PDF(s) match their recorded SHA-256"))
    if not report.records:
        findings.append(Finding(True, f"records intact: {report.records_checked} deployment(s), user(s), token(s) "
                                      "and report run(s) match their audit entries"))
    if not report.targets_differing:
        findings.append(Finding(True, f"target columns intact: each of the {report.entries} entries walked holds "
                                      "its payload's target"))
    return Verification(tuple(findings), report.entries, report.head)
