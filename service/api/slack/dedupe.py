"""Remember which Slack deliveries were seen, so that retries are answered once.

Always in this process; also in Redis when configured (`SET NX` with a TTL), so that two
workers receiving the same retry do not both answer it.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from redis.asyncio import Redis
from redis.exceptions import RedisError

from service.log import LOGGER

# Bounds the in-process memory whatever the TTL; the oldest entries go first.
_MAX_LOCAL = 100_000


class Once:
    def __init__(self, redis: Redis | None, ttl_s: int) -> None:
        self._redis = redis
        self._ttl_s = ttl_s
        self._seen: OrderedDict[str, float] = OrderedDict()

    async def first(self, key: str) -> bool:
        """True the first time `key` is seen within the TTL (here and in Redis)."""
        now = time.monotonic()
        while self._seen and (
            next(iter(self._seen.values())) < now or len(self._seen) > _MAX_LOCAL
        ):
            self._seen.popitem(last=False)
        if key in self._seen:
            return False
        self._seen[key] = now + self._ttl_s
        if self._redis is None:
            return True
        try:
            claimed = await self._redis.set(f"newsrag:slack:{key}", "1", nx=True, ex=self._ttl_s)
        except RedisError as exc:
            LOGGER.warning(
                "slack de-duplication store unreachable; this process's memory decides",
                extra={"fields": {"error": type(exc).__name__}},
            )
            return True
        return bool(claimed)
