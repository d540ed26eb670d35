"""eBay's API client: Message API replies, Fulfillment orders and Post-Order returns."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx

from channels import http_calls
from channels.attachments import AttachmentFetchError, fetch_media
from channels.base import Attachment, SendError, SendReceipt
from channels.ebay.config import EbayConfig
from channels.ebay.mapping import (
    EbayConversation,
    EbayReturn,
    day,
    money,
    order_status,
    to_conversation,
    to_return,
    to_shipment,
    when,
)
from channels.http_calls import ApiCallError, CallPolicy
from tools.errors import NotFoundError
from tools.models import Address, LineItem, Order, PaymentMethod
from tools.policy.loader import policy_for


def max_message_chars() -> int:
    """The longest message eBay takes: read from the eBay policy file (`messaging.max_chars`, the limit the
    reply checks enforce too) when a message is sent, so the two cannot drift and nothing loads at import."""
    return policy_for("ebay").messaging.max_chars


class EbayApiError(SendError):
    """An eBay API call failed; `retryable` as for sends (timeouts, 429, 5xx), `status_code` if HTTP said so."""

    def __init__(self, reason: str, *, retryable: bool, retry_after_s: float | None = None,
                 status_code: int | None = None) -> None:
        super().__init__(reason, retryable=retryable, retry_after_s=retry_after_s)
        self.status_code = status_code



def _error_text(resp: httpx.Response) -> str:
    """eBay's first error message (REST `errors[]` or Post-Order `errorMessage.error[]`), never the whole body."""
    try:
        body = resp.json()
        errors = body.get("errors") or (body.get("errorMessage") or {}).get("error") or []
        return str(errors[0].get("message") or errors[0].get("errorId"))[:200]
    except (ValueError, AttributeError, IndexError, TypeError):
        return resp.reason_phrase


# One try per call: a failed send goes back to the outbox, a failed read to its caller, both with the wait.
_POLICY = CallPolicy(max_attempts=1, default_wait_s=None)


def _call(http: httpx.Client, method: str, url: str, headers: dict[str, str], **kw: Any) -> httpx.Response:
    """One REST / Post-Order call (channels.http_calls); failures become `EbayApiError`."""
    try:
        return http_calls.call(lambda: http.request(method, url, headers=headers, **kw), method=method,
                               policy=_POLICY)
    except ApiCallError as exc:
        raise _call_error(exc) from None


def _call_error(exc: ApiCallError) -> EbayApiError:
    if exc.kind == "timeout":
        return EbayApiError("timeout: eBay did not answer in time", retryable=True)
    if exc.kind == "http" and exc.response is not None:
        return EbayApiError(f"HTTP {exc.status}: {_error_text(exc.response)}", retryable=exc.retryable,
                            retry_after_s=exc.retry_after_s, status_code=exc.status)
    return EbayApiError(f"network: {exc.cause or exc.message}", retryable=True)


