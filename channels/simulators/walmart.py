"""A local Walmart Marketplace: the v3 API over the sandbox store, and a driver that sends order events.

- POST /v3/token: Basic base64(clientId:clientSecret), grant_type=client_credentials -> 15-minute tokens.
- GET /v3/orders/{purchaseOrderId}, GET /v3/orders (createdStartDate/createdEndDate/status/customerOrderId,
  limit, nextCursor), GET /v3/returns (returnOrderId/customerOrderId/customerEmailId), and
  POST /v3/returns/{returnOrderId}/refund (negative amounts, at most each line's charge; WFS view-only),
  which issues the refund in the store. Every call needs WM_SEC.ACCESS_TOKEN, WM_QOS.CORRELATION_ID and
  WM_SVC.NAME. Errors: {"errors": [{"code", "field", "description", "info", "severity", "category"}]}.
The store keeps one id per order; here it is the purchaseOrderId, and the customerOrderId is its digits
reversed (`customer_order_id`), a simulator convention. Returns come one line per returned unit.
`WalmartSimulator.send_order_event` POSTs a PO_CREATED / PO_LINE_AUTOCANCELLED notification signed the
way the configured delivery auth says, computed here rather than with channels.walmart.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from datetime import time as day_time
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from urllib.parse import parse_qs, urlencode

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from channels.simulators.log import SimLog
from channels.walmart.mapping import RETURN_REASONS
from channels.walmart.webhook import WEBHOOK_SIGNATURE_HEADER
from tools.errors import NotFoundError, PreconditionFailed
from tools.models import Order, Return
from tools.sandbox.store import SandboxStore

PLATFORM = "walmart"
_REASON_CODES = {ours: code for code, ours in RETURN_REASONS.items()}
_RETURN_STATUS = {  # store status -> (Walmart line status, eventTags so far)
    "requested": ("INITIATED", ["RETURN_INITIATED"]), "approved": ("INITIATED", ["RETURN_INITIATED"]),
    "in_transit": ("INITIATED", ["RETURN_INITIATED", "RETURN_IN_TRANSIT"]),
    "received": ("DELIVERED", ["RETURN_INITIATED", "RETURN_IN_TRANSIT", "DELIVERED_AT_RETURN_CENTER"]),
    "refunded": ("COMPLETED", ["RETURN_INITIATED", "RETURN_IN_TRANSIT", "DELIVERED_AT_RETURN_CENTER", "REFUND_ISSUED"]),
    "rejected": ("CANCELLED", ["RETURN_INITIATED", "RETURN_CANCELLED"]),
    "closed": ("COMPLETED", ["RETURN_INITIATED", "RETURN_CANCELLED"]),
}


def customer_order_id(purchase_order_id: str) -> str:
    return purchase_order_id[::-1]


def create_app(store: SandboxStore, log: SimLog, *, client_id: str, client_secret: str, token_ttl_s: int = 900,
               clock: Callable[[], float] = time.monotonic) -> FastAPI:
    app = FastAPI(title="Walmart Marketplace simulator")
    tokens: dict[str, float] = {}
    by_date: list[tuple[datetime, str]] = []  # (orderDate, purchaseOrderId), oldest first
    index_lock = threading.Lock()

    def error(status: int, code: str, description: str, field: str = "") -> JSONResponse:
        return JSONResponse({"errors": [{"code": code, "field": field, "description": description, "info": description,
                                         "severity": "ERROR", "category": "DATA", "causes": []}]}, status_code=status)

    def guard(request: Request, op: str) -> JSONResponse | None:
        expiry = tokens.get(request.headers.get("WM_SEC.ACCESS_TOKEN") or "")
        if expiry is None or clock() >= expiry:
            return error(401, "UNAUTHORIZED.GMP_GATEWAY_API", "Unauthorized token or invalid client_id / client_secret",
                         "UNAUTHORIZED")
        for name in ("WM_QOS.CORRELATION_ID", "WM_SVC.NAME"):
            if not request.headers.get(name):
                return error(400, "MISSING_HEADER.GMP_GATEWAY_API", f"{name} header is required", name)
        log.record(PLATFORM, "api", op=op, path=request.url.path)
        return None

    def walmart_order(purchase_order_id: str) -> Order | None:
        try:
            order = store.get_order(purchase_order_id)
        except NotFoundError:
            return None
        return order if order.platform == PLATFORM else None

    @app.post("/v3/token")
    async def token(request: Request) -> JSONResponse:
        expected = "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        if not hmac.compare_digest(request.headers.get("authorization", "").encode(), expected.encode()):
            return error(401, "UNAUTHORIZED.GMP_GATEWAY_API", "Invalid client_id / client_secret", "UNAUTHORIZED")
        form = parse_qs((await request.body()).decode())
        if form.get("grant_type") != ["client_credentials"]:
            return error(400, "INVALID_REQUEST.GMP_GATEWAY_API", "grant_type must be client_credentials", "grant_type")
        access = "eyJ" + secrets.token_urlsafe(32)
        tokens[access] = clock() + token_ttl_s
        log.record(PLATFORM, "api", op="token")
        return JSONResponse({"access_token": access, "token_type": "Bearer", "expires_in": token_ttl_s})

    @app.get("/v3/orders/{purchase_order_id}")
    def get_order(purchase_order_id: str, request: Request) -> JSONResponse:
        if (refused := guard(request, "getOrder")) is not None:
            return refused
        order = walmart_order(purchase_order_id)
        if order is None:
            return error(404, "CONTENT_NOT_FOUND.GMP_ORDER_API", f"No order {purchase_order_id}", "purchaseOrderId")
        return JSONResponse({"order": wm_order(store, order)})

    @app.get("/v3/orders")
    def list_orders(request: Request) -> JSONResponse:
        if (refused := guard(request, "getAllOrders")) is not None:
            return refused
        q = dict(request.query_params)
        try:
            start = _parse(q["createdStartDate"]) if q.get("createdStartDate") else None
            end = _parse(q["createdEndDate"]) if q.get("createdEndDate") else None
            limit, offset = min(max(int(q.get("limit", 10)), 1), 200), int(q.get("offset", 0))
        except ValueError:
            return error(400, "INVALID_REQUEST_CONTENT.GMP_ORDER_API", "bad date, limit or cursor")
        coid = q.get("customerOrderId")
        with index_lock:  # the store never adds orders, so their dates are indexed once
            if not by_date:
                by_date.extend((o.created_at, o.id) for o in reversed(store.find_orders(platform=PLATFORM, limit=None)))
        window = [store.get_order(i) for at, i in by_date
                  if (start is None or at >= start) and (end is None or at <= end)]
        rows = [o for o in window if (not q.get("status") or q["status"] in _line_states(o))
                and (not q.get("purchaseOrderId") or o.id == q["purchaseOrderId"])
                and (not coid or o.id == customer_order_id(coid))]
        page = rows[offset:offset + limit]
        cursor = "?" + urlencode({**q, "offset": offset + limit}) if offset + limit < len(rows) else None
        return JSONResponse({"list": {"meta": {"totalCount": len(rows), "limit": limit, "nextCursor": cursor},
                                      "elements": {"order": [wm_order(store, o) for o in page]}}})

    @app.get("/v3/returns")
    def list_returns(request: Request) -> JSONResponse:
        if (refused := guard(request, "getReturns")) is not None:
            return refused
        q = request.query_params
        rows = [r for r in store.list_records("returns") if isinstance(r, Return) and r.platform == PLATFORM
                and (not q.get("returnOrderId") or r.id == q["returnOrderId"])
                and (not q.get("customerOrderId") or r.order_id == customer_order_id(q["customerOrderId"]))]
        built = [wm_return(store, r) for r in rows]
        if q.get("customerEmailId"):
            built = [r for r in built if r["customerEmailId"].lower() == q["customerEmailId"].lower()]
        return JSONResponse({"meta": {"totalCount": len(built), "limit": len(built), "nextCursor": None},
                             "returnOrders": built})

    @app.post("/v3/returns/{return_order_id}/refund")
    async def refund(return_order_id: str, request: Request) -> JSONResponse:
        if (refused := guard(request, "issueRefund")) is not None:
            return refused
        ret = next((r for r in store.list_records("returns") if isinstance(r, Return) and r.id == return_order_id
                    and r.platform == PLATFORM), None)
        if ret is None:
            return error(404, "CONTENT_NOT_FOUND.GMP_RETURNS_API", f"No return {return_order_id}", "returnOrderId")
        built = wm_return(store, ret)
        order = store.get_order(ret.order_id)
        lines = {line["returnOrderLineNumber"]: line for line in built["returnOrderLines"]}
        try:
            body = await request.json()
            if str(body["customerOrderId"]) != built["customerOrderId"] or not body["refundLines"]:
                return error(400, "INVALID_REQUEST_CONTENT.GMP_RETURNS_API", "customerOrderId or refundLines")
            total, comments = Decimal(0), ""
            for refund_line in body["refundLines"]:
                line = lines[refund_line["returnOrderLineNumber"]]
                comments = comments or str(refund_line.get("refundComments") or "")
                amounts = [Decimal(str(c["chargeAmount"]["currencyAmount"])) for c in refund_line["refundCharges"]]
                amounts += [Decimal(str(t["taxAmount"]["currencyAmount"])) for c in refund_line["refundCharges"]
                            for t in c.get("tax") or []]
                if any(a > 0 for a in amounts):
                    return error(400, "INVALID_REQUEST_CONTENT.GMP_RETURNS_API", "refund amounts must be negative")
                charged = _charged(line)
                if -sum(amounts) > charged:
                    return error(400, "INVALID_REQUEST_CONTENT.GMP_RETURNS_API",
                                 f"refund exceeds the {charged} charged for line {line['returnOrderLineNumber']}")
                total -= sum(amounts)
        except (ValueError, KeyError, TypeError, InvalidOperation):
            return error(400, "INVALID_REQUEST_CONTENT.GMP_RETURNS_API", "unreadable refund request")
        if total <= 0:
            return error(400, "INVALID_REQUEST_CONTENT.GMP_RETURNS_API", "nothing to refund")
        if order.fulfillment_channel == "WFS":
            return error(400, "INVALID_REQUEST_CONTENT.GMP_RETURNS_API", "WFS returns are view-only")
        try:
            done = store.refund(order.id, total, comments or f"Walmart return {ret.id}", return_id=ret.id)
        except PreconditionFailed as exc:
            return error(400, f"{exc.code.upper()}.GMP_RETURNS_API", exc.message)
        log.record(PLATFORM, "api", op="refund", return_id=ret.id, amount=str(total), refund_id=done.id)
        return JSONResponse({"returnOrderId": ret.id, "customerOrderId": built["customerOrderId"],
                             "refundLines": [{"returnOrderLineNumber": n} for n in
                                             (r["returnOrderLineNumber"] for r in body["refundLines"])]})

    return app


class WalmartSimulator:
    """Plays Walmart's notification service: signs and POSTs order events to shopdesk's webhook."""

    def __init__(self, store: SandboxStore, log: SimLog, target_url: str, *, auth: Literal["basic", "hmac", "oauth"],
                 secret: str, http: httpx.Client) -> None:
        self.store, self.log, self.target_url = store, log, target_url
        self.auth, self.secret, self.http = auth, secret, http

    def send_order_event(self, order_id: str, event_type: str = "PO_CREATED") -> str:
        """POST one event for a store order; returns its eventId (the delivery id)."""
        order = self.store.get_order(order_id)
        if event_type == "PO_CREATED":
            payload: dict[str, Any] = wm_order(self.store, order)
        else:
            lines = [{"lineNumber": str(i.line_number), "orderLineStatus": "Cancelled",
                      "cancellationReason": "SELLER_CANCEL_AUTO"} for i in order.items]
            payload = {"purchaseOrderId": order.id, "customerOrderId": customer_order_id(order.id),
                       "orderLines": {"orderLine": lines}}
        event_id = str(uuid.uuid4())
        source = {"eventType": event_type, "eventId": event_id, "eventTime": _iso(datetime.now(UTC)),
                  "partnerId": "10001234567"}
        body = json.dumps({"source": source, "payload": payload}).encode()
        headers = {"Content-Type": "application/json", **self._auth_headers(body)}
        resp = self.http.post(self.target_url, content=body, headers=headers)
        self.log.record(PLATFORM, "delivery", event_id=event_id, event_type=event_type, order_id=order_id,
                        status=resp.status_code)
        return event_id

    def _auth_headers(self, body: bytes) -> dict[str, str]:
        if self.auth == "basic":
            return {"Authorization": "Basic " + base64.b64encode(self.secret.encode()).decode()}
        if self.auth == "oauth":
            return {"Authorization": f"Bearer {self.secret}"}
        return {WEBHOOK_SIGNATURE_HEADER: hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()}


# -------------------------------------------------------------------- store -> Walmart JSON

def wm_order(store: SandboxStore, order: Order) -> dict[str, Any]:
    customer = store.get_customer(order.customer_id)
    taxes = _split(order.tax, [i.amount for i in order.items])
    states = _line_states(order)
    lines = []
    for item, tax, state in zip(order.items, taxes, states, strict=True):
        charges = [{"chargeType": "PRODUCT", "chargeName": "ItemPrice", "chargeAmount": _amount(item.amount),
                    "tax": {"taxName": "Tax1", "taxAmount": _amount(tax)}}]
        if item.line_number == order.items[0].line_number and order.shipping:
            charges.append({"chargeType": "SHIPPING", "chargeName": "Shipping", "chargeAmount": _amount(order.shipping),
                            "tax": None})
        ship = next((s for s in order.shipments if item.line_number in s.line_numbers and s.status != "label_created"),
                    None)
        when = {"Delivered": ship and ship.delivered_at, "Shipped": ship and ship.shipped_at,
                "Cancelled": order.cancelled_at}.get(state) or order.created_at
        tracking = ship and {
            "shipDateTime": _ms(ship.shipped_at), "carrierName": {"otherCarrier": None, "carrier": ship.carrier},
            "methodCode": ship.service, "trackingNumber": ship.tracking_number,
            "trackingURL": f"https://www.walmart.com/tracking?tracking_id={ship.tracking_number}"}
        lines.append({
            "lineNumber": str(item.line_number), "item": {"productName": item.title, "sku": item.sku},
            "charges": {"charge": charges},
            "orderLineQuantity": {"unitOfMeasurement": "EACH", "amount": str(item.quantity)},
            "statusDate": _ms(when), "fulfillment": {"fulfillmentOption": "S2H", "shipMethod": "STANDARD"},
            "orderLineStatuses": {"orderLineStatus": [{
                "status": state, "statusQuantity": {"unitOfMeasurement": "EACH", "amount": str(item.quantity)},
                "cancellationReason": "CUSTOMER_REQUESTED_SELLER_TO_CANCEL" if state == "Cancelled" else None,
                "trackingInfo": tracking if state in ("Shipped", "Delivered") else None}]},
        })
    a = order.shipping_address
    return {
        "purchaseOrderId": order.id, "customerOrderId": customer_order_id(order.id),
        "customerEmailId": _relay(store, order), "orderType": "REGULAR", "orderDate": _ms(order.created_at),
        "shippingInfo": {"phone": customer.phone or "", "estimatedDeliveryDate": _ms(_noon(order.deliver_by)),
                         "estimatedShipDate": _ms(_noon(order.ship_by)), "methodCode": "Standard",
                         "postalAddress": {"name": a.name, "address1": a.line1, "address2": a.line2, "city": a.city,
                                           "state": a.state, "postalCode": a.zip, "country": "USA",
                                           "addressType": "RESIDENTIAL"}},
        "orderLines": {"orderLine": lines},
        "shipNode": {"type": "WFSFulfilled" if order.fulfillment_channel == "WFS" else "SellerFulfilled"},
    }


def wm_return(store: SandboxStore, ret: Return) -> dict[str, Any]:
    """One return order, one line per unit; line charges add up to the store's refund cap for it."""
    order = store.get_order(ret.order_id)
    units = [order.line_for_sku(i.sku) for i in ret.items for _ in range(i.quantity)]
    prices = [u.unit_price for u in units if u is not None]
    value = sum(prices, Decimal(0))
    tax_total = (order.tax * value / order.subtotal).quantize(Decimal("0.01")) if order.subtotal else Decimal(0)
    status, tags = _RETURN_STATUS[ret.status]
    times = {"RETURN_INITIATED": ret.requested_at, "DELIVERED_AT_RETURN_CENTER": ret.received_at or ret.requested_at}
    events = [{"sequenceNo": n, "eventTag": tag, "eventDescription": tag.replace("_", " ").title(),
               "eventTime": _iso(times.get(tag) or ret.received_at or ret.requested_at)}
              for n, tag in enumerate(tags, 1)]
    lines = []
    for n, (unit, tax, fee) in enumerate(zip(units, _split(tax_total, prices), _split(ret.restocking_fee, prices),
                                             strict=True), 1):
        assert unit is not None
        charges: list[dict[str, Any]] = [{"chargeCategory": "PRODUCT", "chargeName": "Item Price",
                                          "chargePerUnit": _unit(unit.unit_price), "isDiscount": False,
                                          "isBillable": True, "tax": [{"taxName": "Tax1", "taxPerUnit": _unit(tax)}]}]
        if fee:
            charges.append({"chargeCategory": "FEE", "chargeName": "Restocking Fee", "chargePerUnit": _unit(fee),
                            "isDiscount": False, "isBillable": True, "tax": []})
        lines.append({"returnOrderLineNumber": n, "salesOrderLineNumber": unit.line_number,
                      "purchaseOrderId": order.id, "purchaseOrderLineNumber": unit.line_number,
                      "returnReason": _REASON_CODES[ret.reason], "item": {"sku": unit.sku, "productName": unit.title},
                      "charges": charges, "quantity": {"unitOfMeasure": "EACH", "measurementValue": 1},
                      "status": status, "statusTime": events[-1]["eventTime"], "returnTrackingDetail": events,
                      "refundedQty": 1 if ret.status == "refunded" else 0})
    name = store.get_customer(ret.customer_id).name.split(" ", 1)
    body: dict[str, Any] = {
        "returnOrderId": ret.id, "customerEmailId": _relay(store, order),
        "customerName": {"firstName": name[0], "lastName": name[-1]}, "customerOrderId": customer_order_id(order.id),
        "returnOrderDate": _iso(ret.requested_at),
        "returnByDate": _iso(datetime.combine(ret.window_ends, day_time(23, 59), UTC)),
        "refundMode": "ONLINE", "totalRefundAmount": _unit(sum(map(_charged, lines), Decimal(0))),
        "returnOrderLines": lines,
    }
    if ret.label is not None:
        body["carrierInfoList"] = [{"carrierId": ret.label.carrier, "carrierName": ret.label.carrier,
                                    "serviceType": "Ground", "trackingNo": ret.label.tracking_number}]
    return body


