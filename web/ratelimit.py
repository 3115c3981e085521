"""A sliding-window rate limiter keyed by client address.

The limiter lives in the memory of one API process. That is a deliberate, documented trade-off:
it holds no conversation or user content (only the times of recent requests per address), and
with N API processes behind a load balancer a client gets at most N times the limit. A shared
limiter (Redis, or the reverse proxy's own) is the step up when that matters."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

WINDOW_SECONDS = 60.0
SWEEP_EVERY = 1024  # requests between sweeps of idle clients, so memory stays bounded


class SlidingWindowLimiter:
    """At most `limit` requests per `window` seconds per key. `limit <= 0` disables the limiter."""

    def __init__(self, limit: int, window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.limit = int(limit)
        self.window = float(window)
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._since_sweep = 0

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    def hit(self, key: str) -> tuple[bool, int]:
        """Count one request for `key`. Returns (allowed, retry_after_seconds); a refused
        request is not counted, so a client that waits `retry_after` seconds gets through."""
        if not self.enabled:
            return True, 0
        now = self.clock()
        horizon = now - self.window
        with self._lock:
            self._since_sweep += 1
            if self._since_sweep >= SWEEP_EVERY:
                self._sweep(horizon)
            times = self._hits.setdefault(key, deque())
            while times and times[0] <= horizon:
                times.popleft()
            if len(times) >= self.limit:
                retry = max(1, math.ceil(times[0] + self.window - now))
                return False, retry
            times.append(now)
            return True, 0

    def _sweep(self, horizon: float) -> None:
        self._since_sweep = 0
        for key in [k for k, times in self._hits.items() if not times or times[-1] <= horizon]:
            del self._hits[key]

    def __len__(self) -> int:
        return len(self._hits)
