"""A named lock in the ``locks`` table, shared by every process that uses the database.

Taking the lock is one atomic upsert: insert the row, or overwrite it only where the
holder's lease has expired (a crashed holder) or the holder is the same owner. The
upsert returns the row only if it wrote it, so two processes cannot both win.

Owners are ``host:pid``. A holder on this host whose process is gone (killed with
SIGKILL, so it never released the lock) is taken over at once rather than after its
lease: a restarted collector continues where the killed one stopped.

``acquire`` returns the holder it replaced, so that a caller can close, in the same
transaction, what a holder that lost the lock left open (``CollectionLogMixin.collection_lock``).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa

from ..errors import StoreLockedError
from .dialect import insert
from .models import locks


def this_process() -> str:
    """This process as a lock's owner: ``host:pid``, which a taker on this host can check is gone."""
    return f"{socket.gethostname()}:{os.getpid()}"


def iso_utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Holder:
    """Who held a lock, and since when (epoch seconds)."""

    owner: str
    since: float


def acquire(conn: sa.Connection, name: str, owner: str, now: float, ttl_s: float) -> Holder | None:
    """Take or renew ``name`` for ``owner`` until ``now + ttl_s``; raises StoreLockedError if held.

    Returns the holder the lock had before: None if it was free, ``owner`` itself for a
    renewal, another owner for a takeover (its lease ran out or its process is gone)."""
    # FOR UPDATE (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers): the
    # holder read here is the one the upsert below replaces, not one a concurrent taker put.
    before = conn.execute(
        sa.select(locks.c.owner, locks.c.acquired_at).where(locks.c.name == name).with_for_update()
    ).first()
    previous = None if before is None else Holder(before.owner, before.acquired_at)
    stmt = insert(conn, locks).values(name=name, owner=owner, acquired_at=now, expires_at=now + ttl_s)
    stmt = stmt.on_conflict_do_update(
        index_elements=[locks.c.name],
        set_={"owner": owner, "acquired_at": now, "expires_at": now + ttl_s},
        where=sa.or_(locks.c.expires_at <= now, locks.c.owner == owner),
    )
    if conn.execute(stmt.returning(locks.c.name)).scalar() is not None:
        return previous
    holder = conn.execute(sa.select(locks).where(locks.c.name == name)).one()
    if _process_gone(holder.owner) and _take_over(conn, name, holder.owner, owner, now, ttl_s):
        return Holder(holder.owner, holder.acquired_at)
    raise StoreLockedError(
        f"{name} lock held by {holder.owner} since {iso_utc(holder.acquired_at)}; "
        f"wait for that process to finish, or stop it: the lock is taken over after it "
        f"expires at {iso_utc(holder.expires_at)}",
        owner=holder.owner,
    )


def _process_gone(owner: str) -> bool:
    """True if ``owner`` (``host:pid``) names a process of this host that no longer runs."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except PermissionError:  # it exists, under another user
        return False
    return False


def _take_over(conn: sa.Connection, name: str, gone: str, owner: str, now: float, ttl_s: float) -> bool:
    """Move the lock from the dead holder ``gone`` to ``owner``; only one taker can win."""
    return conn.execute(
        sa.update(locks)
        .where(locks.c.name == name, locks.c.owner == gone)
        .values(owner=owner, acquired_at=now, expires_at=now + ttl_s)
    ).rowcount == 1


def renew(conn: sa.Connection, name: str, owner: str, now: float, ttl_s: float) -> None:
    """Extend a lock that ``owner`` holds; raises StoreLockedError if it was taken over."""
    updated = conn.execute(
        sa.update(locks)
        .where(locks.c.name == name, locks.c.owner == owner)
        .values(expires_at=now + ttl_s)
    ).rowcount
    if updated != 1:
        acquire(conn, name, owner, now, ttl_s)


def release(conn: sa.Connection, name: str, owner: str) -> None:
    """Drop the lock if ``owner`` still holds it (a taken-over lock stays with its new owner)."""
    conn.execute(sa.delete(locks).where(locks.c.name == name, locks.c.owner == owner))
