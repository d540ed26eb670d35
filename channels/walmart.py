"""Walmart Marketplace: order webhooks, and the API for orders, returns and refunds.

Walmart has no public customer-message API: buyers' messages reach the seller's care mailbox and the
email channel answers them, so this module is not a `ChannelSender`. It verifies and normalises the
order event notifications (PO_CREATED, PO_LINE_AUTOCANCELLED) and reads/writes through the v3 API:
- GET /v3/orders has no buyer filter: `list_orders(customer_email=...)` filters a created-date window
  here on customerEmailId (the buyer's relay address);
- returns are found by customerOrderId (GET /v3/returns has no purchaseOrderId filter);
- refunds (POST /v3/returns/{id}/refund) are checked before the call: positive request, whole cents,
  never above what the return's lines charged (price + tax - restocking fee), never on a WFS order
  (view-only) or a completed return; amounts go out negative, as Walmart requires.
`customer_ids` (relay email -> customer id) and `product_ids` (SKU -> product id) map to shopdesk's ids;
by default they are the relay email and the SKU.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
from pydantic import BaseModel

from channels import http_calls
from channels.base import (
    ChannelEvent,
    ContextEvent,
    PayloadError,
    PlatformApiError,
    json_object,
)
from channels.http_calls import ApiCallError, CallPolicy
from channels.payload import load_json, utc_from_iso, utc_from_unix
from channels.ratelimit import retry_after_s
from channels.signatures import SignatureError
from channels.tokens import CachedToken
from shopdesk.settings import Settings
from tools.clock import Clock, SystemClock
from tools.errors import NotFoundError, PreconditionFailed
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
)

# platforms.md: Walmart's HMAC delivery auth exists but its exact header and string are unconfirmed [U].
# We expect hex(HMAC-SHA256(secret, raw body)) in this header; change it here when confirmed.
WEBHOOK_SIGNATURE_HEADER = "WM_SEC.SIGNATURE"
SVC_NAME = "Walmart Marketplace"
EVENT_STATUS = {"PO_CREATED": "Created", "PO_LINE_AUTOCANCELLED": "Cancelled"}  # the events we handle
RETURN_REASONS: dict[str, ReturnReason] = {  # Walmart returnReason codes [U] -> ours
    "DAMAGED_ITEM": "damaged", "DEFECTIVE_ITEM": "defective", "WRONG_ITEM": "wrong_item",
    "NOT_AS_DESCRIBED": "not_as_described", "CHANGED_MIND": "changed_mind", "NO_LONGER_NEEDED": "no_longer_needed",
    "ARRIVED_LATE": "arrived_late",
}
_CARRIERS: dict[str, Carrier] = {"usps": "USPS", "ups": "UPS", "fedex": "FedEx"}
_LINE_RANK = ("Cancelled", "Created", "Acknowledged", "Shipped", "Delivered")
_ORDER_STATUS: dict[str, OrderStatus] = {"Created": "pending", "Acknowledged": "unshipped", "Shipped": "shipped",
                                         "Delivered": "delivered", "Cancelled": "cancelled"}


# -------------------------------------------------------------------- webhooks

def verify_webhook(body: bytes, headers: Mapping[str, str], settings: Settings) -> None:
    """Check a delivery the way settings.walmart_webhook_auth says Seller Center signs it.

    basic: Authorization: Basic base64("user:password") equal to the secret; hmac: hex HMAC-SHA256 of the
    raw body under the secret in WEBHOOK_SIGNATURE_HEADER; oauth: Authorization: Bearer <secret>."""
    mode, stored = settings.walmart_webhook_auth, settings.walmart_webhook_secret
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
    lines = [str(line.get("lineNumber")) for line in _listed(payload.get("orderLines"), "orderLine")
             if isinstance(line, dict) and line.get("lineNumber") is not None]
    if lines:
        extra["lineNumbers"] = ",".join(lines)
    return [ContextEvent(platform="walmart", delivery_id=event_id, kind="order", topic=topic,
                         order_id=str(payload["purchaseOrderId"]), status=EVENT_STATUS[topic], received_at=at,
                         data=extra)]


# -------------------------------------------------------------------- API

class WalmartApiError(PlatformApiError):
    """A Walmart API call failed; `retryable` for timeouts, 429 and 5xx."""

    code = "walmart_api_error"


class WalmartRefund(BaseModel):
    """What a refund call did: positive amounts here, negative on the wire."""

    return_order_id: str
    customer_order_id: str
    purchase_order_id: str
    amount: Decimal
    lines: dict[int, Decimal]
    refunded_at: datetime


class WalmartTokens(CachedToken):
    """OAuth client-credentials tokens (15 minutes), reused until a minute before expiry; thread-safe."""

    def __init__(self, http: httpx.Client, api_url: str, client_id: str, client_secret: str,
                 clock: Clock | None = None) -> None:
        super().__init__(clock)
        self._http, self._url = http, api_url.rstrip("/") + "/v3/token"
        self._basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()

    def _fetch(self, now: datetime) -> tuple[str, datetime]:
        headers = {"Authorization": f"Basic {self._basic}", "WM_SVC.NAME": SVC_NAME,
                   "WM_QOS.CORRELATION_ID": str(uuid.uuid4()), "Accept": "application/json"}
        try:
            resp = self._http.post(self._url, data={"grant_type": "client_credentials"}, headers=headers)
        except httpx.HTTPError as exc:
            raise WalmartApiError(f"token request failed ({type(exc).__name__})", retryable=True) from None
        data = json_object(resp)
        if resp.status_code != 200 or not isinstance(data.get("access_token"), str):
            raise _api_error("token", resp)
        return data["access_token"], now + timedelta(seconds=int(data.get("expires_in", 900)))


class WalmartClient:
    """Orders, returns and refunds over the v3 API; see the module docstring."""

    def __init__(self, settings: Settings, http: httpx.Client, clock: Clock | None = None, *,
                 customer_ids: Callable[[str], str | None] | None = None,
                 product_ids: Callable[[str], str | None] | None = None,
                 sleep: Callable[[float], None] = time.sleep, max_wait_s: float = 30.0, max_attempts: int = 3) -> None:
        if not (settings.walmart_client_id and settings.walmart_client_secret):
            raise ValueError("Walmart needs SHOPDESK_WALMART_CLIENT_ID and SHOPDESK_WALMART_CLIENT_SECRET")
        self._http, self._base = http, settings.walmart_api_url.rstrip("/")
        self._clock, self._sleep = clock or SystemClock(), sleep
        self._customer_ids, self._product_ids = customer_ids, product_ids
        # Only a 429 is retried (reads only): Retry-After, else the replenish time, else 1 s each time;
        # 5xx and timeouts go back to the caller. Retrying those on reads is a policy change: add them here.
        self._policy = CallPolicy(max_attempts=max_attempts, max_wait_s=max_wait_s, retry_statuses=frozenset({429}),
                                  retry_timeouts=False, default_wait_s=1.0, backoff=1.0, wait_hint=self._wait_hint,
                                  api_code=_error_code)
        self.tokens = WalmartTokens(http, settings.walmart_api_url, settings.walmart_client_id,
                                    settings.walmart_client_secret.get_secret_value(), self._clock)

    def get_order(self, purchase_order_id: str) -> Order:
        return self._order(self._raw_order(purchase_order_id))

    def list_orders(self, *, created_start: datetime, created_end: datetime | None = None, status: str | None = None,
                    customer_email: str | None = None, max_orders: int = 200, page_size: int = 100) -> list[Order]:
        """GET /v3/orders by createdStartDate/createdEndDate/status, following nextCursor."""
        params = {"createdStartDate": _iso(created_start), "limit": str(page_size), "productInfo": "false"}
        if created_end is not None:
            params["createdEndDate"] = _iso(created_end)
        if status:
            params["status"] = status
        wanted = customer_email.strip().lower() if customer_email else None
        found: list[Order] = []
        for raw in self._pages("/v3/orders", params, lambda d: (d.get("list") or {}).get("meta"),
                               lambda d: _listed(((d.get("list") or {}).get("elements") or {}), "order")):
            if wanted is None or str(raw.get("customerEmailId") or "").lower() == wanted:
                found.append(self._order(raw))
                if len(found) >= max_orders:
                    break
        return found

    def returns(self, *, customer_order_id: str | None = None, return_order_id: str | None = None,
                customer_email: str | None = None) -> list[Return]:
        return [self._return(r) for r in self._raw_returns(customer_order_id, return_order_id, customer_email)]

    def order_returns(self, purchase_order_id: str) -> list[Return]:
        """The returns of one purchase order (found through its customerOrderId)."""
        coid = str(self._raw_order(purchase_order_id).get("customerOrderId") or "")
        return [r for r in self.returns(customer_order_id=coid) if r.order_id == purchase_order_id] if coid else []

    def refund_return(self, return_order_id: str, amount: Decimal | str | float, reason: str) -> WalmartRefund:
        """Refund `amount` (positive, dollars) on a return, spread over its lines; refused before the call
        (PreconditionFailed) when Walmart's rules would refuse it."""
        try:
            amount = Decimal(str(amount))
        except InvalidOperation:
            amount = Decimal("NaN")
        if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
            raise PreconditionFailed("A refund must be a positive amount in whole cents.", code="invalid_amount")
        found = self._raw_returns(None, return_order_id, None)
        if not found:
            raise NotFoundError(f"Walmart has no return {return_order_id}.", record_id=return_order_id)
        raw = found[0]
        open_lines = [line for line in raw["returnOrderLines"] if line.get("status") not in ("COMPLETED", "CANCELLED")]
        if not open_lines:
            raise PreconditionFailed(f"Return {return_order_id} is already refunded or closed.",
                                     code="already_refunded")
        po_id = str(open_lines[0]["purchaseOrderId"])
        if (self._raw_order(po_id).get("shipNode") or {}).get("type") == "WFSFulfilled":
            raise PreconditionFailed("Walmart handles refunds of WFS orders; their returns are view-only.",
                                     code="wfs_view_only")
        plan, remaining = [], amount
        for line in open_lines:
            price, tax, fee = _line_charges(line)
            portion = min(remaining, price + tax - fee)
            if portion > 0:
                tax_part = (portion * tax / (price + tax)).quantize(Decimal("0.01")) if price + tax else Decimal(0)
                product_part = min(price, portion - tax_part)
                plan.append((line, product_part, portion - product_part))
                remaining -= portion
        if remaining > 0:
            cap = amount - remaining
            raise PreconditionFailed(f"A refund of ${amount} is more than the ${cap} charged for return "
                                     f"{return_order_id}.", code="refund_exceeds_paid", remaining=str(cap))
        body = {"customerOrderId": raw["customerOrderId"], "refundLines": [{
            "returnOrderLineNumber": line["returnOrderLineNumber"], "refundComments": reason,
            "quantity": line.get("quantity") or {"unitOfMeasure": "EACH", "measurementValue": 1},
            "refundCharges": [{"chargeCategory": "PRODUCT", "chargeName": "Item Price", "chargeAmount": _wire(-product),
                               "tax": [{"taxName": "Tax1", "taxAmount": _wire(-tax)}]}],
        } for line, product, tax in plan]}
        self._call("refund", "POST", f"/v3/returns/{return_order_id}/refund", json=body)
        return WalmartRefund(return_order_id=return_order_id, customer_order_id=str(raw["customerOrderId"]),
                             purchase_order_id=po_id, amount=amount, refunded_at=self._clock.now(),
                             lines={int(line["returnOrderLineNumber"]): p + t for line, p, t in plan})

    # ---------------------------------------------------------------- plumbing

    def _raw_order(self, purchase_order_id: str) -> dict[str, Any]:
        poid = purchase_order_id.strip()
        if not poid.isdigit():
            raise ValueError(f"{purchase_order_id!r} is not a Walmart purchase order id")
        try:
            data = json_object(self._call("getOrder", "GET", f"/v3/orders/{poid}"))
        except WalmartApiError as exc:
            if exc.status == 404:
                raise NotFoundError(f"Walmart has no order {poid}.", record_id=poid) from None
            raise
        if not isinstance(data.get("order"), dict):
            raise WalmartApiError("getOrder answered without an order", api_code="unexpected_response")
        return data["order"]

    def _raw_returns(self, customer_order_id: str | None, return_order_id: str | None,
                     customer_email: str | None) -> list[dict[str, Any]]:
        params = {k: v for k, v in (("customerOrderId", customer_order_id), ("returnOrderId", return_order_id),
                                    ("customerEmailId", customer_email)) if v}
        return list(self._pages("/v3/returns", params, lambda d: d.get("meta"), lambda d: d.get("returnOrders") or []))

    def _pages(self, path: str, params: dict[str, str], meta: Callable[[dict[str, Any]], Any],
               rows: Callable[[dict[str, Any]], list[Any]]) -> Any:
        """Yield every row of every page; Walmart's nextCursor is a query string for the same path."""
        url: str = path
        query: dict[str, str] | None = params
        for _ in range(100):
            data = json_object(self._call("list", "GET", url, params=query))
            yield from (r for r in rows(data) if isinstance(r, dict))
            cursor = (meta(data) or {}).get("nextCursor")
            if not cursor:
                return
            url, query = path + (cursor if cursor.startswith("?") else "?" + cursor), None

    def _order(self, raw: dict[str, Any]) -> Order:
        return order_from_walmart(raw, customer_ids=self._customer_ids, product_ids=self._product_ids)

    def _return(self, raw: dict[str, Any]) -> Return:
        return return_from_walmart(raw, customer_ids=self._customer_ids)

    def _call(self, op: str, method: str, path: str, *, params: Mapping[str, str] | None = None,
              json: Any = None) -> httpx.Response:
        """One v3 call (channels.http_calls): GETs wait out a 429 (Retry-After / x-next-replenish-time,
        bounded by max_wait_s) and retry; any call is resent once with a fresh token after a 401. A refused
        POST is never retried here."""
        def send() -> httpx.Response:
            headers = {"WM_SEC.ACCESS_TOKEN": self.tokens.get(), "WM_QOS.CORRELATION_ID": str(uuid.uuid4()),
                       "WM_SVC.NAME": SVC_NAME, "Accept": "application/json"}
            return self._http.request(method, self._base + path, params=params, json=json, headers=headers)

        try:
            return http_calls.call(send, method=method, policy=self._policy, sleep=self._sleep,
                                   renew_auth=self._renew_auth)
        except ApiCallError as exc:
            raise _call_error(op, exc, self._policy.max_attempts) from None

    def _renew_auth(self, resp: httpx.Response) -> bool:
        """A 401 means the access token went stale: drop it so the resend fetches a new one."""
        if resp.status_code == 401:
            self.tokens.invalidate()
            return True
        return False

    def _wait_hint(self, resp: httpx.Response) -> float | None:
        """Retry-After, else x-next-replenish-time."""
        return retry_after_s(resp.headers) or self._replenish_wait(resp)

    def _replenish_wait(self, resp: httpx.Response) -> float | None:
        """x-next-replenish-time: epoch milliseconds when the quota refills [U]."""
        try:
            return max(0.0, int(resp.headers["x-next-replenish-time"]) / 1000 - self._clock.now().timestamp())
        except (KeyError, ValueError):
            return None


