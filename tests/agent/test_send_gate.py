"""The auto-send gate's holds beyond the answer check (agent/send_gate.py): a which-order reply that leaves the
message's other questions for later, and a message read as a new topic while the agent waited for an answer."""

from __future__ import annotations

from datetime import UTC, datetime

from agent.answer_gate import unanswered
from agent.answer_check import residual
from agent.intent_vocabulary import vocabulary
from agent.nodes.route import _open_questions
from agent.routing import decide
from agent.plans import PlanOutcome
from agent.schemas import Draft, PriorTurn, Triage
from agent.seller_settings import SellerSettings
from agent.send_gate import clarifying_questions, prior_turn, topic_change
from tools.policy.loader import load_policies
from tools.sandbox.store import SandboxStore

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
WHICH = PlanOutcome(template="which_order", awaiting="order_id")
WHICH_REPLY = ("Hi Sam,\n\nI'd be glad to check. Which order do you mean: the Lantern (order #1001, placed Monday) "
               "or the Lantern and Mug (order #1002, placed Tuesday)? Reply with the product or the order number "
               "and I'll look it up.\n\n— The Northfork Goods team")


def _open(text: str, intent: str, reply: str, outcome: PlanOutcome | None = WHICH) -> list[str]:
    state = {"text": text, "triage": Triage(intent=intent, confidence=0.9), "outcome": outcome,  # type: ignore[arg-type]
             "asked": [], "draft": Draft(text=reply, engine="templates")}
    return _open_questions(state, [])  # type: ignore[arg-type]


# ------------------------------------------------------------------ a reply that only asks which order

def test_clarifying_questions_only_for_a_reply_that_asks_which_order() -> None:
    text = "I want to send the lantern back. Who pays the return shipping?"
    found = clarifying_questions(text, "return_request", 0.9, WHICH, [])
    assert [a.text for a in found] == ["Who pays the return shipping?"]
    assert all(a.plan_intent == "return_request" and a.answered_by_plan for a in found)
    offer = PlanOutcome(template="return_offer", awaiting="confirmation")
    assert clarifying_questions(text, "return_request", 0.9, offer, []) == []
    recorded = [{"text": "Who pays the return shipping?", "intent": "return_request", "confidence": 0.9}]
    assert clarifying_questions(text, "return_request", 0.9, WHICH, recorded) == []  # a plan already recorded them


def test_which_order_reply_holds_a_question_beyond_the_request() -> None:
    assert _open("I want to send the lantern back. Who pays the return shipping?", "return_request",
                 WHICH_REPLY) == ["Who pays the return shipping?"]


def test_which_order_reply_goes_alone_when_the_question_is_the_request_itself() -> None:
    """"Where is my order?" is what the reply asks the order for: nothing beyond it waits."""
    assert _open("where is my order?? it's been days", "order_status", WHICH_REPLY) == []
    assert _open("did my refund go through?", "refund_status", WHICH_REPLY) == []
    assert _open("please cancel my order, clicked buy by mistake", "cancel_order", WHICH_REPLY) == []


def test_clarifying_check_is_the_same_residual_check_as_a_plans_follow_up() -> None:
    asked = clarifying_questions("Can I return it? Is there a restocking fee?", "return_request", 0.9, WHICH, [])
    held = unanswered(asked, WHICH_REPLY, lambda q, r: True,
                      lambda a, r: residual(a.text, r, vocabulary(a.plan_intent or a.intent), keep_asks=False).answered)
    assert held == ["Is there a restocking fee?"]


def test_a_persons_own_reply_is_never_held_for_open_questions() -> None:
    state = {"text": "Can I return it? Who pays shipping?", "triage": Triage(intent="return_request", confidence=0.9),
             "outcome": WHICH, "asked": [], "draft": Draft(text=WHICH_REPLY, engine="human")}
    assert _open_questions(state, []) == []  # type: ignore[arg-type]


# ------------------------------------------------------------------ a new topic while the agent waited

def test_prior_turn_is_what_the_earlier_turn_waited_for() -> None:
    assert prior_turn({"active_intent": "subscription_change", "awaiting": "confirmation"}) == PriorTurn(
        intent="subscription_change", awaiting="confirmation")
    assert prior_turn({"active_intent": "order_status", "awaiting": None}) is None
    assert prior_turn({}) is None


def test_topic_change_while_waiting_for_a_yes_is_named() -> None:
    prior = PriorTurn(intent="change_address", awaiting="confirmation")
    reason = topic_change(prior, "cancel_order", "classifier")
    assert reason is not None and "change address" in reason and "cancel order" in reason and "yes or no" in reason


def test_no_topic_change_when_nothing_was_awaited_or_the_topic_held() -> None:
    assert topic_change(None, "cancel_order", "classifier") is None
    assert topic_change(PriorTurn(intent="order_status", awaiting=None), "return_request", "classifier") is None
    assert topic_change(PriorTurn(intent="cancel_order", awaiting="confirmation"), "cancel_order", "classifier") is None
    # the conversation explained the message (a yes, the order number asked for): that is the answer
    waiting = PriorTurn(intent="cancel_order", awaiting="confirmation")
    assert topic_change(waiting, "refund_status", "conversation") is None
    assert topic_change(PriorTurn(intent=None, awaiting="order_id"), "refund_status", "classifier") is None


def _decide(**kw):  # type: ignore[no-untyped-def]
    settings = SellerSettings().with_autopilot(True)
    return decide(triage=Triage(intent="cancel_order", confidence=0.95), policy=load_policies()["shopify"],
                  settings=settings, received_at=NOW, now=NOW, has_draft=True, compliance=None, handoff_reason=None,
                  review_reason=None, needs_approval=False, **kw)


def test_decide_holds_a_topic_change_for_review_until_a_person_approves() -> None:
    reason = topic_change(PriorTurn(intent="change_address", awaiting="confirmation"), "cancel_order", "classifier")
    held = _decide(human_approved=False, topic_change=reason)
    assert held.route == "review" and reason in held.reasons
    assert _decide(human_approved=True, topic_change=reason).route == "auto_send"
    assert _decide(human_approved=False, topic_change=None).route == "auto_send"


# ------------------------------------------------------------------ end to end

def test_a_new_topic_after_an_offer_waits_for_a_person(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    """The agent offered a subscription change and waits for a yes; the next message reads as another request.
    It may be the answer in other words, so the reply waits for a person, with the reason; a plain yes still
    goes alone."""
    sub = next(s for s in store.list_records("subscriptions") if s.status == "active")
    first = say(sub.customer_id, "shopify", "can I skip my next subscription delivery?")
    assert first.pending_action and first.route == "auto_send"
    second = say(sub.customer_id, "shopify", "hmm wait, where is my last order? has it shipped yet?",
                 thread=first.thread)
    assert second.intent != "subscription_change"
    assert second.route == "review"
    assert any("waited for the customer's yes or no on subscription change" in r for r in second.reasons)

    other = say(sub.customer_id, "shopify", "can I skip my next subscription delivery?", thread="t-yes")
    assert other.pending_action
    assert say(sub.customer_id, "shopify", "yes please", thread="t-yes").route == "auto_send"
