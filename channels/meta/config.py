"""Meta's settings (Messenger and Instagram), as the composition root hands them over
(shopdesk/channel_configs.py).

The webhook check and the Send API client read this and nothing else, so channels/ never imports the
application's Settings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, SecretStr


class MetaConfig(BaseModel):
    """The app secret (X-Hub-Signature-256) and subscription token (webhooks), the Graph URL, Page token and
    Page id (the Send API)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    app_secret: SecretStr | None = None
    verify_token: SecretStr | None = None
    graph_url: str
    page_token: SecretStr | None = None
    page_id: str | None = None
