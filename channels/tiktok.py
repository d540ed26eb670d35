"""TikTok Shop: the webhook (buyer chat, order and return changes) and the signed Partner API client.

Facts in ../shared/docs/platforms.md (TikTok section). Webhooks arrive as {"type": <int>,
"tts_notification_id", "shop_id", "timestamp", "data"}; only BUYER chat messages become customer
messages. Every API request carries app_key, timestamp, shop_cipher and `sign` in the query and the
access token in `x-tts-access-token`; answers are {"code": 0, "message", "data", "request_id"}.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from channels import http_calls
from channels.attachments import AttachmentFetchError, fetch_media, tiktok_attachment
from channels.base import (
    Attachment,
    ChannelEvent,
    ChannelMessage,
    ContextEvent,
    PayloadError,
    SendError,
    SendReceipt,
    validated_payload,
)
from channels.http_calls import ApiCallError, CallPolicy
from channels.payload import load_json, utc_from_unix
from channels.ratelimit import TokenBucket, retry_after_s
from channels.signatures import tiktok_request_sign, verify_tiktok_webhook
from shopdesk.settings import Settings
from tools.errors import NotFoundError
from tools.models import (
    Address,
    Carrier,
    LineItem,
    Order,
    OrderStatus,
    PaymentMethod,
    Return,
    ReturnItem,
    ReturnLabel,
    ReturnReason,
    ReturnStatus,
    Shipment,
    ShipmentStatus,
)
from tools.policy.loader import PlatformPolicy, load_policies

EVENT_TYPES: dict[int, str] = {1: "ORDER_STATUS_CHANGE", 2: "REVERSE_STATUS_UPDATE", 12: "RETURN_STATUS_CHANGE",
                               13: "NEW_CONVERSATION", 14: "NEW_MESSAGE"}
_ORDER_ID = re.compile(r"(?<!\d)\d{18}(?!\d)")
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
MAX_WAIT_S = 5.0


# ---------------------------------------------------------------- webhooks

def verify_webhook(body: bytes, headers: Mapping[str, str], settings: Settings) -> None:
    """`Authorization` = hex(HMAC-SHA256(app secret, app_key + raw body)) [S/U]."""
    lower = {k.lower(): v for k, v in headers.items()}
    secret = settings.tiktok_app_secret.get_secret_value() if settings.tiktok_app_secret else None
    verify_tiktok_webhook(body, lower.get("authorization"), settings.tiktok_app_key, secret)


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: int
    tts_notification_id: str = Field(min_length=1)
    shop_id: str | None = None
    timestamp: int
    data: dict[str, Any]


class _Sender(BaseModel):
    model_config = ConfigDict(extra="ignore")
    im_user_id: str = Field(min_length=1)
    role: str


class _ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    conversation_id: str = Field(min_length=1)
    message_id: str = Field(min_length=1)
    type: str
    content: str
    sender: _Sender
    create_time: int
    is_visible: bool = True


def parse_webhook(body: bytes, headers: Mapping[str, str]) -> list[ChannelEvent]:
    """Normalise one TikTok notification; [] for events shopdesk does not act on (NEW_CONVERSATION...)."""
    raw = load_json(body, "TikTok webhook body")
    env = validated_payload(_Envelope, raw, "TikTok webhook envelope")
    topic = EVENT_TYPES.get(env.type)
    if topic == "NEW_MESSAGE":
        return _chat_message(env)
    if topic == "ORDER_STATUS_CHANGE":
        return [_context(env, "order", topic, status_key="order_status")]
    if topic == "RETURN_STATUS_CHANGE":
        return [_context(env, "return", topic, status_key="return_status")]
    if topic == "REVERSE_STATUS_UPDATE":
        key = "reverse_event_type" if "reverse_event_type" in env.data else "reverse_order_status"
        return [_context(env, "return", topic, status_key=key)]
    return []




def _chat_message(env: _Envelope) -> list[ChannelEvent]:
    msg = validated_payload(_ChatMessage, env.data, "NEW_MESSAGE data")
    if msg.sender.role.upper() != "BUYER" or not msg.is_visible:
        return []  # seller echoes, system notices and robot replies need no answer
    content = load_json(msg.content, "NEW_MESSAGE content") if msg.content else {}
    if not isinstance(content, dict):
        raise PayloadError("NEW_MESSAGE content must be a JSON object")
    at = from_unix(msg.create_time)
    if msg.type == "ORDER_CARD":  # the buyer shared an order in the chat: context, not a question
        order_id = str(content.get("order_id") or "")
        return [ContextEvent(platform="tiktok", delivery_id=msg.message_id, kind="message_meta", topic="NEW_MESSAGE",
                             order_id=order_id or None, received_at=at,
                             data={"conversation_id": msg.conversation_id, "message_type": msg.type,
                                   "im_user_id": msg.sender.im_user_id})] if order_id else []
    attachment = tiktok_attachment(msg.type, content)
    if attachment is not None:  # a photo or video alone: it continues the conversation ("photo received")
        return [ChannelMessage(
            platform="tiktok", delivery_id=msg.message_id, conversation_key=f"tiktok:{msg.conversation_id}",
            customer_identity=msg.sender.im_user_id, text="", attachments=[attachment], received_at=at,
            platform_message_id=msg.message_id, reply_route={"conversation_id": msg.conversation_id})]
    if msg.type != "TEXT":
        return []
    text = content.get("content")
    if not isinstance(text, str):
        raise PayloadError("TEXT message content has no 'content' string")
    text = text.strip()[:20000]
    if not text:
        return []
    hint = _ORDER_ID.search(text)
    return [ChannelMessage(
        platform="tiktok", delivery_id=msg.message_id, conversation_key=f"tiktok:{msg.conversation_id}",
        customer_identity=msg.sender.im_user_id, text=text, received_at=at, platform_message_id=msg.message_id,
        order_hint=hint.group(0) if hint else None, reply_route={"conversation_id": msg.conversation_id},
    )]


def _context(env: _Envelope, kind: str, topic: str, *, status_key: str) -> ContextEvent:
    data = env.data
    order_id = data.get("order_id")
    if not order_id:
        raise PayloadError(f"{topic} data has no order_id")
    status = data.get(status_key)
    flat = {k: _flat(v) for k, v in data.items()
            if k not in ("order_id", status_key) and v is not None and not isinstance(v, dict | list)}
    if env.shop_id:
        flat["shop_id"] = env.shop_id
    return ContextEvent(platform="tiktok", delivery_id=env.tts_notification_id, kind=kind,  # type: ignore[arg-type]
                        topic=topic,
                        order_id=str(order_id), status=None if status is None else str(status),
                        received_at=from_unix(data.get("update_time") or env.timestamp), data=flat)


def _flat(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def from_unix(value: object) -> datetime:
    """TikTok times are unix seconds (a few chat fields use milliseconds); PayloadError when out of range."""
    return utc_from_unix(value, "TikTok timestamp")


# ---------------------------------------------------------------- API client

class TikTokApiError(Exception):
    """A TikTok API call failed; `retryable` has the same meaning as for `SendError`."""

    def __init__(self, reason: str, *, retryable: bool, code: int | None = None, http_status: int | None = None,
                 retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.retryable, self.code = reason, retryable, code
        self.http_status, self.retry_after_s = http_status, retry_after_s


class TikTokClient:
    """The seller's TikTok Shop: chat replies, order details, returns (search and approve)."""

    def __init__(self, settings: Settings, http: httpx.Client, *, rate_per_s: float = 50.0,
                 policies: Mapping[str, PlatformPolicy] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._settings, self._http, self._rate, self._sleep = settings, http, rate_per_s, sleep
        self._policy = (policies or load_policies())["tiktok"]
        self._buckets: dict[str, TokenBucket] = {}  # TikTok limits each API separately (50 rps per shop)

    # ---- ChannelSender
    def send(self, text: str, route: Mapping[str, str], *, idempotency_key: str, human: bool,
             now: datetime) -> SendReceipt:
        conversation_id = route.get("conversation_id") or ""
        if not _SAFE_ID.match(conversation_id):
            raise SendError("the reply route has no valid TikTok conversation_id", retryable=False)
        limit = self._policy.messaging.max_chars
        if not text.strip():
            raise SendError("an empty message cannot be sent", retryable=False)
        if len(text) > limit:
            raise SendError(f"TikTok chat messages are limited to {limit} characters (this one has {len(text)})",
                            retryable=False)
        body = {"type": "TEXT", "content": json.dumps({"content": text})}
        try:
            data = self._call("POST", f"/customer_service/202309/conversations/{conversation_id}/messages",
                              api="send_message", body=body)
        except TikTokApiError as exc:
            raise SendError(exc.reason, retryable=exc.retryable, retry_after_s=exc.retry_after_s) from None
        message_id = data.get("message_id") or f"tiktok-sent:{idempotency_key}"
        return SendReceipt(platform_message_id=str(message_id), sent_at=now)

    # ---- attachments
    def fetch_attachment(self, attachment: Attachment, *, max_bytes: int, timeout_s: float) -> bytes:
        """A buyer's chat image or video from TikTok's CDN (the message content's url); nothing signed or
        secret is sent with it."""
        if not attachment.url:
            raise AttachmentFetchError("TikTok gave no address for it")
        return fetch_media(self._http, attachment.url, max_bytes=max_bytes, timeout_s=timeout_s,
                           trusted_origin=self._settings.tiktok_api_url)

    # ---- orders
    def get_orders(self, order_ids: list[str]) -> list[Order]:
        """Get Order Detail: up to 50 ids per call."""
        if not order_ids:
            return []
        if len(order_ids) > 50:
            raise ValueError("TikTok returns at most 50 orders per call")
        data = self._call("GET", "/order/202507/orders", api="get_order", query={"ids": ",".join(order_ids)})
        return [self._mapped(to_order, raw) for raw in data.get("orders") or []]

    def get_order(self, order_id: str) -> Order:
        order_id = order_id.strip()
        if not _ORDER_ID.fullmatch(order_id):
            raise NotFoundError(f"{order_id!r} is not a TikTok Shop order id (18 digits).", order_id=order_id)
        found = [o for o in self.get_orders([order_id]) if o.id == order_id]
        if not found:
            raise NotFoundError(f"No TikTok Shop order {order_id}.", order_id=order_id)
        return found[0]

    # ---- returns
    def order_returns(self, order_id: str) -> list[Return]:
        order = self.get_order(order_id)
        return [self._mapped(to_return, raw, order, self._policy) for raw in self._search_returns(order_ids=[order.id])]

    def get_return(self, return_id: str) -> Return:
        found = self._search_returns(return_ids=[return_id])
        if not found:
            raise NotFoundError(f"No TikTok Shop return {return_id}.", return_id=return_id)
        order = self.get_order(str(found[0].get("order_id", "")))
        return self._mapped(to_return, found[0], order, self._policy)

    def approve_return(self, return_id: str, *, decision: str = "APPROVE_RETURN", buyer_keep_item: bool = False,
                       idempotency_key: str) -> Return:
        """Approve Return with TikTok's decision: APPROVE_RETURN (buyer ships it back), APPROVE_REFUND
        (refund-only request), APPROVE_RECEIVED_PACKAGE (the package arrived: TikTok refunds the buyer)."""
        if not _SAFE_ID.match(return_id):
            raise NotFoundError(f"{return_id!r} is not a return id.", return_id=return_id)
        body: dict[str, Any] = {"decision": decision}
        if buyer_keep_item:
            body["buyer_keep_item"] = True
        self._call("POST", f"/return_refund/202309/returns/{return_id}/approve", api="approve_return",
                   query={"idempotency_key": idempotency_key}, body=body)
        return self.get_return(return_id)

    def _search_returns(self, **filters: list[str]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        token = ""
        for _ in range(20):  # 20 pages of 50 is far more than one order or id list can hold
            query = {"page_size": "50", **({"page_token": token} if token else {})}
            data = self._call("POST", "/return_refund/202309/returns/search", api="search_returns",
                              query=query, body=filters)
            found.extend(data.get("return_orders") or [])
            token = data.get("next_page_token") or ""
            if not token:
                break
        return found

    # ---- plumbing
    def _mapped(self, fn: Callable[..., Any], raw: Any, *args: Any) -> Any:
        try:
            return fn(raw, *args)
        except (ValidationError, KeyError, TypeError, ValueError, InvalidOperation) as exc:
            raise TikTokApiError(f"unexpected TikTok data shape ({type(exc).__name__}: {str(exc)[:200]})",
                                 retryable=False) from None

    def _call(self, method: str, path: str, *, api: str, query: Mapping[str, str] | None = None,
              body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        s = self._settings
        if not (s.tiktok_app_key and s.tiktok_app_secret and s.tiktok_access_token):
            raise TikTokApiError("TikTok API credentials are not configured", retryable=False)
        bucket = self._buckets.setdefault(api, TokenBucket(self._rate, max(1, int(self._rate)), sleep=self._sleep))
        raw = json.dumps(body, separators=(",", ":")).encode() if body is not None else None
        app_key, secret = s.tiktok_app_key, s.tiktok_app_secret.get_secret_value()
        headers = {"x-tts-access-token": s.tiktok_access_token.get_secret_value(), "content-type": "application/json"}

        def send() -> httpx.Response:  # signed per attempt: the signature covers the timestamp
            params = {**(query or {}), "app_key": app_key, "timestamp": str(int(time.time()))}
            if s.tiktok_shop_cipher:
                params["shop_cipher"] = s.tiktok_shop_cipher
            params["sign"] = tiktok_request_sign(path, params, raw, secret)
            return self._http.request(method, s.tiktok_api_url.rstrip("/") + path, params=params, content=raw,
                                      headers=headers)

        try:  # short bucket waits pace us; long ones, and a 429 (which holds the API back), go to the caller
            resp = http_calls.call(send, method=method, policy=_POLICY, bucket=bucket, sleep=self._sleep)
        except ApiCallError as exc:
            raise _call_error(exc, api) from None
        return _unwrap(resp, api)


# One try per call; a 429 holds the API's bucket for Retry-After (else 1 s) so the next call waits.
_POLICY = CallPolicy(max_attempts=1, max_wait_s=MAX_WAIT_S, default_wait_s=1.0)


def _call_error(exc: ApiCallError, api: str) -> TikTokApiError:
    if exc.kind == "rate_limited":
        return TikTokApiError(f"TikTok {api} is rate limited", retryable=True, retry_after_s=exc.retry_after_s)
    if exc.kind == "timeout":
        return TikTokApiError(f"TikTok {api} timed out", retryable=True)
    if exc.kind == "http" and exc.response is not None:
        return _failure(exc.response, api) or TikTokApiError(
            f"TikTok {api} failed (HTTP {exc.status})", retryable=False, http_status=exc.status)
    return TikTokApiError(f"TikTok {api} unreachable ({exc.cause})", retryable=True)


def _unwrap(resp: httpx.Response, api: str) -> dict[str, Any]:
    """The `data` of a successful answer; TikTok's {"code": non-zero} in a 200 is a failure too."""
    if (failure := _failure(resp, api)) is not None:
        raise failure
    data = resp.json().get("data")
    return data if isinstance(data, dict) else {}


def _failure(resp: httpx.Response, api: str) -> TikTokApiError | None:
    """429 and 5xx are retryable (with Retry-After); other HTTP errors and a non-zero `code` are not."""
    try:
        payload = resp.json()
    except ValueError:
        payload = None
    code = payload.get("code") if isinstance(payload, dict) else None
    message = str(payload.get("message") or "") if isinstance(payload, dict) else ""
    if resp.status_code == 429 or resp.status_code >= 500:
        return TikTokApiError(f"TikTok {api}: HTTP {resp.status_code} {message}".strip(), retryable=True, code=code,
                              http_status=resp.status_code, retry_after_s=retry_after_s(resp.headers))
    if resp.status_code >= 400 or code != 0:
        detail = f"code {code}: {message}" if code is not None else f"HTTP {resp.status_code}"
        return TikTokApiError(f"TikTok {api} failed ({detail})", retryable=False, code=code,
                              http_status=resp.status_code)
    return None


# ---------------------------------------------------------------- TikTok records -> domain models

ORDER_STATUS: dict[str, OrderStatus] = {
    "UNPAID": "pending", "ON_HOLD": "pending", "AWAITING_SHIPMENT": "unshipped", "PARTIALLY_SHIPPING": "shipped",
    "AWAITING_COLLECTION": "shipped", "IN_TRANSIT": "in_transit", "DELIVERED": "delivered",
    "COMPLETED": "delivered",  # a fully returned order also ends COMPLETED: its returns tell the difference
    "CANCELLED": "cancelled",
}
_WAITING: ShipmentStatus = "label_created"
_SHIPMENT_STATUS: dict[str, ShipmentStatus] = {
    "UNPAID": _WAITING, "ON_HOLD": _WAITING, "AWAITING_SHIPMENT": _WAITING, "AWAITING_COLLECTION": _WAITING,
    "CANCELLED": _WAITING, "DELIVERED": "delivered", "COMPLETED": "delivered",
}
RETURN_STATUS: dict[str, ReturnStatus] = {
    "RETURN_OR_REFUND_REQUEST_PENDING": "requested", "AWAITING_BUYER_RESPONSE": "requested",
    "REPLACEMENT_REQUEST_PENDING": "requested", "AWAITING_BUYER_SHIP": "approved",
    "BUYER_SHIPPED_ITEM": "in_transit",  # TikTok does not say when the package reached the seller
    "REFUND_OR_RETURN_REQUEST_REJECT": "rejected", "REJECT_RECEIVE_PACKAGE": "rejected",
    "REPLACEMENT_REQUEST_REJECT": "rejected", "RETURN_OR_REFUND_REQUEST_SUCCESS": "refunded",
    "RETURN_OR_REFUND_REQUEST_COMPLETE": "refunded", "REPLACEMENT_REQUEST_REFUND_SUCCESS": "refunded",
    "RETURN_OR_REFUND_REQUEST_CANCEL": "closed", "REPLACEMENT_REQUEST_CANCEL": "closed",
    "REPLACEMENT_REQUEST_COMPLETE": "closed",
}
# Return reason codes are long localisable keys; match on words rather than a list that changes.
_REASON_WORDS: tuple[tuple[str, ReturnReason], ...] = (
    ("damag", "damaged"), ("defect", "defective"), ("not work", "defective"), ("wrong", "wrong_item"),
    ("describ", "not_as_described"), ("match", "not_as_described"), ("late", "arrived_late"),
    ("no_longer", "no_longer_needed"), ("no longer", "no_longer_needed"),
)
_STATES = (
    "AL Alabama|AK Alaska|AZ Arizona|AR Arkansas|CA California|CO Colorado|CT Connecticut|DE Delaware|"
    "DC District of Columbia|FL Florida|GA Georgia|HI Hawaii|ID Idaho|IL Illinois|IN Indiana|IA Iowa|KS Kansas|"
    "KY Kentucky|LA Louisiana|ME Maine|MD Maryland|MA Massachusetts|MI Michigan|MN Minnesota|MS Mississippi|"
    "MO Missouri|MT Montana|NE Nebraska|NV Nevada|NH New Hampshire|NJ New Jersey|NM New Mexico|NY New York|"
    "NC North Carolina|ND North Dakota|OH Ohio|OK Oklahoma|OR Oregon|PA Pennsylvania|RI Rhode Island|"
    "SC South Carolina|SD South Dakota|TN Tennessee|TX Texas|UT Utah|VT Vermont|VA Virginia|WA Washington|"
    "WV West Virginia|WI Wisconsin|WY Wyoming|PR Puerto Rico|GU Guam|VI U.S. Virgin Islands|AS American Samoa|"
    "MP Northern Mariana Islands|AA Armed Forces Americas|AE Armed Forces Europe|AP Armed Forces Pacific"
)
US_STATE_NAMES: dict[str, str] = dict(pair.split(" ", 1) for pair in _STATES.split("|"))  # type: ignore[misc]
"""State code -> the name TikTok puts in recipient_address.district_info (level L1)."""
_STATE_CODES = {name.lower(): code for code, name in US_STATE_NAMES.items()}


def to_order(o: Mapping[str, Any]) -> Order:
    """One order of Get Order Detail. Line items come one per unit; they are folded back per seller SKU."""
    items: dict[str, LineItem] = {}
    packages: dict[str, dict[str, Any]] = {}
    for unit in o.get("line_items") or []:
        sku = str(unit.get("seller_sku") or unit["sku_id"])
        line = items.get(sku)
        if line is None:
            name, variant = str(unit.get("product_name") or sku), unit.get("sku_name")
            line = items[sku] = LineItem(
                line_number=len(items) + 1, sku=sku, product_id=str(unit.get("product_id") or ""),
                title=f"{name} - {variant}" if variant else name, quantity=1, unit_price=_money(unit.get("sale_price")))
        else:
            line.quantity += 1
        if unit.get("package_id") and unit.get("tracking_number"):
            package = packages.setdefault(str(unit["package_id"]), {"unit": unit, "lines": set()})
            package["lines"].add(line.line_number)
    native = str(o["status"])
    pay = o.get("payment") or {}
    subtotal = sum((i.unit_price * i.quantity for i in items.values()), Decimal(0))
    shipping, tax = _money(pay.get("shipping_fee")), _money(pay.get("tax"))
    ship_by = from_unix(o.get("shipping_due_time") or o["create_time"]).date()
    deliver_by = max(ship_by, from_unix(o.get("delivery_due_time") or o["create_time"]).date())
    shipments = [s for pid, pkg in packages.items() if (s := _shipment(pid, pkg, o, native, deliver_by))]
    return Order(
        id=str(o["id"]), platform="tiktok", platform_ref=str(o["id"]), customer_id=str(o.get("user_id") or ""),
        status=ORDER_STATUS.get(native, "pending"), platform_status=native, created_at=from_unix(o["create_time"]),
        items=list(items.values()), subtotal=subtotal, shipping=shipping, tax=tax, total=subtotal + shipping + tax,
        payment_method=PaymentMethod(kind="marketplace"), shipping_address=_address(o["recipient_address"]),
        fulfillment_channel="seller", ship_by=ship_by, deliver_by=deliver_by, shipments=shipments,
        cancelled_at=from_unix(o["cancel_time"]) if o.get("cancel_time") else None,
    )


def _shipment(package_id: str, package: dict[str, Any], o: Mapping[str, Any], native: str,
              deliver_by: Any) -> Shipment | None:
    """A package; TikTok gives no per-package ETA or scan events, so the order's promise stands in."""
    unit = package["unit"]
    status = _SHIPMENT_STATUS.get(native, "in_transit")
    delivered = from_unix(o.get("delivery_time") or o.get("update_time") or o["create_time"])
    try:
        return Shipment(
            id=package_id, carrier=_carrier(str(unit.get("shipping_provider_name") or "")),  # type: ignore[arg-type]
            service=str(o.get("delivery_option_name") or "Standard shipping"),
            tracking_number=str(unit["tracking_number"]), status=status,
            shipped_at=from_unix(unit.get("rts_time") or o.get("rts_time") or o["create_time"]),
            estimated_delivery=deliver_by, delivered_at=delivered if status == "delivered" else None,
            line_numbers=sorted(package["lines"]))
    except ValidationError:
        return None  # a carrier or tracking format shopdesk does not model


def to_return(r: Mapping[str, Any], order: Order, policy: PlatformPolicy) -> Return:
    """One record of Search Returns (line items one per unit). The window comes from the policy file."""
    counts: dict[str, int] = {}
    for unit in r.get("return_line_items") or []:
        sku = str(unit.get("seller_sku") or unit["sku_id"])
        counts[sku] = counts.get(sku, 0) + 1
    words = f"{r.get('return_reason', '')} {r.get('return_reason_text', '')}".lower()
    reason = next((reason for word, reason in _REASON_WORDS if word in words), "changed_mind")
    fees = r.get("shipping_fee_amount") or [{}]
    fees = fees[0] if isinstance(fees, list) else fees
    paid_by = "buyer" if _money(fees.get("buyer_paid_return_shipping_fee")) > 0 else "seller"
    requested = from_unix(r["create_time"])
    label = None
    carrier = _carrier(str(r.get("return_provider_name") or ""))
    if carrier and r.get("return_tracking_number"):
        try:
            label = ReturnLabel(carrier=carrier, tracking_number=str(r["return_tracking_number"]), paid_by=paid_by)
        except ValidationError:
            label = None
    return Return(
        id=str(r["return_id"]), order_id=order.id, customer_id=order.customer_id, platform="tiktok",
        items=[ReturnItem(sku=sku, quantity=n) for sku, n in counts.items()], reason=reason,
        status=RETURN_STATUS.get(str(r.get("return_status")), "requested"), requested_at=requested,
        window_ends=policy.return_window_end(order, reason) or requested.date(),
        return_shipping_paid_by=paid_by, label=label,
    )


def _carrier(name: str) -> Carrier | None:
    lowered = name.lower()
    for key, carrier in (("usps", "USPS"), ("ups", "UPS"), ("fedex", "FedEx"), ("amazon", "Amazon Logistics")):
        if key in lowered:
            return carrier  # type: ignore[return-value]
    return None


def _address(a: Mapping[str, Any]) -> Address:
    levels = {str(d.get("address_level")): str(d.get("address_name") or "") for d in a.get("district_info") or []}
    state = levels.get("L1", "")
    code = state.upper() if state.upper() in US_STATE_NAMES else _STATE_CODES.get(state.lower(), state)
    name = a.get("name") or " ".join(p for p in (a.get("first_name"), a.get("last_name")) if p)
    return Address(name=name, line1=a["address_line1"], line2=a.get("address_line2") or None,
                   city=levels.get("L3") or levels.get("L2") or "", state=code, zip=str(a["postal_code"]))


def _money(value: object) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)
