"""Shopify's Admin GraphQL records <-> shopdesk's models (orders, shipments, payments, returns); pure functions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from channels.base import PayloadError
from channels.payload import utc_from_iso
from tools.models import Address, LineItem, Order, OrderStatus, PaymentMethod, Shipment, ShipmentStatus


RETURN_REASONS: dict[str, str] = {  # the store's reasons -> Shopify's ReturnReason enum
    "changed_mind": "UNWANTED", "no_longer_needed": "UNWANTED", "damaged": "DEFECTIVE", "defective": "DEFECTIVE",
    "wrong_item": "WRONG_ITEM", "not_as_described": "NOT_AS_DESCRIBED", "arrived_late": "OTHER",
}


_SHIPMENT: dict[str, ShipmentStatus] = {
    "DELIVERED": "delivered", "IN_TRANSIT": "in_transit", "OUT_FOR_DELIVERY": "out_for_delivery",
    "ATTEMPTED_DELIVERY": "exception", "FAILURE": "exception", "LABEL_PRINTED": "label_created",
    "LABEL_PURCHASED": "label_created", "CONFIRMED": "label_created", "READY_FOR_PICKUP": "in_transit",
}
_CARRIERS = {"usps": "USPS", "ups": "UPS", "fedex": "FedEx", "amazon logistics": "Amazon Logistics"}
_WALLETS = {"paypal": "paypal", "shop_pay": "shop_pay", "apple_pay": "apple_pay", "google_pay": "google_pay",
            "gift_card": "gift_card"}


def when(value: Any) -> datetime | None:
    try:
        return utc_from_iso(value, "time")
    except PayloadError:
        return None


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


def shop_money(money_set: dict[str, Any] | None) -> Decimal:
    return Decimal(str(((money_set or {}).get("shopMoney") or {}).get("amount", "0")))


def _gid_number(gid: str) -> str:
    return gid.rsplit("/", 1)[-1]


def to_return(r: dict[str, Any]) -> ShopifyReturn:
    lines = (r.get("returnLineItems") or {}).get("nodes", [])
    return ShopifyReturn(
        id=r["id"], name=r.get("name"), status=r["status"],
        items=[(((li.get("fulfillmentLineItem") or {}).get("lineItem") or {}).get("sku"), li["quantity"])
               for li in lines],
        reason=lines[0].get("returnReason") if lines else None)


def to_order(n: dict[str, Any], resolve: Callable[[str], str | None]) -> Order:
    created = when(n["createdAt"])
    assert created is not None
    lines = n["lineItems"]["nodes"]
    line_of = {li["sku"]: i for i, li in enumerate(lines, 1)}
    items = [LineItem(line_number=i, sku=li["sku"], product_id=_gid_number((li.get("product") or {}).get("id", "")),
                      title=li["name"], quantity=li["quantity"], unit_price=shop_money(li["originalUnitPriceSet"]))
             for i, li in enumerate(lines, 1)]
    fo = ((n.get("fulfillmentOrders") or {}).get("nodes") or [{}])[0]
    ship_by = (when(fo.get("fulfillBy")) or created).date()
    deliver_by = (when((fo.get("deliveryMethod") or {}).get("maxDeliveryDateTime")) or created).date()
    service = (n.get("shippingLine") or {}).get("title") or "Standard"
    shipments = [s for f in n.get("fulfillments") or [] for s in _shipments(f, line_of, service, deliver_by)]
    fin, ful = n["displayFinancialStatus"], n["displayFulfillmentStatus"]
    customer = n.get("customer") or {}
    identity = (customer.get("email") or customer.get("phone") or _gid_number(customer.get("id", ""))).lower()
    a = n["shippingAddress"]
    return Order(
        id=n["name"], platform="shopify", platform_ref=_gid_number(n["id"]), customer_id=resolve(identity) or identity,
        status=_status(n, fin, ful, shipments), platform_status=f"{fin}/{ful}", created_at=created, items=items,
        subtotal=shop_money(n["subtotalPriceSet"]), shipping=shop_money(n["totalShippingPriceSet"]),
        tax=shop_money(n["totalTaxSet"]), total=shop_money(n["totalPriceSet"]), payment_method=_payment(n),
        shipping_address=Address(name=a["name"], line1=a["address1"], line2=a.get("address2") or None,
                                 city=a["city"], state=a["provinceCode"], zip=a["zip"]),
        fulfillment_channel="seller", ship_by=ship_by, deliver_by=max(deliver_by, ship_by), shipments=shipments,
        cancelled_at=when(n.get("cancelledAt")) if n.get("cancelledAt") else None)


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
    delivered = when(f.get("deliveredAt")) if f.get("deliveredAt") else None
    if status == "delivered" and delivered is None:
        status = "in_transit"
    shipped = when(f.get("inTransitAt") or f.get("createdAt"))
    estimate = when(f.get("estimatedDeliveryAt")) if f.get("estimatedDeliveryAt") else None
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
