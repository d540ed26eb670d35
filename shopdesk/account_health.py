"""Account-health figures the marketplaces judge a seller by, from the store's orders (platforms.md).

Amazon: Order Defect Rate (negative feedback + A-to-z claims not denied + chargebacks, over 60 days).
Walmart's scorecard: cancellation, on-time delivery, valid tracking, refund and negative-feedback rates.
The limits come from each platform's policy file (`[account_health]`), never from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel

from tools.models import Order
from tools.policy.loader import PlatformPolicy

WINDOW_DAYS = 60


class HealthFigure(BaseModel):
    platform: str
    name: str
    value: float | None  # a share (0..1); None when no order is in the window
    limit: float          # a share, from the policy file
    kind: Literal["max", "min"]
    orders: int
    window_days: int

    @property
    def ok(self) -> bool | None:
        if self.value is None:
            return None
        return self.value <= self.limit if self.kind == "max" else self.value >= self.limit


def _limit(policy: PlatformPolicy, key: str, default: float) -> float:
    return float(policy.account_health.get(key, default)) / 100


def account_health(store: Any, policies: Mapping[str, PlatformPolicy], now: datetime) -> list[HealthFigure]:
    since = now - timedelta(days=WINDOW_DAYS)
    figures: list[HealthFigure] = []
    odr_days = int(policies["amazon"].account_health.get("odr_window_days", WINDOW_DAYS))
    amazon = [o for o in store.find_orders(platform="amazon", limit=None)
              if now - timedelta(days=odr_days) <= o.created_at <= now]
    ids = {o.id for o in amazon}
    defects = {f.order_id for f in store.list_records("feedback") if f.order_id in ids and f.rating <= 2}
    defects |= {c.order_id for c in store.list_records("claims") if c.order_id in ids and c.status != "denied"}
    defects |= {c.order_id for c in store.list_records("chargebacks") if c.order_id in ids}
    figures.append(HealthFigure(platform="amazon", name="Order defect rate", kind="max", orders=len(amazon),
                                value=len(defects) / len(amazon) if amazon else None, window_days=odr_days,
                                limit=_limit(policies["amazon"], "odr_max_pct", 1)))
    walmart = [o for o in store.find_orders(platform="walmart", limit=None) if since <= o.created_at <= now]
    figures += _walmart(store, walmart, policies["walmart"])
    return figures


def _walmart(store: Any, orders: list[Order], policy: PlatformPolicy) -> list[HealthFigure]:
    ids = {o.id for o in orders}
    shipped = [o for o in orders if o.shipments]
    delivered = [o for o in orders if o.status == "delivered" and o.shipments
                 and all(s.delivered_at for s in o.shipments)]
    on_time = [o for o in delivered if max(s.delivered_at for s in o.shipments).date() <= o.deliver_by]  # type: ignore[type-var,union-attr]
    refunded = {r.order_id for r in store.list_records("refunds") if r.order_id in ids}
    negative = {f.order_id for f in store.list_records("feedback") if f.order_id in ids and f.rating <= 2}

    def share(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    rows = [
        ("Cancellation rate", "max", share(sum(o.status == "cancelled" for o in orders), len(orders)),
         "cancellation_rate_max_pct", 2),
        ("On-time delivery", "min", share(len(on_time), len(delivered)), "on_time_delivery_min_pct", 90),
        ("Valid tracking", "min", share(sum(all(s.tracking_number for s in o.shipments) for o in shipped), len(shipped)),
         "valid_tracking_min_pct", 99),
        ("Refund rate", "max", share(len(refunded), len(orders)), "refund_rate_max_pct", 6),
        ("Negative feedback", "max", share(len(negative), len(orders)), "negative_feedback_max_pct", 2),
    ]
    return [HealthFigure(platform="walmart", name=name, kind=kind, value=value, orders=len(orders),  # type: ignore[arg-type]
                         window_days=WINDOW_DAYS, limit=_limit(policy, key, default))
            for name, kind, value, key, default in rows]
