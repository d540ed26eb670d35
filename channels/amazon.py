"""Amazon Selling Partner API: LWA tokens, orders (v2026-01-01) and proactive buyer messages.

Buyer messages cannot be read or answered through SP-API: they arrive at the seller's mailbox from
the buyer's relay address and are answered by email (the email channel). So this module is not a
`ChannelSender`; it reads orders for context and sends the few *proactive* messages the Messaging API
allows (confirmDeliveryDetails, unexpectedProblem...), refusing text Amazon would reject before any call.

What SP-API cannot tell us, and so `Order`s from here leave out (see `order_from_sp_api`):
- packages (tracking) and buyerEmail exist for merchant-fulfilled (FBM) orders only; FBA orders come
  back without shipments and with an unknown customer ("" unless buyerEmail is there);
- the delivery time of a package (the order's lastUpdatedTime stands in for it) and returns (a shipped
  order that came back still reads SHIPPED);
- shopdesk's customer and product ids: inject `customer_ids` (buyer email -> customer id) and
  `product_ids` (seller SKU -> product id); by default they are the buyer email and the SKU.
searchOrders has no buyer filter: `search_orders(buyer_email=...)` filters a created-date window here.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from channels import http_calls
from channels.base import PlatformApiError, SendError, SendReceipt, json_object
from channels.http_calls import ApiCallError, CallPolicy
from channels.ratelimit import TokenBucket, retry_after_s
from channels.tokens import CachedToken
from shopdesk.settings import Settings
from tools.clock import Clock, SystemClock
from tools import contacts
from tools.errors import NotFoundError
from tools.models import (
    Address,
    Carrier,
    LineItem,
    Order,
    OrderStatus,
    PaymentMethod,
    Shipment,
    ShipmentStatus,
    validate_order_id,
)
from tools.policy.loader import policy_for

log = logging.getLogger(__name__)

US_MARKETPLACE_ID = "ATVPDKIKX0DER"
ORDERS_PATH = "/orders/2026-01-01/orders"
MESSAGING_PATH = "/messaging/v1/orders"
INCLUDED_DATA = "BUYER,RECIPIENT,PROCEEDS,FULFILLMENT,PACKAGES"
MESSAGE_TYPES = frozenset({
    "confirmCustomizationDetails", "confirmDeliveryDetails", "legalDisclosure", "confirmOrderDetails",
    "confirmServiceDetails", "warranty", "digitalAccessKey", "unexpectedProblem", "invoice",
})
# The others need attachments (an invoice PDF, a disclosure, a customization image) we do not send.
TEXT_MESSAGE_TYPES = frozenset({
    "confirmDeliveryDetails", "confirmOrderDetails", "confirmServiceDetails", "unexpectedProblem", "warranty",
})
# (requests per second, burst) per operation, from platforms.md; the x-amzn-RateLimit-Limit header wins.
RATE_LIMITS: dict[str, tuple[float, int]] = {
    "getOrder": (0.5, 30), "searchOrders": (0.0056, 20),
    "getMessagingActionsForOrder": (1.0, 5), "createMessage": (1.0, 5),
}


class AmazonApiError(PlatformApiError):
    """An SP-API or LWA call failed; `retryable` for timeouts, 429 and 5xx."""

    code = "amazon_api_error"


class LwaTokens(CachedToken):
    """Login-with-Amazon access tokens from the seller's refresh token, reused until a minute before expiry."""

    def __init__(self, http: httpx.Client, lwa_url: str, client_id: str, client_secret: str, refresh_token: str,
                 clock: Clock | None = None) -> None:
        super().__init__(clock)
        self._http, self._url = http, lwa_url
        self._form = {"grant_type": "refresh_token", "refresh_token": refresh_token,
                      "client_id": client_id, "client_secret": client_secret}

    def _fetch(self, now: datetime) -> tuple[str, datetime]:
        try:
            resp = self._http.post(self._url, data=self._form, headers={"accept": "application/json"})
        except httpx.HTTPError as exc:
            raise AmazonApiError(f"LWA token request failed ({type(exc).__name__})", retryable=True) from None
        if resp.status_code != 200:
            code = json_object(resp).get("error")
            raise AmazonApiError(f"LWA refused the token request ({code or resp.status_code})",
                                 status=resp.status_code, api_code=code, retryable=_retryable(resp.status_code),
                                 retry_after_s=retry_after_s(resp.headers))
        data = json_object(resp)
        if not isinstance(data.get("access_token"), str):
            raise AmazonApiError("LWA answered without an access_token", status=200, api_code="unexpected_response")
        return data["access_token"], now + timedelta(seconds=int(data.get("expires_in", 3600)))


