"""Issue 11: actions on the right order, partial address corrections, deliveries scanned in another place.

Hand-built orders behind a tiny in-memory backend, run through the real tools (tools/actions.py) and the real
plans (agent/plans.py): what the customer is offered, which write is proposed (and on which order), and what
the reply says. No demo store, no classifier: each case states its intent.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from agent import templates_es
from agent.address_amend import Amendment, find_amendment, find_unit, find_zip, unit_missing
from agent.grounding import evidence_from_strings, ground_draft
from agent.order_resolver import Candidate, resolve
from agent.plans import PlanInput, PlanOutcome, run_plan
from agent.schemas import Entities, Triage
from agent.templates import TEMPLATES, render
from agent.triage.rules import sentiment
from tools.errors import NotFoundError
from tools.models import (
    Address, Cancellation, Customer, LineItem, Order, PaymentMethod, Refund, Return, Shipment, TrackingEvent,
)
from tools.context import ToolContext
from tools.policy.loader import load_policies, load_seller
from tools.registry import run_tool
from tools.results import PendingAction, ToolResult

NOW = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)
TODAY = NOW.date()
POLICIES = load_policies()
SELLER = load_seller()

GRILL = "Northfork Tailgate Portable Charcoal Grill, 14 in - Black"
BLANKET = "Northfork High Desert Wool Blanket - Basalt Gray"
TOOLS_SET = "Northfork Stainless Steel Grill Tool Set, 5-Piece"
HOME = Address(name="Dana Reyes", line1="123 Main St", city="Austin", state="TX", zip="78701")


# ---------------------------------------------------------------- a backend holding a few hand-built orders

@dataclass
class Clock:
    now_at: datetime = NOW

    def now(self) -> datetime:
        return self.now_at


@dataclass
class Backend:
    """Just what the order tools read and write, over hand-built orders of one customer."""

    orders: list[Order]
    cancelled: list[str] = field(default_factory=list)

    def get_order(self, order_id: str) -> Order:
        found = next((o for o in self.orders if o.id == order_id), None)
        if found is None:
            raise NotFoundError(f"no order {order_id}")
        return found

    def customer_orders(self, customer_id: str, platform: Any = None) -> list[Order]:
        mine = [o for o in self.orders if o.customer_id == customer_id]
        return sorted(mine, key=lambda o: o.created_at, reverse=True)

    def order_returns(self, order_id: str) -> list[Return]:
        return []

    def order_refunds(self, order_id: str) -> list[Refund]:
        return []

    def change_address(self, order_id: str, address: Address, *, idempotency_key: str | None = None) -> Order:
        order = self.get_order(order_id)
        changed = order.model_copy(update={"shipping_address": address})
        self.orders = [changed if o.id == order_id else o for o in self.orders]
        return changed

    def cancel_order(self, order_id: str, reason: str, requested_by: str = "buyer", *,
                     idempotency_key: str | None = None) -> Cancellation:
        order = self.get_order(order_id)
        self.orders = [o.model_copy(update={"status": "cancelled", "cancelled_at": NOW}) if o.id == order_id else o
                       for o in self.orders]
        self.cancelled.append(order_id)
        return Cancellation(id="X000001", order_id=order_id, customer_id=order.customer_id, reason=reason,
                            requested_by="buyer", at=NOW)


def make_order(oid: str, platform: str, status: str, *titles: str, placed_days_ago: int = 2,
               address: Address = HOME, shipments: list[Shipment] | None = None) -> Order:
    items = [LineItem(line_number=n, sku=f"NF-ITEM{n}", product_id=f"P00{n}", title=t, quantity=1,
                      unit_price=Decimal("40.00")) for n, t in enumerate(titles, start=1)]
    subtotal = Decimal("40.00") * len(items)
    placed = NOW - timedelta(days=placed_days_ago)
    return Order(id=oid, platform=platform, platform_ref=oid, customer_id="C00001", status=status,  # type: ignore[arg-type]
                 platform_status=status, created_at=placed, items=items, subtotal=subtotal, shipping=Decimal("0"),
                 tax=Decimal("3.20"), total=subtotal + Decimal("3.20"), payment_method=PaymentMethod(kind="card"),
                 shipping_address=address, fulfillment_channel="seller", ship_by=placed.date() + timedelta(days=2),
                 deliver_by=placed.date() + timedelta(days=7), shipments=shipments or [])


def delivered_parcel(scan_location: str, *, delivered_days_ago: int = 1) -> Shipment:
    done = NOW - timedelta(days=delivered_days_ago)
    events = [TrackingEvent(at=done - timedelta(days=2), type="accepted", location="Bethlehem, PA",
                            description="Accepted at origin facility"),
              TrackingEvent(at=done - timedelta(hours=3), type="out_for_delivery", location=scan_location,
                            description="Out for delivery"),
              TrackingEvent(at=done, type="delivered", location=scan_location, description="Delivered, Front door")]
    return Shipment(id="SH000001", carrier="UPS", service="UPS Ground", tracking_number="1Z999AA10123456784",
                    status="delivered", shipped_at=done - timedelta(days=2), estimated_delivery=done.date(),
                    delivered_at=done, line_numbers=[1], events=events)


CUSTOMER = Customer(id="C00001", name="Dana Reyes", created_at=NOW - timedelta(days=400))


@dataclass
class Desk:
    """One customer's conversation with the plans: the backend, the tool calls made, the last outcome."""

    backend: Backend
    platform: str
    calls: list[ToolResult] = field(default_factory=list)

    def say(self, text: str, intent: str, *, order_ids: tuple[str, ...] = (), pending: PendingAction | None = None,
            confirmed: bool = False, declined: bool = False, active_order_id: str | None = None,
            sentiment: str = "neutral") -> PlanOutcome:
        ctx = ToolContext(backend=self.backend, customer_id="C00001", platform=self.platform,  # type: ignore[arg-type]
                          confirmed=pending if confirmed else None, clock=Clock(), policies=POLICIES, seller=SELLER)

        def run(name: str, args: dict[str, Any]) -> ToolResult:
            result = run_tool(ctx, name, args)
            self.calls.append(result)
            return result

        triage = Triage(intent=intent, confidence=0.9, entities=Entities(order_ids=list(order_ids)),  # type: ignore[arg-type]
                        sentiment=sentiment)  # type: ignore[arg-type]
        return run_plan(PlanInput(intent=intent, triage=triage, text=text, platform=self.platform,  # type: ignore[arg-type]
                                  customer=CUSTOMER, passages=[], run=run, today=TODAY,
                                  policy=POLICIES[self.platform], seller=SELLER,  # type: ignore[index]
                                  active_order_id=active_order_id, pending_action=pending, confirmed=confirmed,
                                  declined=declined))

    def writes(self) -> list[str]:
        return [r.name for r in self.calls if r.ok and r.write]

    def proposed(self) -> list[str]:
        return [r.name for r in self.calls if r.data and "proposed" in r.data]


