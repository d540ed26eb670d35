"""Issue 11, class 9: the reply's tone.

- "Are you a bot?" gets the honest answer of the automated-replies-disclosure article on every channel, and
  the offer of a person; with another question the agent answers, the honest line comes first. "I want a
  human" goes to a person with the usual acknowledgment. A story about an earlier person is neither.
- Subscriptions are named by their product, never by the internal subscription id or SKU (unless the
  customer wrote it).
- An upset customer gets one short acknowledgment first, unless the reply already apologizes: one apology
  at most.
"""

from __future__ import annotations

import re
import string
import time

import pytest

from agent import tone
from agent.schemas import Triage
from agent.templates import TEMPLATES, render
from agent.triage import rules
from tools.sandbox.store import SandboxStore

# ---------------------------------------------------------------- the detector

ASKS_IF_AUTOMATED = [
    "are you a bot?", "Is this a real person?", "am I talking to AI?", "¿eres un robot?", "is this automated?",
    "r u a bot or a real person lol", "Am I talking to a real person or a computer?", "is this an automated reply?",
    "Is this AI generated", "are these replies automated?", "who am I talking to?",
    "is there a real person reading this?", "you're a bot, aren't you", "you sound like a robot", "bot?",
    "human or bot?", "¿Es usted una persona real o un robot?", "hablo con una persona o con un robot?",
    "¿hay alguien real ahí?", "are you human?", "Was this written by a bot?", "am i chatting with a machine",
    "Hi, quick question: are you a real person? Also where is my order #1234",
]
NOT_ABOUT_THE_ASSISTANT = [
    "I talked to a real person last time and she said I could return it after 60 days",
    "is this robot vacuum any good", "are you people serious?", "is this a human error on the label?",
    "is this real leather?", "are you open on sunday", "the bot on your website said shipping was free",
    "Is this tent good for 4 people?", "the blender sounds like a machine gun", "I need a 4 person tent",
    "I need a two person tent", "I want a person-sized sleeping bag", "I spoke with an agent who said it shipped",
    "stop automatic renewals please", "can you talk to the carrier for me", "hello?? anyone there",
    "eres una persona muy amable, gracias",
]
ASKS_FOR_PERSON = [
    "I want a human", "can I talk to a real person?", "agent please", "quiero hablar con una persona",
    "Human please.", "let me speak to a manager", "get me a real person", "is there a person I can talk to?",
    "connect me with an agent", "I'd rather talk to a human", "no more bots", "I don't want to talk to a bot",
    "a human, not a bot", "Quiero hablar con un gerente, no con un bot.", "person",
    "transfer me to a representative", "I already talked to a bot, now I want a human",
]
NO_PERSON_ASKED = [
    "I talked to a real person last time and she said I could return it after 60 days",
    "I don't need to talk to a person, just tell me the tracking number",
    "I was transferred to an agent yesterday and nothing happened",
    "she told me to talk to a manager about it", "is this a real person?",
]


@pytest.mark.parametrize("text", ASKS_IF_AUTOMATED)
def test_the_bot_question_is_recognised(text: str) -> None:
    assert rules.asks_if_automated(text)
    assert "asks_if_automated" in rules.risk_flags(text)


@pytest.mark.parametrize("text", NOT_ABOUT_THE_ASSISTANT)
def test_a_message_that_only_mentions_people_or_machines_is_no_bot_question(text: str) -> None:
    assert not rules.asks_if_automated(text)
    assert "asks_if_automated" not in rules.risk_flags(text)


@pytest.mark.parametrize("text", ASKS_FOR_PERSON)
def test_a_request_for_a_person_is_recognised(text: str) -> None:
    assert rules.asks_for_person(text)
    assert "asks_for_person" in rules.risk_flags(text)


@pytest.mark.parametrize("text", NO_PERSON_ASKED + NOT_ABOUT_THE_ASSISTANT)
def test_an_earlier_person_a_denial_or_a_product_is_no_request_for_a_person(text: str) -> None:
    assert not rules.asks_for_person(text)


