"""Walmart webhooks: the delivery check (basic, HMAC or OAuth, as set in Seller Center) and the order event
notifications (PO_CREATED, PO_LINE_AUTOCANCELLED) -> ContextEvents."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from channels.base import ChannelEvent, ContextEvent, PayloadError
from channels.payload import load_json, utc_from_iso, utc_from_unix
from channels.signatures import SignatureError
from channels.walmart.config import WalmartConfig
from channels.walmart.mapping import listed

# platforms.md: Walmart's HMAC delivery auth exists but its exact header and string are unconfirmed [U].
# We expect hex(HMAC-SHA256(secret, raw body)) in this header; change it here when confirmed.
WEBHOOK_SIGNATURE_HEADER = "WM_SEC.SIGNATURE"
EVENT_STATUS = {"PO_CREATED": "Created", "PO_LINE_AUTOCANCELLED": "Cancelled"}  # the events we handle


def verify_webhook(body: bytes, headers: Mapping[str, str], config: WalmartConfig) -> None:
    """Check a delivery the way config.webhook_auth says Seller Center signs it.

    basic: Authorization: Basic base64("user:password") equal to the secret; hmac: hex HMAC-SHA256 of the
    raw body under the secret in WEBHOOK_SIGNATURE_HEADER; oauth: Authorization: Bearer <secret>."""
    mode, stored = config.webhook_auth, config.webhook_secret
    secret = stored.get_secret_value() if stored else ""
    if mode is None or not secret:
        raise SignatureError("not_configured", "SHOPDESK_WALMART_WEBHOOK_AUTH and _WEBHOOK_SECRET must be set")
    lowered = {k.lower(): v for k, v in headers.items()}
    if mode == "hmac":
        given = (lowered.get(WEBHOOK_SIGNATURE_HEADER.lower()) or "").strip().lower()
        if not given:
            raise SignatureError("missing", f"no {WEBHOOK_SIGNATURE_HEADER} header")
        if not re.fullmatch(r"[0-9a-f]{64}", given):
            raise SignatureError("malformed", f"{WEBHOOK_SIGNATURE_HEADER} must be 64 hex digits")
        if not hmac.compare_digest(given, hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()):
            raise SignatureError("mismatch", "Walmart HMAC does not match the body")
        return
    scheme, _, value = (lowered.get("authorization") or "").strip().partition(" ")
    if not scheme:
        raise SignatureError("missing", "no Authorization header")
    expected_scheme = "basic" if mode == "basic" else "bearer"
    if scheme.lower() != expected_scheme or not value.strip():
        raise SignatureError("malformed", f"Authorization must be '{expected_scheme.title()} <credentials>'")
    if mode == "basic":
        try:
            given_bytes = base64.b64decode(value.strip(), validate=True)
        except ValueError:
            raise SignatureError("malformed", "Basic credentials are not base64") from None
    else:
        given_bytes = value.strip().encode()
    if not hmac.compare_digest(given_bytes, secret.encode()):
        raise SignatureError("mismatch", f"Walmart {mode} credentials do not match")


def parse_webhook(body: bytes, headers: Mapping[str, str]) -> list[ChannelEvent]:
    """{"source": {"eventType", "eventId", "eventTime"}, "payload": {"purchaseOrderId", ...}} -> a ContextEvent."""
    try:
        data = load_json(body, "Walmart webhook body")
    except PayloadError as exc:
        raise PayloadError(f"invalid_json: {exc.reason}") from None
    source = data.get("source") if isinstance(data, dict) else None
    if not isinstance(source, dict) or not isinstance(source.get("eventType"), str) or not source["eventType"]:
        raise PayloadError("missing source.eventType")
    topic = source["eventType"]
    if topic not in EVENT_STATUS:
        return []
    event_id, payload = source.get("eventId"), data.get("payload")
    if not isinstance(event_id, str) or not event_id:
        raise PayloadError("missing source.eventId")
    if not isinstance(payload, dict) or not isinstance(payload.get("purchaseOrderId"), (str, int)):
        raise PayloadError("missing payload.purchaseOrderId")
    if "eventTime" not in source:
        raise PayloadError("missing source.eventTime")
    at = _event_time(source["eventTime"])
    extra = {"customerOrderId": str(payload["customerOrderId"])} if payload.get("customerOrderId") else {}
    lines = [str(line.get("lineNumber")) for line in listed(payload.get("orderLines"), "orderLine")
             if isinstance(line, dict) and line.get("lineNumber") is not None]
    if lines:
        extra["lineNumbers"] = ",".join(lines)
    return [ContextEvent(platform="walmart", delivery_id=event_id, kind="order", topic=topic,
                         order_id=str(payload["purchaseOrderId"]), status=EVENT_STATUS[topic], received_at=at,
                         data=extra)]


def _event_time(value: Any) -> datetime:
    """A webhook's eventTime: epoch milliseconds or ISO 8601; PayloadError when unreadable or out of range."""
    if isinstance(value, int | float) and not isinstance(value, bool) or isinstance(value, str) and value.isdigit():
        return utc_from_unix(value, "source.eventTime", millis=True)
    return utc_from_iso(value, "source.eventTime")


class WalmartWebhook:
    """The `WebhookVerifier` the /webhooks/walmart endpoint calls."""

    def __init__(self, config: WalmartConfig) -> None:
        self._config = config

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        verify_webhook(body, headers, self._config)

    def parse(self, body: bytes, headers: Mapping[str, str]) -> list[ChannelEvent]:
        return parse_webhook(body, headers)
