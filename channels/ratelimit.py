"""Client-side throttling: a token bucket per API operation, and reading a server's "slow down" headers.

Marketplaces publish a rate and a burst per operation (SP-API getOrder: 0.5 requests/s, burst 30) and
answer 429 when a caller exceeds them. Waiting on our side first is cheaper than being throttled, and
a 429 still tells us how long to back off (`Retry-After`) or what the real rate is
(`x-amzn-RateLimit-Limit`). The clock and the sleep are injected so tests run in no time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


class Throttled(Exception):
    """Waiting for a token would take longer than the caller accepts; try again in `retry_after_s`."""

    def __init__(self, retry_after_s: float) -> None:
        super().__init__(f"rate limited; next slot in {retry_after_s:.1f}s")
        self.retry_after_s = retry_after_s


class TokenBucket:
    """`rate` tokens per second refill a bucket of `burst`; each request takes one.

    Thread-safe: a caller reserves its token under the lock (the level may go below zero, which is
    the queue of callers already waiting) and sleeps outside it, so concurrent callers are spaced
    1/rate apart instead of all waking at once.
    """

    def __init__(self, rate: float, burst: int, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self._rate, self.burst = float(rate), burst
        self._clock, self._sleep = clock, sleep
        self._level = float(burst)
        self._at = clock()
        self._lock = threading.Lock()

    @property
    def rate(self) -> float:
        return self._rate

    def _refill(self) -> None:
        now = self._clock()
        self._level = min(float(self.burst), self._level + max(0.0, now - self._at) * self._rate)
        self._at = now

    def try_acquire(self) -> bool:
        """Take a token if one is there now (servers use this to decide on a 429)."""
        with self._lock:
            self._refill()
            if self._level >= 1:
                self._level -= 1
                return True
            return False

    def acquire(self, *, max_wait_s: float | None = None) -> float:
        """Take a token, sleeping until it is due; returns the seconds waited.

        Raises `Throttled` without taking anything when the wait would exceed `max_wait_s`."""
        with self._lock:
            self._refill()
            wait = 0.0 if self._level >= 1 else (1 - self._level) / self._rate
            if max_wait_s is not None and wait > max_wait_s:
                raise Throttled(wait)
            self._level -= 1
        if wait > 0:
            self._sleep(wait)
        return wait

    def wait_time(self) -> float:
        """Seconds until a token is free (0 if one is free now)."""
        with self._lock:
            self._refill()
            return 0.0 if self._level >= 1 else (1 - self._level) / self._rate

    def set_rate(self, rate: float) -> None:
        """Adopt the rate the server says applies to us (e.g. x-amzn-RateLimit-Limit)."""
        if rate > 0:
            with self._lock:
                self._refill()
                self._rate = float(rate)

    def drain(self, hold_s: float = 0.0) -> None:
        """The server throttled us: empty the bucket, and keep it empty for `hold_s` more seconds."""
        with self._lock:
            self._refill()
            self._level = min(self._level, 0.0) - max(0.0, hold_s) * self._rate


def retry_after_s(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """Seconds to wait from `Retry-After` (delta-seconds or an HTTP date); None when absent or unreadable."""
    value = _get(headers, "retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def header_rate(headers: Mapping[str, str], name: str = "x-amzn-ratelimit-limit") -> float | None:
    """A requests-per-second header such as SP-API's x-amzn-RateLimit-Limit ("0.5"); None if absent or bad."""
    value = _get(headers, name)
    try:
        rate = float(value) if value is not None else None
    except ValueError:
        return None
    return rate if rate and rate > 0 else None


def _get(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return value