def reply(outcome: PlanOutcome) -> str:
    return render(outcome.template, outcome.slots, first_name="Dana", extra=outcome.extra)


# ================================================================ 1. an action never on a guessed order

def test_two_unshipped_orders_and_a_bare_cancel_is_a_question_not_an_offer() -> None:
    desk = Desk(Backend([make_order("#1723", "shopify", "unshipped", BLANKET, placed_days_ago=1),
                         make_order("#1722", "shopify", "unshipped", TOOLS_SET, placed_days_ago=2)]), "shopify")
    out = desk.say("pls cancel my order", "cancel_order")
    assert out.template == "which_order" and out.pending_action is None and out.awaiting == "order_id"
    assert desk.proposed() == [] and desk.writes() == []
    text = reply(out)
    assert "High Desert Wool Blanket" in text and "Stainless Steel Grill Tool Set" in text  # listed by product
    assert "#1723" in text and "#1722" in text


def test_recency_never_picks_the_order_an_action_is_proposed_on() -> None:
    """A months-old order still unshipped (a backorder) and a new one: for "where is my order" the recent one is
    the fair guess; for "cancel my order" the customer says which."""
    recent = Candidate("NEW", "shopify", "unshipped", TODAY - timedelta(days=2), Decimal("43.20"), (BLANKET,))
    stale = Candidate("OLD", "shopify", "unshipped", TODAY - timedelta(days=70), Decimal("43.20"), (GRILL,))
    for intent in ("cancel_order", "change_address"):
        found = resolve("can you cancel my order please", intent, [recent, stale], today=TODAY, platform="shopify")
        assert found.order_id is None and found.for_action, (intent, found)
        assert {c.order_id for c in found.candidates} == {"NEW", "OLD"} and "ambiguous for an action" in found.reason
    looked_up = resolve("where is my order?", "order_status", [recent, stale], today=TODAY, platform="shopify")
    assert looked_up.order_id == "NEW" and not looked_up.for_action  # read-only: recency as before


