"""A local eBay: Message, Fulfillment and Post-Order APIs over the sandbox store, plus signed notifications.

The app checks `Authorization: Bearer <token>` (Post-Order: `IAF <token>`), serves the public key of its
own P-256 signing key, and logs every reply it receives. `EbaySimulator` is the buyer's side: it posts
notifications to shopdesk signed with that key (ECDSA/SHA1 computed here, not by the verify code).
Native ids are derived from the store's: conversation = 3000000000 + customer number, returnId =
5000000000 + return number, lineItemId = order digits + line number, legacyItemId = 110000000000 + product.
"""

from __future__ import annotations

import base64
import json
import uuid
from decimal import Decimal
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from channels.simulators.log import SimLog
from channels.simulators.media import add_media_route, publish
from tools.errors import CommerceError
from tools.models import Customer, Order, Return
from tools.sandbox.store import SandboxStore

SELLER = "northfork_outdoors"
KID = "sim-ebay-key-1"
_STATES = {"requested": "RETURN_REQUESTED", "approved": "ITEM_READY_TO_SHIP", "in_transit": "ITEM_SHIPPED",
           "received": "ITEM_DELIVERED", "refunded": "REFUND_ISSUED", "rejected": "RETURN_REJECTED",
           "closed": "CLOSED"}
_REASONS = {"changed_mind": "NO_REASON", "no_longer_needed": "NO_LONGER_NEED_ITEM", "damaged": "ARRIVED_DAMAGED",
            "defective": "DEFECTIVE_ITEM", "wrong_item": "DIFFERENT_FROM_LISTING",
            "not_as_described": "NOT_AS_DESCRIBED", "arrived_late": "ARRIVED_LATE"}


def generate_signing_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def conversation_id(customer_id: str) -> str:
    return str(3_000_000_000 + int(customer_id[1:]))


def ebay_return_id(store_return_id: str) -> str:
    return str(5_000_000_000 + int(store_return_id[1:]))


def _store_return_id(return_id: str) -> str:
    return f"R{int(return_id) - 5_000_000_000:06d}"


def _line_item_id(order: Order, line_number: int) -> str:
    return "".join(c for c in order.id if c.isdigit()) + f"{line_number:02d}"


def _amount(value: Decimal) -> dict[str, str]:
    return {"value": f"{value:.2f}", "currency": "USD"}


def _iso(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _username(customer: Customer) -> str | None:
    ids = customer.identity_on("ebay")
    return ids[0].value if ids else None


def _rest_error(status: int, message: str, error_id: int = 1000) -> JSONResponse:
    return JSONResponse({"errors": [{"errorId": error_id, "domain": "API_SIM", "category": "REQUEST",
                                     "message": message}]}, status_code=status)


def _post_order_error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"errorMessage": {"error": [{"errorId": 1001, "domain": "returnErrorDomain",
                                                     "severity": "ERROR", "message": message}]}}, status_code=status)


