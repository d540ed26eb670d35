"""handoff: a person takes the conversation; the summary and priority travel with it."""

from __future__ import annotations

from typing import Any

from agent.nodes.route import handoff_summary
from agent.state import AgentState


def handoff(state: AgentState) -> dict[str, Any]:
    decision = dict(state.get("decision") or {})
    if not decision.get("handoff_summary"):
        reasons = decision.get("reasons") or ["taken over by a person"]
        decision["handoff_summary"] = handoff_summary(state, reasons)
    decision["route"] = "handoff"
    return {"decision": decision, "status": "handed_off", "pending_action": None, "awaiting": None}
