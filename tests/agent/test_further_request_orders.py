"""A further request of a message about several orders is answered for the order its own words name
(agent/plans.py `order_named_by_product`, agent/nodes/act.py): "when does my refund for the grill show up?
Also the headlamp still hasn't come, where is it?" once answered the refund and then, for "where is it?",
the grill's order again, and went out without a word about the headlamp."""

from __future__ import annotations

from tools.sandbox.store import SandboxStore

pytest_plugins = ["agent_fixtures"]


def _orders(store: SandboxStore, customer_id: str, platform: str) -> dict[str, object]:
    return {o.status: o for o in store.list_records("orders") if o.customer_id == customer_id and o.platform == platform}


def test_each_request_is_answered_for_the_order_it_names(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    mine = _orders(store, "C00495", "shopify")
    returned, moving = mine["delivered"], mine["in_transit"]
    assert "Grill" in returned.items[0].title and "Headlamp" in moving.items[0].title  # type: ignore[attr-defined]
    trace = say("C00495", "shopify", "Hi, when does my refund for the charcoal grill show up? Also the headlamp "
                                     "still hasn't come, where is it?")
    assert trace.intent == "refund_status"
    assert returned.id in trace.draft and moving.id in trace.draft  # type: ignore[attr-defined,operator]
    assert any(s.tracking_number in trace.draft for s in moving.shipments)  # type: ignore[attr-defined,operator]


def test_a_piece_that_names_no_product_stays_with_the_main_order(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    mine = _orders(store, "C00495", "shopify")
    trace = say("C00495", "shopify", "Hi, when does my refund for the charcoal grill show up? And is it the full "
                                     "amount?")
    assert mine["delivered"].id in trace.draft  # type: ignore[attr-defined,operator]
    assert mine["in_transit"].id not in trace.draft  # type: ignore[attr-defined,operator]
