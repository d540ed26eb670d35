"""Issue 11: refund answers that say what a refund was for, that there is none, and cover every order meant.

Three classes of failure seen on blind-written messages: a refund the customer does not recognise got the bank's
timing but not what it was for; "where's my refund?" from a customer with no refund or return anywhere got
"which order do you mean?"; a question about two orders at once ("both the lights and the apron") got "which
one?". The pure parts (the reason kinds, the question about a refund's reason, the orders a message names one
by one) are tested on hand-built values; the plan on the seeded demo store with situations built into it
(refunds recorded with a marketplace's own reason codes); the whole reply through the graph for the route,
the Spanish reply and the compliance check.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, get_args

import pytest

from agent.order_resolver import Candidate
from agent.order_sets import asks_about_several, in_period, named_orders, refund_relevant
from agent.plans import PlanInput, PlanOutcome, run_plan
from agent.refund_reasons import WORDING, asks_what_for, customer_reason, phrase_pairs
from agent.schemas import Entities, Triage
from agent.templates import format_date, render
from agent.templates_es import SLOTS
from tools.context import ToolContext
from tools.models import Order
from tools.policy.loader import load_policies, load_seller
from tools.refund_reasons import RefundKind, refund_kind
from tools.registry import run_tool
from tools.sandbox.store import SandboxStore

from testdata import ANCHOR

POLICIES = load_policies()
TODAY = ANCHOR.date()


# ------------------------------------------------------------------ the pure parts

@pytest.mark.parametrize(("recorded", "return_id", "kind"), [
    ("goodwill credit for late delivery", None, "late_delivery"),
    ("damaged on arrival, no return required", None, "damaged_kept"),
    ("carrier lost the package", None, "lost_package"),
    ("order cancelled before shipment", None, "cancelled_order"),
    ("order cancelled: item out of stock", None, "cancelled_order"),
    ("return R000123: changed_mind", "R000123", "return"),
    ("PriceDifference", None, "price_adjustment"),  # Amazon's adjustment codes, camel case
    ("ShippingAddressUndeliverable", None, "undeliverable"),
    ("CouldNotShip", None, "item_not_shipped"),
    ("Shipping refund", None, "shipping"),
    ("courtesy credit", None, "goodwill"),
    ("GeneralAdjustment", None, None),  # says nothing a customer can be told: a person explains it
    ("", None, None),
])
def test_a_refunds_recorded_reason_reads_as_one_kind(recorded: str, return_id: str | None, kind: str | None) -> None:
    assert refund_kind(recorded, return_id) == kind


def test_every_kind_has_customer_wording_in_both_languages() -> None:
    assert set(WORDING) == set(get_args(RefundKind))
    for english, spanish in phrase_pairs():
        assert english and spanish and "{" not in english.replace("{return_id}", "")
    assert customer_reason({"reason_kind": "late_delivery"}) == "a credit because your order arrived late"
    assert customer_reason({"reason_kind": "return", "return_id": "R000042"}) == "the refund for your return R000042"
    assert customer_reason({"reason_kind": None, "reason": "GeneralAdjustment"}) is None
    assert SLOTS["customer_reason"]("the refund for your return R000042") == "el reembolso de su devolución R000042"


@pytest.mark.parametrize("text", [
    "got a $5.88 refund on my card from you guys?? what is that for",
    "you refunded me $5.88 but I didn't return anything. What's that for?",
    "why did you guys send me 12 bucks?",
    "Why did I get a refund from Northfork?",
    "I don't recognize this credit on my statement",
    "not sure what this refund is",
    "¿De qué es este reembolso de $5.88?",
    "Me llegó un reembolso y no devolví nada",
    "¿Por qué me reembolsaron $7?",
])
def test_a_question_about_what_a_refund_was_for_is_recognised(text: str) -> None:
    assert asks_what_for(text)


@pytest.mark.parametrize("text", [
    "where is my refund", "why is my refund taking so long", "what's the refund for order 113-0000000-0000000?",
    "I haven't returned it yet, where is my refund?", "what is your refund policy", "what about my refund",
    "why did you only refund me half", "¿Por qué no he recibido mi reembolso?",
])
def test_a_plain_refund_question_is_not_read_as_asking_what_it_was_for(text: str) -> None:
    assert not asks_what_for(text)


def _order(order_id: str, items: tuple[str, ...], *, status: str = "delivered", placed: date = date(2026, 9, 1),
           has_return: bool = False, refunded: tuple[str, ...] = (), returned_on: date | None = None) -> Candidate:
    return Candidate(order_id=order_id, platform="shopify", status=status, placed_at=placed, total=Decimal("50.00"),
                     items=items, delivered_at=date(placed.year, placed.month, placed.day + 3), has_return=has_return,
                     refunded_amounts=tuple(Decimal(a) for a in refunded), return_requested_at=returned_on,
                     return_received_at=returned_on)


LIGHTS = _order("#2001", ("Northfork Solar Path Lights, 8-Pack",), has_return=True, refunded=("39.99",),
                returned_on=date(2026, 9, 20))
APRON_BACK = _order("#2002", ("Northfork Waxed Canvas Chef Apron - Olive",), status="returned", has_return=True,
                    refunded=("29.99",), placed=date(2026, 9, 5), returned_on=date(2026, 9, 22))
APRON_KEPT = _order("#2003", ("Northfork Waxed Canvas Chef Apron - Olive", "Northfork Cast Iron Conditioner, 8 fl oz"),
                    placed=date(2026, 10, 2))
KETTLE = _order("#2004", ("Northfork Gooseneck Kettle",), placed=date(2026, 11, 10))


def test_products_named_one_by_one_are_each_an_order() -> None:
    """The apron is on two orders; the one sent back is the one a refund question is about."""
    pool = [KETTLE, APRON_KEPT, APRON_BACK, LIGHTS]
    named = named_orders("Could you please confirm I was refunded for both the solar path lights and the chef's "
                         "apron that I sent back in September?", pool, intent="refund_status", today=TODAY,
                         platform="shopify")
    assert named == ["#2001", "#2002"]
    # products set against each other, or one product only, name no set of orders
    assert named_orders("the lights are great but the kettle leaks", pool, intent="refund_status", today=TODAY,
                        platform="shopify") == []
    assert named_orders("where is the refund for the lights?", pool, intent="refund_status", today=TODAY,
                        platform="shopify") == []


def test_what_a_refund_question_can_be_about_and_the_time_it_names() -> None:
    assert refund_relevant(LIGHTS) and refund_relevant(APRON_BACK) and not refund_relevant(KETTLE)
    assert refund_relevant(_order("#2005", ("Northfork Lantern",), status="cancelled"))
    assert asks_about_several("were both of my refunds processed?") and asks_about_several("¿ya enviaron ambos?")
    assert not asks_about_several("where is my refund for the kettle?")
    assert in_period("where's my refund, I sent it back in September", [LIGHTS, KETTLE], TODAY) == [LIGHTS]
    assert in_period("where's my refund?", [LIGHTS, KETTLE], TODAY) is None


# ------------------------------------------------------------------ the plan, on the seeded store

def plan(store: SandboxStore, customer_id: str, platform: str, text: str, *, order_ids: tuple[str, ...] = (),
         active: str | None = None) -> tuple[PlanOutcome, list[tuple[str, dict[str, Any]]]]:
    """The refund-status plan on the real tools, as the act step runs it; and the tool calls it made."""
    ctx = ToolContext(backend=store, customer_id=customer_id, platform=platform,  # type: ignore[arg-type]
                      clock=store.clock)
    calls: list[tuple[str, dict[str, Any]]] = []

    def run(name: str, args: dict[str, Any]) -> Any:
        calls.append((name, args))
        return run_tool(ctx, name, args)

    triage = Triage(intent="refund_status", confidence=0.9, entities=Entities(order_ids=list(order_ids)))
    p = PlanInput(intent="refund_status", triage=triage, text=text, platform=platform,  # type: ignore[arg-type]
                  customer=store.get_customer(customer_id), passages=[], run=run, today=TODAY,
                  policy=POLICIES[platform], seller=load_seller(), active_order_id=active)  # type: ignore[index]
    return run_plan(p), calls


def text_of(outcome: PlanOutcome, language: str = "en") -> str:
    return render(outcome.template, outcome.slots, first_name="Sam", extra=outcome.extra, language=language)


def _channel_orders(store: SandboxStore, customer_id: str, platform: str) -> list[Order]:
    return [o for o in store.customer_orders(customer_id) if o.platform == platform]


def _settled(store: SandboxStore, order: Order) -> bool:
    return bool(store.order_refunds(order.id) or store.order_returns(order.id)) or order.status in ("cancelled",
                                                                                                     "returned")


def late_credit(store: SandboxStore) -> tuple[Order, Any]:
    """An order whose only refund is the seller's goodwill credit for a late delivery (no return on it)."""
    for refund in store.list_records("refunds"):
        if refund.reason == "goodwill credit for late delivery" and len(store.order_refunds(refund.order_id)) == 1 \
                and not store.order_returns(refund.order_id):
            return store.get_order(refund.order_id), refund
    raise LookupError("no late-delivery credit")


