"""The audit log's hash chain, as pure functions.

Each entry stores ``prev_hash`` (the previous entry's ``hash``, or 64 zeros for the
first) and ``hash = SHA-256(canonical JSON of [prev_hash, at, actor, action, payload])``,
where ``payload`` is the canonical JSON text exactly as stored. Changing, removing or
reordering any stored entry breaks the chain at that entry or the one after it.

Each entry also stores its ``target`` (what it is about, ``target_of``) in a column of its
own so that it can be searched in SQL. The column is not hashed: it is derived from the
hashed payload, and ``audit verify`` names any row whose column no longer equals it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Iterable

GENESIS = "0" * 64


def canonical_json(payload: dict[str, Any]) -> str:
    """Sorted keys, no whitespace, UTF-8 kept: one text per payload. Raises ValueError if not JSON."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


TARGET_KEYS = ("target", "user", "service")  # the payload's own target, a login's user, a gate decision's service


def target_of(action: str, payload: Any) -> str | None:
    """What an entry is about: the payload's ``target``, else the ``user`` of a login, else
    the ``service`` of a gate decision; None when it names none of them.

    The rule reads the payload alone today; ``action`` is part of the signature so that a
    rule for one action changes this function, not its callers (the writer, the 0007
    backfill, ``audit verify`` and the Audit page).
    """
    if not isinstance(payload, dict):
        return None
    return next((str(payload[key]) for key in TARGET_KEYS if payload.get(key) is not None), None)


def entry_hash(prev_hash: str, at: float, actor: str, action: str, payload_text: str) -> str:
    """SHA-256 hex digest of the entry's fields, chained to ``prev_hash``."""
    material = json.dumps([prev_hash, at, actor, action, payload_text], separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def first_broken(rows: Iterable[tuple[int, float, str, str, str, str, str]]) -> int | None:
    """The id of the first entry that does not chain, or None if all do.

    ``rows`` are ``(id, at, actor, action, payload_text, prev_hash, hash)`` in id order.
    """
    expected_prev = GENESIS
    for entry_id, at, actor, action, payload_text, prev_hash, stored_hash in rows:
        if prev_hash != expected_prev or stored_hash != entry_hash(prev_hash, at, actor, action, payload_text):
            return entry_id
        expected_prev = stored_hash
    return None
