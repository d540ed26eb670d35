"""A subscription question from a customer with none on file: answered from the help center and held for a
person, never "I couldn't find an active subscription" sent alone (it answers neither "how do I cancel my
Subscribe & Save?" nor "can I subscribe here?")."""

from __future__ import annotations

import pytest

from agent.plans import NO_SUBSCRIPTION
from tools.sandbox.store import SandboxStore


def customer_without_subscription(store: SandboxStore, platform: str) -> str:
    return next(c.id for c in store.list_customers()
                if c.identity_on(platform) and not store.customer_subscriptions(c.id))  # type: ignore[attr-defined]


@pytest.mark.parametrize(("platform", "text"), [
    ("amazon", "How do I cancel the subscribe and save on the coffee filters? I don't want another box."),
    ("walmart", "is there a way to get the replacement filters on auto-delivery every couple of months?"),
    ("tiktok", "can i subscribe to the cast iron conditioner so it comes every month"),
    ("shopify", "How do I cancel my coffee filter subscription? I don't want another box in December."),
])
def test_no_subscription_on_file_is_never_sent_alone(say, store: SandboxStore,  # type: ignore[no-untyped-def]
                                                     platform: str, text: str) -> None:
    trace = say(customer_without_subscription(store, platform), platform, text)
    assert trace.intent == "subscription_change", trace.intent
    assert trace.route == "review" and any(NO_SUBSCRIPTION in r for r in trace.reasons), trace.reasons
    assert trace.draft


def test_on_the_store_the_draft_answers_from_the_subscription_article(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    trace = say(customer_without_subscription(store, "shopify"), "shopify",
                "How do I cancel my coffee filter subscription? I don't want another box in December.")
    assert trace.route == "review" and "subscri" in (trace.draft or "").lower(), trace.draft
    assert "couldn't find an active subscription" not in (trace.draft or ""), trace.draft


@pytest.mark.parametrize(("platform", "channel"), [("amazon", "Amazon"), ("walmart", "Walmart"),
                                                   ("tiktok", "TikTok Shop"), ("ebay", "eBay")])
def test_on_a_marketplace_the_draft_says_the_seller_offers_no_subscriptions_there(
        say, store: SandboxStore, platform: str, channel: str) -> None:  # type: ignore[no-untyped-def]
    """seller.toml `subscriptions.offered_on`: the store and the Meta shops only. The draft says so, names no
    other channel (a marketplace reply must not point to the own store) and is still read by a person."""
    trace = say(customer_without_subscription(store, platform), platform,
                "can I subscribe to the coffee filters so they come automatically every month?")
    draft = trace.draft or ""
    assert f"We don't offer subscriptions on {channel}" in draft, draft
    assert "online store" not in draft and "northforkgoods" not in draft.lower(), draft
    assert trace.route == "review" and any(NO_SUBSCRIPTION in r for r in trace.reasons), trace.reasons