def nothing_settled(store: SandboxStore, platform: str, at_least: int = 2) -> str:
    """A customer with several orders on the channel and no refund, return or cancellation on any of them."""
    for customer in store.list_records("customers"):
        orders = _channel_orders(store, customer.id, platform)
        if len(orders) >= at_least and not any(_settled(store, o) for o in orders):
            return customer.id
    raise LookupError(f"no {platform} customer without refunds")


def two_returns(store: SandboxStore) -> tuple[Order, Order]:
    """Two refunded returns of one customer on one channel, each order a single product named nowhere else in
    the customer's orders."""
    for customer in store.list_records("customers"):
        for platform in ("shopify", "amazon", "walmart", "tiktok", "ebay"):
            orders = _channel_orders(store, customer.id, platform)
            if len(orders) > 20:
                continue
            titles = [i.title for o in orders for i in o.items]
            back = [o for o in orders if len(o.items) == 1 and store.order_returns(o.id) and store.order_refunds(o.id)
                    and titles.count(o.items[0].title) == 1
                    and all(r.received_at for r in store.order_returns(o.id))]
            if len(back) >= 2:
                return back[0], back[1]
    raise LookupError("no customer with two returns")


def product_words(order: Order) -> str:
    """The product as a customer calls it: its name without the brand and the variant."""
    return order.items[0].title.split(" - ")[0].replace("Northfork ", "").split(",")[0].lower()