def order_json(store: SandboxStore, order: Order, seller: str = SELLER) -> dict[str, Any]:
    """The Fulfillment API's Order for a store order."""
    customer = store.get_customer(order.customer_id)
    refunded = sum((r.amount for r in store.order_refunds(order.id) if r.status != "failed"), Decimal(0))
    moving = [s for s in order.shipments if s.status != "label_created"]
    payment = ("PENDING" if order.status == "pending" else "FULLY_REFUNDED" if refunded >= order.total
               else "PARTIALLY_REFUNDED" if refunded else "PAID")
    a = order.shipping_address
    instructions = {"shipByDate": _iso(order.ship_by) + "T23:59:59.000Z",
                    "maxEstimatedDeliveryDate": _iso(order.deliver_by) + "T23:59:59.000Z"}
    return {
        "orderId": order.id, "legacyOrderId": order.id, "creationDate": _iso(order.created_at),
        "orderFulfillmentStatus": "FULFILLED" if moving and order.status != "cancelled" else "NOT_STARTED",
        "orderPaymentStatus": payment, "sellerId": seller,
        "cancelStatus": {"cancelState": "CANCELED", "cancelledDate": _iso(order.cancelled_at)}
        if order.status == "cancelled" and order.cancelled_at else {"cancelState": "NONE_REQUESTED"},
        "buyer": {"username": _username(customer) or customer.id},
        "pricingSummary": {"priceSubtotal": _amount(order.subtotal), "deliveryCost": _amount(order.shipping),
                           "tax": _amount(order.tax), "total": _amount(order.total)},
        "paymentSummary": {"payments": [{"paymentMethod": "EBAY", "paymentStatus": payment}]},
        "fulfillmentStartInstructions": [{
            "fulfillmentInstructionsType": "SHIP_TO",
            "maxEstimatedDeliveryDate": instructions["maxEstimatedDeliveryDate"],
            "shippingStep": {"shipTo": {"fullName": a.name, "contactAddress": {
                "addressLine1": a.line1, "addressLine2": a.line2, "city": a.city, "stateOrProvince": a.state,
                "postalCode": a.zip, "countryCode": a.country}}}}],
        "lineItems": [{"lineItemId": _line_item_id(order, i.line_number),
                       "legacyItemId": str(110_000_000_000 + int(i.product_id[1:])), "sku": i.sku, "title": i.title,
                       "quantity": i.quantity, "lineItemCost": _amount(i.amount),
                       "lineItemFulfillmentInstructions": instructions} for i in order.items],
    }


def return_json(store: SandboxStore, ret: Return, seller: str = SELLER) -> dict[str, Any]:
    """The Post-Order API's ReturnSummary for a store return."""
    order = store.get_order(ret.order_id)
    first = order.line_for_sku(ret.items[0].sku) or order.items[0]
    value = sum(((order.line_for_sku(i.sku) or first).unit_price * i.quantity for i in ret.items), Decimal(0))
    return {
        "returnId": ebay_return_id(ret.id), "orderId": order.id, "sellerLoginName": seller,
        "buyerLoginName": _username(store.get_customer(ret.customer_id)), "currentType": "MONEY_BACK",
        "state": _STATES[ret.status], "status": _STATES[ret.status],
        "creationInfo": {"item": {"itemId": str(110_000_000_000 + int(first.product_id[1:])),
                                  "transactionId": _line_item_id(order, first.line_number),
                                  "returnQuantity": sum(i.quantity for i in ret.items)},
                         "type": "MONEY_BACK", "reason": _REASONS[ret.reason],
                         "comments": {"content": ret.note or ""}, "creationDate": {"value": _iso(ret.requested_at)}},
        "sellerTotalRefund": {"estimatedRefundAmount": _amount(max(Decimal(0), value - ret.restocking_fee))},
    }


