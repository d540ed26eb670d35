"""Routing rules as a pure function (agent/routing.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from agent.routing import decide
from agent.schemas import Triage
from agent.seller_settings import SellerSettings
from tools.policy.loader import load_policies

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


def _decide(platform: str, flags: list[str]):  # type: ignore[no-untyped-def]
    settings = SellerSettings().with_autopilot(True, [platform])  # type: ignore[list-item]
    return decide(triage=Triage(intent="policy_question", confidence=0.95, risk_flags=flags),  # type: ignore[arg-type]
                  policy=load_policies()[platform], settings=settings, received_at=NOW, now=NOW, has_draft=True,  # type: ignore[index]
                  compliance=None, handoff_reason=None, review_reason=None, needs_approval=False,
                  human_approved=False)


def test_leaving_the_platform_matters_only_where_the_platform_forbids_it() -> None:
    """"If I return something from your website..." on the seller's own store is not an off-platform ask."""
    for platform in ("amazon", "walmart", "tiktok", "ebay"):
        held = _decide(platform, ["off_platform_request"])
        assert held.route == "review" and "asks to move off the platform" in held.reasons, platform
    for platform in ("shopify", "facebook", "instagram"):
        assert _decide(platform, ["off_platform_request"]).route == "auto_send", platform


def test_other_review_flags_hold_the_reply_everywhere() -> None:
    for platform in ("amazon", "shopify"):
        held = _decide(platform, ["prompt_injection"])
        assert held.route == "review" and "message tries to instruct the assistant" in held.reasons


def test_an_exception_request_goes_to_a_person_as_a_draft_not_a_handoff() -> None:
    """The plan's answer states the rule; granting an exception is the seller's call, so a person reads it."""
    for platform in ("amazon", "shopify"):
        held = _decide(platform, ["asks_for_exception"])
        assert held.route == "review", platform
        assert "asks for an exception to a policy (the seller's call)" in held.reasons
