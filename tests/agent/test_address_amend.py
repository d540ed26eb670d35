"""Issue 11: a whole new address is a replacement, never a unit added to the old street (agent/address_amend.py).

"can u send it to my office instead? 1 Market Plaza, Suite 1200, San Francisco CA 94105" once became "add Suite
1200" to the order's old address: the street had no suffix the full-address pattern knew, so the unit was read
as a correction. The readers are checked on their own, then through the real change_address plan and tool over
one hand-built unshipped order.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from agent.address_amend import NewAddress, find_amendment, find_new_address, gives_whole_address, street_line
from agent.plans import PlanInput, PlanOutcome, run_plan
from agent.schemas import Entities, Triage
from agent.templates import render
from tools.context import ToolContext
from tools.errors import NotFoundError
from tools.models import Address, Customer, LineItem, Order, PaymentMethod, Refund, Return
from tools.policy.loader import load_policies, load_seller
from tools.registry import run_tool
from tools.results import ToolResult

NOW = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)
POLICIES = load_policies()
SELLER = load_seller()
HOME = Address(name="Dana Reyes", line1="123 Main St", city="Austin", state="TX", zip="78701")
CUSTOMER = Customer(id="C00001", name="Dana Reyes", created_at=NOW - timedelta(days=400))


# ---------------------------------------------------------------- the readers

@pytest.mark.parametrize(("text", "expected"), [
    ("can u send my chair to my office instead? 1 Market Plaza, Suite 1200, San Francisco CA 94105",
     NewAddress("1 Market Plaza", "San Francisco", "CA", "94105", "Suite 1200")),  # no known street suffix
    ("1 Market Plaza Suite 1200 San Francisco CA 94105",  # no commas: the unit parts street from city
     NewAddress("1 Market Plaza", "San Francisco", "CA", "94105", "Suite 1200")),
    ("change the address to 2200 Congress Ave Ste 1200 Austin TX 78701",  # the suffix ends the street
     NewAddress("2200 Congress Ave", "Austin", "TX", "78701", "Suite 1200")),
    ("I ordered 2 chairs, please send them to 88 Harbor Point, Apt 4B, Tampa, FL 33602 thanks",
     NewAddress("88 Harbor Point", "Tampa", "FL", "33602", "Apt 4B")),  # "2 chairs" starts no street
    ("new address: 77 Massachusetts Avenue, Cambridge, Massachusetts 02139",  # the state written out
     NewAddress("77 Massachusetts Avenue", "Cambridge", "MA", "02139")),
    ("1600 Pennsylvania Avenue NW, Washington, DC 20500",
     NewAddress("1600 Pennsylvania Avenue NW", "Washington", "DC", "20500")),
    ("123 N. Main St. Apt 4, St. Louis MO 63101", NewAddress("123 N. Main St.", "St. Louis", "MO", "63101", "Apt 4")),
    ("mándalo a 12 Calle Luna, apto 3, San Juan, PR 00901 por favor",
     NewAddress("12 Calle Luna", "San Juan", "PR", "00901", "Apt 3")),
    ("my office: 350 Fifth Av #5B, New York NY 10118", NewAddress("350 Fifth Av", "New York", "NY", "10118", "#5B")),
])
def test_a_whole_new_address_is_read_with_any_street_name(text: str, expected: NewAddress) -> None:
    assert find_new_address(text) == expected
    assert gives_whole_address(text)


@pytest.mark.parametrize("text", [
    "500 Broadway New York NY 10012",  # no comma, unit or suffix: where the street ends is a guess
    "One Market Plaza, San Francisco CA 94105",  # no house number
    "PO Box 123, Austin TX 78701",
])
def test_a_whole_address_that_cannot_be_split_surely_is_not_guessed(text: str) -> None:
    assert find_new_address(text) is None and gives_whole_address(text)


@pytest.mark.parametrize("text", [
    "forgot my apt number, it's 4B", "the zip should be 78702", "zip code should be 78702 not 78701",
    "I live in 78702 now", "where is order #1723?",
])
def test_a_correction_or_a_question_is_no_whole_address(text: str) -> None:
    assert find_new_address(text) is None and not gives_whole_address(text)


def test_a_street_before_a_unit_is_a_street_even_without_a_suffix() -> None:
    """So a unit given with another street is never added to the old one (the tool refuses another street)."""
    assert street_line("send it to 1 Market Plaza, Suite 1200") == "1 Market Plaza"
    assert find_amendment("send it to 1 market plaza ste 1200") is not None
    assert find_amendment("send it to 1 market plaza ste 1200").line1 == "1 market plaza"  # type: ignore[union-attr]
    assert street_line("forgot my apt number, it's 4B") is None
    assert street_line("Suite 1200 San Francisco") is None  # the unit's number starts no street


@pytest.mark.parametrize("fragment", ["1 a st, ", "1 a, ", "suite 1 ", "1 ", "ca 94105 ", "a, ", "# 1 a "])
def test_the_whole_address_reader_is_linear_on_adversarial_text(fragment: str) -> None:
    text = fragment * (50_000 // len(fragment))

    def once() -> float:
        started = time.perf_counter()
        find_new_address(text), gives_whole_address(text), street_line(text)
        return time.perf_counter() - started

    assert min(once() for _ in range(3)) < 1.0


# ---------------------------------------------------------------- through the plan and the tool

@dataclass
class Backend:
    """The order tools' reads and the address write, over one customer's hand-built orders."""

    orders: list[Order]
    changed: list[Address] = field(default_factory=list)

    def get_order(self, order_id: str) -> Order:
        found = next((o for o in self.orders if o.id == order_id), None)
        if found is None:
            raise NotFoundError(f"no order {order_id}")
        return found

    def customer_orders(self, customer_id: str, platform: Any = None) -> list[Order]:
        return sorted((o for o in self.orders if o.customer_id == customer_id), key=lambda o: o.created_at,
                      reverse=True)

    def order_returns(self, order_id: str) -> list[Return]:
        return []

    def order_refunds(self, order_id: str) -> list[Refund]:
        return []

    def change_address(self, order_id: str, address: Address, *, idempotency_key: str | None = None) -> Order:
        self.changed.append(address)
        return self.get_order(order_id).model_copy(update={"shipping_address": address})


@dataclass
class Clock:
    def now(self) -> datetime:
        return NOW


def _unshipped() -> Order:
    placed = NOW - timedelta(days=1)
    item = LineItem(line_number=1, sku="NF-ADK", product_id="P040", title="Northfork Cedar Adirondack Chair - Natural "
                    "Cedar", quantity=1, unit_price=Decimal("189.00"))
    return Order(id="#1723", platform="shopify", platform_ref="#1723", customer_id="C00001", status="unshipped",
                 platform_status="unshipped", created_at=placed, items=[item], subtotal=Decimal("189.00"),
                 shipping=Decimal("0"), tax=Decimal("15.12"), total=Decimal("204.12"),
                 payment_method=PaymentMethod(kind="card"), shipping_address=HOME, fulfillment_channel="seller",
                 ship_by=placed.date() + timedelta(days=2), deliver_by=placed.date() + timedelta(days=7), shipments=[])


def _say(text: str) -> tuple[PlanOutcome, Backend]:
    backend = Backend([_unshipped()])
    ctx = ToolContext(backend=backend, customer_id="C00001", platform="shopify",  # type: ignore[arg-type]
                      clock=Clock(), policies=POLICIES, seller=SELLER)

    def run(name: str, args: dict[str, Any]) -> ToolResult:
        return run_tool(ctx, name, args)

    triage = Triage(intent="change_address", confidence=0.9, entities=Entities())
    outcome = run_plan(PlanInput(intent="change_address", triage=triage, text=text, platform="shopify",
                                 customer=CUSTOMER, passages=[], run=run, today=NOW.date(),
                                 policy=POLICIES["shopify"], seller=SELLER))
    return outcome, backend


def _reply(outcome: PlanOutcome) -> str:
    return render(outcome.template, outcome.slots, first_name="Dana", extra=outcome.extra)


def test_a_full_new_address_with_a_suite_replaces_the_whole_address() -> None:
    out, backend = _say("can u send my chair to my office instead? 1 Market Plaza, Suite 1200, San Francisco CA 94105")
    assert out.template == "address_offer" and out.awaiting == "confirmation" and out.pending_action is not None
    assert out.pending_action.args == {"order_id": "#1723", "name": "Dana Reyes", "line1": "1 Market Plaza",
                                       "line2": "Suite 1200", "city": "San Francisco", "state": "CA", "zip": "94105"}
    text = _reply(out)
    assert "1 Market Plaza, Suite 1200, San Francisco, CA 94105" in text
    assert "123 Main St" not in text and "Austin" not in text  # nothing of the old address
    assert backend.changed == []  # proposed, not made: the customer's yes makes it


def test_a_unit_only_correction_still_amends_the_current_address() -> None:
    out, _ = _say("omg forgot my apt number, it's 4B")
    assert out.template == "address_amend_offer" and out.pending_action is not None
    assert out.pending_action.args["line1"] == "123 Main St" and out.pending_action.args["line2"] == "Apt 4B"
    assert "123 Main St, Apt 4B, Austin, TX 78701" in _reply(out)


@pytest.mark.parametrize("text", ["please ship it to my office, 740 Grand Concourse Bronx NY 10451",
                                  "send it to One Market Plaza, Suite 1200, San Francisco CA 94105"])
def test_a_whole_address_read_only_in_part_goes_to_a_person(text: str) -> None:
    out, backend = _say(text)
    assert out.template == "address_check" and out.pending_action is None and out.review_reason
    assert "123 Main St" not in _reply(out) and backend.changed == []


def test_a_unit_with_another_street_and_no_city_asks_for_the_full_address() -> None:
    out, _ = _say("send it to 1 Market Plaza, Suite 1200 instead")
    assert out.template == "address_ask" and out.pending_action is None
