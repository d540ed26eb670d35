"""send: queue the reply in the outbox under an idempotency key (conversation + turn)."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage
from langgraph.runtime import Runtime

from agent.context import AgentContext
from agent.schemas import Draft, OutboundMessage
from agent.state import AgentState


def send(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    draft = Draft.model_validate(state["draft"])  # a model already; validating it says it is not None
    key = f"{state['conversation_id']}:{state.get('turn', 1)}"
    message = OutboundMessage(
        conversation_id=state["conversation_id"], platform=state["platform"], customer_id=state.get("customer_id"),
        text=draft.text, idempotency_key=key, author="human" if draft.engine == "human" else "agent",
    )
    record = ctx.outbox.enqueue(message, ctx.clock.now())
    return {"status": "sent", "sent_key": key, "messages": [AIMessage(content=record.message.text)],
            "acknowledged": False}
