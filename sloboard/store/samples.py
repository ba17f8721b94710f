"""Bulk writes and reads of time-series samples, the store's hot path.

All sample tables share one shape (``sample_layout.SampleTable``): ``(key int, ts
bigint, values...)`` with primary key ``(key, ts)``, so one implementation serves SLI
samples, series and their hourly rollups:

- SQLite: one ``executemany`` of ``INSERT ... ON CONFLICT DO UPDATE`` fed by a generator
  over the arrays (measured within a few percent of a bare ``executemany``).
- PostgreSQL: steps newer than the newest stored one (the normal incremental case)
  go straight into the table with a binary ``COPY`` built by numpy in one buffer (an
  advisory lock per key keeps a concurrent writer from slipping in between); older
  steps (re-collection, backfill) go through a binary ``COPY`` into a temporary table and
  ``INSERT ... ON CONFLICT DO UPDATE``. Measured on this kind of machine: direct binary
  COPY runs at the speed of a bare COPY, the staged upsert at about 40 % of it.
- Reads return numpy arrays. On PostgreSQL they come from ``COPY ... TO STDOUT (FORMAT
  BINARY)`` decoded with one ``np.frombuffer``: no Python object per row. On SQLite the
  driver yields tuples, consumed by ``np.fromiter`` without an intermediate list.

Writing the same samples twice stores them once; a re-written step overwrites the old one.
Each write also brings the hourly and daily rollup rows of the hours and days it touched
up to date in the same transaction (``rollups``): long windows read 60 (whole hours) and
1,440 (whole days) times fewer rows, and history outlives the retention of per-step rows.

History older than the raw retention is written as rollups only (:func:`history_mask`,
:func:`write_rollup_only`): what the store would hold after writing the steps and
pruning them, without writing and deleting them (``retention``).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import repeat
from typing import Callable, Iterable, Sequence, TypeVar

import numpy as np
import sqlalchemy as sa

from ..errors import StoreError
from . import rollups
from .sample_layout import DAY, HOUR, SampleTable, day_end, floor_hour, hour_end, upsert_sql

_PG_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_PG_HEADER = _PG_SIGNATURE + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"  # flags, no extension
_PG_TRAILER = b"\xff\xff"

K = TypeVar("K")  # a caller's name for a key: an SLO id, a (scope, name) pair


def prepare(ts, *values) -> tuple[np.ndarray, list[np.ndarray]]:
    """Validate and normalise sample arrays before they are written.

    Returns ``ts`` as int64 and each value array as float64, sorted by ``ts``. A step
    whose value is NaN or infinite is dropped: "no data" is stored as no row, never as a
    number. When one batch repeats a ``ts``, its last occurrence wins, as a later write
    would. Raises ValueError if the arrays differ in length or are not one-dimensional.
    """
    ts_arr = np.asarray(ts)
    if ts_arr.ndim != 1:
        raise ValueError(f"ts must be a one-dimensional array, got shape {ts_arr.shape}")
    if ts_arr.size and not np.issubdtype(ts_arr.dtype, np.integer):
        raise ValueError(f"ts must hold integer epoch seconds, got dtype {ts_arr.dtype}")
    ts_arr = ts_arr.astype(np.int64, copy=False)
    arrays = [np.asarray(v, dtype=np.float64) for v in values]
    for arr in arrays:
        if arr.shape != ts_arr.shape:
            raise ValueError(f"sample arrays differ in length: ts has {ts_arr.size}, values have {arr.size}")
    finite = np.logical_and.reduce([np.isfinite(a) for a in arrays]) if arrays else None
    if finite is not None and not finite.all():
        ts_arr, arrays = ts_arr[finite], [a[finite] for a in arrays]
    if ts_arr.size > 1 and not (np.diff(ts_arr) > 0).all():
        # Stable sort keeps the batch order among equal ts; keep the last of each run.
        order = np.argsort(ts_arr, kind="stable")
        ts_arr, arrays = ts_arr[order], [a[order] for a in arrays]
        last = np.append(ts_arr[1:] != ts_arr[:-1], True)
        ts_arr, arrays = ts_arr[last], [a[last] for a in arrays]
    return ts_arr, arrays


def write(conn: sa.Connection, table: SampleTable, key: int, ts: np.ndarray, values: list[np.ndarray]) -> int:
    """Upsert prepared samples of one key inside the caller's transaction, and bring the
    rollups of the hours and days they touch up to date; returns the row count."""
    if ts.size == 0:
        return 0
    raw, sqlite, mark = _begin_key_write(conn, table, key)
    newest = raw.execute(f"SELECT max(ts) FROM {table.name} WHERE {table.key} = {mark}", (key,)).fetchone()[0]
    if sqlite:
        _sqlite_upsert(raw, table, key, ts, values)
    else:
        _pg_write(raw, table, key, ts, values, newest)
    rollups.update(raw, sqlite, table, key, ts, values, newest)
    return int(ts.size)


def history_mask(ts: np.ndarray, span: tuple[int, int], horizon: int) -> np.ndarray:
    """The steps of ``ts`` to keep as hourly sums only: those in the whole hours of
    ``span = (after, through]`` (the range a batch holds all the data of) that end at or
    before ``horizon``. The partial hours at the span's edges stay steps, so their rollup
    rows are rebuilt from the steps of both batches that share them."""
    after, through = span
    first, last = hour_end(int(after)), min(floor_hour(int(through)), int(horizon))
    return (ts > first) & (ts <= last)


def write_rollup_only(conn: sa.Connection, table: SampleTable, key: int, ts: np.ndarray, values: list[np.ndarray]) -> int:
    """Store prepared steps of one key as their hourly sums only (and the daily sums of the
    days they touch, from the hours); returns the steps summed.

    The batch is taken as the complete data of the hours from the one holding its first
    step to the one holding its last: whatever was stored for those hours (per-step rows
    and rollup rows, including hours in between without any step in the batch) is
    replaced. So the caller cuts batches on hour boundaries, and writing the same batch
    twice stores it once.
    """
    if ts.size == 0:
        return 0
    raw, sqlite, mark = _begin_key_write(conn, table, key)
    hours = hour_end(ts)
    span = (key, int(hours[0]) - HOUR, int(hours[-1]))
    for target in (table, table.hourly):
        raw.execute(f"DELETE FROM {target.name} WHERE {target.key} = {mark} AND ts > {mark} AND ts <= {mark}", span)
    rollups.write_sums(raw, sqlite, table.hourly, key, hours, values)
    # The span's first and last days may hold hours of other writes: days come from the hours.
    rollups.rebuild_days(raw, mark, table, f"{table.key} = {mark}", (key,), int(day_end(hours[0])) - DAY,
                         int(day_end(hours[-1])))
    return int(ts.size)


def _begin_key_write(conn: sa.Connection, table: SampleTable, key: int) -> tuple[object, bool, str]:
    """The DBAPI connection, whether it is SQLite, and its parameter mark, for a write of one key.

    On PostgreSQL, writers of the same key queue here until commit, so what a write
    reads of the key (its newest ts) stays true while it writes (SQLite's BEGIN
    IMMEDIATE already admits one writer at a time).
    """
    raw = conn.connection.driver_connection
    sqlite = conn.dialect.name == "sqlite"
    if not sqlite:
        raw.execute("SELECT pg_advisory_xact_lock(%s, %s)", (table.lock_class, key))
    return raw, sqlite, "?" if sqlite else "%s"


def read(
    conn: sa.Connection, table: SampleTable, keys: Sequence[int], start: int, end: int
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Samples with ``start < ts <= end`` for ``keys``, as ``(key, ts, [values])`` sorted by key, ts."""
    if not keys:
        return np.empty(0, np.int64), np.empty(0, np.int64), [np.empty(0, table.dtype_of(v)) for v in table.values]
    raw = conn.connection.driver_connection
    if conn.dialect.name == "sqlite":
        rows = _sqlite_read(raw, table, keys, int(start), int(end))
    else:
        rows = _pg_read(raw, table, keys, int(start), int(end))
    return (
        np.ascontiguousarray(rows["key"], dtype=np.int64),
        np.ascontiguousarray(rows["ts"], dtype=np.int64),
        [np.ascontiguousarray(rows[name], dtype=table.dtype_of(name)) for name in table.values],
    )