@pytest.mark.parametrize(("intent", "status"), [("return_request", "delivered"),
                                                ("damaged_or_wrong_item", "delivered"),
                                                ("change_address", "unshipped")])
def test_every_write_request_asks_when_two_orders_could_take_it(intent: str, status: str) -> None:
    a = Candidate("A", "shopify", status, TODAY - timedelta(days=9), Decimal("43.20"), (BLANKET,),
                  delivered_at=TODAY - timedelta(days=5) if status == "delivered" else None)
    b = replace(a, order_id="B", items=(GRILL,), placed_at=TODAY - timedelta(days=3))
    found = resolve("I need help with my order", intent, [a, b], today=TODAY, platform="shopify")
    assert found.order_id is None and found.for_action and len(found.candidates) == 2


def test_the_message_or_the_one_order_in_the_needed_state_still_decides() -> None:
    blanket = Candidate("BLANKET", "shopify", "unshipped", TODAY - timedelta(days=1), Decimal("43.20"), (BLANKET,))
    tools = Candidate("TOOLS", "shopify", "unshipped", TODAY - timedelta(days=2), Decimal("43.20"), (TOOLS_SET,))
    found = resolve("please cancel the wool blanket", "cancel_order", [blanket, tools], today=TODAY, platform="shopify")
    assert found.order_id == "BLANKET" and not found.for_action  # named by product
    moving = Candidate("MOVING", "shopify", "in_transit", TODAY - timedelta(days=4), Decimal("43.20"), (GRILL,))
    waiting = replace(moving, order_id="WAITING", status="unshipped", placed_at=TODAY - timedelta(days=1))
    found = resolve("I need to fix the address on the grill", "change_address", [moving, waiting], today=TODAY,
                    platform="shopify")
    assert found.order_id == "WAITING" and "state the action needs" in found.reason, found


def test_the_order_the_conversation_is_about_is_not_a_guess() -> None:
    desk = Desk(Backend([make_order("#1723", "shopify", "unshipped", BLANKET, placed_days_ago=1),
                         make_order("#1722", "shopify", "unshipped", TOOLS_SET, placed_days_ago=2)]), "shopify")
    out = desk.say("ok please cancel it", "cancel_order", active_order_id="#1722")
    assert out.template == "cancel_offer" and out.pending_action is not None
    assert out.pending_action.args["order_id"] == "#1722"


# ================================================================ 2. a partial address correction

@pytest.mark.parametrize(("text", "expected"), [
    ("omg I forgot my apt number on the grill order, it's 5B", Amendment(line2="Apt 5B")),
    ("please add unit 12 to my address", Amendment(line2="Unit 12")),
    ("the address should say suite 200", Amendment(line2="Suite 200")),
    ("ship it to apt #5B please", Amendment(line2="Apt 5B")),
    ("my apartment number is 5B", Amendment(line2="Apt 5B")),
    ("my apt number isn't 5A, it's 5C", Amendment(line2="Apt 5C")),
    ("could you add Ste. 300", Amendment(line2="Suite 300")),
    ("forgot the apt number: 4", Amendment(line2="Apt 4")),
    ("zip code should be 78702 not 78701", Amendment(zip="78702")),
    ("sorry, it's 125 Main St not 123 Main St", Amendment(line1="125 Main St")),
])
def test_the_part_of_the_address_a_customer_corrects(text: str, expected: Amendment) -> None:
    assert find_amendment(text) == expected