def create_app(store: SandboxStore, log: SimLog, *, access_token: str,
               signing_key: ec.EllipticCurvePrivateKey | None = None, kid: str = KID,
               seller_username: str = SELLER) -> FastAPI:
    """Endpoints are async on purpose: one request at a time over the store's shared connection."""
    key = signing_key or generate_signing_key()
    app = FastAPI(title="eBay simulator")
    app.state.signing_key = key
    add_media_route(app, log, ("ebay",))  # eBay's picture host for buyers' messageMedia (mediaUrl)

    def authorized(request: Request, scheme: str = "Bearer") -> bool:
        return request.headers.get("authorization", "") == f"{scheme} {access_token}"

    def buyer_of(conversation: str) -> Customer | None:
        try:
            customer = store.get_customer(f"C{int(conversation) - 3_000_000_000:05d}")
        except (ValueError, CommerceError):
            return None
        return customer if _username(customer) else None

    def messages(conversation: str) -> list[dict[str, Any]]:
        return [{"messageId": r.data["message_id"], "messageBody": r.data["text"],
                 "senderUsername": r.data["sender"], "recipientUsername": r.data["to"],
                 "createdDate": r.data["created_at"], "readStatus": r.kind == "reply"}
                for r in log.records("ebay") if r.data.get("conversation_id") == conversation and "message_id" in r.data]

    def conversation_json(conversation: str) -> dict[str, Any]:
        msgs = messages(conversation)
        return {"conversationId": conversation, "conversationStatus": "ACTIVE", "conversationType": "FROM_MEMBERS",
                "createdDate": msgs[0]["createdDate"] if msgs else None, "latestMessage": msgs[-1] if msgs else None,
                "unreadCount": sum(not m["readStatus"] for m in msgs), "messages": msgs}

    @app.get("/commerce/notification/v1/public_key/{key_id}")
    async def public_key(key_id: str) -> JSONResponse:
        if key_id != kid:
            return _rest_error(404, f"No public key {key_id}", 195001)
        der = key.public_key().public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
        pem = "-----BEGIN PUBLIC KEY-----" + base64.b64encode(der).decode() + "-----END PUBLIC KEY-----"
        return JSONResponse({"key": pem, "algorithm": "ECDSA", "digest": "SHA1"})

    @app.get("/commerce/message/v1/conversation")
    async def conversations(request: Request, limit: int = 50, offset: int = 0) -> JSONResponse:
        if not authorized(request):
            return _rest_error(401, "Invalid access token", 1001)
        ids = list(dict.fromkeys(r.data["conversation_id"] for r in log.records("ebay") if "message_id" in r.data))
        page = [{k: v for k, v in conversation_json(c).items() if k != "messages"} for c in ids[offset:offset + limit]]
        return JSONResponse({"conversations": page, "total": len(ids), "limit": limit, "offset": offset})

    @app.get("/commerce/message/v1/conversation/{conversation}")
    async def conversation(request: Request, conversation: str) -> JSONResponse:
        if not authorized(request):
            return _rest_error(401, "Invalid access token", 1001)
        if buyer_of(conversation) is None:
            return _rest_error(404, f"No conversation {conversation}")
        return JSONResponse(conversation_json(conversation))

    @app.post("/commerce/message/v1/send_message")
    async def send_message(request: Request) -> JSONResponse:
        if not authorized(request):
            return _rest_error(401, "Invalid access token", 1001)
        body = await request.json()
        text, conversation = body.get("messageText"), str(body.get("conversationId") or "")
        if not isinstance(text, str) or not text.strip() or len(text) > 2000:
            return _rest_error(400, "messageText is required and must be at most 2000 characters", 355001)
        customer = buyer_of(conversation)
        if customer is None:
            return _rest_error(400, f"Invalid conversationId {conversation}", 355002)
        to, message_id = _username(customer), str(uuid.uuid4().int % 10**13)
        created = _iso(store.clock.now())
        log.record("ebay", "reply", text=text, to=to, conversation_id=conversation, message_id=message_id,
                   sender=seller_username, created_at=created, reference=body.get("reference"))
        return JSONResponse({"messageId": message_id, "messageBody": text, "createdDate": created,
                             "senderUserName": seller_username, "recipientUserName": to, "readStatus": False})

    @app.get("/sell/fulfillment/v1/order/{order_id}")
    async def get_order(request: Request, order_id: str) -> JSONResponse:
        if not authorized(request):
            return _rest_error(401, "Invalid access token", 1001)
        order = _ebay_order(store, order_id)
        log.record("ebay", "api", op="getOrder", order_id=order_id)
        return JSONResponse(order_json(store, order, seller_username)) if order else \
            _rest_error(404, f"Order {order_id} not found", 32100)

    @app.get("/sell/fulfillment/v1/order/{order_id}/shipping_fulfillment")
    async def shipping_fulfillments(request: Request, order_id: str) -> JSONResponse:
        if not authorized(request):
            return _rest_error(401, "Invalid access token", 1001)
        order = _ebay_order(store, order_id)
        if order is None:
            return _rest_error(404, f"Order {order_id} not found", 32100)
        found = [{"fulfillmentId": s.tracking_number, "shipmentTrackingNumber": s.tracking_number,
                  "shippingCarrierCode": s.carrier.upper(), "shippingServiceCode": s.service,
                  "shippedDate": _iso(s.shipped_at),
                  "lineItems": [{"lineItemId": _line_item_id(order, n)} for n in s.line_numbers]}
                 for s in order.shipments if s.status != "label_created"]
        return JSONResponse({"fulfillments": found, "total": len(found)})

    def post_order_check(request: Request) -> JSONResponse | None:
        if not authorized(request, "IAF"):
            return _post_order_error(401, "Invalid IAF token")
        if not request.headers.get("x-ebay-c-marketplace-id"):
            return _post_order_error(400, "X-EBAY-C-MARKETPLACE-ID is required")
        return None

    @app.get("/post-order/v2/return/search")
    async def search_returns(request: Request, order_id: str | None = None) -> JSONResponse:
        if (bad := post_order_check(request)) is not None:
            return bad
        returns = store.order_returns(order_id) if order_id else \
            [r for r in store.list_records("returns") if isinstance(r, Return) and r.platform == "ebay"]
        members = [return_json(store, r, seller_username) for r in returns if r.platform == "ebay"]
        return JSONResponse({"members": members, "total": len(members),
                             "paginationOutput": {"offset": 0, "limit": len(members), "totalEntries": len(members)}})

    @app.get("/post-order/v2/return/{return_id}")
    async def get_return(request: Request, return_id: str) -> JSONResponse:
        if (bad := post_order_check(request)) is not None:
            return bad
        ret = _ebay_return(store, return_id)
        return JSONResponse({"summary": return_json(store, ret, seller_username), "detail": {}}) if ret else \
            _post_order_error(404, f"Return {return_id} not found")

    @app.post("/post-order/v2/return/{return_id}/issue_refund")
    async def issue_refund(request: Request, return_id: str) -> JSONResponse:
        if (bad := post_order_check(request)) is not None:
            return bad
        ret = _ebay_return(store, return_id)
        if ret is None:
            return _post_order_error(404, f"Return {return_id} not found")
        body = await request.json()
        try:
            amount = Decimal(str(body["refundDetail"]["totalAmount"]["value"]))
            note = str((body.get("comments") or {}).get("content") or "return refund")
            refund = store.refund(ret.order_id, amount, note, return_id=ret.id)
        except (KeyError, TypeError, ArithmeticError):
            return _post_order_error(400, "refundDetail.totalAmount.value is required")
        except CommerceError as exc:
            return _post_order_error(400, exc.message)
        log.record("ebay", "api", op="issue_refund", return_id=return_id, amount=str(amount), refund_id=refund.id)
        return JSONResponse({"refundStatus": "SUCCESS"})

    return app


