"""Issue 20, a write waiting for approval when the customer writes again: the earlier turn is carried into the
new one (agent/held_turn.py), never dropped. One reply answers both messages, the refund still waits for a
person (and approving it makes it), the more urgent urgency and the earlier deadline stay, and a write the
new message drops is said so."""

from __future__ import annotations

from datetime import UTC, datetime

from agent.held_turn import FOLDED_REASON, combine_texts, dropped_write, merge_decisions
from agent.runtime import AgentRuntime
from agent.schemas import Decision
from tools.results import PendingAction
from runtime.worker import status_after
from tests.agent.test_review_pending_choice import _out, held  # noqa: F401  (the same lost-parcel set-up)
from tools.sandbox.store import SandboxStore

LIDS = "also, do you sell replacement lids?"


# ------------------------------------------------------------------ pure parts

def test_two_drafts_become_one_reply_with_one_greeting_and_one_sign_off() -> None:
    first = "Hi Ann,\n\nYour parcel is lost; a refund is being arranged.\n\n— The team"
    second = "Hi Ann,\n\nYes, we sell lids.\n\n— The team"
    assert combine_texts(first, second) == ("Hi Ann,\n\nYour parcel is lost; a refund is being arranged.\n\n"
                                            "Yes, we sell lids.\n\n— The team")
    assert combine_texts(first, first) == first  # nothing new: nothing added
    assert combine_texts(None, second) == second and combine_texts(first, None) == first
    # no shared greeting or sign-off: both parts kept whole, the earlier first
    assert combine_texts("A.", "B.") == "A.\n\nB."


def test_the_folded_decision_keeps_the_most_urgent_and_the_oldest_clock() -> None:
    earlier = Decision(urgency="high", urgency_reasons=["lost parcel"], priority="high", route="review",
                       deadline=datetime(2026, 11, 27, tzinfo=UTC),
                       reasons=["a write above the seller's threshold needs approval"])
    new = Decision(urgency="normal", urgency_reasons=[], priority="normal", deadline=datetime(2026, 11, 28, tzinfo=UTC),
                   reasons=["low confidence (0.40)", "autopilot is off for Amazon"], route="review")
    merged = merge_decisions(earlier, new, {"autopilot is off for Amazon"})
    assert merged.urgency == "high" and merged.priority == "high" and merged.urgency_reasons == ["lost parcel"]
    assert merged.deadline == datetime(2026, 11, 27, tzinfo=UTC)
    assert merged.reasons == ["a write above the seller's threshold needs approval", "low confidence (0.40)",
                                 FOLDED_REASON]


def test_a_dropped_write_says_why() -> None:
    write = {"tool": "refund", "args": {"amount": "10"}, "summary": "refund $10", "needs_approval": True}
    held = {"pending_action": write}  # the held turn is JSON (agent/held_turn.py); the state holds the model
    pending = PendingAction.model_validate(write)
    assert dropped_write(held, {"pending_action": pending}, executed=False) is None
    assert dropped_write(held, {"pending_action": None}, executed=True) is None
    assert dropped_write(held, {"pending_action": None, "status": "handed_off"}, False)["why"].startswith(
        "the new message went to a person")
    other = pending.model_copy(update={"args": {"amount": "99"}})
    assert dropped_write(held, {"pending_action": other}, False)["why"].startswith("replaced by")
    assert dropped_write({"pending_action": {**write, "needs_approval": False}}, {}, False) is None


# ------------------------------------------------------------------ the real runtime

def test_a_new_message_keeps_the_refund_waiting_and_the_draft_answers_both(runtime: AgentRuntime, store: SandboxStore,
                                                                         say, held) -> None:  # type: ignore[no-untyped-def]
    order, first = held
    again = say(order.customer_id, "amazon", LIDS, thread=first.thread)
    assert again.awaiting_review and again.pending_action == first.pending_action  # still approvable
    assert status_after(again) == "needs_approval" and again.dropped_write is None
    assert again.urgency == first.urgency and again.deadline == first.deadline  # the oldest unanswered clock
    assert "a write above the seller's threshold needs approval" in again.reasons and FOLDED_REASON in again.reasons
    assert not any(r.startswith("autopilot is off") for r in again.reasons)  # the fold's doing, not the seller's
    earlier_body = first.draft.split("\n\n")[1]  # type: ignore[union-attr]
    assert earlier_body in (again.draft or "") and again.draft != first.draft  # the lost parcel + the lids answer
    assert again.draft.count("Hi ") == 1  # type: ignore[union-attr]
    assert any("still waits for approval" in n for n in again.engine_notes)
    assert _out(runtime, first.thread) == [] and store.order_refunds(order.id) == []  # nothing went out alone


