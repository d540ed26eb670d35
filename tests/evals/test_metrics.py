"""The metrics themselves: known inputs give known scores."""

from __future__ import annotations

import pytest

from evals.compare import mcnemar_exact
from evals.metrics import (
    ScenarioResult,
    accuracy,
    automation,
    macro_f1,
    order_resolution,
    pass_hat_k,
    precision_recall,
    summarize,
)


def test_accuracy_and_macro_f1() -> None:
    pairs = [("a", "a"), ("a", "b"), ("b", "b"), ("b", "b")]
    assert accuracy(pairs) == 0.75
    # a: P=1, R=0.5, F1=0.667; b: P=0.667, R=1, F1=0.8 -> mean 0.7333
    assert macro_f1(pairs) == pytest.approx(0.7333, abs=1e-4)
    assert accuracy([]) is None and macro_f1([]) is None


def test_precision_and_recall_of_handoffs() -> None:
    pairs = [(True, True), (True, False), (False, True), (False, False), (True, True)]
    assert precision_recall(pairs) == (pytest.approx(0.6667, abs=1e-4), pytest.approx(0.6667, abs=1e-4))
    assert precision_recall([(False, False)]) == (None, None)


def test_pass_hat_k_follows_tau_bench() -> None:
    # two scenarios, 4 trials: one passed 4/4, one passed 2/4
    assert pass_hat_k([4, 2], 4, 1) == pytest.approx((1 + 0.5) / 2)
    assert pass_hat_k([4, 2], 4, 2) == pytest.approx((1 + 1 / 6) / 2, abs=1e-4)  # C(2,2)/C(4,2) = 1/6
    assert pass_hat_k([4, 2], 4, 4) == 0.5
    with pytest.raises(ValueError):
        pass_hat_k([1], 2, 3)


def test_mcnemar_exact() -> None:
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(0, 6) == pytest.approx(2 / 64)  # all six discordant pairs favour B
    assert mcnemar_exact(3, 3) == 1.0


def _result(i: str, passed: bool, **kw) -> ScenarioResult:  # type: ignore[no-untyped-def]
    return ScenarioResult(id=i, platform=kw.pop("platform", "amazon"), passed=passed, **kw)


def test_summary_rates_and_breakdowns() -> None:
    results = [
        _result("s1", True, run=0, tags=["order_status"], intent_expected="order_status", intent_got="order_status",
                route_expected="auto_send", route_got="auto_send", checks={"trajectory": True}, latency_ms=10),
        _result("s1", False, run=1, tags=["order_status"], intent_expected="order_status", intent_got="other",
                route_expected="auto_send", route_got="handoff", checks={"trajectory": False}, latency_ms=30),
        _result("s2", True, run=0, platform="walmart", tags=["claim_or_chargeback"], route_expected="handoff",
                route_got="handoff", violations=["ungrounded_fact"], latency_ms=20),
        _result("s2", True, run=1, platform="walmart", tags=["claim_or_chargeback"], route_expected="handoff",
                route_got="handoff", latency_ms=20),
    ]
    s = summarize(results, k=2)
    assert s["scenarios"] == 2 and s["runs"] == 4 and s["pass_rate"] == 0.75
    assert s["pass^k"] == {"1": 0.75, "2": 0.5}
    assert s["intent_accuracy"] == 0.5 and s["trajectory_match"] == 0.5
    assert s["handoff_precision"] == pytest.approx(0.6667, abs=1e-4) and s["handoff_recall"] == 1.0
    assert s["compliance_violations_by_rule"] == {"ungrounded_fact": 1} and s["grounded_replies"] == 0.75
    assert s["pass_rate_by_platform"] == {"amazon": 1.0, "walmart": 1.0}  # first run of each scenario
    assert s["latency_ms"]["p50"] == 20