class AmazonClient:
    """Orders and proactive messaging over SP-API, throttled per operation; see the module docstring."""

    def __init__(self, settings: Settings, http: httpx.Client, clock: Clock | None = None, *,
                 marketplace_id: str = US_MARKETPLACE_ID,
                 customer_ids: Callable[[str], str | None] | None = None,
                 product_ids: Callable[[str], str | None] | None = None,
                 sleep: Callable[[float], None] = time.sleep, max_wait_s: float = 30.0, max_attempts: int = 3,
                 rate_limits: Mapping[str, tuple[float, int]] | None = None) -> None:
        secret, refresh = settings.amazon_client_secret, settings.amazon_refresh_token
        if not (settings.amazon_client_id and secret and refresh):
            raise ValueError("SP-API needs SHOPDESK_AMAZON_CLIENT_ID, _CLIENT_SECRET and _REFRESH_TOKEN")
        self._http, self._base = http, settings.amazon_api_url.rstrip("/")
        self._clock = clock or SystemClock()
        self.marketplace_id = marketplace_id
        self._customer_ids, self._product_ids = customer_ids, product_ids
        # Only a 429 is retried (reads only, paced by the operation's bucket); 5xx and timeouts go back
        # to the caller. Retrying 5xx/timeouts on reads is a policy change: add them here.
        self._sleep = sleep
        self._policy = CallPolicy(max_attempts=max_attempts, max_wait_s=max_wait_s, retry_statuses=frozenset({429}),
                                  retry_timeouts=False, default_wait_s=None,
                                  rate_header="x-amzn-ratelimit-limit", api_code=_error_code)
        self.tokens = LwaTokens(http, settings.amazon_lwa_url, settings.amazon_client_id, secret.get_secret_value(),
                                refresh.get_secret_value(), self._clock)
        seconds = lambda: self._clock.now().timestamp()
        self.buckets = {op: TokenBucket(rate, burst, clock=seconds, sleep=sleep)
                        for op, (rate, burst) in {**RATE_LIMITS, **(rate_limits or {})}.items()}

    # ---------------------------------------------------------------- orders

    def get_order(self, order_id: str) -> Order:
        order_id = validate_order_id("amazon", order_id.strip())
        try:
            resp = self._call("getOrder", "GET", f"{ORDERS_PATH}/{order_id}", params={"includedData": INCLUDED_DATA})
        except AmazonApiError as exc:
            if exc.status == 404:
                raise NotFoundError(f"Amazon has no order {order_id}.", record_id=order_id) from None
            raise
        return self._order(json_object(resp).get("order"))

    def search_orders(self, *, created_after: datetime, created_before: datetime | None = None,
                      fulfillment_statuses: Sequence[str] = (), buyer_email: str | None = None,
                      max_orders: int = 100, page_size: int = 100) -> list[Order]:
        """searchOrders by createdAfter/createdBefore and fulfillmentStatuses, following nextToken pages;
        `buyer_email` (a relay address) is matched here on buyer.buyerEmail, so FBA orders never match."""
        params: dict[str, Any] = {"createdAfter": _iso(created_after), "marketplaceIds": self.marketplace_id,
                                  "includedData": INCLUDED_DATA, "maxResultsPerPage": page_size}
        if created_before is not None:
            params["createdBefore"] = _iso(created_before)
        if fulfillment_statuses:
            params["fulfillmentStatuses"] = ",".join(fulfillment_statuses)
        wanted = buyer_email.strip().lower() if buyer_email else None
        found: list[Order] = []
        while True:
            data = json_object(self._call("searchOrders", "GET", ORDERS_PATH, params=params))
            for raw in data.get("orders") or []:
                email = str((raw.get("buyer") or {}).get("buyerEmail") or "").lower()
                if wanted is None or email == wanted:
                    found.append(self._order(raw))
                    if len(found) >= max_orders:
                        return found
            token = (data.get("pagination") or {}).get("nextToken")
            if not token:
                return found
            params = {**params, "paginationToken": token}

    def _order(self, raw: Any) -> Order:
        return order_from_sp_api(raw, customer_ids=self._customer_ids, product_ids=self._product_ids)

    # ---------------------------------------------------------------- proactive messaging

    def allowed_message_types(self, order_id: str) -> list[str]:
        """getMessagingActionsForOrder: the names under `_links.actions` ({"href", "name"} each)."""
        order_id = validate_order_id("amazon", order_id.strip())
        try:
            resp = self._call("getMessagingActionsForOrder", "GET", f"{MESSAGING_PATH}/{order_id}",
                              params={"marketplaceIds": self.marketplace_id})
        except AmazonApiError as exc:
            if exc.status == 404:
                raise NotFoundError(f"Amazon has no order {order_id}.", record_id=order_id) from None
            raise
        actions = ((json_object(resp).get("_links") or {}).get("actions")) or []
        return [a["name"] for a in actions if isinstance(a, dict) and isinstance(a.get("name"), str)]

    def send_proactive(self, order_id: str, message_type: str, text: str) -> SendReceipt:
        """POST .../messages/{type} {"text"}; refused first (SendError, not retryable) when Amazon would."""
        check_proactive_text(text)
        if message_type not in MESSAGE_TYPES:
            raise SendError(f"unknown Amazon message type {message_type!r}", retryable=False)
        if message_type not in TEXT_MESSAGE_TYPES:
            raise SendError(f"{message_type} needs attachments, which shopdesk does not send", retryable=False)
        try:
            allowed = self.allowed_message_types(order_id)
            if message_type not in allowed:
                raise SendError(f"{message_type} is not allowed for this order now (allowed: "
                                f"{', '.join(allowed) or 'none'})", retryable=False)
            resp = self._call("createMessage", "POST", f"{MESSAGING_PATH}/{order_id}/messages/{message_type}",
                              params={"marketplaceIds": self.marketplace_id}, json={"text": text})
        except NotFoundError:
            raise SendError(f"Amazon has no order {order_id}", retryable=False) from None
        except ValueError as exc:  # a malformed order id
            raise SendError(str(exc), retryable=False) from None
        except AmazonApiError as exc:
            raise SendError(exc.message, retryable=exc.retryable, retry_after_s=exc.retry_after_s) from None
        message_id = resp.headers.get("x-amzn-RequestId") or f"{order_id}:{message_type}:{uuid.uuid4().hex}"
        return SendReceipt(platform_message_id=message_id, sent_at=self._clock.now())

    # ---------------------------------------------------------------- transport

    def _call(self, op: str, method: str, path: str, *, params: Mapping[str, Any] | None = None,
              json: Any = None) -> httpx.Response:
        """One throttled SP-API call (channels.http_calls): GETs wait out a 429 in the operation's bucket
        (bounded by max_wait_s) and retry; any call is resent once with a fresh token after a 403
        Unauthorized; POSTs hand a 429 back (the outbox retries)."""
        def send() -> httpx.Response:
            headers = {"x-amz-access-token": self.tokens.get(), "accept": "application/json"}
            return self._http.request(method, self._base + path, params=params, json=json, headers=headers)

        try:
            return http_calls.call(send, method=method, policy=self._policy, bucket=self.buckets[op],
                                   sleep=self._sleep, renew_auth=self._renew_auth)
        except ApiCallError as exc:
            raise _call_error(op, exc, self._policy.max_attempts) from None

    def _renew_auth(self, resp: httpx.Response) -> bool:
        """SP-API answers a stale LWA token with 403 Unauthorized: drop it so the resend fetches a new one."""
        if resp.status_code == 403 and _error_code(resp) == "Unauthorized":
            self.tokens.invalidate()
            return True
        return False


