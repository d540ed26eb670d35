"""identify: who is writing. The identity is fixed here and injected into every tool later.

Only a sender the channel vouches for is bound to a customer profile. An unproven one (an email whose
`From:` no DMARC pass backs, issue 18) stays anonymous for the whole turn: no customer, and nothing carried
from earlier turns that could let it act for someone (a pending write waiting for a "yes", an order in
focus), so general questions may still be answered but no order is read or changed, and a person decides.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import HumanMessage
from langgraph.runtime import Runtime

from agent.context import AgentContext
from agent.send_gate import prior_turn
from agent.state import AgentState

UNVERIFIED_NOTE = "sender not authenticated"
CARRIED = ("active_intent", "active_order_id", "pending_action", "awaiting", "approved_action")


def identify(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    backend = runtime.context.backend
    verified = state.get("identity_verified", True)
    customer_id = state.get("customer_id")
    customer = None
    if verified and customer_id:
        try:
            customer = backend.get_customer(customer_id)
        except Exception:  # noqa: BLE001 - an unknown id is the same as an unknown person here
            customer = None
    elif verified and state.get("customer_identity"):
        customer = backend.find_customer(state["platform"], state["customer_identity"])  # type: ignore[arg-type]
    update: dict[str, Any] = {
        "customer_id": customer.id if customer else None,
        "customer_name": customer.name if customer else None,
        "turn": state.get("turn", 0) + 1,
        "messages": [HumanMessage(content=state["text"])],
        # a new customer message starts a new turn
        "triage": None, "reading": None, "passages": [], "tool_results": [], "outcome": None, "draft": None, "compliance": None,
        "rewrites": 0, "decision": None, "review": None, "status": "new", "sent_key": None, "engine_notes": [],
        "acknowledgment": None, "asked": [],
        "prior_turn": prior_turn(state),  # read before act overwrites the topic and what it awaits
    }
    if not verified:
        update |= dict.fromkeys(CARRIED)
        update["verified_email"] = None
        update["engine_notes"] = [f"{UNVERIFIED_NOTE}: {state.get('identity_note') or 'no proof of the sender'}"]
    return update
