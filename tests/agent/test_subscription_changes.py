"""A subscription change only a person can make (interval, quantity, product: the subscriptions article) is
passed on and held for that person, never answered with the four changes the tools make (issue 11)."""

from __future__ import annotations

import pytest

from agent.subscription_requests import change_request, interval_days
from tools.sandbox.store import SandboxStore


@pytest.mark.parametrize(("text", "days"), [
    ("every 60 days", [60]), ("every 3 months instead of 2", [90]), ("every other month", [60]),
    ("once a week", [7]), ("make it monthly", [30]), ("cada 2 meses", []), ("no interval here", []),
])
def test_intervals_are_read_in_days(text: str, days: list[int]) -> None:
    assert interval_days(text) == days


@pytest.mark.parametrize(("text", "kind", "days"), [
    ("Can you change it to every 60 days instead of every 30?", "interval", 60),
    ("switch my fire starters to every 3 months instead of 2, too many piling up", "interval", 90),
    ("I want to move from every 30 days to every 45", "interval", 45),
    ("can you send them less often?", "interval", None),
    ("can I get the 6-pack instead of the 3-pack?", "quantity", None),
    ("switch it to the ground coffee", "product", None),
])
def test_changes_only_a_person_makes_are_read(text: str, kind: str, days: int | None) -> None:
    found = change_request(text)
    assert found is not None and found.kind == kind and found.interval_days == days


@pytest.mark.parametrize("text", ["please skip my next delivery", "cancel my subscription", "pause it for a month",
                                  "resume my subscription please",
                                  "my filters come every 30 days, can I skip one?"])
def test_the_changes_the_tools_make_are_not_person_changes(text: str) -> None:
    assert change_request(text) is None


def _subscriber(store: SandboxStore) -> tuple[str, dict]:  # type: ignore[type-arg]
    for c in store.list_customers():
        subs = [s for s in store.customer_subscriptions(c.id) if s.status == "active"]  # type: ignore[attr-defined]
        if subs and c.identity_on("shopify"):
            return c.id, subs[0]
    raise AssertionError("the demo store has an active store subscription")


def test_an_interval_change_is_passed_on_and_held_for_a_person_with_the_offered_intervals(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    customer, sub = _subscriber(store)
    trace = say(customer, "shopify", "Hi, can you switch my subscription to every 75 days instead? Too many piling up. "
                                     "If not, just skip the next one.")
    assert trace.intent == "subscription_change", trace.intent
    assert trace.route == "review", trace.route
    assert any("interval change: a person updates it (every 75 days asked" in r and "skip" in r
               for r in trace.reasons), trace.reasons
    draft = trace.draft or ""
    assert "passed your request on." in draft and "75" not in draft, draft  # not an interval the store offers
    assert "every 30, 45, 60 or 90 days" in draft, draft
    assert not any(c.name == "update_subscription" for c in trace.tool_calls)  # nothing proposed in its place
    assert not (trace.compliance or {}).get("violations"), trace.compliance  # every number is a tool's


def test_an_offered_interval_is_named_in_the_reply(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    customer, sub = _subscriber(store)
    wanted = 90 if sub.interval_days != 90 else 45
    trace = say(customer, "shopify", f"can you change my subscription to every {wanted} days instead?")
    assert trace.route == "review", trace.route
    assert f"(every {wanted} days instead of every {sub.interval_days})" in (trace.draft or ""), trace.draft
    assert not (trace.compliance or {}).get("violations"), trace.compliance


def test_a_cancel_with_a_frequency_complaint_is_still_the_cancel(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    customer, _ = _subscriber(store)
    trace = say(customer, "shopify", "please cancel my subscription, too many piling up")
    assert "cancel" in (trace.draft or "").lower() and (trace.pending_action or {}).get("args", {}).get("action") == "cancel", \
        (trace.draft, trace.pending_action)