_SELECTS_PER_QUERY = 400  # SQLite refuses a compound SELECT of more than 500 (SQLITE_MAX_COMPOUND_SELECT)


def read_sums(
    conn: sa.Connection, table: SampleTable, keys: Sequence[int], pieces: Sequence[tuple[int, int]],
    row_s: int | None = None, *, across: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[np.ndarray], np.ndarray]:
    """Per key and piece ``(a, b]`` of ``pieces``, the rows with ``a < ts <= b`` summed by the database.

    Returns ``(key, piece, first, last, [sums], rows)``, one entry per key and piece that
    holds rows, sorted by key, then ts: ``piece`` the index of the piece in ``pieces``,
    ``first``/``last`` its oldest and newest ``ts``, ``sums`` the sums of each value
    column, ``rows`` how many rows were summed. One ``GROUP BY key`` per piece (joined
    with ``UNION ALL``): each is a range scan of the primary key that SQLite aggregates
    in index order, with no sort, measured 2.5x faster than one scan grouped by a
    ``CASE`` over the pieces. The database adds each key's rows in ``ts`` order whichever
    other keys are asked (on PostgreSQL the reading transaction keeps the planner on the
    primary key: ``Store``), so a key's sums do not depend on the company it is read in.

    ``row_s``: the seconds each row of a rollup ``table`` stands for, its ``ts`` their end.
    A run of adjacent pieces of one row each (the days of a daily trend) is then read as
    its rows, in one scan: per key one seek instead of one per piece, and the same sums.

    ``across``: the sums of all ``keys`` together, one entry per piece (``key`` 0): what a
    chart of a whole scope (all cost series) needs, without a row per key and piece.
    """
    dtypes = [table.dtype_of(v) for v in table.values]
    if not keys or not pieces:
        empty = np.empty(0, np.int64)
        return empty, empty, empty, empty, [np.empty(0, d) for d in dtypes], empty
    key_list = ", ".join(str(int(k)) for k in keys)
    # Integer sums are numeric on PostgreSQL: cast back to bigint.
    sums = ", ".join(f"CAST(sum({v}) AS BIGINT)" if v in table.int_values else f"sum({v})" for v in table.values)
    where = f"WHERE {table.key} IN ({key_list}) AND ts > {{}} AND ts <= {{}}"
    key, grouped = ("0", " HAVING count(*) > 0") if across else (table.key, f" GROUP BY {table.key}")
    selects = []
    for first, (a, b), count in _one_row_runs(pieces, row_s):
        piece = f"{first} + (ts - {a} - 1) / {row_s}"  # in a run, piece first + k holds the row in (a + k row_s, a + (k + 1) row_s]
        if count and across:
            selects.append(f"SELECT 0, {piece}, ts, ts, {sums}, count(*) FROM {table.name} {where.format(a, b)} "
                           "GROUP BY ts")
        elif count:
            selects.append(f"SELECT {table.key}, {piece}, ts, ts, {', '.join(table.values)}, 1 FROM {table.name} "
                           f"{where.format(a, b)}")
        else:
            selects.append(f"SELECT {key}, {first}, min(ts), max(ts), {sums}, count(*) FROM {table.name} "
                           f"{where.format(a, b)}{grouped}")
    dtype = np.dtype([("key", np.int64), ("piece", np.int64), ("first", np.int64), ("last", np.int64)]
                     + [(v, d) for v, d in zip(table.values, dtypes)] + [("rows", np.int64)])
    parts = []
    for i in range(0, len(selects), _SELECTS_PER_QUERY):
        cursor = conn.connection.driver_connection.execute(" UNION ALL ".join(selects[i:i + _SELECTS_PER_QUERY]))
        try:
            parts.append(np.fromiter((tuple(r) for r in cursor), dtype=dtype))
        finally:
            cursor.close()
    rows = np.concatenate(parts)
    rows = rows[np.lexsort((rows["last"], rows["key"]))]
    return rows["key"], rows["piece"], rows["first"], rows["last"], [rows[v] for v in table.values], rows["rows"]


