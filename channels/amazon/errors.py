"""The error every SP-API call and order mapping raises (its own module: client and mapping both need it)."""

from __future__ import annotations

from channels.base import PlatformApiError


class AmazonApiError(PlatformApiError):
    """An SP-API or LWA call failed; `retryable` for timeouts, 429 and 5xx."""

    code = "amazon_api_error"
