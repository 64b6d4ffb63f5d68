"""Request pacing: a start-spacing limiter, and one limiter per site (host) for crawlers."""

from __future__ import annotations

import threading
import time
from urllib.parse import urlparse


class RateLimiter:
    """Spaces request starts at least ``1 / rate_per_s`` seconds apart, across threads."""

    def __init__(self, rate_per_s: float) -> None:
        """A limiter allowing ``rate_per_s`` starts per second (<= 0 means unlimited)."""
        self._interval_s = 1.0 / rate_per_s if rate_per_s > 0 else 0.0
        self._next_s = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until the next request may start."""
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next_s)
            self._next_s = start + self._interval_s
        if start > now:
            time.sleep(start - now)


class SiteRateLimiter:
    """One :class:`RateLimiter` per host: requests to one site are paced, sites do not wait
    for each other."""

    def __init__(self, rate_per_s: float) -> None:
        """Allow ``rate_per_s`` request starts per second to each host (<= 0: unlimited)."""
        self._rate_per_s = rate_per_s
        self._limiters: dict[str, RateLimiter] = {}
        self._lock = threading.Lock()

    def wait(self, url: str) -> None:
        """Block until a request to ``url``'s host may start."""
        host = (urlparse(url).hostname or "").lower()
        with self._lock:
            limiter = self._limiters.setdefault(host, RateLimiter(self._rate_per_s))
        limiter.wait()
