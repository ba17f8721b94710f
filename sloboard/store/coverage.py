"""What the audit log says about each record, so ``verify`` can hold the records to it.

Every write of a covered record appends ``{"target": ..., "record": fingerprint}`` in the
same transaction (``record`` is None when the record was removed). The fingerprint holds
the columns a reader relies on; columns that change on their own (a token's last use, a
report's delivery) are left out. Secrets' hashes are hashed again: an edited hash shows,
the hash itself never reaches the log.
"""

from __future__ import annotations

import hashlib
from typing import Any, Mapping


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def user_target(name: str) -> str:
    return f"user:{name}"


def user_record(row: Mapping[str, Any]) -> dict:
    return {"name": row["name"], "role": row["role"], "password": _digest(row["password_hash"])}


def token_target(name: str) -> str:
    return f"token:{name}"


def token_record(row: Mapping[str, Any]) -> dict:
    return {"name": row["name"], "scopes": row["scopes"], "token": _digest(row["token_sha256"]),
            "expires_at": row["expires_at"], "revoked_at": row["revoked_at"]}


def deployment_target(row: Mapping[str, Any]) -> str:
    return f"deployment:{row['service']}/{row['version']}@{row['started_at']}"


DEPLOYMENT_COLUMNS = ("service", "version", "status", "started_at", "finished_at", "source", "commit", "committed_at")


def deployment_record(row: Mapping[str, Any]) -> dict:
    return {column: row[column] for column in DEPLOYMENT_COLUMNS}


def gate_override_target(override_id: int) -> str:
    return f"gate_override:{override_id}"


GATE_OVERRIDE_COLUMNS = ("service", "reason", "created_by", "created_at", "expires_at", "revoked_at", "revoked_by")


def gate_override_record(row: Mapping[str, Any]) -> dict:
    return {column: row[column] for column in GATE_OVERRIDE_COLUMNS}
