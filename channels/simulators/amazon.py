"""A local Amazon: the LWA token endpoint and the SP-API paths shopdesk uses, over the sandbox store.

- POST /auth/o2/token (grant_type=refresh_token) hands out 1-hour access tokens; point
  `amazon_lwa_url` at `{url}/auth/o2/token` and `amazon_api_url` at `{url}`.
- GET /orders/2026-01-01/orders[/{orderId}] answer in the v2026-01-01 shape, honouring includedData.
  As on Amazon, packages and buyerEmail are there for merchant-fulfilled (FBM) orders only.
- GET /messaging/v1/orders/{orderId} lists the allowed message types; POST .../messages/{type} checks
  the text the way Amazon does and records the message as a reply (log.record("amazon", "reply", ...)).
Every SP-API call needs a live x-amz-access-token (else 403 Unauthorized) and takes a token from a
per-operation bucket (else 429 QuotaExceeded); answers carry x-amzn-RateLimit-Limit and x-amzn-RequestId.
Which message types an order allows is this simulator's own rule (see `_allowed_types`) [U].
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from channels.ratelimit import TokenBucket
from channels.simulators.log import SimLog
from tools.errors import NotFoundError
from tools.models import Order, Shipment
from tools.sandbox.store import SandboxStore

PLATFORM = "amazon"
RATE_LIMITS: dict[str, tuple[float, int]] = {
    "getOrder": (0.5, 30), "searchOrders": (0.0056, 20),
    "getMessagingActionsForOrder": (1.0, 5), "createMessage": (1.0, 5),
}
_PACKAGE_STATUS = {  # our shipment status -> (packageStatus.status, detailedStatus)
    "label_created": ("PENDING", "PENDING_PICK_UP"), "in_transit": ("IN_TRANSIT", "PICKED_UP"),
    "out_for_delivery": ("IN_TRANSIT", "OUT_FOR_DELIVERY"), "delivered": ("DELIVERED", "DELIVERED"),
    "exception": ("IN_TRANSIT", "UNDELIVERABLE"), "lost": ("IN_TRANSIT", "LOST"),
}
_CARRIER_NAMES = {"Amazon Logistics": "AMZN_US"}
_HTML = re.compile(r"<\s*/?\s*[a-z][a-z0-9-]*[^<>]*>", re.IGNORECASE)
_EMAIL = re.compile(r"\S+@\S+\.\w{2,}")


def create_app(store: SandboxStore, log: SimLog, *, client_id: str, client_secret: str, refresh_token: str,
               token_ttl_s: int = 3600, rate_limits: Mapping[str, tuple[float, int]] | None = None,
               clock: Callable[[], float] = time.monotonic) -> FastAPI:
    """The simulator app; `clock` (seconds) drives token expiry and the rate buckets."""
    app = FastAPI(title="Amazon SP-API simulator")
    tokens: dict[str, float] = {}  # access token -> expiry
    by_date: list[tuple[datetime, str]] = []  # (createdTime, orderId), oldest first
    index_lock = threading.Lock()
    limits = {**RATE_LIMITS, **(rate_limits or {})}
    buckets = {op: TokenBucket(rate, burst, clock=clock) for op, (rate, burst) in limits.items()}

    def errors(status: int, code: str, message: str, *, op: str | None = None, details: str = "") -> JSONResponse:
        return JSONResponse({"errors": [{"code": code, "message": message, "details": details}]}, status_code=status,
                            headers=_headers(limits, op))

    def guard(request: Request, op: str) -> JSONResponse | None:
        token = request.headers.get("x-amz-access-token")
        expiry = tokens.get(token or "")
        if expiry is None:
            return errors(403, "Unauthorized", "Access to requested resource is denied.", op=op,
                          details="The access token you provided is revoked, malformed or invalid.")
        if clock() >= expiry:
            return errors(403, "Unauthorized", "Access to requested resource is denied.", op=op,
                          details="The access token you provided has expired.")
        if not buckets[op].try_acquire():
            return errors(429, "QuotaExceeded", "You exceeded your quota for the requested resource.", op=op)
        log.record(PLATFORM, "api", op=op, path=request.url.path)
        return None

    def ok(body: dict[str, Any], op: str, status: int = 200) -> JSONResponse:
        return JSONResponse(body, status_code=status, headers=_headers(limits, op))

    def amazon_order(order_id: str) -> Order | None:
        try:
            order = store.get_order(order_id)
        except NotFoundError:
            return None
        return order if order.platform == PLATFORM else None

    @app.post("/auth/o2/token")
    async def token(request: Request) -> JSONResponse:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if form.get("grant_type") != "refresh_token":
            return JSONResponse({"error": "unsupported_grant_type", "error_description": "grant_type"}, 400)
        if form.get("client_id") != client_id or form.get("client_secret") != client_secret:
            return JSONResponse({"error": "invalid_client", "error_description": "Client authentication failed"}, 401)
        if form.get("refresh_token") != refresh_token:
            return JSONResponse({"error": "invalid_grant", "error_description": "The request has an invalid grant "
                                 "parameter : refresh_token"}, 400)
        access = "Atza|" + secrets.token_urlsafe(24)
        tokens[access] = clock() + token_ttl_s
        log.record(PLATFORM, "api", op="lwaToken")
        return JSONResponse({"access_token": access, "refresh_token": refresh_token, "token_type": "bearer",
                             "expires_in": token_ttl_s})

    @app.get("/orders/2026-01-01/orders/{order_id}")
    def get_order(order_id: str, request: Request) -> JSONResponse:
        if (refused := guard(request, "getOrder")) is not None:
            return refused
        order = amazon_order(order_id)
        if order is None:
            return errors(404, "NotFound", f"Order {order_id} was not found.", op="getOrder")
        included = _included(request.query_params.get("includedData"))
        return ok({"order": sp_order(store, order, included)}, "getOrder")

    @app.get("/orders/2026-01-01/orders")
    def search_orders(request: Request) -> JSONResponse:
        if (refused := guard(request, "searchOrders")) is not None:
            return refused
        q = request.query_params
        if not q.get("createdAfter") and not q.get("lastUpdatedAfter"):
            return errors(400, "InvalidInput", "Exactly one of createdAfter and lastUpdatedAfter is required.",
                          op="searchOrders")
        try:
            after = _parse(q.get("createdAfter") or q["lastUpdatedAfter"])
            before = _parse(q["createdBefore"]) if q.get("createdBefore") else None
            size = min(max(int(q.get("maxResultsPerPage", 100)), 1), 100)
            start = int(base64.urlsafe_b64decode(q["paginationToken"]).decode()) if q.get("paginationToken") else 0
        except (ValueError, KeyError):
            return errors(400, "InvalidInput", "Invalid date, page size or pagination token.", op="searchOrders")
        statuses = set(filter(None, (q.get("fulfillmentStatuses") or "").split(",")))
        fulfilled_by = set(filter(None, (q.get("fulfilledBy") or "").split(",")))
        with index_lock:  # the store never adds orders, so their dates are indexed once
            if not by_date:
                by_date.extend((o.created_at, o.id) for o in reversed(store.find_orders(platform=PLATFORM, limit=None)))
        window = [store.get_order(i) for at, i in by_date if at >= after and (before is None or at <= before)]
        matches = [o for o in window if (not statuses or o.platform_status in statuses)
                   and (not fulfilled_by or _fulfilled_by(o) in fulfilled_by)]
        included = _included(q.get("includedData"))
        body: dict[str, Any] = {"orders": [sp_order(store, o, included) for o in matches[start:start + size]]}
        if start + size < len(matches):
            body["pagination"] = {"nextToken": base64.urlsafe_b64encode(str(start + size).encode()).decode()}
        if before is not None:
            body["createdBefore"] = _iso(before)
        return ok(body, "searchOrders")

    @app.get("/messaging/v1/orders/{order_id}")
    def messaging_actions(order_id: str, request: Request) -> JSONResponse:
        if (refused := guard(request, "getMessagingActionsForOrder")) is not None:
            return refused
        order = amazon_order(order_id)
        if order is None:
            return errors(404, "NotFound", f"Order {order_id} was not found.", op="getMessagingActionsForOrder")
        market = request.query_params.get("marketplaceIds", "")
        actions = [{"href": f"/messaging/v1/orders/{order_id}/messages/{name}?marketplaceIds={market}", "name": name}
                   for name in _allowed_types(order)]
        return ok({"_links": {"self": {"href": f"/messaging/v1/orders/{order_id}?marketplaceIds={market}"},
                              "actions": actions},
                   "_embedded": {"actions": [{"_links": {"self": a}, "name": a["name"]} for a in actions]}},
                  "getMessagingActionsForOrder")

    @app.post("/messaging/v1/orders/{order_id}/messages/{message_type}")
    async def create_message(order_id: str, message_type: str, request: Request) -> JSONResponse:
        if (refused := guard(request, "createMessage")) is not None:
            return refused
        order = amazon_order(order_id)
        if order is None:
            return errors(404, "NotFound", f"Order {order_id} was not found.", op="createMessage")
        if message_type not in _allowed_types(order):
            return errors(403, "Forbidden", f"{message_type} is not available for order {order_id}.",
                          op="createMessage")
        try:
            body = await request.json()
            text = body["text"]
            assert isinstance(text, str)
        except Exception:  # noqa: BLE001 - any unreadable body is InvalidInput
            return errors(400, "InvalidInput", "The request body must be JSON with a text field.", op="createMessage")
        problem = ("text is empty" if not text.strip() else "text exceeds 2000 characters" if len(text) > 2000
                   else "text contains HTML" if _HTML.search(text) else "text contains an email address"
                   if _EMAIL.search(text) else None)
        if problem:
            return errors(400, "InvalidInput", problem, op="createMessage")
        customer = store.get_customer(order.customer_id)
        to = next((i.value for i in customer.identity_on(PLATFORM) if i.kind == "relay_email"), order.customer_id)
        log.record(PLATFORM, "reply", text=text, to=to, order_id=order_id, message_type=message_type)
        return ok({}, "createMessage", status=201)

    return app


def sp_order(store: SandboxStore, order: Order, included: set[str]) -> dict[str, Any]:
    """One store order as a v2026-01-01 order, with the datasets `included` asks for."""
    fbm = order.fulfillment_channel == "FBM"
    tax_shares = _split(order.tax, [i.amount for i in order.items])
    items = []
    for item, tax in zip(order.items, tax_shares, strict=True):
        entry: dict[str, Any] = {
            "orderItemId": _order_item_id(order.id, item.line_number), "quantityOrdered": item.quantity,
            "product": {"asin": _asin(item.sku), "title": item.title, "sellerSku": item.sku,
                        "condition": {"conditionType": "NEW", "conditionSubtype": "NEW"},
                        "price": {"unitPrice": _money(item.unit_price)}},
        }
        if "PROCEEDS" in included:
            entry["proceeds"] = {"proceedsTotal": _money(item.amount + tax), "breakdowns": [
                {"type": "ITEM", "subtotal": _money(item.amount)}, {"type": "TAX", "subtotal": _money(tax)}]}
        if "FULFILLMENT" in included:
            shipped = any(item.line_number in s.line_numbers and s.status != "label_created" for s in order.shipments)
            entry["fulfillment"] = {"quantityFulfilled": item.quantity if shipped else 0,
                                    "quantityUnfulfilled": 0 if shipped else item.quantity}
            if order.gift:
                entry["fulfillment"]["packing"] = {"giftOption": {"giftWrapLevel": "STANDARD"}}
        items.append(entry)
    body: dict[str, Any] = {
        "orderId": order.id, "createdTime": _iso(order.created_at), "lastUpdatedTime": _iso(_last_updated(order)),
        "programs": [], "salesChannel": {"channelName": "AMAZON", "marketplaceId": "ATVPDKIKX0DER",
                                          "marketplaceName": "Amazon.com"},
        "orderItems": items,
    }
    if "BUYER" in included:
        customer = store.get_customer(order.customer_id)
        body["buyer"] = {"buyerName": customer.name}
        relay = next((i.value for i in customer.identity_on(PLATFORM) if i.kind == "relay_email"), None)
        if fbm and relay:
            body["buyer"]["buyerEmail"] = relay
    if "RECIPIENT" in included:
        a = order.shipping_address
        body["recipient"] = {"deliveryAddress": {
            "name": a.name, "addressLine1": a.line1, **({"addressLine2": a.line2} if a.line2 else {}), "city": a.city,
            "stateOrRegion": a.state, "postalCode": a.zip, "countryCode": "US", "addressType": "RESIDENTIAL"}}
    if "PROCEEDS" in included:
        body["proceeds"] = {"grandTotal": _money(order.total), "breakdowns": [
            {"type": "ITEM", "subtotal": _money(order.subtotal)},
            {"type": "SHIPPING", "subtotal": _money(order.shipping)}, {"type": "TAX", "subtotal": _money(order.tax)}]}
    if "FULFILLMENT" in included:
        body["fulfillment"] = {
            "fulfillmentStatus": order.platform_status, "fulfilledBy": _fulfilled_by(order),
            "fulfillmentServiceLevel": "STANDARD",
            "shipByWindow": {"latestDateTime": _day_end(order.ship_by)},
            "deliverByWindow": {"latestDateTime": _day_end(order.deliver_by)}}
    if "PACKAGES" in included and fbm and order.shipments:
        body["packages"] = [_package(order, s) for s in order.shipments]
    return body


def _package(order: Order, s: Shipment) -> dict[str, Any]:
    status, detailed = _PACKAGE_STATUS[s.status]
    return {"packageReferenceId": s.id, "createdTime": _iso(s.events[0].at if s.events else s.shipped_at),
            "packageStatus": {"status": status, "detailedStatus": detailed},
            "carrier": _CARRIER_NAMES.get(s.carrier, s.carrier), "shipTime": _iso(s.shipped_at),
            "shippingService": s.service, "trackingNumber": s.tracking_number,
            "packageItems": [{"orderItemId": _order_item_id(order.id, i.line_number), "quantity": i.quantity}
                             for i in order.items if i.line_number in s.line_numbers]}


def _allowed_types(order: Order) -> list[str]:
    """The simulator's rule: nothing after a cancellation; order/delivery details before shipping;
    problems and warranty any time; delivery details again while an FBM parcel is on its way."""
    if order.status == "cancelled":
        return []
    if order.status in ("pending", "unshipped"):
        return ["confirmOrderDetails", "confirmDeliveryDetails", "unexpectedProblem"]
    moving = order.fulfillment_channel == "FBM" and order.status in ("shipped", "in_transit")
    return [*(["confirmDeliveryDetails"] if moving else []), "unexpectedProblem", "warranty", "invoice"]


def _last_updated(order: Order) -> datetime:
    times = [order.created_at, *(t for t in (order.cancelled_at, order.delivered_at) if t)]
    times += [s.shipped_at for s in order.shipments]
    return max(times)


def _fulfilled_by(order: Order) -> str:
    return "AMAZON" if order.fulfillment_channel == "FBA" else "MERCHANT"


def _included(value: str | None) -> set[str]:
    return set(filter(None, (value or "").split(",")))


def _split(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """`total` spread over lines by weight, to the cent, the remainder on the last line."""
    whole = sum(weights, Decimal(0))
    shares = [(total * w / whole).quantize(Decimal("0.01")) if whole else Decimal(0) for w in weights[:-1]]
    return [*shares, total - sum(shares, Decimal(0))]


def _order_item_id(order_id: str, line: int) -> str:
    return order_id.replace("-", "")[-12:] + f"{line:02d}"


def _asin(sku: str) -> str:
    return "B0" + hashlib.sha256(sku.encode()).hexdigest()[:8].upper()


def _money(amount: Decimal) -> dict[str, str]:
    return {"amount": f"{amount:.2f}", "currencyCode": "USD"}


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _day_end(day: date) -> str:
    return f"{day.isoformat()}T23:59:59Z"


def _parse(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _headers(limits: Mapping[str, tuple[float, int]], op: str | None) -> dict[str, str]:
    headers = {"x-amzn-RequestId": str(uuid.uuid4())}
    if op is not None:
        headers["x-amzn-RateLimit-Limit"] = f"{limits[op][0]:g}"
    return headers
