"""The agent's tools: identity, channel, confirmation and approval are enforced in code."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from tools.context import ToolContext
from tools.models import Order
from tools.registry import TOOLS, WRITE_TOOLS, openai_tool_schemas, run_tool
from tools.results import PendingAction
from tools.sandbox.store import SandboxStore

from testdata import ANCHOR


def pick(store: SandboxStore, platform: str, status: str, recent_days: int | None = None) -> Order:
    for order in store.find_orders(platform=platform, status=status, limit=None):  # type: ignore[arg-type]
        if store.order_returns(order.id) or store.order_refunds(order.id):
            continue
        if recent_days and (order.delivered_at is None or order.delivered_at < ANCHOR - timedelta(days=recent_days)):
            continue
        return order
    raise LookupError


def ctx_for(store: SandboxStore, order: Order, **kw) -> ToolContext:  # type: ignore[no-untyped-def]
    return ToolContext(backend=store, customer_id=order.customer_id, platform=order.platform, clock=store.clock, **kw)


def test_reads_return_the_customers_own_order(store: SandboxStore) -> None:
    order = pick(store, "amazon", "in_transit")
    result = run_tool(ctx_for(store, order), "get_order", {"order_id": order.id})
    assert result.ok and result.data["order_id"] == order.id and result.data["status"] == "in_transit"
    tracking = run_tool(ctx_for(store, order), "track_shipment", {"order_id": order.id})
    assert tracking.ok and tracking.data["shipments"][0]["tracking_number"] == order.shipments[0].tracking_number


def test_another_customers_order_looks_like_a_missing_one(store: SandboxStore) -> None:
    mine = pick(store, "amazon", "delivered")
    theirs = next(o for o in store.find_orders(platform="amazon", limit=None) if o.customer_id != mine.customer_id)
    ctx = ctx_for(store, mine)
    for name, args in (("get_order", {"order_id": theirs.id}), ("track_shipment", {"order_id": theirs.id}),
                       ("track_shipment", {"tracking_number": theirs.shipments[0].tracking_number if theirs.shipments else "1Z0"}),
                       ("get_refund_status", {"order_id": theirs.id}),
                       ("cancel_order", {"order_id": theirs.id}),
                       ("refund", {"order_id": theirs.id, "amount": "1.00", "reason": "x"})):
        result = run_tool(ctx, name, args)
        assert not result.ok and result.error_code == "not_found", name
        assert theirs.customer_id not in (result.error or "") and "couldn't find" in (result.error or "")
    missing = run_tool(ctx, "get_order", {"order_id": "113-0000000-0000000"})
    assert missing.error == f"I couldn't find order 113-0000000-0000000 on your account."


def test_writes_need_the_exact_action_confirmed(store: SandboxStore) -> None:
    order = pick(store, "shopify", "unshipped")
    before = store.content_hash()
    proposal = run_tool(ctx_for(store, order), "cancel_order", {"order_id": order.id})
    assert not proposal.ok and proposal.error_code == "confirmation_required"
    assert store.content_hash() == before
    action = PendingAction.model_validate(proposal.data["proposed"])
    other = PendingAction(tool="cancel_order", args={"order_id": "#1001", "reason": "customer request"}, summary="x")
    assert run_tool(ctx_for(store, order, confirmed=other), "cancel_order", {"order_id": order.id}).error_code == \
        "confirmation_required"
    done = run_tool(ctx_for(store, order, confirmed=action), "cancel_order", {"order_id": order.id})
    assert done.ok and done.write and store.get_order(order.id).status == "cancelled"
    assert done.data["refund_amount"] == str(order.total)


def test_refund_above_threshold_needs_a_human(store: SandboxStore) -> None:
    order = next(o for o in store.find_orders(platform="ebay", status="delivered", limit=None)
                 if o.total > Decimal("60") and not store.order_refunds(o.id))
    args = {"order_id": order.id, "amount": "55.00", "reason": "goodwill"}
    proposal = run_tool(ctx_for(store, order), "refund", args)
    assert proposal.error_code == "approval_required" and proposal.data["proposed"]["needs_approval"]
    action = PendingAction.model_validate(proposal.data["proposed"])
    customer_yes_only = run_tool(ctx_for(store, order, confirmed=action), "refund", args)
    assert customer_yes_only.error_code == "approval_required" and not store.order_refunds(order.id)
    approved = run_tool(ctx_for(store, order, confirmed=action, approved=True), "refund", args)
    assert approved.ok and approved.data["amount"] == "55.00"
    small = {"order_id": order.id, "amount": "5.00", "reason": "goodwill"}
    small_action = PendingAction.model_validate(run_tool(ctx_for(store, order), "refund", small).data["proposed"])
    assert not small_action.needs_approval
    too_much = {"order_id": order.id, "amount": str(order.total), "reason": "again"}
    big = PendingAction.model_validate(run_tool(ctx_for(store, order), "refund", too_much).data["proposed"])
    refused = run_tool(ctx_for(store, order, confirmed=big, approved=True), "refund", too_much)
    assert refused.error_code == "refund_exceeds_paid"


def test_writes_stay_on_the_conversation_channel(store: SandboxStore) -> None:
    person = next(c for c in store.list_customers()
                  if {"amazon", "shopify"} <= set(c.platforms)
                  and any(o.platform == "shopify" and o.status == "unshipped" for o in store.customer_orders(c.id)))
    order = next(o for o in store.customer_orders(person.id) if o.platform == "shopify" and o.status == "unshipped")
    ctx = ToolContext(backend=store, customer_id=person.id, platform="amazon", clock=store.clock)
    assert run_tool(ctx, "get_order", {"order_id": order.id}).ok  # reading is fine: it is the same person
    result = run_tool(ctx, "cancel_order", {"order_id": order.id})
    assert result.error_code == "other_channel"


@pytest.mark.parametrize("platform", ["amazon", "walmart", "tiktok", "ebay"])
def test_a_marketplace_return_is_never_opened_by_the_seller(store: SandboxStore, platform: str) -> None:
    """Issue 11: on these marketplaces the buyer starts the return in their account; a seller label would
    bypass the marketplace's flow, so the tool refuses even with a confirmation, and says where to start."""
    order = pick(store, platform, "delivered", recent_days=8)
    args = {"order_id": order.id, "sku": order.items[0].sku, "quantity": 1, "reason": "changed_mind"}
    refused = run_tool(ctx_for(store, order), "start_return", args)
    assert not refused.ok and refused.error_code == "marketplace_return_flow" and "Start it" in (refused.error or "")
    forged = PendingAction(tool="start_return", args=args, summary="a return")  # as if the customer had said yes
    again = run_tool(ctx_for(store, order, confirmed=forged), "start_return", args)
    assert again.error_code == "marketplace_return_flow" and store.order_returns(order.id) == []


