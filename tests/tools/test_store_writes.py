"""Every write of the sandbox store: what it changes when allowed, and that a refusal changes nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Callable

import pytest

from tools.errors import NotFoundError, PreconditionFailed
from tools.models import Address, Order, Return, ReturnItem
from tools.sandbox.store import SandboxStore

from testdata import ANCHOR


def refused(store: SandboxStore, code: str, write: Callable[[], object]) -> PreconditionFailed:
    """Run a write that must be refused with `code`, and prove the store did not change."""
    before = store.content_hash()
    with pytest.raises(PreconditionFailed) as info:
        write()
    assert info.value.code == code, info.value.message
    assert store.content_hash() == before
    return info.value


def find(store: SandboxStore, platform: str, status: str, pred: Callable[[Order], bool] = lambda o: True) -> Order:
    for order in store.find_orders(platform=platform, status=status, limit=None):  # type: ignore[arg-type]
        if pred(order) and not store.order_returns(order.id) and not store.order_refunds(order.id):
            return order
    raise LookupError(f"no {platform} {status} order matches")


def recent(days: int) -> Callable[[Order], bool]:
    return lambda o: o.delivered_at is not None and o.delivered_at >= ANCHOR - timedelta(days=days)


# ------------------------------------------------------------------ returns

def test_return_inside_the_window_is_authorised_with_a_label(store: SandboxStore) -> None:
    order = find(store, "amazon", "delivered", recent(10))
    line = order.items[0]
    ret = store.create_return(order.id, [ReturnItem(sku=line.sku, quantity=1)], "defective", note="stopped heating")
    assert ret.status == "approved" and ret.customer_id == order.customer_id
    assert ret.return_shipping_paid_by == "seller" and ret.restocking_fee == 0
    assert ret.label is not None and ret.label.tracking_number.startswith("1Z")
    assert store.order_returns(order.id) == [ret]


def test_changed_mind_on_the_own_store_pays_shipping_and_restocking(store: SandboxStore) -> None:
    order = find(store, "shopify", "delivered", recent(10))
    line = order.items[0]
    ret = store.create_return(order.id, [ReturnItem(sku=line.sku, quantity=line.quantity)], "changed_mind")
    assert ret.return_shipping_paid_by == "buyer"
    assert ret.restocking_fee == (line.unit_price * line.quantity * Decimal("0.10")).quantize(Decimal("0.01"))


def test_return_outside_the_window_is_refused(store: SandboxStore) -> None:
    order = find(store, "amazon", "delivered", lambda o: o.created_at.month in (8, 9) and o.delivered_at is not None)
    error = refused(store, "return_window_closed",
                    lambda: store.create_return(order.id, [ReturnItem(sku=order.items[0].sku, quantity=1)], "changed_mind"))
    assert "closed on" in error.message


def test_return_before_delivery_or_shipment_is_refused(store: SandboxStore) -> None:
    moving = find(store, "amazon", "in_transit")
    refused(store, "not_delivered",
            lambda: store.create_return(moving.id, [ReturnItem(sku=moving.items[0].sku, quantity=1)], "damaged"))
    waiting = find(store, "amazon", "unshipped")
    refused(store, "not_shipped",
            lambda: store.create_return(waiting.id, [ReturnItem(sku=waiting.items[0].sku, quantity=1)], "changed_mind"))


def test_return_items_must_be_in_the_order_and_not_returned_twice(store: SandboxStore) -> None:
    order = find(store, "walmart", "delivered", recent(10))
    line = order.items[0]
    refused(store, "item_not_in_order",
            lambda: store.create_return(order.id, [ReturnItem(sku="NF-NOT-IN-ORDER", quantity=1)], "changed_mind"))
    refused(store, "quantity_exceeds_returnable",
            lambda: store.create_return(order.id, [ReturnItem(sku=line.sku, quantity=line.quantity + 1)], "changed_mind"))
    store.create_return(order.id, [ReturnItem(sku=line.sku, quantity=line.quantity)], "changed_mind")
    refused(store, "quantity_exceeds_returnable",
            lambda: store.create_return(order.id, [ReturnItem(sku=line.sku, quantity=1)], "changed_mind"))


def test_return_on_a_cancelled_order_is_refused(store: SandboxStore) -> None:
    order = next(o for o in store.find_orders(status="cancelled", limit=None))
    refused(store, "order_cancelled",
            lambda: store.create_return(order.id, [ReturnItem(sku=order.items[0].sku, quantity=1)], "changed_mind"))


# ------------------------------------------------------------------ refunds

def test_partial_refunds_never_exceed_what_was_paid(store: SandboxStore) -> None:
    order = find(store, "ebay", "delivered")
    first = store.refund(order.id, Decimal("5.00"), "goodwill")
    assert first.status == "processed" and first.expected_by is not None and first.expected_by > ANCHOR.date()
    remaining = order.total - Decimal("5.00")
    error = refused(store, "refund_exceeds_paid", lambda: store.refund(order.id, remaining + Decimal("0.01"), "more"))
    assert error.details["remaining"] == str(remaining)
    store.refund(order.id, remaining, "rest")
    refused(store, "refund_exceeds_paid", lambda: store.refund(order.id, Decimal("0.01"), "again"))


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-3"), Decimal("1.005")])
def test_refund_amount_must_be_positive_cents(store: SandboxStore, amount: Decimal) -> None:
    order = find(store, "amazon", "delivered")
    refused(store, "invalid_amount", lambda: store.refund(order.id, amount, "bad"))


def test_unpaid_orders_cannot_be_refunded(store: SandboxStore) -> None:
    order = find(store, "amazon", "pending")
    refused(store, "not_charged", lambda: store.refund(order.id, Decimal("1.00"), "x"))
    unshipped = find(store, "amazon", "unshipped")  # Amazon charges at shipment
    refused(store, "not_charged", lambda: store.refund(unshipped.id, Decimal("1.00"), "x"))


def test_refund_for_a_return_once_and_within_its_value(store: SandboxStore) -> None:
    order = find(store, "shopify", "delivered", lambda o: len(o.items) == 1 and recent(10)(o))
    line = order.items[0]
    ret = store.create_return(order.id, [ReturnItem(sku=line.sku, quantity=line.quantity)], "damaged")
    tax_share = order.tax  # the only line carries all the tax
    cap = line.unit_price * line.quantity + tax_share
    refused(store, "refund_exceeds_paid", lambda: store.refund(order.id, cap + Decimal("0.01"), "too much", ret.id))
    refund = store.refund(order.id, cap, "damaged", ret.id)
    assert store.order_returns(order.id)[0].refund_id == refund.id
    assert store.get_order(order.id).status == "returned"
    refused(store, "already_refunded", lambda: store.refund(order.id, Decimal("1.00"), "again", ret.id))


def test_refund_for_another_orders_return_is_refused(store: SandboxStore) -> None:
    a = find(store, "amazon", "delivered", recent(10))
    b = find(store, "amazon", "delivered", lambda o: o.id != a.id and recent(10)(o))
    ret = store.create_return(a.id, [ReturnItem(sku=a.items[0].sku, quantity=1)], "defective")
    refused(store, "return_mismatch", lambda: store.refund(b.id, Decimal("1.00"), "x", ret.id))


# ------------------------------------------------------------------ cancellations

def test_cancel_unshipped_own_store_order_refunds_the_charge(store: SandboxStore) -> None:
    order = find(store, "shopify", "unshipped")
    cancellation = store.cancel_order(order.id, "ordered the wrong size")
    after = store.get_order(order.id)
    assert after.status == "cancelled" and after.platform_status == "REFUNDED/UNFULFILLED"
    refunds = store.order_refunds(order.id)
    assert [r.id for r in refunds] == [cancellation.refund_id] and refunds[0].amount == order.total
    refused(store, "already_cancelled", lambda: store.cancel_order(order.id, "again"))


def test_cancel_unshipped_amazon_order_needs_no_refund(store: SandboxStore) -> None:
    order = find(store, "amazon", "unshipped")
    cancellation = store.cancel_order(order.id, "buyer request")
    assert cancellation.refund_id is None and store.order_refunds(order.id) == []
    assert store.get_order(order.id).platform_status == "CANCELLED"


@pytest.mark.parametrize("status", ["shipped", "in_transit", "delivered"])
def test_cancel_after_shipment_is_refused(store: SandboxStore, status: str) -> None:
    order = find(store, "amazon", status)
    refused(store, "already_shipped", lambda: store.cancel_order(order.id, "too late"))


# ------------------------------------------------------------------ address changes

NEW_ADDRESS = Address(name="Dana Ortiz", line1="455 Juniper Ave", city="Boise", state="ID", zip="83702")


def test_address_change_before_shipment_on_the_own_store(store: SandboxStore) -> None:
    order = find(store, "shopify", "unshipped")
    store.change_address(order.id, NEW_ADDRESS)
    assert store.get_order(order.id).shipping_address == NEW_ADDRESS


def test_address_change_refused_where_the_platform_forbids_it(store: SandboxStore) -> None:
    order = find(store, "amazon", "unshipped")
    error = refused(store, "address_change_not_allowed", lambda: store.change_address(order.id, NEW_ADDRESS))
    assert "Amazon" in error.message


def test_address_change_after_shipment_is_refused(store: SandboxStore) -> None:
    order = find(store, "shopify", "in_transit")
    refused(store, "already_shipped", lambda: store.change_address(order.id, NEW_ADDRESS))


# ------------------------------------------------------------------ subscriptions

def test_subscription_actions_follow_their_states(store: SandboxStore) -> None:
    sub = next(s for s in store.list_records("subscriptions") if s.status == "active")
    skipped = store.update_subscription(sub.id, "skip")
    assert skipped.next_charge_date == sub.next_charge_date + timedelta(days=sub.interval_days)
    assert skipped.skipped == [sub.next_charge_date]
    paused = store.update_subscription(sub.id, "pause")
    assert paused.status == "paused" and paused.next_charge_date is None
    refused(store, "invalid_subscription_state", lambda: store.update_subscription(sub.id, "skip"))
    resumed = store.update_subscription(sub.id, "resume")
    assert resumed.status == "active" and resumed.next_charge_date == ANCHOR.date() + timedelta(days=sub.interval_days)
    assert store.update_subscription(sub.id, "cancel").status == "cancelled"
    refused(store, "invalid_subscription_state", lambda: store.update_subscription(sub.id, "cancel"))
    refused(store, "invalid_subscription_state", lambda: store.update_subscription(sub.id, "resume"))


# ------------------------------------------------------------------ unknown records and reads

def test_unknown_ids_raise_not_found(store: SandboxStore) -> None:
    before = store.content_hash()
    for call in (
        lambda: store.get_order("113-0000000-0000000"),
        lambda: store.refund("113-0000000-0000000", Decimal("1"), "x"),
        lambda: store.cancel_order("#999999", "x"),
        lambda: store.update_subscription("S99999", "skip"),
        lambda: store.track("1Z0000000000000000"),
        lambda: store.get_variant("NF-NOPE"),
        lambda: store.get_customer("C99999"),
    ):
        with pytest.raises(NotFoundError):
            call()
    assert store.content_hash() == before


def test_tracking_lookup_and_identity_lookup(store: SandboxStore) -> None:
    order = find(store, "amazon", "in_transit")
    shipment = order.shipments[0]
    found_order, found_shipment = store.track(shipment.tracking_number.lower())
    assert found_order.id == order.id and found_shipment == shipment
    customer = store.get_customer(order.customer_id)
    relay = customer.identity_on("amazon")[0].value
    assert store.find_customer("amazon", relay.upper()) == customer
    assert store.find_customer("walmart", relay) is None


def test_product_search_and_variants(store: SandboxStore) -> None:
    results = store.search_products("cast iron skillet")
    assert results and "Skillet" in results[0].name
    product, variant = store.get_variant(results[0].variants[0].sku)
    assert product.id == results[0].id and variant.sku == results[0].variants[0].sku
    assert store.search_products("   ") == []


def test_an_idempotency_key_never_writes_twice(store: SandboxStore) -> None:
    order = find(store, "ebay", "delivered")
    first = store.refund(order.id, Decimal("3.00"), "goodwill", idempotency_key="thread-1:turn-2:refund")
    after_first = store.content_hash()
    again = store.refund(order.id, Decimal("3.00"), "goodwill", idempotency_key="thread-1:turn-2:refund")
    assert again == first and store.content_hash() == after_first
    assert len(store.order_refunds(order.id)) == 1
    other = store.refund(order.id, Decimal("3.00"), "goodwill", idempotency_key="thread-1:turn-3:refund")
    assert other.id != first.id and len(store.order_refunds(order.id)) == 2


def test_a_refused_write_records_nothing_under_its_key(store: SandboxStore) -> None:
    order = find(store, "amazon", "in_transit")
    refused(store, "already_shipped", lambda: store.cancel_order(order.id, "x", idempotency_key="k1"))
    unshipped = find(store, "amazon", "unshipped")
    store.cancel_order(unshipped.id, "x", idempotency_key="k1")  # the key is still free
    assert store.get_order(unshipped.id).status == "cancelled"


def test_a_requested_return_is_approved_once(store: SandboxStore) -> None:
    requested = next((r for r in store.list_records("returns") if isinstance(r, Return) and r.status == "requested"),
                     None)
    assert requested is not None, "the demo store has returns waiting for approval"
    approved = store.approve_return(requested.id, idempotency_key="k1")
    assert approved.status == "approved" and store.approve_return(requested.id, idempotency_key="k1") == approved
    with pytest.raises(PreconditionFailed):
        store.approve_return(requested.id)
