"""`list_customer_orders` gives the order resolver what tells a customer's orders apart (issue 11).

Prices and quantities per line, refunds, and the dates an order shipped, was cancelled and its return
was opened and received back: checked against the demo store's own records, and fed to the resolver.
"""

from __future__ import annotations

from datetime import date

from agent.order_resolver import Candidate, resolve
from tools.context import ToolContext
from tools.models import Order
from tools.registry import run_tool
from tools.sandbox.store import SandboxStore

OLD_KEYS = {"order_id", "platform", "status", "placed_at", "delivered_at", "total", "items", "has_return"}


def _refunded_and_received(store: SandboxStore) -> Order:
    """An order with a refund that went through and a return the store received back."""
    for order in store.find_orders(limit=None):
        returns = store.order_returns(order.id)
        refunds = [r for r in store.order_refunds(order.id) if r.status != "failed"]
        if refunds and any(r.received_at for r in returns) and len(store.customer_orders(order.customer_id)) > 1:
            return order
    raise LookupError("the demo store has no refunded, received-back return")


def _rows(store: SandboxStore, order: Order) -> list[dict]:  # type: ignore[type-arg]
    ctx = ToolContext(backend=store, customer_id=order.customer_id, platform=order.platform, clock=store.clock)
    result = run_tool(ctx, "list_customer_orders", {"limit": 20})
    assert result.ok, result.error
    return result.data["orders"]  # type: ignore[index,no-any-return]


def test_each_row_keeps_its_keys_and_adds_prices_quantities_refunds_and_dates(store: SandboxStore) -> None:
    order = _refunded_and_received(store)
    row = next(r for r in _rows(store, order) if r["order_id"] == order.id)
    assert OLD_KEYS <= set(row)
    assert row["items"] == [i.title for i in order.items]  # unchanged: titles, line by line
    assert row["item_prices"] == [str(i.unit_price) for i in order.items]
    assert row["quantities"] == [i.quantity for i in order.items]
    assert row["refunded_amounts"] == [str(r.amount) for r in store.order_refunds(order.id) if r.status != "failed"]
    returns = store.order_returns(order.id)
    assert row["return_requested_at"] == max(r.requested_at for r in returns).isoformat()
    assert row["return_received_at"] == max(r.received_at for r in returns if r.received_at).isoformat()
    assert row["shipped_at"] == (order.shipped_at.isoformat() if order.shipped_at else None)
    assert row["has_return"] is True


def test_an_order_without_returns_or_refunds_says_so(store: SandboxStore) -> None:
    order = next(o for o in store.find_orders(status="unshipped", limit=None)
                 if not store.order_returns(o.id) and not store.order_refunds(o.id))
    row = next(r for r in _rows(store, order) if r["order_id"] == order.id)
    assert row["refunded_amounts"] == [] and row["return_requested_at"] is None and row["return_received_at"] is None
    assert row["shipped_at"] is None and row["cancelled_at"] is None and row["has_return"] is False


def test_the_resolver_finds_an_order_by_a_partial_refund_the_tool_lists(store: SandboxStore) -> None:
    """A partial refund is no order's total: only `refunded_amounts` can tell the resolver which order it was."""
    def partial(order: Order) -> str | None:
        amounts = {str(r.amount) for r in store.order_refunds(order.id) if r.status != "failed"} - {str(order.total)}
        return min(amounts) if amounts else None

    order, amount = next((o, partial(o)) for o in store.find_orders(limit=None)
                         if partial(o) and len(store.customer_orders(o.customer_id, o.platform)) > 2)
    rows = [r for r in _rows(store, order) if r["platform"] == order.platform]
    assert [r["order_id"] for r in rows if amount in r["refunded_amounts"]] == [order.id]
    assert not any(amount in (r["total"], *r["item_prices"]) for r in rows if r["order_id"] != order.id)
    found = resolve(f"what happened to my ${amount} refund?", "refund_status", [Candidate.from_tool(r) for r in rows],
                    today=store.clock.now().date(), platform=order.platform)
    assert found.order_id == order.id, found


def test_each_row_carries_its_promises_parcels_and_latest_scan(store: SandboxStore) -> None:
    """"It was supposed to be here last week", "tracking hasn't moved in days": the promise and the parcels are
    what the resolver compares those cues with."""
    order = next(o for o in store.find_orders(status="in_transit", limit=None) if o.shipments)
    row = next(r for r in _rows(store, order) if r["order_id"] == order.id)
    assert row["ship_by"] == order.ship_by.isoformat() and row["deliver_by"] == order.deliver_by.isoformat()
    assert row["parcel_statuses"] == [s.status for s in order.shipments]
    scans = [s.last_event.at for s in order.shipments if s.last_event]
    assert row["last_scan_at"] == (max(scans).isoformat() if scans else None)
    candidate = Candidate.from_tool(row)
    assert candidate.deliver_by == order.deliver_by and candidate.ship_by == order.ship_by