@pytest.mark.parametrize("text", [
    "the unit stopped working 2 weeks ago",  # a device, and a count
    "is there room for 4 people in the tent?",
    "where is order #1723?",  # an order number is no unit
    "the zip on my jacket broke",
    "I need to change my address",
    "it's for my apt. I moved in last week",  # "I" starts a sentence: no Apt I
])
def test_words_that_are_not_an_address_correction(text: str) -> None:
    assert find_amendment(text) is None


def test_a_missing_unit_without_its_number_is_noticed() -> None:
    assert unit_missing("I forgot to put my apartment number on the order")
    assert not unit_missing("I forgot my apt number, it's 5B")
    assert not unit_missing("please change my address")
    assert find_unit("apt b") is None and find_unit("Apt B") == "Apt B"  # a lone letter only when written as one
    assert find_zip("zip is 78702 or 78703") is None  # two ZIPs: not a correction to guess between


def _shop(*orders: Order) -> Desk:
    return Desk(Backend(list(orders)), "shopify")


def test_a_forgotten_unit_is_a_complete_address_change_confirmed_back_in_full() -> None:
    desk = _shop(make_order("#1723", "shopify", "unshipped", GRILL))
    out = desk.say("omg I forgot my apt number on the grill order, it's 5B", "change_address")
    assert out.template == "address_amend_offer" and out.awaiting == "confirmation"
    assert out.pending_action is not None and out.pending_action.tool == "change_shipping_address"
    assert out.pending_action.args == {"order_id": "#1723", "name": "Dana Reyes", "line1": "123 Main St",
                                       "line2": "Apt 5B", "city": "Austin", "state": "TX", "zip": "78701"}
    text = reply(out)
    assert "123 Main St, Apt 5B, Austin, TX 78701" in text and "Shall I update it?" in text
    assert "full new address" not in text and desk.writes() == []
    done = desk.say("yes", "change_address", pending=out.pending_action, confirmed=True)  # the same tool, on the yes
    assert done.template == "address_changed" and desk.writes() == ["change_shipping_address"]
    assert desk.backend.get_order("#1723").shipping_address == HOME.model_copy(update={"line2": "Apt 5B"})


def test_a_zip_typo_is_fixed_and_a_unit_already_there_stays() -> None:
    flat = HOME.model_copy(update={"line2": "Apt 2"})
    desk = _shop(make_order("#1723", "shopify", "unshipped", GRILL, address=flat))
    out = desk.say("oops my zip code is wrong, it should be 78702", "change_address")
    assert out.template == "address_amend_offer"
    assert "123 Main St, Apt 2, Austin, TX 78702" in reply(out) and "ZIP code to 78702" in reply(out)


def test_a_partial_never_moves_the_parcel_to_another_street_or_area() -> None:
    desk = _shop(make_order("#1723", "shopify", "unshipped", GRILL))
    for text in ("please send it to 55 Oak St instead", "the zip should be 10001"):
        out = desk.say(text, "change_address")
        assert out.template == "address_ask" and out.pending_action is None, text
        assert "full new address" in reply(out)
    assert desk.writes() == [] and desk.backend.get_order("#1723").shipping_address == HOME
    fixed = desk.say("typo, it's 125 Main Street not 123", "change_address")  # the same street: a number fix
    assert fixed.template == "address_amend_offer" and "125 Main Street, Austin, TX 78701" in reply(fixed)


def test_a_missing_unit_without_the_number_asks_for_just_that() -> None:
    desk = _shop(make_order("#1723", "shopify", "unshipped", GRILL))
    out = desk.say("I forgot to add my apartment number to the order!", "change_address")
    assert out.template == "address_ask_unit" and out.awaiting == "address"
    assert "apartment, suite or unit number" in reply(out)