def _one_row_runs(pieces: Sequence[tuple[int, int]], row_s: int | None):
    """``(index of the first piece, (a, b), pieces)`` per run of adjacent pieces one ``row_s``
    long (``pieces`` > 0, ``(a, b]`` the run), and ``(index, piece, 0)`` for each other piece."""
    out: list[tuple[int, tuple[int, int], int]] = []
    for i, (a, b) in enumerate((int(a), int(b)) for a, b in pieces):
        if row_s is None or b - a != row_s:
            out.append((i, (a, b), 0))
        elif out and out[-1][2] and out[-1][1][1] == a:
            first, (run_a, _b), count = out[-1]
            out[-1] = (first, (run_a, b), count + 1)
        else:
            out.append((i, (a, b), 1))
    return out


@dataclass(frozen=True)
class PieceSums:
    """Sums per key and piece, as one read returns them: flat arrays sorted by key, then
    ``last``, and which store key each name asked has (``names``; None: unknown).

    ``piece`` indexes the pieces asked in the order raw, hourly, daily; ``first``/``last``
    are the oldest and newest ``ts`` summed (a rollup row's ``ts`` is its hour's or day's
    end); ``values`` one array per value column; ``steps`` the steps summed.
    """

    names: dict
    key: np.ndarray
    piece: np.ndarray
    first: np.ndarray
    last: np.ndarray
    values: list[np.ndarray]
    steps: np.ndarray

    def by_name(self) -> dict:
        """``{name: (first, last, *values, steps)}`` for each name asked (empty arrays when it has no rows)."""
        return split_by_key(self.names, self.key, self.first, self.last, *self.values, self.steps)


