"""Results kept in this process for the last few instants, and the locks that let one
thread compute each of them.

The first level of every lookup (a hit costs no I/O, not even a Redis round trip), and
the only one when ``cache.url`` is empty.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Hashable

INSTANTS_KEPT = 4


def name_of(key: Hashable) -> str:
    """The result a key names: the key itself, or the first item of a tuple key."""
    return key[0] if isinstance(key, tuple) else key


class LocalResults:
    """``{instant: {key: (version, value)}}`` for the newest ``INSTANTS_KEPT`` instants used.

    ``version`` names the data a value was computed from (``cache_compute.data_version``): a
    value is found only under the version it was computed for, and a newer one replaces it.
    """

    def __init__(self) -> None:
        self._instants: OrderedDict[int, dict[Hashable, tuple[Hashable, Any]]] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[tuple[int, Hashable], threading.Lock] = {}
        self.generation = 0  # moves on clear(): values computed before it are not kept

    def get(self, key: Hashable, at_epoch: int, version: Hashable) -> Any | None:
        with self._lock:
            kept = self._instants.get(at_epoch, {}).get(key)
            if kept is None or kept[0] != version:
                return None
            self._instants.move_to_end(at_epoch)
            return kept[1]

    def put(self, key: Hashable, at_epoch: int, version: Hashable, value: Any, generation: int) -> None:
        """Keep ``value`` unless ``clear`` was called after ``generation`` was read."""
        with self._lock:
            if generation != self.generation:
                return
            self._instants.setdefault(at_epoch, {})[key] = (version, value)
            self._instants.move_to_end(at_epoch)
            while len(self._instants) > INSTANTS_KEPT:
                self._instants.popitem(last=False)

    def newest_before(self, key: Hashable, at_epoch: int) -> tuple[int, Any] | None:
        """The newest instant before ``at_epoch`` with a value under ``key`` (any version), and that value."""
        with self._lock:
            for other in sorted((t for t in self._instants if t < at_epoch), reverse=True):
                if key in self._instants[other]:
                    return other, self._instants[other][key][1]
        return None

    def computing(self, key: Hashable, at_epoch: int) -> threading.Lock:
        """The lock a thread holds while it computes ``key`` at ``at_epoch``."""
        with self._lock:
            for stale in [k for k in self._computing if k[0] not in self._instants and k[0] != at_epoch]:
                if not self._computing[stale].locked():
                    del self._computing[stale]
            return self._computing.setdefault((at_epoch, key), threading.Lock())

    def clear(self) -> None:
        with self._lock:
            self.generation += 1
            self._instants.clear()
