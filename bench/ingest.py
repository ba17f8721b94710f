"""Ingest: per-step SLI samples written through ``Store.write_sli_samples``.

Workload: the availability counts of 20 synthetic services over 35 days, written in
7-day chunks (10,080 steps, about the 11,000 points a collector asks for at once), one
transaction per chunk as the collector does: 1,008,000 samples.

Baselines, same data, same table definition, one transaction per chunk:

- SQLite: a bare ``executemany`` of a plain ``INSERT`` on a ``sqlite3`` connection with
  the store's own pragmas (WAL, synchronous=NORMAL), rows built from the arrays with
  ``tolist``, into a fresh database migrated by the store.
- PostgreSQL: a bare binary ``COPY ... FROM STDIN`` of a buffer built with numpy (the
  fastest way to move numpy arrays into PostgreSQL) on a plain psycopg connection,
  into the same table in a schema of our own, emptied between runs and dropped at the end.

Each side runs ``ROUNDS`` times, alternating which goes first; the best run counts.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
import uuid
from itertools import repeat
from pathlib import Path

import numpy as np
import psycopg
from sqlalchemy.engine import make_url

from collectors.synthetic import BLOCK_DAYS, generate_fleet
from sloboard.store import Store
from sloboard.store.connection import SQLITE_PRAGMAS

from .fleet import END_EPOCH, SEED, STEP_S, load_slos
from .report import Result, at_least, at_most
from .specs import write_specs

SERVICES = 20
DAYS = 35
ROUNDS = 3
SQLITE_TARGET = 300_000
PG_TARGET = 200_000
SQLITE_RATIO_TARGET = 1.3
PG_RATIO_TARGET = 1.2
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

Chunk = tuple[str, np.ndarray, np.ndarray, np.ndarray]  # slo_id, ts, good, total


def workload(workdir: Path) -> tuple[list, list[Chunk]]:
    """The SLOs and their sample chunks, from the synthetic fleet."""
    fleet = generate_fleet(SERVICES, END_EPOCH - DAYS * 86_400, END_EPOCH, step_s=STEP_S, seed=SEED)
    write_specs(workdir / "specs", fleet.profiles, latency=False)
    slos = load_slos(workdir / "specs")
    by_service = {slo.service: slo.id for slo in slos}
    chunks = []
    for name in fleet.service_names:
        for block in fleet.iter_series(name):
            good, total = block.availability()
            chunks.append((by_service[name], block.ts, good.astype(np.float64), total.astype(np.float64)))
    return slos, chunks


def _rate(chunks: list[Chunk], seconds: float) -> float:
    return sum(c[1].size for c in chunks) / seconds


def _timed_store_writes(store: Store, chunks: list[Chunk]) -> float:
    began = time.perf_counter()
    for slo_id, ts, good, total in chunks:
        store.write_sli_samples(slo_id, ts, good, total)
    return time.perf_counter() - began


def _pks(conn) -> dict[str, int]:
    """SLO id -> primary key, read with plain SQL (the store keeps its keys to itself)."""
    return dict(conn.execute("SELECT slo_id, id FROM slos").fetchall())


# --- SQLite -------------------------------------------------------------------------


def _sqlite_store_run(path: Path, slos, chunks: list[Chunk]) -> float:
    with Store.open(f"sqlite:///{path}") as store:
        store.sync_slos(slos)
        return _timed_store_writes(store, chunks)


def _sqlite_bare_run(path: Path, slos, chunks: list[Chunk]) -> float:
    with Store.open(f"sqlite:///{path}") as store:  # the same schema, made by the store
        store.sync_slos(slos)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        pks = _pks(conn)
        for pragma in SQLITE_PRAGMAS:
            conn.execute(pragma)
        sql = "INSERT INTO sli_samples (slo_pk, ts, good, total) VALUES (?, ?, ?, ?)"
        began = time.perf_counter()
        for slo_id, ts, good, total in chunks:
            conn.execute("BEGIN")
            conn.executemany(sql, zip(repeat(pks[slo_id]), ts.tolist(), good.tolist(), total.tolist()))
            conn.execute("COMMIT")
        return time.perf_counter() - began
    finally:
        conn.close()


def sqlite_ingest(slos, chunks: list[Chunk], workdir: Path) -> Result:
    store_s, bare_s = float("inf"), float("inf")
    for i in range(ROUNDS):
        order = ("store", "bare") if i % 2 == 0 else ("bare", "store")
        for side in order:
            path = workdir / f"ingest-{side}-{i}.db"
            if side == "store":
                store_s = min(store_s, _sqlite_store_run(path, slos, chunks))
            else:
                bare_s = min(bare_s, _sqlite_bare_run(path, slos, chunks))
    rate, bare_rate = _rate(chunks, store_s), _rate(chunks, bare_s)
    ratio = store_s / bare_s
    n = sum(c[1].size for c in chunks)
    stored = {side: _sqlite_rows(workdir / f"ingest-{side}-0.db") for side in ("store", "bare")}
    return Result(
        "ingest, SQLite",
        figure=f"{rate:,.0f} samples/s",
        target=f">= {SQLITE_TARGET:,}/s",
        met=at_least(rate, SQLITE_TARGET),
        baseline=f"bare executemany {bare_rate:,.0f}/s",
        ratio=f"{ratio:.2f}x time",
        ratio_target=f"<= {SQLITE_RATIO_TARGET}x",
        ratio_met=at_most(ratio, SQLITE_RATIO_TARGET),
        notes=[f"{n:,} samples in {len(chunks)} chunks of {BLOCK_DAYS} days (one transaction each); "
               f"best of {ROUNDS}: store {store_s:.2f} s, bare {bare_s:.2f} s; "
               f"rows in the table afterwards: store {stored['store']:,}, bare {stored['bare']:,}"],
    )


def _sqlite_rows(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM sli_samples").fetchone()[0]
    finally:
        conn.close()


# --- PostgreSQL ---------------------------------------------------------------------


def _copy_payload(pk: int, ts: np.ndarray, good: np.ndarray, total: np.ndarray) -> bytes:
    """PostgreSQL binary COPY: signature, flags and extension length, then per row the
    int16 field count and each field as int32 length + big-endian value; int16 -1 ends it."""
    rows = np.empty(ts.size, dtype=[("n", ">i2"), ("l_pk", ">i4"), ("pk", ">i4"), ("l_ts", ">i4"), ("ts", ">i8"),
                                    ("l_good", ">i4"), ("good", ">f8"), ("l_total", ">i4"), ("total", ">f8")])
    rows["n"], rows["l_pk"], rows["pk"], rows["l_ts"], rows["ts"] = 4, 4, pk, 8, ts
    rows["l_good"], rows["good"], rows["l_total"], rows["total"] = 8, good, 8, total
    return b"PGCOPY\n\xff\r\n\x00" + bytes(8) + rows.tobytes() + b"\xff\xff"


def _pg_bare_run(conninfo: str, schema: str, pks: dict[str, int], chunks: list[Chunk]) -> float:
    with psycopg.connect(conninfo, options=f"-csearch_path={schema}") as conn:
        began = time.perf_counter()
        for slo_id, ts, good, total in chunks:
            with conn.transaction(), conn.cursor() as cur:
                with cur.copy("COPY sli_samples (slo_pk, ts, good, total) FROM STDIN (FORMAT BINARY)") as copy:
                    copy.write(_copy_payload(pks[slo_id], ts, good, total))
        return time.perf_counter() - began


SLI_TABLES = ("sli_samples", "sli_hourly", "sli_daily")  # the steps and the rollups the store keeps with them


def _pg_truncate(conninfo: str, schema: str) -> None:
    """Empty the sample table and its rollups: each run writes into an empty store, as the
    bare COPY does (rollup rows left by the last run would turn the store's inserts of hours
    into updates of rows whose steps are gone, which no ingest meets)."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        tables = ", ".join(f'"{schema}".{table}' for table in SLI_TABLES)
        conn.execute(f"TRUNCATE {tables}")
        for table in SLI_TABLES:
            conn.execute(f'VACUUM ANALYZE "{schema}".{table}')


