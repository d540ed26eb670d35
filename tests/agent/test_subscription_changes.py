"""A subscription change only a person can make (interval, quantity, product: the subscriptions article) is
passed on and held for that person, never answered with the four changes the tools make (issue 11)."""

from __future__ import annotations

import pytest

from agent.subscription_requests import action_asked, change_request, interval_days
from agent.templates import format_date
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
    # the fallback the customer named is proposed for their "yes", with the date it moves the next order to;
    # nothing is changed before that yes
    assert (trace.pending_action or {}).get("args", {}).get("action") == "skip", trace.pending_action
    assert "In the meantime I can skip the next delivery of it" in draft, draft
    assert format_date(sub.next_after_skip().isoformat()) in draft, draft
    assert store.get_subscription(sub.id).next_charge_date == sub.next_charge_date
    assert not (trace.compliance or {}).get("violations"), trace.compliance  # every number is a tool's


def test_a_cancel_beside_a_person_change_is_never_proposed_as_the_fallback(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    """The person may make the change that keeps the subscription: a cancel waits for them."""
    customer, _ = _subscriber(store)
    trace = say(customer, "shopify", "switch my subscription to every 90 days, or just cancel it if you can't")
    assert trace.route == "review" and trace.pending_action is None, (trace.route, trace.pending_action)
    assert "In the meantime" not in (trace.draft or ""), trace.draft


@pytest.mark.parametrize(("text", "action"), [
    ("I paused my conditioner subscription over the summer. Can you turn it back on?", "resume"),
    ("please reactivate my subscribe & save", "resume"),
    ("can you start it back up? I'm out of filters", "resume"),
    ("please skip my refresh bar delivery this week", "skip"),
    ("can I miss the next delivery? still have plenty", "skip"),
    ("put my filters on hold for a couple of months", "pause"),
    ("quiero cancelar mi suscripción", "cancel"),
    ("what does my subscription cost?", None),
])
def test_the_action_asked_is_read_from_its_verb_not_from_a_state_the_message_reports(text: str,
                                                                                        action: str | None) -> None:
    assert action_asked(text) == action


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


def test_turn_it_back_on_proposes_a_resume_with_the_date_of_the_next_order(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    """"When would the next one ship?": the proposal says the date a resume today gives (`list_subscriptions`
    `next_charge_after_resume`, one interval from today, as the store sets it), and nothing changes before yes."""
    paused = next((c.id, s) for c in store.list_customers() if c.identity_on("shopify")
                  for s in store.customer_subscriptions(c.id) if s.status == "paused")
    customer, sub = paused
    trace = say(customer, "shopify", "Hi - I paused my Subscribe & Save a while back. Could you turn it back on? "
                                     "When would the next one ship?")
    assert (trace.pending_action or {}).get("args", {}).get("action") == "resume", trace.pending_action
    expected = sub.next_after_resume(store.clock.now().date())
    assert f"resuming it today makes your next order {format_date(expected.isoformat())}" in (trace.draft or ""), \
        trace.draft
    assert store.get_subscription(sub.id).status == "paused"
    assert not (trace.compliance or {}).get("violations"), trace.compliance