# -------------------------------------------------------------------- Walmart JSON -> tools.models

def order_from_walmart(raw: Any, *, customer_ids: Callable[[str], str | None] | None = None,
                       product_ids: Callable[[str], str | None] | None = None) -> Order:
    """One v3 order ({"purchaseOrderId", "orderLines": {"orderLine": [...]}, ...}) as an `Order`."""
    try:
        return _map_order(raw, customer_ids, product_ids)
    except (KeyError, TypeError, ValueError, InvalidOperation, AttributeError) as exc:
        raise WalmartApiError(f"unexpected Walmart order shape ({type(exc).__name__})",
                              api_code="unexpected_response") from None


def _map_order(raw: dict[str, Any], customer_ids: Any, product_ids: Any) -> Order:
    poid, info = str(raw["purchaseOrderId"]), raw["shippingInfo"]
    items, shipping, tax, states, parcels = [], Decimal(0), Decimal(0), [], {}
    for line in _listed(raw["orderLines"], "orderLine"):
        number, qty = int(line["lineNumber"]), int(Decimal(str(line["orderLineQuantity"]["amount"])))
        product = Decimal(0)
        for charge in _listed(line.get("charges") or {}, "charge"):
            amount = _money(charge["chargeAmount"])
            product, shipping = (product + amount, shipping) if charge["chargeType"] == "PRODUCT" else (
                product, shipping + amount)
            tax += _money((charge.get("tax") or {}).get("taxAmount") or {"amount": 0})
        sku = line["item"]["sku"]
        items.append(LineItem(line_number=number, sku=sku, product_id=(product_ids and product_ids(sku)) or sku,
                              title=line["item"].get("productName") or sku, quantity=qty, unit_price=product / qty))
        for state in _listed(line["orderLineStatuses"], "orderLineStatus"):
            states.append(state["status"])
            track = state.get("trackingInfo")
            if track and track.get("trackingNumber"):
                parcel = parcels.setdefault(track["trackingNumber"], {"track": track, "lines": set(), "states": set(),
                                                                       "at": 0})
                parcel["lines"].add(number)
                parcel["states"].add(state["status"])
                parcel["at"] = max(parcel["at"], int(line.get("statusDate") or 0))
    word = _aggregate(states)
    created = _when(raw["orderDate"])
    ship_by = _when(info["estimatedShipDate"]).date() if info.get("estimatedShipDate") else created.date()
    deliver_by = max(ship_by, _when(info["estimatedDeliveryDate"]).date() if info.get("estimatedDeliveryDate")
                     else ship_by)
    shipments = [s for number, p in parcels.items() if (s := _shipment(number, p, deliver_by))]
    address, email = info["postalAddress"], str(raw.get("customerEmailId") or "").strip().lower()
    subtotal = sum((i.amount for i in items), Decimal(0))
    status = _ORDER_STATUS.get(word, "pending")
    last_change = max((int(line.get("statusDate") or 0) for line in _listed(raw["orderLines"], "orderLine")), default=0)
    return Order(
        id=poid, platform="walmart", platform_ref=poid,
        customer_id=((customer_ids and email and customer_ids(email)) or email),
        status=status, platform_status=word, created_at=created, items=items, subtotal=subtotal, shipping=shipping,
        tax=tax, total=subtotal + shipping + tax, payment_method=PaymentMethod(kind="marketplace"),
        shipping_address=Address(name=address["name"], line1=address["address1"], line2=address.get("address2") or None,
                                 city=address["city"], state=address["state"], zip=address["postalCode"]),
        fulfillment_channel="WFS" if (raw.get("shipNode") or {}).get("type") == "WFSFulfilled" else "seller",
        ship_by=ship_by, deliver_by=deliver_by, shipments=shipments,
        cancelled_at=_when(last_change) if status == "cancelled" and last_change else None)