def test_a_refund_the_customer_does_not_recognise_is_explained_first(store: SandboxStore) -> None:
    order, refund = late_credit(store)
    out, calls = plan(store, order.customer_id, order.platform,
                      f"got a ${refund.amount} refund on my card from you guys?? what is that for")
    assert out.template == "refund_what_for" and out.order_id == order.id and out.review_reason is None
    reply = text_of(out)
    assert f"The ${refund.amount} refund is from your order {order.id}" in reply
    assert "it's a credit because your order arrived late" in reply
    assert format_date(refund.created_at) in reply and ("get_refund_status", {"order_id": order.id}) in calls
    spanish = text_of(out, "es")
    assert "es un crédito porque su pedido llegó tarde" in spanish and f"${refund.amount}" in spanish


def test_a_refund_reported_without_being_asked_still_says_what_it_was_for(store: SandboxStore) -> None:
    order, refund = late_credit(store)
    out, _ = plan(store, order.customer_id, order.platform, f"where is my refund for {order.id}?",
                  order_ids=(order.id,))
    assert out.template in ("refund_issued", "refund_issued_posted")
    assert f"We issued a refund of ${refund.amount} for order {order.id}" in text_of(out)
    assert "It's a credit because your order arrived late." in text_of(out)
    assert "Es un crédito porque su pedido llegó tarde." in text_of(out, "es")


@pytest.mark.parametrize(("code", "words"), [("PriceDifference", "a price adjustment on your order"),
                                             ("Shipping refund", "a refund of the shipping charge")])
