"""An access token reused until shortly before it expires, refreshed once for all concurrent callers."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from tools.clock import Clock, SystemClock


class CachedToken:
    """Subclasses implement `_fetch(now) -> (token, expires_at)`; one lock around check-and-refresh, so
    concurrent callers wait for a single refresh instead of each spending a token request."""

    MARGIN = timedelta(seconds=60)

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires: datetime | None = None

    def get(self) -> str:
        with self._lock:
            now = self._clock.now()
            if self._token is None or self._expires is None or now >= self._expires - self.MARGIN:
                self._token, self._expires = self._fetch(now)
            return self._token

    def invalidate(self) -> None:
        """Forget the cached token (the API said it is expired or revoked)."""
        with self._lock:
            self._token = None

    def _fetch(self, now: datetime) -> tuple[str, datetime]:
        raise NotImplementedError
