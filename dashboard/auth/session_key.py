"""The key that signs session cookies: ``auth.secret_key``, or one made once per data dir.

Made with ``secrets`` and kept owner-only in ``<data_dir>/session.key``, so restarts keep
sessions and several workers on one machine agree; on several machines, set the setting."""

from __future__ import annotations

import os
import secrets

FILE = "session.key"


def secret(settings) -> str:
    if settings.auth.secret_key is not None:
        return settings.auth.secret_key.get_secret_value()
    path = settings.data_dir / FILE
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        _make_once(path)
    return path.read_text(encoding="utf-8").strip()


def _make_once(path) -> None:
    """Write a new key to a file of this process, then hard-link it to ``path``: the link
    fails if another worker's key got there first, and ``path`` never exists half-written
    (workers starting together once read an empty key from a file still being written)."""
    staging = path.with_name(f".{FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(staging, path)
        except FileExistsError:
            pass  # another worker's key is there: everyone uses that one
    finally:
        os.unlink(staging)
