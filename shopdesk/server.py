"""The HTTP app of `shopdesk serve`: health, the webhook endpoints, and (issue 6) the console at `/`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from channels.webhooks import webhook_router
from shopdesk.service import Service


def build_app(service: Service, *, ebay_keys: Any | None = None) -> FastAPI:
    """An app over a started `Service` (the caller owns its lifecycle)."""
    app = FastAPI(title="shopdesk", docs_url="/api/docs", redoc_url=None, openapi_url="/api/openapi.json")
    if ebay_keys is None:
        from channels.ebay import EbayKeyCache

        token = service.settings.ebay_access_token
        ebay_keys = EbayKeyCache(service.http, service.settings.ebay_api_url, clock=service.clock,
                                 token=token.get_secret_value() if token else None)
    app.include_router(webhook_router(service.settings, service.intake, service.conversations, service.clock,
                                      ebay_keys))

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {
            "ok": True,
            "inbox": service.inbox.counts(),
            "outbox": service.outbox.counts(),
            "workers": service.worker_count,
            "channels": sorted(service.senders),
        }

    return app