def _pg_rows(conninfo: str, schema: str) -> int:
    with psycopg.connect(conninfo) as conn:
        return conn.execute(f'SELECT count(*) FROM "{schema}".sli_samples').fetchone()[0]


def postgres_ingest(slos, chunks: list[Chunk], url: str) -> Result:
    base = make_url(url)
    conninfo = base.set(drivername="postgresql").render_as_string(hide_password=False)
    schema = f"sloboard_bench_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.OperationalError as exc:
        return Result("ingest, PostgreSQL", figure="not measured", target=f">= {PG_TARGET:,}/s",
                      notes=[f"PostgreSQL at {base.render_as_string(hide_password=True)} unreachable: "
                             f"{str(exc).strip().splitlines()[0]}"])
    try:
        store_url = base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
        store_s, bare_s = float("inf"), float("inf")
        stored: dict[str, int] = {}
        with Store.open(store_url) as store:
            store.sync_slos(slos)
            with psycopg.connect(conninfo, options=f"-csearch_path={schema}") as conn:
                pks = _pks(conn)
            for i in range(ROUNDS):
                order = ("store", "bare") if i % 2 == 0 else ("bare", "store")
                for side in order:
                    _pg_truncate(conninfo, schema)
                    if side == "store":
                        store_s = min(store_s, _timed_store_writes(store, chunks))
                    else:
                        bare_s = min(bare_s, _pg_bare_run(conninfo, schema, pks, chunks))
                    stored[side] = _pg_rows(conninfo, schema)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    rate, bare_rate = _rate(chunks, store_s), _rate(chunks, bare_s)
    ratio = store_s / bare_s
    return Result(
        "ingest, PostgreSQL",
        figure=f"{rate:,.0f} samples/s",
        target=f">= {PG_TARGET:,}/s",
        met=at_least(rate, PG_TARGET),
        baseline=f"bare binary COPY {bare_rate:,.0f}/s",
        ratio=f"{ratio:.2f}x time",
        ratio_target=f"<= {PG_RATIO_TARGET}x",
        ratio_met=at_most(ratio, PG_RATIO_TARGET),
        notes=[f"same workload into an empty table each run; best of {ROUNDS}: "
               f"store {store_s:.2f} s, bare {bare_s:.2f} s; rows in the table after a run: "
               f"store {stored['store']:,}, bare {stored['bare']:,}; schema {schema} dropped"],
    )


def run(ctx) -> list[Result]:
    with tempfile.TemporaryDirectory(dir=ctx.scratch) as tmp:
        workdir = Path(tmp)
        slos, chunks = workload(workdir)
        return [sqlite_ingest(slos, chunks, workdir), postgres_ingest(slos, chunks, ctx.pg_url)]
