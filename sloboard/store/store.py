"""``Store``: the one object through which sloboard reads and writes its database.

This module opens it, runs its transactions and holds the SLO definitions and the
cross-process lock; each other subject is a mixin in its own module (``sample_rows``,
``deployment_rows``, ``collection_log``, ``audit_trail``, ``audit_query``, ``report_log``, ``accounts``,
``overrides``).

Every public method is one transaction and maps database failures to ``StoreError``
(``failures.guard``). On SQLite, write transactions start with ``BEGIN IMMEDIATE`` so
that a second writer waits up to the busy timeout for the write lock instead of
failing half-way; read transactions use a plain ``BEGIN`` and never block writers (WAL).
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator, Sequence

import sqlalchemy as sa

from ..domain import SLO
from ..errors import StoreError
from . import locking, migrate, samples, slo_sync
from .accounts import AccountsMixin
from .audit_query import AuditQueryMixin
from .audit_specs import SpecAuditMixin
from .audit_trail import AuditTrailMixin
from .collection_log import CollectionLogMixin
from .connection import create_engine, mask_url, parse_url
from .deployment_rows import DeploymentsMixin
from .failures import guard
from .models import slo_versions, slos
from .overrides import OverridesMixin
from .records import SLORecord, SLOVersion
from .report_log import ReportLogMixin
from .retention import Retention
from .sample_rows import SamplesMixin


class Store(SamplesMixin, DeploymentsMixin, CollectionLogMixin, AuditTrailMixin, AuditQueryMixin, SpecAuditMixin,
            ReportLogMixin, AccountsMixin, OverridesMixin):
    """sloboard's database: SQLite (default) or PostgreSQL, with the same schema and results.

    Open with ``Store.open(url)``; close with ``close()`` or use it as a context manager.
    Times of data are integer epoch seconds; sample reads select ``start < ts <= end``.
    """

    def __init__(self, engine: sa.Engine, label: str, clock: Callable[[], float], retention: Retention | None = None):
        self._engine = engine
        self._label = label
        self._clock = clock
        self._retention = retention
        self._sqlite = engine.dialect.name == "sqlite"
        # Primary keys never change once assigned (rows are never deleted), so caching is safe.
        self._slo_pks: dict[str, int] = {}
        self._series_ids: dict[tuple[str, str, str], int] = {}

    @classmethod
    def open(
        cls,
        url: str,
        *,
        upgrade: bool = True,
        clock: Callable[[], float] = time.time,
        retention: Retention | None = None,
        busy_timeout_s: float = 5.0,
        connect_timeout_s: float = 10.0,
    ) -> "Store":
        """Connect to ``url`` and, unless ``upgrade=False``, migrate the schema to head.

        ``clock`` returns epoch seconds and stamps bookkeeping rows (runs, audit, locks).
        ``retention``, for writers: steps of a write with a ``span`` that are older than
        the retention keeps steps are stored as hourly sums only (``store.retention``).
        ``busy_timeout_s`` bounds how long SQLite waits for another writer;
        ``connect_timeout_s`` how long PostgreSQL waits for the server. A SQLite file's
        directory is created. Raises StoreError with the URL's password masked.
        """
        parsed = parse_url(url)
        label = mask_url(parsed)
        with guard(label, "opening the database"):
            engine = create_engine(parsed, busy_timeout_s=busy_timeout_s, connect_timeout_s=connect_timeout_s)
        store = cls(engine, label, clock, retention)
        if upgrade:
            try:
                store._upgrade_if_behind()
            except BaseException:
                store.close()
                raise
        return store

    @property
    def url(self) -> str:
        """The database URL with its password masked."""
        return self._label

    def day_horizon(self, kind: str | None) -> int | None:
        """The UTC midnight at or before which this store keeps the days of ``kind`` as daily
        sums only, now, and refuses a write of part of one (``day_history``); None when it
        keeps the hours of every day it keeps."""
        return None if self._retention is None else self._retention.day_horizon(kind, self._clock())

    @property
    def is_sqlite(self) -> bool:
        """True for SQLite, False for PostgreSQL."""
        return self._sqlite

    def upgrade(self) -> str:
        """Run the Alembic migrations to head in one transaction; returns the revision."""
        with self._transaction("upgrading the schema", write=True) as conn:
            return migrate.upgrade(conn)

    def _upgrade_if_behind(self) -> None:
        # A read-only check first: most opens find the schema at head and need neither
        # Alembic nor a write lock (which on SQLite would wait for a busy collector).
        with self._transaction("reading the schema revision", write=False) as conn:
            if migrate.is_at_head(conn):
                return
        self.upgrade()

    def schema_revision(self) -> str | None:
        """The schema revision of the database (None when empty); compare with ``migrate.head_revision()``."""
        with self._transaction("reading the schema revision", write=False) as conn:
            return migrate.current_revision(conn)

    def close(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @contextmanager
    def _transaction(self, doing: str, *, write: bool) -> Iterator[sa.Connection]:
        """One transaction; database errors become ``StoreError`` naming ``doing``."""
        with guard(self._label, doing):
            with self._engine.connect() as conn, conn.begin():
                if self._sqlite:
                    # pysqlite's implicit transactions are off (engine.py): begin explicitly,
                    # on the driver connection because this runs once per collected chunk.
                    conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                yield conn

    def sync_slos(self, slos_: Iterable[SLO]) -> None:
        """Upsert SLO definitions; a changed ``spec_hash`` adds a version; missing ones become inactive."""
        specs = list(slos_)
        with self._transaction("syncing SLO definitions", write=True) as conn:
            slo_sync.sync(conn, specs, self._clock())

    def slo_rows(self, *, active_only: bool = False) -> list[SLORecord]:
        """Every SLO the store knows, ordered by ``slo_id``."""
        query = sa.select(slos).order_by(slos.c.slo_id)
        if active_only:
            query = query.where(slos.c.active.is_(True))
        with self._transaction("reading SLOs", write=False) as conn:
            rows = conn.execute(query).all()
        return [
            SLORecord(**{f: getattr(r, f) for f in SLORecord.__dataclass_fields__}) for r in rows
        ]

    def slo_versions(self, slo_id: str) -> list[SLOVersion]:
        """The definition history of one SLO, oldest first (empty for an unknown id)."""
        query = (
            sa.select(slo_versions)
            .join(slos, slos.c.id == slo_versions.c.slo_pk)
            .where(slos.c.slo_id == slo_id)
            .order_by(slo_versions.c.version)
        )
        with self._transaction("reading SLO versions", write=False) as conn:
            rows = conn.execute(query).all()
        return [SLOVersion(slo_id, r.version, r.spec_hash, r.spec_text, r.loaded_at) for r in rows]

    def _slo_pk(self, conn: sa.Connection, slo_id: str) -> int | None:
        if slo_id not in self._slo_pks:
            pk = conn.execute(sa.select(slos.c.id).where(slos.c.slo_id == slo_id)).scalar()
            if pk is None:
                return None
            self._slo_pks[slo_id] = pk
        return self._slo_pks[slo_id]

    def _slo_keys(self, conn: sa.Connection, slo_ids: Sequence[str]) -> tuple[dict[str, int | None], list[int]]:
        """``samples.lookup_keys`` for SLO ids: each distinct id with its primary key, and the known ones."""
        return samples.lookup_keys(slo_ids, lambda slo_id: self._slo_pk(conn, slo_id))

    @contextmanager
    def lock(self, name: str, owner: str, ttl_s: int = 600) -> Iterator[None]:
        """Hold the database lock ``name`` as ``owner`` for the ``with`` block.

        Raises StoreLockedError ("collector lock held by <owner> since <time>; ...") if
        another owner holds it and its lease has not expired; a lease older than
        ``ttl_s`` (a crashed process) is taken over. Long holders call ``renew_lock``.
        A collection pass takes its lock with ``collection_lock``, which also closes the
        runs that earlier holders left running.
        """
        with self._transaction(f"taking the {name} lock", write=True) as conn:
            locking.acquire(conn, name, owner, self._clock(), ttl_s)
        with self._released_after(name, owner):
            yield

    @contextmanager
    def _released_after(self, name: str, owner: str) -> Iterator[None]:
        """Release the lock ``name`` that ``owner`` took when the ``with`` block ends."""
        try:
            yield
        except BaseException:
            # The block's error is the one to report: a release the same outage makes fail
            # too leaves the lock to its lease (or to this owner's next try).
            try:
                self._release_lock(name, owner)
            except StoreError:
                pass
            raise
        self._release_lock(name, owner)

    def _release_lock(self, name: str, owner: str) -> None:
        with self._transaction(f"releasing the {name} lock", write=True) as conn:
            locking.release(conn, name, owner)

    def renew_lock(self, name: str, owner: str, ttl_s: int = 600) -> None:
        """Extend a held lock to now + ``ttl_s``; raises StoreLockedError if another owner took it."""
        with self._transaction(f"renewing the {name} lock", write=True) as conn:
            locking.renew(conn, name, owner, self._clock(), ttl_s)
