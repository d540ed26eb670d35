"""Every pattern that reads customer text stays linear: 50,000 characters of adversarial input each.

A regression guard for issue 18 item 7 (`_ADDRESS` took 13 s on 20,000 characters and held a worker).
Each case repeats a fragment built to make some pattern backtrack (runs of spaces after "order", digit
groups, dotted labels, street words before a "state ZIP"...). A quadratic pattern needs seconds on
50,000 characters; a linear one milliseconds.

Two checks, both robust on a loaded 2-core machine: the absolute budget (BUDGET_S, far below what a
quadratic pattern needs, generous for a linear one under load) and the growth from 5,000 to 50,000
characters (linear: about 10x; quadratic: 100x), allowed up to GROWTH plus a fixed slack for timer noise.
`check_echoed_contact` runs the whole contact finder (links, emails, phones, handles) on both texts.
Each case runs after a warm-up and the best of up to three runs counts, so one scheduling hiccup is not
a failure, while a real regression fails every time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date

import pytest

from agent import (order_cues, order_resolver, plans, product_answers, requests, return_timing, subscription_requests,
                   text_lines)
from agent.compliance import (
    ComplianceInput,
    check_echoed_contact,
    check_off_platform_contact,
)
from agent.triage import rules
from agent.triage.entities import extract_entities
from channels.email.parse import customer_words, order_hint
from tools import contacts
from tools.policy.loader import load_policies

SIZE = 50_000
BUDGET_S = 1.0
GROWTH = 30
SLACK_S = 0.1

# Fragments that make the usual regex mistakes blow up: long runs of one class after a literal,
# separators between digit groups, dotted labels, street/city words before a "state ZIP" anchor.
FRAGMENTS = [
    "a", " ", "\n \n", "1 ", "1-", "(1", "+1 ", "a.", "a@", "@a", "a.a@", "order ", "order no ", "--- Message ",
    "On Mon wrote ", "1 a st, ", "1 st, ab 12345 ", "http://", "evil dot ", "one two ", "\u200b.",
    "refund remove review ", "how long do refunds ", "burns ", "9400 1118 ", "1Z 999 ",
    "ordered ", "got ", "every 2 ", "to every ", "i know ", "i really ", "also ", "your support team ",
    "someone from your ", "not impressed ", "a \n", "a    ", "turn it back ", "start it ", "miss the next ",
]
POLICIES = load_policies()


def _amazon(check: Callable[..., object]) -> Callable[[str], object]:
    def run(text: str) -> object:
        return check(text, ComplianceInput(text=text, platform="amazon", customer_text=text), POLICIES["amazon"])
    return run


PATTERNS: dict[str, Callable[[str], object]] = {
    "contacts.normalise": contacts.normalise,
    "contacts.find_links": contacts.find_links,
    "contacts.find_emails": contacts.find_emails,
    "contacts.find_phones": contacts.find_phones,
    "contacts.find_handles": contacts.find_handles,
    "plans.find_address": plans.find_address,
    "plans._NOT_RECEIVED": plans._NOT_RECEIVED.search,
    "plans._DEFECT": plans._DEFECT.search,
    "plans._WRONG": plans._WRONG.search,
    "plans._THANKS": plans._THANKS.search,
    "subscription_requests.ACTIONS": lambda t: [p.search(t) for _, p in subscription_requests.ACTIONS],
    "plans._return_reason": plans._return_reason,
    "rules.risk_flags": rules.risk_flags,
    "rules.sentiment": rules.sentiment,
    "rules.urgency": lambda t: rules.urgency(t, []),
    "rules.language": rules.language,
    "rules.is_confirmation": rules.is_confirmation,
    "rules.is_refusal": rules.is_refusal,
    "rules.without_injection": rules.without_injection,
    "return_timing.asked_return_time": lambda t: return_timing.asked_return_time(t, date(2026, 11, 26)),
    "return_timing.asks_return_window": lambda t: return_timing.asks_return_window(t, date(2026, 11, 26)),
    "return_timing.asks_about_extension": return_timing.asks_about_extension,
    "product_answers.yes_no_question": product_answers.yes_no_question,
    "order_resolver.state_cues": order_resolver.state_cues,
    "order_resolver.date_window": lambda t: order_resolver.date_window(t, date(2026, 11, 26)),
    "order_resolver.amounts": order_resolver.amounts,
    "order_cues.product_roles": order_cues.product_roles,
    "order_cues.delivery_cues": order_cues.delivery_cues,
    "subscription_requests.change_request": subscription_requests.change_request,
    "requests.pieces": requests.pieces,
    "text_lines.unwrap": text_lines.unwrap,
    "requests.is_directive": requests.is_directive,
    "entities.amazon": lambda t: extract_entities(t, "amazon"),
    "entities.walmart": lambda t: extract_entities(t, "walmart"),
    "entities.shopify": lambda t: extract_entities(t, "shopify"),
    "email_parse.customer_words": customer_words,
    "email_parse.order_hint": lambda t: [order_hint(p, t) for p in ("amazon", "walmart", "shopify")],  # type: ignore[arg-type]
    "compliance.check_off_platform_contact": _amazon(check_off_platform_contact),
    "compliance.check_echoed_contact": _amazon(check_echoed_contact),
}


def _adversarial(fragment: str) -> str:
    return (fragment * (SIZE // len(fragment) + 1))[:SIZE]


def _best(run: Callable[[str], object], text: str, limit: float) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        run(text)
        best = min(best, time.perf_counter() - start)
        if best <= limit:
            break
    return best


def _too_slow(run: Callable[[str], object], fragment: str) -> tuple[float, float] | None:
    small = _best(run, _adversarial(fragment)[: SIZE // 10], 0.0)  # 10x less input: a linear pattern ~10x faster
    big = _best(run, _adversarial(fragment), min(BUDGET_S, GROWTH * small + SLACK_S))
    return None if big <= min(BUDGET_S, GROWTH * small + SLACK_S) else (round(small, 4), round(big, 4))


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_each_customer_text_pattern_is_linear(name: str) -> None:
    run = PATTERNS[name]
    run("warm up: order #1234, 455 Juniper Ave, Boise, ID 83702, evil.ru, +44 20 7946 0958")
    slow = {repr(f[:20]): times for f in FRAGMENTS if (times := _too_slow(run, f))}
    assert not slow, f"{name} is not linear on 50k characters of (5k s, 50k s): {slow}"


def test_the_guard_would_catch_a_quadratic_pattern() -> None:
    """The old `_ADDRESS` (unbounded lazy street and city) fails the same guard on 5,000 characters."""
    import re

    old = re.compile(
        r"(?<![#\d-])(?P<line1>\d{1,6}\s+[A-Za-z][\w .'-]*?(?:street|st|avenue|ave)\.?),?\s+"
        r"(?P<city>[A-Za-z .'-]+?),?\s+(?P<state>[A-Z]{2}),?\s+(?P<zip>\d{5}(?:-\d{4})?)\b", re.I)
    small = _best(old.search, _adversarial("1 a st ")[:500], 0.0)
    big = _best(old.search, _adversarial("1 a st ")[:5_000], 0.0)
    assert big > GROWTH * small  # 10x the input, far more than 25x the time