# -------------------------------------------------------------------- proactive message rules

_HTML = re.compile(r"<\s*/?\s*[a-z][a-z0-9-]*(\s[^<>]*)?/?\s*>|&(?:[a-z]+|#\d+);", re.IGNORECASE)


def check_proactive_text(text: str) -> None:
    """Raise SendError (not retryable) for text Amazon's Messaging API refuses (numbers: tools/policy/amazon.toml)."""
    rules = policy_for("amazon").messaging
    problem = None
    if not text.strip():
        problem = "the message is empty"
    elif len(text) > rules.max_chars:
        problem = f"{len(text)} characters; Amazon allows {rules.max_chars}"
    elif not rules.html_allowed and _HTML.search(text):
        problem = "HTML is not allowed; send plain text"
    elif not rules.email_addresses_allowed and contacts.find_emails(text):
        problem = "email addresses are not allowed"
    elif not rules.links_allowed and any(not contacts.names_the_marketplace(link, "amazon")
                                         for link in contacts.find_links(text)):
        problem = "links are not allowed"
    elif not rules.phone_numbers_allowed and contacts.find_phones(text):
        problem = "phone numbers are not allowed"
    if problem:
        raise SendError(f"refused before sending: {problem}", retryable=False)


# -------------------------------------------------------------------- SP-API order -> tools.models.Order

