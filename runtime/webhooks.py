"""The webhook endpoints: verify the signature on the raw body, persist, answer fast.

Processing never happens in the request (Shopify wants an answer within 5 s, TikTok within 3 s): the
endpoint only verifies, normalises and stores into the inbox; workers do the rest. The body is read under
the platform's cap (413 beyond it, see `webhook_body`); verifying, parsing and storing run in a worker
thread, so a slow eBay key fetch or a SQLite lock never stalls the event loop. A bad or missing signature
answers 401 with one fixed body whatever went wrong (the reason goes to the audit log and the server log
only: a forger learns nothing about our key fetches) and stores nothing as a message; a signed but
unreadable body (any parser failure, not only the foreseen ones) answers 400 with the reason and is kept
in the audit log; an event we do not handle answers 200 and is logged. Retried deliveries answer 200
again (dedupe). Platform times are clamped to arrival (`Intake.accept(now=...)`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from channels import ebay, meta, shopify, tiktok, walmart
from channels.base import ChannelEvent, PayloadError
from channels.signatures import SignatureError, meta_handshake
from channels.webhook_body import BodyBusy, BodyReader, BodyTooLarge
from runtime.conversations import ConversationStore
from runtime.intake import Intake
from shopdesk.settings import Settings
from tools.clock import Clock

log = logging.getLogger("shopdesk.webhooks")

Verify = Callable[[bytes, Mapping[str, str]], None]
Parse = Callable[[bytes, Mapping[str, str]], list[ChannelEvent]]

UNAUTHORIZED = {"error": "invalid signature"}  # the same for every verification failure, on every platform
DEFAULT_MAX_BODY = 262_144
KEPT_BODY_BYTES = 65_536


def parse_failure(exc: Exception) -> str:
    """The 400's reason for a signed body the parser could not read."""
    if isinstance(exc, PayloadError):
        return exc.reason
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc']) or 'body'}: {first['msg']}"
    return f"unreadable payload ({type(exc).__name__})"


def webhook_router(settings: Settings, intake: Intake, audit: ConversationStore, clock: Clock,
                   ebay_keys: "ebay.EbayKeyCache | None" = None) -> APIRouter:
    router = APIRouter(prefix="/webhooks", tags=["webhooks"])
    reader = BodyReader(large_bytes=settings.webhook_large_body_bytes, slots=settings.webhook_large_body_slots,
                        wait_s=settings.webhook_slot_wait_s)

    def process(platform: str, verify: Verify, parse: Parse, body: bytes, headers: Mapping[str, str]) -> JSONResponse:
        """Verify, parse, store: blocking work, run in a worker thread."""
        actor = f"webhook:{platform}"
        try:
            verify(body, headers)
        except Exception as exc:  # a verifier crash on hostile headers is a failed verification too
            reason, detail = (exc.reason, exc.detail) if isinstance(exc, SignatureError) else \
                ("malformed", f"verifier failed ({type(exc).__name__})")
            if not isinstance(exc, SignatureError):
                log.error("%s webhook verifier raised %s", platform, type(exc).__name__)
            audit.audit(None, actor, "rejected_signature", clock.now(), reason=reason, detail=detail, size=len(body))
            log.warning("%s webhook rejected: %s", platform, reason)
            return JSONResponse(UNAUTHORIZED, status_code=401)
        try:
            events = parse(body, headers)
        except Exception as exc:  # signed, so kept: whatever broke, the delivery is a 400 with a reason
            reason = parse_failure(exc)
            if not isinstance(exc, PayloadError | ValidationError):
                log.error("%s webhook parser raised %s on a signed body", platform, type(exc).__name__)
            audit.audit(None, actor, "rejected_payload", clock.now(), reason=reason, size=len(body),
                        body=body[:KEPT_BODY_BYTES].decode("utf-8", "replace"))
            log.warning("%s webhook malformed: %s", platform, reason)
            return JSONResponse({"error": "malformed payload", "reason": reason}, status_code=400)
        if not events:
            log.info("%s webhook: event not handled, acknowledged", platform)
            return JSONResponse({"ok": True, "ignored": True})
        result = intake.accept(events, now=clock.now())
        return JSONResponse({"ok": True, **result.model_dump(exclude={"inbox_ids"})})

    def handle(platform: str, verify: Verify, parse: Parse) -> Callable[[Request], Any]:
        cap = settings.webhook_max_body_bytes.get(platform, DEFAULT_MAX_BODY)

        async def endpoint(request: Request) -> JSONResponse:
            try:
                async with reader.read(request, cap) as body:
                    return await run_in_threadpool(process, platform, verify, parse, body, request.headers)
            except BodyTooLarge as exc:
                await run_in_threadpool(audit.audit, None, f"webhook:{platform}", "rejected_size", clock.now(),
                                        size=exc.size, limit=cap)
                log.warning("%s webhook refused: body over %d bytes", platform, cap)
                return JSONResponse({"error": "body too large", "limit_bytes": cap}, status_code=413,
                                    headers={"Connection": "close"})
            except BodyBusy:
                log.warning("%s webhook deferred: every large-body slot is taken", platform)
                return JSONResponse({"error": "busy, retry later"}, status_code=503,
                                    headers={"Retry-After": "5", "Connection": "close"})
            except ClientDisconnect:
                return JSONResponse({"error": "client disconnected"}, status_code=400)

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
