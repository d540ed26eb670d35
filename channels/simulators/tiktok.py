"""A local TikTok Shop: the Partner API over the sandbox store, and a driver that plays its buyers.

The API checks what TikTok checks (app_key, a fresh timestamp, the request `sign`, the
x-tts-access-token) and answers in TikTok's envelope {"code", "message", "data", "request_id"}. The sign
and the webhook signature are computed inline here, not with channels.signatures, so a bug there is
not mirrored. Error codes are the simulator's own choice [U]: clients must key on code != 0.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from channels.simulators.log import SimLog
from channels.simulators.media import add_media_route, publish
from channels.tiktok.mapping import US_STATE_NAMES
from tools.errors import CommerceError
from tools.models import Customer, Order, Return
from tools.sandbox.store import SandboxStore

PLATFORM = "tiktok"
INVALID_SIGN, INVALID_TOKEN, BAD_REQUEST, NOT_FOUND, STATE_ERROR = 106001, 105001, 36009001, 36009004, 12052001
_RETURN_STATUS = {
    "requested": "RETURN_OR_REFUND_REQUEST_PENDING", "approved": "AWAITING_BUYER_SHIP",
    "in_transit": "BUYER_SHIPPED_ITEM", "received": "BUYER_SHIPPED_ITEM",
    "refunded": "RETURN_OR_REFUND_REQUEST_COMPLETE", "rejected": "REFUND_OR_RETURN_REQUEST_REJECT",
    "closed": "RETURN_OR_REFUND_REQUEST_CANCEL",
}
_DECISIONS = {  # seller decision -> store return statuses it applies to
    "APPROVE_RETURN": ("requested",), "APPROVE_REFUND": ("requested",),
    "APPROVE_RECEIVED_PACKAGE": ("in_transit", "received"),
}
_REASON_TEXT = {
    "damaged": "Package or item damaged", "defective": "Product defective or doesn't work",
    "wrong_item": "Wrong item was sent", "not_as_described": "Item not as described",
    "changed_mind": "Changed my mind", "no_longer_needed": "No longer needed", "arrived_late": "Item arrived late",
}


def conversation_id_for(im_user_id: str) -> str:
    """The buyer's chat with the shop: one stable 19-digit id per buyer."""
    return "76" + str(int(hashlib.sha256(f"conv:{im_user_id}".encode()).hexdigest(), 16) % 10**17).zfill(17)


def _identity(customer: Customer, kind: str) -> str | None:
    return next((i.value for i in customer.identity_on(PLATFORM) if i.kind == kind), None)


def _ts(at: datetime | date | None) -> int | None:
    if at is None:
        return None
    if not isinstance(at, datetime):
        at = datetime(at.year, at.month, at.day, tzinfo=UTC)
    return int(at.timestamp())


def _sign(path: str, query: dict[str, str], body: bytes, secret: str) -> str:
    base = path + "".join(k + query[k] for k in sorted(query) if k not in ("sign", "access_token")) + body.decode()
    return hmac.new(secret.encode(), f"{secret}{base}{secret}".encode(), hashlib.sha256).hexdigest()


