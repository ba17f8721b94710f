"""A key prefix of its own in the Redis on 127.0.0.1:6379 for each test, deleted afterwards.

Tests use database ``TEST_DB`` (not 0, where a dashboard on this machine would keep its
keys) and a fresh prefix, so parallel tests never read each other's results. Without a
Redis answering there, tests skip, and fail when CI=true.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Iterator

import pytest

from tests.missing import missing

TEST_DB = 11
URL = f"redis://127.0.0.1:6379/{TEST_DB}"


@dataclass(frozen=True)
class RedisKeys:
    url: str
    prefix: str

    def keys(self) -> list[bytes]:
        import redis

        return redis.Redis.from_url(self.url).keys(f"{self.prefix}*")


@pytest.fixture
def redis_keys() -> Iterator[RedisKeys]:
    import redis

    client = redis.Redis.from_url(URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        missing(f"no Redis at {URL} ({exc}): apt-get install redis-server, and start it")
    keys = RedisKeys(URL, f"sloboard-test-{uuid.uuid4().hex[:12]}:")
    yield keys
    stale = keys.keys()
    if stale:
        client.delete(*stale)
    client.close()