def test_the_tool_keeps_what_a_partial_does_not_name_and_a_full_address_replaces_all() -> None:
    backend = Backend([make_order("#1723", "shopify", "unshipped", GRILL,
                                  address=HOME.model_copy(update={"line2": "Apt 2"}))])
    ctx = ToolContext(backend=backend, customer_id="C00001", platform="shopify", clock=Clock(),  # type: ignore[arg-type]
                      policies=POLICIES, seller=SELLER)
    zip_fix = run_tool(ctx, "change_shipping_address", {"order_id": "#1723", "zip": "78702"})
    assert zip_fix.error_code == "confirmation_required"
    assert zip_fix.data["proposed"]["args"]["line2"] == "Apt 2"  # type: ignore[index]
    moved = run_tool(ctx, "change_shipping_address", {"order_id": "#1723", "line1": "9 Elm Rd", "city": "Waco",
                                                      "state": "TX", "zip": "76701"})
    assert moved.data["proposed"]["args"]["line2"] is None  # type: ignore[index]  # a new address: no old unit
    assert run_tool(ctx, "change_shipping_address", {"order_id": "#1723", "city": "Waco"}).error_code == \
        "incomplete_address"
    assert run_tool(ctx, "change_shipping_address", {"order_id": "#1723", "line1": "9 Elm Rd"}).error_code == \
        "partial_address_moves_parcel"
    assert run_tool(ctx, "change_shipping_address", {"order_id": "#1723", "line2": "Apt 2"}).error_code == \
        "address_unchanged"


# ================================================================ 3. a delivery scanned in another place

def _delivered(scan: str, address: Address, **kw: Any) -> Desk:
    return _shop(make_order("#1730", "shopify", "delivered", GRILL, placed_days_ago=6, address=address,
                            shipments=[delivered_parcel(scan, **kw)]))


COLUMBUS = Address(name="Dana Reyes", line1="40 High St", city="Columbus", state="OH", zip="43215")


def test_a_delivery_scanned_in_another_city_says_where_and_goes_to_a_person() -> None:
    desk = _delivered("Indianapolis, IN", COLUMBUS)
    out = desk.say("My tracking says delivered yesterday but nothing at my door", "order_status")
    assert out.template == "delivered_elsewhere" and out.review_reason and "Indianapolis, IN" in out.review_reason
    text = reply(out)
    assert "that delivery scan came from Indianapolis, IN, not Columbus, OH, where the order was going" in text
    assert "I'm sorry your package hasn't turned up" in text and "opening a claim with UPS now" in text
    assert "48 hours" not in text  # no wait: the carrier left it somewhere else
    evidence = evidence_from_strings([json.dumps(r.data, default=str) for r in desk.calls if r.data])
    assert ground_draft(text, evidence, strict=False) == []  # the scan place is not read as where it ships


@pytest.mark.parametrize(("scan", "address"), [
    ("Columbus, OH", COLUMBUS),
    ("COLUMBUS, OH", COLUMBUS),
    ("Saint Louis, MO", Address(name="D", line1="1 Market St", city="St. Louis", state="MO", zip="63101")),
])
def test_a_delivery_scanned_in_the_ship_to_city_keeps_the_usual_steps(scan: str, address: Address) -> None:
    out = _delivered(scan, address).say("tracking says delivered but it's not here", "order_status")
    assert out.template == "delivered_not_received", out


def test_another_state_is_another_place_and_a_customer_who_has_it_gets_the_status() -> None:
    desk = _delivered("Columbus, GA", COLUMBUS)
    assert desk.say("where is my grill?", "order_status").template == "delivered_elsewhere"
    assert desk.say("got my grill, thanks! which day did it arrive?", "order_status").template == "status_delivered"


# ================================================================ 4. eBay: the cancellation offered in the reply

def _ebay(status: str) -> Desk:
    ebay_home = HOME.model_copy(update={"name": "dana_r"})
    shipments = [delivered_parcel("Austin, TX")] if status == "delivered" else None
    return Desk(Backend([make_order("12-34567-89012", "ebay", status, GRILL, address=ebay_home,
                                    shipments=shipments)]), "ebay")


