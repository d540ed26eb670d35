"""The LLM engine's three jobs: answer the long tail with tools, phrase drafts, rewrite after a check.

Each job degrades safely: a timeout, an HTTP error after retries, garbage output, a reply cut at
max_tokens or too many tool rounds becomes a handoff (long tail) or keeps the template draft (phrasing,
rewrite), never a crash, and leaves an engine note saying why. Every tool call the model makes is
answered with a tool message, errors included.

No model call is made for a message that already goes to a person (`handoff_already_decided`): the
route node would discard whatever the model wrote, so the call would only add its latency.

Tools always go out with `tool_choice="auto"`. Without a `tool_choice`, llama-cpp-python's server drops
the tools; "required" is not accepted by every OpenAI-compatible server and would forbid the plain answer
or question the long tail often needs (the plans, not the model, do the lookups every known intent demands).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, SystemMessage, ToolMessage

from agent.context import AgentContext
from agent.nodes.route import RULE_ANSWERS
from agent.plans import PlanOutcome
from agent.prompts import AGENT_SYSTEM, DRAFT_SYSTEM, REWRITE_SYSTEM, REWRITE_USER
from agent.routing import decide
from agent.state import AgentState, customer_words
from tools.context import ToolContext
from tools.registry import openai_tool_schemas
from tools.results import PendingAction, ToolResult

MAX_ROUNDS = 4
MAX_BAD_ROUNDS = 2
TOOL_CHOICE = "auto"


def _history(state: AgentState, limit: int = 8) -> list[AnyMessage]:
    """The transcript so far (customer messages and sent replies), newest last."""
    return list(state.get("messages", []))[-limit:]


def handoff_already_decided(ctx: AgentContext, state: AgentState, *, handoff_reason: str | None = None,
                            template: str | None = None) -> list[str]:
    """Why a person takes this message whatever a model would write; empty when a reply may still go out.

    Asks the route node's own `decide` (with a draft assumed), so the rule lives in one place.
    """
    triage = state.get("triage")
    if not triage:
        return []
    received = state.get("received_at")
    decision = decide(
        triage=triage, policy=ctx.policies[state["platform"]],
        settings=ctx.seller_settings, received_at=datetime.fromisoformat(received) if received else ctx.clock.now(),
        now=ctx.clock.now(), has_draft=True, compliance=None, handoff_reason=handoff_reason, review_reason=None,
        needs_approval=False, human_approved=False, answered_by_rule=template in RULE_ANSWERS,
    )
    return decision.reasons if decision.route == "handoff" else []


def llm_answer(ctx: AgentContext, tool_ctx: ToolContext, state: AgentState,
               run: Callable[[str, dict[str, Any]], ToolResult]) -> PlanOutcome:
    """Let the model look things up for a message no plan covers; hand off if it cannot finish."""
    from agent.llm import LLMUnavailable, invoke_safely

    policy = ctx.policies[state["platform"]]
    system = AGENT_SYSTEM.format(platform_name=policy.display_name, customer_name=state.get("customer_name") or "a customer")
    messages: list[AnyMessage] = [SystemMessage(content=system), *_history(state)]
    if not messages or not isinstance(messages[-1], HumanMessage):
        messages.append(HumanMessage(content=customer_words(state)))
    model = ctx.llm.bind_tools(openai_tool_schemas(), tool_choice=TOOL_CHOICE)
    pending: PendingAction | None = None
    bad_rounds = 0
    try:
        for _ in range(MAX_ROUNDS):
            reply = invoke_safely(model, messages)  # a reply cut at max_tokens raises (reason "length")
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
               passages: list[dict[str, Any]], first_name: str | None, *, notes: list[str] | None = None) -> str | None:
    """The model's wording of an approved template draft, or None to keep the template.

    `notes` (the draft node's engine notes) gets one line whenever the template is kept, saying why.
    """
    from agent.llm import LLMUnavailable, invoke_safely

    outcome = state.get("outcome")
    if reasons := handoff_already_decided(ctx, state, handoff_reason=outcome.handoff_reason if outcome else None,
                                          template=outcome.template if outcome else None):
        _note(notes, f"no LLM phrasing: the message goes to a person ({'; '.join(reasons)})")
        return None
    policy = ctx.policies[state["platform"]]
    prompt = DRAFT_SYSTEM.format(
        platform_name=policy.display_name, first_name=first_name or "there", max_chars=policy.messaging.max_chars,
        facts=json.dumps(facts, default=str)[:6000], passages=_passages(passages), template_draft=template_text,
    )
    try:
        # the customer's words without any note to the assistant: the model words an answer to what they asked
        reply = invoke_safely(ctx.llm, [SystemMessage(content=prompt), HumanMessage(content=customer_words(state))])
    except LLMUnavailable as exc:
        _note(notes, f"LLM phrasing {_why(exc)}; kept the template")
        return None
    text = reply.content if isinstance(reply.content, str) else ""
    if not text.strip():
        _note(notes, "LLM phrasing came back empty; kept the template")
    return text.strip() or None


def llm_rewrite(ctx: AgentContext, text: str, violations: list[str], facts: list[dict[str, Any]], *,
                passages: list[dict[str, Any]] | None = None, notes: list[str] | None = None) -> str | None:
    """One rewrite after a failed check, told which rules broke and which facts and passages are true."""
    from agent.llm import LLMUnavailable, invoke_safely

    request = REWRITE_USER.format(violations="; ".join(violations), facts=json.dumps(facts, default=str)[:6000],
                                  passages=_passages(passages or []))
    try:
        reply = invoke_safely(ctx.llm, [SystemMessage(content=REWRITE_SYSTEM), HumanMessage(content=text),
                                        HumanMessage(content=request)])
    except LLMUnavailable as exc:
        _note(notes, f"LLM rewrite {_why(exc)}; kept the draft as it was")
        return None
    out = reply.content if isinstance(reply.content, str) else ""
    if not out.strip():
        _note(notes, "LLM rewrite came back empty; kept the draft as it was")
    return out.strip() or None


def _passages(passages: list[dict[str, Any]]) -> str:
    return ("\n\n".join(f"[{p['id']}] {p['text']}" for p in passages) or "(none)")[:4000]


def _why(exc: Exception) -> str:
    reason = getattr(exc, "reason", None)
    return "was cut at max_tokens" if reason == "length" else f"unavailable ({reason or type(exc).__name__})"


def _note(notes: list[str] | None, line: str) -> None:
    if notes is not None:
        notes.append(line)
