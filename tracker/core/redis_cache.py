"""Django's Redis cache backend, with one client object per connection pool.

Django's `RedisCacheClient.get_client` builds a new `redis.Redis` for every cache call, and
redis-py builds its table of response callbacks in each constructor: sampled under the load
benchmark, that was a fifth of the CPU of a cached calendar feed, more than the round trips
themselves. A `redis.Redis` is safe to share between threads (each command borrows a
connection from the pool), so one per pool is kept. Written here because no well-kept
package changes only this: django-redis replaces the whole backend and its options.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends import redis


class RedisCacheClient(redis.RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(redis.RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
