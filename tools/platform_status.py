"""Each platform's own status word for the common order status.

The common vocabulary drives tools and replies; the native word is kept beside it so a
support agent sees what the marketplace shows and adapters can map both ways.
"""

from __future__ import annotations

from tools.models import OrderStatus, Platform

_SHOPIFY = {
    "pending": "PENDING/UNFULFILLED",
    "unshipped": "PAID/UNFULFILLED",
    "shipped": "PAID/FULFILLED",
    "in_transit": "PAID/FULFILLED",
    "delivered": "PAID/FULFILLED",
    "cancelled": "REFUNDED/UNFULFILLED",
    "returned": "REFUNDED/FULFILLED",
}

NATIVE_STATUS: dict[Platform, dict[OrderStatus, str]] = {
    # Amazon's fulfillmentStatus stays SHIPPED; delivery shows on the package status.
    "amazon": {
        "pending": "PENDING",
        "unshipped": "UNSHIPPED",
        "shipped": "SHIPPED",
        "in_transit": "SHIPPED",
        "delivered": "SHIPPED",
        "cancelled": "CANCELLED",
        "returned": "SHIPPED",
    },
    "walmart": {
        "pending": "Created",
        "unshipped": "Acknowledged",
        "shipped": "Shipped",
        "in_transit": "Shipped",
        "delivered": "Delivered",
        "cancelled": "Cancelled",
        "returned": "Delivered",
    },
    "shopify": _SHOPIFY,
    "facebook": _SHOPIFY,
    "instagram": _SHOPIFY,
    "tiktok": {
        "pending": "UNPAID",
        "unshipped": "AWAITING_SHIPMENT",
        "shipped": "AWAITING_COLLECTION",
        "in_transit": "IN_TRANSIT",
        "delivered": "DELIVERED",
        "cancelled": "CANCELLED",
        "returned": "COMPLETED",
    },
    "ebay": {
        "pending": "NOT_STARTED",
        "unshipped": "NOT_STARTED",
        "shipped": "FULFILLED",
        "in_transit": "FULFILLED",
        "delivered": "FULFILLED",
        "cancelled": "CANCELED",
        "returned": "FULFILLED",
    },
}


def native_status(platform: Platform, status: OrderStatus) -> str:
    return NATIVE_STATUS[platform][status]
