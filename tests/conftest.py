"""Shared fixtures: a store on SQLite and on PostgreSQL, and a clock tests can move.

- ``store_url``: parametrized ``["sqlite", "postgresql"]``. SQLite is a file in the
  test's tmp dir; PostgreSQL is a fresh schema (``search_path`` in the URL) on the
  server named by ``SLOBOARD_TEST_PG_URL``, dropped after the test. Without that
  variable the PostgreSQL variant is skipped locally and FAILS when ``CI=true``.
- ``store``: a ``Store`` opened (and migrated) on ``store_url``, closed afterwards.
- ``open_store``: opens more stores on the same database with options
  (``open_store(clock=clock, busy_timeout_s=0.2)``); all are closed afterwards.
- ``clock``: a ``FakeClock``, a callable returning epoch seconds that only moves on ``advance``.
"""

from __future__ import annotations

import os
import uuid
from typing import Callable, Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from sloboard.store import Store
from tests.missing import missing

PG_URL_ENV = "SLOBOARD_TEST_PG_URL"
# The dashboard asks for a login (dashboard/auth). Tests about pages, not about logging in,
# see them as an anonymous viewer (auth.anonymous_role, as a wall display would); the
# login tests (tests/integration/test_login.py) unset it.
os.environ.setdefault("SLOBOARD_AUTH__ANONYMOUS_ROLE", "viewer")


class FakeClock:
    """Epoch seconds that stand still until a test moves them."""

    def __init__(self, now: float = 1_800_000_000.0):
        self.now = float(now)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _postgres_server_url() -> str:
    url = os.environ.get(PG_URL_ENV)
    if not url:
        missing(f"{PG_URL_ENV} is not set: the PostgreSQL variant of the store tests needs a server URL")
    return url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL whose ``search_path`` is a schema of its own, created here and dropped after the test."""
    server = make_url(_postgres_server_url())
    schema = f"sloboard_test_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        yield server.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'data' / 'sloboard.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request) -> str:
    """A URL of an empty database, on each engine the store supports."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def open_store(store_url) -> Iterator[Callable[..., Store]]:
    opened: list[Store] = []

    def _open(**options) -> Store:
        store = Store.open(store_url, **options)
        opened.append(store)
        return store

    yield _open
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store, clock) -> Store:
    """A migrated store on ``store_url`` whose clock is the ``clock`` fixture."""
    return open_store(clock=clock)