def test_automation_rate_and_wrong_auto_sends() -> None:
    results = [
        _result("s1", True, route_got="auto_send"),
        _result("s2", False, route_got="auto_send", failed_checks=["reply_contains: x"]),
        _result("s2", False, run=1, route_got="auto_send"),
        _result("s3", False, route_got="handoff"),  # failed but reviewed by a person: not a wrong auto-send
        _result("s4", False, route_got=None, error="crash"),  # no route counts as not auto-sent
        _result("s5", False, skipped=True, route_got="auto_send"),  # skipped: left out entirely
        _result("s0", False, route_got="auto_send"),
    ]
    assert automation(results) == {
        "automation_rate": 0.6667, "auto_sent": 4, "wrong_auto_sends": 3, "wrong_auto_send_share": 0.75,
        "wrong_auto_send_ids": ["s0", "s2"],  # unique and sorted, runs counted above
    }
    s = summarize(results, k=1)
    assert s["automation_rate"] == 0.6667 and s["auto_sent"] == 4 and s["wrong_auto_sends"] == 3
    assert s["wrong_auto_send_share"] == 0.75 and s["wrong_auto_send_ids"] == ["s0", "s2"]


def test_automation_without_auto_sends_or_runs_is_none_not_zero() -> None:
    none_sent = [_result("s1", False, route_got="handoff"), _result("s2", True, route_got="draft_review")]
    assert automation(none_sent) == {"automation_rate": 0.0, "auto_sent": 0, "wrong_auto_sends": 0,
                                     "wrong_auto_send_share": None, "wrong_auto_send_ids": []}
    only_skipped = [_result("s1", False, skipped=True, route_got="auto_send")]
    assert automation(only_skipped) == {"automation_rate": None, "auto_sent": 0, "wrong_auto_sends": 0,
                                        "wrong_auto_send_share": None, "wrong_auto_send_ids": []}
    assert automation([])["automation_rate"] is None
    assert summarize(only_skipped, k=1)["wrong_auto_send_share"] is None


def test_all_auto_sends_passing_is_zero_wrong() -> None:
    results = [_result("s1", True, route_got="auto_send"), _result("s2", True, route_got="auto_send")]
    s = automation(results)
    assert s["automation_rate"] == 1.0 and s["wrong_auto_sends"] == 0 and s["wrong_auto_send_share"] == 0.0
    assert s["wrong_auto_send_ids"] == []


def test_order_resolution_counts_only_labelled_runs() -> None:
    results = [
        _result("s1", True, checks={"order_ref": True, "intent": True}),
        _result("s2", False, checks={"order_ref": False}),
        _result("s3", False, checks={"order_ref": True, "intent": False}),  # failed elsewhere, order right
        _result("s4", True, checks={"intent": True}),  # not labelled: left out
        _result("s5", False, skipped=True, checks={"order_ref": False}),  # skipped: left out
    ]
    assert order_resolution(results) == {"order_resolution_accuracy": 0.6667, "order_resolution_n": 3}
    s = summarize(results, k=1)
    assert s["order_resolution_accuracy"] == 0.6667 and s["order_resolution_n"] == 3


def test_order_resolution_without_labels_is_none() -> None:
    assert order_resolution([_result("s1", True, checks={"intent": True})]) == {
        "order_resolution_accuracy": None, "order_resolution_n": 0}
    assert order_resolution([]) == {"order_resolution_accuracy": None, "order_resolution_n": 0}


def test_report_shows_automation_and_order_resolution() -> None:
    from datetime import UTC, datetime

    from evals.report import render_html
    from evals.suite import EvalRun

    results = [_result("s1", False, route_got="auto_send", checks={"order_ref": False}),
               _result("s2", True, route_got="handoff", checks={"order_ref": True})]
    run = EvalRun(id="r1", config="default", started_at=datetime(2026, 1, 1, tzinfo=UTC), scenario_source="x",
                  k=1, summary=summarize(results, k=1), results=results)
    text = render_html(run)
    assert "Automation rate (last turn auto-sent)</th><td>50.0%" in text
    assert "Wrong auto-sends</th><td>1 of 1 auto-sent (100.0%): s1" in text
    assert "Order resolution accuracy</th><td>50.0% (n = 2)" in text
    none_sent = run.model_copy(update={"summary": summarize([_result("s2", True, route_got="handoff")], k=1)})
    assert "0 of 0 auto-sent (n/a)" in render_html(none_sent) and "n/a (n = 0)" in render_html(none_sent)