def test_the_detector_stays_linear_on_long_adversarial_text() -> None:
    for fragment in ("I don't need to talk to a person ", "are you a ", "talk to a, ", "is this a real "):
        text = fragment * (50_000 // len(fragment))
        start = time.perf_counter()
        rules.risk_flags(text)
        assert time.perf_counter() - start < 1.0, fragment


@pytest.mark.parametrize(("text", "alone"), [
    ("are you a bot?", True), ("Hi, are you a bot? lol", True), ("Am I talking to a real person or a computer?", True),
    ("¿eres un robot?", True), ("are you a bot? where is my order", False),
    ("are you a bot, and can you tell me when my order ships?", False),
])
def test_the_disclosure_is_the_whole_reply_only_when_nothing_else_is_asked(text: str, alone: bool) -> None:
    assert tone.disclosure_only(text) is alone


# ---------------------------------------------------------------- the opener

def _triage(sentiment: str = "neutral", intent: str = "order_status", flags: tuple[str, ...] = (),
            language: str = "en") -> Triage:
    return Triage(intent=intent, confidence=0.9, sentiment=sentiment, risk_flags=list(flags),  # type: ignore[arg-type]
                  language=language)


def _slots(key: str) -> dict[str, str]:
    return {f: "x" for _, f, _, _ in string.Formatter().parse(TEMPLATES[key]) if f}


def test_an_upset_customer_gets_one_acknowledgment_chosen_by_the_situation() -> None:
    late = tone.opening(_triage("negative"), "status_in_transit")
    assert late == tone.EMPATHY["en"]["late"]
    assert tone.opening(_triage("negative", "refund_status"), "refund_issued") == tone.EMPATHY["en"]["money"]
    assert tone.opening(_triage("negative", "return_request"), "return_offer") == tone.EMPATHY["en"]["return"]
    assert tone.opening(_triage("negative", "damaged_or_wrong_item"), "which_order") == \
        tone.EMPATHY["en"]["arrived_wrong"]
    assert tone.opening(_triage("negative", "cancel_order"), "cancel_offer") == tone.EMPATHY["en"]["general"]
    assert tone.opening(_triage("neutral", "cancel_order", flags=("abusive",)), "cancel_offer") == \
        tone.EMPATHY["en"]["general"]
    assert tone.opening(_triage("negative", language="es"), "status_in_transit") == tone.EMPATHY["es"]["late"]


def test_calm_and_happy_customers_get_no_opener() -> None:
    assert tone.opening(_triage("neutral"), "status_in_transit") is None
    assert tone.opening(_triage("positive", "review_feedback"), "thanks_reply") is None
    assert tone.opening(_triage("negative"), "handoff") is None
    assert tone.opening(_triage("negative", "cancel_order"), "action_declined") is None


def test_a_reply_that_already_apologizes_gets_no_second_apology() -> None:
    assert tone.opening(_triage("negative"), "status_delayed") is None
    assert tone.opening(_triage("negative"), "status_in_transit",
                        extra=[{"template": "cancel_too_late", "slots": {}}]) is None
    assert tone.opening(_triage("negative", "policy_question"), "policy_answer",
                        {"answer": "We're sorry, opened coffee can't be returned."}) is None


@pytest.mark.parametrize("key", sorted(k for k in TEMPLATES if k not in ("handoff",)))
def test_every_template_says_sorry_at_most_once_for_an_upset_customer(key: str) -> None:
    slots = _slots(key)
    opener = tone.opening(_triage("negative"), key, slots)
    text = render(key, slots, first_name="Jordan", opening=opener)
    assert len(re.findall(r"\b(?:sorry|apologi[sz]e)\b", text, re.I)) <= 1, text


def test_the_opener_goes_right_after_the_greeting() -> None:
    text = render("status_in_transit", _slots("status_in_transit"), first_name="Jordan", opening="I'm sorry.")
    assert text.startswith("Hi Jordan,\n\nI'm sorry. Your order x is on its way")


def test_the_bot_question_is_answered_first_and_replaces_the_empathy_opener() -> None:
    asked = _triage("negative", flags=("asks_if_automated",))
    opener = tone.opening(asked, "status_in_transit")
    assert opener == f"{tone.DISCLOSURE['en']} {tone.OFFER_PERSON['en']}"
    assert tone.opening(asked, tone.DISCLOSURE_TEMPLATE) == tone.DISCLOSURE["en"]  # the template offers a person
    assert tone.opening(_triage(flags=("asks_if_automated",), language="es"), "status_in_transit").startswith(
        tone.DISCLOSURE["es"])
    assert tone.opening(_triage(flags=("asks_if_automated",), language="fr"), "status_in_transit") is None


# ---------------------------------------------------------------- through the graph

PLATFORMS = ["amazon", "walmart", "shopify", "tiktok", "ebay", "facebook", "instagram"]


def _customer(store: SandboxStore, platform: str):  # type: ignore[no-untyped-def]
    return next(c for c in store.list_customers() if platform in c.platforms)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_are_you_a_bot_gets_the_honest_answer_and_a_person_on_offer_on_every_channel(
        say, runtime, store: SandboxStore, platform: str) -> None:  # type: ignore[no-untyped-def]
    trace = say(_customer(store, platform).id, platform, "hi, am I talking to a real person or a bot?")
    assert "asks_if_automated" in trace.risk_flags
    assert tone.DISCLOSURE["en"] in trace.draft and 'reply "person"' in trace.draft
    assert trace.draft.index(tone.DISCLOSURE["en"]) < trace.draft.index("I look up orders")
    assert trace.compliance["ok"], trace.compliance
    assert trace.route == "auto_send" and trace.status == "sent" and trace.tool_calls == []
    assert [r.message.text for r in runtime.context.outbox.for_conversation(trace.thread)] == [trace.draft]


def test_replying_person_after_the_disclosure_hands_the_conversation_over(say, runtime, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    customer = _customer(store, "amazon")
    first = say(customer.id, "amazon", "is this automated?")
    second = say(customer.id, "amazon", "person", thread=first.thread)
    assert "asks_for_person" in second.risk_flags
    assert second.route == "handoff" and any("asked for a person" in r for r in second.reasons)
    assert second.draft is None and "passed it to a member of our team" in second.acknowledgment


def test_i_want_a_human_goes_to_a_person_even_with_a_question_the_agent_could_answer(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order = next(o for o in store.find_orders(platform="walmart", status="in_transit", limit=None))
    trace = say(order.customer_id, "walmart", f"where is order {order.id}? I want to talk to a real person")
    assert trace.route == "handoff" and trace.draft is None and trace.tool_calls == []
    assert any("asked for a person" in r for r in trace.reasons) and trace.acknowledgment


def test_the_honest_line_comes_first_and_the_answer_follows(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order = next(o for o in store.find_orders(platform="amazon", status="in_transit", limit=None)
                 if not any(e.type in ("delayed", "exception", "lost") for s in o.shipments for e in s.events))
    trace = say(order.customer_id, "amazon", f"are you a bot? where is my order {order.id}")
    assert trace.intent == "order_status" and "asks_if_automated" in trace.risk_flags
    assert trace.draft.index(tone.DISCLOSURE["en"]) < trace.draft.index(order.id)
    assert 'reply "person"' in trace.draft and trace.compliance["ok"]
    assert trace.route == "auto_send", trace.reasons  # the honest line answers "are you a bot?" for the gate


def test_a_story_about_an_earlier_person_is_answered_as_usual(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    customer = _customer(store, "shopify")
    trace = say(customer.id, "shopify", "I talked to a real person last time and she said I could return my "
                                         "skillet after 60 days. Is that right?")
    assert not {"asks_if_automated", "asks_for_person"} & set(trace.risk_flags)
    assert tone.DISCLOSURE["en"] not in (trace.draft or "")


def test_an_upset_customer_hears_one_apology_first(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order = next(o for o in store.find_orders(platform="amazon", status="in_transit", limit=None)
                 if not any(e.type in ("delayed", "exception", "lost") for s in o.shipments for e in s.events))
    trace = say(order.customer_id, "amazon", f"this is ridiculous, where is my order {order.id}??")
    assert trace.draft.split("\n\n")[1].startswith(f"{tone.EMPATHY['en']['late']} Your order {order.id}")
    assert trace.draft.count("sorry") == 1 and trace.compliance["ok"]
    delayed = next(o for o in store.find_orders(platform="amazon", status="in_transit", limit=None)
                   if any(e.type == "delayed" for s in o.shipments for e in s.events))
    late = say(delayed.customer_id, "amazon", f"my package {delayed.id} is late, this is unacceptable")
    assert late.draft.count("sorry") == 1 and tone.EMPATHY["en"]["late"] not in late.draft


# ---------------------------------------------------------------- subscriptions by product name

def _active_subscription(store: SandboxStore):  # type: ignore[no-untyped-def]
    return next(s for s in store.list_records("subscriptions") if s.status == "active")


def _product_words(store: SandboxStore, sku: str) -> str:
    product, _ = store.get_variant(sku)
    return product.name.removeprefix("Northfork ")


@pytest.mark.parametrize(("text", "answer"), [
    ("can I skip my next subscription delivery?", "yes"),
    ("I'd like to pause my subscription for a while", "yes please"),
    ("what can I do with my subscription?", None),
])
def test_subscription_replies_name_the_product_not_internal_ids(say, store: SandboxStore, text: str,
                                                                answer: str | None) -> None:  # type: ignore[no-untyped-def]
    sub = _active_subscription(store)
    first = say(sub.customer_id, "shopify", text)
    replies = [first]
    if answer:
        replies.append(say(sub.customer_id, "shopify", answer, thread=first.thread))
    for trace in replies:
        assert trace.intent == "subscription_change" and trace.draft, trace
        assert _product_words(store, sub.sku) in trace.draft
        assert sub.id not in trace.draft and sub.sku not in trace.draft
        assert not re.search(r"\bS\d{4,}\b|\bNF-[A-Z0-9-]+\b", trace.draft)
        assert trace.compliance["ok"], trace.compliance


def test_a_subscription_id_the_customer_wrote_is_kept(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    sub = _active_subscription(store)
    trace = say(sub.customer_id, "shopify", f"please pause subscription {sub.id}")
    assert trace.pending_action and sub.id in trace.draft and _product_words(store, sub.sku) in trace.draft
    assert sub.sku not in trace.draft and trace.compliance["ok"]
