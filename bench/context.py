"""What every benchmark of one run shares: options, a scratch folder, and one Prometheus."""

from __future__ import annotations

import os
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
        """This run's folder for throw-away files, ``.bench/run/<pid>``; removed by ``close``."""
        path = self.root / "run" / str(os.getpid())
        path.mkdir(parents=True, exist_ok=True)
        return path

    def remove_stale_scratch(self) -> None:
        """Remove the folders of earlier runs whose process is gone (killed runs leave them)."""
        for folder in (self.root / "run").glob("*"):
            if folder.name.isdigit() and not _alive(int(folder.name)):
                shutil.rmtree(folder, ignore_errors=True)

    def prometheus(self):
        """The benchmark Prometheus (``bench.prometheus``), backfilled and started on first use."""
        if self._prometheus is None:
            from .prometheus import start_bench_prometheus

            self._prometheus = start_bench_prometheus(self.root, self.scratch, self.log)
        return self._prometheus

    def close(self) -> None:
        if self._prometheus is not None:
            self._prometheus.server.stop()
            self._prometheus = None
        shutil.rmtree(self.scratch, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
