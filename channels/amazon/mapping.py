"""SP-API orders -> shopdesk's `Order` (pure functions).

What SP-API cannot tell us, and so `Order`s from here leave out (see `order_from_sp_api`):
- packages (tracking) and buyerEmail exist for merchant-fulfilled (FBM) orders only; FBA orders come
  back without shipments and with an unknown customer ("" unless buyerEmail is there);
- the delivery time of a package (the order's lastUpdatedTime stands in for it) and returns (a shipped
  order that came back still reads SHIPPED);
- shopdesk's customer and product ids: inject `customer_ids` (buyer email -> customer id) and
  `product_ids` (seller SKU -> product id); by default they are the buyer email and the SKU.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from channels.amazon.errors import AmazonApiError
from tools.models import (
    Address,
    Carrier,
    LineItem,
    Order,
    OrderStatus,
    PaymentMethod,
    Shipment,
    ShipmentStatus,
)

log = logging.getLogger(__name__)


_CARRIERS: dict[str, Carrier] = {"usps": "USPS", "ups": "UPS", "fedex": "FedEx", "amazon logistics": "Amazon Logistics",
                                 "amzn_us": "Amazon Logistics", "amazon": "Amazon Logistics"}
_DETAILED: dict[str, ShipmentStatus] = {  # packageStatus.detailedStatus (or status) -> ours
    "PENDING_SCHEDULE": "label_created", "PENDING_PICK_UP": "label_created", "PENDING_DROP_OFF": "label_created",
    "LABEL_CANCELLED": "label_created", "PENDING": "label_created", "DELIVERED": "delivered",
    "OUT_FOR_DELIVERY": "out_for_delivery", "LOST": "lost", "UNDELIVERABLE": "exception", "DAMAGED": "exception",
    "REJECTED_BY_BUYER": "exception", "RETURNING_TO_SELLER": "exception", "RETURNED_TO_SELLER": "exception",
}


def order_from_sp_api(raw: Any, *, customer_ids: Callable[[str], str | None] | None = None,
                      product_ids: Callable[[str], str | None] | None = None) -> Order:
    """Map one v2026-01-01 order (with BUYER, RECIPIENT, PROCEEDS, FULFILLMENT, PACKAGES) to an `Order`."""
    try:
        return _map_order(raw, customer_ids, product_ids)
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise AmazonApiError(f"unexpected SP-API order shape ({type(exc).__name__})",
                             api_code="unexpected_response") from None


def _map_order(raw: dict[str, Any], customer_ids: Callable[[str], str | None] | None,
               product_ids: Callable[[str], str | None] | None) -> Order:
    order_id, created = raw["orderId"], _dt(raw["createdTime"])
    updated = _dt(raw.get("lastUpdatedTime") or raw["createdTime"])
    fulfillment = raw.get("fulfillment") or {}
    items, line_of = [], {}
    for n, item in enumerate(raw["orderItems"], 1):
        product, sku = item["product"], item["product"]["sellerSku"]
        items.append(LineItem(line_number=n, sku=sku, product_id=(product_ids and product_ids(sku)) or sku,
                              title=product.get("title") or sku, quantity=int(item["quantityOrdered"]),
                              unit_price=_money(product["price"]["unitPrice"])))
        line_of[item["orderItemId"]] = n
    parts = _breakdowns((raw.get("proceeds") or {}).get("breakdowns")) or _breakdowns(
        [b for item in raw["orderItems"] for b in ((item.get("proceeds") or {}).get("breakdowns") or [])])
    subtotal = sum((i.amount for i in items), Decimal(0))
    shipping, tax = parts.get("SHIPPING", Decimal(0)), parts.get("TAX", Decimal(0))
    ship_by = _window_end(fulfillment.get("shipByWindow")) or created.date()
    deliver_by = max(_window_end(fulfillment.get("deliverByWindow")) or ship_by, ship_by)
    shipments = [s for p in raw.get("packages") or [] if (s := _shipment(p, line_of, deliver_by, updated))]
    address = raw["recipient"]["deliveryAddress"]
    email = str((raw.get("buyer") or {}).get("buyerEmail") or "").strip().lower()
    status_word = fulfillment.get("fulfillmentStatus", "PENDING")
    status = _common_status(status_word, shipments)
    return Order(
        id=order_id, platform="amazon", platform_ref=order_id,
        customer_id=((customer_ids and email and customer_ids(email)) or email),
        status=status, platform_status=status_word, created_at=created, items=items, subtotal=subtotal,
        shipping=shipping, tax=tax, total=subtotal + shipping + tax, payment_method=PaymentMethod(kind="marketplace"),
        shipping_address=Address(name=address["name"], line1=address["addressLine1"],
                                 line2=address.get("addressLine2") or None, city=address["city"],
                                 state=address["stateOrRegion"], zip=address["postalCode"]),
        fulfillment_channel="FBA" if fulfillment.get("fulfilledBy") == "AMAZON" else "FBM",
        ship_by=ship_by, deliver_by=deliver_by, shipments=shipments,
        cancelled_at=updated if status == "cancelled" else None,
        gift=any(((i.get("fulfillment") or {}).get("packing") or {}).get("giftOption") for i in raw["orderItems"]),
    )


def _shipment(package: dict[str, Any], line_of: dict[str, int], deliver_by: Any, updated: datetime) -> Shipment | None:
    carrier = _CARRIERS.get(str(package.get("carrier") or "").strip().lower())
    state = package.get("packageStatus") or {}
    status = _DETAILED.get(state.get("detailedStatus") or "", _DETAILED.get(state.get("status") or "", "in_transit"))
    try:
        if carrier is None:
            raise ValueError("carrier")
        return Shipment(
            id=package["packageReferenceId"], carrier=carrier, service=package.get("shippingService") or carrier,
            tracking_number=package["trackingNumber"], status=status,
            shipped_at=_dt(package.get("shipTime") or package["createdTime"]), estimated_delivery=deliver_by,
            delivered_at=updated if status == "delivered" else None,
            line_numbers=sorted({line_of[i["orderItemId"]] for i in package.get("packageItems") or []
                                 if i.get("orderItemId") in line_of}))
    except ValueError:
        log.warning("skipped an Amazon package shopdesk cannot track (carrier %r)", package.get("carrier"))
        return None


def _common_status(word: str, shipments: list[Shipment]) -> OrderStatus:
    if word in ("PENDING", "PENDING_AVAILABILITY"):
        return "pending"
    if word == "UNSHIPPED":
        return "unshipped"
    if word in ("CANCELLED", "UNFULFILLABLE"):  # UNFULFILLABLE: will never ship (Multi-Channel only)
        return "cancelled"
    if word == "SHIPPED" and shipments and all(s.status == "delivered" for s in shipments):
        return "delivered"
    if any(s.status in ("in_transit", "out_for_delivery", "exception", "lost") for s in shipments):
        return "in_transit"
    return "shipped"


def _breakdowns(rows: Any) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for row in rows or []:
        totals[row["type"]] = totals.get(row["type"], Decimal(0)) + _money(row["subtotal"])
    return totals


def _window_end(window: Any) -> Any:
    return _dt(window["latestDateTime"]).date() if window and window.get("latestDateTime") else None


def _money(value: Mapping[str, Any]) -> Decimal:
    if value.get("currencyCode", "USD") != "USD":
        raise ValueError("only USD orders are supported")
    return Decimal(str(value["amount"]))


def _dt(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError("timestamp without a timezone")
    return value
