"""Shopify: order, fulfillment, refund and return webhooks as context; Admin GraphQL for orders and after-sale.

Customer MESSAGES do not come from here: Shopify's Inbox API is invite-only, so chat/email reach the
store's mailbox (the email channel). Webhooks are verified with base64 HMAC-SHA256 of the raw body and
deduplicated on X-Shopify-Webhook-Id; they only ever yield ContextEvents. GraphQL calls respect the
cost-based leaky bucket: the client remembers each operation's requestedQueryCost and the last
throttleStatus, and waits for the bucket to refill instead of being THROTTLED.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
from pydantic import BaseModel

from channels import http_calls
from channels.base import ContextEvent, PayloadError, SendError
from channels.http_calls import ApiCallError, CallPolicy
from channels.payload import load_json, utc_from_iso
from channels.signatures import verify_shopify
from shopdesk.settings import Settings
from tools.errors import NotFoundError
from tools.models import (
    Address,
    LineItem,
    Order,
    OrderStatus,
    PaymentMethod,
    ReturnItem,
    ReturnReason,
    Shipment,
    ShipmentStatus,
)

TOPICS: dict[str, str] = {
    "orders/create": "order", "orders/updated": "order", "orders/cancelled": "order", "orders/fulfilled": "order",
    "fulfillments/create": "fulfillment", "fulfillments/update": "fulfillment", "refunds/create": "refund",
    "returns/request": "return", "returns/approve": "return", "returns/close": "return",
}
RETURN_REASONS: dict[str, str] = {  # the store's reasons -> Shopify's ReturnReason enum
    "changed_mind": "UNWANTED", "no_longer_needed": "UNWANTED", "damaged": "DEFECTIVE", "defective": "DEFECTIVE",
    "wrong_item": "WRONG_ITEM", "not_as_described": "NOT_AS_DESCRIBED", "arrived_late": "OTHER",
}
DEFAULT_COST = 50.0
_SHIPMENT: dict[str, ShipmentStatus] = {
    "DELIVERED": "delivered", "IN_TRANSIT": "in_transit", "OUT_FOR_DELIVERY": "out_for_delivery",
    "ATTEMPTED_DELIVERY": "exception", "FAILURE": "exception", "LABEL_PRINTED": "label_created",
    "LABEL_PURCHASED": "label_created", "CONFIRMED": "label_created", "READY_FOR_PICKUP": "in_transit",
}
_CARRIERS = {"usps": "USPS", "ups": "UPS", "fedex": "FedEx", "amazon logistics": "Amazon Logistics"}
_WALLETS = {"paypal": "paypal", "shop_pay": "shop_pay", "apple_pay": "apple_pay", "google_pay": "google_pay",
            "gift_card": "gift_card"}


# ---------------------------------------------------------------- webhooks

def verify_webhook(body: bytes, headers: Mapping[str, str], settings: Settings) -> None:
    secret = settings.shopify_webhook_secret.get_secret_value() if settings.shopify_webhook_secret else None
    verify_shopify(body, {k.lower(): v for k, v in headers.items()}.get("x-shopify-hmac-sha256"), secret)


def _when(value: Any) -> datetime | None:
    try:
        return utc_from_iso(value, "time")
    except PayloadError:
        return None


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
    at = _when(h.get("x-shopify-triggered-at") or p.get("updated_at") or p.get("created_at")) or datetime.now(UTC)
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


# ---------------------------------------------------------------- Admin GraphQL

ORDER_QUERY = """query OrderByName($q: String!) { orders(first: 1, query: $q) { nodes {
  id name createdAt cancelledAt displayFinancialStatus displayFulfillmentStatus paymentGatewayNames
  customer { id email phone displayName }
  subtotalPriceSet { shopMoney { amount currencyCode } } totalShippingPriceSet { shopMoney { amount } }
  totalTaxSet { shopMoney { amount } } totalPriceSet { shopMoney { amount } }
  shippingAddress { name address1 address2 city provinceCode zip countryCodeV2 } shippingLine { title }
  lineItems(first: 50) { nodes { id sku name quantity product { id } originalUnitPriceSet { shopMoney { amount } } } }
  fulfillments(first: 10) { id createdAt inTransitAt deliveredAt estimatedDeliveryAt displayStatus
    trackingInfo(first: 5) { company number url }
    fulfillmentLineItems(first: 50) { nodes { id quantity lineItem { sku } } } }
  fulfillmentOrders(first: 5) { nodes { fulfillBy deliveryMethod { maxDeliveryDateTime } } }
  transactions(first: 10) { id kind status gateway paymentDetails { ... on CardPaymentDetails { company number } } }
} } }"""
RETURNS_QUERY = """query OrderReturns($q: String!) { orders(first: 1, query: $q) { nodes { id name
  returns(first: 20) { nodes { id name status returnLineItems(first: 20) { nodes { quantity returnReason customerNote
    ... on ReturnLineItem { fulfillmentLineItem { lineItem { sku } } } } } } } } } }"""
RETURNABLE_QUERY = """query Returnable($orderId: ID!) { returnableFulfillments(orderId: $orderId, first: 10) { nodes {
  returnableFulfillmentLineItems(first: 50) { nodes { quantity fulfillmentLineItem { id lineItem { sku } } } } } } }"""
_RETURN_FIELDS = "return { id name status } userErrors { field message }"
RETURN_REQUEST = f"mutation ReturnRequest($input: ReturnRequestInput!) {{ returnRequest(input: $input) {{ {_RETURN_FIELDS} }} }}"
RETURN_APPROVE = ("mutation ReturnApprove($input: ReturnApproveRequestInput!) { returnApproveRequest(input: $input) "
                  f"{{ {_RETURN_FIELDS} }} }}")
REFUND_CREATE = """mutation RefundCreate($input: RefundInput!, $key: String!) {
  refundCreate(input: $input) @idempotent(key: $key) {
    refund { id createdAt totalRefundedSet { shopMoney { amount } } } userErrors { field message } } }"""


class ShopifyApiError(SendError):
    """A Shopify call failed: retryable for timeouts, 429, 5xx and THROTTLED; userErrors never are."""


# One try per call; the caller (outbox, tool) retries with the wait the error carries.
_POLICY = CallPolicy(max_attempts=1, default_wait_s=None)


def _call_error(exc: ApiCallError) -> ShopifyApiError:
    if exc.kind == "timeout":
        return ShopifyApiError("timeout: Shopify did not answer in time", retryable=True)
    if exc.kind == "http":
        return ShopifyApiError(f"HTTP {exc.status}", retryable=exc.retryable, retry_after_s=exc.retry_after_s)
    return ShopifyApiError(f"network: {exc.cause or exc.message}", retryable=True)


class ShopifyReturn(BaseModel):
    id: str
    name: str | None = None
    status: str
    items: list[tuple[str | None, int]] = []
    reason: str | None = None


class ShopifyRefund(BaseModel):
    id: str
    amount: Decimal
    created_at: datetime | None = None


def _amount(money_set: dict[str, Any] | None) -> Decimal:
    return Decimal(str(((money_set or {}).get("shopMoney") or {}).get("amount", "0")))


def order_name(order_id: str) -> str:
    order_id = order_id.strip()
    return order_id if order_id.startswith("#") else f"#{order_id}"


class ShopifyClient:
    """Admin GraphQL (X-Shopify-Access-Token) at {shopify_api_url}/graphql.json: orders, returns, refunds.

    It has no `send`: Shopify customers are answered by email from the store mailbox (the Inbox
    Messaging API is invite-only). `resolve_customer` maps the customer's email/phone to a store id."""

    def __init__(self, settings: Settings, http: httpx.Client, *,
                 resolve_customer: Callable[[str], str | None] | None = None,
                 sleep: Callable[[float], None] = time.sleep, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._url = f"{settings.shopify_api_url.rstrip('/')}/graphql.json" if settings.shopify_api_url else None
        self._token = settings.shopify_access_token.get_secret_value() if settings.shopify_access_token else None
        self._http, self._sleep, self._monotonic = http, sleep, monotonic
        self._resolve = resolve_customer or (lambda identity: identity)
        self._lock = threading.Lock()
        self._costs: dict[str, float] = {}
        self._bucket: tuple[float, float, float, float] | None = None  # maximum, available, restore rate, seen at

    # ------------------------------------------------------------ transport and throttling

    def _wait_for(self, cost: float) -> None:
        with self._lock:
            if self._bucket is None:
                return
            maximum, available, rate, seen = self._bucket
        projected = min(maximum, available + rate * (self._monotonic() - seen))
        if cost > projected and rate > 0:
            self._sleep((min(cost, maximum) - projected) / rate)

    def _note_cost(self, op: str, cost: dict[str, Any]) -> None:
        status = cost.get("throttleStatus") or {}
        with self._lock:
            if "requestedQueryCost" in cost:
                self._costs[op] = float(cost["requestedQueryCost"])
            if status:
                self._bucket = (float(status["maximumAvailable"]), float(status["currentlyAvailable"]),
                                float(status["restoreRate"]), self._monotonic())

    def graphql(self, op: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        """Run one operation; returns `data`. Waits for the cost bucket first; THROTTLED raises retryable."""
        if not self._url or not self._token:
            raise ShopifyApiError("not_configured: SHOPDESK_SHOPIFY_API_URL/ACCESS_TOKEN are not set", retryable=False)
        self._wait_for(self._costs.get(op, DEFAULT_COST))
        url, headers = self._url, {"X-Shopify-Access-Token": self._token, "Accept": "application/json"}
        try:  # GraphQL is always a POST, so a call is never resent here (a mutation must not run twice)
            resp = http_calls.call(lambda: self._http.post(url, json={"query": document, "variables": variables},
                                                           headers=headers),
                                   method="POST", policy=_POLICY, sleep=self._sleep)
        except ApiCallError as exc:
            raise _call_error(exc) from None
        try:
            body = resp.json()
        except ValueError:
            raise ShopifyApiError("Shopify answered with something other than JSON", retryable=True) from None
        cost = (body.get("extensions") or {}).get("cost") or {}
        self._note_cost(op, cost)
        errors = body.get("errors") or []
        codes = {str((e.get("extensions") or {}).get("code")) for e in errors if isinstance(e, dict)}
        if "THROTTLED" in codes:
            status = cost.get("throttleStatus") or {}
            missing = float(cost.get("requestedQueryCost", DEFAULT_COST)) - float(status.get("currentlyAvailable", 0))
            rate = float(status.get("restoreRate") or 50)
            raise ShopifyApiError("THROTTLED: the query cost bucket is empty", retryable=True,
                                  retry_after_s=max(missing, 0.0) / rate)
        if errors:
            message = errors[0].get("message", "error") if isinstance(errors[0], dict) else str(errors[0])
            raise ShopifyApiError(f"GraphQL error: {message}"[:300], retryable="INTERNAL_SERVER_ERROR" in codes)
        return body.get("data") or {}

    def _order_node(self, op: str, document: str, name: str) -> dict[str, Any]:
        nodes = self.graphql(op, document, {"q": f"name:{order_name(name)}"})["orders"]["nodes"]
        if not nodes:
            raise NotFoundError(f"No Shopify order {order_name(name)}.", record_id=order_name(name))
        return nodes[0]

    @staticmethod
    def _mutation_result(data: dict[str, Any], field: str) -> dict[str, Any]:
        payload = data.get(field) or {}
        if payload.get("userErrors"):
            raise ShopifyApiError(f"{field}: {payload['userErrors'][0].get('message')}", retryable=False)
        return payload

    # ------------------------------------------------------------ reads

    def get_order(self, order_id: str) -> Order:
        node = self._order_node("OrderByName", ORDER_QUERY, order_id)
        try:
            return _order(node, self._resolve)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise ShopifyApiError(f"unreadable Shopify order: {exc}"[:300], retryable=False) from None

    def order_returns(self, order_id: str) -> list[ShopifyReturn]:
        node = self._order_node("OrderReturns", RETURNS_QUERY, order_id)
        return [_return(r) for r in (node.get("returns") or {}).get("nodes", [])]

    # ------------------------------------------------------------ writes

    def request_return(self, order_id: str, items: list[ReturnItem], reason: ReturnReason,
                       note: str | None = None) -> ShopifyReturn:
        """returnRequest for these SKUs, picked from the order's returnable fulfillment line items."""
        gid = self._order_node("OrderReturns", RETURNS_QUERY, order_id)["id"]
        data = self.graphql("Returnable", RETURNABLE_QUERY, {"orderId": gid})
        returnable = {n["fulfillmentLineItem"]["lineItem"]["sku"]: n["fulfillmentLineItem"]["id"]
                      for f in data["returnableFulfillments"]["nodes"]
                      for n in f["returnableFulfillmentLineItems"]["nodes"]}
        missing = [i.sku for i in items if i.sku not in returnable]
        if missing:
            raise ShopifyApiError(f"not returnable on {order_name(order_id)}: {', '.join(missing)}", retryable=False)
        lines = [{"fulfillmentLineItemId": returnable[i.sku], "quantity": i.quantity,
                  "returnReason": RETURN_REASONS[reason], "customerNote": note or ""} for i in items]
        data = self.graphql("ReturnRequest", RETURN_REQUEST, {"input": {"orderId": gid, "returnLineItems": lines}})
        return _return(self._mutation_result(data, "returnRequest")["return"])

    def approve_return(self, return_id: str) -> ShopifyReturn:
        data = self.graphql("ReturnApprove", RETURN_APPROVE, {"input": {"id": return_id}})
        return _return(self._mutation_result(data, "returnApproveRequest")["return"])

    def refund(self, order_id: str, amount: Decimal, note: str, *, idempotency_key: str) -> ShopifyRefund:
        """refundCreate against the order's successful sale/capture (idempotent on the outbox key)."""
        node = self._order_node("OrderByName", ORDER_QUERY, order_id)
        parent = next((t for t in reversed(node.get("transactions") or [])
                       if t.get("kind") in ("SALE", "CAPTURE") and t.get("status") == "SUCCESS"), None)
        if parent is None:
            raise ShopifyApiError(f"{order_name(order_id)} has no captured payment to refund", retryable=False)
        value = f"{Decimal(amount):.2f}"
        refund_input = {"orderId": node["id"], "note": note, "notify": False, "transactions": [{
            "orderId": node["id"], "parentId": parent["id"], "gateway": parent["gateway"], "kind": "REFUND",
            "amount": value}]}
        data = self.graphql("RefundCreate", REFUND_CREATE, {"input": refund_input, "key": idempotency_key})
        refund = self._mutation_result(data, "refundCreate")["refund"]
        return ShopifyRefund(id=refund["id"], amount=_amount(refund.get("totalRefundedSet")),
                             created_at=_when(refund.get("createdAt")))


# ---------------------------------------------------------------- mapping to the domain

def _gid_number(gid: str) -> str:
    return gid.rsplit("/", 1)[-1]


def _return(r: dict[str, Any]) -> ShopifyReturn:
    lines = (r.get("returnLineItems") or {}).get("nodes", [])
    return ShopifyReturn(
        id=r["id"], name=r.get("name"), status=r["status"],
        items=[(((li.get("fulfillmentLineItem") or {}).get("lineItem") or {}).get("sku"), li["quantity"])
               for li in lines],
        reason=lines[0].get("returnReason") if lines else None)


def _order(n: dict[str, Any], resolve: Callable[[str], str | None]) -> Order:
    created = _when(n["createdAt"])
    assert created is not None
    lines = n["lineItems"]["nodes"]
    line_of = {li["sku"]: i for i, li in enumerate(lines, 1)}
    items = [LineItem(line_number=i, sku=li["sku"], product_id=_gid_number((li.get("product") or {}).get("id", "")),
                      title=li["name"], quantity=li["quantity"], unit_price=_amount(li["originalUnitPriceSet"]))
             for i, li in enumerate(lines, 1)]
    fo = ((n.get("fulfillmentOrders") or {}).get("nodes") or [{}])[0]
    ship_by = (_when(fo.get("fulfillBy")) or created).date()
    deliver_by = (_when((fo.get("deliveryMethod") or {}).get("maxDeliveryDateTime")) or created).date()
    service = (n.get("shippingLine") or {}).get("title") or "Standard"
    shipments = [s for f in n.get("fulfillments") or [] for s in _shipments(f, line_of, service, deliver_by)]
    fin, ful = n["displayFinancialStatus"], n["displayFulfillmentStatus"]
    customer = n.get("customer") or {}
    identity = (customer.get("email") or customer.get("phone") or _gid_number(customer.get("id", ""))).lower()
    a = n["shippingAddress"]
    return Order(
        id=n["name"], platform="shopify", platform_ref=_gid_number(n["id"]), customer_id=resolve(identity) or identity,
        status=_status(n, fin, ful, shipments), platform_status=f"{fin}/{ful}", created_at=created, items=items,
        subtotal=_amount(n["subtotalPriceSet"]), shipping=_amount(n["totalShippingPriceSet"]),
        tax=_amount(n["totalTaxSet"]), total=_amount(n["totalPriceSet"]), payment_method=_payment(n),
        shipping_address=Address(name=a["name"], line1=a["address1"], line2=a.get("address2") or None,
                                 city=a["city"], state=a["provinceCode"], zip=a["zip"]),
        fulfillment_channel="seller", ship_by=ship_by, deliver_by=max(deliver_by, ship_by), shipments=shipments,
        cancelled_at=_when(n.get("cancelledAt")) if n.get("cancelledAt") else None)


def _status(n: dict[str, Any], fin: str, ful: str, shipments: list[Shipment]) -> OrderStatus:
    if n.get("cancelledAt"):
        return "cancelled"
    if ful == "UNFULFILLED" or not shipments:
        return "pending" if fin in ("PENDING", "AUTHORIZED") else "unshipped"
    if fin == "REFUNDED":
        return "returned"
    states = {s.status for s in shipments}
    if states == {"delivered"}:
        return "delivered"
    return "in_transit" if states & {"in_transit", "out_for_delivery", "exception", "delivered"} else "shipped"


def _shipments(f: dict[str, Any], line_of: dict[str, int], service: str, deliver_by: Any) -> list[Shipment]:
    status = _SHIPMENT.get(str(f.get("displayStatus")), "in_transit")
    delivered = _when(f.get("deliveredAt")) if f.get("deliveredAt") else None
    if status == "delivered" and delivered is None:
        status = "in_transit"
    shipped = _when(f.get("inTransitAt") or f.get("createdAt"))
    estimate = _when(f.get("estimatedDeliveryAt")) if f.get("estimatedDeliveryAt") else None
    lines = sorted({line_of[x["lineItem"]["sku"]] for x in (f.get("fulfillmentLineItems") or {}).get("nodes", [])
                    if x.get("lineItem", {}).get("sku") in line_of})
    out = []
    for t in f.get("trackingInfo") or []:
        carrier = _CARRIERS.get(str(t.get("company", "")).lower())
        if carrier and t.get("number") and shipped:  # a carrier the domain does not model is left out, not guessed
            out.append(Shipment(id=_gid_number(f["id"]), carrier=carrier, service=service,  # type: ignore[arg-type]
                                tracking_number=t["number"], status=status, shipped_at=shipped,
                                estimated_delivery=estimate.date() if estimate else deliver_by,
                                delivered_at=delivered, line_numbers=lines))
    return out


def _payment(n: dict[str, Any]) -> PaymentMethod:
    for gateway in n.get("paymentGatewayNames") or []:
        if gateway in _WALLETS:
            return PaymentMethod(kind=_WALLETS[gateway])  # type: ignore[arg-type]
    for t in n.get("transactions") or []:
        card = t.get("paymentDetails") or {}
        digits = "".join(c for c in str(card.get("number") or "") if c.isdigit())
        if card.get("company") and len(digits) >= 4:
            return PaymentMethod(kind="card", brand=card["company"], last4=digits[-4:])
    return PaymentMethod(kind="card")
