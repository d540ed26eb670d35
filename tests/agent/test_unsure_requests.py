"""A piece of the message that asks for an action, read too unsure to be a request of its own, is not dropped
(agent/requests.py `is_directive`, `unsure_requests`): "I want to return something I bought. Also, do you
ship to Canada?" once auto-sent the shipping answer alone."""

from __future__ import annotations

import pytest

from agent.requests import is_directive, unsure_requests
from agent.triage.classifier import IntentGuess


@pytest.mark.parametrize("piece", [
    "I want to return something I bought.",
    "Also, please cancel the lamp",
    "we'd like to exchange it for the blue one",
    "can you send me a new lid",
    "Could someone please refund the shipping",
    "I need to send it back",
    "Cancel it.",
    "quiero devolver el termo",
    "Por favor cancelen mi pedido",
    "necesito un reembolso",
])
def test_a_piece_asking_the_seller_to_act_is_a_directive(piece: str) -> None:
    assert is_directive(piece)


@pytest.mark.parametrize("piece", [
    "I returned it last week.",
    "The return policy says 30 days",
    "My daughter loves the tumbler",
    "It was supposed to ship Monday",
    "Return window is too short honestly",
    "I changed my mind about the color",
])
def test_a_statement_or_story_is_not_a_directive(piece: str) -> None:
    assert not is_directive(piece)


def _guess(intent: str, confidence: float, runner_up: str | None = None) -> IntentGuess:
    return IntentGuess(intent=intent, confidence=confidence, nearest_similarity=0.8, runner_up=runner_up)  # type: ignore[arg-type]


def test_an_unsure_action_piece_other_than_the_main_request_is_kept_for_a_person() -> None:
    parts = ["I want to return something I bought.", "Also, do you ship to Canada?"]
    guesses = [_guess("return_request", 0.49, "policy_question"), _guess("policy_question", 0.81, "other")]
    assert unsure_requests(parts, guesses, "policy_question", set()) == ["return_request"]


def test_pieces_the_main_request_or_a_found_request_covers_are_not_repeated() -> None:
    parts = ["I want to return the kettle please", "please cancel the other one"]
    guesses = [_guess("return_request", 0.5), _guess("cancel_order", 0.55, "return_request")]
    assert unsure_requests(parts, guesses, "return_request", set()) == []  # main's own, and main as its second
    assert unsure_requests(parts, guesses, "order_status", {"return_request"}) == ["cancel_order"]


def test_confident_pieces_questions_and_non_requests_are_left_to_the_other_checks() -> None:
    parts = ["I want to return the kettle please", "Where is my order?", "I want to change nothing, just venting"]
    guesses = [_guess("return_request", 0.8), _guess("order_status", 0.4), _guess("other", 0.5)]
    assert unsure_requests(parts, guesses, "policy_question", set()) == []
