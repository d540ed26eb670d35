"""The metrics themselves: known inputs give known scores."""

from __future__ import annotations

import pytest

from evals.compare import mcnemar_exact
from evals.metrics import ScenarioResult, accuracy, macro_f1, pass_hat_k, precision_recall, summarize


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