def _shipment(number: str, parcel: dict[str, Any], deliver_by: date) -> Shipment | None:
    """Lines that share a tracking number are one parcel; a parcel is delivered when all its lines are."""
    track = parcel["track"]
    name = (track.get("carrierName") or {}).get("carrier") or (track.get("carrierName") or {}).get("otherCarrier")
    carrier = _CARRIERS.get(str(name or "").strip().lower())
    delivered = parcel["states"] == {"Delivered"}
    try:
        if carrier is None:
            raise ValueError("carrier")
        return Shipment(id=number, carrier=carrier, service=track.get("methodCode") or "Standard",
                        tracking_number=number, status="delivered" if delivered else "in_transit",
                        shipped_at=_when(track["shipDateTime"]), estimated_delivery=deliver_by,
                        delivered_at=_when(parcel["at"]) if delivered else None, line_numbers=sorted(parcel["lines"]))
    except (ValueError, KeyError):
        return None  # a carrier or tracking format shopdesk does not model


def _aggregate(states: list[str]) -> str:
    """One word for the order: Cancelled if every line is; else the least advanced of the live lines."""
    live = [s for s in states if s != "Cancelled"]
    if not live:
        return "Cancelled"
    ranked = [s for s in _LINE_RANK[1:] if s in live]
    return ranked[0] if ranked else live[0]


