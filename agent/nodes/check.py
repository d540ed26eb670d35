"""check: the compliance report for the draft (deterministic rules, optional LLM review on top).

The LLM review is asked for a JSON verdict and validated; a review without a valid verdict fails (a
person looks), it never counts as "no objection". No review or rewrite runs for a message the route
will hand to a person anyway.

Evidence is everything the tools returned and the passages retrieved; other customers' data comes
from any order the message named that belongs to someone else, so a reply can never echo it.
"""

from __future__ import annotations

import json
from typing import Any

from langgraph.runtime import Runtime
from pydantic import BaseModel, ConfigDict

from agent.compliance import ComplianceInput, check_reply
from agent.context import AgentContext
from agent.llm_engine import handoff_already_decided
from agent.prompts import REVIEW_SYSTEM
from agent.schemas import ComplianceReport, Violation
from agent.state import AgentState, dump
from tools.errors import NotFoundError

MAX_REWRITES = 1


def _done_actions(state: AgentState) -> list[str]:
    done = {r["name"] for r in state.get("tool_results", []) if r.get("ok") and r.get("write")}
    for r in state.get("tool_results", []):
        data = r.get("data") or {}
        if not r.get("ok"):
            continue
        if data.get("refunds"):
            done.add("refund")
        if data.get("returns") or data.get("existing_returns"):
            done.add("start_return")
        if data.get("status") == "cancelled" or data.get("order_status") == "cancelled":
            done.add("cancel_order")
        if any(s.get("status") in ("cancelled", "paused") for s in data.get("subscriptions") or []):
            done.add("update_subscription")  # a subscription on file as cancelled makes "it is cancelled" true
    return sorted(done)


def _forbidden(state: AgentState, runtime: Runtime[AgentContext]) -> list[str]:
    values: list[str] = []
    triage = state.get("triage")
    for order_id in triage.entities.order_ids if triage else []:
        try:
            order = runtime.context.backend.get_order(order_id)
        except NotFoundError:
            continue
        if order.customer_id != state.get("customer_id"):
            other = runtime.context.backend.get_customer(order.customer_id)
            values += [other.name, order.shipping_address.line1, *(s.tracking_number for s in order.shipments)]
            values += [other.email] if other.email else []
    return values


def compliance_input(state: AgentState, runtime: Runtime[AgentContext], text: str) -> ComplianceInput:
    evidence = [json.dumps(r.get("data"), default=str) for r in state.get("tool_results", []) if r.get("data")]
    evidence += [p["text"] for p in state.get("passages", [])]
    evidence.append(state["text"])  # echoing what the customer wrote ("order #123 isn't on your account") asserts nothing
    # what earlier turns established: the order under discussion and the action proposed then
    outcome = state.get("outcome")
    evidence.append(json.dumps({"active_order_id": state.get("active_order_id"),
                                "pending_action": dump(state.get("pending_action"))}, default=str))
    return ComplianceInput(
        text=text, platform=state["platform"], evidence=evidence, done_actions=_done_actions(state),
        forbidden_values=_forbidden(state, runtime),
        delay_notice=bool(outcome and outcome.delay_notice),
        customer_text=state["text"],
    )


def check(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    current = state.get("draft")
    if not current:
        return {"compliance": None}
    ctx = runtime.context
    policy = ctx.policies[state["platform"]]
    report = check_reply(compliance_input(state, runtime, current.text), policy)
    # a message already bound for a person gets no model call: its draft is never sent
    outcome = state.get("outcome")
    decided = bool(ctx.llm is not None and handoff_already_decided(
        ctx, state, handoff_reason=outcome.handoff_reason if outcome else None,
        template=outcome.template if outcome else None))
    if report.ok and ctx.llm is not None and ctx.llm_review and not decided:
        report = _llm_review(ctx, policy, current.text)
    update: dict[str, Any] = {"compliance": report}
    fixable = report.violations and all(v.fixable for v in report.violations)
    if fixable and ctx.llm is not None and state.get("rewrites", 0) < MAX_REWRITES and not decided:
        update["rewrites"] = state.get("rewrites", 0) + 1
    return update


class LLMReview(BaseModel):
    """The reviewer's verdict (the JSON schema sent as `response_format`)."""

    model_config = ConfigDict(extra="forbid")
    ok: bool
    problems: list[str]


def _llm_review(ctx: AgentContext, policy: Any, text: str) -> ComplianceReport:
    """The model's policy review of a draft the rules passed.

    A review that gives no valid verdict (unreachable, cut off, still invalid after one repair) is a failed
    review, not a pass: the seller asked for one, so a person looks at the draft instead.
    """
    from langchain_core.messages import HumanMessage, SystemMessage

    from agent.llm import LLMUnavailable, invoke_structured

    m = policy.messaging
    rules = (f"max {m.max_chars} characters; links allowed: {m.links_allowed}; email addresses allowed: "
             f"{m.email_addresses_allowed}; phone numbers allowed: {m.phone_numbers_allowed}; off-platform contact "
             f"allowed: {m.off_platform_contact_allowed}; marketing allowed: {m.marketing_allowed}; never ask for or "
             "reward reviews; never promise what our systems did not confirm")
    system = REVIEW_SYSTEM.format(platform_name=policy.display_name, rules=rules)
    try:
        verdict = invoke_structured(ctx.llm, [SystemMessage(content=system), HumanMessage(content=text)],
                                    LLMReview, name="review")
    except LLMUnavailable as exc:
        return ComplianceReport(ok=False, violations=[Violation(
            rule="llm_review", message=f"the LLM review gave no valid verdict ({exc.reason})", fixable=False)])
    if verdict.ok:
        return ComplianceReport(ok=True)
    problems = [p[:300] for p in verdict.problems if p.strip()][:5] or ["the LLM reviewer objected"]
    return ComplianceReport(ok=False, violations=[Violation(rule="llm_review", message=p, fixable=True)
                                                  for p in problems])


def after_check(state: AgentState) -> str:
    """One rewrite for a fixable violation (LLM mode), then the draft goes on to routing as it is."""
    compliance, current = state.get("compliance"), state.get("draft")
    if compliance and not compliance.ok and state.get("rewrites", 0) >= 1 and not (current and current.rewritten):
        return "rewrite"
    return "route"
