"""eBay's API records -> shopdesk's models (orders' parts, conversations, Post-Order returns); pure functions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from channels.payload import utc_from_iso
from tools.models import OrderStatus, Shipment

_CARRIERS = {"USPS": "USPS", "UPS": "UPS", "FEDEX": "FedEx"}


def when(value: Any, what: str) -> datetime:
    return utc_from_iso(value, what)


def money(amount: dict[str, Any]) -> Decimal:
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


def day(value: Any) -> date | None:
    return when(value, "date").date() if value else None


def order_status(raw: dict[str, Any], shipped: bool) -> OrderStatus:
    if (raw.get("cancelStatus") or {}).get("cancelState") == "CANCELED":
        return "cancelled"
    if raw.get("orderFulfillmentStatus") == "NOT_STARTED" or not shipped:
        return "pending" if raw.get("orderPaymentStatus") == "PENDING" else "unshipped"
    return "shipped"


def to_shipment(f: dict[str, Any], line_no: dict[str, int], start: dict[str, Any]) -> Shipment | None:
    carrier = _CARRIERS.get(str(f.get("shippingCarrierCode", "")).upper())
    if carrier is None:  # a carrier the domain does not model: leave the parcel out rather than guess
        return None
    shipped = when(f["shippedDate"], "shippedDate")
    return Shipment(id=str(f.get("fulfillmentId") or f["shipmentTrackingNumber"]), carrier=carrier,  # type: ignore[arg-type]
                    service=str(f.get("shippingServiceCode") or "Standard"),
                    tracking_number=f["shipmentTrackingNumber"], status="in_transit", shipped_at=shipped,
                    estimated_delivery=day(start.get("maxEstimatedDeliveryDate")) or shipped.date(),
                    line_numbers=sorted(line_no[li["lineItemId"]] for li in f.get("lineItems", [])
                                        if li.get("lineItemId") in line_no))


def to_conversation(c: dict[str, Any]) -> EbayConversation:
    raw = c.get("messages") or ([c["latestMessage"]] if c.get("latestMessage") else [])
    return EbayConversation(
        conversation_id=str(c["conversationId"]), status=c.get("conversationStatus"),
        reference_id=c.get("referenceId"),
        messages=[EbayMessage(message_id=str(m["messageId"]),
                              sender=m.get("senderUsername") or m.get("senderUserName", ""),
                              recipient=m.get("recipientUsername") or m.get("recipientUserName", ""),
                              body=m.get("messageBody", ""),
                              created_at=when(m["createdDate"], "createdDate") if m.get("createdDate") else None)
                  for m in raw])


def to_return(m: dict[str, Any]) -> EbayReturn:
    info = m.get("creationInfo") or {}
    item = info.get("item") or {}
    estimate = ((m.get("sellerTotalRefund") or {}).get("estimatedRefundAmount"))
    created = (info.get("creationDate") or {}).get("value")
    return EbayReturn(return_id=str(m["returnId"]), order_id=str(m.get("orderId", "")), state=str(m.get("state", "")),
                      reason=info.get("reason"), buyer_username=m.get("buyerLoginName"),
                      item_id=item.get("itemId"), quantity=item.get("returnQuantity"),
                      refund_estimate=money(estimate) if estimate else None,
                      created_at=when(created, "creationDate") if created else None)
