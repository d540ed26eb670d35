"""check: the compliance report for the draft (deterministic rules, optional LLM review on top).

Evidence is everything the tools returned and the passages retrieved; other customers' data comes
from any order the message named that belongs to someone else, so a reply can never echo it.
"""

from __future__ import annotations

import json
from typing import Any

from langgraph.runtime import Runtime

from agent.compliance import ComplianceInput, check_reply
from agent.context import AgentContext
from agent.state import AgentState
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
    return sorted(done)


def _forbidden(state: AgentState, runtime: Runtime[AgentContext]) -> list[str]:
    values: list[str] = []
    entities = (state.get("triage") or {}).get("entities", {})
    for order_id in entities.get("order_ids", []):
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
    return ComplianceInput(
        text=text, platform=state["platform"], evidence=evidence, done_actions=_done_actions(state),  # type: ignore[arg-type]
        forbidden_values=_forbidden(state, runtime),
        delay_notice=bool((state.get("outcome") or {}).get("delay_notice")),
    )


def check(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    current = state.get("draft")
    if not current:
        return {"compliance": None}
    ctx = runtime.context
    report = check_reply(compliance_input(state, runtime, current["text"]), ctx.policies[state["platform"]])  # type: ignore[index]
    update: dict[str, Any] = {"compliance": report.model_dump(mode="json")}
    fixable = report.violations and all(v.fixable for v in report.violations)
    if fixable and ctx.llm is not None and state.get("rewrites", 0) < MAX_REWRITES:
        update["rewrites"] = state.get("rewrites", 0) + 1
    return update


def after_check(state: AgentState) -> str:
    """One rewrite for a fixable violation (LLM mode), then the draft goes on to routing as it is."""
    compliance = state.get("compliance") or {}
    if compliance and not compliance.get("ok") and state.get("rewrites", 0) >= 1 and \
            not (state.get("draft") or {}).get("rewritten"):
        return "rewrite"
    return "route"
