"""Account-health figures from the demo store, against counts made here independently."""

from __future__ import annotations

from datetime import timedelta

from shopdesk.account_health import account_health
from tools.policy.loader import load_policies
from tools.sandbox.store import SandboxStore

from testdata import ANCHOR


def test_walmart_scorecard_and_amazon_odr(store: SandboxStore) -> None:
    figures = {(f.platform, f.name): f for f in account_health(store, load_policies(), ANCHOR)}
    since = ANCHOR - timedelta(days=60)
    walmart = [o for o in store.find_orders(platform="walmart", limit=None) if since <= o.created_at <= ANCHOR]
    cancelled = sum(1 for o in walmart if o.status == "cancelled")
    cancellation = figures[("walmart", "Cancellation rate")]
    assert cancellation.orders == len(walmart) > 0 and cancellation.value == cancelled / len(walmart)
    assert cancellation.limit == 0.02 and cancellation.kind == "max" and cancellation.ok == (cancellation.value <= 0.02)
    on_time = figures[("walmart", "On-time delivery")]
    assert on_time.limit == 0.90 and on_time.kind == "min" and 0 <= on_time.value <= 1  # type: ignore[operator]
    assert figures[("walmart", "Valid tracking")].value == 1.0  # every generated parcel has a valid number
    odr = figures[("amazon", "Order defect rate")]
    assert odr.limit == 0.01 and odr.window_days == 60 and 0 <= odr.value < 1  # type: ignore[operator]
    refunded = {r.order_id for r in store.list_records("refunds")} & {o.id for o in walmart}  # type: ignore[attr-defined]
    assert figures[("walmart", "Refund rate")].value == len(refunded) / len(walmart)


def test_no_orders_in_the_window_means_no_verdict(store: SandboxStore) -> None:
    figures = account_health(store, load_policies(), ANCHOR - timedelta(days=400))
    assert figures and all(f.orders == 0 and f.value is None and f.ok is None for f in figures)
