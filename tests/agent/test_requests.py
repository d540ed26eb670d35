"""Splitting a message into its requests (agent/requests.py), with a scripted classifier."""

from __future__ import annotations

from agent.requests import pieces, split_requests
from agent.triage.classifier import IntentGuess


def scripted(texts: list[str]) -> list[IntentGuess]:
    return [one(t) for t in texts]


def one(text: str) -> IntentGuess:
    """Our own stand-in for the trained classifier: keywords are enough to test the splitting."""
    lowered = text.lower()
    intent = ("policy_question" if "window" in lowered or "policy" in lowered else
              "order_status" if "where" in lowered or "ship" in lowered else
              "review_feedback" if "thanks" in lowered else "product_question")
    return IntentGuess(intent=intent, confidence=0.9 if "maybe" not in lowered else 0.3, nearest_similarity=0.9,
                       runner_up=None)


def test_each_question_is_its_own_request_and_the_main_one_is_left_out() -> None:
    text = "Where is my cooler right now? Also what is the return window for it?"
    found = split_requests(text, "order_status", scripted)
    assert [(r.intent, r.text) for r in found] == [("policy_question", "Also what is the return window for it?")]


def test_thanks_short_bits_and_unsure_pieces_are_not_requests() -> None:
    text = "Where did my order ship from? ok. Thanks so much for all the help! Maybe the lid fits the pan too?"
    assert split_requests(text, "order_status", scripted) == []


def test_quoted_history_and_signatures_are_not_the_customers_words() -> None:
    text = "Where is my order now please?\n\nOn Tue, Nov 24, 2026 support wrote:\n> What is your return policy exactly?"
    assert pieces(text) == ["Where is my order now please?"]
    assert split_requests(text, "order_status", scripted) == []


def test_a_joiner_inside_one_sentence_starts_a_new_request() -> None:
    assert pieces("where is my order and when does the return window close") == [
        "where is my order", "and when does the return window close"]
    assert [r.intent for r in split_requests("where is my order right now and when does the return window close",
                                             "order_status", scripted)] == ["policy_question"]
    assert split_requests("where is the order you shipped to me", "order_status", scripted) == []


def test_an_amount_with_cents_does_not_end_a_sentence() -> None:
    from agent.requests import sentence_pieces
    assert sentence_pieces("you refunded me $3.73 but I didn't return anything. What is that for?") == [
        "you refunded me $3.73 but I didn't return anything.", "What is that for?"]


def test_a_remark_unlike_every_example_is_context_not_a_request() -> None:
    """"still in the box" beside a return is why it can go back; read alone as an order-status request it drew
    the delivered-but-missing steps into a return reply. A question or an instruction of the same shape is still
    a request of its own."""
    def unfamiliar(texts: list[str]) -> list[IntentGuess]:
        return [IntentGuess(intent="return_request", confidence=0.95, nearest_similarity=0.7, runner_up=None)
                if "back" in t else
                IntentGuess(intent="order_status", confidence=0.75, nearest_similarity=0.45, runner_up=None)
                for t in texts]

    assert split_requests("how do i send these back? still in the box", "return_request", unfamiliar) == []
    asked = split_requests("how do i send these back? and did the box ship?", "return_request", unfamiliar)
    assert [r.intent for r in asked] == ["order_status"]
    told = split_requests("how do i send these back? please ship the other box", "return_request", unfamiliar)
    assert [r.intent for r in told] == ["order_status"]
