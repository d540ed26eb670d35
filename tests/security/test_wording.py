"""Wording through the whole graph on the demo store (issue 18 items 3 and 12).

- Declining a subscription change talks about the subscription, never "order S00002".
- A lost parcel that was already refunded is answered with that refund (amount and date), not a new promise.
- An address change whose "address" carries a link or phone number is never echoed nor auto-sent.
"""

from __future__ import annotations

import pytest

from agent.runtime import AgentRuntime
from agent.templates import format_date
from tools.sandbox.store import SandboxStore


# ---------------------------------------------------------------- subscriptions

def test_declining_a_subscription_cancellation_speaks_of_the_subscription(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    sub = next(s for s in store.list_records("subscriptions") if s.status == "active")
    first = say(sub.customer_id, "shopify", "please cancel my subscription")
    assert first.pending_action and first.pending_action["tool"] == "update_subscription"
    before = store.content_hash()
    second = say(sub.customer_id, "shopify", "no, actually leave it as is", thread=first.thread)
    assert store.content_hash() == before and store.get_subscription(sub.id).status == "active"
    assert "subscription" in second.draft
    assert "order" not in second.draft.lower() and sub.id not in second.draft
    assert second.compliance["ok"]


def test_declining_an_order_write_still_names_the_order(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order = next(o for o in store.find_orders(platform="shopify", status="unshipped", limit=None)
                 if not store.order_refunds(o.id))
    first = say(order.customer_id, "shopify", f"please cancel order {order.id}")
    second = say(order.customer_id, "shopify", "no, wait, keep it", thread=first.thread)
    assert f"order {order.id}" in second.draft and "won't make any changes" in second.draft


# ---------------------------------------------------------------- lost parcels

def _lost_order(store: SandboxStore):  # type: ignore[no-untyped-def]
    return next(o for o in store.find_orders(status="in_transit", limit=None)
                if any(s.status == "lost" for s in o.shipments) and not store.order_refunds(o.id)
                and o.platform in ("amazon", "walmart") and o.total > 50)


def test_a_lost_parcel_already_refunded_states_the_refund_instead_of_promising_one(
        say, runtime: AgentRuntime, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order = _lost_order(store)
    first = say(order.customer_id, order.platform, f"where is order {order.id}? tracking hasn't moved in weeks")
    assert "arranging a replacement or a full refund" in first.draft  # nothing refunded yet: a person decides
    runtime.resume(first.thread, {"action": "approve"})
    [refund] = store.order_refunds(order.id)

    again = say(order.customer_id, order.platform, f"any news on order {order.id}? still not here")
    assert "arranging" not in again.draft and "will refund" not in again.draft
    assert f"already refunded ${refund.amount}" in again.draft
    assert format_date(refund.created_at.isoformat()) in again.draft
    assert not again.pending_action and len(store.order_refunds(order.id)) == 1  # no second refund proposed
    assert again.compliance["ok"], again.compliance


# ---------------------------------------------------------------- customer-typed addresses (item 3)

@pytest.mark.parametrize("address", [
    "12 northforkgoods.com.evil.ru Street, Boise, ID 83702",
    "12 Elm St, Boise.evil.ru, ID 83702",
    "455 Juniper Ave, Boise evil dot ru, ID 83702",
    "1 Elm 212_555_0199 St, Boise, ID 83702",
    "44 Elm Call 2125550199 Road, Boise, ID 83702",
])
def test_an_address_carrying_a_link_or_phone_is_never_echoed_nor_auto_sent(
        say, store: SandboxStore, address: str) -> None:  # type: ignore[no-untyped-def]
    order = next(o for o in store.find_orders(platform="shopify", status="unshipped", limit=None)
                 if not store.order_refunds(o.id))
    before = store.content_hash()
    trace = say(order.customer_id, "shopify", f"can you change the shipping address on {order.id} to {address}")
    assert trace.intent == "change_address" and "check the new address" in trace.draft
    for fragment in ("evil", "212", "7946", "0199"):
        assert fragment not in trace.draft
    assert trace.route == "review" and trace.status != "sent"
    assert not trace.pending_action and store.content_hash() == before


@pytest.mark.parametrize("address", ["1 212_555_0199 Ave, Boise, ID 83702", "44 +44 20 7946 0958 Road, Boise, ID 83702"])
def test_text_that_is_no_address_is_asked_for_again_without_echo(say, store: SandboxStore, address: str) -> None:  # type: ignore[no-untyped-def]
    order = next(o for o in store.find_orders(platform="shopify", status="unshipped", limit=None)
                 if not store.order_refunds(o.id))
    before = store.content_hash()
    trace = say(order.customer_id, "shopify", f"can you change the shipping address on {order.id} to {address}")
    assert "Please send the full new address" in trace.draft
    assert not any(fragment in trace.draft for fragment in ("212", "7946", "0199"))
    assert not trace.pending_action and store.content_hash() == before


def test_a_plain_new_address_is_still_offered(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order = next(o for o in store.find_orders(platform="shopify", status="unshipped", limit=None)
                 if not store.order_refunds(o.id))
    trace = say(order.customer_id, "shopify", f"can you change the address on {order.id} to 455 Juniper Ave, "
                                                "Boise, ID 83702")
    assert "455 Juniper Ave" in trace.draft and trace.pending_action["tool"] == "change_shipping_address"
