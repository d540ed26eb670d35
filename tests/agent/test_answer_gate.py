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
    settings = SellerSettings().with_autopilot(True, ["shopify"])
    args = dict(triage=Triage(intent="order_status", confidence=0.95), policy=load_policies()["shopify"],
                settings=settings, received_at=now, now=now, has_draft=True, compliance=None, handoff_reason=None,
                review_reason=None, needs_approval=False)
    assert decide(**args, human_approved=False).route == "auto_send"  # type: ignore[arg-type]
    held = decide(**args, human_approved=False, open_questions=["what colors?"])  # type: ignore[arg-type]
    assert held.route == "review" and 'the reply does not answer: "what colors?"' in held.reasons
    assert decide(**args, human_approved=True, open_questions=["what colors?"]).route == "auto_send"  # type: ignore[arg-type]


@pytest.mark.parametrize("piece", [
    "ordered the pour over set tuesday, is it shipping today or r u guys closed for thanksgiving lol",
    "I got the tent last week, can you tell me how to set it up",
    "Ordered a skillet Monday, when will it ship",
])
def test_a_question_inside_a_sentence_after_a_comma_is_a_question(piece: str) -> None:
    assert is_question(piece)


@pytest.mark.parametrize("piece", [
    "I ordered Tuesday, was charged twice",
    "Thanks so much, have a great day",
])
def test_a_bare_auxiliary_after_a_comma_is_still_a_statement(piece: str) -> None:
    assert not is_question(piece)


# --- what a plan answers, and what a question asks beyond it (agent/answer_check.residual) ---

def _gate(asked: list[Asked], reply: str) -> list[str]:
    from agent.answer_check import coverage, residual
    from agent.intent_vocabulary import vocabulary
    return unanswered(asked, reply, lambda q, r: coverage(q, r).answered,
                      lambda a, r: residual(a.text, r, vocabulary(a.plan_intent or a.intent),
                                            keep_asks=not a.answered_by_plan).answered)


STATUS_REPLY = ("Your order 579932509025524020 hasn't shipped yet: we're preparing it, and it ships by Friday, "
                "November 27. It should arrive by Thursday, December 3.")


def test_the_plans_own_question_needs_nothing_more_than_the_plans_answer() -> None:
    asked = [Asked("when will my order get here?", "order_status", 0.9, answered_by_plan=True,
                   plan_intent="order_status")]
    assert _gate(asked, STATUS_REPLY) == []


def test_a_follow_up_on_the_plans_topic_must_answer_what_it_adds() -> None:
    asked = [Asked("has my blanket shipped?", "order_status", 0.9, answered_by_plan=True),
             Asked("will it come with a gift receipt?", "order_status", 0.8, plan_intent="order_status"),
             Asked("is shipping free?", "order_status", 0.7, plan_intent="order_status")]
    assert _gate(asked, STATUS_REPLY) == ["will it come with a gift receipt?", "is shipping free?"]
    answered = STATUS_REPLY + " A gift receipt is in the box, and shipping on this order was free."
    assert _gate(asked, answered) == []
    # words the synonym table does not know ("parcel", a street) are not asked topics on their own
    asked = [Asked("where is my parcel?", "order_status", 0.9, plan_intent="order_status")]
    assert _gate(asked, STATUS_REPLY) == []


def test_a_further_question_on_the_same_topic_needs_its_own_answer() -> None:
    reply = ("I can pause your Morning Ritual Coffee Filters subscription (every 90 days, next order Thursday, "
             "February 4). Shall I go ahead? Reply \"yes\" to confirm.")
    asked = [Asked("how do I pause my coffee filter subscription for a while?", "subscription_change", 0.9,
                   answered_by_plan=True, plan_intent="subscription_change"),
             Asked("is there a fee for pausing", "subscription_change", 0.9, plan_intent="subscription_change")]
    assert _gate(asked, reply) == ["is there a fee for pausing"]  # dates and counts are not a price
    assert _gate(asked, reply + " Pausing is free.") == []


def test_a_packaging_question_beside_the_plans_topic_needs_its_own_answer() -> None:
    """"Do I have to put it back in the original box?" asks about packaging, which no return or refund answer
    says by itself: the reply goes to a person unless it speaks to the box."""
    reply = ("Your return for order 1708615424329 is approved. We haven't received it yet; you can follow it with "
             "return tracking 1ZV8W3190314050859. We refund within 2 calendar days of receiving it.")
    asked = [Asked("do i have to fit it back in the original box??", "return_request", 0.8,
                   plan_intent="refund_status"),
             Asked("how soon after u get it do i get my refund", "refund_status", 0.9, answered_by_plan=True,
                   plan_intent="refund_status")]
    assert _gate(asked, reply) == [asked[0].text]
    assert _gate(asked, reply + " You don't need the original box: any sturdy packaging works.") == []
    # a box named for something else is no answer to whether the original one is needed
    assert _gate(asked, reply + " Propane cylinders must not go in a return box.") == [asked[0].text]


