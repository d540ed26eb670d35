"""Issue 11, classes 8 and 9: the right answer for common order situations, through the real graph.

Each test takes an order of the seeded demo store in the situation (or moves the store's clock so the order
gets there) and checks the facts the reply must state, what it must not state, and the route: a reply that
promises something only a person can do (a carrier claim or trace, an overdue refund, an exchange) goes to
review; an answer the customer can act on alone goes out.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from agent.plans import _exchange_request, _return_reason
from agent.templates import format_date
from tools.clock import FixedClock
from tools.models import Order
from tools.policy.loader import load_seller
from tools.sandbox.store import SandboxStore

from testdata import ANCHOR

SELLER = load_seller().shipping


def untouched(store: SandboxStore, platform: str, status: str, pred=lambda o: True) -> Order:  # type: ignore[no-untyped-def]
    """The first order in this state with no return or refund on record."""
    for order in store.find_orders(platform=platform, status=status, limit=None):  # type: ignore[arg-type]
        if not store.order_returns(order.id) and not store.order_refunds(order.id) and pred(order):
            return order
    raise LookupError(f"no {platform} {status} order")


def tools(trace) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.name for c in trace.tool_calls]


# ------------------------------------------------------------------ 1. delivered, but not received

@pytest.mark.parametrize("text", [
    "tracking says delivered Tuesday but there's nothing here, checked the porch. order {oid}",
    "where is my order {oid}?",
])
def test_a_delivered_order_the_customer_does_not_have_gets_the_steps(say, store: SandboxStore, text: str) -> None:  # type: ignore[no-untyped-def]
    order = untouched(store, "walmart", "delivered", lambda o: o.delivered_at > ANCHOR - timedelta(hours=20)
                      and o.fulfillment_channel == "seller")
    shipment = order.shipments[0]
    trace = say(order.customer_id, "walmart", text.format(oid=order.id))
    assert trace.intent == "order_status"
    where = shipment.last_event.description.split(", ", 1)[1].lower()
    for fact in (shipment.tracking_number, format_date(shipment.delivered_at), f"left at: {where}",
                 f"check around the {where} first", "neighbors", f"{SELLER.delivered_not_received_wait_hours} hours",
                 "open a claim with the carrier", "replacement", "full refund"):
        assert fact in trace.draft, fact
    assert trace.route == "auto_send" and trace.compliance["ok"], trace.reasons


def test_a_plain_question_about_a_delivered_order_says_what_to_do_if_it_cant_be_found(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order = untouched(store, "shopify", "delivered", lambda o: o.delivered_at > ANCHOR - timedelta(days=10))
    trace = say(order.customer_id, "shopify", f"can you confirm whether order {order.id} was delivered?")
    assert "as delivered on" in trace.draft and "If you can't find it" in trace.draft
    assert "48 hours after the delivery scan" in trace.draft and "I'm sorry" not in trace.draft
    assert trace.route == "auto_send" and trace.compliance["ok"]


def test_a_customer_who_has_the_order_gets_the_status_only(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order = untouched(store, "shopify", "delivered", lambda o: o.delivered_at > ANCHOR - timedelta(days=10))
    trace = say(order.customer_id, "shopify", f"Got my order {order.id}, thanks! Which day was it delivered?")
    assert "as delivered on" in trace.draft and "claim" not in trace.draft and "check around" not in trace.draft


def test_still_missing_after_the_wait_a_person_opens_the_claim(say, store: SandboxStore, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    """The same order once the seller's wait has passed: the claim is due now, which a person does."""
    order = untouched(store, "walmart", "delivered", lambda o: o.delivered_at > ANCHOR - timedelta(hours=20)
                      and o.fulfillment_channel == "seller")
    clock.advance(hours=SELLER.delivered_not_received_wait_hours + 24)
    trace = say(order.customer_id, "walmart", f"tracking says {order.id} was delivered but I never got it")
    assert f"more than {SELLER.delivered_not_received_wait_hours} hours" in trace.draft
    assert "is opening a claim with the carrier" in trace.draft and "replacement" in trace.draft
    assert trace.route == "review" and "open a carrier claim" in " ".join(trace.reasons)
    assert trace.compliance["ok"]


