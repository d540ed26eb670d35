"""The order resolver (agent/order_resolver.py) as a pure function over hand-built orders."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from agent.order_resolver import Candidate, amounts, date_window, resolve, sizes, state_cues, time_cues

TODAY = date(2026, 11, 26)  # a Thursday


def order(oid: str, status: str, placed: date, total: str, *items: str, platform: str = "amazon",
          has_return: bool = False) -> Candidate:
    return Candidate(oid, platform, status, placed, Decimal(total), items, has_return=has_return)


SKILLET = order("A", "delivered", date(2026, 11, 2), "53.24", "Northfork Pre-Seasoned Cast Iron Skillet, 10 in - 10 in")
COOLER = order("B", "in_transit", date(2026, 11, 21), "289.99", "Northfork Basecamp 45 Qt Rolling Cooler - Juniper")
WRAPS = order("C", "unshipped", date(2026, 11, 25), "19.99", "Northfork Beeswax Food Wraps - Starter 3-Pack")
RETURNED = order("D", "delivered", date(2026, 10, 1), "34.99", "Northfork Trailbeam Rechargeable Headlamp - Black",
                 has_return=True)
WALMART = order("W", "delivered", date(2026, 11, 20), "24.99", "Northfork Beacon Rechargeable LED Lantern - Black",
                platform="walmart")
ORDERS = [SKILLET, COOLER, WRAPS, RETURNED, WALMART]


@pytest.mark.parametrize(("text", "intent", "expected"), [
    ("my frying pan came with a crack in it", "damaged_or_wrong_item", "A"),     # everyday word for the product
    ("the green cooler still isn't here", "order_status", "B"),                   # colour word for the variant
    ("please cancel before it ships", "cancel_order", "C"),                        # state: not shipped yet
    ("I sent it back weeks ago, where is my money", "refund_status", "D"),         # state: returned
    ("I paid $289.99 and have nothing", "order_status", "B"),                     # amount
    ("ordered last weekend, when does it come?", "order_status", "B"),            # time
    ("¿dónde está mi hielera?", "order_status", "B"),                             # Spanish product word
    ("can I still return the skillet?", "return_request", "A"),
])
def test_a_cue_in_the_message_names_the_order(text: str, intent: str, expected: str) -> None:
    found = resolve(text, intent, ORDERS, today=TODAY, platform="amazon")
    assert found.order_id == expected, found


def test_without_a_cue_the_request_decides_when_only_one_order_fits() -> None:
    found = resolve("I need to change where it goes", "change_address", ORDERS, today=TODAY, platform="amazon")
    assert found.order_id == "C" and "change_address" in found.reason


def test_two_plausible_orders_are_asked_about_and_only_those() -> None:
    found = resolve("where is my stuff??", "order_status", ORDERS, today=TODAY, platform="amazon")
    assert found.order_id is None and {c.order_id for c in found.candidates} == {"B", "C"}


def test_the_same_product_in_two_orders_is_a_question_not_a_guess() -> None:
    again = order("E", "delivered", date(2026, 9, 2), "53.24", "Northfork Pre-Seasoned Cast Iron Skillet, 10 in - 10 in")
    found = resolve("the skillet has a crack", "damaged_or_wrong_item", [SKILLET, again, COOLER], today=TODAY,
                    platform="amazon")
    assert found.order_id is None and [c.order_id for c in found.candidates] == ["A", "E"]


def test_only_orders_of_the_channel_count_and_the_store_family_is_one_channel() -> None:
    assert resolve("where is it", "order_status", ORDERS, today=TODAY, platform="walmart").order_id == "W"
    shop = order("S", "in_transit", date(2026, 11, 20), "10.00", "Northfork Charcoal Chimney Starter",
                 platform="shopify")
    assert resolve("where is it", "order_status", [shop, *ORDERS], today=TODAY, platform="instagram").order_id == "S"
    assert resolve("where is it", "order_status", ORDERS, today=TODAY, platform="ebay").candidates == []


def test_state_cues_prefer_the_most_specific() -> None:
    assert [n for n, _ in state_cues("tracking says delivered but it's not here")] == ["delivered, not received"]
    assert [n for n, _ in state_cues("I mailed it back last week")] == ["sent back"]
    assert state_cues("thanks!") == []


def test_dates_and_amounts_are_read_as_customers_write_them() -> None:
    assert date_window("ordered last weekend", TODAY) == (date(2026, 11, 20), date(2026, 11, 22))
    assert date_window("bought it on Monday", TODAY) == (date(2026, 11, 23), date(2026, 11, 23))
    assert date_window("back in October", TODAY) == (date(2026, 10, 1), date(2026, 10, 31))
    assert date_window("about 2 weeks ago", TODAY) == (date(2026, 11, 8), date(2026, 11, 16))
    assert date_window("placed Nov 14th", TODAY) == (date(2026, 11, 13), date(2026, 11, 15))
    assert date_window("where is it", TODAY) is None
    assert amounts("I paid $1,289.50, not 40 dollars") == [Decimal("1289.50"), Decimal("40")]


def test_a_return_the_customer_only_plans_is_not_a_return_made() -> None:
    """"if it's too small, how long do I have to send it back" is about the future: the order is still coming."""
    assert state_cues("if it is too small how long do I have to send it back?") == []
    found = resolve("where is my cooler? if it's too small how long do I have to send it back?", "order_status",
                    ORDERS, today=TODAY, platform="amazon")
    assert found.order_id == "B"


# ---------------------------------------------------------------- issue 11, class by class

def line(oid: str, status: str, placed: date, *items: str, total: str = "50.00", delivered: date | None = None,
         **more: object) -> Candidate:
    """An order with only what a case needs; the rest as `list_customer_orders` would give it."""
    platform = str(more.pop("platform", "amazon"))
    return Candidate(oid, platform, status, placed, Decimal(total), items, delivered_at=delivered,
                     **more)  # type: ignore[arg-type]


GRILL = "Northfork Tailgate Portable Charcoal Grill, 14 in - Black"
LANTERN = "Northfork Beacon Rechargeable LED Lantern - Juniper"


def grills(*placed: tuple[str, date]) -> list[Candidate]:
    return [line(oid, "in_transit", day, GRILL) for oid, day in placed]


@pytest.mark.parametrize(("text", "orders", "expected"), [
    # class 1: a bare weekday or a relative time, no "on"/"last" needed
    ("where is the grill I ordered Monday?", grills(("MON", date(2026, 11, 23)), ("TUE", date(2026, 11, 24))), "MON"),
    ("Monday's order hasn't shipped?", grills(("MON", date(2026, 11, 23)), ("TUE", date(2026, 11, 24))), "MON"),
    ("ordered it tuesday, any news", grills(("MON", date(2026, 11, 23)), ("TUE", date(2026, 11, 24))), "TUE"),
    ("I bought it the other day, where is it", grills(("NEW", date(2026, 11, 21)), ("OLD", date(2026, 11, 10))), "NEW"),
    ("ordered a grill at the end of October", grills(("OCT", date(2026, 10, 27)), ("EARLY", date(2026, 10, 5))),
     "OCT"),
    ("I placed it a couple weeks back", grills(("TWO", date(2026, 11, 12)), ("NEW", date(2026, 11, 24))), "TWO"),
    ("I just ordered the grill, what's the status", grills(("NEW", date(2026, 11, 25)), ("OLD", date(2026, 11, 15))),
     "NEW"),
    ("ordered it last night", grills(("NIGHT", date(2026, 11, 25)), ("WEEK", date(2026, 11, 19))), "NIGHT"),
    # Spanish equivalents
    ("¿dónde está la parrilla que pedí el lunes?", grills(("MON", date(2026, 11, 23)), ("TUE", date(2026, 11, 24))),
     "MON"),
    ("la compré ayer", grills(("AYER", date(2026, 11, 25)), ("OLD", date(2026, 11, 19))), "AYER"),
    ("la pedí a finales de octubre", grills(("OCT", date(2026, 10, 27)), ("EARLY", date(2026, 10, 5))), "OCT"),
])
def test_a_bare_or_relative_time_names_the_order(text: str, orders: list[Candidate], expected: str) -> None:
    found = resolve(text, "order_status", orders, today=TODAY, platform="amazon")
    assert found.order_id == expected, found


def test_a_time_the_future_or_a_promise_gives_is_not_when_it_was_ordered() -> None:
    """"it should arrive Friday" and "supposed to be here Monday" say nothing about which order it is."""
    orders = grills(("MON", date(2026, 11, 23)), ("FRI", date(2026, 11, 20)))
    for text in ("the grill should arrive Friday right?", "it was supposed to be here Monday", "need it by Friday"):
        found = resolve(text, "order_status", orders, today=TODAY, platform="amazon")
        assert found.order_id is None and len(found.candidates) == 2, (text, found)
    assert date_window("it said arriving thursday and its saturday", TODAY) is None


def test_bare_and_spanish_times_read_as_windows() -> None:
    assert date_window("the grill I ordered Monday", TODAY) == (date(2026, 11, 23), date(2026, 11, 23))
    assert date_window("Monday's order", TODAY) == (date(2026, 11, 23), date(2026, 11, 23))
    assert date_window("ordered it at the end of October", TODAY) == (date(2026, 10, 20), date(2026, 10, 31))
    assert date_window("ordered a couple weeks back", TODAY) == (date(2026, 11, 8), date(2026, 11, 16))
    assert date_window("lo pedí el lunes", TODAY) == (date(2026, 11, 23), date(2026, 11, 23))
    assert date_window("me llegó ayer", TODAY) == (date(2026, 11, 25), date(2026, 11, 25))
    assert date_window("a finales de octubre", TODAY) == (date(2026, 10, 20), date(2026, 10, 31))
    assert date_window("hace dos semanas", TODAY) == (date(2026, 11, 8), date(2026, 11, 16))


# class 2: the verb says which date the time is about
PLACED_OCT = line("PLACED_OCT", "delivered", date(2026, 10, 28), LANTERN, delivered=date(2026, 11, 4))
CAME_OCT = line("CAME_OCT", "delivered", date(2026, 9, 26), LANTERN, delivered=date(2026, 10, 3))


@pytest.mark.parametrize(("text", "orders", "expected"), [
    ("I got it in October and it stopped working", [PLACED_OCT, CAME_OCT], "CAME_OCT"),
    ("I ordered it in October and it stopped working", [PLACED_OCT, CAME_OCT], "PLACED_OCT"),
    ("it came yesterday and it's cracked", [
        line("SAME_DAY", "delivered", date(2026, 11, 25), LANTERN, delivered=date(2026, 11, 26)),
        line("CAME", "delivered", date(2026, 11, 18), LANTERN, delivered=date(2026, 11, 25))], "CAME"),
    ("it arrived last week broken", [
        line("LAST_WEEK", "delivered", date(2026, 11, 10), LANTERN, delivered=date(2026, 11, 18)),
        line("PLACED_LAST_WEEK", "delivered", date(2026, 11, 17), LANTERN, delivered=date(2026, 11, 24))],
     "LAST_WEEK"),
    ("me llegó ayer roto", [
        line("SAME_DAY", "delivered", date(2026, 11, 25), LANTERN, delivered=date(2026, 11, 26)),
        line("CAME", "delivered", date(2026, 11, 18), LANTERN, delivered=date(2026, 11, 25))], "CAME"),
])
def test_the_verb_says_which_date_a_time_is_about(text: str, orders: list[Candidate], expected: str) -> None:
    found = resolve(text, "damaged_or_wrong_item", orders, today=TODAY, platform="amazon")
    assert found.order_id == expected, found


def test_delivered_saturday_but_not_here_is_the_delivery_date() -> None:
    orders = [line("SAT", "delivered", date(2026, 11, 17), LANTERN, delivered=date(2026, 11, 21)),
              line("PLACED_SAT", "delivered", date(2026, 11, 21), LANTERN, delivered=date(2026, 11, 24))]
    found = resolve("tracking says delivered Saturday but not here", "order_status", orders, today=TODAY,
                    platform="amazon")
    assert found.order_id == "SAT", found


def test_a_return_delivered_back_is_the_return_date() -> None:
    orders = [line("BACK", "delivered", date(2026, 10, 20), LANTERN, has_return=True,
                   return_requested_at=date(2026, 11, 18), return_received_at=date(2026, 11, 25)),
              line("STILL_OUT", "delivered", date(2026, 10, 22), LANTERN, has_return=True,
                   return_requested_at=date(2026, 11, 20)),
              line("BOUGHT", "delivered", date(2026, 11, 25), LANTERN, delivered=date(2026, 11, 26))]
    found = resolve("the lantern was delivered back to you yesterday, where is my money?", "refund_status", orders,
                    today=TODAY, platform="amazon")
    assert found.order_id == "BACK", found
    assert [c.refers_to for c in time_cues("the lantern was delivered back to you yesterday", TODAY)] == ["returned"]


def test_a_time_without_a_verb_may_be_either_date() -> None:
    """"the lantern from Monday": ordered or delivered Monday, so both orders stay plausible."""
    orders = [line("PLACED_MON", "in_transit", date(2026, 11, 23), LANTERN),
              line("CAME_MON", "delivered", date(2026, 11, 16), LANTERN, delivered=date(2026, 11, 23))]
    found = resolve("the lantern from Monday", "other", orders, today=TODAY, platform="amazon")
    assert found.order_id is None and {c.order_id for c in found.candidates} == {"PLACED_MON", "CAME_MON"}


# class 3: numbers, sizes, variant words and quantities in product words
SKILLET_10 = line("S10", "delivered", date(2026, 11, 2), "Northfork Pre-Seasoned Cast Iron Skillet, 10 in",
                  delivered=date(2026, 11, 6))
SKILLET_12 = line("S12", "delivered", date(2026, 11, 9),
                  "Northfork Pre-Seasoned Cast Iron Skillet, 12 in - Skillet only", delivered=date(2026, 11, 13))
COOLER_45 = line("C45", "delivered", date(2026, 11, 3), "Northfork Basecamp 45 Qt Rolling Cooler - Sand",
                 delivered=date(2026, 11, 8))
COOLER_SOFT = line("C24", "delivered", date(2026, 11, 5), "Northfork Daytrip 24-Can Soft Cooler - Juniper",
                   delivered=date(2026, 11, 9))
TENT_2 = line("T2", "delivered", date(2026, 11, 1), "Northfork Ridgeline 2-Person Backpacking Tent - 2-Person",
              delivered=date(2026, 11, 5))
TENT_4 = line("T4", "delivered", date(2026, 11, 4), "Northfork Basecamp 4-Person Dome Tent - 4-Person",
              delivered=date(2026, 11, 8))
TUMBLER_40 = line("U40", "delivered", date(2026, 11, 6),
                  "Northfork Big Haul Insulated Tumbler with Handle, 40 oz - Sand", delivered=date(2026, 11, 10))
TUMBLER_20 = line("U20", "delivered", date(2026, 11, 7), "Northfork Commuter Insulated Tumbler, 20 oz - Sand",
                  delivered=date(2026, 11, 11))
WRAPS_3 = line("W3", "delivered", date(2026, 11, 6), "Northfork Beeswax Food Wraps - Starter 3-Pack",
               delivered=date(2026, 11, 10))
WRAPS_7 = line("W7", "delivered", date(2026, 11, 7), "Northfork Beeswax Food Wraps - Kitchen 7-Pack",
               delivered=date(2026, 11, 11))
SIZED = [SKILLET_10, SKILLET_12, COOLER_45, COOLER_SOFT, TENT_2, TENT_4, TUMBLER_40, TUMBLER_20, WRAPS_3, WRAPS_7]


@pytest.mark.parametrize(("text", "expected"), [
    ("the 10 inch skillet has a crack", "S10"),
    ("my 12 in skillet is warped", "S12"),
    ('the 10" skillet is cracked', "S10"),
    ("the 10in skillet is cracked", "S10"),
    ("the 12-inch pan is warped", "S12"),
    ("the 45 quart cooler leaks", "C45"),
    ("the 45qt cooler leaks", "C45"),
    ("the 4 person tent has a torn zipper", "T4"),
    ("the four-person tent has a torn zipper", "T4"),
    ("the 40 oz tumbler leaks", "U40"),
    ("the 7-pack of wraps came torn", "W7"),
])
def test_sizes_and_capacities_tell_variants_apart(text: str, expected: str) -> None:
    found = resolve(text, "damaged_or_wrong_item", SIZED, today=TODAY, platform="amazon")
    assert found.order_id == expected, found


def test_the_same_product_without_its_size_is_still_a_question() -> None:
    found = resolve("the skillet has a crack", "damaged_or_wrong_item", SIZED, today=TODAY, platform="amazon")
    assert found.order_id is None and {c.order_id for c in found.candidates} == {"S10", "S12"}


def test_a_size_that_is_not_a_size_is_not_read_as_one() -> None:
    """"2 in the box" and "12 in transit" are counts, not 2- or 12-inch items."""
    assert sizes("there were 2 in the box and 12 in transit") == set()
    assert sizes('a 10" pan, a 45 quart cooler, a four-person tent, 8-pack, Set of 4, 20 x 10.5 in') == {
        "10in", "45qt", "4person", "8pack", "4set", "20in", "10.5in"}


def test_colour_and_variant_words_of_the_title_count() -> None:
    chairs = [line(oid, "delivered", date(2026, 11, d), f"Northfork Trailside Folding Camp Chair - {colour}",
                   delivered=date(2026, 11, d + 4)) for oid, d, colour in
              (("JUNIPER", 2, "Juniper"), ("RUST", 5, "Rust"), ("SLATE", 8, "Slate"))]
    assert resolve("the rust chair broke", "damaged_or_wrong_item", chairs, today=TODAY,
                   platform="amazon").order_id == "RUST"
    assert resolve("the juniper one has a bent leg", "damaged_or_wrong_item", chairs, today=TODAY,
                   platform="amazon").order_id == "JUNIPER"
    assert resolve("the chair broke", "damaged_or_wrong_item", chairs, today=TODAY, platform="amazon").order_id is None


def test_a_quantity_matches_the_line_ordered_that_many_times() -> None:
    griddle = "Northfork Reversible Cast Iron Griddle, 20 x 10.5 in"
    bags = "Northfork Reusable Silicone Food Storage Bags, 6-Pack"
    orders = [line("ONE", "delivered", date(2026, 11, 2), griddle, quantities=(1,), delivered=date(2026, 11, 6)),
              line("TWO", "delivered", date(2026, 11, 3), griddle, quantities=(2,), delivered=date(2026, 11, 7)),
              line("BAGS1", "delivered", date(2026, 11, 4), bags, quantities=(1,), delivered=date(2026, 11, 8)),
              line("BAGS3", "delivered", date(2026, 11, 5), bags, quantities=(3,), delivered=date(2026, 11, 9))]
    assert resolve("both of the two griddles arrived cracked", "damaged_or_wrong_item", orders, today=TODAY,
                   platform="amazon").order_id == "TWO"
    assert resolve("I got 3 bags and they leak", "damaged_or_wrong_item", orders, today=TODAY,
                   platform="amazon").order_id == "BAGS3"
    unknown = [line(c.order_id, c.status, c.placed_at, *c.items, delivered=c.delivered_at) for c in orders]
    assert resolve("the two griddles arrived cracked", "damaged_or_wrong_item", unknown, today=TODAY,
                   platform="amazon").order_id is None  # the tool did not give quantities: no guess


# class 4: what the request can apply to
GRILL_NEW = line("NEW", "unshipped", date(2026, 11, 24), GRILL)
GRILL_AUG = line("AUG", "delivered", date(2026, 8, 14), GRILL, delivered=date(2026, 8, 19))
GRILL_MOVING = line("MOVING", "in_transit", date(2026, 11, 20), GRILL)


@pytest.mark.parametrize(("text", "intent", "orders", "expected"), [
    ("cancel the grill please", "cancel_order", [GRILL_NEW, GRILL_AUG], "NEW"),
    ("please send the grill to my new address", "change_address", [GRILL_MOVING, GRILL_AUG], "MOVING"),
    ("I want to return the grill", "return_request", [GRILL_MOVING, GRILL_AUG], "AUG"),
    ("the grill is dented", "damaged_or_wrong_item", [GRILL_NEW, GRILL_AUG], "AUG"),
    ("where is my refund for the grill", "refund_status",
     [GRILL_MOVING, line("RET", "delivered", date(2026, 11, 1), GRILL, has_return=True, delivered=date(2026, 11, 5))],
     "RET"),
    ("where is my refund for the grill", "refund_status",
     [GRILL_MOVING, line("PAID_BACK", "delivered", date(2026, 11, 1), GRILL, refunded_amounts=(Decimal("10.00"),),
                         delivered=date(2026, 11, 5))], "PAID_BACK"),
])
def test_an_order_the_request_cannot_apply_to_loses_a_tie(text: str, intent: str, orders: list[Candidate],
                                                          expected: str) -> None:
    found = resolve(text, intent, orders, today=TODAY, platform="amazon")
    assert found.order_id == expected, found


def test_the_request_decides_only_a_tie_never_a_clear_cue() -> None:
    """"cancel the grill I ordered in August": the customer named the August order; the plan explains it
    cannot be cancelled rather than the resolver swapping in another grill."""
    found = resolve("cancel the grill I ordered in August", "cancel_order", [GRILL_NEW, GRILL_AUG], today=TODAY,
                    platform="amazon")
    assert found.order_id == "AUG", found


def test_two_orders_the_request_can_apply_to_are_still_a_question() -> None:
    other = line("OTHER", "unshipped", date(2026, 11, 23), GRILL)
    found = resolve("cancel the grill", "cancel_order", [GRILL_NEW, other, GRILL_AUG], today=TODAY, platform="amazon")
    assert found.order_id is None and {c.order_id for c in found.candidates} == {"NEW", "OTHER"}


# class 5: recency for time-sensitive requests
LANTERN_NOW = line("NOW", "in_transit", date(2026, 11, 20), LANTERN)
LANTERN_JULY = line("JULY", "delivered", date(2026, 7, 30), LANTERN, delivered=date(2026, 8, 4))


def test_one_recent_order_beats_months_old_ones_for_a_time_sensitive_request() -> None:
    stuck = line("STUCK", "unshipped", date(2026, 8, 2), LANTERN)  # both undelivered: the state cue ties them
    found = resolve("where is my lantern?", "order_status", [LANTERN_NOW, stuck], today=TODAY, platform="amazon")
    assert found.order_id == "NOW" and "recent" in found.reason, found
    found = resolve("any update on my order?", "order_status", [LANTERN_NOW, stuck], today=TODAY, platform="amazon")
    assert found.order_id == "NOW" and "recent" in found.reason, found  # no cue at all: the same
    assert resolve("where is my lantern?", "order_status", [LANTERN_NOW, LANTERN_JULY], today=TODAY,
                   platform="amazon").order_id == "NOW"
    returned = [line("R_NEW", "delivered", date(2026, 10, 12), LANTERN, has_return=True, delivered=date(2026, 10, 16),
                     return_requested_at=date(2026, 11, 10)),  # ordered six weeks ago, returned two weeks ago
                line("R_OLD", "delivered", date(2026, 7, 2), LANTERN, has_return=True, delivered=date(2026, 7, 6))]
    assert resolve("when do I get my money back for the lantern", "refund_status", returned, today=TODAY,
                   platform="amazon").order_id == "R_NEW"


def test_recency_decides_nothing_between_orders_of_similar_age_or_for_other_requests() -> None:
    month_old = line("MONTH", "in_transit", date(2026, 10, 28), LANTERN)
    found = resolve("where is my lantern?", "order_status", [LANTERN_NOW, month_old], today=TODAY, platform="amazon")
    assert found.order_id is None and len(found.candidates) == 2
    delivered_now = line("NOW_D", "delivered", date(2026, 11, 14), LANTERN, delivered=date(2026, 11, 18))
    found = resolve("the lantern flickers", "damaged_or_wrong_item", [delivered_now, LANTERN_JULY], today=TODAY,
                    platform="amazon")
    assert found.order_id is None and len(found.candidates) == 2


# class 6: amounts also match refunds and item prices
def test_an_amount_matches_a_refund_an_item_price_or_a_line() -> None:
    orders = [line("REFUNDED", "delivered", date(2026, 11, 2), LANTERN, total="31.87", refunded_amounts=(
                   Decimal("5.88"),), item_prices=(Decimal("29.99"),), quantities=(1,), delivered=date(2026, 11, 6)),
              line("PRICED", "delivered", date(2026, 11, 5), GRILL, total="75.12", item_prices=(Decimal("70.53"),),
                   quantities=(1,), delivered=date(2026, 11, 9)),
              line("LINE", "delivered", date(2026, 11, 7), GRILL, total="150.02", item_prices=(Decimal("69.99"),),
                   quantities=(2,), delivered=date(2026, 11, 11))]
    assert resolve("what about the $5.88 refund?", "refund_status", orders, today=TODAY,
                   platform="amazon").order_id == "REFUNDED"
    assert resolve("I paid $70.53 for it", "other", orders, today=TODAY, platform="amazon").order_id == "PRICED"
    assert resolve("I paid 139.98 for the two", "other", orders, today=TODAY, platform="amazon").order_id == "LINE"
    assert resolve("I paid $12.00", "other", orders, today=TODAY, platform="amazon").order_id is None


def test_the_tool_row_carries_refunds_prices_quantities_and_return_dates() -> None:
    row = {"order_id": "A1", "platform": "amazon", "status": "delivered", "placed_at": "2026-11-02T10:00:00+00:00",
           "delivered_at": "2026-11-06T15:00:00+00:00", "total": "31.87", "items": [LANTERN], "has_return": True,
           "item_prices": ["29.99"], "quantities": [1], "refunded_amounts": ["5.88"],
           "shipped_at": "2026-11-03T09:00:00+00:00", "cancelled_at": None,
           "return_requested_at": "2026-11-10T09:00:00+00:00", "return_received_at": "2026-11-18T09:00:00+00:00"}
    c = Candidate.from_tool(row)
    assert c.refunded_amounts == (Decimal("5.88"),) and c.item_prices == (Decimal("29.99"),) and c.quantities == (1,)
    assert (c.shipped_at, c.return_requested_at, c.return_received_at) == (
        date(2026, 11, 3), date(2026, 11, 10), date(2026, 11, 18))
    old = Candidate.from_tool({k: row[k] for k in ("order_id", "platform", "status", "placed_at", "total", "items")})
    assert old.refunded_amounts == () and old.quantities == () and old.return_received_at is None


# class 7: several orders named
LIGHTS = line("LIGHTS", "in_transit", date(2026, 11, 20), "Northfork Glow Solar Path Lights, 8-Pack")
APRON = line("APRON", "delivered", date(2026, 11, 2), "Northfork Waxed Canvas Chef Apron - Olive",
             delivered=date(2026, 11, 6))
KETTLE = line("KETTLE", "in_transit", date(2026, 11, 19),
              "Northfork Precision Electric Gooseneck Kettle, 0.9 L - Matte Black")


def test_two_products_named_in_two_orders_return_both() -> None:
    found = resolve("what's going on with both the path lights and the apron?", "order_status",
                    [LIGHTS, APRON, KETTLE, SKILLET_10], today=TODAY, platform="amazon")
    assert found.order_id is None and found.order_ids == ["LIGHTS", "APRON"]
    assert [c.order_id for c in found.candidates] == ["LIGHTS", "APRON"]
    spanish = resolve("¿y el delantal y las luces solares?", "order_status", [LIGHTS, APRON, KETTLE], today=TODAY,
                      platform="amazon")
    assert set(spanish.order_ids) == {"LIGHTS", "APRON"}


def test_products_set_against_each_other_or_in_one_order_are_not_several_orders() -> None:
    found = resolve("the skillet is great, but the kettle never arrived", "order_status", [SKILLET_10, KETTLE, APRON],
                    today=TODAY, platform="amazon")
    assert found.order_id == "KETTLE" and found.order_ids == []
    both = line("BOTH", "in_transit", date(2026, 11, 20), "Northfork Glow Solar Path Lights, 8-Pack",
                "Northfork Waxed Canvas Chef Apron - Olive")
    found = resolve("where are the path lights and the apron?", "order_status", [both, KETTLE], today=TODAY,
                    platform="amazon")
    assert found.order_id == "BOTH" and found.order_ids == []


def test_products_named_together_beside_the_one_asked_about_are_not_the_request() -> None:
    """"I love the apron and the skillet, but the kettle never came": the question is the kettle."""
    found = resolve("I love the apron and the skillet. But the kettle never arrived", "order_status",
                    [SKILLET_10, KETTLE, APRON], today=TODAY, platform="amazon")
    assert found.order_id == "KETTLE" and found.order_ids == []


# ---------------------------------------------------------------- a time that fits none of them; the ship-to city

def test_a_time_that_fits_no_order_leaves_recency_to_decide() -> None:
    """"Delivered Saturday" when the carrier scanned it on Sunday: the time tells the two sets apart no better
    than silence, so the recent delivery is meant, not the one from August."""
    orders = [line("NEW", "delivered", date(2026, 11, 16), "Northfork Glass Food Storage Container Set, 18-Piece",
                   delivered=date(2026, 11, 22)),
              line("OLD", "delivered", date(2026, 8, 5), "Northfork Glass Food Storage Container Set, 18-Piece",
                   delivered=date(2026, 8, 10))]
    found = resolve("it says my glass containers were delivered saturday but I don't have them", "order_status",
                    orders, today=TODAY, platform="amazon")
    assert found.order_id == "NEW"


def test_the_city_an_order_ships_to_names_it() -> None:
    from dataclasses import replace

    a = replace(line("TPA", "shipped", date(2026, 11, 23), "Northfork Ridgetop Hand Burr Coffee Grinder"),
                ship_to_city="Tampa")
    b = replace(line("ORL", "delivered", date(2026, 11, 14), "Northfork Ridgetop Hand Burr Coffee Grinder"),
                ship_to_city="Orlando")
    for text in ("Quiero cancelar el pedido del molinillo que va para Tampa", "the grinder going to tampa, FL"):
        assert resolve(text, "cancel_order", [a, b], today=TODAY, platform="amazon").order_id == "TPA", text
    assert resolve("cancel the grinder", "cancel_order", [a, b], today=TODAY, platform="amazon").order_id is None
    same = [replace(a, ship_to_city="Tampa"), replace(b, ship_to_city="Tampa")]  # a city both go to tells nothing
    assert "place" not in resolve("the grinder going to Tampa", "order_status", same, today=TODAY,
                                  platform="amazon").cues


# ---------------------------------------------------------------- actions: never on a guessed order (task F)

def test_an_action_is_never_proposed_on_an_order_recency_picked() -> None:
    """A backorder from August and last week's order, both unshipped: recency may answer "where is it", but the
    customer says which one to cancel or send elsewhere."""
    backorder = line("BACK", "unshipped", date(2026, 8, 20), LANTERN)
    fresh = line("FRESH", "unshipped", date(2026, 11, 22), GRILL)
    for intent in ("cancel_order", "change_address"):
        found = resolve("please cancel my order", intent, [backorder, fresh], today=TODAY, platform="amazon")
        assert found.order_id is None and found.for_action and {c.order_id for c in found.candidates} == {
            "BACK", "FRESH"}, (intent, found)
    assert resolve("any update on my order?", "order_status", [backorder, fresh], today=TODAY,
                   platform="amazon").order_id == "FRESH"


def test_the_one_order_an_action_can_be_taken_on_is_not_a_guess() -> None:
    """Two grills equally named, one unshipped: the address change can only be made on that one."""
    found = resolve("wrong address on the grill", "change_address", [GRILL_MOVING, GRILL_NEW], today=TODAY,
                    platform="amazon")
    assert found.order_id == "NEW" and not found.for_action, found
    ask = resolve("I want to return the grill", "return_request",
                  [GRILL_AUG, line("SEPT", "delivered", date(2026, 9, 2), GRILL, delivered=date(2026, 9, 6))],
                  today=TODAY, platform="amazon")
    assert ask.order_id is None and ask.for_action and "ambiguous for an action" in ask.reason


# ---------------------------------------------------------------- "my last order": the customer's own pointer (I1)

WOOL = "Northfork High Desert Wool Blanket - Juniper Ridge"
WOOL_SEPT = line("SEPT", "delivered", date(2026, 9, 10), WOOL, delivered=date(2026, 9, 14))
WOOL_OCT = line("OCT", "delivered", date(2026, 10, 12), WOOL, "Northfork Charcoal Chimney Starter",
                delivered=date(2026, 10, 16))
WOOL_NOV = line("NOV", "delivered", date(2026, 11, 10), WOOL, delivered=date(2026, 11, 14))
BASKET_NEW = line("BASKET", "unshipped", date(2026, 11, 24), "Northfork Stainless Steel Grill Basket")
RECENT_POOL = [WOOL_SEPT, WOOL_OCT, WOOL_NOV, BASKET_NEW]


@pytest.mark.parametrize("text", [
    "I'd like to return the wool blanket from my last order",
    "can I return the blanket in my most recent order?",
    "the wool blanket from the last order I placed has a hole",
    "quiero devolver la manta de lana de mi último pedido",
    "Quiero devolver la manta de mi ultimo pedido",  # typed without the accent
    "la manta de mi pedido más reciente",
])
def test_my_last_order_picks_the_newest_of_the_orders_the_product_leaves(text: str) -> None:
    """Three orders carry the wool blanket: "my last order" is the newest of those (not the newer basket order)."""
    found = resolve(text, "return_request", RECENT_POOL, today=TODAY, platform="amazon")
    assert found.order_id == "NOV" and "recency" in found.cues and not found.for_action, found


@pytest.mark.parametrize(("text", "intent"), [
    ("please cancel my last order", "cancel_order"),
    ("cancel the order I just placed", "cancel_order"),
    ("quiero cancelar el pedido que acabo de hacer", "cancel_order"),
    ("cancela mi último pedido por favor", "cancel_order"),
])
def test_my_last_order_alone_names_the_newest_order_even_for_an_action(text: str, intent: str) -> None:
    """Recency never picks an action's order on its own guess; "my last order" is the customer's word for it."""
    found = resolve(text, intent, RECENT_POOL, today=TODAY, platform="amazon")
    assert found.order_id == "BASKET" and not found.for_action, found


@pytest.mark.parametrize("text", [
    "I'd like to return the wool blanket I got last month",  # a time, read as one
    "return the wool blanket, the last one you sent was torn",  # something of ours, not their order
    "this blanket is worse than my last order",  # another order set against it
    "I want to return the wool blanket",
])
def test_last_that_is_no_pointer_to_the_newest_order_is_not_read_as_one(text: str) -> None:
    found = resolve(text, "return_request", RECENT_POOL, today=TODAY, platform="amazon")
    assert "recency" not in found.cues, found
    assert found.order_id != "NOV" or "date" in found.cues, found


def test_orders_placed_the_same_day_stay_a_question_after_my_last_order() -> None:
    twin = line("TWIN", "delivered", date(2026, 11, 10), WOOL, delivered=date(2026, 11, 14))
    found = resolve("return the wool blanket from my last order", "return_request", [*RECENT_POOL, twin],
                    today=TODAY, platform="amazon")
    assert found.order_id is None and {c.order_id for c in found.candidates} == {"NOV", "TWIN"}


# ---------------------------------------------------------------- Spanish product words (I1)

CHAIR_ORDER = line("CHAIR", "delivered", date(2026, 11, 2), "Northfork Cedar Adirondack Chair - Natural Cedar",
                   delivered=date(2026, 11, 6))
TABLE_ORDER = line("TABLE", "delivered", date(2026, 11, 12), "Northfork Cedar Patio Dining Table, 60 in",
                   "Northfork Daytrip 24-Can Soft Cooler - Juniper", delivered=date(2026, 11, 16))
CAMP_CHAIR = line("CAMP", "delivered", date(2026, 11, 8), "Northfork Trailside Folding Camp Chair - Slate",
                  delivered=date(2026, 11, 12))
SIDE_TABLE = line("SIDE", "delivered", date(2026, 11, 9), "Northfork Cedar Adirondack Side Table - Weathered Gray",
                  delivered=date(2026, 11, 13))
ROLLING = line("ROLL", "delivered", date(2026, 10, 20), "Northfork Basecamp 45 Qt Rolling Cooler - Sand",
               delivered=date(2026, 10, 25))
SKILLET_ORDER = line("PAN", "delivered", date(2026, 11, 3), "Northfork Pre-Seasoned Cast Iron Skillet, 10 in - 10 in",
                     delivered=date(2026, 11, 7))
LAMP = line("LAMP", "delivered", date(2026, 11, 4), LANTERN, delivered=date(2026, 11, 8))


@pytest.mark.parametrize(("text", "pool", "expected"), [
    ("Quiero devolver la silla Adirondack", [CHAIR_ORDER, TABLE_ORDER], "CHAIR"),  # a name, whatever the language
    ("¿Puedo devolver la Adirondack?", [CHAIR_ORDER, TABLE_ORDER], "CHAIR"),
    ("quiero devolver la silla plegable", [CHAIR_ORDER, CAMP_CHAIR], "CAMP"),  # "plegable": folding
    ("quiero devolver la mesa de comedor", [SIDE_TABLE, TABLE_ORDER], "TABLE"),  # "comedor": dining
    ("la mesa auxiliar llegó rayada", [SIDE_TABLE, TABLE_ORDER], "SIDE"),
    ("quiero devolver la hielera con ruedas", [TABLE_ORDER, ROLLING], "ROLL"),  # "con ruedas": rolling
    ("quiero devolver la hielera blanda", [TABLE_ORDER, ROLLING], "TABLE"),
    ("la sartén de hierro fundido llegó rota", [SKILLET_ORDER, LAMP], "PAN"),  # accented words stay whole
    ("la lámpara no enciende", [SKILLET_ORDER, LAMP], "LAMP"),
    ("la lampara no enciende", [SKILLET_ORDER, LAMP], "LAMP"),
])
def test_spanish_product_words_name_the_order(text: str, pool: list[Candidate], expected: str) -> None:
    found = resolve(text, "return_request", pool, today=TODAY, platform="amazon")
    assert found.order_id == expected and "product" in found.cues, found


def test_a_variant_named_by_its_words_together_tells_the_orders_apart() -> None:
    """Each word alone is on both orders (a Blue Plaid blanket and an Ember Red pot in one, a Red Plaid blanket in
    the other), so only "red plaid" as a phrase names the order; words from different phrases never pair up."""
    mixed = order("M", "delivered", date(2026, 8, 24), "289.98", "Hearth Enameled Cast Iron Dutch Oven, 5.5 qt - Ember Red",
                  "Meadow Waterproof Picnic Blanket - Blue Plaid", platform="tiktok")
    red = order("R", "delivered", date(2026, 11, 1), "49.99", "Meadow Waterproof Picnic Blanket - Red Plaid",
                platform="tiktok")
    found = resolve("the red plaid is way brighter than in the video. i want to send it back", "return_request",
                    [mixed, red], today=TODAY, platform="tiktok")
    assert found.order_id == "R", found
    blue = resolve("the blue plaid one has a torn seam", "damaged_or_wrong_item", [mixed, red], today=TODAY,
                   platform="tiktok")
    assert blue.order_id == "M", blue
    apart = resolve("the red pot is fine. plaid blanket question: is it washable?", "product_question",
                    [mixed, red], today=TODAY, platform="tiktok")
    assert apart.order_id != "R" or "red+plaid" not in str(apart.reason)  # "red" and "plaid" are phrases apart


# ---------------------------------------------------------------- set-aside products, wrong items, promises (h6 C)

GRINDER = "Northfork Ridgetop Hand Burr Coffee Grinder"
PLATES = "Northfork Enamelware Camp Plates, Set of 4 - Speckled White"
GLASS = "Northfork Glass Food Storage Container Set, 18-Piece"
CHAIR = "Northfork Cedar Adirondack Chair - Natural Cedar"
DINING = "Northfork Cedar Patio Dining Table, 60 in"
PROPANE = "Northfork Trailhead Propane Cylinder, 16.4 oz - 2-Pack"


@pytest.mark.parametrize(("text", "intent", "pool", "expected"), [
    # kept / fine / still wanted: the request is about the other product
    ("I see the grinders already shipped, that's fine, keep those coming. Can you cancel the camp plates?",
     "cancel_order", [line("MIXED", "shipped", date(2026, 11, 23), GRINDER, PLATES),
                      line("GRINDS", "in_transit", date(2026, 11, 24), GRINDER)], "MIXED"),
    ("I still want the chairs, just cancel the table", "cancel_order",
     [line("CHAIRS", "unshipped", date(2026, 11, 24), CHAIR), line("TABLE", "unshipped", date(2026, 11, 23), DINING)],
     "TABLE"),
    ("the grinder came fine but the plates never showed", "order_status",
     [line("G", "delivered", date(2026, 11, 10), GRINDER, delivered=date(2026, 11, 14)),
      line("P", "in_transit", date(2026, 11, 12), PLATES)], "P"),
    # set against the one meant
    ("not the glass set, the other one", "order_status",
     [line("GLASS", "in_transit", date(2026, 11, 20), GLASS), line("OTHER", "in_transit", date(2026, 11, 21), GRINDER)],
     "OTHER"),
    ("where's the propane 2-pack? (not the one with the plates)", "order_status",
     [line("WITH_PLATES", "in_transit", date(2026, 11, 21), PLATES, PROPANE),
      line("ALONE", "in_transit", date(2026, 11, 17), PROPANE)], "ALONE"),
])
def test_a_product_set_aside_does_not_pull_toward_its_orders(text: str, intent: str, pool: list[Candidate],
                                                              expected: str) -> None:
    found = resolve(text, intent, pool, today=TODAY, platform="amazon")
    assert found.order_id == expected, found


def test_a_set_aside_product_alone_still_names_its_order_and_the_rest_is_its_other_lines() -> None:
    """"the grinders shipped, that's fine, cancel the rest": nothing else is named, so the grinders' order is
    meant, and of two it is the one with lines besides the grinders."""
    mixed = line("MIXED", "shipped", date(2026, 11, 23), GRINDER, PLATES)
    alone = line("ALONE", "in_transit", date(2026, 11, 24), GRINDER)
    other = line("OTHER", "unshipped", date(2026, 11, 24), DINING)
    found = resolve("the grinders shipped, that's fine. cancel the rest", "cancel_order", [mixed, alone, other],
                    today=TODAY, platform="amazon")
    assert found.order_id == "MIXED", found
    found = resolve("I already have the grinder, cancel it", "cancel_order", [alone, other], today=TODAY,
                    platform="amazon")
    assert found.order_id == "ALONE", found


@pytest.mark.parametrize("text", [
    "I don't want to keep the grinder, can I return it?",  # denied: the grinder is the request
    "keep me posted on the grinder",
    "this is not the grinder I ordered",  # "not" after a verb: a wrong item, not another order
])
def test_words_that_only_look_like_setting_aside_leave_the_product_named(text: str) -> None:
    pool = [line("G", "delivered", date(2026, 11, 10), GRINDER, delivered=date(2026, 11, 14)),
            line("P", "delivered", date(2026, 11, 12), PLATES, delivered=date(2026, 11, 16))]
    found = resolve(text, "return_request", pool, today=TODAY, platform="amazon")
    assert found.order_id == "G", (text, found)


@pytest.mark.parametrize("text", [
    "I ordered the 10 inch skillet and got a 12 inch. Do I have to pay to send it back?",
    "you sent me a 12 inch skillet instead of the 10 inch",
    "you sent the 12 inch skillet, not the 10 inch",
    "I got a 12 inch skillet but I ordered the 10 inch",
])
def test_the_product_ordered_names_the_order_not_the_one_sent_by_mistake(text: str) -> None:
    found = resolve(text, "damaged_or_wrong_item", SIZED, today=TODAY, platform="amazon")
    assert found.order_id == "S10", (text, found)


def test_a_colour_sent_instead_of_the_one_ordered() -> None:
    chairs = [line(oid, "delivered", date(2026, 11, d), f"Northfork Trailside Folding Camp Chair - {colour}",
                   delivered=date(2026, 11, d + 4)) for oid, d, colour in (("RUST", 5, "Rust"), ("SLATE", 8, "Slate"))]
    found = resolve("you sent me a slate chair instead of rust", "damaged_or_wrong_item", chairs, today=TODAY,
                    platform="amazon")
    assert found.order_id == "RUST", found


# delivery promise and tracking: two orders carry the product, the records say which is late or stalled
def _propane(oid: str, placed: date, *, deliver_by: date, parcels: tuple[str, ...] = ("in_transit",),
             last_scan: date | None = None, ship_by: date | None = None, status: str = "in_transit") -> Candidate:
    from dataclasses import replace

    return replace(line(oid, status, placed, PROPANE), deliver_by=deliver_by, parcels=parcels,
                   last_scan_at=last_scan, ship_by=ship_by or placed)


LATE = _propane("LATE", date(2026, 11, 12), deliver_by=date(2026, 11, 20), last_scan=date(2026, 11, 17))
ON_TIME = _propane("ON_TIME", date(2026, 11, 23), deliver_by=date(2026, 11, 30), last_scan=date(2026, 11, 25))


@pytest.mark.parametrize("text", [
    "where's my propane? it was supposed to be here last week",
    "the propane should have arrived by now",
    "propane tracking hasn't moved in days",
    "my propane has had no updates since last week, where is it",
])
def test_a_late_or_stalled_parcel_names_the_order_whose_records_show_it(text: str) -> None:
    found = resolve(text, "order_status", [ON_TIME, LATE], today=TODAY, platform="amazon")
    assert found.order_id == "LATE" and "delivery" in found.cues, (text, found)


def test_still_label_created_and_a_promise_to_ship_name_the_order_that_never_left() -> None:
    waiting = _propane("LABEL", date(2026, 11, 18), deliver_by=date(2026, 11, 28), parcels=("label_created",),
                       ship_by=date(2026, 11, 20), status="unshipped")
    moving = _propane("MOVING", date(2026, 11, 19), deliver_by=date(2026, 11, 28), last_scan=date(2026, 11, 25))
    assert resolve("the propane tracking still says label created", "order_status", [moving, waiting],
                   today=TODAY, platform="amazon").order_id == "LABEL"
    assert resolve("you told me the propane would ship monday, what happened?", "order_status", [moving, waiting],
                   today=TODAY, platform="amazon").order_id == "LABEL"


def test_a_trace_mentioned_earlier_names_the_order_with_a_carrier_trace_or_loss() -> None:
    lost = _propane("LOST", date(2026, 10, 29), deliver_by=date(2026, 11, 8), parcels=("lost",))
    delivered = line("OLD", "delivered", date(2026, 11, 1), PROPANE, delivered=date(2026, 11, 6))
    found = resolve("any update on my propane?? u said there was a trace like 2 weeks ago", "order_status",
                    [delivered, lost], today=TODAY, platform="amazon")
    assert found.order_id == "LOST" and "delivery" in found.cues, found


def test_a_promise_cue_without_the_records_changes_nothing() -> None:
    """Orders the tool gave no promised dates or parcels for: the cue fits none, so it is no cue (both stay)."""
    plain = [line("A", "in_transit", date(2026, 11, 12), PROPANE), line("B", "in_transit", date(2026, 11, 23), PROPANE)]
    found = resolve("propane tracking hasn't moved, it was supposed to be here last week", "order_status", plain,
                    today=TODAY, platform="amazon")
    assert found.order_id is None and "delivery" not in found.cues


def test_a_promised_time_is_read_against_the_promised_date() -> None:
    early = _propane("EARLY", date(2026, 11, 10), deliver_by=date(2026, 11, 16))
    later = _propane("LATER", date(2026, 11, 12), deliver_by=date(2026, 11, 23))
    found = resolve("the propane was supposed to be here last monday", "order_status", [early, later], today=TODAY,
                    platform="amazon")  # Monday the 23rd: the later order's promise (both are late)
    assert found.order_id == "LATER" and "date" in found.cues, found
    assert [c.refers_to for c in time_cues("it was supposed to be here Monday", TODAY, promised=True)] == ["promised"]
    assert time_cues("it was supposed to be here Monday", TODAY) == []  # without promised dates: not a date at all


def test_the_tool_row_may_carry_promised_dates_and_parcels() -> None:
    row = {"order_id": "A1", "platform": "amazon", "status": "in_transit", "placed_at": "2026-11-02T10:00:00+00:00",
           "total": "31.87", "items": [PROPANE], "deliver_by": "2026-11-10", "ship_by": "2026-11-04",
           "parcel_statuses": ["exception"], "last_scan_at": "2026-11-06T09:00:00+00:00"}
    c = Candidate.from_tool(row)
    assert (c.deliver_by, c.ship_by, c.parcels, c.last_scan_at) == (
        date(2026, 11, 10), date(2026, 11, 4), ("exception",), date(2026, 11, 6))


def test_an_order_carrying_fewer_of_the_words_asked_is_not_a_candidate() -> None:
    """A line name two products share ("High Desert" coffee and blanket) does not keep the blanket's order in
    play when the message also says "coffee": another order carries every word it carries and more."""
    coffee = order("E", "delivered", date(2026, 11, 17), "60.00", "Northfork Cedar Patio Dining Table, 60 in",
                   "Northfork High Desert Roast Coffee, 12 oz - Whole Bean")
    old_coffee = order("F", "delivered", date(2026, 9, 26), "40.00", "Northfork High Desert Roast Coffee, 12 oz - Ground",
                       "Northfork Basecamp 45 Qt Rolling Cooler - Sand")
    blanket = order("G", "delivered", date(2026, 10, 2), "90.00", "Northfork Cedar Patio Dining Table, 60 in",
                    "Northfork High Desert Wool Blanket - Juniper Ridge")
    grinder = order("H", "delivered", date(2026, 11, 15), "64.97", "Northfork Ridgetop Hand Burr Coffee Grinder")
    found = resolve("we opened one of the High Desert coffee bags and it's too dark. can we send both back?",
                    "return_request", [coffee, old_coffee, blanket, grinder], today=TODAY, platform="amazon")
    assert found.order_id is None and {c.order_id for c in found.candidates} == {"E", "F"}
    # words the orders do not share still tell them apart as before
    assert resolve("where is the wool blanket", "order_status", [coffee, blanket], today=TODAY,
                   platform="amazon").order_id == "G"
    # two products of two orders, each named: neither order carries the other's words, both stay
    both = resolve("the high desert coffee and the high desert blanket, can I return them?", "return_request",
                   [coffee, blanket], today=TODAY, platform="amazon")
    assert both.order_id is None and {c.order_id for c in both.candidates} == {"E", "G"}