def lookup_keys(asked: Iterable[K], lookup: Callable[[K], int | None]) -> tuple[dict[K, int | None], list[int]]:
    """Each distinct name asked (an SLO id, a series key) mapped to its store key by ``lookup``
    (None when the store does not know it), and the known store keys sorted: what a read
    of many names selects, and ``split_by_key`` slices back."""
    wanted = {name: lookup(name) for name in dict.fromkeys(asked)}
    return wanted, sorted(key for key in wanted.values() if key is not None)


def split_by_key(wanted: dict[K, int | None], keys: np.ndarray, *arrays: np.ndarray) -> dict[K, tuple[np.ndarray, ...]]:
    """Slice arrays sorted by ``keys`` into ``{name: (array slices...)}`` for each wanted name.

    ``wanted`` maps a caller's name (an SLO id, a series key) to its store key, or to None
    when the store does not know it; such names, and keys without rows, get empty slices.
    """
    out: dict[K, tuple[np.ndarray, ...]] = {}
    for name, key in wanted.items():
        lo, hi = (0, 0) if key is None else (np.searchsorted(keys, key, "left"), np.searchsorted(keys, key, "right"))
        out[name] = tuple(a[lo:hi] for a in arrays)
    return out


def _select_sql(table: SampleTable, key_filter: str, placeholder: str) -> str:
    return (
        f"SELECT {', '.join(table.columns)} FROM {table.name} "
        f"WHERE {key_filter} AND ts > {placeholder} AND ts <= {placeholder} ORDER BY {table.key}, ts"
    )


def _row_dtype(table: SampleTable) -> np.dtype:
    return np.dtype([("key", np.int64), ("ts", np.int64)] + [(v, table.dtype_of(v)) for v in table.values])


# --- SQLite -------------------------------------------------------------------------


def _sqlite_upsert(raw, table: SampleTable, key: int, ts: np.ndarray, values: list[np.ndarray]) -> None:
    marks = ", ".join("?" for _ in table.columns)
    rows = zip(repeat(key), ts.tolist(), *(v.tolist() for v in values))
    raw.executemany(upsert_sql(table, f"VALUES ({marks})"), rows)


def _sqlite_read(raw, table: SampleTable, keys: Sequence[int], start: int, end: int) -> np.ndarray:
    key_filter = f"{table.key} IN ({', '.join('?' for _ in keys)})"
    cursor = raw.execute(_select_sql(table, key_filter, "?"), [*map(int, keys), start, end])
    try:
        return np.fromiter(cursor, dtype=_row_dtype(table))
    finally:
        cursor.close()


# --- PostgreSQL -----------------------------------------------------------------------
# Binary COPY rows: int16 field count, then per field an int32 length and big-endian data.


def _pg_copy_dtype(table: SampleTable, *, with_key_as: str) -> np.dtype:
    fields = [("nfields", ">i2"), ("len_key", ">i4"), ("key", with_key_as), ("len_ts", ">i4"), ("ts", ">i8")]
    for v in table.values:
        fields += [(f"len_{v}", ">i4"), (v, ">i8" if v in table.int_values else ">f8")]
    return np.dtype(fields)


