"""The chat's per-client rate limit, on the `limits` library: a moving window per client address,
counted in this process's memory, or in Redis when ALGORITMEWIJZER_REDIS_URL is set (then one
client's limit holds across every replica). Only request times per address are kept."""

from __future__ import annotations

import math
import time

from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

WINDOW_SECONDS = 60
NAMESPACE = "algoritmewijzer-chat"


class RateLimiter:
    """At most `limit` requests per `window` seconds per key. `limit <= 0` disables it."""

    def __init__(self, limit: int, window: int = WINDOW_SECONDS, redis_url: str | None = None):
        self.limit = int(limit)
        self.item = RateLimitItemPerSecond(max(1, self.limit), int(window))
        self.storage = storage_from_string(redis_url if redis_url else "memory://")
        self.strategy = MovingWindowRateLimiter(self.storage)

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    def hit(self, key: str) -> tuple[bool, int]:
        """Count one request for `key`. Returns (allowed, retry_after_seconds); a refused request
        is not counted, so a client that waits `retry_after` seconds gets through."""
        if not self.enabled:
            return True, 0
        if self.strategy.hit(self.item, NAMESPACE, key):
            return True, 0
        stats = self.strategy.get_window_stats(self.item, NAMESPACE, key)
        return False, max(1, math.ceil(stats.reset_time - time.time()))
