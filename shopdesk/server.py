"""The HTTP app of `shopdesk serve`: health, the webhook endpoints, and (issue 6) the console at `/`.

`/health` is public and says only that the process answers (for load balancers and uptime checks).
What is inside (queue counts, workers, configured channels) helps an attacker map the deployment, so
`/health/details` needs `Authorization: Bearer $SHOPDESK_HEALTH_TOKEN` and does not exist while no token is
set. The OpenAPI schema and `/api/docs` are served only with SHOPDESK_API_DOCS=true (development).
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import FastAPI, HTTPException, Request

from channels.ebay.webhook import EbayKeyCache, EbayWebhook
from channels.meta.webhook import MetaWebhook
from channels.shopify.webhook import ShopifyWebhook
from channels.tiktok.webhook import TikTokWebhook
from channels.walmart.webhook import WalmartWebhook
from runtime.webhooks import webhook_router
from shopdesk.channel_configs import webhook_limits
from shopdesk.service import Service


def build_app(service: Service, *, ebay_keys: EbayKeyCache | None = None) -> FastAPI:
    """An app over a started `Service` (the caller owns its lifecycle); builds the webhook table, one
    `WebhookVerifier` per platform from the channels' configs."""
    docs = service.settings.api_docs
    app = FastAPI(title="shopdesk", docs_url="/api/docs" if docs else None, redoc_url=None,
                  openapi_url="/api/openapi.json" if docs else None)
    configs = service.channels
    if ebay_keys is None:
        token = configs.ebay.access_token
        ebay_keys = EbayKeyCache(service.http, configs.ebay.api_url, clock=service.clock,
                                 token=token.get_secret_value() if token else None)
    meta, ebay = MetaWebhook(configs.meta), EbayWebhook(configs.ebay, ebay_keys)
    webhooks = {"shopify": ShopifyWebhook(configs.shopify), "tiktok": TikTokWebhook(configs.tiktok), "meta": meta,
                "walmart": WalmartWebhook(configs.walmart), "ebay": ebay}
    app.include_router(webhook_router(webhooks, webhook_limits(service.settings), service.intake,
                                      service.conversations, service.clock, meta_handshake=meta.handshake,
                                      ebay_challenge_response=ebay.challenge))

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/health/details")
    def health_details(request: Request) -> dict[str, Any]:
        _require_health_token(service, request)
        return {
            "status": "ok",
            "inbox": service.inbox.counts(),
            "outbox": service.outbox.counts(),
            "workers": service.worker_count,
            "channels": sorted(service.senders),
        }

    return app


def _require_health_token(service: Service, request: Request) -> None:
    expected = service.settings.health_token
    if expected is None or not expected.get_secret_value():
        raise HTTPException(status_code=404, detail="Not Found")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                             expected.get_secret_value().encode()):
        raise HTTPException(status_code=401, detail="health details need the bearer token",
                            headers={"WWW-Authenticate": "Bearer"})