def test_ebay_unshipped_address_change_offers_the_cancellation_to_confirm() -> None:
    desk = _ebay("unshipped")
    out = desk.say("I put the wrong address, can you change it to 9 Elm Rd, Waco, TX 76701?", "change_address")
    assert out.template == "address_cancel_offer" and out.awaiting == "confirmation"
    assert out.pending_action is not None and out.pending_action.tool == "cancel_order"
    text = reply(out)
    assert "eBay doesn't let sellers change the shipping address" in text and "cancel it now" in text
    assert "Reply \"yes\"" in text and desk.writes() == []
    done = desk.say("yes please", "change_address", pending=out.pending_action, confirmed=True)
    assert done.template == "cancel_done" and desk.backend.cancelled == ["12-34567-89012"]


def test_ebay_cancellation_declined_changes_nothing() -> None:
    desk = _ebay("unshipped")
    out = desk.say("wrong address on my order", "change_address")
    no = desk.say("no thanks", "change_address", pending=out.pending_action, declined=True)
    assert no.template == "action_declined" and desk.backend.cancelled == [] and desk.writes() == []


def test_other_marketplaces_keep_their_own_way_and_shipped_ebay_orders_cannot_be_cancelled() -> None:
    amazon = Desk(Backend([make_order("111-2426132-7030218", "amazon", "unshipped", GRILL)]), "amazon")
    out = amazon.say("please change the address on my order", "change_address")
    assert out.template == "address_not_allowed" and out.pending_action is None  # the buyer cancels in Your Orders
    assert _ebay("delivered").say("wrong address on my order", "change_address").template == "address_delivered"


# ================================================================ a cancellation names what it is about

def in_transit_parcel(*, shipped_days_ago: int = 1) -> Shipment:
    shipped = NOW - timedelta(days=shipped_days_ago)
    return Shipment(id="SH000002", carrier="USPS", service="Ground Advantage", tracking_number="9400111899223197428490",
                    status="in_transit", shipped_at=shipped, estimated_delivery=(NOW + timedelta(days=3)).date(),
                    line_numbers=[1], events=[TrackingEvent(at=shipped, type="accepted", location="Bethlehem, PA",
                                                            description="Accepted at origin facility")])


def test_the_one_cancellable_order_is_offered_by_its_products() -> None:
    """A bare "cancel my order" with one unshipped order (the other already shipped) is offered on that order: the
    offer names its products, so a customer who meant the other one can say so before the yes."""
    desk = Desk(Backend([make_order("#1723", "shopify", "unshipped", BLANKET, TOOLS_SET, placed_days_ago=1),
                         make_order("#1722", "shopify", "shipped", GRILL, placed_days_ago=3,
                                    shipments=[in_transit_parcel()])]), "shopify")
    out = desk.say("pls cancel my order", "cancel_order")
    assert out.template == "cancel_offer" and out.pending_action is not None
    assert reply(out).startswith("Hi Dana,\n\nOrder #1723 (the High Desert Wool Blanket - Basalt Gray and Stainless "
                                 "Steel Grill Tool Set, 5-Piece) hasn't shipped yet, so I can cancel it.")
    es = templates_es.body(out.template, out.slots)
    assert es.startswith("El pedido #1723 (High Desert Wool Blanket - Basalt Gray y Stainless Steel Grill Tool Set, "
                         "5-Piece) todavía no se ha enviado")


def test_an_order_of_many_products_is_named_by_its_number_alone() -> None:
    """Half a list would mislead: an order of three products is named by its number only."""
    desk = Desk(Backend([make_order("#1723", "shopify", "unshipped", BLANKET, TOOLS_SET, GRILL)]), "shopify")
    out = desk.say("please cancel order #1723", "cancel_order", order_ids=("#1723",))
    assert out.slots["order_items"] == "" and "Order #1723 hasn't shipped yet" in reply(out)