class EbayClient:
    """Message API replies (<= 2000 chars) plus Fulfillment orders and Post-Order returns.

    Auth: `Authorization: Bearer <OAuth user token>` on REST, `IAF <token>` on the Post-Order API.
    `resolve_customer` maps a buyer username to the store's customer id (default: the username)."""

    def __init__(self, config: EbayConfig, http: httpx.Client, *,
                 resolve_customer: Callable[[str], str | None] | None = None) -> None:
        self._base = config.api_url.rstrip("/")
        self._token = config.access_token.get_secret_value() if config.access_token else None
        self._http = http
        self._resolve = resolve_customer or (lambda username: username)

    def _request(self, method: str, path: str, *, iaf: bool = False, **kw: Any) -> Any:
        if not self._token:
            raise EbayApiError("not_configured: SHOPDESK_EBAY_ACCESS_TOKEN is not set", retryable=False)
        headers = {"Authorization": f"{'IAF' if iaf else 'Bearer'} {self._token}",
                   "X-EBAY-C-MARKETPLACE-ID": "EBAY_US", "Accept": "application/json"}
        resp = _call(self._http, method, self._base + path, headers, **kw)
        return resp.json() if resp.content else {}

    def send(self, text: str, route: Mapping[str, str], *, idempotency_key: str, human: bool,
             now: datetime) -> SendReceipt:
        """POST /commerce/message/v1/send_message in the buyer's conversation (eBay takes no idempotency key)."""
        del idempotency_key, human
        limit = max_message_chars()
        if not text.strip() or len(text) > limit:
            raise SendError(f"invalid_text: eBay messages are 1-{limit} characters", retryable=False)
        if not route.get("conversation_id"):
            raise SendError("no_route: the reply route has no eBay conversation_id", retryable=False)
        body = self._request("POST", "/commerce/message/v1/send_message",
                             json={"conversationId": route["conversation_id"], "messageText": text})
        if not body.get("messageId"):
            raise EbayApiError("eBay accepted the message but returned no messageId", retryable=False)
        sent = body.get("createdDate")
        return SendReceipt(platform_message_id=str(body["messageId"]),
                           sent_at=when(sent, "createdDate") if sent else now)

    def fetch_attachment(self, attachment: Attachment, *, max_bytes: int, timeout_s: float) -> bytes:
        """A buyer's messageMedia file (its mediaUrl on eBay's picture host); the OAuth token is never sent."""
        if not attachment.url:
            raise AttachmentFetchError("eBay gave no address for it")
        return fetch_media(self._http, attachment.url, max_bytes=max_bytes, timeout_s=timeout_s,
                           trusted_origin=self._base)

    def conversations(self, *, limit: int = 50, offset: int = 0) -> list[EbayConversation]:
        body = self._request("GET", "/commerce/message/v1/conversation",
                             params={"conversation_type": "FROM_MEMBERS", "limit": limit, "offset": offset})
        return [to_conversation(c) for c in body.get("conversations", [])]

    def conversation(self, conversation_id: str) -> EbayConversation:
        body = self._request("GET", f"/commerce/message/v1/conversation/{conversation_id}",
                             params={"conversation_type": "FROM_MEMBERS"})
        return to_conversation(body)

    def get_order(self, order_id: str) -> Order:
        """Fulfillment API order + its shipping fulfillments. eBay does not expose delivery: a shipped
        order stays 'shipped' (its parcels 'in_transit'); the carrier's tracking says more."""
        base = f"/sell/fulfillment/v1/order/{order_id}"
        try:
            raw = self._request("GET", base)
        except EbayApiError as exc:
            if exc.status_code == 404:
                raise NotFoundError(f"No eBay order {order_id}.", record_id=order_id) from None
            raise
        fulfillments = [] if raw.get("orderFulfillmentStatus") == "NOT_STARTED" else \
            self._request("GET", base + "/shipping_fulfillment").get("fulfillments", [])
        return self._order(raw, fulfillments)

    def order_returns(self, order_id: str) -> list[EbayReturn]:
        body = self._request("GET", "/post-order/v2/return/search", iaf=True, params={"order_id": order_id})
        return [to_return(m) for m in body.get("members", [])]

    def get_return(self, return_id: str) -> EbayReturn:
        body = self._request("GET", f"/post-order/v2/return/{return_id}", iaf=True)
        return to_return(body.get("summary", body))

    def issue_return_refund(self, return_id: str, amount: Decimal, comment: str) -> str:
        """POST /post-order/v2/return/{id}/issue_refund for the purchase price; returns eBay's refundStatus."""
        value = {"value": f"{Decimal(amount):.2f}", "currency": "USD"}
        body = self._request("POST", f"/post-order/v2/return/{return_id}/issue_refund", iaf=True, json={
            "comments": {"content": comment[:1000]},
            "refundDetail": {"itemizedRefundDetail": [{"refundAmount": value, "refundFeeType": "PURCHASE_PRICE"}],
                             "totalAmount": value}})
        return str(body.get("refundStatus", "PENDING"))

    def _order(self, raw: dict[str, Any], fulfillments: list[dict[str, Any]]) -> Order:
        try:
            start = (raw.get("fulfillmentStartInstructions") or [{}])[0]
            ship_to = start["shippingStep"]["shipTo"]
            addr = ship_to["contactAddress"]
            lines = raw["lineItems"]
            line_no = {li["lineItemId"]: n for n, li in enumerate(lines, 1)}
            items = [LineItem(line_number=n, sku=li["sku"], product_id=str(li.get("legacyItemId", "")),
                              title=li["title"], quantity=li["quantity"],
                              unit_price=money(li["lineItemCost"]) / li["quantity"]) for n, li in enumerate(lines, 1)]
            shipments = [s for f in fulfillments if (s := to_shipment(f, line_no, start)) is not None]
            status = order_status(raw, bool(shipments))
            price = raw["pricingSummary"]
            first = lines[0].get("lineItemFulfillmentInstructions", {})
            created = when(raw["creationDate"], "creationDate")
            cancel = raw.get("cancelStatus") or {}
            return Order(
                id=raw["orderId"], platform="ebay", platform_ref=raw.get("legacyOrderId") or raw["orderId"],
                customer_id=self._resolve(raw["buyer"]["username"].lower()) or raw["buyer"]["username"].lower(),
                status=status, platform_status=raw.get("orderFulfillmentStatus", ""), created_at=created,
                items=items, subtotal=money(price["priceSubtotal"]),
                shipping=money(price.get("deliveryCost") or {"value": "0"}),
                tax=money(price.get("tax") or {"value": "0"}), total=money(price["total"]),
                payment_method=PaymentMethod(kind="marketplace"),
                shipping_address=Address(name=ship_to["fullName"], line1=addr["addressLine1"],
                                         line2=addr.get("addressLine2") or None, city=addr["city"],
                                         state=addr["stateOrProvince"], zip=addr["postalCode"]),
                fulfillment_channel="seller",
                ship_by=day(first.get("shipByDate")) or created.date(),
                deliver_by=day(start.get("maxEstimatedDeliveryDate") or first.get("maxEstimatedDeliveryDate"))
                or created.date(),
                shipments=shipments, cancelled_at=when(cancel["cancelledDate"], "cancelledDate")
                if status == "cancelled" and cancel.get("cancelledDate") else None)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise EbayApiError(f"unreadable eBay order: {exc}", retryable=False) from None
