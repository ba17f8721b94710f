"""``sloboard audit verify|anchor``: the tamper-evident audit log, as an auditor checks it.

``verify`` walks the chain (optionally one time window), compares its head with an
exported anchor, holds each entry's target column to its payload and every deployment,
user, token and report run to its audit entry,
and checks the archived report PDFs (``sloboard/report_archive.py``); every problem is one line on
stderr naming the entry, row or file, and the exit code is 1. ``anchor`` prints the head
to keep elsewhere (a ticket, a WORM bucket, the CI log): a log cut from its end still
chains, but no longer holds the anchored entry.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .errors import InputError


@click.group()
def audit() -> None:
    """The tamper-evident audit log (a SHA-256 hash chain) and the records it covers."""


@audit.command("verify")
@click.option("--from", "start", metavar="T", help="Check only entries from this time on (chained to the one before).")
@click.option("--to", "end", metavar="T", help="Check only entries up to this time.")
@click.option("--anchor", "anchor_file", type=click.Path(dir_okay=False, path_type=Path),
              help="A head exported by `sloboard audit anchor`: report truncation against it.")
@click.pass_obj
def audit_verify(obj, start: str | None, end: str | None, anchor_file: Path | None) -> None:
    """Recompute the hash chain and name its first broken link (an edited entry, a gap of
    deleted ones); with --anchor, report a log cut short; name every entry whose target
    column differs from the target its payload names; name every deployment, user, token
    and report run that differs from its audit entry or has none; and check that each
    archived report PDF still has the SHA-256 its run and the audit log recorded. Exit 1
    on any problem."""
    from .audit_verify import verify
    from .cli_common import parse_cli_time
    from .store.audit_check import Anchor

    anchor = None
    if anchor_file is not None:
        try:
            anchor = Anchor.from_json(anchor_file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(f"--anchor: cannot read {anchor_file}: {exc.strerror}") from exc
        except ValueError as exc:
            raise InputError(f"--anchor: {anchor_file}: {exc}") from exc
    window = [None if t is None else float(parse_cli_time(t)) for t in (start, end)]
    store = obj.open_store()
    try:
        result = verify(store, obj.settings.data_dir, start=window[0], end=window[1], anchor=anchor)
    finally:
        store.close()
    for finding in result.findings:
        click.echo(finding.text, err=not finding.ok)
    if not result.ok:
        sys.exit(1)


@audit.command("anchor")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the anchor here. Default: stdout.")
@click.pass_obj
def audit_anchor(obj, out: Path | None) -> None:
    """Print the chain head as JSON ({"id", "hash"}) to keep outside the database; later,
    `sloboard audit verify --anchor FILE` reports entries cut off after it."""
    from .store.audit_check import Anchor

    store = obj.open_store()
    try:
        newest = store.audit_entries(limit=1)
    finally:
        store.close()
    if not newest:
        raise InputError("the audit log is empty: nothing to anchor yet")
    head = Anchor(newest[0].id, newest[0].hash)
    if out is None:
        click.echo(head.to_json())
    else:
        out.write_text(head.to_json() + "\n", encoding="utf-8")
        click.echo(f"anchored entry {head.id} in {out}", err=True)
