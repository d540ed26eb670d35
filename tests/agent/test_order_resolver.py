"""The order resolver (agent/order_resolver.py) as a pure function over hand-built orders."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from agent.order_resolver import Candidate, amounts, date_window, resolve, state_cues

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