def test_a_holiday_named_beside_the_status_question_needs_its_own_answer() -> None:
    """"Is it shipping today or are you closed for Thanksgiving?": the order's status does not say whether the
    store is closed on the holiday, whichever holiday the customer names (a delivery date does answer "will it
    come before Christmas", so the holiday alone is the status plan's topic; being closed is not)."""
    for holiday in ("Thanksgiving", "Memorial Day", "New Year's", "Christmas"):
        question = f"is it shipping today or r u guys closed for {holiday}?"
        asked = [Asked(question, "order_status", 0.9, answered_by_plan=True, plan_intent="order_status")]
        assert _gate(asked, STATUS_REPLY) == [question], holiday
        assert _gate(asked, STATUS_REPLY + f" We're closed on {holiday}, so it ships the day after.") == [], holiday


def test_the_words_of_the_orders_situation_in_a_question_a_plan_answered_are_not_open_topics() -> None:
    """"Is it too late to return the skillet?", "where's my refund for the apron I sent back??", "any update on my
    refund for the broken grinder??": the plan's answer speaks to the situation by answering the request; only
    what the question names beyond it (the original box) is checked (agent/nodes/route.py `_given`)."""
    from agent.answer_check import residual
    from agent.nodes.route import _given
    reply = "Your return for order #1576 is received, and the refund is due by Tuesday, December 1."
    for text, intent in [("is it too late to return the 10 inch skillet?", "return_request"),
                         ("where's my refund for the apron I sent back??", "refund_status"),
                         ("any update on my refund for the broken grinder??", "refund_status")]:
        asked = Asked(text, intent, 0.9, answered_by_plan=True, plan_intent=intent)
        assert residual(text, reply, _given(asked), keep_asks=False).answered, text
    boxed = Asked("do i have to fit it back in the original box??", "return_request", 0.9, answered_by_plan=True,
                  plan_intent="return_request")
    assert not residual(boxed.text, reply, _given(boxed), keep_asks=False).answered
    # a further question on the plan's topic that no plan answered still gets no such allowance
    further = Asked("is it too late to return the skillet?", "return_request", 0.9, plan_intent="return_request")
    assert _given(further).concepts < _given(boxed).concepts


def test_a_question_no_plan_speaks_to_is_checked_whole() -> None:
    asked = [Asked("Would your 4 person tent actually fit me, my wife and our 2 kids?", "product_question", 0.8)]
    reply = "Your Ridgeline 2-Person Tent from order 1000519827572 can be returned until Sunday, January 31."
    assert _gate(asked, reply) == [asked[0].text]


def test_an_intents_own_words_are_learned_from_its_examples() -> None:
    from agent.answer_check import stem
    from agent.intent_vocabulary import vocabulary
    assert stem("pause") in vocabulary("subscription_change").stems
    assert "refund" in vocabulary("refund_status").concepts
    assert stem("thanksgiving") not in vocabulary("order_status").stems
    assert vocabulary("no_such_intent").stems == frozenset()


def test_the_main_plan_answers_a_question_only_if_it_may_be_the_main_request() -> None:
    from agent.nodes.act import _primary_question
    from agent.triage.classifier import IntentGuess

    def guess(intent: str, confidence: float, runner_up: str | None = None, similarity: float = 0.8) -> IntentGuess:
        return IntentGuess(intent=intent, confidence=confidence, nearest_similarity=similarity, runner_up=runner_up)  # type: ignore[arg-type]

    fit, money = "Would your 4 person tent fit my family?", "how long till I get the money back?"
    read = {fit: guess("product_question", 0.9, "return_request"), money: guess("refund_status", 0.85, "policy_question")}
    assert _primary_question([fit], read, "return_request") == fit  # its other reading is the main request
    read[fit] = guess("product_question", 0.59, "other")
    assert _primary_question([fit], read, "return_request") is None
    assert _primary_question([money], read, "cancel_order") is None  # confidently something else
    read[money] = guess("refund_status", 0.4, "policy_question")
    assert _primary_question([money], read, "cancel_order") == money  # an unsure reading may be the request
    happen = "did that actually happen??"
    read[happen] = guess("damaged_or_wrong_item", 0.55, "complaint", similarity=0.4)
    assert _primary_question([happen], read, "refund_status") == happen  # unlike any example: leans on the message


def test_a_question_about_money_is_open_until_the_reply_names_money_whichever_plan_answered_it() -> None:
    """`ALWAYS_ASKED`: a plan's result stands in for the kinds of answer its question asks ("when will it
    come" is answered by the status), except a cost: "how much do I save with the subscription?" is not
    answered by a resume offer that gives a date and a size, only by the discount itself."""
    from agent.answer_check import residual
    from agent.nodes.route import _given
    offer = ("I can resume your Cast Iron Conditioner, 8 fl oz (Single Bottle) subscription (every 90 days; resuming "
             "it today makes your next order Wednesday, February 24). Shall I go ahead?")
    question = "And remind me, how much do I save with the subscription vs just buying it?"
    asked = Asked(question, "subscription_change", 0.9, answered_by_plan=True, plan_intent="subscription_change")
    assert not residual(question, offer, _given(asked), keep_asks=False).answered
    assert residual(question, offer + " Subscribe & Save takes 10% off every delivery.", _given(asked),
                    keep_asks=False).answered
    # a kind a plan's result does stand in for is still left to it
    when = Asked("when would the next one ship?", "subscription_change", 0.9, answered_by_plan=True,
                 plan_intent="subscription_change")
    assert residual(when.text, "I can resume your subscription. Shall I go ahead?", _given(when),
                    keep_asks=False).answered
