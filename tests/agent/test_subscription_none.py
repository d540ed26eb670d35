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
