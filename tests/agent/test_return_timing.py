"""Return questions asked about a time still to come ("can she send it back in January?"), and the order a
return is about when only one of the customer's orders is still inside its window (issue 11).

The time reader (agent/return_timing.py) and the resolver (agent/order_resolver.py) as pure functions; the
return plan through the real tools on hand-built orders (tests/agent/test_order_actions.py's desk).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from agent import templates_es
from agent.order_resolver import Candidate, resolve
from agent.return_timing import AskedTime, asked_return_time, asks_about_extension, timing_lead, verdict
from tests.agent.test_order_actions import GRILL, TODAY, Backend, Desk, delivered_parcel, make_order, reply

NOV_26 = date(2026, 11, 26)


@pytest.mark.parametrize(("text", "start", "end"), [
    ("If she doesn't like the color can she send it back in January?", date(2027, 1, 1), date(2027, 1, 31)),
    ("it's a xmas present. if he doesnt like it can it be returned after christmas?", date(2026, 12, 26),
     date(2026, 12, 26)),
    ("Can he return it after the holidays?", date(2026, 12, 26), date(2026, 12, 26)),
    ("can I return it before christmas?", NOV_26, date(2026, 12, 25)),
    ("can I still return it by Jan 15th?", NOV_26, date(2027, 1, 15)),
    ("can i send it back on the 3rd of january", date(2027, 1, 3), date(2027, 1, 3)),
    ("can I return it next month", date(2026, 12, 1), date(2026, 12, 31)),
    ("¿puedo devolverlo después de navidad?", date(2026, 12, 26), date(2026, 12, 26)),
    # "too late by then" leans on the time of the sentence before
    ("My nephew gets it at Christmas. If he doesn't like it, is it too late to return it by then?",
     date(2026, 12, 25), date(2026, 12, 25)),
])
def test_the_future_time_a_return_is_asked_at(text: str, start: date, end: date) -> None:
    asked = asked_return_time(text, NOV_26)
    assert asked is not None and (asked.start, asked.end) == (start, end), asked


@pytest.mark.parametrize("text", [
    "I bought it in January, can I return it?",         # a past purchase, not the return's time
    "It's for Christmas, can I return it?",              # the gift's occasion, not when it goes back
    "Do I get extra time since it's a Christmas gift?",  # no time asked: the holiday line answers it
    "Where is my order? I need it by Christmas.",        # no return asked
])
def test_no_future_return_time(text: str) -> None:
    assert asked_return_time(text, NOV_26) is None


def test_the_verdict_compares_the_asked_time_with_the_last_day() -> None:
    january = AskedTime(date(2027, 1, 1), date(2027, 1, 31), "in January")
    assert verdict(january, date(2027, 1, 31)) == "yes"
    assert verdict(january, date(2026, 12, 6)) == "no"
    assert verdict(january, date(2027, 1, 10)) == "partly"
    assert timing_lead(january, date(2026, 12, 6), "Sunday, December 6") == "No, that's after the return window ends. "
    assert timing_lead(january, date(2027, 1, 10), "Sunday, January 10") == \
        "Yes, if you start the return by Sunday, January 10. "
    assert timing_lead(None, date(2027, 1, 10), "x") == "" and timing_lead(january, None, "") == ""


# ---------------------------------------------------------------- which order a return is about

def _delivered(oid: str, placed_days_ago: int, window_ends: date | None, *items: str) -> Candidate:
    return Candidate(oid, "amazon", "delivered", TODAY - timedelta(days=placed_days_ago), Decimal("40.00"), items,
                     delivered_at=TODAY - timedelta(days=placed_days_ago - 4), return_window_ends=window_ends)


def test_a_return_is_about_the_one_order_still_inside_its_window() -> None:
    """The same plates bought in August and in November: "how do I send these back?" cannot mean the order whose
    window closed months ago any more than an unshipped one; it is not a guess between the two."""
    old = _delivered("OLD", 110, TODAY - timedelta(days=70), "Northfork Enamelware Camp Plates, Set of 4")
    new = _delivered("NEW", 30, TODAY + timedelta(days=50), "Northfork Enamelware Camp Plates, Set of 4")
    found = resolve("my wife already bought the same enamel plates. how do i send these back?", "return_request",
                    [old, new], today=TODAY, platform="amazon")
    assert found.order_id == "NEW" and "return window" in found.reason


def test_two_orders_inside_their_windows_are_still_asked_about() -> None:
    a = _delivered("A", 20, TODAY + timedelta(days=12), "Northfork Enamelware Camp Plates, Set of 4")
    b = _delivered("B", 10, TODAY + timedelta(days=22), "Northfork Enamelware Camp Plates, Set of 4")
    found = resolve("how do i send the plates back?", "return_request", [a, b], today=TODAY, platform="amazon")
    assert found.order_id is None and found.for_action


def test_a_date_the_customer_gives_still_names_the_closed_order() -> None:
    old = _delivered("OLD", 110, TODAY - timedelta(days=70), "Northfork Enamelware Camp Plates, Set of 4")
    new = _delivered("NEW", 30, TODAY + timedelta(days=50), "Northfork Enamelware Camp Plates, Set of 4")
    text = f"can I still return the plates I ordered on {(TODAY - timedelta(days=110)).strftime('%B %d')}?"
    assert resolve(text, "return_request", [old, new], today=TODAY, platform="amazon").order_id == "OLD"


# ---------------------------------------------------------------- the reply

def _desk(platform: str, placed_days_ago: int, status: str = "delivered") -> Desk:
    parcels = [delivered_parcel("Austin, TX", delivered_days_ago=placed_days_ago - 3)] if status == "delivered" else []
    return Desk(Backend([make_order("111-7568280-8233146" if platform == "amazon" else "14-33762-46405", platform,
                                    status, GRILL, placed_days_ago=placed_days_ago, shipments=parcels)]), platform)


def test_a_time_past_the_window_is_answered_no_before_the_last_day() -> None:
    """Bought in October on eBay (no holiday extension): "can it be returned after Christmas?" is a no."""
    out = _desk("ebay", placed_days_ago=20).say(
        "it's a xmas present for my nephew. if he doesnt like it can the grill be returned after christmas?",
        "return_request")
    text = reply(out)
    assert text.split("\n\n")[1].startswith("No, that's after the return window ends. Your ")
    assert "No holiday extension applies to this order." in text


def test_a_time_inside_the_window_is_answered_yes_and_one_it_ends_in_with_the_day() -> None:
    """Delivered three days ago (window to January 3): after Christmas is inside it, "next month" only its start."""
    out = _desk("ebay", placed_days_ago=5).say("can I return the grill after Christmas if my dad doesn't want it?",
                                               "return_request")
    assert reply(out).split("\n\n")[1].startswith("Yes, there's still time then. Your ")
    out = _desk("ebay", placed_days_ago=5).say("can I return the grill next month if my dad doesn't want it?",
                                               "return_request")
    assert reply(out).split("\n\n")[1].startswith("Yes, if you start the return by Sunday, January 3. Your ")


def test_no_time_asked_no_lead() -> None:
    out = _desk("ebay", placed_days_ago=5).say("how do I return the grill?", "return_request")
    assert out.slots["timing_lead"] == "" and out.slots["holiday_line"] == ""


def test_an_undelivered_holiday_order_says_the_extension_day() -> None:
    """Bought in the holiday period on Amazon, not yet delivered: the window is not just 30 days after delivery."""
    desk = Desk(Backend([make_order("111-7568280-8233146", "amazon", "shipped", GRILL, placed_days_ago=2)]), "amazon")
    out = desk.say("the grill is a gift, can my dad return it after Christmas?", "return_request")
    assert out.template == "return_not_delivered"
    assert "(or until Sunday, January 31, under our holiday return extension, if that is later)" in reply(out)


def test_the_new_slots_have_spanish_forms() -> None:
    for key in ("return_offer", "return_in_marketplace"):
        assert {"timing_lead", "holiday_line"} <= templates_es.slot_names(templates_es.TEMPLATES[key])
    for lead in ("Yes, there's still time then. ", "No, that's after the return window ends. ",
                 "Yes, if you start the return by Sunday, January 10. "):
        assert templates_es.SLOTS["timing_lead"](lead).startswith(("Sí", "No"))
    assert templates_es.SLOTS["holiday_line"]("No holiday extension applies to this order. ")
    note = "30 days after it's delivered (or until Sunday, January 31, under our holiday return extension, if that is later)"
    assert "31 de enero" in templates_es.SLOTS["window_note"](note)


@pytest.mark.parametrize("text", ["can I return it after Christmas?", "es un regalo, ¿se puede devolver?",
                                  "is there a holiday extension?", "can I get more time to send it back",
                                  "is it ok to return it after New Year's?", "necesito más tiempo"])
def test_a_holiday_gift_or_extra_time_asks_about_the_extension(text: str) -> None:
    assert asks_about_extension(text)


@pytest.mark.parametrize("text", ["can I return the kettle?", "the lid is cracked, I want to send it back"])
def test_a_plain_return_question_does_not(text: str) -> None:
    assert not asks_about_extension(text)


# ---------------------------------------------------------------- a return policy asked of one's own purchase

def test_a_return_policy_question_about_a_bought_product_is_answered_from_its_order() -> None:
    """"How long do I have to return the grill?" read as a policy question: the customer's own order holds the
    answer (its last return day). The general articles gave the rule at best, and a search on the product's
    name found its product page instead."""
    grill = make_order("111-7568280-8233146", "amazon", "delivered", GRILL, placed_days_ago=9,
                       shipments=[delivered_parcel("Austin, TX", delivered_days_ago=5)])
    desk = Desk(Backend([grill]), "amazon")
    out = desk.say("how long do I have to return the tailgate grill if I decide I don't like it?", "policy_question")
    assert out.template == "return_in_marketplace" and out.order_id == grill.id  # Amazon: started on Amazon
    assert "can be returned until" in reply(out)


def test_a_general_return_policy_question_stays_a_policy_answer() -> None:
    """Without a product of an order (or an order number) the question is the general rule: the articles answer."""
    grill = make_order("111-7568280-8233146", "amazon", "delivered", GRILL, placed_days_ago=9,
                       shipments=[delivered_parcel("Austin, TX", delivered_days_ago=5)])
    desk = Desk(Backend([grill]), "amazon")
    out = desk.say("what's your return policy on kettles?", "policy_question")
    assert out.template != "return_offer" and not any(c.name == "check_return_eligibility" for c in desk.calls)


def test_a_fee_question_about_a_bought_product_stays_with_the_policy_articles() -> None:
    """"If one shows up cracked, will I pay a restocking fee?" asks the policy's terms, not the order's last
    return day: the return plan would answer a question nobody asked."""
    grill = make_order("111-7568280-8233146", "amazon", "shipped", GRILL, placed_days_ago=2)
    desk = Desk(Backend([grill]), "amazon")
    out = desk.say("my grill is on the way. if it shows up cracked, will I have to pay a restocking fee to send it "
                   "back?", "policy_question")
    assert not any(c.name == "check_return_eligibility" for c in desk.calls) and out.template != "return_not_delivered"