_CARRIERS: dict[str, Carrier] = {"usps": "USPS", "ups": "UPS", "fedex": "FedEx", "amazon logistics": "Amazon Logistics",
                                 "amzn_us": "Amazon Logistics", "amazon": "Amazon Logistics"}
_DETAILED: dict[str, ShipmentStatus] = {  # packageStatus.detailedStatus (or status) -> ours
    "PENDING_SCHEDULE": "label_created", "PENDING_PICK_UP": "label_created", "PENDING_DROP_OFF": "label_created",
    "LABEL_CANCELLED": "label_created", "PENDING": "label_created", "DELIVERED": "delivered",
    "OUT_FOR_DELIVERY": "out_for_delivery", "LOST": "lost", "UNDELIVERABLE": "exception", "DAMAGED": "exception",
    "REJECTED_BY_BUYER": "exception", "RETURNING_TO_SELLER": "exception", "RETURNED_TO_SELLER": "exception",
}


def order_from_sp_api(raw: Any, *, customer_ids: Callable[[str], str | None] | None = None,
                      product_ids: Callable[[str], str | None] | None = None) -> Order:
    """Map one v2026-01-01 order (with BUYER, RECIPIENT, PROCEEDS, FULFILLMENT, PACKAGES) to an `Order`."""
    try:
        return _map_order(raw, customer_ids, product_ids)
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise AmazonApiError(f"unexpected SP-API order shape ({type(exc).__name__})",
                             api_code="unexpected_response") from None


def _map_order(raw: dict[str, Any], customer_ids: Callable[[str], str | None] | None,
               product_ids: Callable[[str], str | None] | None) -> Order:
    order_id, created = raw["orderId"], _dt(raw["createdTime"])
    updated = _dt(raw.get("lastUpdatedTime") or raw["createdTime"])
    fulfillment = raw.get("fulfillment") or {}
    items, line_of = [], {}
    for n, item in enumerate(raw["orderItems"], 1):
        product, sku = item["product"], item["product"]["sellerSku"]
        items.append(LineItem(line_number=n, sku=sku, product_id=(product_ids and product_ids(sku)) or sku,
                              title=product.get("title") or sku, quantity=int(item["quantityOrdered"]),
                              unit_price=_money(product["price"]["unitPrice"])))
        line_of[item["orderItemId"]] = n
    parts = _breakdowns((raw.get("proceeds") or {}).get("breakdowns")) or _breakdowns(
        [b for item in raw["orderItems"] for b in ((item.get("proceeds") or {}).get("breakdowns") or [])])
    subtotal = sum((i.amount for i in items), Decimal(0))
    shipping, tax = parts.get("SHIPPING", Decimal(0)), parts.get("TAX", Decimal(0))
    ship_by = _window_end(fulfillment.get("shipByWindow")) or created.date()
    deliver_by = max(_window_end(fulfillment.get("deliverByWindow")) or ship_by, ship_by)
    shipments = [s for p in raw.get("packages") or [] if (s := _shipment(p, line_of, deliver_by, updated))]
    address = raw["recipient"]["deliveryAddress"]
    email = str((raw.get("buyer") or {}).get("buyerEmail") or "").strip().lower()
    status_word = fulfillment.get("fulfillmentStatus", "PENDING")
    status = _common_status(status_word, shipments)
    return Order(
        id=order_id, platform="amazon", platform_ref=order_id,
        customer_id=((customer_ids and email and customer_ids(email)) or email),
        status=status, platform_status=status_word, created_at=created, items=items, subtotal=subtotal,
        shipping=shipping, tax=tax, total=subtotal + shipping + tax, payment_method=PaymentMethod(kind="marketplace"),
        shipping_address=Address(name=address["name"], line1=address["addressLine1"],
                                 line2=address.get("addressLine2") or None, city=address["city"],
                                 state=address["stateOrRegion"], zip=address["postalCode"]),
        fulfillment_channel="FBA" if fulfillment.get("fulfilledBy") == "AMAZON" else "FBM",
        ship_by=ship_by, deliver_by=deliver_by, shipments=shipments,
        cancelled_at=updated if status == "cancelled" else None,
        gift=any(((i.get("fulfillment") or {}).get("packing") or {}).get("giftOption") for i in raw["orderItems"]),
    )


