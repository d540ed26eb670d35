"""Walmart's v3 JSON -> shopdesk's models (orders, shipments, returns); pure functions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from channels.walmart.errors import WalmartApiError
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

RETURN_REASONS: dict[str, ReturnReason] = {  # Walmart returnReason codes [U] -> ours
    "DAMAGED_ITEM": "damaged", "DEFECTIVE_ITEM": "defective", "WRONG_ITEM": "wrong_item",
    "NOT_AS_DESCRIBED": "not_as_described", "CHANGED_MIND": "changed_mind", "NO_LONGER_NEEDED": "no_longer_needed",
    "ARRIVED_LATE": "arrived_late",
}
_CARRIERS: dict[str, Carrier] = {"usps": "USPS", "ups": "UPS", "fedex": "FedEx"}
_LINE_RANK = ("Cancelled", "Created", "Acknowledged", "Shipped", "Delivered")
_ORDER_STATUS: dict[str, OrderStatus] = {"Created": "pending", "Acknowledged": "unshipped", "Shipped": "shipped",
                                         "Delivered": "delivered", "Cancelled": "cancelled"}


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
    for line in listed(raw["orderLines"], "orderLine"):
        number, qty = int(line["lineNumber"]), int(Decimal(str(line["orderLineQuantity"]["amount"])))
        product = Decimal(0)
        for charge in listed(line.get("charges") or {}, "charge"):
            amount = _money(charge["chargeAmount"])
            product, shipping = (product + amount, shipping) if charge["chargeType"] == "PRODUCT" else (
                product, shipping + amount)
            tax += _money((charge.get("tax") or {}).get("taxAmount") or {"amount": 0})
        sku = line["item"]["sku"]
        items.append(LineItem(line_number=number, sku=sku, product_id=(product_ids and product_ids(sku)) or sku,
                              title=line["item"].get("productName") or sku, quantity=qty, unit_price=product / qty))
        for state in listed(line["orderLineStatuses"], "orderLineStatus"):
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
    last_change = max((int(line.get("statusDate") or 0) for line in listed(raw["orderLines"], "orderLine")), default=0)
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
        fee = sum((line_charges(line)[2] for line in lines), Decimal(0))
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


def line_charges(line: Mapping[str, Any]) -> tuple[Decimal, Decimal, Decimal]:
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


def listed(container: Any, key: str) -> list[Any]:
    """Walmart wraps lists ({"orderLine": [...]}) and sometimes sends one object instead of a list."""
    value = container.get(key) if isinstance(container, dict) else container
    return value if isinstance(value, list) else [value] if isinstance(value, dict) else []


def _money(value: Mapping[str, Any]) -> Decimal:
    """{"currency", "amount"} (orders) or {"currencyUnit", "currencyAmount"} (returns), in USD."""
    if value.get("currency", value.get("currencyUnit", "USD")) != "USD":
        raise ValueError("only USD is supported")
    return Decimal(str(value.get("amount", value.get("currencyAmount", 0))))


def _when(value: Any) -> datetime:
    """Walmart timestamps: epoch milliseconds (orders) or ISO 8601 (returns, events)."""
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.isdigit()):
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
