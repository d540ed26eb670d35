"""TikTok Shop records -> shopdesk's domain models (orders, shipments, returns); pure functions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from channels.payload import utc_from_unix
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
    ShipmentStatus,
)
from tools.policy.loader import PlatformPolicy

ORDER_ID = re.compile(r"(?<!\d)\d{18}(?!\d)")  # a TikTok Shop order id: 18 digits


def from_unix(value: object) -> datetime:
    """TikTok times are unix seconds (a few chat fields use milliseconds); PayloadError when out of range."""
    return utc_from_unix(value, "TikTok timestamp")


ORDER_STATUS: dict[str, OrderStatus] = {
    "UNPAID": "pending", "ON_HOLD": "pending", "AWAITING_SHIPMENT": "unshipped", "PARTIALLY_SHIPPING": "shipped",
    "AWAITING_COLLECTION": "shipped", "IN_TRANSIT": "in_transit", "DELIVERED": "delivered",
    "COMPLETED": "delivered",  # a fully returned order also ends COMPLETED: its returns tell the difference
    "CANCELLED": "cancelled",
}
_WAITING: ShipmentStatus = "label_created"
_SHIPMENT_STATUS: dict[str, ShipmentStatus] = {
    "UNPAID": _WAITING, "ON_HOLD": _WAITING, "AWAITING_SHIPMENT": _WAITING, "AWAITING_COLLECTION": _WAITING,
    "CANCELLED": _WAITING, "DELIVERED": "delivered", "COMPLETED": "delivered",
}
RETURN_STATUS: dict[str, ReturnStatus] = {
    "RETURN_OR_REFUND_REQUEST_PENDING": "requested", "AWAITING_BUYER_RESPONSE": "requested",
    "REPLACEMENT_REQUEST_PENDING": "requested", "AWAITING_BUYER_SHIP": "approved",
    "BUYER_SHIPPED_ITEM": "in_transit",  # TikTok does not say when the package reached the seller
    "REFUND_OR_RETURN_REQUEST_REJECT": "rejected", "REJECT_RECEIVE_PACKAGE": "rejected",
    "REPLACEMENT_REQUEST_REJECT": "rejected", "RETURN_OR_REFUND_REQUEST_SUCCESS": "refunded",
    "RETURN_OR_REFUND_REQUEST_COMPLETE": "refunded", "REPLACEMENT_REQUEST_REFUND_SUCCESS": "refunded",
    "RETURN_OR_REFUND_REQUEST_CANCEL": "closed", "REPLACEMENT_REQUEST_CANCEL": "closed",
    "REPLACEMENT_REQUEST_COMPLETE": "closed",
}
# Return reason codes are long localisable keys; match on words rather than a list that changes.
_REASON_WORDS: tuple[tuple[str, ReturnReason], ...] = (
    ("damag", "damaged"), ("defect", "defective"), ("not work", "defective"), ("wrong", "wrong_item"),
    ("describ", "not_as_described"), ("match", "not_as_described"), ("late", "arrived_late"),
    ("no_longer", "no_longer_needed"), ("no longer", "no_longer_needed"),
)
_STATES = (
    "AL Alabama|AK Alaska|AZ Arizona|AR Arkansas|CA California|CO Colorado|CT Connecticut|DE Delaware|"
    "DC District of Columbia|FL Florida|GA Georgia|HI Hawaii|ID Idaho|IL Illinois|IN Indiana|IA Iowa|KS Kansas|"
    "KY Kentucky|LA Louisiana|ME Maine|MD Maryland|MA Massachusetts|MI Michigan|MN Minnesota|MS Mississippi|"
    "MO Missouri|MT Montana|NE Nebraska|NV Nevada|NH New Hampshire|NJ New Jersey|NM New Mexico|NY New York|"
    "NC North Carolina|ND North Dakota|OH Ohio|OK Oklahoma|OR Oregon|PA Pennsylvania|RI Rhode Island|"
    "SC South Carolina|SD South Dakota|TN Tennessee|TX Texas|UT Utah|VT Vermont|VA Virginia|WA Washington|"
    "WV West Virginia|WI Wisconsin|WY Wyoming|PR Puerto Rico|GU Guam|VI U.S. Virgin Islands|AS American Samoa|"
    "MP Northern Mariana Islands|AA Armed Forces Americas|AE Armed Forces Europe|AP Armed Forces Pacific"
)
US_STATE_NAMES: dict[str, str] = dict(pair.split(" ", 1) for pair in _STATES.split("|"))  # type: ignore[misc]
"""State code -> the name TikTok puts in recipient_address.district_info (level L1)."""
_STATE_CODES = {name.lower(): code for code, name in US_STATE_NAMES.items()}


def to_order(o: Mapping[str, Any]) -> Order:
    """One order of Get Order Detail. Line items come one per unit; they are folded back per seller SKU."""
    items: dict[str, LineItem] = {}
    packages: dict[str, dict[str, Any]] = {}
    for unit in o.get("line_items") or []:
        sku = str(unit.get("seller_sku") or unit["sku_id"])
        line = items.get(sku)
        if line is None:
            name, variant = str(unit.get("product_name") or sku), unit.get("sku_name")
            line = items[sku] = LineItem(
                line_number=len(items) + 1, sku=sku, product_id=str(unit.get("product_id") or ""),
                title=f"{name} - {variant}" if variant else name, quantity=1, unit_price=_money(unit.get("sale_price")))
        else:
            line.quantity += 1
        if unit.get("package_id") and unit.get("tracking_number"):
            package = packages.setdefault(str(unit["package_id"]), {"unit": unit, "lines": set()})
            package["lines"].add(line.line_number)
    native = str(o["status"])
    pay = o.get("payment") or {}
    subtotal = sum((i.unit_price * i.quantity for i in items.values()), Decimal(0))
    shipping, tax = _money(pay.get("shipping_fee")), _money(pay.get("tax"))
    ship_by = from_unix(o.get("shipping_due_time") or o["create_time"]).date()
    deliver_by = max(ship_by, from_unix(o.get("delivery_due_time") or o["create_time"]).date())
    shipments = [s for pid, pkg in packages.items() if (s := _shipment(pid, pkg, o, native, deliver_by))]
    return Order(
        id=str(o["id"]), platform="tiktok", platform_ref=str(o["id"]), customer_id=str(o.get("user_id") or ""),
        status=ORDER_STATUS.get(native, "pending"), platform_status=native, created_at=from_unix(o["create_time"]),
        items=list(items.values()), subtotal=subtotal, shipping=shipping, tax=tax, total=subtotal + shipping + tax,
        payment_method=PaymentMethod(kind="marketplace"), shipping_address=_address(o["recipient_address"]),
        fulfillment_channel="seller", ship_by=ship_by, deliver_by=deliver_by, shipments=shipments,
        cancelled_at=from_unix(o["cancel_time"]) if o.get("cancel_time") else None,
    )


def _shipment(package_id: str, package: dict[str, Any], o: Mapping[str, Any], native: str,
              deliver_by: Any) -> Shipment | None:
    """A package; TikTok gives no per-package ETA or scan events, so the order's promise stands in."""
    unit = package["unit"]
    status = _SHIPMENT_STATUS.get(native, "in_transit")
    delivered = from_unix(o.get("delivery_time") or o.get("update_time") or o["create_time"])
    try:
        return Shipment(
            id=package_id, carrier=_carrier(str(unit.get("shipping_provider_name") or "")),  # type: ignore[arg-type]
            service=str(o.get("delivery_option_name") or "Standard shipping"),
            tracking_number=str(unit["tracking_number"]), status=status,
            shipped_at=from_unix(unit.get("rts_time") or o.get("rts_time") or o["create_time"]),
            estimated_delivery=deliver_by, delivered_at=delivered if status == "delivered" else None,
            line_numbers=sorted(package["lines"]))
    except ValidationError:
        return None  # a carrier or tracking format shopdesk does not model


