"""A local Shopify: the Admin GraphQL operations shopdesk uses, over the sandbox store, plus signed webhooks.

No GraphQL library: a small dispatcher on the first root field (orders, returnableFulfillments,
returnRequest, returnApproveRequest, refundCreate) answers with the full node shape whatever the
selection. Every call costs points from a leaky bucket (`extensions.cost.throttleStatus`); an empty
bucket answers THROTTLED as Shopify does. Native ids derive from the store's: Order gid = platform_ref,
Return gid = return number, FulfillmentLineItem gid = platform_ref + 2-digit line number.
`ShopifySimulator` posts order/fulfillment/refund/return webhooks signed with an inline base64 HMAC.
Customer messages are not here: Shopify customers write to the store's mailbox (the mail simulator).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from channels.simulators.log import SimLog
from tools.errors import CommerceError
from tools.models import Order, Return, ReturnItem, Shipment
from tools.sandbox.store import SandboxStore

SHOP = "northfork-goods.myshopify.com"
API_VERSION = "2026-10"
COSTS = {"orders": 24, "returnableFulfillments": 12, "returnRequest": 10, "returnApproveRequest": 10,
         "refundCreate": 10}
_ROOT = re.compile(r"^\s*(?:(?:query|mutation)\b[^{]*)?\{\s*(\w+)")
_RETURN_STATUS = {"requested": "REQUESTED", "approved": "OPEN", "in_transit": "OPEN", "received": "OPEN",
                  "refunded": "CLOSED", "closed": "CLOSED", "rejected": "DECLINED"}
_REASONS = {"changed_mind": "UNWANTED", "no_longer_needed": "UNWANTED", "damaged": "DEFECTIVE",
            "defective": "DEFECTIVE", "wrong_item": "WRONG_ITEM", "not_as_described": "NOT_AS_DESCRIBED",
            "arrived_late": "OTHER"}
_REASON_BACK = {"UNWANTED": "changed_mind", "DEFECTIVE": "defective", "WRONG_ITEM": "wrong_item",
                "NOT_AS_DESCRIBED": "not_as_described", "OTHER": "arrived_late"}
_DISPLAY = {"label_created": "LABEL_PRINTED", "in_transit": "IN_TRANSIT", "out_for_delivery": "OUT_FOR_DELIVERY",
            "delivered": "DELIVERED", "exception": "FAILURE", "lost": "FAILURE"}
_GATEWAYS = {"card": "shopify_payments", "paypal": "paypal", "shop_pay": "shop_pay", "apple_pay": "apple_pay",
             "google_pay": "google_pay", "gift_card": "gift_card", "marketplace": "manual"}


def _iso(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _money(value: Decimal) -> dict[str, Any]:
    return {"shopMoney": {"amount": f"{value:.2f}", "currencyCode": "USD"}}


class _Bucket:
    """Shopify's leaky bucket: `size` points, refilled at `rate` per second."""

    def __init__(self, size: float, rate: float, monotonic: Callable[[], float]) -> None:
        self.size, self.rate, self._now = size, rate, monotonic
        self.available, self._at = size, monotonic()
        self._lock = threading.Lock()

    def take(self, cost: float) -> tuple[bool, dict[str, Any]]:
        with self._lock:
            now = self._now()
            self.available = min(self.size, self.available + (now - self._at) * self.rate)
            self._at = now
            ok = cost <= self.available + 1e-6  # float refill arithmetic, not a real shortfall
            if ok:
                self.available -= cost
            return ok, {"requestedQueryCost": cost, "actualQueryCost": cost if ok else None, "throttleStatus": {
                "maximumAvailable": self.size, "currentlyAvailable": round(self.available, 1),
                "restoreRate": self.rate}}


def shopify_return_gid(return_id: str) -> str:
    return f"gid://shopify/Return/{int(return_id[1:])}"


