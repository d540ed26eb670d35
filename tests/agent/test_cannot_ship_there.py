"""An unshipped order holding an item whose listing ships only within the contiguous US (the propane 2-pack),
going to Puerto Rico, Hawaii, Alaska, a territory or a military address, cannot ship as placed: the status
reply says so instead of "it ships by Friday", and a person decides before it goes (issue 11)."""

from __future__ import annotations

import pytest

from agent import plans
from agent.plans import OUTSIDE_CONTIGUOUS
from agent.templates import format_date
from tools.models import Order
from tools.sandbox.store import SandboxStore

PROPANE = "Propane Cylinder"


def _order(store: SandboxStore, *, outside: bool) -> Order:
    for order in store.find_orders(status="unshipped", limit=None):
        if any(PROPANE in i.title for i in order.items) and \
                (order.shipping_address.state in OUTSIDE_CONTIGUOUS) == outside:
            return order
    raise LookupError("no such order in the demo store")


def _ask(say, store: SandboxStore, order: Order):  # type: ignore[no-untyped-def]
    return say(order.customer_id, order.platform, f"when will order {order.id} ship?")


def test_propane_to_an_address_outside_the_contiguous_us_is_not_promised_and_goes_to_a_person(  # type: ignore[no-untyped-def]
        say, store: SandboxStore) -> None:
    order = _order(store, outside=True)
    trace = _ask(say, store, order)
    draft = trace.draft or ""
    place = f"{order.shipping_address.city}, {order.shipping_address.state}"
    assert "only ship by ground within the contiguous US" in draft and f"can't send it to {place}" in draft, draft
    assert format_date(order.ship_by.isoformat()) not in draft, draft  # no promise the seller cannot keep
    assert trace.route == "review" and any("contiguous US" in r for r in trace.reasons), trace.reasons
    assert not (trace.compliance or {}).get("violations"), trace.compliance


def test_the_destination_decides_the_same_order_otherwise_gets_its_usual_answer(  # type: ignore[no-untyped-def]
        say, store: SandboxStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """eBay lets no seller change the address, so the check's list loses the state instead: the listing alone
    does not hold the order."""
    order = _order(store, outside=True)
    monkeypatch.delitem(plans.OUTSIDE_CONTIGUOUS, order.shipping_address.state)
    trace = _ask(say, store, order)
    draft = trace.draft or ""
    assert "contiguous" not in draft and "hasn't shipped yet" in draft, draft
    assert not any("contiguous US" in r for r in trace.reasons), trace.reasons
