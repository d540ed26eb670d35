"""The error every Walmart call and record mapping raises (its own module: client and mapping both need it)."""

from __future__ import annotations

from channels.base import PlatformApiError


class WalmartApiError(PlatformApiError):
    """A Walmart API call failed; `retryable` for timeouts, 429 and 5xx."""

    code = "walmart_api_error"