def _line_states(order: Order) -> list[str]:
    states = []
    for item in order.items:
        ship = next((s for s in order.shipments if item.line_number in s.line_numbers and s.status != "label_created"),
                    None)
        states.append("Cancelled" if order.status == "cancelled" else "Created" if order.status == "pending"
                      else "Acknowledged" if ship is None else "Delivered" if ship.status == "delivered" else "Shipped")
    return states


def _charged(line: dict[str, Any]) -> Decimal:
    total = Decimal(0)
    for charge in line["charges"]:
        amount = Decimal(str(charge["chargePerUnit"]["currencyAmount"]))
        if charge["chargeCategory"] == "FEE":
            total -= amount
        else:
            total += amount + sum((Decimal(str(t["taxPerUnit"]["currencyAmount"])) for t in charge["tax"]), Decimal(0))
    return total


def _relay(store: SandboxStore, order: Order) -> str:
    customer = store.get_customer(order.customer_id)
    return next((i.value for i in customer.identity_on(PLATFORM) if i.kind == "relay_email"), "")


def _split(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    whole = sum(weights, Decimal(0))
    if not weights:
        return []
    shares = [(total * w / whole).quantize(Decimal("0.01")) if whole else Decimal(0) for w in weights[:-1]]
    return [*shares, total - sum(shares, Decimal(0))]


def _amount(value: Decimal) -> dict[str, Any]:
    return {"currency": "USD", "amount": float(value)}


def _unit(value: Decimal) -> dict[str, Any]:
    return {"currencyAmount": float(value), "currencyUnit": "USD"}


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _noon(day: date) -> datetime:
    return datetime.combine(day, day_time(12), UTC)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse(text: str) -> datetime:
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