def _pg_copy_buffer(table: SampleTable, key: int, ts: np.ndarray, values: list[np.ndarray]) -> memoryview:
    """The whole COPY payload in one buffer, the rows written in place: 7x faster than filling
    each constant field of every row and joining header, rows and trailer as bytes (two copies)."""
    dtype = _pg_copy_dtype(table, with_key_as=">i4")  # key column is int4
    payload = np.empty(len(_PG_HEADER) + ts.size * dtype.itemsize + len(_PG_TRAILER), np.uint8)
    payload[:len(_PG_HEADER)] = np.frombuffer(_PG_HEADER, np.uint8)
    payload[payload.size - len(_PG_TRAILER):] = np.frombuffer(_PG_TRAILER, np.uint8)
    body = payload[len(_PG_HEADER):payload.size - len(_PG_TRAILER)]
    # Field count, lengths and key are the same in every row: copy one row's bytes to all.
    first = np.zeros(1, dtype=dtype)
    first["nfields"], first["len_key"], first["key"], first["len_ts"] = len(table.columns), 4, key, 8
    for name in table.values:
        first[f"len_{name}"] = 8
    body.reshape(ts.size, dtype.itemsize)[:] = first.view(np.uint8)
    rows = body.view(dtype)
    rows["ts"] = ts
    for name, arr in zip(table.values, values):
        rows[name] = arr
    return memoryview(payload)


def _pg_copy_in(cursor, target: str, table: SampleTable, payload: memoryview) -> None:
    with cursor.copy(f"COPY {target} ({', '.join(table.columns)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(payload)


def _pg_write(raw, table: SampleTable, key: int, ts: np.ndarray, values: list[np.ndarray], newest: int | None) -> None:
    cursor = raw.cursor()
    fresh = ts > newest if newest is not None else np.ones(ts.size, dtype=bool)
    if fresh.any():
        _pg_copy_in(cursor, table.name, table, _pg_copy_buffer(table, key, ts[fresh], [v[fresh] for v in values]))
    if not fresh.all():
        stale = ~fresh
        _pg_staged_upsert(cursor, table, _pg_copy_buffer(table, key, ts[stale], [v[stale] for v in values]))


def _pg_staged_upsert(cursor, table: SampleTable, payload: memoryview) -> None:
    stage = f"sloboard_stage_{table.name}"
    cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {table.name}) ON COMMIT DELETE ROWS")
    _pg_copy_in(cursor, stage, table, payload)
    cursor.execute(upsert_sql(table, f"SELECT {', '.join(table.columns)} FROM {stage}"))
    cursor.execute(f"TRUNCATE {stage}")  # a later write in the same transaction starts empty


def _pg_read(raw, table: SampleTable, keys: Sequence[int], start: int, end: int) -> np.ndarray:
    query = _select_sql(table, f"{table.key} = ANY(%s)", "%s")
    with raw.cursor().copy(f"COPY ({query}) TO STDOUT (FORMAT BINARY)", ([int(k) for k in keys], start, end)) as copy:
        data = b"".join(bytes(block) for block in copy)
    return _pg_decode(table, data)


def _pg_decode(table: SampleTable, data: bytes) -> np.ndarray:
    """Decode a binary COPY of ``(int4 key, int8 ts, float8 values...)`` without NULLs."""
    if not data.startswith(_PG_SIGNATURE) or not data.endswith(_PG_TRAILER):
        raise StoreError("PostgreSQL sent binary COPY data without the expected header or trailer")
    extension = int.from_bytes(data[15:19], "big")
    body = memoryview(data)[19 + extension : len(data) - len(_PG_TRAILER)]
    dtype = _pg_copy_dtype(table, with_key_as=">i4")
    if len(body) % dtype.itemsize:
        raise StoreError(f"PostgreSQL sent binary COPY rows that do not match {table.name}'s columns")
    rows = np.frombuffer(body, dtype=dtype)
    expected_lengths = {"len_key": 4, "len_ts": 8, **{f"len_{v}": 8 for v in table.values}}
    if (rows["nfields"] != len(table.columns)).any() or any(
        (rows[name] != size).any() for name, size in expected_lengths.items()
    ):
        raise StoreError(f"PostgreSQL sent binary COPY rows that do not match {table.name}'s columns")
    out = np.empty(rows.size, dtype=_row_dtype(table))
    for name in ("key", "ts", *table.values):
        out[name] = rows[name]
    return out
