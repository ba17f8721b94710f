"""sloboard's log: one JSON object a line, ``time``, ``level``, ``event``, ``actor``,
``objects`` (and ``message`` for prose, ``logger`` and ``pid``), so that a log pipeline can filter by event and
actor without parsing sentences.

- A record whose message is itself a JSON object (``log.info(json.dumps({"event": ...}))``,
  as the audit head lines are) gives its ``event`` and ``actor``; its other keys are the
  ``objects``.
- Any other record may pass ``extra={"event": ..., "actor": ..., "objects": {...}}``; without
  them its event is its logger's name and its text the ``message``.
- No secret is written: every string of the line has the settings' secret values (tokens,
  passwords, the database URL's password, the session key) replaced by ``***``, and the
  password of any ``scheme://user:password@`` URL and any ``Bearer`` token masked.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import datetime, timezone
from typing import Any, Iterable

from pydantic import BaseModel, SecretStr

MASK = "***"
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:)[^@\s/]+@")
_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}")


def secret_values(settings) -> set[str]:
    """Every secret the settings hold; of a secret URL (the database's), its password."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, SecretStr):
            text = value.get_secret_value()
            if _URL.match(text):  # a URL's secret is its password: the rest helps whoever reads the log
                found.update(m.group(0)[len(m.group("head")):-1] for m in _URL_PASSWORD.finditer(text))
            else:
                found.add(text)
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name))
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)

    walk(settings)
    return {s for s in found if len(s) >= 4}  # a 1-3 character "secret" would mask ordinary words


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):  # a longer secret may contain a shorter one
        text = text.replace(secret, MASK)
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK + "@", text)
    return _BEARER.sub(lambda m: m.group(1) + MASK, text)


class JsonLines(logging.Formatter):
    def __init__(self, secrets: Iterable[str] = ()):
        super().__init__()
        self.secrets = tuple(secrets)

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        parsed = _json_object(message)
        if parsed is not None:
            event, actor, objects, message = parsed.pop("event", record.name), parsed.pop("actor", None), parsed, None
        else:
            event, actor = getattr(record, "event", record.name), getattr(record, "actor", None)
            objects = getattr(record, "objects", {})
        line = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "event": event,
            "actor": actor,
            "objects": objects,
            "logger": record.name,
            "pid": record.process,  # which worker of several wrote it
        }
        if message is not None:
            line["message"] = message
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(self._clean(line), ensure_ascii=False, default=str)

    def _clean(self, value: Any) -> Any:
        if isinstance(value, str):
            return redact(value, self.secrets)
        if isinstance(value, dict):
            return {self._clean(str(k)): self._clean(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._clean(v) for v in value]
        return value if isinstance(value, (int, float, bool)) or value is None else redact(str(value), self.secrets)


def _json_object(message: str) -> dict | None:
    if not message.startswith("{"):
        return None
    try:
        parsed = json.loads(message)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def configure(settings=None, stream=None, level: int = logging.INFO) -> logging.Handler:
    """Send the root logger's records to ``stream`` (stderr) as JSON lines, masking the
    secrets of ``settings``; replaces a handler an earlier call installed."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonLines(secret_values(settings) if settings is not None else ()))
    handler.set_name("sloboard-json-lines")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "sloboard-json-lines"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler
