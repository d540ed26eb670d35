"""eBay: signed REST notifications in, Message API replies out, orders and returns read from the APIs.

Notifications carry `X-EBAY-SIGNATURE` = base64(JSON {alg: ecdsa, kid, signature, digest}); the signature
is ECDSA over the RAW body, verified with the public key eBay serves at
/commerce/notification/v1/public_key/{kid} (cached ~1 h, as eBay asks). Nothing unverified is accepted: a
key that cannot be fetched fails the delivery (eBay retries it).

eBay publishes no REST notification topic for member messages, so the payload is ours to fix (documented
in platforms.md terms): topic "MESSAGE" with data {conversationId, messageId, senderUsername,
recipientUsername, messageBody, createdDate, referenceId, messageMedia[] as the Message API's {mediaName,
mediaType, mediaUrl}}; topics starting "ORDER", "RETURN" or "REFUND"
become ContextEvents; anything else (e.g. MARKETPLACE_ACCOUNT_DELETION) is acknowledged and ignored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key
from pydantic import BaseModel

from channels import http_calls
from channels.attachments import AttachmentFetchError, ebay_attachments, fetch_media
from channels.base import (
    Attachment,
    ChannelMessage,
    ContextEvent,
    PayloadError,
    SendError,
    SendReceipt,
)
from channels.http_calls import ApiCallError, CallPolicy
from channels.payload import load_json, utc_from_iso
from channels.ratelimit import TokenBucket
from channels.signatures import SignatureError
from shopdesk.settings import Settings
from tools.clock import Clock, SystemClock
from tools.errors import NotFoundError
from tools.models import Address, LineItem, Order, OrderStatus, PaymentMethod, Shipment
from tools.platform_profiles import PROFILES
from tools.policy.loader import policy_for

MESSAGE_TOPIC = "MESSAGE"
ORDER_ID = re.compile(rf"\b{PROFILES['ebay'].order_id.pattern}\b")  # the table's eBay order-id format
_CONTEXT_KINDS = {"ORDER": "order", "RETURN": "return", "REFUND": "refund"}
_DIGESTS: dict[str, type[hashes.HashAlgorithm]] = {"SHA1": hashes.SHA1, "SHA256": hashes.SHA256}
_CARRIERS = {"USPS": "USPS", "UPS": "UPS", "FEDEX": "FedEx"}


def max_message_chars() -> int:
    """The longest message eBay takes: read from the eBay policy file (`messaging.max_chars`, the limit the
    reply checks enforce too) when a message is sent, so the two cannot drift and nothing loads at import."""
    return policy_for("ebay").messaging.max_chars


# ---------------------------------------------------------------- signatures

KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")  # eBay's kids are UUID-like; nothing else reaches the API host
_MAX_SIGNATURE_HEADER = 4096


class EbayKeyCache:
    """eBay's notification public keys by kid (thread-safe; call it off the event loop).

    The kid comes from an unsigned header, so: only a strict key-id charset reaches eBay, quoted as one
    path segment; a key is kept `ttl_s` (eBay asks ~1 h), an unknown kid `miss_ttl_s` and a failed fetch
    `error_ttl_s`, so repeating a bad kid costs one fetch; concurrent requests for one kid share a single
    fetch (others wait at most `timeout_s`); new fetches draw on a budget (`fetch_burst`, refilled at
    `fetch_rate_per_s`) so invented kids cannot spend the seller's API quota; at most `max_entries` kids
    are remembered. `token` is eBay's application token, sent as Bearer."""

    def __init__(self, http: httpx.Client, base_url: str, ttl_s: float = 3600, clock: Clock | None = None,
                 *, token: str | None = None, miss_ttl_s: float = 300, error_ttl_s: float = 30,
                 timeout_s: float = 5.0, fetch_burst: int = 10, fetch_rate_per_s: float = 0.2,
                 max_entries: int = 1024) -> None:
        self._http, self._base, self._ttl, self._token = http, base_url.rstrip("/"), ttl_s, token
        self._miss_ttl, self._error_ttl, self._timeout = miss_ttl_s, error_ttl_s, timeout_s
        self._clock = clock or SystemClock()
        self._budget = TokenBucket(fetch_rate_per_s, fetch_burst)
        self._max = max_entries
        self._entries: OrderedDict[str, tuple[datetime, float, ec.EllipticCurvePublicKey | SignatureError]] = \
            OrderedDict()
        self._inflight: dict[str, threading.Event] = {}
        self._lock = threading.Lock()  # guards the two dicts only; never held while fetching
        self.fetches = 0

    def _cached(self, kid: str) -> ec.EllipticCurvePublicKey | SignatureError | None:
        entry = self._entries.get(kid)
        if entry is None:
            return None
        at, ttl, value = entry
        if (self._clock.now() - at).total_seconds() >= ttl:
            del self._entries[kid]
            return None
        self._entries.move_to_end(kid)
        return value

    @staticmethod
    def _result(value: ec.EllipticCurvePublicKey | SignatureError) -> ec.EllipticCurvePublicKey:
        if isinstance(value, SignatureError):
            raise SignatureError(value.reason, value.detail)
        return value

    def get(self, kid: str) -> ec.EllipticCurvePublicKey:
        if not KEY_ID.fullmatch(kid):
            raise SignatureError("malformed", "the X-EBAY-SIGNATURE kid is not a key id")
        with self._lock:
            cached = self._cached(kid)
            if cached is not None:
                return self._result(cached)
            waiting = self._inflight.get(kid)
            if waiting is None:
                if not self._budget.try_acquire():
                    raise SignatureError("not_configured", "too many unknown eBay key ids; not fetched")
                self._inflight[kid] = done = threading.Event()
        if waiting is not None:  # another request is fetching this kid: share its answer
            if not waiting.wait(self._timeout):
                raise SignatureError("not_configured", "eBay public key fetch still running")
            with self._lock:
                cached = self._cached(kid)
            if cached is None:
                raise SignatureError("not_configured", "eBay public key fetch failed")
            return self._result(cached)
        try:
            value = self._fetch_or_error(kid)
            ttl = self._ttl if not isinstance(value, SignatureError) else \
                self._miss_ttl if value.reason == "mismatch" else self._error_ttl
            with self._lock:
                self._entries[kid] = (self._clock.now(), ttl, value)
                while len(self._entries) > self._max:
                    self._entries.popitem(last=False)
        finally:
            with self._lock:
                del self._inflight[kid]
            done.set()
        return self._result(value)

    def _fetch_or_error(self, kid: str) -> ec.EllipticCurvePublicKey | SignatureError:
        try:
            return self._fetch(kid)
        except SignatureError as exc:
            return exc

    def _fetch(self, kid: str) -> ec.EllipticCurvePublicKey:
        self.fetches += 1
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        url = f"{self._base}/commerce/notification/v1/public_key/{quote(kid, safe='')}"
        try:
            resp = self._http.get(url, headers=headers, timeout=self._timeout, follow_redirects=False)
        except httpx.HTTPError as exc:
            raise SignatureError("not_configured", f"eBay public key could not be fetched ({type(exc).__name__})")
        if resp.status_code == 404:
            raise SignatureError("mismatch", "eBay knows no such public key")
        if resp.status_code != 200:
            raise SignatureError("not_configured", f"eBay public key could not be fetched (HTTP {resp.status_code})")
        try:
            body = resp.json()
            if str(body.get("algorithm", "ECDSA")).upper() != "ECDSA":
                raise ValueError("not an ECDSA key")
            pem = re.sub(r"-----(BEGIN|END) PUBLIC KEY-----|\s", "", body["key"])  # eBay sends it on one line
            key = load_der_public_key(base64.b64decode(pem))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise SignatureError("not_configured", f"eBay public key is unreadable ({type(exc).__name__})") from None
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise SignatureError("not_configured", "eBay public key is not an EC key")
        return key


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def verify_webhook(body: bytes, headers: Mapping[str, str], settings: Settings, keys: EbayKeyCache) -> None:
    """X-EBAY-SIGNATURE: ECDSA (SHA1 as eBay signs; SHA256 if the header says so) over the raw body."""
    del settings  # the key source carries the API base; kept for the common verify signature
    raw = _lower(headers).get("x-ebay-signature", "").strip()
    if not raw:
        raise SignatureError("missing", "no X-EBAY-SIGNATURE header")
    if len(raw) > _MAX_SIGNATURE_HEADER:
        raise SignatureError("malformed", "X-EBAY-SIGNATURE is too long")
    try:
        info = json.loads(base64.b64decode(raw, validate=True))
        kid, alg, digest = info["kid"], str(info["alg"]).lower(), str(info.get("digest", "SHA1")).upper()
        signature = base64.b64decode(info["signature"], validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error, RecursionError):
        raise SignatureError("malformed", "X-EBAY-SIGNATURE is not base64 JSON with kid and signature") from None
    if alg != "ecdsa" or digest not in _DIGESTS or not signature:
        raise SignatureError("malformed", "unsupported eBay signature (alg or digest)")
    if not isinstance(kid, str) or not KEY_ID.fullmatch(kid):
        raise SignatureError("malformed", "the X-EBAY-SIGNATURE kid is not a key id")
    key = keys.get(kid)
    try:
        key.verify(signature, body, ec.ECDSA(_DIGESTS[digest]()))
    except InvalidSignature:
        raise SignatureError("mismatch", "eBay signature does not match the body") from None


def challenge_response(challenge_code: str, verification_token: str, endpoint_url: str) -> str:
    """eBay's endpoint validation (GET ?challenge_code=...): hex SHA-256 of code + token + endpoint URL."""
    return hashlib.sha256((challenge_code + verification_token + endpoint_url).encode()).hexdigest()


# ---------------------------------------------------------------- payloads

def _when(value: Any, what: str) -> datetime:
    return utc_from_iso(value, what)


def parse_webhook(body: bytes, headers: Mapping[str, str], *,
                  seller_username: str | None = None) -> list[ChannelMessage | ContextEvent]:
    """A buyer's message -> ChannelMessage; order/return/refund topics -> ContextEvent; else [].

    `seller_username` drops the seller's own messages (echoes of our replies); without it only eBay's
    system messages are dropped."""
    del headers
    payload = load_json(body, "eBay notification")
    try:
        topic = str(payload["metadata"]["topic"]).upper()
        note = payload["notification"]
        notification_id, data = str(note["notificationId"]), note["data"]
    except (ValueError, KeyError, TypeError):
        raise PayloadError("not an eBay notification (metadata.topic, notification.notificationId/data)") from None
    if not isinstance(data, dict) or not notification_id:
        raise PayloadError("notification.data must be an object")
    at = _when(note.get("publishDate") or note.get("eventDate") or "", "publishDate")
    if topic == MESSAGE_TOPIC:
        return _message(data, at, seller_username)
    kind = next((k for prefix, k in _CONTEXT_KINDS.items() if topic.startswith(prefix)), None)
    if kind is None:
        return []
    status = data.get("state") or data.get("status") or data.get("orderFulfillmentStatus")
    return [ContextEvent(
        platform="ebay", delivery_id=notification_id, kind=kind, topic=topic,  # type: ignore[arg-type]
        order_id=str(data["orderId"]) if data.get("orderId") else None, status=str(status) if status else None,
        received_at=at, data={k: str(v) for k, v in data.items() if isinstance(v, str | int | float | bool)})]


def _message(data: dict[str, Any], at: datetime, seller: str | None) -> list[ChannelMessage | ContextEvent]:
    try:
        conversation, message_id = str(data["conversationId"]), str(data["messageId"])
        sender, text = str(data["senderUsername"]).strip(), str(data["messageBody"])
    except KeyError as exc:
        raise PayloadError(f"MESSAGE data lacks {exc.args[0]}") from None
    if not conversation or not message_id or not sender:
        raise PayloadError("MESSAGE data has an empty conversationId, messageId or senderUsername")
    if sender.lower() == "ebay" or data.get("conversationType") == "FROM_EBAY":
        return []
    if seller and sender.lower() == seller.lower():
        return []
    attachments = ebay_attachments(data.get("messageMedia"))
    text = text.strip()
    if not text and not attachments:
        return []
    reference = str(data.get("referenceId") or "")
    hint = ORDER_ID.search(reference) or ORDER_ID.search(text)
    return [ChannelMessage(
        platform="ebay", delivery_id=message_id, conversation_key=f"ebay:{conversation}",
        customer_identity=sender.lower(), text=text[:20000], platform_message_id=message_id, attachments=attachments,
        received_at=_when(data["createdDate"], "createdDate") if data.get("createdDate") else at,
        order_hint=hint.group(0) if hint else None, reply_route={"conversation_id": conversation})]


# ---------------------------------------------------------------- the API client

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


def _money(amount: dict[str, Any]) -> Decimal:
    return Decimal(str(amount["value"]))


class EbayMessage(BaseModel):
    message_id: str
    sender: str
    recipient: str
    body: str
    created_at: datetime | None = None


class EbayConversation(BaseModel):
    conversation_id: str
    status: str | None = None
    reference_id: str | None = None
    messages: list[EbayMessage] = []


class EbayReturn(BaseModel):
    """A Post-Order return as eBay states it (its ids are not the store's R000000 ids)."""

    return_id: str
    order_id: str
    state: str
    reason: str | None = None
    buyer_username: str | None = None
    item_id: str | None = None
    quantity: int | None = None
    refund_estimate: Decimal | None = None
    created_at: datetime | None = None


class EbayClient:
    """Message API replies (<= 2000 chars) plus Fulfillment orders and Post-Order returns.

    Auth: `Authorization: Bearer <OAuth user token>` on REST, `IAF <token>` on the Post-Order API.
    `resolve_customer` maps a buyer username to the store's customer id (default: the username)."""

    def __init__(self, settings: Settings, http: httpx.Client, *,
                 resolve_customer: Callable[[str], str | None] | None = None) -> None:
        self._base = settings.ebay_api_url.rstrip("/")
        self._token = settings.ebay_access_token.get_secret_value() if settings.ebay_access_token else None
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
                           sent_at=_when(sent, "createdDate") if sent else now)

    def fetch_attachment(self, attachment: Attachment, *, max_bytes: int, timeout_s: float) -> bytes:
        """A buyer's messageMedia file (its mediaUrl on eBay's picture host); the OAuth token is never sent."""
        if not attachment.url:
            raise AttachmentFetchError("eBay gave no address for it")
        return fetch_media(self._http, attachment.url, max_bytes=max_bytes, timeout_s=timeout_s,
                           trusted_origin=self._base)

    def conversations(self, *, limit: int = 50, offset: int = 0) -> list[EbayConversation]:
        body = self._request("GET", "/commerce/message/v1/conversation",
                             params={"conversation_type": "FROM_MEMBERS", "limit": limit, "offset": offset})
        return [_conversation(c) for c in body.get("conversations", [])]

    def conversation(self, conversation_id: str) -> EbayConversation:
        body = self._request("GET", f"/commerce/message/v1/conversation/{conversation_id}",
                             params={"conversation_type": "FROM_MEMBERS"})
        return _conversation(body)

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
        return [_return(m) for m in body.get("members", [])]

    def get_return(self, return_id: str) -> EbayReturn:
        body = self._request("GET", f"/post-order/v2/return/{return_id}", iaf=True)
        return _return(body.get("summary", body))

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
                              unit_price=_money(li["lineItemCost"]) / li["quantity"]) for n, li in enumerate(lines, 1)]
            shipments = [s for f in fulfillments if (s := _shipment(f, line_no, start)) is not None]
            status = _order_status(raw, bool(shipments))
            price = raw["pricingSummary"]
            first = lines[0].get("lineItemFulfillmentInstructions", {})
            created = _when(raw["creationDate"], "creationDate")
            cancel = raw.get("cancelStatus") or {}
            return Order(
                id=raw["orderId"], platform="ebay", platform_ref=raw.get("legacyOrderId") or raw["orderId"],
                customer_id=self._resolve(raw["buyer"]["username"].lower()) or raw["buyer"]["username"].lower(),
                status=status, platform_status=raw.get("orderFulfillmentStatus", ""), created_at=created,
                items=items, subtotal=_money(price["priceSubtotal"]),
                shipping=_money(price.get("deliveryCost") or {"value": "0"}),
                tax=_money(price.get("tax") or {"value": "0"}), total=_money(price["total"]),
                payment_method=PaymentMethod(kind="marketplace"),
                shipping_address=Address(name=ship_to["fullName"], line1=addr["addressLine1"],
                                         line2=addr.get("addressLine2") or None, city=addr["city"],
                                         state=addr["stateOrProvince"], zip=addr["postalCode"]),
                fulfillment_channel="seller",
                ship_by=_day(first.get("shipByDate")) or created.date(),
                deliver_by=_day(start.get("maxEstimatedDeliveryDate") or first.get("maxEstimatedDeliveryDate"))
                or created.date(),
                shipments=shipments, cancelled_at=_when(cancel["cancelledDate"], "cancelledDate")
                if status == "cancelled" and cancel.get("cancelledDate") else None)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise EbayApiError(f"unreadable eBay order: {exc}", retryable=False) from None


def _day(value: Any) -> date | None:
    return _when(value, "date").date() if value else None


def _order_status(raw: dict[str, Any], shipped: bool) -> OrderStatus:
    if (raw.get("cancelStatus") or {}).get("cancelState") == "CANCELED":
        return "cancelled"
    if raw.get("orderFulfillmentStatus") == "NOT_STARTED" or not shipped:
        return "pending" if raw.get("orderPaymentStatus") == "PENDING" else "unshipped"
    return "shipped"


def _shipment(f: dict[str, Any], line_no: dict[str, int], start: dict[str, Any]) -> Shipment | None:
    carrier = _CARRIERS.get(str(f.get("shippingCarrierCode", "")).upper())
    if carrier is None:  # a carrier the domain does not model: leave the parcel out rather than guess
        return None
    shipped = _when(f["shippedDate"], "shippedDate")
    return Shipment(id=str(f.get("fulfillmentId") or f["shipmentTrackingNumber"]), carrier=carrier,  # type: ignore[arg-type]
                    service=str(f.get("shippingServiceCode") or "Standard"),
                    tracking_number=f["shipmentTrackingNumber"], status="in_transit", shipped_at=shipped,
                    estimated_delivery=_day(start.get("maxEstimatedDeliveryDate")) or shipped.date(),
                    line_numbers=sorted(line_no[li["lineItemId"]] for li in f.get("lineItems", [])
                                        if li.get("lineItemId") in line_no))


def _conversation(c: dict[str, Any]) -> EbayConversation:
    raw = c.get("messages") or ([c["latestMessage"]] if c.get("latestMessage") else [])
    return EbayConversation(
        conversation_id=str(c["conversationId"]), status=c.get("conversationStatus"),
        reference_id=c.get("referenceId"),
        messages=[EbayMessage(message_id=str(m["messageId"]),
                              sender=m.get("senderUsername") or m.get("senderUserName", ""),
                              recipient=m.get("recipientUsername") or m.get("recipientUserName", ""),
                              body=m.get("messageBody", ""),
                              created_at=_when(m["createdDate"], "createdDate") if m.get("createdDate") else None)
                  for m in raw])


def _return(m: dict[str, Any]) -> EbayReturn:
    info = m.get("creationInfo") or {}
    item = info.get("item") or {}
    estimate = ((m.get("sellerTotalRefund") or {}).get("estimatedRefundAmount"))
    created = (info.get("creationDate") or {}).get("value")
    return EbayReturn(return_id=str(m["returnId"]), order_id=str(m.get("orderId", "")), state=str(m.get("state", "")),
                      reason=info.get("reason"), buyer_username=m.get("buyerLoginName"),
                      item_id=item.get("itemId"), quantity=item.get("returnQuantity"),
                      refund_estimate=_money(estimate) if estimate else None,
                      created_at=_when(created, "creationDate") if created else None)
