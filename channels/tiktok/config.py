"""TikTok Shop's settings, as the composition root hands them over (shopdesk/channel_configs.py).

The webhook check and the API client read this and nothing else, so channels/ never imports the
application's Settings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, SecretStr


class TikTokConfig(BaseModel):
    """The app key and secret (request signatures, webhook checks), the seller's token and shop cipher."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    app_key: str | None = None
    app_secret: SecretStr | None = None
    access_token: SecretStr | None = None
    shop_cipher: str | None = None
    api_url: str
