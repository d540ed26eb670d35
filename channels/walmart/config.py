"""Walmart's settings, as the composition root hands them over (shopdesk/channel_configs.py).

The webhook check and the v3 API client read this and nothing else, so channels/ never imports the
application's Settings."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, SecretStr


class WalmartConfig(BaseModel):
    """The v3 API's URL and client credentials, and how Seller Center authenticates webhook deliveries
    (basic: 'user:password'; hmac: the shared secret; oauth: the bearer token)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    api_url: str
    client_id: str | None = None
    client_secret: SecretStr | None = None
    webhook_auth: Literal["basic", "hmac", "oauth"] | None = None
    webhook_secret: SecretStr | None = None
