"""Issue 20 items 1 and 2 in the graph: an edit while a write waits for approval says what becomes of the write
(approve, deny, keep pending) and its text must match; a rejected draft leaves the conversation with a person."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agent.nodes.review import REFUSED, choice_problem
from agent.runtime import AgentRuntime, ReplyTrace
from runtime.worker import status_after
from tools.models import Order
from tools.sandbox.store import SandboxStore

PENDING = {"tool": "refund", "args": {"order_id": "112-1", "amount": "54.99", "reason": "lost", "return_id": None},
           "summary": "refund $54.99 on order 112-1 (lost)", "needs_approval": True}
INTERIM = "I'm sorry about the lost parcel. A colleague is reviewing your refund today and we'll write again."


def _lost(store: SandboxStore) -> Order:
    return next(o for o in store.find_orders(platform="amazon", status="in_transit", limit=None)
                if any(s.status == "lost" for s in o.shipments) and not store.order_refunds(o.id) and o.total > 50)


@pytest.fixture
def held(say, store: SandboxStore) -> tuple[Order, ReplyTrace]:  # type: ignore[no-untyped-def]
    """A lost Amazon parcel: the agent proposes a refund above the threshold and waits for a person."""
    order = _lost(store)
    trace = say(order.customer_id, "amazon", f"where is my package {order.id}? it says lost, I want my money back")
    assert trace.awaiting_review and trace.pending_action and trace.pending_action["needs_approval"]
    return order, trace


def _out(runtime: AgentRuntime, thread: str) -> list[tuple[str, str, str]]:
    return [(r.message.kind, r.message.author, r.message.text) for r in runtime.context.outbox.for_conversation(thread)]


# ------------------------------------------------------------------ the choice and the text (pure)

@pytest.mark.parametrize(("text", "choice", "says"), [
    ("We're looking into it.", None, "a refund of $54.99 is waiting for approval: choose whether to approve it"),
    ("We're looking into it.", "later", "choose whether to approve it, deny it or keep it pending"),
    ("We've refunded $54.99 to your card.", "keep", "the reply says the refund is done"),
    ("Your refund has been issued today.", "deny", "but you chose to deny it"),
])
def test_an_edit_must_choose_and_match_its_choice(text: str, choice: str | None, says: str) -> None:
    problem = choice_problem(text, PENDING, choice)
    assert problem is not None and says in problem
    if choice == "keep":
        assert "you chose to keep it pending" in problem


@pytest.mark.parametrize(("text", "choice"), [
    ("We've refunded $54.99 to your card.", "approve"),         # approved: the refund is made before it goes
    ("Once we've refunded you, you'll get an email.", "keep"),   # a condition claims nothing
    ("We're sorry, we can't refund this order.", "deny"),
    ("Your money is on its way back soon.", "keep"),             # the extractor reads no claim in it: allowed
])
def test_a_text_the_choice_allows_or_the_extractor_cannot_judge_goes(text: str, choice: str) -> None:
    assert choice_problem(text, PENDING, choice) is None


def test_no_choice_is_needed_without_a_write_waiting_for_approval() -> None:
    waits_for_customer = {**PENDING, "needs_approval": False}  # the customer's "yes" still runs it after an edit
    assert choice_problem("We've refunded you.", waits_for_customer, None) is None
    assert choice_problem("Thanks!", None, None) is None


# ------------------------------------------------------------------ the graph

def test_an_edit_without_a_choice_changes_nothing(runtime: AgentRuntime, store: SandboxStore, held) -> None:  # type: ignore[no-untyped-def]
    order, trace = held
    after = runtime.resume(trace.thread, {"action": "edit", "text": INTERIM})
    assert after.awaiting_review and after.pending_action == trace.pending_action and after.draft == trace.draft
    assert after.engine_notes[-1].startswith(REFUSED) and "choose whether to approve it" in after.engine_notes[-1]
    assert _out(runtime, trace.thread) == [] and store.order_refunds(order.id) == []


def test_approve_with_an_edit_makes_the_refund_then_sends_the_persons_text(runtime: AgentRuntime,
                                                                           store: SandboxStore, held) -> None:  # type: ignore[no-untyped-def]
    order, trace = held
    text = f"Good news: we've refunded ${order.total} for order {order.id}. Sorry again about the parcel."
    after = runtime.resume(trace.thread, {"action": "edit", "text": text, "pending": "approve"})
    refunds = store.order_refunds(order.id)
    assert len(refunds) == 1 and refunds[0].amount == order.total
    assert after.status == "sent" and after.pending_action is None and not after.awaiting_review
    assert _out(runtime, trace.thread) == [("reply", "human", text)]  # the person's words, not the template


def test_a_failed_approved_refund_sends_nothing_and_goes_to_a_person(runtime: AgentRuntime, store: SandboxStore,
                                                                     held) -> None:  # type: ignore[no-untyped-def]
    order, trace = held
    store.refund(order.id, Decimal(str(order.total)), "refunded by phone")  # someone refunded it meanwhile
    text = f"Good news: we've refunded ${order.total} for order {order.id}."
    after = runtime.resume(trace.thread, {"action": "edit", "text": text, "pending": "approve"})
    assert len(store.order_refunds(order.id)) == 1  # only the earlier one
    assert _out(runtime, trace.thread) == []
    assert after.status == "handed_off" and after.route == "handoff" and status_after(after) == "handed_off"
    assert any(r.startswith("the approved refund failed") and "nothing was sent" in r for r in after.reasons)
    assert after.draft == text  # the person's text is kept for their own reply


def test_deny_with_an_edit_drops_the_refund_and_sends_the_text(runtime: AgentRuntime, store: SandboxStore,
                                                               held) -> None:  # type: ignore[no-untyped-def]
    order, trace = held
    text = "I'm sorry about the parcel. We're sending a replacement instead of a refund; it ships tomorrow."
    after = runtime.resume(trace.thread, {"action": "edit", "text": text, "pending": "deny"})
    assert after.status == "sent" and after.pending_action is None and store.order_refunds(order.id) == []
    assert _out(runtime, trace.thread) == [("reply", "human", text)]


def test_keep_sends_the_text_and_the_refund_still_waits_for_approval(runtime: AgentRuntime, store: SandboxStore,
                                                                     held) -> None:  # type: ignore[no-untyped-def]
    order, trace = held
    kept = runtime.resume(trace.thread, {"action": "edit", "text": INTERIM, "pending": "keep"})
    assert kept.awaiting_review and kept.pending_action == trace.pending_action
    assert status_after(kept) == "needs_approval" and store.order_refunds(order.id) == []
    # an interim reply: it answers the platform's clock, not the request (the conversation stays open)
    assert _out(runtime, trace.thread) == [("acknowledgment", "human", INTERIM)]
    again = runtime.resume(trace.thread, {"action": "edit", "text": INTERIM, "pending": "keep"})
    assert len(_out(runtime, trace.thread)) == 1 and again.awaiting_review  # the same text is queued once
    approved = runtime.resume(trace.thread, {"action": "approve"})  # later, the write is approved as usual
    assert len(store.order_refunds(order.id)) == 1 and approved.status == "sent"
    assert [kind for kind, _, _ in _out(runtime, trace.thread)] == ["acknowledgment", "reply"]


def test_a_text_that_contradicts_the_choice_is_refused(runtime: AgentRuntime, store: SandboxStore, held) -> None:  # type: ignore[no-untyped-def]
    order, trace = held
    claim = f"We've refunded ${order.total} to your card."
    for choice, chose in (("keep", "keep it pending"), ("deny", "deny it")):
        after = runtime.resume(trace.thread, {"action": "edit", "text": claim, "pending": choice})
        assert after.awaiting_review and after.pending_action == trace.pending_action
        assert "the reply says the refund is done" in after.engine_notes[-1] and chose in after.engine_notes[-1]
    assert _out(runtime, trace.thread) == [] and store.order_refunds(order.id) == []


def test_a_rejected_draft_leaves_the_conversation_with_a_person(runtime: AgentRuntime, store: SandboxStore,
                                                                held) -> None:  # type: ignore[no-untyped-def]
    order, trace = held
    rejected = runtime.resume(trace.thread, {"action": "reject", "reason": "wrong tone"})
    assert rejected.status == "rejected" and not rejected.awaiting_review  # the turn's record: the draft was rejected
    assert status_after(rejected) == "handed_off"  # the conversation: open, waiting for a person
    assert rejected.route == "handoff" and rejected.reasons == ["draft rejected: wrong tone"]
    assert rejected.deadline == trace.deadline and "draft rejected: wrong tone" in (rejected.handoff_summary or "")
    assert _out(runtime, trace.thread) == [] and store.order_refunds(order.id) == []