def create_app(store: SandboxStore, log: SimLog, *, app_key: str, app_secret: str, access_token: str,
               shop_cipher: str | None = None, **_: Any) -> FastAPI:
    app = FastAPI(title="TikTok Shop simulator")
    add_media_route(app, log, (PLATFORM,))  # the CDN links of buyers' chat images (IMAGE content url)

    def reply(data: dict[str, Any] | None = None, *, code: int = 0, message: str = "Success",
              status: int = 200) -> JSONResponse:
        return JSONResponse({"code": code, "message": message, "data": data if code == 0 else None,
                             "request_id": uuid.uuid4().hex[:24].upper()}, status_code=status)

    async def guard(request: Request) -> tuple[bytes, JSONResponse | None]:
        body = await request.body()
        query = dict(request.query_params)
        if query.get("app_key") != app_key:
            return body, reply(code=INVALID_SIGN, message="Invalid app_key", status=401)
        if not query.get("timestamp", "").isdigit() or abs(time.time() - int(query["timestamp"])) > 300:
            return body, reply(code=INVALID_SIGN, message="Timestamp is missing or expired", status=401)
        expected = _sign(request.url.path, query, body, app_secret)
        if not hmac.compare_digest(query.get("sign", ""), expected):
            return body, reply(code=INVALID_SIGN, message="Invalid sign", status=401)
        if not hmac.compare_digest(request.headers.get("x-tts-access-token", ""), access_token):
            return body, reply(code=INVALID_TOKEN, message="Invalid access token", status=401)
        if shop_cipher and query.get("shop_cipher") != shop_cipher:
            return body, reply(code=INVALID_TOKEN, message="Invalid shop_cipher", status=401)
        return body, None

    def json_body(body: bytes) -> dict[str, Any] | None:
        try:
            value = json.loads(body or b"{}")
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    buyers = {conversation_id_for(im): c for c in store.list_customers() if (im := _identity(c, "im_user_id"))}

    @app.post("/customer_service/202309/conversations/{conversation_id}/messages")
    async def send_message(conversation_id: str, request: Request) -> JSONResponse:
        body, denied = await guard(request)
        if denied:
            return denied
        payload = json_body(body)
        customer = buyers.get(conversation_id)
        if customer is None:
            return reply(code=NOT_FOUND, message="Conversation not found", status=404)
        try:
            text = json.loads(payload["content"])["content"] if payload and payload.get("type") == "TEXT" else None
        except (ValueError, KeyError, TypeError):
            text = None
        if not isinstance(text, str) or not text.strip():
            return reply(code=BAD_REQUEST, message="Invalid TEXT message content", status=400)
        if len(text) > 2000:
            return reply(code=BAD_REQUEST, message="Message content exceeds 2000 characters", status=400)
        message_id = str(7_400_000_000_000_000_000 + uuid.uuid4().int % 10**17)
        log.record(PLATFORM, "reply", text=text, to=_identity(customer, "im_user_id"), customer_id=customer.id,
                   conversation_id=conversation_id, message_id=message_id)
        return reply({"message_id": message_id})

    @app.get("/order/202507/orders")
    async def order_detail(request: Request) -> JSONResponse:
        _, denied = await guard(request)
        if denied:
            return denied
        ids = [i for i in request.query_params.get("ids", "").split(",") if i]
        if not ids or len(ids) > 50:
            return reply(code=BAD_REQUEST, message="ids must hold 1 to 50 order ids", status=400)
        orders = []
        for order_id in ids:
            try:
                order = store.get_order(order_id)
            except CommerceError:
                continue
            if order.platform == PLATFORM:
                orders.append(order_json(store, order))
        log.record(PLATFORM, "api", call="get_order_detail", ids=ids)
        return reply({"orders": orders})

    @app.post("/return_refund/202309/returns/search")
    async def search_returns(request: Request) -> JSONResponse:
        body, denied = await guard(request)
        if denied:
            return denied
        payload = json_body(body)
        if payload is None:
            return reply(code=BAD_REQUEST, message="Body must be a JSON object", status=400)
        wanted_orders, wanted_ids = payload.get("order_ids") or [], payload.get("return_ids") or []
        found = [r for r in store.list_records("returns") if isinstance(r, Return) and r.platform == PLATFORM
                 and (not wanted_orders or r.order_id in wanted_orders) and (not wanted_ids or r.id in wanted_ids)]
        log.record(PLATFORM, "api", call="search_returns", order_ids=wanted_orders, return_ids=wanted_ids)
        return reply({"return_orders": [return_json(store, r) for r in found], "total_count": len(found),
                      "next_page_token": ""})

    @app.post("/return_refund/202309/returns/{return_id}/approve")
    async def approve_return(return_id: str, request: Request) -> JSONResponse:
        body, denied = await guard(request)
        if denied:
            return denied
        decision = (json_body(body) or {}).get("decision")
        ret = next((r for r in store.list_records("returns") if isinstance(r, Return) and r.id == return_id
                    and r.platform == PLATFORM), None)
        if ret is None:
            return reply(code=NOT_FOUND, message="Return not found", status=404)
        key = request.query_params.get("idempotency_key") or None
        if ret.status not in _DECISIONS.get(str(decision), ()):
            return reply(code=STATE_ERROR, message=f"Decision {decision} is not allowed for a return in "
                                                   f"status {_RETURN_STATUS[ret.status]}")
        try:
            if decision == "APPROVE_RETURN":
                _approve_request(store, ret)
            else:  # the package arrived (or no return is needed): TikTok refunds the buyer
                store.refund(ret.order_id, _refund_due(store.get_order(ret.order_id), ret),
                             f"TikTok return {ret.id} approved", ret.id, idempotency_key=key)
        except CommerceError as exc:
            return reply(code=STATE_ERROR, message=exc.message)
        log.record(PLATFORM, "api", call="approve_return", return_id=return_id, decision=decision)
        return reply({})

    return app


def _approve_request(store: SandboxStore, ret: Return) -> None:
    store.approve_return(ret.id)


