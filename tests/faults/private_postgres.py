"""A PostgreSQL server of the test's own, on a free loopback port in a temp dir, so a
test can restart it without touching the server other tests share.

``initdb`` refuses to run as root: as root, the server runs as the ``postgres`` system
user (``runuser``). Stopped by ``pg_ctl`` at the end, also after a failure.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.integration.prom import free_port

SERVER_USER = "postgres"


def find_bin_dir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` with initdb and pg_ctl, or None."""
    found = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb") if Path(p).with_name("pg_ctl").exists()]
    return max(found, key=lambda p: int(p.parent.name), default=None)


@dataclass
class PrivatePostgres:
    bin_dir: Path
    folder: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def _run(self, *args: str, timeout_s: float = 60) -> subprocess.CompletedProcess:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr or done.stdout}\n{self.log_tail()}")
        return done

    def log_tail(self) -> str:
        log = self.folder / "server.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-15:]) if log.exists() else "(no log)"

    @classmethod
    def create(cls, bin_dir: Path) -> "PrivatePostgres":
        """initdb and start a server in a new folder under $TMPDIR (pytest's own tmp dirs
        are private to the test's user, which the server user could not enter)."""
        folder = Path(tempfile.mkdtemp(prefix="sloboard-pg-"))
        if os.geteuid() == 0:
            user = pwd.getpwnam(SERVER_USER)
            shutil.chown(folder, user.pw_uid, user.pw_gid)
        server = cls(bin_dir, folder, free_port())
        server._run("initdb", "-D", str(server.data), "-U", "postgres", "-A", "trust", "--no-sync")
        server.start()
        return server

    def _options(self) -> str:
        # Loopback only; the socket in our own folder; no fsync (a test server).
        return f"-p {self.port} -h 127.0.0.1 -k {self.folder} -c fsync=off -c full_page_writes=off"

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-o", self._options(), "-l", str(self.folder / "server.log"),
                  "-w", "-t", "60", "start")

    def restart(self) -> float:
        """Restart (fast shutdown: open sessions are cut); returns the seconds it was down."""
        began = time.monotonic()
        self._run("pg_ctl", "-D", str(self.data), "-o", self._options(), "-l", str(self.folder / "server.log"),
                  "-m", "fast", "-w", "-t", "60", "restart")
        return time.monotonic() - began

    def remove(self) -> None:
        """Stop the server and delete its folder."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
