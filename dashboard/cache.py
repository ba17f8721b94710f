"""The cache all dashboard workers share: Redis, through Flask-Caching.

Values are pickled by Flask-Caching's Redis backend (the typed results of
``sloboard.reads`` pickle). Next to them this module keeps, in the same Redis:

- a lock per result, ``SET key token NX PX lock_ms``: one worker computes a result, and
  a worker that dies while computing leaves a lock that expires by itself;
- the collection generation, a counter that whoever writes collected data moves on
  (``bump_generation``, called by ``warmer.warm``): results of older generations are
  never read again and expire with ``cache.ttl_s``.

Every Redis failure is raised as :class:`CacheDown`; callers compute locally instead.
"""

from __future__ import annotations

import secrets
import time

import flask
import redis
from flask_caching import Cache

from sloboard.settings import CacheSettings

_GENERATION_KEY = "collection-generation"
# Deletes the lock only while it is still ours: after it expired, another worker may hold it.
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"


class CacheDown(Exception):
    """The shared cache did not answer."""


class SharedResults:
    """Results by key in Redis, with the locks and the generation counter that go with them."""

    def __init__(self, settings: CacheSettings, server: flask.Flask):
        self.url = settings.url
        self._settings = settings
        # One client for Flask-Caching's values and for the locks; short timeouts, because a
        # Redis that does not answer must cost a request little before it computes locally.
        self._redis = redis.Redis.from_url(settings.url, socket_connect_timeout=0.5, socket_timeout=2.0)
        cache = Cache(server, config={
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_HOST": self._redis,
            "CACHE_KEY_PREFIX": settings.key_prefix,
            "CACHE_DEFAULT_TIMEOUT": settings.ttl_s,
        })
        # The backend itself: ``Cache`` finds it through whichever app is current, and a
        # lookup may run inside another app's request (tests) or in no app at all (warm).
        with server.app_context():
            self._values = cache.cache
        self._release = self._redis.register_script(_RELEASE)

    def get(self, key: str):
        """The value under ``key``, None when there is none."""
        return self._call(self._values.get, key)

    def set(self, key: str, value) -> None:
        self._call(self._values.set, key, value)

    def lock(self, key: str) -> str | None:
        """Take the lock of ``key`` for ``cache.lock_s``; its token, or None when another holds it."""
        token = secrets.token_hex(8)
        taken = self._call(self._redis.set, self._lock_name(key), token, nx=True,
                           px=int(self._settings.lock_s * 1000))
        return token if taken else None

    def unlock(self, key: str, token: str) -> None:
        self._call(self._release, keys=[self._lock_name(key)], args=[token])

    def generation(self) -> int:
        """The collection generation: 0 until data was first written and marked."""
        value = self._call(self._redis.get, self._settings.key_prefix + _GENERATION_KEY)
        return int(value) if value is not None else 0

    def bump_generation(self) -> int:
        """Mark that collected data was written: every result is computed afresh from now on."""
        return int(self._call(self._redis.incr, self._settings.key_prefix + _GENERATION_KEY))

    def ping(self) -> None:
        self._call(self._redis.ping)

    def _lock_name(self, key: str) -> str:
        return f"{self._settings.key_prefix}lock:{key}"

    def _call(self, function, *args, **kwargs):
        try:
            return function(*args, **kwargs)
        except redis.RedisError as exc:
            raise CacheDown(f"cache {self.url}: {exc}") from exc


def wait_for(get, wait_s: float, *, poll_s: float = 0.05, clock=time.monotonic, sleep=time.sleep):
    """Poll ``get()`` until it returns a value other than None, for at most ``wait_s``; None then."""
    deadline = clock() + wait_s
    while True:
        value = get()
        if value is not None or clock() >= deadline:
            return value
        sleep(min(poll_s, max(0.0, deadline - clock())))
