"""What every benchmark of one run shares: options, a scratch folder, and one Prometheus."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .fleet import BENCH_DIR


@dataclass
class Context:
    large: bool
    pg_url: str
    root: Path = BENCH_DIR
    log: Callable[[str], None] = print
    _prometheus: object | None = field(default=None, repr=False)

    @property
    def scratch(self) -> Path:
        """A folder for this run's throw-away files, emptied at the start of the run."""
        path = self.root / "run"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def reset_scratch(self) -> None:
        shutil.rmtree(self.root / "run", ignore_errors=True)

    def prometheus(self):
        """The benchmark Prometheus (``bench.prometheus``), backfilled and started on first use."""
        if self._prometheus is None:
            from .prometheus import start_bench_prometheus

            self._prometheus = start_bench_prometheus(self.root, self.log)
        return self._prometheus

    def close(self) -> None:
        if self._prometheus is not None:
            self._prometheus.server.stop()
            self._prometheus = None