def _ebay_order(store: SandboxStore, order_id: str) -> Order | None:
    try:
        order = store.get_order(order_id)
    except CommerceError:
        return None
    return order if order.platform == "ebay" else None


def _ebay_return(store: SandboxStore, return_id: str) -> Return | None:
    try:
        wanted = _store_return_id(return_id)
    except ValueError:
        return None
    found = next((r for r in store.list_records("returns") if isinstance(r, Return) and r.id == wanted), None)
    return found if found and found.platform == "ebay" else None


class EbaySimulator:
    """The buyer's (and eBay's) side: signed notifications POSTed to shopdesk's eBay webhook."""

    def __init__(self, store: SandboxStore, log: SimLog, target_url: str, *,
                 signing_key: ec.EllipticCurvePrivateKey, http: httpx.Client, kid: str = KID,
                 seller_username: str = SELLER, media_url: str | None = None) -> None:
        self.store, self.log, self.target_url, self.http = store, log, target_url, http
        self._key, self.kid, self.seller = signing_key, kid, seller_username
        self.media_url = media_url  # the simulator app's base URL, which serves what buyers attach

    def customer_sends_photo(self, customer_id: str, photo: bytes, *, text: str = "", filename: str = "photo.jpg",
                             content_type: str = "image/jpeg", media_type: str = "IMAGE") -> str:
        """The buyer writes with a file attached: messageMedia [{mediaName, mediaType, mediaUrl}] as eBay's
        Message API shows it (messageBody may be empty); returns the messageId."""
        if not self.media_url:
            raise ValueError("EbaySimulator needs media_url (the simulator app's URL) to host attachments")
        username = _username(self.store.get_customer(customer_id))
        if username is None:
            raise ValueError(f"customer {customer_id} has no eBay username")
        url = publish(self.log, "ebay", self.media_url, photo, filename=filename, content_type=content_type)
        conversation, message_id = conversation_id(customer_id), str(uuid.uuid4().int % 10**13)
        created = _iso(self.store.clock.now())
        body = self.notification("MESSAGE", {
            "conversationId": conversation, "messageId": message_id, "senderUsername": username,
            "recipientUsername": self.seller, "messageBody": text, "createdDate": created, "referenceId": "",
            "conversationType": "FROM_MEMBERS",
            "messageMedia": [{"mediaName": filename, "mediaType": media_type, "mediaUrl": url}]})
        self.post(body, conversation_id=conversation, message_id=message_id, text=text, sender=username,
                  to=self.seller, created_at=created, attachment_url=url)
        return message_id

    def notification(self, topic: str, data: dict[str, Any]) -> bytes:
        now = _iso(self.store.clock.now())
        return json.dumps({"metadata": {"topic": topic, "schemaVersion": "1.0", "deprecated": False},
                           "notification": {"notificationId": str(uuid.uuid4()), "eventDate": now,
                                            "publishDate": now, "publishAttemptCount": 1, "data": data}},
                          separators=(",", ":")).encode()

    def sign(self, body: bytes) -> str:
        der = self._key.sign(body, ec.ECDSA(hashes.SHA1()))
        header = {"alg": "ecdsa", "kid": self.kid, "signature": base64.b64encode(der).decode(), "digest": "SHA1"}
        return base64.b64encode(json.dumps(header).encode()).decode()

    def post(self, body: bytes, **details: Any) -> httpx.Response:
        """POST a signed notification; raises on a non-2xx answer (after logging the delivery)."""
        resp = self.http.post(self.target_url, content=body, headers={
            "Content-Type": "application/json", "X-EBAY-SIGNATURE": self.sign(body)})
        self.log.record("ebay", "delivery", status=resp.status_code, size=len(body), **details)
        resp.raise_for_status()
        return resp

    def customer_writes(self, customer_id: str, text: str, *, order_id: str | None = None) -> str:
        """The buyer writes in their conversation with the seller; returns the messageId (= delivery id)."""
        username = _username(self.store.get_customer(customer_id))
        if username is None:
            raise ValueError(f"customer {customer_id} has no eBay username")
        conversation, message_id = conversation_id(customer_id), str(uuid.uuid4().int % 10**13)
        created = _iso(self.store.clock.now())
        body = self.notification("MESSAGE", {
            "conversationId": conversation, "messageId": message_id, "senderUsername": username,
            "recipientUsername": self.seller, "messageBody": text, "createdDate": created,
            "referenceId": order_id or "", "conversationType": "FROM_MEMBERS"})
        self.post(body, conversation_id=conversation, message_id=message_id, text=text, sender=username,
                  to=self.seller, created_at=created)
        return message_id

    def send_order_event(self, order_id: str) -> str:
        """An ORDER notification with the order's current Fulfillment status; returns the notificationId."""
        order = self.store.get_order(order_id)
        data = order_json(self.store, order, self.seller)
        body = self.notification("ORDER", {"orderId": order.id, "orderFulfillmentStatus":
                                           data["orderFulfillmentStatus"], "buyerUsername": data["buyer"]["username"]})
        self.post(body)
        return str(json.loads(body)["notification"]["notificationId"])

    def send_return_event(self, return_id: str) -> str:
        """A RETURN notification (store return id in, eBay returnId in the payload); returns the notificationId."""
        ret = next(r for r in self.store.list_records("returns") if isinstance(r, Return) and r.id == return_id)
        body = self.notification("RETURN", {"returnId": ebay_return_id(ret.id), "orderId": ret.order_id,
                                            "state": _STATES[ret.status]})
        self.post(body)
        return str(json.loads(body)["notification"]["notificationId"])
