"""A/B: two configurations on the same scenarios, per-metric deltas and a paired significance test."""

from __future__ import annotations

from math import comb
from typing import Any

from pydantic import BaseModel

from evals.judge import judge_pair
from evals.suite import EvalRun

NUMERIC = ("pass_rate", "intent_accuracy", "intent_macro_f1", "route_accuracy", "trajectory_match", "end_state_match",
           "required_facts", "forbidden_content_avoided", "grounded_replies", "handoff_precision", "handoff_recall",
           "llm_calls_per_scenario", "tokens_per_scenario", "estimated_cost_per_scenario")


class Comparison(BaseModel):
    a: str
    b: str
    scenarios: int
    deltas: dict[str, dict[str, float | None]]
    mcnemar: dict[str, Any]
    flipped_to_pass: list[str]
    flipped_to_fail: list[str]
    judge_pairwise: dict[str, int] | None = None


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts (b: A passed, B failed; c: the reverse)."""
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(comb(n, i) for i in range(0, min(b, c) + 1)) / 2 ** n
    return round(min(1.0, 2 * tail), 6)


def compare(run_a: EvalRun, run_b: EvalRun, judge: Any | None = None) -> Comparison:
    """Deltas, McNemar on the paired first runs, flipped scenarios, and (with a judge) pairwise preferences."""
    passed_a = {r.id: r.passed for r in run_a.results if r.run == 0 and not r.skipped}
    passed_b = {r.id: r.passed for r in run_b.results if r.run == 0 and not r.skipped}
    common = sorted(set(passed_a) & set(passed_b))
    to_pass = [i for i in common if not passed_a[i] and passed_b[i]]
    to_fail = [i for i in common if passed_a[i] and not passed_b[i]]
    deltas = {}
    for key in NUMERIC:
        a, b = run_a.summary.get(key), run_b.summary.get(key)
        deltas[key] = {"a": a, "b": b, "delta": round(b - a, 4) if isinstance(a, (int, float)) and
                       isinstance(b, (int, float)) else None}
    pairwise = None
    if judge is not None:
        replies_a = {r.id: r for r in run_a.results if r.run == 0 and r.replies}
        replies_b = {r.id: r for r in run_b.results if r.run == 0 and r.replies}
        pairwise = {"a": 0, "b": 0, "tie": 0, "failed": 0}
        for scenario_id in sorted(set(replies_a) & set(replies_b)):
            ra, rb = replies_a[scenario_id], replies_b[scenario_id]
            verdict = judge_pair(judge, platform=ra.platform, customer_text=ra.customer_text or "",
                                 reply_a=ra.replies[-1], reply_b=rb.replies[-1])
            pairwise[verdict or "failed"] += 1
    return Comparison(
        a=run_a.config, b=run_b.config, scenarios=len(common), deltas=deltas,
        mcnemar={"a_only": len(to_fail), "b_only": len(to_pass), "p_value": mcnemar_exact(len(to_fail), len(to_pass))},
        flipped_to_pass=to_pass, flipped_to_fail=to_fail, judge_pairwise=pairwise,
    )
