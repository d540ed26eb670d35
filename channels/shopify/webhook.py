"""Shopify webhooks: the X-Shopify-Hmac-Sha256 check and order, fulfillment, refund and return topics ->
ContextEvents.

Customer MESSAGES do not come from here: Shopify's Inbox API is invite-only, so chat/email reach the store's
mailbox (the email channel). Webhooks are verified with base64 HMAC-SHA256 of the raw body and deduplicated on
X-Shopify-Webhook-Id; they only ever yield ContextEvents.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from channels.base import ChannelEvent, ContextEvent, PayloadError
from channels.payload import load_json
from channels.shopify.config import ShopifyConfig
from channels.shopify.mapping import when
from channels.signatures import verify_shopify

TOPICS: dict[str, str] = {
    "orders/create": "order", "orders/updated": "order", "orders/cancelled": "order", "orders/fulfilled": "order",
    "fulfillments/create": "fulfillment", "fulfillments/update": "fulfillment", "refunds/create": "refund",
    "returns/request": "return", "returns/approve": "return", "returns/close": "return",
}


def verify_webhook(body: bytes, headers: Mapping[str, str], config: ShopifyConfig) -> None:
    secret = config.webhook_secret.get_secret_value() if config.webhook_secret else None
    verify_shopify(body, {k.lower(): v for k, v in headers.items()}.get("x-shopify-hmac-sha256"), secret)


def parse_webhook(body: bytes, headers: Mapping[str, str]) -> list[ContextEvent]:
    """One ContextEvent for a handled topic, [] for others. order_id is the order name ('#1234') where the
    payload carries it; refunds/create only has the numeric order id (data['order_ref'])."""
    h = {k.lower(): v for k, v in headers.items()}
    topic, delivery = h.get("x-shopify-topic", "").strip(), h.get("x-shopify-webhook-id", "").strip()
    if not topic or not delivery:
        raise PayloadError("X-Shopify-Topic and X-Shopify-Webhook-Id headers are required")
    kind = TOPICS.get(topic)
    if kind is None:
        return []
    p = load_json(body, f"{topic} body")
    if not isinstance(p, dict) or "id" not in p:
        raise PayloadError(f"{topic} payload must be an object with an id")
    data = {"event_id": h.get("x-shopify-event-id", ""), "shop_domain": h.get("x-shopify-shop-domain", ""),
            "api_version": h.get("x-shopify-api-version", ""), "id": str(p["id"])}
    name = str(p.get("name") or "")
    if kind == "order":
        if not name.startswith("#"):
            raise PayloadError("order payload lacks its name")
        order_id, fin, ful = name, str(p.get("financial_status") or ""), str(p.get("fulfillment_status") or "unfulfilled")
        status = "CANCELLED" if p.get("cancelled_at") else f"{fin}/{ful}".upper()
        data |= {"order_ref": str(p["id"]), "financial_status": fin, "fulfillment_status": ful}
    elif kind == "fulfillment":
        order_id = name.split(".")[0] if name.startswith("#") else None
        status = p.get("shipment_status") or p.get("status")
        data |= {"order_ref": str(p.get("order_id", "")), "tracking_company": str(p.get("tracking_company") or ""),
                 "tracking_number": str(p.get("tracking_number") or "")}
    elif kind == "refund":
        order_id, status = None, "refunded"
        amount = sum((_amount_of(t) for t in _objects(p.get("transactions"))
                      if t.get("kind") == "refund" and t.get("status", "success") == "success"), Decimal(0))
        data |= {"order_ref": str(p.get("order_id", "")), "amount": f"{amount:.2f}", "note": str(p.get("note") or "")}
    else:
        order = p.get("order") if isinstance(p.get("order"), dict) else {}
        order_id = str(order.get("name") or "") or (name.rsplit("-R", 1)[0] if name.startswith("#") else None)
        status = p.get("status")
        data |= {"order_ref": str(order.get("id", "")), "return_name": name}
    at = when(h.get("x-shopify-triggered-at") or p.get("updated_at") or p.get("created_at")) or datetime.now(UTC)
    return [ContextEvent(platform="shopify", delivery_id=delivery, kind=kind, topic=topic,  # type: ignore[arg-type]
                         order_id=order_id, status=str(status) if status else None, received_at=at, data=data)]


def _objects(value: Any) -> list[dict[str, Any]]:
    """The objects of a JSON list (anything else in a signed body is ignored, not a crash)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _amount_of(transaction: dict[str, Any]) -> Decimal:
    try:
        amount = Decimal(str(transaction.get("amount", "0")))
    except ArithmeticError:  # decimal.InvalidOperation
        raise PayloadError("refund transaction amount is not a number") from None
    if not amount.is_finite() or abs(amount) >= 10**12:
        raise PayloadError("refund transaction amount is out of range")
    return amount


class ShopifyWebhook:
    """The `WebhookVerifier` the /webhooks/shopify endpoint calls."""

    def __init__(self, config: ShopifyConfig) -> None:
        self._config = config

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        verify_webhook(body, headers, self._config)

    def parse(self, body: bytes, headers: Mapping[str, str]) -> list[ChannelEvent]:
        return list(parse_webhook(body, headers))
