"""review: a LangGraph interrupt; the console (or CLI) resumes it with a person's decision.

Resume with {"action": "approve" | "edit" | "reject" | "take_over" | "deny_action", "text": ..., "reason": ...}.
Approving a pending write above the threshold runs it (act again, approved); an edited text is checked
again before it can go; anything else ends the turn without sending.
"""

from __future__ import annotations


from langgraph.graph import END
from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

from agent.compliance import check_reply
from agent.context import AgentContext
from agent.nodes.check import compliance_input
from agent.state import AgentState

ACTIONS = {"approve", "edit", "reject", "take_over", "deny_action"}


def review(state: AgentState, runtime: Runtime[AgentContext]) -> Command:  # type: ignore[type-arg]
    answer = interrupt({
        "conversation_id": state["conversation_id"],
        "draft": (state.get("draft") or {}).get("text"),
        "compliance": state.get("compliance"),
        "reasons": (state.get("decision") or {}).get("reasons", []),
        "pending_action": state.get("pending_action"),
    })
    if not isinstance(answer, dict) or answer.get("action") not in ACTIONS:
        return Command(goto="review", update={"engine_notes": [f"ignored an invalid review answer: {answer!r}"]})
    action = answer["action"]
    pending = state.get("pending_action")
    if action == "approve" and pending and pending.get("needs_approval"):
        return Command(goto="act", update={"approved_action": pending, "review": answer, "rewrites": 0})
    if action == "approve":
        if not state.get("draft"):
            return Command(goto="review", update={"engine_notes": ["nothing to approve: write a reply (edit)"]})
        return Command(goto="send", update={"review": answer})
    if action == "edit":
        text = str(answer.get("text") or "").strip()
        if not text:
            return Command(goto="review", update={"engine_notes": ["an edit needs text"]})
        report = check_reply(compliance_input(state, runtime, text), runtime.context.policies[state["platform"]])  # type: ignore[index]
        edited = {**(state.get("draft") or {"citations": [], "facts": [], "claims_actions": []}),
                  "text": text, "engine": "human", "rewritten": True}
        if report.ok:
            return Command(goto="send", update={"draft": edited, "compliance": report.model_dump(mode="json"),
                                                "review": answer})
        return Command(goto="review", update={"draft": edited, "compliance": report.model_dump(mode="json")})
    if action == "take_over":
        return Command(goto="handoff", update={"review": answer})
    status = "rejected"
    return Command(goto=END, update={"review": answer, "status": status, "pending_action": None, "awaiting": None})