def test_a_parcel_locker_delivery_says_where_to_look_first(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order = untouched(store, "shopify", "delivered", lambda o: o.delivered_at > ANCHOR - timedelta(hours=40)
                      and o.shipments[0].last_event.description == "Delivered, Parcel locker")
    trace = say(order.customer_id, "shopify", f"my order {order.id} says delivered but it's not here")
    assert "left at: parcel locker" in trace.draft and "check around the parcel locker first" in trace.draft
    assert "the mailbox or parcel locker" not in trace.draft  # not listed twice


# ------------------------------------------------------------------ 2. stale tracking, past due in transit

def _stuck(store: SandboxStore, channel: str) -> Order:
    """In transit, not declared lost, last scan with a place at least the trace threshold ago."""
    def stuck(o: Order) -> bool:
        s = o.shipments[0]
        scans = [e.at for e in s.events if e.location]
        return (len(o.shipments) == 1 and s.status != "lost" and o.fulfillment_channel == channel
                and (ANCHOR.date() - max(scans).date()).days >= SELLER.no_scan_trace_days)
    return next(o for p in ("shopify", "amazon", "walmart") for o in store.find_orders(platform=p, status="in_transit",
                                                                                      limit=None)  # type: ignore[arg-type]
                if not store.order_refunds(o.id) and stuck(o))


def test_a_parcel_with_no_scan_for_days_gets_a_trace_never_a_past_date(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order = _stuck(store, "seller")
    shipment = order.shipments[0]
    last_scan = [e for e in shipment.events if e.location][-1]
    trace = say(order.customer_id, order.platform, f"where is my order {order.id}? it still hasn't come")
    assert trace.intent == "order_status" and "sorry" in trace.draft.lower()
    for fact in (shipment.tracking_number, format_date(last_scan.at), last_scan.description, "trace",
                 f"{SELLER.lost_declared_days} days after that last scan", "replacement", "full refund"):
        assert fact in trace.draft, fact
    assert f"by {format_date(shipment.estimated_delivery)}" not in trace.draft  # a passed estimate is never promised
    assert trace.route == "review" and any("carrier trace" in r for r in trace.reasons)
    assert trace.compliance["ok"] and "refund" not in tools(trace)


def test_a_marketplace_shipped_parcel_with_no_scan_points_to_the_marketplace(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order = _stuck(store, "FBA")
    trace = say(order.customer_id, "amazon", f"where is my order {order.id}?")
    assert "Because Amazon shipped this order" in trace.draft and "Amazon account" in trace.draft
    assert f"by {format_date(order.shipments[0].estimated_delivery)}" not in trace.draft
    assert trace.route == "review"


def test_past_the_carriers_estimate_the_date_is_not_repeated(say, store: SandboxStore, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    """A parcel moving normally, asked about after its estimate passed (recent scans): a person checks."""
    order = next(o for o in store.find_orders(platform="shopify", status="in_transit", limit=None)
                 if len(o.shipments) == 1 and o.shipments[0].status == "in_transit"
                 and not o.shipments[0].events[-1].type in ("delayed", "exception")
                 and o.shipments[0].estimated_delivery >= ANCHOR.date()
                 and (ANCHOR.date() - o.shipments[0].events[-1].at.date()).days <= 1)
    clock.advance(days=(order.shipments[0].estimated_delivery - ANCHOR.date()).days + 2)
    trace = say(order.customer_id, "shopify", f"where is order {order.id}?")
    assert "estimated delivery date has passed" in trace.draft
    assert format_date(order.shipments[0].estimated_delivery) not in trace.draft
    assert trace.route == "review" and trace.compliance["ok"]


# ------------------------------------------------------------------ 3. overdue refund

def test_an_overdue_refund_is_escalated_not_promised_for_a_past_date(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    ret = next(r for r in store.list_records("returns") if r.status == "received" and r.received_at
               and store.policy(r.platform).refund_due(r.received_at.date()) < ANCHOR.date())
    order = store.get_order(ret.order_id)
    due = store.policy(order.platform).refund_due(ret.received_at.date())
    before = store.content_hash()
    trace = say(order.customer_id, order.platform, f"I sent my return for {order.id} back ages ago, where's my refund?")
    assert trace.intent == "refund_status"
    for fact in (ret.id, format_date(ret.received_at), format_date(due), "overdue", "making sure it's issued now"):
        assert fact in trace.draft, fact
    assert "the refund is due by" not in trace.draft
    assert trace.route == "review" and any("refund overdue" in r for r in trace.reasons)
    assert store.content_hash() == before and trace.compliance["ok"]


def test_a_refund_issued_long_ago_is_spoken_of_in_the_past(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    refund = next(r for r in store.list_records("refunds") if r.status == "processed" and r.return_id
                  and r.expected_by and r.expected_by < ANCHOR.date())
    order = store.get_order(refund.order_id)
    trace = say(order.customer_id, order.platform, f"where is my refund for {order.id}")
    assert f"${refund.amount}" in trace.draft and f"should have reached your original payment method by " \
        f"{format_date(refund.expected_by)}" in trace.draft
    assert "you should see it by" not in trace.draft and trace.compliance["ok"]


# ------------------------------------------------------------------ 4. refund less than paid

def test_why_the_refund_is_less_is_answered_from_the_refund_and_the_policy(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    refund = next(r for r in store.list_records("refunds") if r.return_id and r.status == "processed"
                  and store.get_order(r.order_id).platform == "shopify"
                  and next(x for x in store.order_returns(r.order_id) if x.id == r.return_id).reason == "changed_mind"
                  and len(store.order_refunds(r.order_id)) == 1)
    order = store.get_order(refund.order_id)
    trace = say(order.customer_id, "shopify", f"why is my refund for {order.id} less than what I paid? "
                                             "was a restocking fee taken out?")
    assert trace.intent == "refund_status" and "check_return_eligibility" in tools(trace)
    for fact in (f"${order.total}", f"${refund.amount}", refund.return_id, "changed-mind return", "10% restocking fee",
                 "sales tax"):
        assert fact in trace.draft, fact
    assert trace.route == "auto_send" and trace.compliance["ok"]


def test_a_refund_with_no_recorded_reason_goes_to_a_person_not_a_guess(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order = untouched(store, "shopify", "delivered", lambda o: o.total > 20)
    refund = store.refund(order.id, Decimal("5.00"), "")
    trace = say(order.customer_id, "shopify", f"why did I only get ${refund.amount} back for order {order.id}? "
                                             "that's not the full amount")
    assert f"${order.total}" in trace.draft and f"${refund.amount}" in trace.draft
    assert "don't see a reason recorded" in trace.draft and "restocking" not in trace.draft
    assert trace.route == "review" and any("no reason is recorded" in r for r in trace.reasons)


# ------------------------------------------------------------------ 5. exchanges

def _two_variants(store: SandboxStore, platform: str) -> tuple[Order, str, str]:
    """A recent single-item order of a product with another variant of a different price: (order, the other
    variant's title, its price)."""
    for order in store.find_orders(platform=platform, status="delivered", limit=None):  # type: ignore[arg-type]
        if store.order_returns(order.id) or len(order.items) != 1 or order.delivered_at < ANCHOR - timedelta(days=10):
            continue
        product, _ = store.get_variant(order.items[0].sku)
        other = next((v for v in product.variants if v.sku != order.items[0].sku and v.stock > 0
                      and v.price != order.items[0].unit_price), None)
        if other:
            return order, other.title, f"{other.price:.2f}"
    raise LookupError(f"no {platform} order with a second variant")


def test_an_exchange_on_the_store_gives_the_path_and_the_price_difference(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order, wanted, price = _two_variants(store, "shopify")
    trace = say(order.customer_id, "shopify", f"I'd like to exchange order {order.id} for the {wanted}")
    assert trace.intent == "return_request" and "get_product" in tools(trace)
    for fact in ("exchange", f"The {wanted} is ${price}", f"you paid ${order.items[0].unit_price}", "difference",
                 "return label", "refund"):
        assert fact in trace.draft, fact
    assert trace.route == "review" and any("exchange requested" in r for r in trace.reasons)
    assert not any(c.name == "start_return" and c.ok for c in trace.tool_calls) and trace.compliance["ok"]


def test_a_marketplace_exchange_is_a_return_and_a_new_order(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order, wanted, _ = _two_variants(store, "amazon")
    trace = say(order.customer_id, "amazon", f"could I exchange order {order.id} for the {wanted}?")
    assert "can't exchange items directly on Amazon" in trace.draft and f"the {wanted}" in trace.draft
    assert "place a new order" in trace.draft and "Start it in your Amazon account" in trace.draft
    assert trace.route == "auto_send" and trace.compliance["ok"] and "start_return" not in tools(trace)


# ------------------------------------------------------------------ 6. restocking fee exceptions

def test_no_restocking_fee_when_the_order_arrived_late(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order = untouched(store, "shopify", "delivered", lambda o: len(o.items) == 1
                      and o.delivered_at > ANCHOR - timedelta(days=10))
    late = say(order.customer_id, "shopify", f"order {order.id} arrived late, I want to return it. do I have to pay "
                                             "the restocking fee?")
    assert "There's no restocking fee on this return, because your order arrived late" in late.draft
    assert "restocking fee applies to changed-mind returns" not in late.draft
    assert late.pending_action["args"]["reason"] == "arrived_late"
    assert late.route == "auto_send" and late.compliance["ok"]
    changed = say(order.customer_id, "shopify", f"I want to return order {order.id}, I changed my mind. is there a "
                                                "restocking fee?")
    assert "A 10% restocking fee applies to changed-mind returns" in changed.draft


@pytest.mark.parametrize(("text", "exchange"), [
    ("can I swap it for the white one?", True),
    ("I'd like to trade it for the 32 oz", True),
    ("could I get the large one instead?", True),
    ("quiero cambiar por el otro color", True),
    ("I'd rather have a refund instead", False),
    ("can I return it instead of keeping it?", False),
    ("I want to return it, I changed my mind", False),
])
def test_an_exchange_request_is_told_from_a_return(text: str, exchange: bool) -> None:
    assert _exchange_request(text) is exchange


def test_in_an_exchange_a_different_color_is_the_wish_not_a_wrong_item() -> None:
    assert _return_reason("can I swap it for a different color?", exchange=True) == "changed_mind"
    assert _return_reason("you sent the wrong color, can I swap it?", exchange=True) == "wrong_item"
    assert _return_reason("it came three days late, I want to return it") == "arrived_late"
    assert _return_reason("I won't need it anymore") == "changed_mind"  # "won't" alone is no defect
    assert _return_reason("the lantern won't turn on") == "defective"