def test_return_eligibility_and_start_return(store: SandboxStore) -> None:
    order = pick(store, "facebook", "delivered", recent_days=8)
    ctx = ctx_for(store, order)
    check = run_tool(ctx, "check_return_eligibility", {"order_id": order.id, "reason": "changed_mind"})
    assert check.ok and check.data["eligible"] and check.data["return_shipping_paid_by"] == "buyer"
    args = {"order_id": order.id, "sku": order.items[0].sku, "quantity": 1, "reason": "changed_mind"}
    action = PendingAction.model_validate(run_tool(ctx, "start_return", args).data["proposed"])
    done = run_tool(ctx_for(store, order, confirmed=action), "start_return", args)
    assert done.ok and done.data["label_tracking"].startswith("1Z")
    old = next(o for o in store.find_orders(platform="facebook", status="delivered", limit=None)
               if o.created_at.month in (7, 8, 9) and o.customer_id)
    closed = run_tool(ctx_for(store, old), "check_return_eligibility", {"order_id": old.id})
    assert closed.ok and not closed.data["eligible"] and closed.data["reason_code"] == "window_closed"


def test_idempotency_prefix_makes_a_replayed_write_a_no_op(store: SandboxStore) -> None:
    order = pick(store, "shopify", "unshipped")
    proposal = run_tool(ctx_for(store, order), "cancel_order", {"order_id": order.id})
    action = PendingAction.model_validate(proposal.data["proposed"])
    ctx = ctx_for(store, order, confirmed=action, idempotency_prefix="V000001:turn-3")
    first = run_tool(ctx, "cancel_order", {"order_id": order.id})
    again = run_tool(ctx, "cancel_order", {"order_id": order.id})  # e.g. the run resumed after a crash
    assert first.ok and again.ok and again.data == first.data
    assert len(store.order_cancellations(order.id)) == 1