def to_return(r: Mapping[str, Any], order: Order, policy: PlatformPolicy) -> Return:
    """One record of Search Returns (line items one per unit). The window comes from the policy file."""
    counts: dict[str, int] = {}
    for unit in r.get("return_line_items") or []:
        sku = str(unit.get("seller_sku") or unit["sku_id"])
        counts[sku] = counts.get(sku, 0) + 1
    words = f"{r.get('return_reason', '')} {r.get('return_reason_text', '')}".lower()
    reason = next((reason for word, reason in _REASON_WORDS if word in words), "changed_mind")
    fees = r.get("shipping_fee_amount") or [{}]
    fees = fees[0] if isinstance(fees, list) else fees
    paid_by = "buyer" if _money(fees.get("buyer_paid_return_shipping_fee")) > 0 else "seller"
    requested = from_unix(r["create_time"])
    label = None
    carrier = _carrier(str(r.get("return_provider_name") or ""))
    if carrier and r.get("return_tracking_number"):
        try:
            label = ReturnLabel(carrier=carrier, tracking_number=str(r["return_tracking_number"]), paid_by=paid_by)
        except ValidationError:
            label = None
    return Return(
        id=str(r["return_id"]), order_id=order.id, customer_id=order.customer_id, platform="tiktok",
        items=[ReturnItem(sku=sku, quantity=n) for sku, n in counts.items()], reason=reason,
        status=RETURN_STATUS.get(str(r.get("return_status")), "requested"), requested_at=requested,
        window_ends=policy.return_window_end(order, reason) or requested.date(),
        return_shipping_paid_by=paid_by, label=label,
    )


def _carrier(name: str) -> Carrier | None:
    lowered = name.lower()
    for key, carrier in (("usps", "USPS"), ("ups", "UPS"), ("fedex", "FedEx"), ("amazon", "Amazon Logistics")):
        if key in lowered:
            return carrier  # type: ignore[return-value]
    return None


def _address(a: Mapping[str, Any]) -> Address:
    levels = {str(d.get("address_level")): str(d.get("address_name") or "") for d in a.get("district_info") or []}
    state = levels.get("L1", "")
    code = state.upper() if state.upper() in US_STATE_NAMES else _STATE_CODES.get(state.lower(), state)
    name = a.get("name") or " ".join(p for p in (a.get("first_name"), a.get("last_name")) if p)
    return Address(name=name, line1=a["address_line1"], line2=a.get("address_line2") or None,
                   city=levels.get("L3") or levels.get("L2") or "", state=code, zip=str(a["postal_code"]))


def _money(value: object) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)