def test_a_marketplace_reason_code_is_said_in_the_customers_words(store: SandboxStore, code: str, words: str) -> None:
    order = next(o for o in store.find_orders(platform="amazon", status="delivered", limit=None)
                 if not _settled(store, o) and o.total > 20)
    store.refund(order.id, Decimal("4.25"), code)
    out, _ = plan(store, order.customer_id, "amazon", "why did you send me $4.25?")
    assert out.template == "refund_what_for" and f"it's {words}." in text_of(out)


def test_a_reason_nobody_can_word_is_not_guessed_a_person_explains_it(store: SandboxStore) -> None:
    order = next(o for o in store.find_orders(platform="shopify", status="delivered", limit=None)
                 if not _settled(store, o) and o.total > 20)
    store.refund(order.id, Decimal("6.10"), "GeneralAdjustment")
    out, _ = plan(store, order.customer_id, "shopify", "I got $6.10 back from you and I don't know why, what's it for?")
    assert out.template == "refund_what_for_unknown" and "GeneralAdjustment" in (out.review_reason or "")
    reply = text_of(out)
    assert "$6.10" in reply and "a member of our team is checking the record" in reply
    assert "GeneralAdjustment" not in reply and "adjustment" not in reply.lower()
    assert "motivo exacto" in text_of(out, "es")


def test_why_a_refund_is_less_names_what_each_refund_was_for(store: SandboxStore) -> None:
    order, refund = late_credit(store)
    out, _ = plan(store, order.customer_id, order.platform, f"why did I only get ${refund.amount} back on {order.id}?",
                  order_ids=(order.id,))
    assert out.template == "refund_difference"
    assert f"The refund of ${refund.amount} was a credit because your order arrived late." in text_of(out)
    assert "goodwill credit for late delivery" not in text_of(out)  # the store's own words stay internal
    assert "fue un crédito porque su pedido llegó tarde" in text_of(out, "es")


def test_no_refund_or_return_on_any_order_says_so_and_a_person_reviews(store: SandboxStore) -> None:
    customer_id = nothing_settled(store, "amazon")
    orders = _channel_orders(store, customer_id, "amazon")
    out, calls = plan(store, customer_id, "amazon", "wheres my refund?? been waiting foreverrr")
    assert out.template == "refund_no_record" and out.review_reason and "no refund or return" in out.review_reason
    reply = text_of(out)
    assert "I don't see a refund or a return on any of your recent orders" in reply
    assert orders[0].id in reply and format_date(orders[0].created_at) in reply  # what was checked, newest first
    assert "Did you send something back to us" in reply and "Which order do you mean" not in reply
    assert [name for name, _ in calls] == ["list_customer_orders"]  # nothing to look up on any order
    spanish = text_of(out, "es")
    assert "no veo ningún reembolso ni devolución en ninguno de sus pedidos recientes" in spanish
    assert f"pedido {orders[0].id}" in spanish


def _delivered_only(store: SandboxStore, platform: str, count: int) -> tuple[str, list[Order]]:
    """A customer with several orders on the channel and no refund, return or cancellation on any, `count` of
    them delivered with a product named on no other order of theirs."""
    for customer in store.list_records("customers"):
        orders = _channel_orders(store, customer.id, platform)
        titles = [i.title for o in orders for i in o.items]
        delivered = [o for o in orders if o.status == "delivered" and len(o.items) == 1
                     and titles.count(o.items[0].title) == 1]
        if len(delivered) >= count and len(orders) > 1 and not any(_settled(store, o) for o in orders):
            return customer.id, delivered[:count]
    raise LookupError(f"no {platform} customer with {count} delivered orders and no refunds")


def test_what_are_these_refunds_for_explains_each_one(store: SandboxStore) -> None:
    customer_id, (late, adjusted) = _delivered_only(store, "shopify", 2)
    store.refund(late.id, Decimal("3.10"), "goodwill credit for late delivery")
    store.refund(adjusted.id, Decimal("2.00"), "PriceDifference")
    out, _ = plan(store, customer_id, "shopify", "I see two refunds from you on my card, what are these for?")
    assert out.template == "refund_each_order" and [x["template"] for x in out.extra] == ["refund_what_for"] * 2
    reply = text_of(out)
    assert f"The $3.10 refund is from your order {late.id}" in reply and "it's a credit because your order arrived " \
        "late" in reply
    assert f"The $2.00 refund is from your order {adjusted.id}" in reply and "it's a price adjustment" in reply
    spanish = text_of(out, "es")
    assert "es un crédito porque su pedido llegó tarde" in spanish and "es un ajuste de precio en su pedido" in spanish


