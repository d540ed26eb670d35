"""The auto-send gate's pure parts (agent/answer_gate.py): which pieces are questions, which stay open."""

from __future__ import annotations

import pytest

from agent.answer_gate import Asked, is_question, questions, review_reason, unanswered


@pytest.mark.parametrize("piece", [
    "where is my order?",
    "1) where is my Tailgate grill",
    "2) if it turns out too small, how long do I have to send it back?",
    "Also, did you take a restocking fee out of it",
    "And can it go in the dishwasher",
    "is there a fee for pausing",
    "I was wondering whether the lid is oven safe",
    "Please let me know when it ships",
    "¿Dónde está mi pedido?",
    "cuándo llega mi pedido",
    "what colors 😍",
])
def test_questions_by_their_form(piece: str) -> None:
    assert is_question(piece)


@pytest.mark.parametrize("piece", [
    "Cancel the juniper grill I ordered Monday.",
    "I already checked the porch and asked both neighbors.",
    "Thanks so much!",
    "ok?",  # too short to be a question about anything
    "The kids are going to get them dirty for sure.",
    "Hello,",
])
def test_statements_and_requests_to_act_are_not_questions(piece: str) -> None:
    assert not is_question(piece)


def test_questions_come_from_the_customers_own_words_only() -> None:
    text = ("Has my refund gone through? I don't see anything on my card yet. Also, did you take a restocking fee "
            "out of it?\n\nOn Tue, Nov 24, 2026 Northfork Goods wrote:\n> Is there anything else I can help with?")
    assert questions(text) == ["Has my refund gone through?", "Also, did you take a restocking fee out of it?"]


def covers_by_word(question: str, reply: str) -> bool:
    """A stand-in answer check: the question's last word appears in the reply."""
    return question.rstrip("?").split()[-1].lower() in reply.lower()


def test_a_question_a_plan_answered_needs_no_words_in_the_reply() -> None:
    asked = [Asked("Has my refund gone through?", "refund_status", 0.9, answered_by_plan=True),
             Asked("did you take a restocking fee out of it?", "refund_status", 0.8)]
    reply = "We issued a refund of $30.33 for order 111 on Tuesday."
    assert unanswered(asked, reply, covers_by_word) == ["did you take a restocking fee out of it?"]
    assert unanswered(asked, reply + " No fee was taken out of it.", covers_by_word) == []


def test_the_reviewer_reads_the_open_questions() -> None:
    assert review_reason([]) is None
    reason = review_reason(["is there a fee for pausing?", "what colors?"])
    assert reason == 'the reply does not answer: "is there a fee for pausing?"; "what colors?"'
    many = review_reason([f"question number {i}?" for i in range(5)])
    assert many is not None and many.endswith("(and 2 more)")
    long = review_reason(["why " * 40 + "?"])
    assert long is not None and len(long) < 140


def test_an_open_question_sends_the_reply_to_review_unless_a_person_approved_it() -> None:
    from datetime import UTC, datetime

    from agent.routing import decide
    from agent.schemas import Triage
    from agent.seller_settings import SellerSettings
    from tools.policy.loader import load_policies

    now = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    settings = SellerSettings().model_copy(deep=True)
    for channel in ("shopify",):
        settings.channel(channel).autopilot = True
    args = dict(triage=Triage(intent="order_status", confidence=0.95), policy=load_policies()["shopify"],
                settings=settings, received_at=now, now=now, has_draft=True, compliance=None, handoff_reason=None,
                review_reason=None, needs_approval=False)
    assert decide(**args, human_approved=False).route == "auto_send"  # type: ignore[arg-type]
    held = decide(**args, human_approved=False, open_questions=["what colors?"])  # type: ignore[arg-type]
    assert held.route == "review" and 'the reply does not answer: "what colors?"' in held.reasons
    assert decide(**args, human_approved=True, open_questions=["what colors?"]).route == "auto_send"  # type: ignore[arg-type]
