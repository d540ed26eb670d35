"""handoff: a person takes the conversation; the summary and priority travel with it.

Unless the seller turned it off, the customer is told at once that a person has it and by when
(agent/acknowledgment.py), once per handoff: a second "hello?" before anyone answered gets no second
acknowledgment. No acknowledgment goes to a sender nobody vouches for (a spoofed email must not get mail),
to a message that tries to instruct the assistant (a person decides whether and how to answer it), when a
person took the conversation over from the console, or when it fails the compliance check.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent.acknowledgment import acknowledgment
from agent.attachment_turn import acknowledged_attachment
from agent.compliance import check_reply
from agent.context import AgentContext
from agent.nodes.check import compliance_input
from agent.nodes.route import handoff_summary
from agent.schemas import Decision, OutboundMessage
from agent.state import AgentState


def handoff(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    decision = Decision.model_validate(state["decision"])  # a model already: the route step decided
    summary = decision.handoff_summary or handoff_summary(state, decision.reasons or ["taken over by a person"])
    decision = decision.model_copy(update={"handoff_summary": summary, "route": "handoff"})
    update: dict[str, Any] = {"decision": decision, "status": "handed_off", "pending_action": None, "awaiting": None,
                              "acknowledgment": None}
    text = _acknowledge(state, runtime, decision)
    if text:
        update.update(acknowledgment=text, acknowledged=True)
    return update


def _acknowledge(state: AgentState, runtime: Runtime[AgentContext], decision: Decision) -> str | None:
    ctx = runtime.context
    taken_over = (state.get("review") or {}).get("action") is not None
    if not ctx.seller_settings.handoff_acknowledgment or taken_over or state.get("acknowledged") \
            or not state.get("identity_verified", True):
        return None
    triage = state.get("triage")
    if triage is not None and "prompt_injection" in triage.risk_flags:
        return None  # nothing automatic answers a message that tries to instruct the assistant: a person decides
    text = acknowledgment(
        risk_flags=list(triage.risk_flags) if triage else [], language=triage.language if triage else None,
        deadline=decision.deadline,
        now=ctx.clock.now(), first_name=(state.get("customer_name") or "").split(" ")[0] or None,
        received=acknowledged_attachment(state))
    report = check_reply(compliance_input(state, runtime, text), ctx.policies[state["platform"]])
    if not report.ok:
        return None
    key = f"{state['conversation_id']}:{state.get('turn', 1)}:ack"
    ctx.outbox.enqueue(OutboundMessage(
        conversation_id=state["conversation_id"], platform=state["platform"], customer_id=state.get("customer_id"),
        text=text, idempotency_key=key, author="agent", kind="acknowledgment"), ctx.clock.now())
    return text
