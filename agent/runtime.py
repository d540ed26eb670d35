"""Running the graph for one message, resuming a review, and reading back what happened.

`AgentRuntime.handle` is what the CLI, the workers and the tests call. It runs with durability
"sync" (a checkpoint is written before each next step), so a crashed run resumes from its last
finished step, and writes replay from the store's ledger instead of repeating.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import Command
from pydantic import BaseModel, Field

from agent.context import AgentContext
from agent.graph import build_graph
from agent.held_turn import awaits_approval, dropped_write, held_from
from agent.routing import HANDOFF_FLAGS
from agent.schemas import InboundMessage
from agent.state import AgentState, as_model, dump, typed_state
from tools.results import PendingAction


class ToolCallTrace(BaseModel):
    name: str
    args: dict[str, Any]
    ok: bool
    error: str | None = None


class ReplyTrace(BaseModel):
    """What the agent did with one message (the `shopdesk reply --json` shape)."""

    thread: str
    customer_id: str | None = None
    intent: str | None
    confidence: float | None
    urgency: str | None = Field(description="agent/urgency.py: from risk, tone, the reply clock, the order and what "
                                            "the tools found (the text rules' alone before the route step ran).")
    urgency_reasons: list[str] = Field(default_factory=list, description="Why more than normal, most urgent first.")
    language: str | None
    risk_flags: list[str] = Field(default_factory=list)
    entities: dict[str, list[str]] = Field(default_factory=dict)
    tool_calls: list[ToolCallTrace] = Field(default_factory=list)
    passages: list[str] = Field(default_factory=list)
    draft: str | None = None
    compliance: dict[str, Any] | None = None
    route: str | None = None
    reasons: list[str] = Field(default_factory=list)
    deadline: datetime | None = None
    priority: str | None = None
    status: str | None = None
    handoff_summary: str | None = None
    pending_action: dict[str, Any] | None = None
    awaiting_review: bool = False
    engine_notes: list[str] = Field(default_factory=list)
    acknowledgment: str | None = Field(default=None, description="Sent to the customer when this turn went to a person.")
    dropped_write: dict[str, Any] | None = Field(
        default=None, description="A write that waited for approval before this message and no longer does, with "
                                  "why (agent/held_turn.py): the conversation store audits it.")


class AgentRuntime:
    def __init__(self, context: AgentContext, checkpointer: BaseCheckpointSaver[Any] | None = None) -> None:
        self.context = context
        self.graph = build_graph(checkpointer)

    def _config(self, thread: str) -> RunnableConfig:
        return {"configurable": {"thread_id": thread}, "recursion_limit": 40}

    def handle(self, message: InboundMessage, thread: str | None = None,
               held_flags: list[str] | None = None) -> ReplyTrace:
        """Run the agent on one customer message. `held_flags`: the risk flags the conversation still carries
        per the inbox (the source of truth once a person can clear them); None keeps the graph's own."""
        thread = thread or message.conversation_id or f"T{uuid.uuid4().hex[:12]}"
        inputs: dict[str, Any] = {
            "conversation_id": thread, "platform": message.platform, "text": message.text,
            "customer_identity": message.customer_identity, "customer_id": message.customer_id,
            "received_at": message.received_at.isoformat(), "identity_verified": message.identity_verified,
            "identity_note": message.identity_note, "verified_email": message.verified_email,
            "attachments": list(message.attachments),
        }
        if held_flags is not None:
            inputs["held_flags"] = list(held_flags)
        paused = self.graph.get_state(self._config(thread))
        before = typed_state(paused.values)
        # an earlier reply still waits for a person: it is carried into this turn, not dropped (agent/held_turn.py)
        # ... unless it proposed a write that waits for the customer's own yes: this message may be that answer,
        # and the new turn settles it (runs it or not) with a reply of its own; folding the earlier offer into
        # that reply would ask again what was just done
        pending = before.get("pending_action") if paused.interrupts else None
        awaits_customer = bool(pending) and not awaits_approval(pending)
        held = held_from(before) if paused.interrupts and not awaits_customer else None
        inputs["held_turn"] = held
        context = self.context
        if held is not None:  # nothing goes out alone while a person still owes the earlier answer
            context = replace(context, seller_settings=context.seller_settings.with_autopilot(
                False, [message.platform]))
        self.graph.invoke(inputs, self._config(thread), context=context, durability="sync")  # type: ignore[call-overload]  # the input is part of a state, which langgraph's overloads type as the whole AgentState
        if held is not None:
            self._back_to_review(thread, held, context)
        trace = self.trace(thread)
        if held is not None:
            values = self.values(thread)
            held_write = as_model(held.get("pending_action"), PendingAction)
            executed = any(r.get("ok") and r.get("write") and r.get("name") == (held_write.tool if held_write else None)
                           for r in values.get("tool_results", []))
            trace.dropped_write = dropped_write(held, values, executed)
        return trace

    def _back_to_review(self, thread: str, held: dict[str, Any], context: AgentContext) -> None:
        """A follow-up the agent cannot answer ("hello?", an unsure topic) went to a person, which would drop the
        earlier draft and its waiting write: the review waits again with both (the new message's reasons with
        it). A handoff-level risk (a chargeback, a legal threat) stands: a person takes the whole conversation,
        and the dropped write is audited."""
        snapshot = self.graph.get_state(self._config(thread))
        values = typed_state(snapshot.values)
        triage, decision = values.get("triage"), values.get("decision")
        flags = set(triage.risk_flags if triage else [])
        if snapshot.interrupts or values.get("status") != "handed_off" or flags & set(HANDOFF_FLAGS) \
                or not (held.get("draft") or (held.get("pending_action") or {}).get("needs_approval")) or not decision:
            return
        decision = decision.model_copy(update={"route": "review", "handoff_summary": None})
        self.graph.update_state(self._config(thread), {"decision": decision}, as_node="route")
        self.graph.invoke(None, self._config(thread), context=context, durability="sync")

    def resume(self, thread: str, answer: dict[str, Any]) -> ReplyTrace:
        """Continue a run waiting for review with a person's decision."""
        self.graph.invoke(Command(resume=answer), self._config(thread), context=self.context, durability="sync")
        return self.trace(thread)

    def recover(self, thread: str) -> ReplyTrace:
        """Finish a run that stopped mid-way (a crash, a killed worker) from its last checkpoint.

        Completed steps are not run again; a step that had started re-runs, and its writes replay
        from the store's idempotency ledger instead of happening twice.
        """
        if self.graph.get_state(self._config(thread)).next:
            self.graph.invoke(None, self._config(thread), context=self.context, durability="sync")
        return self.trace(thread)

    def values(self, thread: str) -> AgentState:
        """The thread's state, its typed fields as models whichever code wrote the checkpoint."""
        return typed_state(self.graph.get_state(self._config(thread)).values)

    def trace(self, thread: str) -> ReplyTrace:
        snapshot = self.graph.get_state(self._config(thread))
        state = typed_state(snapshot.values)
        triage, decision, draft = state.get("triage"), state.get("decision"), state.get("draft")
        return ReplyTrace(
            thread=thread, customer_id=state.get("customer_id"),
            intent=triage.intent if triage else None, confidence=triage.confidence if triage else None,
            urgency=(decision.urgency if decision else None) or (triage.urgency if triage else None),
            urgency_reasons=decision.urgency_reasons if decision else [],
            language=triage.language if triage else None, risk_flags=list[str](triage.risk_flags) if triage else [],
            entities={k: v for k, v in triage.entities.model_dump().items() if v} if triage else {},
            tool_calls=[ToolCallTrace(name=r["name"], args=r.get("args", {}), ok=r["ok"], error=r.get("error"))
                        for r in state.get("tool_results", [])],
            passages=[p["id"] for p in state.get("passages", [])],
            draft=draft.text if draft else None, compliance=dump(state.get("compliance")),
            route=decision.route if decision else None, reasons=decision.reasons if decision else [],
            deadline=decision.deadline if decision else None, priority=decision.priority if decision else None,
            status=state.get("status"), handoff_summary=decision.handoff_summary if decision else None,
            pending_action=dump(state.get("pending_action")), awaiting_review=bool(snapshot.interrupts),
            engine_notes=state.get("engine_notes", []), acknowledgment=state.get("acknowledgment"),
        )
