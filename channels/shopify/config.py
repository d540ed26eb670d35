"""Shopify's settings, as the composition root hands them over (shopdesk/channel_configs.py).

The webhook check and the Admin API client read this and nothing else, so channels/ never imports the
application's Settings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, SecretStr


class ShopifyConfig(BaseModel):
    """The webhook secret (X-Shopify-Hmac-Sha256) and the Admin API's URL and access token."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    webhook_secret: SecretStr | None = None
    api_url: str | None = None
    access_token: SecretStr | None = None