def return_from_walmart(raw: Any, *, customer_ids: Callable[[str], str | None] | None = None) -> Return:
    """One return order of GET /v3/returns (one line per returned unit) as a `Return`."""
    try:
        lines = raw["returnOrderLines"]
        counts: dict[str, int] = {}
        for line in lines:
            counts[line["item"]["sku"]] = counts.get(line["item"]["sku"], 0) + int(
                (line.get("quantity") or {}).get("measurementValue", 1))
        first = lines[0]
        events = {e.get("eventTag"): e.get("eventTime") for e in first.get("returnTrackingDetail") or []}
        fee = sum((_line_charges(line)[2] for line in lines), Decimal(0))
        label = None
        for carrier_info in raw.get("carrierInfoList") or []:
            carrier = _CARRIERS.get(str(carrier_info.get("carrierName") or "").lower())
            if carrier and carrier_info.get("trackingNo"):
                label = ReturnLabel(carrier=carrier, tracking_number=carrier_info["trackingNo"], paid_by="seller")
        email = str(raw.get("customerEmailId") or "").strip().lower()
        code = str(first.get("returnReason"))
        return Return(
            id=str(raw["returnOrderId"]), order_id=str(first["purchaseOrderId"]), platform="walmart",
            customer_id=((customer_ids and email and customer_ids(email)) or email),
            items=[ReturnItem(sku=sku, quantity=n) for sku, n in counts.items()],
            reason=RETURN_REASONS.get(code, "changed_mind"),
            note=None if code in RETURN_REASONS else f"Walmart reason: {code}",
            status=_return_status(str(first.get("status")), events), requested_at=_when(raw["returnOrderDate"]),
            window_ends=_when(raw["returnByDate"]).date(), return_shipping_paid_by="seller",  # Walmart: no fee to buyer
            restocking_fee=fee, label=label,
            received_at=_when(received) if (received := events.get("DELIVERED_AT_RETURN_CENTER")) else None)
    except (KeyError, TypeError, ValueError, IndexError, InvalidOperation, AttributeError) as exc:
        raise WalmartApiError(f"unexpected Walmart return shape ({type(exc).__name__})",
                              api_code="unexpected_response") from None