def _shipment(package: dict[str, Any], line_of: dict[str, int], deliver_by: Any, updated: datetime) -> Shipment | None:
    carrier = _CARRIERS.get(str(package.get("carrier") or "").strip().lower())
    state = package.get("packageStatus") or {}
    status = _DETAILED.get(state.get("detailedStatus") or "", _DETAILED.get(state.get("status") or "", "in_transit"))
    try:
        if carrier is None:
            raise ValueError("carrier")
        return Shipment(
            id=package["packageReferenceId"], carrier=carrier, service=package.get("shippingService") or carrier,
            tracking_number=package["trackingNumber"], status=status,
            shipped_at=_dt(package.get("shipTime") or package["createdTime"]), estimated_delivery=deliver_by,
            delivered_at=updated if status == "delivered" else None,
            line_numbers=sorted({line_of[i["orderItemId"]] for i in package.get("packageItems") or []
                                 if i.get("orderItemId") in line_of}))
    except ValueError:
        log.warning("skipped an Amazon package shopdesk cannot track (carrier %r)", package.get("carrier"))
        return None


def _common_status(word: str, shipments: list[Shipment]) -> OrderStatus:
    if word in ("PENDING", "PENDING_AVAILABILITY"):
        return "pending"
    if word == "UNSHIPPED":
        return "unshipped"
    if word in ("CANCELLED", "UNFULFILLABLE"):  # UNFULFILLABLE: will never ship (Multi-Channel only)
        return "cancelled"
    if word == "SHIPPED" and shipments and all(s.status == "delivered" for s in shipments):
        return "delivered"
    if any(s.status in ("in_transit", "out_for_delivery", "exception", "lost") for s in shipments):
        return "in_transit"
    return "shipped"


def _breakdowns(rows: Any) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for row in rows or []:
        totals[row["type"]] = totals.get(row["type"], Decimal(0)) + _money(row["subtotal"])
    return totals


def _window_end(window: Any) -> Any:
    return _dt(window["latestDateTime"]).date() if window and window.get("latestDateTime") else None


# -------------------------------------------------------------------- small helpers

def _money(value: Mapping[str, Any]) -> Decimal:
    if value.get("currencyCode", "USD") != "USD":
        raise ValueError("only USD orders are supported")
    return Decimal(str(value["amount"]))


def _dt(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError("timestamp without a timezone")
    return value


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")



def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


def _error_code(resp: httpx.Response) -> str | None:
    errors = json_object(resp).get("errors")
    return errors[0].get("code") if isinstance(errors, list) and errors and isinstance(errors[0], dict) else None


def _call_error(op: str, exc: ApiCallError, attempts: int) -> AmazonApiError:
    """The shared call failure in SP-API's words (QuotaExceeded for both our bucket and Amazon's 429)."""
    if exc.kind == "rate_limited":
        return AmazonApiError(f"{op} is rate limited", status=429, api_code="QuotaExceeded", retryable=True,
                              retry_after_s=exc.retry_after_s)
    if exc.kind in ("timeout", "network"):
        return AmazonApiError(f"{op} failed ({exc.cause})", retryable=True)
    if exc.kind == "http" and exc.response is not None:
        if exc.status == 429:
            return AmazonApiError(f"{op} was throttled by Amazon", status=429, api_code="QuotaExceeded",
                                  retryable=True, retry_after_s=exc.retry_after_s)
        return _api_error(op, exc.response)
    return AmazonApiError(f"{op} failed after {attempts} attempts", retryable=True)


def _api_error(op: str, resp: httpx.Response) -> AmazonApiError:
    """SP-API errors: {"errors": [{"code", "message", "details"}]}."""
    errors = json_object(resp).get("errors")
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    code, message = first.get("code"), first.get("message") or resp.reason_phrase
    return AmazonApiError(f"{op}: {resp.status_code} {code or ''} {message}".replace("  ", " "),
                          status=resp.status_code, api_code=code, retryable=_retryable(resp.status_code),
                          retry_after_s=retry_after_s(resp.headers))
