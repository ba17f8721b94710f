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
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        key = secrets.token_urlsafe(48)
        handle.write(key + "\n")
    return key