def test_a_return_we_do_not_see_on_the_order_named_goes_to_a_person(store: SandboxStore) -> None:
    customer_id, (order,) = _delivered_only(store, "amazon", 1)
    out, _ = plan(store, customer_id, "amazon", f"I returned the {product_words(order)} last week, where is my refund?")
    assert out.template == "refund_none" and out.order_id == order.id
    assert "says they sent something back" in (out.review_reason or "")


def test_no_refund_in_the_time_the_message_names(store: SandboxStore) -> None:
    """A return on record, but not in the month the customer says they sent something back."""
    for customer in store.list_records("customers"):
        orders = _channel_orders(store, customer.id, "amazon")
        returns = [r for o in orders for r in store.order_returns(o.id)]
        if len(returns) == 1 and not any(o.status == "cancelled" for o in orders) and \
                all(store.order_refunds(o.id) == [] or store.order_returns(o.id) for o in orders):
            month = 11 if returns[0].requested_at.month != 11 and (returns[0].received_at is None
                                                                   or returns[0].received_at.month != 11) else 9
            break
    else:
        raise LookupError("no customer with one return")
    name = datetime(2026, month, 1).strftime("%B")
    out, _ = plan(store, customer.id, "amazon", f"I sent my stuff back in {name}, where is my refund?")
    assert out.template == "refund_no_record" and "your orders from the time you mentioned" in text_of(out)
    assert out.review_reason


def test_the_only_order_with_a_refund_is_the_one_answered(store: SandboxStore) -> None:
    for customer in store.list_records("customers"):
        orders = _channel_orders(store, customer.id, "shopify")
        settled = [o for o in orders if _settled(store, o)]
        if len(orders) >= 3 and len(settled) == 1 and store.order_refunds(settled[0].id):
            break
    else:
        raise LookupError("no customer with one refund among several orders")
    out, _ = plan(store, customer.id, "shopify", "wheres my refund??")
    assert out.order_id == settled[0].id and out.template != "which_order"


def test_both_products_named_are_each_answered(store: SandboxStore) -> None:
    first, second = two_returns(store)
    text = (f"Could you please confirm I was refunded for both the {product_words(first)} and the "
            f"{product_words(second)} that I sent back?")
    out, calls = plan(store, first.customer_id, first.platform, text)
    assert out.template == "refund_each_order" and out.order_id is None
    looked_up = [args["order_id"] for name, args in calls if name == "get_refund_status"]
    assert sorted(looked_up) == sorted([first.id, second.id])
    reply = text_of(out)
    for order in (first, second):
        refund = store.order_refunds(order.id)[-1]
        assert f"We issued a refund of ${refund.amount} for order {order.id}" in reply
        assert order.id in reply.split("\n\n")[1]  # the opening line names both, by product
    assert "Which order" not in reply
    assert "Así está cada uno de estos pedidos" in text_of(out, "es")


def test_several_order_numbers_are_each_answered(store: SandboxStore) -> None:
    first, second = two_returns(store)
    out, calls = plan(store, first.customer_id, first.platform, f"refund status for {first.id} and {second.id}?",
                      order_ids=(first.id, second.id))
    assert out.template == "refund_each_order" and len(out.extra) == 2
    assert [args["order_id"] for name, args in calls if name == "get_refund_status"] == [first.id, second.id]


