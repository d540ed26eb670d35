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


def test_a_refund_question_beside_an_open_return_gets_its_answer(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    """The main reply says a return is already open; "how soon after you get it do I get my refund" about the same
    order was once dropped as if the return reply had said where the money stands. Only an answer that states
    the order's state (status, refund status) makes a second one about the same order redundant."""
    open_return = next(r for r in store.list_records("returns") if r.status == "approved")
    order = store.get_order(open_return.order_id)  # type: ignore[attr-defined]
    trace = say(order.customer_id, order.platform, "I'd like to return the dining table, it doesn't fit our patio. "
                                                   "Also how soon would I get my refund?")
    assert trace.intent == "return_request"
    assert open_return.id in trace.draft and "of receiving it" in trace.draft  # type: ignore[attr-defined,operator]
