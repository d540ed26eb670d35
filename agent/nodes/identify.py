"""identify: who is writing. The identity is fixed here and injected into every tool later."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import HumanMessage
from langgraph.runtime import Runtime

from agent.context import AgentContext
from agent.state import AgentState


def identify(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    backend = runtime.context.backend
    customer_id = state.get("customer_id")
    customer = None
    if customer_id:
        try:
            customer = backend.get_customer(customer_id)
        except Exception:  # noqa: BLE001 - an unknown id is the same as an unknown person here
            customer = None
    elif state.get("customer_identity"):
        customer = backend.find_customer(state["platform"], state["customer_identity"])  # type: ignore[arg-type]
    return {
        "customer_id": customer.id if customer else None,
        "customer_name": customer.name if customer else None,
        "turn": state.get("turn", 0) + 1,
        "messages": [HumanMessage(content=state["text"])],
        # a new customer message starts a new turn
        "triage": None, "passages": [], "tool_results": [], "outcome": None, "draft": None, "compliance": None,
        "rewrites": 0, "decision": None, "review": None, "status": "new", "sent_key": None, "engine_notes": [],
    }
