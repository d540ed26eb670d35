"""draft: the reply in the brand voice and the platform's format.

Templates filled only with tool results and passages are the draft; with an LLM configured, the
model may re-phrase it from the same facts (the check step then verifies every fact it states).
A rewrite request after a failed check goes to the LLM; without one, the draft goes to a human.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent.context import AgentContext
from agent.llm_engine import llm_phrase, llm_rewrite
from agent.schemas import Draft
from agent.state import AgentState
from agent.templates import render


def draft(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    outcome = state.get("outcome") or {}
    current = state.get("draft")
    if current and state.get("rewrites", 0) > 0 and ctx.llm is not None:
        violations = [f"{v['rule']}: {v['message']}" for v in (state.get("compliance") or {}).get("violations", [])]
        facts = [r["data"] for r in state.get("tool_results", []) if r.get("ok") and r.get("data")]
        rewritten = llm_rewrite(ctx, current["text"], violations, facts)
        return {"draft": {**current, "text": rewritten or current["text"], "engine": "llm", "rewritten": True}}
    template = outcome.get("template")
    if not template or template == "handoff":
        return {"draft": None}
    name = (state.get("customer_name") or "").split(" ")[0] or None
    facts = [r["data"] for r in state.get("tool_results", []) if r.get("ok") and r.get("data")]
    done = [r["name"] for r in state.get("tool_results", []) if r.get("ok") and r.get("write")]
    if template == "llm_answer":
        text, engine = outcome["slots"]["answer"], "llm"
    else:
        text, engine = render(template, outcome.get("slots", {}), first_name=name), "templates"
        if ctx.llm is not None:
            phrased = llm_phrase(ctx, state, text, facts, state.get("passages", []), name)
            if phrased:
                text, engine = phrased, "llm"
    result = Draft(text=text, citations=outcome.get("citations", []), facts=[], claims_actions=done, engine=engine)  # type: ignore[arg-type]
    return {"draft": result.model_dump(mode="json")}
