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
    assert trace.compliance["ok"], (trace.compliance, trace.draft)


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


def test_a_refund_for_a_return_says_when_the_return_arrived(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    """"Have you received it, and when do I get my money?": the refund record links its return."""
    refund = next(r for r in store.list_records("refunds") if r.status == "processed" and r.return_id
                  and next(x for x in store.order_returns(r.order_id) if x.id == r.return_id).received_at)
    ret = next(x for x in store.order_returns(refund.order_id) if x.id == refund.return_id)
    order = store.get_order(refund.order_id)
    trace = say(order.customer_id, order.platform, f"I mailed back my return for {order.id}. did you get it? "
                                                   "when do I get my money?")
    assert trace.intent == "refund_status"
    assert f"We received your return {ret.id} on {format_date(ret.received_at)}" in trace.draft
    assert f"${refund.amount}" in trace.draft and trace.compliance["ok"]


def test_a_return_on_its_way_back_gives_both_parts_of_the_wait(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    """Not received yet: our refund time after it arrives, then the bank's posting time, from the policy."""
    ret = next(r for r in store.list_records("returns") if r.status in ("approved", "in_transit") and r.label
               and not r.received_at and not store.order_refunds(r.order_id))
    order = store.get_order(ret.order_id)
    policy = store.policy(order.platform).refunds
    trace = say(order.customer_id, order.platform, f"when do I get my refund for {order.id}? I already dropped it off")
    assert trace.intent == "refund_status"
    for fact in (ret.label.tracking_number, f"within {policy.days_after_receipt} {policy.day_kind} days of receiving",
                 f"{policy.posting_days_min}-{policy.posting_days_max} business days"):
        assert fact in trace.draft, fact
    assert trace.compliance["ok"], (trace.compliance, trace.draft)


@pytest.mark.parametrize("platform", ["walmart", "amazon"])
def test_an_order_cancelled_before_shipping_was_never_charged_where_the_platform_charges_at_shipment(  # type: ignore[no-untyped-def]
        say, store: SandboxStore, platform: str) -> None:
    order = next(o for o in store.find_orders(platform=platform, status="cancelled", limit=None)  # type: ignore[arg-type]
                 if not o.shipments and not store.order_refunds(o.id) and not store.order_returns(o.id))
    trace = say(order.customer_id, platform, f"I cancelled order {order.id} and never got my ${order.total} back! "
                                             "where is my refund?")
    assert trace.intent == "refund_status"
    for fact in ("never charged", "authorization", format_date(order.cancelled_at)):
        assert fact in trace.draft, fact
    assert "don't see a refund" not in trace.draft and trace.compliance["ok"]


def test_a_cancelled_order_charged_at_order_without_its_refund_goes_to_a_person() -> None:
    """The store charges at order: a cancellation with no refund on record is an escalation, not "nothing yet"
    (the sandbox always refunds a cancellation, so the plan's branch is exercised directly)."""
    from types import SimpleNamespace

    from agent.plans import _refund_for_cancelled

    p = SimpleNamespace(policy=SimpleNamespace(display_name="Shopify store"))
    data = {"order_id": "#1001", "cancelled_at": "2026-11-20T10:00:00+00:00", "total": "42.00",
            "charged_when": "order"}
    outcome = _refund_for_cancelled(p, {"order_id": "#1001", "shipments": []}, data)  # type: ignore[arg-type]
    assert outcome.template == "refund_cancelled_missing" and "no refund is on record" in (outcome.review_reason or "")
    shipped = _refund_for_cancelled(p, {"order_id": "#1001", "shipments": [{}]}, {**data, "charged_when": "shipment"})  # type: ignore[arg-type]
    assert shipped.template == "refund_cancelled_missing"  # it shipped, so it was charged: a person checks
    uncharged = _refund_for_cancelled(p, {"order_id": "#1001", "shipments": []}, {**data, "charged_when": "shipment"})  # type: ignore[arg-type]
    assert uncharged.template == "refund_cancelled_uncharged" and uncharged.review_reason is None


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
    left = order.total - refund.amount
    for fact in (f"${order.total}", f"${refund.amount}", refund.return_id, "changed-mind return", "10% restocking fee",
                 "sales tax", f"That leaves ${left:.2f} of the order not refunded"):
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


# ------------------------------------------------------------------ 6. address changes after shipping

@pytest.mark.parametrize("platform", ["amazon", "tiktok", "shopify"])
def test_a_shipped_order_is_never_told_it_can_still_be_changed(say, store: SandboxStore, platform: str) -> None:  # type: ignore[no-untyped-def]
    """Shipped is shipped on every platform: the reply says so, with the carrier and tracking, and points to the
    carrier's own redirect (KB address-changes), never to "while it hasn't shipped" advice."""
    order = untouched(store, platform, "in_transit")
    shipment = order.shipments[0]
    trace = say(order.customer_id, platform, f"can you send order {order.id} to my office instead? 55 Market St, "
                                             "San Jose, CA 95113")
    assert trace.intent == "change_address"
    for fact in (f"already shipped with {shipment.carrier} on {format_date(shipment.shipped_at)}",
                 shipment.tracking_number, "redirect"):
        assert fact in trace.draft, fact
    assert "hasn't shipped" not in trace.draft and not trace.pending_action and trace.compliance["ok"]


def test_a_delivered_order_cannot_change_its_address(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order = untouched(store, "walmart", "delivered")
    trace = say(order.customer_id, "walmart", f"please change the shipping address on {order.id}")
    assert f"already delivered on {format_date(order.delivered_at)}" in trace.draft and trace.compliance["ok"]


# ------------------------------------------------------------------ 7. the return window, said with its length

def test_a_return_offer_says_how_long_the_window_is(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order = untouched(store, "ebay", "delivered", lambda o: o.delivered_at > ANCHOR - timedelta(days=10)
                      and len(o.items) == 1)
    trace = say(order.customer_id, "ebay", f"I changed my mind about order {order.id}, can I send it back?")
    assert trace.intent == "return_request"
    assert "the end of our 30-day return window" in trace.draft and trace.compliance["ok"]


def test_a_closed_window_is_named_with_its_length(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order = untouched(store, "amazon", "delivered", lambda o: o.delivered_at < ANCHOR - timedelta(days=45)
                      and o.created_at.month not in (11, 12) and len(o.items) == 1)
    trace = say(order.customer_id, "amazon", f"I'd like to return order {order.id}, it doesn't fit our patio")
    assert "our 30-day return window for order" in trace.draft and "closed on" in trace.draft


def test_an_order_already_sent_back_says_so_not_that_the_window_closed(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    refund = next(r for r in store.list_records("refunds") if r.status == "processed" and r.return_id
                  and len(store.order_returns(r.order_id)) == 1
                  and all(i.quantity == sum(x.quantity for x in store.order_returns(r.order_id)[0].items
                                            if x.sku == i.sku) for i in store.get_order(r.order_id).items))
    order = store.get_order(refund.order_id)
    trace = say(order.customer_id, order.platform, f"i want to return order {order.id}")
    assert f"already returned (return {refund.return_id})" in trace.draft, trace.draft
    assert f"We refunded ${refund.amount}" in trace.draft and "window" not in trace.draft


# ------------------------------------------------------------------ 8. a split shipment

def test_an_order_in_several_parcels_lists_every_parcel(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    """"Did both come? I only found one box": every parcel with what is in it, its tracking and where it is."""
    order = next(o for o in store.find_orders(status="delivered", limit=None)
                 if len(o.shipments) >= 2 and all(s.delivered_at for s in o.shipments)
                 and not store.order_returns(o.id) and o.platform in ("walmart", "amazon", "shopify"))
    first, second = (order.line(s.line_numbers[0]) for s in order.shipments[:2])
    trace = say(order.customer_id, order.platform, f"did everything from order {order.id} come? i only found one box")
    assert trace.intent == "order_status"
    assert f"comes in {len(order.shipments)} parcels" in trace.draft
    for shipment in order.shipments:
        assert shipment.tracking_number in trace.draft and format_date(shipment.delivered_at) in trace.draft
    assert first.title.removeprefix("Northfork ") in trace.draft and second.title.removeprefix("Northfork ") in trace.draft
    assert trace.compliance["ok"], (trace.compliance, trace.draft)


def test_a_split_shipment_is_told_in_spanish_too(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order = next(o for o in store.find_orders(status="delivered", limit=None)
                 if len(o.shipments) >= 2 and all(s.delivered_at for s in o.shipments)
                 and not store.order_returns(o.id) and o.platform in ("walmart", "amazon", "shopify"))
    trace = say(order.customer_id, order.platform, f"¿dónde está mi pedido {order.id}? solo llegó una caja")
    assert trace.language == "es" and "paquetes" in trace.draft
    assert all(s.tracking_number in trace.draft for s in order.shipments), trace.draft


# ------------------------------------------------------------------ 9. a cancelled subscription, checked

def test_is_my_subscription_really_cancelled_is_answered_yes_by_name(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    customer = next(c for c in store.list_customers()
                    if (subs := store.customer_subscriptions(c.id)) and all(s.status == "cancelled" for s in subs))
    trace = say(customer.id, "shopify", "I cancelled my subscribe & save a while back. can you confirm it's really "
                                        "cancelled? I don't want surprise charges")
    assert trace.intent == "subscription_change"
    assert "cancelled" in trace.draft and "no active subscription" in trace.draft and "S0" not in trace.draft
    assert trace.compliance["ok"], (trace.compliance, trace.draft)


# ------------------------------------------------------------------ 10. a partly shipped order

def _partly_shipped(store: SandboxStore, *, ship_by_ahead: bool) -> tuple[Order, str]:
    """A store order in transit with two or more lines, one of them taken out of its only parcel (the demo store
    ships every line; a seller shipping what is in stock first leaves the rest in no parcel)."""
    order = next(o for p in ("shopify", "amazon", "walmart") for o in store.find_orders(platform=p, status="in_transit",
                                                                                       limit=None)  # type: ignore[arg-type]
                 if len(o.shipments) == 1 and len({i.product_id for i in o.items}) >= 2
                 and o.shipments[0].status == "in_transit" and not store.order_refunds(o.id) and not store.order_returns(o.id))
    held = order.items[-1]
    parcel = order.shipments[0].model_copy(update={"line_numbers": [n for n in order.shipments[0].line_numbers
                                                                     if n != held.line_number]})
    update: dict[str, object] = {"shipments": [parcel]}
    if ship_by_ahead:
        update["ship_by"] = ANCHOR.date() + timedelta(days=2)
    changed = order.model_copy(update=update)
    with store._tx():
        store._put(changed)
    return changed, held.title


def test_a_held_item_of_a_partly_shipped_order_is_not_said_to_have_shipped(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order, held = _partly_shipped(store, ship_by_ahead=True)
    kind = held.split(" - ")[0].split(",")[0].split()[-1].lower()
    trace = say(order.customer_id, order.platform, f"tracking only shows one package for {order.id}?? where's the {kind}")
    assert trace.intent == "order_status"
    short = held.removeprefix("Northfork ")
    assert f"hasn't shipped yet: the {short}" in trace.draft and format_date(order.ship_by) in trace.draft
    assert order.shipments[0].tracking_number in trace.draft  # the parcel that did ship, with its items
    assert order.line(order.shipments[0].line_numbers[0]).title.removeprefix("Northfork ") in trace.draft
    assert f"order {order.id} has shipped" not in trace.draft and f"order {order.id} is on its way" not in trace.draft
    assert trace.compliance["ok"], (trace.compliance, trace.draft)


def test_a_partly_shipped_order_past_its_ship_by_offers_wait_or_cancel_through_a_person(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order, held = _partly_shipped(store, ship_by_ahead=False)
    assert order.ship_by < ANCHOR.date()
    trace = say(order.customer_id, order.platform, f"where is my order {order.id}")
    assert f"hasn't shipped yet: the {held.removeprefix('Northfork ')}" in trace.draft
    assert "cancel" in trace.draft and "full refund" in trace.draft and format_date(order.ship_by) in trace.draft
    assert trace.route == "review" and any("ship-by date" in r for r in trace.reasons), trace.reasons
    assert f"order {order.id} has shipped" not in trace.draft and trace.compliance["ok"], trace.draft


def test_the_parcel_answered_is_the_one_carrying_the_item_named() -> None:
    from agent.plans import _first_shipment, _named_items, _unshipped_items

    order = {"items": ["Northfork Ridgetop Hand Burr Coffee Grinder", "Northfork Stainless Steel Grill Tool Set, 5-Piece",
                       "Northfork Charcoal Chimney Starter"],
             "shipments": [{"items": ["Northfork Stainless Steel Grill Tool Set, 5-Piece"], "status": "in_transit"},
                           {"items": ["Northfork Charcoal Chimney Starter"], "status": "in_transit"}]}
    assert _unshipped_items(order, order["shipments"]) == ["Northfork Ridgetop Hand Burr Coffee Grinder"]
    named = _named_items("did the chimney ship yet?", order["items"])
    assert named == ["Northfork Charcoal Chimney Starter"]
    assert _first_shipment(order, named) is order["shipments"][1]
    assert _first_shipment(order, _named_items("where is my stuff", order["items"])) is order["shipments"][0]