def _return_status(status: str, events: Mapping[str, Any]) -> ReturnStatus:
    if status == "INITIATED":
        return "in_transit" if "RETURN_IN_TRANSIT" in events else "approved"  # Walmart authorises returns itself
    if status == "DELIVERED":
        return "received"
    if status == "COMPLETED" and "RETURN_CANCELLED" not in events:
        return "refunded"
    return "closed"


def _line_charges(line: Mapping[str, Any]) -> tuple[Decimal, Decimal, Decimal]:
    """(product, tax, restocking fee) charged for one return line: per-unit amounts times the quantity."""
    qty = Decimal(str((line.get("quantity") or {}).get("measurementValue", 1)))
    price = tax = fee = Decimal(0)
    for charge in line.get("charges") or []:
        per_unit = _money(charge["chargePerUnit"]) * qty
        if charge.get("chargeCategory") == "PRODUCT":
            price += per_unit
            tax += sum((_money(t["taxPerUnit"]) * qty for t in charge.get("tax") or []), Decimal(0))
        elif charge.get("chargeCategory") == "FEE":
            fee += per_unit
    return price, tax, fee


# -------------------------------------------------------------------- small helpers

def _listed(container: Any, key: str) -> list[Any]:
    """Walmart wraps lists ({"orderLine": [...]}) and sometimes sends one object instead of a list."""
    value = container.get(key) if isinstance(container, dict) else container
    return value if isinstance(value, list) else [value] if isinstance(value, dict) else []


