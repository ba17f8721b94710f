"""``sloboard audit verify``: the chain, its anchor, and the records it covers.

Three questions, each answered with the rows named:

1. Does the chain hold? Walk it in id order (optionally only entries whose time lies in
   ``[start, end]``, chained to the entry before them) and name the first broken link: an
   entry whose content no longer gives its hash (edited), or whose ``prev_hash`` is not
   the previous entry's hash, which is a gap when ids are missing (deleted) or a forgery.
2. Was the end cut off? A chain trimmed from its end still holds, so it is compared with
   an anchor kept elsewhere (``audit anchor``, or the ``audit.head`` lines of the JSON
   log): the anchored entry must still be there with the anchored hash.
   Each entry walked must also hold in its ``target`` column what ``audit.target_of`` finds
   in its payload: the column is not hashed, so an edit to it is caught here.
3. Do the records agree with it? Every deployment, user, token and gate override must equal the record
   its newest audit entry left (``coverage.py``); every report run with a PDF must equal
   its ``report.archive`` entry. A row without an entry, a row that differs, and an entry
   whose row is gone are each named.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

import sqlalchemy as sa

from . import audit, coverage
from .models import api_tokens, audit_log, deployments, gate_overrides, report_runs, users

REPORT_ACTION = "report.archive"  # written by sloboard.report_archive.record_archived
MAX_NAMED = 20  # target columns named one by one; a column rewritten wholesale is counted, not listed


@dataclass(frozen=True)
class Anchor:
    """The chain head as exported: entry id and hash (``audit anchor``)."""

    id: int
    hash: str

    def to_json(self) -> str:
        return json.dumps({"id": self.id, "hash": self.hash}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Anchor":
        """Raises ValueError (one line) for anything but ``{"id": int, "hash": hex64}``."""
        try:
            data = json.loads(text)
            anchor = cls(int(data["id"]), str(data["hash"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError('an anchor is JSON like {"id": 42, "hash": "<64 hex digits>"}') from exc
        if len(anchor.hash) != 64:
            raise ValueError("an anchor's hash has 64 hex digits")
        return anchor


@dataclass
class AuditReport:
    entries: int = 0
    head: Anchor | None = None
    broken: str | None = None  # the first broken link: "entry N (...): why"
    truncation: str | None = None
    records: list[str] = field(default_factory=list)  # each record that disagrees, named
    records_checked: int = 0
    targets: list[str] = field(default_factory=list)  # each entry whose target column disagrees, named
    targets_differing: int = 0  # all of them; ``targets`` names the first MAX_NAMED

    @property
    def ok(self) -> bool:
        return self.broken is None and self.truncation is None and not self.records and not self.targets_differing


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def check(conn: sa.Connection, *, start: float | None = None, end: float | None = None,
          anchor: Anchor | None = None) -> AuditReport:
    report = AuditReport()
    _check_chain(conn, report, start, end)
    head = conn.execute(sa.select(audit_log.c.id, audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1)).first()
    report.head = None if head is None else Anchor(head.id, head.hash)
    if anchor is not None:
        report.truncation = _check_anchor(conn, anchor, report.head)
    _check_records(conn, report)
    return report


def _check_chain(conn, report: AuditReport, start, end) -> None:
    columns = (audit_log.c.id, audit_log.c.at, audit_log.c.actor, audit_log.c.action, audit_log.c.payload,
               audit_log.c.prev_hash, audit_log.c.hash, audit_log.c.target)
    query = sa.select(*columns).order_by(audit_log.c.id)
    expected_prev, last_id = audit.GENESIS, 0
    if start is not None:
        query = query.where(audit_log.c.at >= start)
        before = conn.execute(sa.select(audit_log.c.id, audit_log.c.hash).where(audit_log.c.at < start)
                              .order_by(audit_log.c.id.desc()).limit(1)).first()
        if before is not None:
            expected_prev, last_id = before.hash, before.id
    if end is not None:
        query = query.where(audit_log.c.at <= end)
    for entry_id, at, actor, action, payload, prev_hash, stored, target in (
            conn.execution_options(yield_per=2000).execute(query)):
        report.entries += 1
        _check_target(report, entry_id, at, action, payload, target)
        if report.broken is not None:
            continue
        if stored != audit.entry_hash(prev_hash, at, actor, action, payload):
            report.broken = (f"entry {entry_id} ({action} by {actor} at {_when(at)}): altered, "
                             "its content no longer gives its hash")
        elif prev_hash != expected_prev and entry_id != last_id + 1:
            missing = f"entry {last_id + 1}" if entry_id == last_id + 2 else f"entries {last_id + 1} to {entry_id - 1}"
            report.broken = (f"entry {entry_id} ({action} at {_when(at)}): a gap, {missing} missing before it "
                             f"(it chains to a hash that {'entry ' + str(last_id) if last_id else 'the start of the log'} does not have)")
        elif prev_hash != expected_prev:
            report.broken = (f"entry {entry_id} ({action} at {_when(at)}): does not chain to entry {last_id}; "
                             "an entry before it was replaced or re-hashed")
        expected_prev, last_id = stored, entry_id


def _check_target(report: AuditReport, entry_id: int, at: float, action: str, payload: str, target: str | None) -> None:
    try:
        expected = audit.target_of(action, json.loads(payload))
    except ValueError:
        return  # a payload that is no longer JSON was edited: the chain names that entry
    if target == expected:
        return
    report.targets_differing += 1
    if len(report.targets) < MAX_NAMED:
        report.targets.append(f"entry {entry_id} ({action} at {_when(at)}): target column {target!r}, "
                              f"its payload names {expected!r}")


def _check_anchor(conn, anchor: Anchor, head: Anchor | None) -> str | None:
    found = conn.execute(sa.select(audit_log.c.hash).where(audit_log.c.id == anchor.id)).scalar()
    if found == anchor.hash:
        return None
    ends = f"the log ends at entry {head.id}" if head is not None else "the log is empty"
    if found is None:
        return f"truncated: the anchor names entry {anchor.id} (hash {anchor.hash[:12]}...), which is gone; {ends}"
    return f"entry {anchor.id} differs from the anchor (hash {found[:12]}... instead of {anchor.hash[:12]}...)"


def _check_records(conn, report: AuditReport) -> None:
    newest: dict[str, tuple[int, dict | None]] = {}
    archived: dict[int, tuple[int, dict]] = {}
    for entry_id, action, payload in conn.execute(
        sa.select(audit_log.c.id, audit_log.c.action, audit_log.c.payload).order_by(audit_log.c.id)
    ):
        data = json.loads(payload)
        if isinstance(data, dict) and isinstance(data.get("target"), str) and "record" in data:
            newest[data["target"]] = (entry_id, data["record"])
        elif action == REPORT_ACTION and isinstance(data, dict) and "run" in data:
            archived[data["run"]] = (entry_id, data)
    rows = [
        *((coverage.deployment_target(r), f"deployment {r['service']} {r['version']} started "
           f"{_when(r['started_at'])} (row {r['id']})", coverage.deployment_record(r))
          for r in conn.execute(sa.select(deployments)).mappings()),
        *((coverage.user_target(r["name"]), f"user {r['name']} (row {r['id']})", coverage.user_record(r))
          for r in conn.execute(sa.select(users)).mappings()),
        *((coverage.token_target(r["name"]), f"token {r['name']} (row {r['id']})", coverage.token_record(r))
          for r in conn.execute(sa.select(api_tokens)).mappings()),
        *((coverage.gate_override_target(r["id"]), f"gate override {r['id']} of {r['service']}",
           coverage.gate_override_record(r)) for r in conn.execute(sa.select(gate_overrides)).mappings()),
    ]
    seen = set()
    for target, name, record in rows:
        seen.add(target)
        report.records_checked += 1
        entry = newest.get(target)
        if entry is None or entry[1] is None:
            report.records.append(f"{name} has no audit entry")
        elif entry[1] != record:
            report.records.append(f"{name} differs from audit entry {entry[0]}: {_differences(entry[1], record)}")
    for target, (entry_id, record) in sorted(newest.items(), key=lambda item: item[1][0]):
        if record is not None and target not in seen:
            report.records.append(f"audit entry {entry_id} records {target}, which is no longer in the store")
    _check_report_runs(conn, report, archived)


def _check_report_runs(conn, report: AuditReport, archived: dict[int, tuple[int, dict]]) -> None:
    query = sa.select(report_runs).where(report_runs.c.sha256.is_not(None)).order_by(report_runs.c.id)
    for run in conn.execute(query).mappings():
        report.records_checked += 1
        name = f"report run {run['id']} ({run['kind']} {run['period']})"
        entry = archived.pop(run["id"], None)
        if entry is None:
            report.records.append(f"{name} has no audit entry")
            continue
        audited = {k: entry[1].get(k) for k in ("kind", "period", "path", "sha256")}
        now = {k: run[k] for k in audited}
        if audited != now:
            report.records.append(f"{name} differs from audit entry {entry[0]}: {_differences(audited, now)}")
    for run_id, (entry_id, _) in sorted(archived.items()):
        report.records.append(f"audit entry {entry_id} records report run {run_id}, which is no longer in the store")


def _differences(audited: dict, now: dict) -> str:
    keys = sorted(set(audited) | set(now))
    return "; ".join(f"{k} {audited.get(k)!r} in the log, {now.get(k)!r} in the store"
                     for k in keys if audited.get(k) != now.get(k))