def test_bad_calls_always_get_an_answer(store: SandboxStore) -> None:
    order = pick(store, "amazon", "delivered")
    ctx = ctx_for(store, order)
    assert run_tool(ctx, "delete_everything", {}).error_code == "unknown_tool"
    assert run_tool(ctx, "get_order", {}).error_code == "invalid_arguments"
    assert run_tool(ctx, "get_order", {"order_id": order.id, "customer_id": "C00001"}).error_code == "invalid_arguments"
    assert run_tool(ctx, "refund", {"order_id": order.id, "amount": "lots", "reason": "x"}).error_code == "invalid_amount"
    assert run_tool(ctx, "track_shipment", {}).error_code == "missing_argument"
    nobody = ToolContext(backend=store, customer_id=None, platform="amazon", clock=store.clock)
    assert run_tool(nobody, "get_order", {"order_id": order.id}).error_code == "unknown_customer"


def test_schemas_never_expose_the_customer() -> None:
    assert WRITE_TOOLS == {"start_return", "refund", "cancel_order", "change_shipping_address", "update_subscription"}
    for schema in openai_tool_schemas():
        props = schema["function"]["parameters"]["properties"]
        assert not {"customer_id", "ctx", "platform"} & set(props), schema["function"]["name"]
    assert len(openai_tool_schemas()) == len(TOOLS) and "handoff" in TOOLS


@pytest.mark.parametrize("action", ["skip", "pause", "cancel"])
def test_subscription_changes_are_confirmed_and_owned(store: SandboxStore, action: str) -> None:
    sub = next(s for s in store.list_records("subscriptions") if s.status == "active")
    ctx = ToolContext(backend=store, customer_id=sub.customer_id, platform="shopify", clock=store.clock)
    proposal = run_tool(ctx, "update_subscription", {"subscription_id": sub.id, "action": action})
    pending = PendingAction.model_validate(proposal.data["proposed"])
    ctx.confirmed = pending
    assert run_tool(ctx, "update_subscription", {"subscription_id": sub.id, "action": action}).ok
    stranger = ToolContext(backend=store, customer_id="C00001" if sub.customer_id != "C00001" else "C00002",
                           platform="shopify", clock=store.clock, confirmed=pending)
    assert run_tool(stranger, "update_subscription", {"subscription_id": sub.id, "action": action}).error_code == "not_found"


def test_an_order_that_arrived_late_is_never_charged_a_restocking_fee(store: SandboxStore) -> None:
    """The seller's policy (KB returns-restocking-fees): no restocking fee when the order arrived late, whatever
    reason the customer gives; "late" is read from the order's own promise and delivery scan."""
    from datetime import datetime, time, timezone

    from tools.actions import arrived_late

    late = next(o for o in store.find_orders(platform="shopify", status="delivered", limit=None)
                if arrived_late(o) and not store.order_returns(o.id))
    on_time = next(o for o in store.find_orders(platform="shopify", status="delivered", limit=None)
                   if not arrived_late(o) and not store.order_returns(o.id) and o.delivered_at > ANCHOR - timedelta(days=20))
    assert late.delivered_at.date() > late.deliver_by  # type: ignore[union-attr]
    checked = run_tool(ctx_for(store, late), "check_return_eligibility", {"order_id": late.id})
    assert checked.data["return_reason"] == "arrived_late" and checked.data["restocking_fee_pct"] == 0
    usual = run_tool(ctx_for(store, on_time), "check_return_eligibility", {"order_id": on_time.id})
    assert usual.data["return_reason"] == "changed_mind" and usual.data["restocking_fee_pct"] > 0
    # delivered on the promised day's evening in Hawaii (after midnight UTC) is still on time
    evening = datetime.combine(late.deliver_by, time(23, 0), tzinfo=timezone.utc) + timedelta(hours=9)
    shipments = [s.model_copy(update={"delivered_at": evening}) for s in late.shipments]
    assert not arrived_late(late.model_copy(update={"shipments": shipments}))