def order_node(store: SandboxStore, order: Order, requested: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
    """The Admin GraphQL Order for a store order (every field ShopifyClient asks for)."""
    ref = order.platform_ref
    customer = store.get_customer(order.customer_id)
    emails = [i.value for i in customer.identity_on(order.platform) if i.kind == "email"]
    fin, ful = order.platform_status.split("/")
    refunded = sum((r.amount for r in store.order_refunds(order.id) if r.status != "failed"), Decimal(0))
    if fin == "PAID" and refunded:
        fin = "REFUNDED" if refunded >= order.total else "PARTIALLY_REFUNDED"
    pm = order.payment_method
    transaction = {"id": f"gid://shopify/OrderTransaction/{ref}1", "kind": "SALE", "status": "SUCCESS",
                   "gateway": _GATEWAYS[pm.kind],
                   "paymentDetails": {"company": pm.brand, "number": f"•••• •••• •••• {pm.last4}"} if pm.last4 else {}}
    a = order.shipping_address
    return {
        "id": f"gid://shopify/Order/{ref}", "name": order.id, "createdAt": _iso(order.created_at),
        "cancelledAt": _iso(order.cancelled_at) if order.cancelled_at else None,
        "displayFinancialStatus": fin, "displayFulfillmentStatus": ful, "paymentGatewayNames": [_GATEWAYS[pm.kind]],
        "customer": {"id": f"gid://shopify/Customer/{7_000_000_000 + int(customer.id[1:])}",
                     "email": emails[0] if emails else customer.email, "phone": customer.phone,
                     "displayName": customer.name},
        "subtotalPriceSet": _money(order.subtotal), "totalShippingPriceSet": _money(order.shipping),
        "totalTaxSet": _money(order.tax), "totalPriceSet": _money(order.total),
        "shippingAddress": {"name": a.name, "address1": a.line1, "address2": a.line2, "city": a.city,
                            "provinceCode": a.state, "zip": a.zip, "countryCodeV2": a.country},
        "shippingLine": {"title": order.shipments[0].service if order.shipments else "Standard Shipping"},
        "lineItems": {"nodes": [{"id": f"gid://shopify/LineItem/{ref}{i.line_number:02d}", "sku": i.sku,
                                 "name": i.title, "quantity": i.quantity,
                                 "product": {"id": f"gid://shopify/Product/{7_000_000_000_000 + int(i.product_id[1:])}"},
                                 "originalUnitPriceSet": _money(i.unit_price)} for i in order.items]},
        "fulfillments": [_fulfillment(order, s) for s in order.shipments],
        "fulfillmentOrders": {"nodes": [{"fulfillBy": f"{order.ship_by.isoformat()}T23:59:59Z", "deliveryMethod": {
            "maxDeliveryDateTime": f"{order.deliver_by.isoformat()}T23:59:59Z"}}]},
        "transactions": [transaction],
        "returns": {"nodes": [return_node(order, r, requested) for r in store.order_returns(order.id)]},
    }


def _fulfillment(order: Order, s: Shipment) -> dict[str, Any]:
    return {"id": f"gid://shopify/Fulfillment/{int(s.id[2:]) if s.id[2:].isdigit() else 1}",
            "createdAt": _iso(s.shipped_at), "inTransitAt": _iso(s.shipped_at),
            "deliveredAt": _iso(s.delivered_at) if s.delivered_at else None,
            "estimatedDeliveryAt": f"{s.estimated_delivery.isoformat()}T20:00:00Z", "displayStatus": _DISPLAY[s.status],
            "trackingInfo": [{"company": s.carrier, "number": s.tracking_number, "url": None}],
            "fulfillmentLineItems": {"nodes": [
                {"id": f"gid://shopify/FulfillmentLineItem/{order.platform_ref}{n:02d}",
                 "quantity": line.quantity, "lineItem": {"sku": line.sku}}
                for n in s.line_numbers if (line := order.line(n)) is not None]}}


def return_node(order: Order, ret: Return, requested: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
    reason = _REASONS[ret.reason]
    return {"id": shopify_return_gid(ret.id), "name": f"{order.id}-R{int(ret.id[1:])}",
            "status": "REQUESTED" if ret.id in requested else _RETURN_STATUS[ret.status],
            "returnLineItems": {"nodes": [{"quantity": i.quantity, "returnReason": reason,
                                           "customerNote": ret.note or "",
                                           "fulfillmentLineItem": {"lineItem": {"sku": i.sku}}} for i in ret.items]}}


def create_app(store: SandboxStore, log: SimLog, *, access_token: str, bucket_size: float = 1000.0,
               restore_rate: float = 50.0, monotonic: Callable[[], float] = time.monotonic) -> FastAPI:
    """Endpoints are async on purpose: one request at a time over the store's shared connection."""
    app = FastAPI(title="Shopify simulator")
    bucket = _Bucket(bucket_size, restore_rate, monotonic)
    requested: set[str] = set()  # returns created by returnRequest and not yet approved (store keeps them approved)
    by_ref: dict[str, str] = {}

    def find(gid_or_query: str) -> Order | None:
        if gid_or_query.startswith("gid://shopify/Order/"):
            if not by_ref:
                by_ref.update({o.platform_ref: o.id for o in store.find_orders(platform="shopify", limit=None)})
            name = by_ref.get(gid_or_query.rsplit("/", 1)[-1])
        else:
            name = gid_or_query.removeprefix("name:").strip().strip("'\"")
        try:
            order = store.get_order(name or "")
        except CommerceError:
            return None
        return order if order.platform == "shopify" else None

    def user_error(field: str, message: str) -> dict[str, Any]:
        return {field: {"return": None, "refund": None, "userErrors": [{"field": ["input"], "message": message}]}}

    def orders(v: dict[str, Any]) -> dict[str, Any]:
        order = find(str(v.get("q", "")))
        return {"orders": {"nodes": [order_node(store, order, requested)] if order else []}}

    def returnable(v: dict[str, Any]) -> dict[str, Any]:
        order = find(str(v.get("orderId", "")))
        delivered = [] if order is None else \
            [f for f in order_node(store, order)["fulfillments"] if f["displayStatus"] == "DELIVERED"]
        nodes = [{"returnableFulfillmentLineItems": {"nodes": [
            {"quantity": li["quantity"], "fulfillmentLineItem": {"id": li["id"], "lineItem": li["lineItem"]}}
            for li in f["fulfillmentLineItems"]["nodes"]]}} for f in delivered]
        return {"returnableFulfillments": {"nodes": nodes}}

    def return_request(v: dict[str, Any]) -> dict[str, Any]:
        data = v.get("input") or {}
        order = find(str(data.get("orderId", "")))
        if order is None:
            return user_error("returnRequest", "Order does not exist")
        lines = data.get("returnLineItems") or []
        try:
            items = [ReturnItem(sku=order.line(int(li["fulfillmentLineItemId"][-2:])).sku,  # type: ignore[union-attr]
                                quantity=li["quantity"]) for li in lines]
            reason = _REASON_BACK.get(lines[0]["returnReason"], "changed_mind")
            ret = store.create_return(order.id, items, reason, lines[0].get("customerNote") or None)  # type: ignore[arg-type]
        except (KeyError, IndexError, ValueError, AttributeError):
            return user_error("returnRequest", "Invalid return line items")
        except CommerceError as exc:
            return user_error("returnRequest", exc.message)
        requested.add(ret.id)
        log.record("shopify", "api", op="returnRequest", order_id=order.id, return_id=ret.id)
        return {"returnRequest": {"return": return_node(order, ret, requested), "userErrors": []}}

    def return_approve(v: dict[str, Any]) -> dict[str, Any]:
        gid = str((v.get("input") or {}).get("id", ""))
        ret = next((r for r in store.list_records("returns") if isinstance(r, Return) and r.platform == "shopify"
                    and shopify_return_gid(r.id) == gid), None)
        if ret is None:
            return user_error("returnApproveRequest", "Return does not exist")
        if ret.id not in requested:
            return user_error("returnApproveRequest", "Only returns with status REQUESTED can be approved")
        requested.discard(ret.id)
        log.record("shopify", "api", op="returnApproveRequest", return_id=ret.id)
        return {"returnApproveRequest": {"return": return_node(store.get_order(ret.order_id), ret, requested),
                                         "userErrors": []}}

    def refund_create(v: dict[str, Any], key: str | None) -> dict[str, Any]:
        data = v.get("input") or {}
        order = find(str(data.get("orderId", "")))
        if order is None:
            return user_error("refundCreate", "Order does not exist")
        if not key:
            return user_error("refundCreate", "The @idempotent directive is required for this mutation")
        try:
            amount = sum((Decimal(str(t["amount"])) for t in data.get("transactions") or []), Decimal(0))
            refund = store.refund(order.id, amount, str(data.get("note") or "refund"), idempotency_key=f"shopify:{key}")
        except (KeyError, ArithmeticError):
            return user_error("refundCreate", "Invalid refund transactions")
        except CommerceError as exc:
            return user_error("refundCreate", exc.message)
        log.record("shopify", "api", op="refundCreate", order_id=order.id, amount=str(amount), refund_id=refund.id)
        return {"refundCreate": {"refund": {"id": f"gid://shopify/Refund/{int(refund.id[1:])}",
                                            "createdAt": _iso(refund.created_at),
                                            "totalRefundedSet": _money(refund.amount)}, "userErrors": []}}

    async def graphql(request: Request) -> JSONResponse:
        if request.headers.get("x-shopify-access-token") != access_token:
            return JSONResponse({"errors": "[API] Invalid API key or access token (unrecognized login or wrong "
                                           "password)"}, status_code=401)
        try:
            body = await request.json()
            query, variables = str(body["query"]), body.get("variables") or {}
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"errors": [{"message": "Parse error: body must be {query, variables}"}]},
                                status_code=400)
        match = _ROOT.match(query)
        root = match.group(1) if match else ""
        if root not in COSTS:
            return JSONResponse({"errors": [{"message": f"Field '{root}' doesn't exist on type 'QueryRoot'",
                                             "extensions": {"code": "undefinedField"}}]})
        ok, cost = bucket.take(COSTS[root])
        if not ok:
            return JSONResponse({"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                                 "extensions": {"cost": cost}})
        key = re.search(r"@idempotent\(key:\s*(?:\$(\w+)|\"([^\"]+)\")", query)
        idem = (variables.get(key.group(1)) if key.group(1) else key.group(2)) if key else None
        handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "orders": orders, "returnableFulfillments": returnable, "returnRequest": return_request,
            "returnApproveRequest": return_approve, "refundCreate": lambda v: refund_create(v, idem)}
        return JSONResponse({"data": handlers[root](variables), "extensions": {"cost": cost}})

    app.add_api_route("/admin/api/{version}/graphql.json", graphql, methods=["POST"])
    return app


class ShopifySimulator:
    """Shopify's side of the webhooks: REST-shaped payloads, HMAC-signed, standard X-Shopify-* headers."""

    def __init__(self, store: SandboxStore, log: SimLog, target_url: str, *, webhook_secret: str,
                 http: httpx.Client, shop_domain: str = SHOP, api_version: str = API_VERSION) -> None:
        self.store, self.log, self.target_url, self.http = store, log, target_url, http
        self._secret, self.shop, self.api_version = webhook_secret.encode(), shop_domain, api_version

    def payload(self, order_id: str, topic: str) -> dict[str, Any]:
        """The webhook body Shopify would send for `topic` about this order (latest fulfillment/refund/return)."""
        order = self.store.get_order(order_id)
        ref, node = int(order.platform_ref), order_node(self.store, order)
        if topic.startswith("fulfillments/"):
            s = order.shipments[-1]
            return {"id": int(node["fulfillments"][-1]["id"].rsplit("/", 1)[-1]), "order_id": ref,
                    "name": f"{order.id}.{len(order.shipments)}", "status": "success",
                    "shipment_status": node["fulfillments"][-1]["displayStatus"].lower(),
                    "tracking_company": s.carrier, "tracking_number": s.tracking_number,
                    "created_at": _iso(s.shipped_at), "updated_at": _iso(self.store.clock.now())}
        if topic == "refunds/create":
            r = self.store.order_refunds(order.id)[-1]
            return {"id": int(r.id[1:]), "order_id": ref, "created_at": _iso(r.created_at), "note": r.reason,
                    "transactions": [{"amount": f"{r.amount:.2f}", "kind": "refund", "status": "success"}]}
        if topic.startswith("returns/"):
            ret = node["returns"]["nodes"][-1]
            return {"id": int(ret["id"].rsplit("/", 1)[-1]), "admin_graphql_api_id": ret["id"], "name": ret["name"],
                    "status": ret["status"].lower(), "order": {"id": ref, "admin_graphql_api_id": node["id"]},
                    "total_return_line_items": len(ret["returnLineItems"]["nodes"])}
        fin, ful = node["displayFinancialStatus"].lower(), node["displayFulfillmentStatus"].lower()
        return {"id": ref, "admin_graphql_api_id": node["id"], "name": order.id, "email": node["customer"]["email"],
                "created_at": _iso(order.created_at), "updated_at": _iso(self.store.clock.now()),
                "cancelled_at": node["cancelledAt"], "financial_status": fin,
                "fulfillment_status": None if ful == "unfulfilled" else ful, "total_price": f"{order.total:.2f}",
                "currency": "USD", "line_items": [{"sku": i.sku, "quantity": i.quantity, "title": i.title,
                                                   "price": f"{i.unit_price:.2f}"} for i in order.items]}

    def send_order_event(self, order_id: str, topic: str = "orders/updated") -> str:
        """POST a signed webhook for this order and topic; returns its X-Shopify-Webhook-Id."""
        body = json.dumps(self.payload(order_id, topic), separators=(",", ":")).encode()
        return self.post(topic, body)

    def post(self, topic: str, body: bytes, *, webhook_id: str | None = None) -> str:
        webhook_id = webhook_id or str(uuid.uuid4())
        digest = base64.b64encode(hmac.new(self._secret, body, hashlib.sha256).digest()).decode()
        resp = self.http.post(self.target_url, content=body, headers={
            "Content-Type": "application/json", "X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": digest,
            "X-Shopify-Shop-Domain": self.shop, "X-Shopify-API-Version": self.api_version,
            "X-Shopify-Webhook-Id": webhook_id, "X-Shopify-Event-Id": str(uuid.uuid4()),
            "X-Shopify-Triggered-At": _iso(self.store.clock.now())})
        self.log.record("shopify", "delivery", topic=topic, webhook_id=webhook_id, status=resp.status_code)
        resp.raise_for_status()
        return webhook_id