def _money(value: Mapping[str, Any]) -> Decimal:
    """{"currency", "amount"} (orders) or {"currencyUnit", "currencyAmount"} (returns), in USD."""
    if value.get("currency", value.get("currencyUnit", "USD")) != "USD":
        raise ValueError("only USD is supported")
    return Decimal(str(value.get("amount", value.get("currencyAmount", 0))))


def _wire(amount: Decimal) -> dict[str, Any]:
    return {"currencyAmount": float(amount), "currencyUnit": "USD"}


def _when(value: Any) -> datetime:
    """Walmart timestamps: epoch milliseconds (orders) or ISO 8601 (returns, events)."""
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.isdigit()):
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _event_time(value: Any) -> datetime:
    """A webhook's eventTime: epoch milliseconds or ISO 8601; PayloadError when unreadable or out of range."""
    if isinstance(value, int | float) and not isinstance(value, bool) or isinstance(value, str) and value.isdigit():
        return utc_from_unix(value, "source.eventTime", millis=True)
    return utc_from_iso(value, "source.eventTime")


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")



def _first_error(resp: httpx.Response) -> dict[str, Any]:
    """Walmart errors: {"errors": [{"code", "field", "description", ...}]} (or {"error": [...]} from /v3/token)."""
    data = json_object(resp)
    errors = _listed(data.get("errors") or data.get("error") or {}, "error")
    return errors[0] if errors and isinstance(errors[0], dict) else {}


def _error_code(resp: httpx.Response) -> str | None:
    code = _first_error(resp).get("code")
    return str(code) if code is not None else None


def _call_error(op: str, exc: ApiCallError, attempts: int) -> WalmartApiError:
    """The shared call failure in Walmart's words."""
    if exc.kind in ("timeout", "network"):
        return WalmartApiError(f"{op} failed ({exc.cause})", retryable=True)
    if exc.kind == "http" and exc.response is not None:
        if exc.status == 429:
            return WalmartApiError(f"{op} was throttled by Walmart", status=429, retryable=True,
                                   retry_after_s=exc.retry_after_s)
        return _api_error(op, exc.response)
    return WalmartApiError(f"{op} failed after {attempts} attempts", retryable=True)


def _api_error(op: str, resp: httpx.Response) -> WalmartApiError:
    """A refused call, with Walmart's first error code and description."""
    first = _first_error(resp)
    code = first.get("code")
    message = first.get("description") or first.get("info") or resp.reason_phrase
    return WalmartApiError(f"{op}: {resp.status_code} {code or ''} {message}".replace("  ", " "),
                           status=resp.status_code, api_code=code, retryable=resp.status_code == 429 or
                           resp.status_code >= 500, retry_after_s=retry_after_s(resp.headers))