def test_approving_the_carried_refund_makes_it_and_sends_one_reply(runtime: AgentRuntime, store: SandboxStore,
                                                                   say, held) -> None:  # type: ignore[no-untyped-def]
    order, first = held
    again = say(order.customer_id, "amazon", LIDS, thread=first.thread)
    lids_part = [p for p in (again.draft or "").split("\n\n") if p not in (first.draft or "").split("\n\n")]
    assert lids_part  # the answer to the new message
    approved = runtime.resume(first.thread, {"action": "approve"})
    refunds = store.order_refunds(order.id)
    assert len(refunds) == 1 and str(refunds[0].amount) == first.pending_action["args"]["amount"]  # type: ignore[index]
    assert approved.status == "sent" and approved.pending_action is None and not approved.awaiting_review
    sent = _out(runtime, first.thread)
    assert len(sent) == 1 and sent[0][0] == "reply"
    assert all(p in sent[0][2] for p in lids_part)  # the lids answer went with the refund's reply


def test_a_third_message_still_carries_the_first_refund(runtime: AgentRuntime, store: SandboxStore, say,
                                                        held) -> None:  # type: ignore[no-untyped-def]
    order, first = held
    say(order.customer_id, "amazon", LIDS, thread=first.thread)
    third = say(order.customer_id, "amazon", "hello?", thread=first.thread)
    assert third.awaiting_review and third.pending_action == first.pending_action
    approved = runtime.resume(first.thread, {"action": "approve"})
    assert len(store.order_refunds(order.id)) == 1 and approved.status == "sent"


def test_deny_after_a_fold_drops_the_refund_and_keeps_the_conversation_with_a_person(
        runtime: AgentRuntime, store: SandboxStore, say, held) -> None:  # type: ignore[no-untyped-def]
    order, first = held
    say(order.customer_id, "amazon", LIDS, thread=first.thread)
    denied = runtime.resume(first.thread, {"action": "deny_action", "reason": "replacement instead"})
    assert status_after(denied) == "handed_off" and store.order_refunds(order.id) == []
    assert _out(runtime, first.thread) == []


def test_keep_then_a_new_message_still_carries_the_refund(runtime: AgentRuntime, store: SandboxStore, say,
                                                          held) -> None:  # type: ignore[no-untyped-def]
    order, first = held
    interim = "I'm sorry about the lost parcel. A colleague is reviewing your refund today and we'll write again."
    runtime.resume(first.thread, {"action": "edit", "text": interim, "pending": "keep"})
    again = say(order.customer_id, "amazon", LIDS, thread=first.thread)
    assert again.awaiting_review and again.pending_action == first.pending_action
    assert [k for k, _, _ in _out(runtime, first.thread)] == ["acknowledgment"]


def test_a_hello_that_would_go_to_a_person_waits_in_the_review_with_the_refund(
        runtime: AgentRuntime, store: SandboxStore, say, held) -> None:  # type: ignore[no-untyped-def]
    order, first = held
    chase = say(order.customer_id, "amazon", "hello?", thread=first.thread)
    assert chase.awaiting_review and chase.pending_action == first.pending_action and chase.dropped_write is None
    assert chase.draft == first.draft  # the earlier answer, still to approve
    assert chase.urgency == first.urgency and status_after(chase) == "needs_approval"


def test_a_chargeback_takes_the_conversation_to_a_person_and_the_dropped_refund_is_said(
        runtime: AgentRuntime, store: SandboxStore, say, held) -> None:  # type: ignore[no-untyped-def]
    order, first = held
    angry = say(order.customer_id, "amazon", "forget it, I'm filing a chargeback with my bank", thread=first.thread)
    assert status_after(angry) == "handed_off" and angry.pending_action is None and store.order_refunds(order.id) == []
    assert angry.dropped_write == {"write": first.pending_action, "why": "the new message went to a person, who decides it"}