@pytest.mark.parametrize("platform", ["walmart", "amazon", "tiktok", "ebay"])
def test_a_shipped_order_on_a_marketplace_says_where_its_return_starts(platform: str) -> None:
    """Too late to cancel: the reply says how to return it, and on a marketplace that runs its own return flow
    that is the marketplace's own steps (the policy file's how_to_start), in English and in Spanish."""
    oid = {"walmart": "1369531542526", "amazon": "111-2426132-7030218", "tiktok": "577296172797352819",
           "ebay": "14-42613-27030"}[platform]
    desk = Desk(Backend([make_order(oid, platform, "shipped", GRILL, shipments=[in_transit_parcel()])]), platform)
    out = desk.say("pls cancel my grill order, changed my mind", "cancel_order")
    assert out.template == "cancel_too_late" and out.pending_action is None
    text = reply(out)
    assert "(the Tailgate Portable Charcoal Grill, 14 in - Black) has already shipped" in text
    assert text.split("\n\n")[1].endswith(f". {POLICIES[platform].returns.how_to_start}")
    es = templates_es.body(out.template, out.slots)
    assert "(Tailgate Portable Charcoal Grill, 14 in - Black) ya se envió" in es and "Iníciela en" in es


def test_a_shipped_store_order_has_no_marketplace_steps() -> None:
    """On the seller's own store the seller starts the return, so no marketplace steps are added."""
    desk = Desk(Backend([make_order("#1717", "shopify", "shipped", GRILL, shipments=[in_transit_parcel()])]), "shopify")
    out = desk.say("I need to cancel order 1717 please", "cancel_order", order_ids=("#1717",))
    assert out.template == "cancel_too_late" and out.slots["return_route"] == ""
    assert reply(out).split("\n\n")[1].endswith("Once it arrives you can return it until 30 days after delivery.")


# ================================================================ one change asked for several orders

def test_one_change_for_two_orders_named_by_product_goes_to_a_person() -> None:
    """"Switch my propane order to my sister, and my other order (chimney starter) too": asking "which order?"
    asks what the customer said, and changing the first would drop the second. A person makes each change."""
    desk = Desk(Backend([make_order("#1717", "shopify", "unshipped", BLANKET, placed_days_ago=3),
                         make_order("#1723", "shopify", "unshipped", TOOLS_SET, placed_days_ago=2)]), "shopify")
    out = desk.say("Both the wool blanket and the grill tool set were supposed to go to my sister, can you switch "
                   "them to her address?", "change_address")
    assert out.template == "handoff" and out.pending_action is None and desk.proposed() == []
    assert out.handoff_reason and "#1717" in out.handoff_reason and "#1723" in out.handoff_reason


def test_a_word_of_context_that_fits_another_order_is_not_a_second_request() -> None:
    """"I want to return the wool blanket, it doesn't go with my grill": the grill's order is named in passing,
    not asked about, so the blanket's return is handled (or its order asked for), never passed on as two."""
    desk = Desk(Backend([make_order("#1649", "shopify", "delivered", BLANKET, shipments=[delivered_parcel("Austin, TX")]),
                         make_order("#1549", "shopify", "delivered", GRILL, shipments=[delivered_parcel("Austin, TX")])]),
                "shopify")
    out = desk.say("I want to return the wool blanket, it doesn't go with my grill", "return_request")
    assert out.template == "which_order" and out.handoff_reason is None  # still asked (see the note), not passed on


def test_one_change_for_two_order_numbers_goes_to_a_person_and_a_lookup_still_answers() -> None:
    desk = Desk(Backend([make_order("#1717", "shopify", "unshipped", BLANKET, placed_days_ago=3),
                         make_order("#1723", "shopify", "unshipped", TOOLS_SET, placed_days_ago=2)]), "shopify")
    out = desk.say("please cancel orders 1717 and 1723", "cancel_order", order_ids=("#1717", "#1723"))
    assert out.template == "handoff" and desk.proposed() == [] and desk.writes() == []
    looked_up = desk.say("where are orders 1717 and 1723?", "order_status", order_ids=("#1717", "#1723"))
    # reading is not changing: the status plan answers as before, on the first order named
    assert looked_up.template == "status_late_unshipped" and looked_up.order_id == "#1717"  # ship-by was yesterday


# ================================================================ a complaint about a delivery is not a status question

