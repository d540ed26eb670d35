"""eBay's settings, as the composition root hands them over (shopdesk/channel_configs.py).

The webhook check and the API client read this and nothing else, so channels/ never imports the
application's Settings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, SecretStr


class EbayConfig(BaseModel):
    """The REST base URL and OAuth user token, the endpoint-challenge token, and our own username (its
    messages are echoes of our replies)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    api_url: str
    access_token: SecretStr | None = None
    verification_token: SecretStr | None = None
    seller_username: str | None = None
