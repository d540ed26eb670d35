"""Deterministic eval metrics: plain functions of scenario results, so known inputs give known scores."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from math import comb
from statistics import mean

from pydantic import BaseModel, Field


class ScenarioResult(BaseModel):
    """One run of one scenario."""

    id: str
    platform: str
    tags: list[str] = Field(default_factory=list)
    run: int = 0
    passed: bool
    skipped: bool = False
    failed_checks: list[str] = Field(default_factory=list)
    checks: dict[str, bool] = Field(default_factory=dict, description="check name -> passed")
    intent_expected: str | None = None
    intent_got: str | None = None
    route_expected: str | None = None
    route_got: str | None = None
    route_reasons: list[str] = Field(default_factory=list, description="Why the last reply went to review or a "
                                     "person (the route step's reasons), so a held reply can be read without a rerun.")
    violations: list[str] = Field(default_factory=list, description="Compliance rule ids of the final drafts.")
    turns: int = 0
    latency_ms: float = 0.0
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    replies: list[str] = Field(default_factory=list)
    customer_text: str | None = None
    judge: dict[str, float] | None = Field(default=None, description="LLM judge scores, when a judge ran.")
    error: str | None = None


def accuracy(pairs: Iterable[tuple[str, str | None]]) -> float | None:
    items = list(pairs)
    return round(sum(1 for e, g in items if e == g) / len(items), 4) if items else None


def macro_f1(pairs: Iterable[tuple[str, str | None]]) -> float | None:
    """Mean F1 over the labels that appear as expected or predicted."""
    items = list(pairs)
    if not items:
        return None
    labels = {e for e, _ in items} | {g for _, g in items if g is not None}
    scores = []
    for label in labels:
        tp = sum(1 for e, g in items if e == label and g == label)
        fp = sum(1 for e, g in items if e != label and g == label)
        fn = sum(1 for e, g in items if e == label and g != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return round(mean(scores), 4)


def precision_recall(pairs: Iterable[tuple[bool, bool]]) -> tuple[float | None, float | None]:
    """(precision, recall) of predicted positives against expected positives."""
    items = list(pairs)
    tp = sum(1 for e, g in items if e and g)
    fp = sum(1 for e, g in items if not e and g)
    fn = sum(1 for e, g in items if e and not g)
    precision = round(tp / (tp + fp), 4) if tp + fp else None
    recall = round(tp / (tp + fn), 4) if tp + fn else None
    return precision, recall


def pass_hat_k(successes: Sequence[int], trials: int, k: int) -> float:
    """pass^k as tau-bench defines it: the mean over scenarios of C(c, k) / C(n, k)."""
    if not 1 <= k <= trials:
        raise ValueError("k must be between 1 and the number of trials")
    return round(mean(comb(c, k) / comb(trials, k) for c in successes), 4) if successes else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def rate(results: Sequence[ScenarioResult], check: str) -> float | None:
    """Share of results that ran `check` and passed it."""
    ran = [r.checks[check] for r in results if check in r.checks]
    return round(sum(ran) / len(ran), 4) if ran else None


def automation(results: Sequence[ScenarioResult]) -> dict[str, object]:
    """How much the agent answers alone, and how often such an answer failed: a wrong auto-send reaches the
    customer with nobody reviewing it, the costliest mistake. Counts runs (a run's route is its last turn's);
    skipped runs are left out, and a share with an empty denominator is None, not 0."""
    scored = [r for r in results if not r.skipped]
    sent = [r for r in scored if r.route_got == "auto_send"]
    wrong = [r for r in sent if not r.passed]
    return {
        "automation_rate": round(len(sent) / len(scored), 4) if scored else None,
        "auto_sent": len(sent),
        "wrong_auto_sends": len(wrong),
        "wrong_auto_send_share": round(len(wrong) / len(sent), 4) if sent else None,
        "wrong_auto_send_ids": sorted({r.id for r in wrong}),
    }


def order_resolution(results: Sequence[ScenarioResult]) -> dict[str, object]:
    """Share of runs whose tools worked on the order the customer meant, over the runs that ran the
    "order_ref" check (labelled scenarios whose turns ran); None when none did."""
    scored = [r for r in results if not r.skipped]
    return {"order_resolution_accuracy": rate(scored, "order_ref"),
            "order_resolution_n": sum(1 for r in scored if "order_ref" in r.checks)}


def summarize(results: Sequence[ScenarioResult], k: int, cost_per_1k_tokens: float = 0.0) -> dict[str, object]:
    scored = [r for r in results if not r.skipped]
    by_id: dict[str, list[ScenarioResult]] = defaultdict(list)
    for r in scored:
        by_id[r.id].append(r)
    successes = [sum(1 for r in runs if r.passed) for runs in by_id.values()]
    first = [runs[0] for runs in by_id.values()]
    intents = [(r.intent_expected, r.intent_got) for r in scored if r.intent_expected]
    handoff = [(r.route_expected == "handoff", r.route_got == "handoff") for r in scored if r.route_expected]
    handoff_precision, handoff_recall = precision_recall(handoff)
    tokens = [r.prompt_tokens + r.completion_tokens for r in scored]
    summary: dict[str, object] = {
        "scenarios": len(by_id),
        "runs": len(scored),
        "skipped": len({r.id for r in results if r.skipped}),
        "pass_rate": round(sum(r.passed for r in scored) / len(scored), 4) if scored else 0.0,
        "pass^k": {str(j): pass_hat_k(successes, k, j) for j in range(1, k + 1)} if by_id else {},
        "intent_accuracy": accuracy(intents),
        "intent_macro_f1": macro_f1(intents),
        "route_accuracy": accuracy((r.route_expected, r.route_got) for r in scored if r.route_expected),
        "trajectory_match": rate(scored, "trajectory"),
        "end_state_match": rate(scored, "end_state"),
        "required_facts": rate(scored, "reply_contains"),
        "forbidden_content_avoided": rate(scored, "reply_not_contains"),
        "grounded_replies": round(1 - sum("ungrounded_fact" in r.violations for r in scored) / len(scored), 4)
        if scored else None,
        "compliance_violations_by_rule": dict(Counter(v for r in scored for v in r.violations)),
        "handoff_precision": handoff_precision,
        "handoff_recall": handoff_recall,
        "latency_ms": {"mean": round(mean(r.latency_ms for r in scored), 2) if scored else 0.0,
                       "p50": percentile([r.latency_ms for r in scored], 0.5),
                       "p95": percentile([r.latency_ms for r in scored], 0.95)},
        "llm_calls_per_scenario": round(mean(r.llm_calls for r in scored), 3) if scored else 0.0,
        "tokens_per_scenario": round(mean(tokens), 1) if tokens else 0.0,
        "estimated_cost_per_scenario": round(mean(tokens) / 1000 * cost_per_1k_tokens, 6) if tokens else 0.0,
        "pass_rate_by_platform": _pass_by(first, lambda r: r.platform),
        "pass_rate_by_intent": _pass_by(first, lambda r: r.tags[0] if r.tags else "untagged"),
        "errors": sum(1 for r in scored if r.error),
        "judge": _judge_means(scored),
        **automation(scored),
        **order_resolution(scored),
    }
    return summary


def _judge_means(results: Sequence[ScenarioResult]) -> dict[str, float] | None:
    judged = [r.judge for r in results if r.judge]
    if not judged:
        return None
    return {k: round(mean(j[k] for j in judged), 3) for k in ("correctness", "helpfulness", "tone", "policy")}


def _pass_by(results: Sequence[ScenarioResult], key) -> dict[str, float]:  # type: ignore[no-untyped-def]
    groups: dict[str, list[bool]] = defaultdict(list)
    for r in results:
        groups[key(r)].append(r.passed)
    return {name: round(sum(v) / len(v), 4) for name, v in sorted(groups.items())}
