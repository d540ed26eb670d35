"""Amazon SP-API's settings, as the composition root hands them over (shopdesk/channel_configs.py).

The API client reads this and nothing else, so channels/ never imports the application's Settings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, SecretStr


class AmazonConfig(BaseModel):
    """SP-API's regional URL, the Login-with-Amazon token URL and the seller's LWA app credentials."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    api_url: str
    lwa_url: str
    client_id: str | None = None
    client_secret: SecretStr | None = None
    refresh_token: SecretStr | None = None
