"""Reading one series back from a store in a test: the product reads many at once
(``Store.read_series_many``, ``Store.read_series_spans_many``), tests often ask for one."""

from __future__ import annotations

from collections.abc import Sequence


def read_series(store, kind: str, scope: str, name: str, start: int, end: int):
    """``(ts, values)`` of one series with ``start < ts <= end`` (empty arrays if unknown)."""
    return store.read_series_many(kind, [(scope, name)], start, end)[(scope, name)]


def read_series_hourly(store, kind: str, keys: Sequence[tuple[str, str]], start: int, end: int):
    """``{(scope, name): (hour end, sum, steps)}``: the hourly rollup rows ending in ``(start, end]``."""
    return store.read_series_spans_many(kind, keys, (), (start, end))[1]