def test_both_refunds_without_products_answers_the_orders_that_have_them(store: SandboxStore) -> None:
    for customer in store.list_records("customers"):
        orders = _channel_orders(store, customer.id, "amazon")
        settled = [o for o in orders if _settled(store, o)]
        if len(settled) == 2 and len(orders) > 2:
            break
    else:
        raise LookupError("no customer with exactly two settled orders")
    out, _ = plan(store, customer.id, "amazon", "were both of my refunds processed?")
    assert out.template == "refund_each_order"
    assert {x["slots"].get("order_id") for x in out.extra} >= {o.id for o in settled} - {None}
    asked, _ = plan(store, customer.id, "amazon", "where is my refund?")  # one refund meant, two possible: ask
    assert asked.template == "which_order"
    assert all(o.id in asked.slots["order_list"] for o in settled)
    assert not any(o.id in asked.slots["order_list"] for o in orders if o not in settled)


# ------------------------------------------------------------------ the whole reply, through the graph

def test_the_reply_to_an_unrecognised_refund_answers_it_and_goes_out(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order, refund = late_credit(store)
    trace = say(order.customer_id, order.platform, f"got a ${refund.amount} refund on my card from you guys?? "
                                                   "what is that for")
    assert trace.intent == "refund_status"
    assert "it's a credit because your order arrived late" in trace.draft
    assert trace.compliance["ok"], (trace.compliance, trace.draft)
    assert trace.route == "auto_send", trace.reasons


def test_the_spanish_reply_to_an_unrecognised_refund(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order, refund = late_credit(store)
    trace = say(order.customer_id, order.platform, f"Hola, me llegó un reembolso de {refund.amount} dólares y no "
                                                   "sé de qué es. ¿Me pueden explicar?")
    assert trace.language == "es" and trace.intent == "refund_status"
    assert "es un crédito porque su pedido llegó tarde" in trace.draft, trace.draft
    assert trace.draft.startswith("Hola") and trace.compliance["ok"]


@pytest.mark.parametrize(("text", "expected"), [
    ("wheres my refund?? been waiting foreverrr", "I don't see a refund or a return on any of your recent orders"),
    ("¿dónde está mi reembolso? llevo semanas esperando", "no veo ningún reembolso ni devolución"),
])
def test_the_reply_when_there_is_no_refund_anywhere_goes_to_a_person(say, store: SandboxStore, text: str,  # type: ignore[no-untyped-def]
                                                                     expected: str) -> None:
    customer_id = nothing_settled(store, "shopify")
    trace = say(customer_id, "shopify", text)
    assert trace.intent == "refund_status" and expected in trace.draft, trace.draft
    assert trace.route == "review" and any("no refund or return is on record" in r for r in trace.reasons)
    assert trace.compliance["ok"], (trace.compliance, trace.draft)


def test_the_reply_about_two_returned_orders_answers_both(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    first, second = two_returns(store)
    trace = say(first.customer_id, first.platform, f"Could you please confirm I was refunded for both the "
                                                   f"{product_words(first)} and the {product_words(second)} that I "
                                                   "sent back?")
    assert trace.intent == "refund_status"
    for order in (first, second):
        assert f"for order {order.id}" in trace.draft
    assert "Which order" not in trace.draft and trace.compliance["ok"], (trace.compliance, trace.draft)


def test_a_received_return_says_the_rule_its_refund_due_day_comes_from(store: SandboxStore) -> None:
    """"When will I see the money?" for a return we received and have not refunded: the due day is said with the
    policy's days after receipt it comes from (KB refund-timelines), in English and Spanish."""
    received = [store.get_order(r.order_id) for r in store.list_records("returns")
                if r.received_at and not store.order_refunds(r.order_id)]
    answers = ((o, plan(store, o.customer_id, o.platform, f"I sent back {o.id}, when will I see the money?",
                        order_ids=(o.id,))[0]) for o in received)
    found = next(((o, out) for o, out in answers if out.template == "refund_pending_return"), None)
    assert found is not None, "the demo store has a received return whose refund is not yet due"
    order, out = found
    policy = POLICIES[order.platform]  # type: ignore[index]
    days, kind = policy.refunds.days_after_receipt, policy.refunds.day_kind
    assert (f"We refund within {days} {kind} days of receiving it, so the refund is due by "
            in text_of(out))
    assert f"Hacemos el reembolso dentro de los {days} días" in text_of(out, "es")
