"""Rate limits with the `limits` library: in process, or shared through Redis."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio import Redis

from service.errors import Unavailable
from service.log import LOGGER

# One warning per this many seconds while Redis is unreachable, not one per request.
_WARN_EVERY_S = 30.0


class Limiter:
    """A moving window per (rate, identifiers); `hit` says how long to wait, if at all."""

    def __init__(self, storage: Storage, *, refuse_without_storage: bool) -> None:
        self._storage = storage
        self._window = MovingWindowRateLimiter(storage)
        self._refuse = refuse_without_storage
        self._warned_at = -math.inf

    @classmethod
    def build(cls, redis: Redis | None, *, refuse_without_storage: bool) -> Limiter:
        if redis is None:
            return cls(MemoryStorage(), refuse_without_storage=refuse_without_storage)
        storage = RedisStorage(
            "async+redis://",
            implementation="redispy",
            wrap_exceptions=True,
            key_prefix="newsrag:limits",
            # The app's client's pool: one set of connections, closed with the app.
            connection_pool=redis.connection_pool,  # type: ignore[arg-type]
        )
        return cls(storage, refuse_without_storage=refuse_without_storage)

    async def hit(self, rate: RateLimitItem, *identifiers: str) -> int | None:
        """Count one request; None if it is within `rate`, else whole seconds to wait."""
        return await self._check(rate, identifiers, count=True)

    async def wait(self, rate: RateLimitItem, *identifiers: str) -> int | None:
        """Like `hit`, without counting: None if one more is within `rate`."""
        return await self._check(rate, identifiers, count=False)

    async def _check(
        self, rate: RateLimitItem, identifiers: tuple[str, ...], *, count: bool
    ) -> int | None:
        check = self._window.hit if count else self._window.test
        try:
            if await check(rate, *identifiers):
                return None
            stats = await self._window.get_window_stats(rate, *identifiers)
        except StorageError as exc:
            self._storage_failed(exc)
            return None
        return max(1, math.ceil(stats.reset_time - time.time()))

    def _storage_failed(self, exc: StorageError) -> None:
        now = time.monotonic()
        if now - self._warned_at >= _WARN_EVERY_S:
            self._warned_at = now
            LOGGER.warning(
                "rate-limit storage unreachable",
                extra={
                    "fields": {
                        "error": type(exc.storage_error).__name__,
                        "action": "refuse" if self._refuse else "allow",
                    }
                },
            )
        if self._refuse:
            raise Unavailable(
                "Rate limits cannot be checked right now (their store is unreachable); "
                "try again shortly."
            ) from None