def _refund_due(order: Order, ret: Return) -> Decimal:
    """What TikTok refunds for a return: the items, their share of tax, less any restocking fee."""
    value = sum((line.unit_price * item.quantity for item in ret.items
                 if (line := order.line_for_sku(item.sku)) is not None), Decimal(0))
    tax = (order.tax * value / order.subtotal).quantize(Decimal("0.01")) if order.subtotal else Decimal(0)
    return value + tax - ret.restocking_fee


def order_json(store: SandboxStore, order: Order) -> dict[str, Any]:
    """A store order in Get Order Detail (202507) shape: one line item per unit."""
    customer = store.get_customer(order.customer_id)
    by_line = {n: s for s in order.shipments for n in s.line_numbers}
    units = []
    for line in order.items:
        product, variant = store.get_variant(line.sku)
        shipment = by_line.get(line.line_number)
        for unit in range(line.quantity):
            units.append({
                "id": f"{order.id[-12:]}{line.line_number:03d}{unit:02d}",
                "sku_id": f"17{hashlib.sha1(line.sku.encode()).hexdigest()[:15]}",
                "seller_sku": line.sku, "product_id": f"1729{int(product.id[1:]):015d}", "product_name": product.name,
                "sku_name": " / ".join(variant.options.values()) or None, "sale_price": f"{line.unit_price:.2f}",
                "original_price": f"{line.unit_price:.2f}", "currency": "USD", "display_status": order.platform_status,
                **({"package_id": shipment.id, "tracking_number": shipment.tracking_number,
                    "shipping_provider_name": shipment.carrier, "rts_time": _ts(shipment.shipped_at)}
                   if shipment else {}),
            })
    a = order.shipping_address
    return {
        "id": order.id, "status": order.platform_status, "create_time": _ts(order.created_at),
        "update_time": _ts(order.delivered_at or order.cancelled_at or order.shipped_at or order.created_at),
        "paid_time": _ts(order.created_at), "cancel_time": _ts(order.cancelled_at),
        "rts_time": _ts(order.shipped_at), "delivery_time": _ts(order.delivered_at),
        "shipping_due_time": _ts(order.ship_by), "delivery_due_time": _ts(order.deliver_by),
        "user_id": _identity(customer, "buyer_id") or "", "fulfillment_type": "FULFILLMENT_BY_SELLER",
        "buyer_email": f"v{hashlib.sha1(customer.id.encode()).hexdigest()[:12]}@scs2.tiktok.com",  # anonymised relay
        "delivery_option_name": order.shipments[0].service if order.shipments else "Standard shipping",
        "payment": {"currency": "USD", "sub_total": f"{order.subtotal:.2f}", "shipping_fee": f"{order.shipping:.2f}",
                    "tax": f"{order.tax:.2f}", "total_amount": f"{order.total:.2f}"},
        "recipient_address": {
            "name": a.name, "address_line1": a.line1, "address_line2": a.line2 or "", "postal_code": a.zip,
            "region_code": "US", "full_address": a.one_line(),
            "district_info": [{"address_level": "L0", "address_level_name": "Country", "address_name": "United States"},
                              {"address_level": "L1", "address_level_name": "State",
                               "address_name": US_STATE_NAMES.get(a.state, a.state)},
                              {"address_level": "L3", "address_level_name": "City", "address_name": a.city}]},
        "line_items": units, "packages": [{"id": s.id} for s in order.shipments],
    }


def return_json(store: SandboxStore, ret: Return) -> dict[str, Any]:
    """A store return in Search Returns (202309) shape."""
    order = store.get_order(ret.order_id)
    units = [{"return_line_item_id": f"{ret.id[1:]}{n:04d}", "seller_sku": item.sku, "sku_id": item.sku,
              "product_name": (order.line_for_sku(item.sku).title if order.line_for_sku(item.sku) else item.sku)}
             for item in ret.items for n in range(item.quantity)]
    due = _refund_due(order, ret)
    buyer_pays = ret.return_shipping_paid_by == "buyer"
    return {
        "return_id": ret.id, "order_id": ret.order_id, "return_status": _RETURN_STATUS[ret.status],
        "return_type": "RETURN_AND_REFUND", "role": "BUYER", "create_time": _ts(ret.requested_at),
        "update_time": _ts(ret.received_at or ret.requested_at),
        "return_reason": f"ecom_order_delivered_refund_and_return_reason_{ret.reason}",
        "return_reason_text": _REASON_TEXT[ret.reason], "return_line_items": units,
        "refund_amount": {"currency": "USD", "refund_total": f"{due:.2f}"},
        "return_tracking_number": ret.label.tracking_number if ret.label else "",
        "return_provider_name": ret.label.carrier if ret.label else "",
        "shipping_fee_amount": [{"currency": "USD", "buyer_paid_return_shipping_fee": "5.99" if buyer_pays else "0.00",
                                 "seller_paid_return_shipping_fee": "0.00" if buyer_pays else "5.99"}],
        "seller_next_action_response": ([{"action": "SELLER_RESPOND_RECEIVE_PACKAGE"}]
                                        if ret.status in ("in_transit", "received") else []),
    }


