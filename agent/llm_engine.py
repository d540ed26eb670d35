"""The LLM engine's three jobs: answer the long tail with tools, phrase drafts, rewrite after a check.

Each job degrades safely: a timeout, an HTTP error after retries, garbage output or too many tool
rounds becomes a handoff (long tail) or keeps the template draft (phrasing), never a crash. Every
tool call the model makes is answered with a tool message, errors included.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, SystemMessage, ToolMessage

from agent.context import AgentContext
from agent.plans import PlanOutcome
from agent.prompts import AGENT_SYSTEM, DRAFT_SYSTEM, REWRITE_USER
from agent.state import AgentState
from tools.context import ToolContext
from tools.registry import openai_tool_schemas
from tools.results import PendingAction, ToolResult

MAX_ROUNDS = 4
MAX_BAD_ROUNDS = 2


def _history(state: AgentState, limit: int = 8) -> list[AnyMessage]:
    """The transcript so far (customer messages and sent replies), newest last."""
    return list(state.get("messages", []))[-limit:]


def llm_answer(ctx: AgentContext, tool_ctx: ToolContext, state: AgentState,
               run: Callable[[str, dict[str, Any]], ToolResult]) -> PlanOutcome:
    """Let the model look things up for a message no plan covers; hand off if it cannot finish."""
    from agent.llm import LLMUnavailable, invoke_safely

    policy = ctx.policies[state["platform"]]  # type: ignore[index]
    system = AGENT_SYSTEM.format(platform_name=policy.display_name, customer_name=state.get("customer_name") or "a customer")
    messages: list[AnyMessage] = [SystemMessage(content=system), *_history(state)]
    if not messages or not isinstance(messages[-1], HumanMessage):
        messages.append(HumanMessage(content=state["text"]))
    model = ctx.llm.bind_tools(openai_tool_schemas())
    pending: PendingAction | None = None
    bad_rounds = 0
    try:
        for _ in range(MAX_ROUNDS):
            reply = invoke_safely(model, messages)
            if not isinstance(reply, AIMessage):
                raise LLMUnavailable("the model did not return a message", reason="malformed_response")
            messages.append(reply)
            invalid = list(getattr(reply, "invalid_tool_calls", []) or [])
            for bad in invalid:
                messages.append(ToolMessage(content=json.dumps({"ok": False, "error": "malformed tool call arguments"}),
                                            tool_call_id=bad.get("id") or "invalid", status="error"))
            if not reply.tool_calls and not invalid:
                text = reply.content if isinstance(reply.content, str) else ""
                if not text.strip():
                    raise LLMUnavailable("the model returned an empty answer", reason="malformed_response")
                return PlanOutcome(template="llm_answer", slots={"answer": text.strip()}, pending_action=pending,
                                   awaiting="confirmation" if pending else None)
            bad_rounds = bad_rounds + 1 if invalid and not reply.tool_calls else 0
            if bad_rounds >= MAX_BAD_ROUNDS:
                raise LLMUnavailable("the model kept producing malformed tool calls", reason="malformed_response")
            for call in reply.tool_calls:
                result = run(call["name"], call.get("args") or {})
                if result.ok and call["name"] == "handoff":
                    messages.append(ToolMessage(content=json.dumps(result.model_dump(mode="json")),
                                                tool_call_id=call["id"]))
                    return PlanOutcome(template="handoff", handoff_reason=f"the model asked for a person: "
                                       f"{(result.data or {}).get('reason', '')}")
                if result.error_code in ("confirmation_required", "approval_required") and result.data:
                    pending = PendingAction.model_validate(result.data["proposed"])
                messages.append(ToolMessage(content=json.dumps(result.model_dump(mode="json"), default=str),
                                            tool_call_id=call["id"], status="success" if result.ok else "error"))
        raise LLMUnavailable(f"no answer after {MAX_ROUNDS} tool rounds", reason="model_error")
    except LLMUnavailable as exc:
        return PlanOutcome(template="handoff", handoff_reason=f"LLM could not answer: {exc}")


def llm_phrase(ctx: AgentContext, state: AgentState, template_text: str, facts: list[dict[str, Any]],
               passages: list[dict[str, Any]], first_name: str | None) -> str | None:
    """The model's wording of an approved template draft, or None to keep the template."""
    from agent.llm import LLMUnavailable, invoke_safely

    policy = ctx.policies[state["platform"]]  # type: ignore[index]
    prompt = DRAFT_SYSTEM.format(
        platform_name=policy.display_name, first_name=first_name or "there", max_chars=policy.messaging.max_chars,
        facts=json.dumps(facts, default=str)[:6000],
        passages="\n\n".join(f"[{p['id']}] {p['text']}" for p in passages)[:4000],
        template_draft=template_text,
    )
    try:
        reply = invoke_safely(ctx.llm, [SystemMessage(content=prompt), HumanMessage(content=state["text"])])
    except LLMUnavailable:
        return None
    text = reply.content if isinstance(reply.content, str) else ""
    return text.strip() or None


def llm_rewrite(ctx: AgentContext, text: str, violations: list[str], facts: list[dict[str, Any]]) -> str | None:
    """One rewrite after a failed check, told which rules broke and which facts are true."""
    from agent.llm import LLMUnavailable, invoke_safely

    request = REWRITE_USER.format(violations="; ".join(violations), facts=json.dumps(facts, default=str)[:6000])
    try:
        reply = invoke_safely(ctx.llm, [SystemMessage(content="You fix customer-service replies."),
                                        HumanMessage(content=text), HumanMessage(content=request)])
    except LLMUnavailable:
        return None
    out = reply.content if isinstance(reply.content, str) else ""
    return out.strip() or None
