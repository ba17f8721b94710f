"""What a scheduled job runs with: this process's settings and clock.

The job store (a table in the store's database, shared by every scheduler) keeps each
job's function by name and its arguments (a report kind at most), never the settings:
they hold secrets, and whichever process runs a job runs it with its own settings,
installed here by ``start_scheduler``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from ..errors import SloboardError
from ..store import this_process


@dataclass(frozen=True)
class Runtime:
    settings: object  # sloboard.settings.Settings
    clock: Callable[[], float]  # epoch seconds: which report period is the last complete one
    owner: str  # host:pid, the holder named in the store's locks


_current: Runtime | None = None


def install(settings, clock: Callable[[], float] = time.time) -> Runtime:
    global _current
    _current = Runtime(settings, clock, this_process())
    return _current


def current() -> Runtime:
    if _current is None:
        raise SloboardError("a scheduled job ran before start_scheduler installed this process's settings")
    return _current