class TikTokSimulator:
    """Plays the shop's TikTok buyers and TikTok's notification service against shopdesk's webhook."""

    def __init__(self, store: SandboxStore, log: SimLog, target_url: str, *, app_key: str, app_secret: str,
                 http: httpx.Client, shop_id: str = "7495580000000000001", media_url: str | None = None) -> None:
        self.store, self.log, self.target_url, self.http = store, log, target_url, http
        self.app_key, self.app_secret, self.shop_id = app_key, app_secret, shop_id
        self.media_url = media_url  # the simulator app's base URL, which serves what buyers attach

    def customer_sends_photo(self, customer_id: str, photo: bytes, *, width: int, height: int,
                             filename: str = "photo.jpg", content_type: str = "image/jpeg") -> str:
        """The buyer sends an image in the shop chat: a message of type IMAGE whose content is
        {"url", "width", "height"}; returns the message_id."""
        if not self.media_url:
            raise ValueError("TikTokSimulator needs media_url (the simulator app's URL) to host attachments")
        im_user_id = _identity(self.store.get_customer(customer_id), "im_user_id")
        if im_user_id is None:
            raise ValueError(f"customer {customer_id} has no TikTok im_user_id")
        url = publish(self.log, PLATFORM, self.media_url, photo, filename=filename, content_type=content_type)
        return self._chat(conversation_id_for(im_user_id), im_user_id, "IMAGE",
                          {"url": url, "width": width, "height": height}, customer_id)  # type: ignore[dict-item]

    def customer_writes(self, customer_id: str, text: str, *, order_id: str | None = None) -> str:
        """The buyer writes in the shop chat (sharing the order card first when given); returns message_id."""
        customer = self.store.get_customer(customer_id)
        im_user_id = _identity(customer, "im_user_id")
        if im_user_id is None:
            raise ValueError(f"customer {customer_id} has no TikTok im_user_id")
        conversation_id = conversation_id_for(im_user_id)
        if order_id:
            self._chat(conversation_id, im_user_id, "ORDER_CARD", {"order_id": order_id}, customer_id)
        return self._chat(conversation_id, im_user_id, "TEXT", {"content": text}, customer_id)

    def send_order_event(self, order_id: str, status: str | None = None) -> str:
        order = self.store.get_order(order_id)
        return self._notify(1, {"order_id": order.id, "order_status": status or order.platform_status,
                                "is_on_hold_order": False, "update_time": self._now()})

    def send_return_event(self, return_id: str, status: str | None = None) -> str:
        ret = next(r for r in self.store.list_records("returns") if isinstance(r, Return) and r.id == return_id)
        return self._notify(12, {"order_id": ret.order_id, "return_id": ret.id, "return_role": "BUYER",
                                 "return_type": "RETURN_AND_REFUND", "update_time": self._now(),
                                 "return_status": status or _RETURN_STATUS[ret.status]})

    def _now(self) -> int:
        return int(self.store.clock.now().timestamp())

    def _chat(self, conversation_id: str, im_user_id: str, kind: str, content: dict[str, str], customer_id: str) -> str:
        message_id = str(7_450_000_000_000_000_000 + uuid.uuid4().int % 10**17)
        self._notify(14, {"conversation_id": conversation_id, "message_id": message_id, "type": kind,
                          "content": json.dumps(content), "create_time": self._now(), "is_visible": True,
                          "index": message_id, "sender": {"im_user_id": im_user_id, "role": "BUYER"}},
                     customer_id=customer_id, **content)
        return message_id

    def _notify(self, event_type: int, data: dict[str, Any], **extra: Any) -> str:
        notification_id = str(7_460_000_000_000_000_000 + uuid.uuid4().int % 10**17)
        body = json.dumps({"type": event_type, "tts_notification_id": notification_id, "shop_id": self.shop_id,
                           "timestamp": self._now(), "data": data}).encode()
        signature = hmac.new(self.app_secret.encode(), self.app_key.encode() + body, hashlib.sha256).hexdigest()
        self.log.record(PLATFORM, "delivery", event=event_type, notification_id=notification_id, **extra,
                        **{k: v for k, v in data.items() if k in ("order_id", "return_id", "message_id", "type")})
        resp = self.http.post(self.target_url, content=body,
                              headers={"Authorization": signature, "Content-Type": "application/json"})
        resp.raise_for_status()
        return notification_id if event_type != 14 else str(data["message_id"])
