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

Each platform is reached through its `WebhookVerifier` (channels/base.py), from the table the composition
root builds (shopdesk/server.py); this module knows no platform's signature or payload.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from channels.base import PayloadError, WebhookVerifier
from channels.signatures import SignatureError
from channels.webhook_body import BodyBusy, BodyReader, BodyTooLarge
from runtime.conversations import ConversationStore
from runtime.intake import Intake
from tools.clock import Clock

log = logging.getLogger("shopdesk.webhooks")

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


class WebhookLimits(BaseModel):
    """How much the endpoints read: a body cap per platform (413 beyond it, `DEFAULT_MAX_BODY` for one not
    named) and the slots that bound how many large bodies are read at the same time."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_body_bytes: dict[str, int]
    large_body_bytes: int
    large_body_slots: int
    slot_wait_s: float


def webhook_router(webhooks: Mapping[str, WebhookVerifier], limits: WebhookLimits, intake: Intake,
                   audit: ConversationStore, clock: Clock, *, meta_handshake: Callable[[Mapping[str, str]], str],
                   ebay_challenge_response: Callable[[str, str], str | None]) -> APIRouter:
    """POST /webhooks/{platform} for every platform in `webhooks`, plus the two subscription checks:
    GET /webhooks/meta (`meta_handshake` answers hub.challenge or raises SignatureError) and GET /webhooks/ebay
    (`ebay_challenge_response(code, endpoint_url)`, None while no verification token is set)."""
    router = APIRouter(prefix="/webhooks", tags=["webhooks"])
    reader = BodyReader(large_bytes=limits.large_body_bytes, slots=limits.large_body_slots,
                        wait_s=limits.slot_wait_s)

    def process(platform: str, webhook: WebhookVerifier, body: bytes, headers: Mapping[str, str]) -> JSONResponse:
        """Verify, parse, store: blocking work, run in a worker thread."""
        actor = f"webhook:{platform}"
        try:
            webhook.verify(body, headers)
        except Exception as exc:  # a verifier crash on hostile headers is a failed verification too
            reason, detail = (exc.reason, exc.detail) if isinstance(exc, SignatureError) else \
                ("malformed", f"verifier failed ({type(exc).__name__})")
            if not isinstance(exc, SignatureError):
                log.error("%s webhook verifier raised %s", platform, type(exc).__name__)
            audit.audit(None, actor, "rejected_signature", clock.now(), reason=reason, detail=detail, size=len(body))
            log.warning("%s webhook rejected: %s", platform, reason)
            return JSONResponse(UNAUTHORIZED, status_code=401)
        try:
            events = webhook.parse(body, headers)
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

    def handle(platform: str, webhook: WebhookVerifier) -> Callable[[Request], Any]:
        cap = limits.max_body_bytes.get(platform, DEFAULT_MAX_BODY)

        async def endpoint(request: Request) -> JSONResponse:
            try:
                async with reader.read(request, cap) as body:
                    return await run_in_threadpool(process, platform, webhook, body, request.headers)
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

    for platform, webhook in webhooks.items():
        router.add_api_route(f"/{platform}", handle(platform, webhook), methods=["POST"])

    @router.get("/meta")
    def meta_subscribe(request: Request) -> PlainTextResponse:
        try:
            return PlainTextResponse(meta_handshake(dict(request.query_params)))
        except SignatureError as exc:
            return PlainTextResponse(f"verification failed: {exc.reason}", status_code=403)

    @router.get("/ebay")
    def ebay_challenge(request: Request) -> JSONResponse:
        code = request.query_params.get("challenge_code")
        answer = ebay_challenge_response(code, str(request.url.replace(query=""))) if code else None
        if answer is None:
            return JSONResponse({"error": "challenge_code and a configured verification token are required"},
                                status_code=400)
        return JSONResponse({"challengeResponse": answer})

    return router
