"""The shared cache on Redis, made to survive Redis being away.

Django's Redis cache raises when Redis cannot be reached, and every page reads the cache (the
dashboard panels, the log-in throttle), so a stopped Redis would turn the whole site into error
pages. Here an unreachable Redis is a cache that holds nothing: reads miss, writes are dropped,
each after at most ``SOCKET_TIMEOUT`` seconds, and pages are computed from PostgreSQL as if the
cache were cold. The log-in throttle and the share-link password limit count nothing meanwhile
(they fail open rather than lock every user out); a warning says so, once a minute at most.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

SOCKET_TIMEOUT = 1.0
WARN_EVERY_SECONDS = 60.0
_last_warning = 0.0


def _unreachable(error: Exception) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= WARN_EVERY_SECONDS:
        _last_warning = now
        logger.warning(
            "The cache's Redis is unreachable (%s): pages are computed without it, and log-in "
            "and share-password attempts are not counted until it is back.",
            error.__class__.__name__,
        )


def _or(default: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Return ``default`` instead of raising when Redis cannot be reached."""

    def decorate(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return method(*args, **kwargs)
            except (RedisConnectionError, RedisTimeoutError) as error:
                _unreachable(error)
                return default(*args, **kwargs) if callable(default) else default

        return wrapper

    return decorate


class ResilientRedisCacheClient(RedisCacheClient):
    def __init__(self, servers: list[str], **options: Any) -> None:
        options.setdefault("socket_connect_timeout", SOCKET_TIMEOUT)
        options.setdefault("socket_timeout", SOCKET_TIMEOUT)
        super().__init__(servers, **options)

    # A miss, a write dropped, a first attempt: what an empty cache would answer.
    get = _or(lambda self, key, default: default)(RedisCacheClient.get)
    get_many = _or({})(RedisCacheClient.get_many)
    has_key = _or(False)(RedisCacheClient.has_key)
    add = _or(True)(RedisCacheClient.add)
    set = _or(None)(RedisCacheClient.set)
    set_many = _or(None)(RedisCacheClient.set_many)
    touch = _or(False)(RedisCacheClient.touch)
    delete = _or(False)(RedisCacheClient.delete)
    delete_many = _or(None)(RedisCacheClient.delete_many)
    incr = _or(lambda self, key, delta: delta)(RedisCacheClient.incr)
    clear = _or(False)(RedisCacheClient.clear)


class ResilientRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ResilientRedisCacheClient


def cache_count(key: str, window_seconds: int) -> int:
    """Add one to the counter ``key`` and return its new value. The counter's window starts at
    its first hit (``add``) and is not renewed by later ones (``incr`` keeps the TTL), so
    "N times within the window" counters (log-in and share-password throttles) share one rule."""
    from django.core.cache import cache

    if cache.add(key, 1, window_seconds):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # the window ended between add() and incr()
        cache.add(key, 1, window_seconds)
        return 1
