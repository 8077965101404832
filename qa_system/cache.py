"""The Redis cache, as a cache should be: a Redis that is down or slow makes pages slower, never
broken. Every read misses and every write is dropped (logged once a minute) until it is back;
nothing the platform caches (benchmark values, chart drawings) is needed for correctness."""

import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

_last_warning = 0.0


def _tolerant(method: Callable, fallback: Callable[[tuple, dict], Any]) -> Callable:
    @wraps(method)
    def call(self, *args, **kwargs):
        global _last_warning
        try:
            return method(self, *args, **kwargs)
        except (RedisConnectionError, RedisTimeoutError) as error:
            if time.monotonic() - _last_warning > 60:
                _last_warning = time.monotonic()
                logger.warning("The cache is unavailable (%s): serving without it", error)
            return fallback(args, kwargs)

    return call


class TolerantRedisCacheClient(RedisCacheClient):
    add = _tolerant(RedisCacheClient.add, lambda args, kwargs: False)
    get = _tolerant(
        RedisCacheClient.get, lambda args, kwargs: args[1] if len(args) > 1 else kwargs.get("default")
    )
    set = _tolerant(RedisCacheClient.set, lambda args, kwargs: None)
    touch = _tolerant(RedisCacheClient.touch, lambda args, kwargs: False)
    delete = _tolerant(RedisCacheClient.delete, lambda args, kwargs: False)
    get_many = _tolerant(RedisCacheClient.get_many, lambda args, kwargs: {})
    has_key = _tolerant(RedisCacheClient.has_key, lambda args, kwargs: False)
    set_many = _tolerant(RedisCacheClient.set_many, lambda args, kwargs: [])
    delete_many = _tolerant(RedisCacheClient.delete_many, lambda args, kwargs: None)
    clear = _tolerant(RedisCacheClient.clear, lambda args, kwargs: False)


class TolerantRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = TolerantRedisCacheClient
