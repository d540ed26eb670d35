"""Urgency that means something (issue 20 item 5): agent/urgency.py as a pure function, then through the graph."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from agent.plans import PlanOutcome
from agent.routing import priority_for
from agent.urgency import (Findings, UrgencySignals, assess, clock_name, displayed, findings_from_run,
                           is_clock_reason)
from tools.policy.loader import load_policies
from tools.sandbox.store import SandboxStore

from testdata import ANCHOR

AMAZON = "Amazon's 24 h clock"


def urgency(hours_left: float | None = 20, **signals: Any):  # type: ignore[no-untyped-def]
    found = Findings(**signals.pop("findings", {}))
    return assess(UrgencySignals(hours_left=hours_left, clock=AMAZON, findings=found, **signals))


# ------------------------------------------------------------------ the pure function

def test_a_calm_question_with_time_on_the_clock_is_normal_and_needs_no_reason() -> None:
    calm = urgency(hours_left=20)
    assert calm.level == "normal" and calm.reasons == []


@pytest.mark.parametrize(("signals", "level", "reason"), [
    ({"findings": {"parcel_lost": True}}, "high", "parcel lost"),
    ({"findings": {"refund_overdue_days": 6}}, "high", "refund 6 days overdue"),
    ({"findings": {"not_received": True, "not_received_hours": 48}}, "high",
     "marked delivered over 48 h ago, not received"),
    ({"findings": {"no_scan_days": 7}}, "high", "no tracking scan for 7+ days"),
    ({"risk_flags": ["abusive"]}, "high", "abusive language"),
    ({"risk_flags": ["claim_or_chargeback"], "text_urgency": "high"}, "critical", "chargeback or claim filed"),
    ({"risk_flags": ["legal_threat"]}, "critical", "legal threat"),
    ({"sentiment": "negative"}, "high", "upset customer"),
    ({"text_urgency": "high"}, "high", "customer says it's urgent"),
])
def test_what_went_wrong_raises_the_urgency_and_says_why(signals: dict[str, Any], level: str, reason: str) -> None:
    found = urgency(**signals)
    assert found.level == level and found.reasons[0] == reason, found


def test_the_reply_clock_raises_the_urgency_as_it_runs_down() -> None:
    assert urgency(hours_left=1).model_dump() == {"level": "critical", "reasons": [f"1 h left on {AMAZON}"]}
    assert urgency(hours_left=0.5).reasons == [f"30 m left on {AMAZON}"]
    assert urgency(hours_left=-3).reasons == [f"reply 3 h overdue on {AMAZON}"]
    assert urgency(hours_left=5).level == "high" and urgency(hours_left=9).level == "normal"
    # the clock is one reason among others, most urgent first
    both = urgency(hours_left=1, findings={"parcel_lost": True})
    assert both.level == "critical" and both.reasons == [f"1 h left on {AMAZON}", "parcel lost"]


def test_an_expensive_order_raises_a_problem_one_step_but_not_a_calm_question() -> None:
    lost = urgency(findings={"parcel_lost": True, "order_value": Decimal("500")})
    assert lost.level == "critical" and lost.reasons == ["parcel lost", "order $500"]
    assert urgency(findings={"parcel_lost": True, "order_value": Decimal("40")}).level == "high"
    assert urgency(findings={"order_value": Decimal("500")}).level == "normal"
    assert urgency(findings={"refund_overdue_days": 2, "order_value": Decimal("412.50")}).reasons == [
        "refund 2 days overdue", "order $412.50"]


def test_the_text_rules_urgency_is_never_lowered_and_thanks_are_low() -> None:
    assert urgency(text_urgency="critical", sentiment="positive").level == "critical"
    thanks = urgency(sentiment="positive")
    assert thanks.level == "low" and thanks.reasons
    assert urgency(sentiment="positive", hours_left=1).level == "critical"  # a thank-you still has its clock


def test_the_clock_is_named_as_the_platform_runs_it() -> None:
    policies = load_policies()
    assert clock_name(policies["amazon"], []) == AMAZON
    assert clock_name(policies["ebay"], []) == "eBay's 3-business-day clock"
    assert clock_name(policies["walmart"], ["bbb_or_attorney_general"]) == "Walmart's 1 h clock"


def test_the_console_raises_a_stored_urgency_with_the_live_clock_and_never_lowers_it() -> None:
    stored = ["parcel lost", f"7 h left on {AMAZON}"]
    now = displayed("high", stored, 1.5, AMAZON)
    assert now is not None and now.level == "critical" and now.reasons == [f"1 h left on {AMAZON}", "parcel lost"]
    assert all(is_clock_reason(r) is (r.endswith("clock")) for r in now.reasons)
    calm = displayed("critical", ["chargeback or claim filed"], 20, AMAZON)
    assert calm is not None and calm.level == "critical" and calm.reasons == ["chargeback or claim filed"]
    assert displayed(None, [], 20, AMAZON) is None  # not triaged yet, nothing presses
    assert displayed(None, [], -1, AMAZON).level == "critical"  # type: ignore[union-attr]
    answered = displayed("high", ["upset customer"], None, AMAZON)
    assert answered is not None and answered.reasons == ["upset customer"]


def test_routing_priority_follows_the_urgency_on_the_same_clock_thresholds() -> None:
    for hours in (0.5, 5, 20):
        for signals in ({}, {"findings": {"parcel_lost": True}}, {"risk_flags": ["legal_threat"]},
                        {"sentiment": "positive"}):
            level = urgency(hours_left=hours, **signals).level
            expected = {"critical": "urgent", "high": "high", "normal": "normal", "low": "low"}[level]
            assert priority_for(level, hours) == expected, (hours, signals)
    assert priority_for("normal", 1) == "urgent"  # the clock alone, even on a stale urgency


# ------------------------------------------------------------------ reading what the run found

def test_findings_are_read_off_the_plans_answer_and_the_tool_results() -> None:
    today = date(2026, 11, 26)
    outcome = PlanOutcome(template="status_stalled_trace", order_id="111-1", slots={"trace_days": 7},
                          extra=[{"template": "status_lost", "slots": {}}])
    results = [
        {"name": "get_order", "ok": True, "data": {"order_id": "111-1", "total": "89.90"}},
        {"name": "get_order", "ok": True, "data": {"order_id": "111-2", "total": "412.00"}},
        {"name": "get_refund_status", "ok": True, "data": {"order_id": "111-2", "total": "412.00", "returns": [
            {"status": "received", "refund_due_by": "2026-11-20"},   # 6 days late
            {"status": "received", "refund_due_by": "2026-11-30"},   # not due yet
            {"status": "refunded", "refund_due_by": "2026-11-01"}]}},  # done
    ]
    found = findings_from_run(outcome, results, today)
    assert found.no_scan_days == 7 and found.parcel_lost and found.refund_overdue_days == 6
    assert found.order_value == Decimal("89.90")  # the order the reply is about, not the biggest one looked up
    claim = findings_from_run(PlanOutcome(template="delivered_not_received_claim", slots={"wait_hours": 48}), [], today)
    assert claim.not_received and claim.not_received_hours == 48 and claim.order_value is None
    assert findings_from_run(PlanOutcome(template="delivered_elsewhere"), [], today).not_received  # scanned in another town
    assert findings_from_run(PlanOutcome(template="status_in_transit"), [], today) == Findings()
    assert findings_from_run(None, [{"name": "get_refund_status", "ok": False, "data": None}], today) == Findings()


# ------------------------------------------------------------------ through the graph

def test_an_overdue_refund_gets_more_than_normal_with_its_reason(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    ret = next(r for r in store.list_records("returns") if r.status == "received" and r.received_at
               and store.policy(r.platform).refund_due(r.received_at.date()) < ANCHOR.date())
    order = store.get_order(ret.order_id)
    late = (ANCHOR.date() - store.policy(order.platform).refund_due(ret.received_at.date())).days
    trace = say(order.customer_id, order.platform, f"I sent my return for {order.id} back ages ago, where's my refund?")
    assert trace.urgency in ("high", "critical") and f"refund {late} day{'s' if late != 1 else ''} overdue" in \
        trace.urgency_reasons, (trace.urgency, trace.urgency_reasons)
    assert trace.priority in ("high", "urgent")


def test_a_parcel_delivered_but_not_received_gets_more_than_normal(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order = next(o for o in store.find_orders(platform="walmart", status="delivered", limit=None)  # type: ignore[arg-type]
                 if not store.order_returns(o.id) and not store.order_refunds(o.id)
                 and o.delivered_at > ANCHOR - timedelta(days=5))
    trace = say(order.customer_id, "walmart", f"tracking says delivered but I never got it. order {order.id}")
    assert trace.urgency in ("high", "critical")
    assert any(r.startswith("marked delivered") for r in trace.urgency_reasons), trace.urgency_reasons


def test_a_calm_question_stays_normal_through_the_graph(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    customer = next(c for c in store.list_customers() if "amazon" in c.platforms)
    trace = say(customer.id, "amazon", "how long do refunds take to show up on my card?")
    assert trace.urgency == "normal" and trace.urgency_reasons == [] and trace.priority == "normal"
