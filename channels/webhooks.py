"""The webhook endpoints: verify the signature on the raw body, persist, answer fast.

Processing never happens in the request (Shopify wants an answer within 5 s, TikTok within 3 s): the
endpoint only verifies, normalises and stores into the inbox; workers do the rest. A bad or missing
signature answers 401 and stores nothing as a message (an audit row records the rejection, without the
unverified body); a signed but unreadable body answers 400 with the reason and is kept in the audit log;
an event we do not handle answers 200 and is logged. Retried deliveries answer 200 again (dedupe).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from agent.conversations import ConversationStore
from channels import ebay, meta, shopify, tiktok, walmart
from channels.base import ChannelEvent, PayloadError
from channels.intake import Intake
from channels.signatures import SignatureError, meta_handshake
from shopdesk.settings import Settings
from tools.clock import Clock

log = logging.getLogger("shopdesk.webhooks")

Verify = Callable[[bytes, Mapping[str, str]], None]
Parse = Callable[[bytes, Mapping[str, str]], list[ChannelEvent]]


def webhook_router(settings: Settings, intake: Intake, audit: ConversationStore, clock: Clock,
                   ebay_keys: "ebay.EbayKeyCache | None" = None) -> APIRouter:
    router = APIRouter(prefix="/webhooks", tags=["webhooks"])

    def handle(platform: str, verify: Verify, parse: Parse) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> JSONResponse:
            body = await request.body()
            headers = request.headers
            try:
                verify(body, headers)
            except SignatureError as exc:
                audit.audit(None, f"webhook:{platform}", "rejected_signature", clock.now(), reason=exc.reason,
                            detail=exc.detail, size=len(body))
                log.warning("%s webhook rejected: %s", platform, exc.reason)
                return JSONResponse({"error": "invalid signature", "reason": exc.reason, "detail": exc.detail},
                                    status_code=401)
            try:
                events = parse(body, headers)
            except PayloadError as exc:
                audit.audit(None, f"webhook:{platform}", "rejected_payload", clock.now(), reason=exc.reason,
                            body=body[:65536].decode("utf-8", "replace"))
                log.warning("%s webhook malformed: %s", platform, exc.reason)
                return JSONResponse({"error": "malformed payload", "reason": exc.reason}, status_code=400)
            if not events:
                log.info("%s webhook: event not handled, acknowledged", platform)
                return JSONResponse({"ok": True, "ignored": True})
            result = intake.accept(events)
            return JSONResponse({"ok": True, **result.model_dump(exclude={"inbox_ids"})})

        endpoint.__name__ = f"{platform}_webhook"
        return endpoint

    router.add_api_route("/shopify", handle("shopify", lambda b, h: shopify.verify_webhook(b, h, settings),
                                            shopify.parse_webhook), methods=["POST"])
    router.add_api_route("/tiktok", handle("tiktok", lambda b, h: tiktok.verify_webhook(b, h, settings),
                                           tiktok.parse_webhook), methods=["POST"])
    router.add_api_route("/meta", handle("meta", lambda b, h: meta.verify_webhook(b, h, settings),
                                         meta.parse_webhook), methods=["POST"])
    router.add_api_route("/walmart", handle("walmart", lambda b, h: walmart.verify_webhook(b, h, settings),
                                            walmart.parse_webhook), methods=["POST"])

    def verify_ebay(body: bytes, headers: Mapping[str, str]) -> None:
        if ebay_keys is None:
            raise SignatureError("not_configured", "no eBay public key source")
        ebay.verify_webhook(body, headers, settings, ebay_keys)

    def parse_ebay(body: bytes, headers: Mapping[str, str]) -> list[ChannelEvent]:
        return ebay.parse_webhook(body, headers, seller_username=settings.ebay_seller_username)

    router.add_api_route("/ebay", handle("ebay", verify_ebay, parse_ebay), methods=["POST"])

    @router.get("/meta")
    def meta_subscribe(request: Request) -> PlainTextResponse:
        token = settings.meta_verify_token.get_secret_value() if settings.meta_verify_token else None
        try:
            return PlainTextResponse(meta_handshake(dict(request.query_params), token))
        except SignatureError as exc:
            return PlainTextResponse(f"verification failed: {exc.reason}", status_code=403)

    @router.get("/ebay")
    def ebay_challenge(request: Request) -> JSONResponse:
        code = request.query_params.get("challenge_code")
        token = settings.ebay_verification_token.get_secret_value() if settings.ebay_verification_token else None
        if not code or not token:
            return JSONResponse({"error": "challenge_code and a configured verification token are required"},
                                status_code=400)
        endpoint = str(request.url.replace(query=""))
        return JSONResponse({"challengeResponse": ebay.challenge_response(code, token, endpoint)})

    return router