@pytest.mark.parametrize("text", [
    "10 days to get a coffee grinder to San Juan. Ten. Your page says free shipping but nobody mentions it takes "
    "forever to get to PR. Not impressed.",
    "I'm pretty disappointed. I ordered it for my son's birthday on the 18th and it showed up on the 22nd. Nobody "
    "even told me it was running late.",
])
def test_an_unhappy_message_about_a_delivered_order_that_asks_nothing_goes_to_a_person(text: str) -> None:
    """The customer has it and complains about the delivery: neither the status nor the missing-parcel steps answer
    that, and an apology or goodwill for the delay is the seller's call."""
    desk = Desk(Backend([make_order("#1654", "shopify", "delivered", GRILL, shipments=[delivered_parcel("Austin, TX")])]),
                "shopify")
    out = desk.say(text, "order_status", sentiment=sentiment(text))
    assert out.template == "status_delivered" and out.review_reason and "complains" in out.review_reason
    assert "can't find it" not in reply(out)


@pytest.mark.parametrize(("text", "template"), [
    ("has my order been delivered yet?? this is ridiculous", "status_delivered_help"),  # asks: the usual answer
    ("tracking says delivered but it's not here, I'm so frustrated", "delivered_not_received"),  # missing
])
def test_a_question_or_a_missing_parcel_keeps_its_answer(text: str, template: str) -> None:
    desk = Desk(Backend([make_order("#1654", "shopify", "delivered", GRILL, shipments=[delivered_parcel("Austin, TX")])]),
                "shopify")
    out = desk.say(text, "order_status", sentiment=sentiment(text))
    assert sentiment(text) == "negative" and out.template == template and out.review_reason is None


@pytest.mark.parametrize(("text", "expected"), [
    ("Not impressed.", "negative"), ("took forever to get here smh", "negative"),
    ("nobody even told me it was late", "negative"), ("I'm fed up with this", "negative"),
    ("Estoy muy decepcionada con el pedido", "negative"), ("I'm not happy with the color", "negative"),
    ("I'm happy with it, thanks!", "positive"), ("where is my order", "neutral"),
])
def test_dissatisfaction_said_plainly_is_negative(text: str, expected: str) -> None:
    assert sentiment(text) == expected


# ================================================================ every new reply has its Spanish twin

@pytest.mark.parametrize("key", ["address_amend_offer", "address_ask_unit", "address_cancel_offer",
                                 "delivered_elsewhere", "cancel_offer", "cancel_too_late", "cancel_delivered"])
def test_new_replies_have_spanish_twins_with_the_same_slots(key: str) -> None:
    assert templates_es.slot_names(templates_es.TEMPLATES[key]) == templates_es.slot_names(TEMPLATES[key])


def test_spanish_forms_of_the_new_slots() -> None:
    said = templates_es.body("address_amend_offer", {
        "order_id": "#1723", "new_address": "123 Main St, Apt 5B, Austin, TX 78702",
        "correction": "update its address to include Apt 5B and correct its ZIP code to 78702"})
    assert "actualizar su dirección para incluir Apt 5B y corregir su código postal a 78702" in said
    out = _delivered("Indianapolis, IN", COLUMBUS).say("tracking says delivered but it's not here", "order_status")
    assert "se registró en Indianapolis, IN, no en Columbus, OH" in templates_es.body(out.template, out.slots)


# ================================================================ the correction reader stays linear

@pytest.mark.parametrize("fragment", ["apt ", "apt number ", "unit # ", "zip ", "1 a st ", "it's ", "1 ", "# "])
def test_the_correction_reader_is_linear_on_adversarial_text(fragment: str) -> None:
    """50,000 characters built to make a pattern backtrack: a quadratic one needs seconds (the best of three runs
    counts, so one scheduling hiccup on a loaded machine is not a failure)."""
    text = fragment * (50_000 // len(fragment))

    def once() -> float:
        started = time.perf_counter()
        find_amendment(text), unit_missing(text)
        return time.perf_counter() - started

    assert min(once() for _ in range(3)) < 1.0
