"""Issue 16, typed hops: the state's fields are models, and they survive the checkpoint as models.

A conversation goes through two turns on a real SQLite checkpoint file, re-opened between them (a worker
restart): the models come back as models, with no serializer warning and nothing blocked. A checkpoint an
earlier version wrote holds plain dicts in these fields: the next turn still reads them (agent/state.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from langgraph.checkpoint.serde.event_hooks import register_serde_event_listener
from langgraph.checkpoint.sqlite import SqliteSaver

from agent.checkpoint import checkpoint_serde
from agent.plans import PlanOutcome
from agent.runtime import AgentRuntime
from agent.schemas import ComplianceReport, Decision, Draft, PriorTurn, Triage
from agent.state import MODELS, plain_state, typed_state
from tools.models import Order
from tools.results import PendingAction
from tools.sandbox.store import SandboxStore

from testdata import ANCHOR


def _returnable(store: SandboxStore) -> Order:
    return next(o for o in store.find_orders(platform="shopify", status="delivered", limit=None)
                if len(o.items) == 1 and o.delivered_at > ANCHOR - timedelta(days=8) and not store.order_returns(o.id))


@contextmanager
def _opened(make_runtime: Any, path: Path) -> Iterator[AgentRuntime]:
    """A runtime on the checkpoint file, as the service opens it (shopdesk/agent_service.py), closed after."""
    connection = sqlite3.connect(str(path), check_same_thread=False)
    try:
        yield make_runtime(checkpointer=SqliteSaver(connection, serde=checkpoint_serde()))
    finally:
        connection.close()


@contextmanager
def _serde_events() -> Iterator[list[dict[str, Any]]]:
    """Every event the serializer emits (an unregistered type rebuilt, a type blocked): not deduplicated, unlike
    its log warnings, so a test run after another still sees them."""
    events: list[dict[str, Any]] = []
    unregister = register_serde_event_listener(lambda event: events.append(dict(event)))
    try:
        yield events
    finally:
        unregister()


def _raw(runtime: AgentRuntime, thread: str) -> dict[str, Any]:
    """The state exactly as the checkpointer gives it back (no `typed_state`)."""
    return dict(runtime.graph.get_state({"configurable": {"thread_id": thread}}).values)  # type: ignore[arg-type]


def test_the_models_round_trip_through_a_reopened_sqlite_checkpoint(make_runtime, say, store: SandboxStore,  # type: ignore[no-untyped-def]
                                                                   tmp_path: Path) -> None:
    order = _returnable(store)
    path = tmp_path / "checkpoints.db"
    with _serde_events() as events:
        with _opened(make_runtime, path) as rt:
            first = say(order.customer_id, "shopify", f"I want to return {order.id}", rt=rt)
        assert first.pending_action and first.pending_action["tool"] == "start_return"
        with _opened(make_runtime, path) as rt:  # a new process: everything comes from the file
            before = _raw(rt, first.thread)
            assert isinstance(before["triage"], Triage) and isinstance(before["draft"], Draft)
            assert isinstance(before["outcome"], PlanOutcome) and isinstance(before["decision"], Decision)
            assert isinstance(before["compliance"], ComplianceReport)
            assert isinstance(before["pending_action"], PendingAction) and before["pending_action"].tool == "start_return"
            assert isinstance(before["prior_turn"], type(None) | PriorTurn)
            second = say(order.customer_id, "shopify", "yes", thread=first.thread, rt=rt)
        with _opened(make_runtime, path) as rt:
            after = _raw(rt, first.thread)
    assert any(c.name == "start_return" and c.ok for c in second.tool_calls)  # the yes ran the carried write
    assert isinstance(after["prior_turn"], PriorTurn) and after["prior_turn"].awaiting == "confirmation"
    for key in ("triage", "outcome", "draft", "compliance", "decision"):
        assert isinstance(after[key], MODELS[key]), key
    assert events == []  # nothing rebuilt without the allow-list, nothing blocked


def test_a_checkpoint_with_todays_dicts_still_continues(make_runtime, say, store: SandboxStore,  # type: ignore[no-untyped-def]
                                                       tmp_path: Path) -> None:
    """The fields as the code before typed hops wrote them (JSON dicts): the customer's yes still runs the write
    proposed in that turn, and the trace reads as before."""
    order = _returnable(store)
    path = tmp_path / "checkpoints.db"
    with _opened(make_runtime, path) as rt:
        first = say(order.customer_id, "shopify", f"I want to return {order.id}", rt=rt)
        config = {"configurable": {"thread_id": first.thread}}
        old = plain_state(_raw(rt, first.thread))  # today's shape: every typed field a JSON dict
        assert isinstance(old["pending_action"], dict) and isinstance(old["decision"]["deadline"], str)
        rt.graph.update_state(config, {k: old[k] for k in MODELS if k in old}, as_node="send")  # type: ignore[arg-type]
    with _opened(make_runtime, path) as rt:
        stored = _raw(rt, first.thread)
        assert isinstance(stored["pending_action"], dict) and isinstance(stored["triage"], dict)  # as an old one holds
        assert rt.trace(first.thread).model_dump() == first.model_dump()  # the read model reads dicts the same
        second = say(order.customer_id, "shopify", "yes", thread=first.thread, rt=rt)
    assert any(c.name == "start_return" and c.ok for c in second.tool_calls)
    assert second.draft and second.status == "sent"


def test_typed_state_upgrades_each_field_of_an_old_checkpoint() -> None:
    old = {
        "platform": "amazon", "turn": 2,
        "triage": {"intent": "refund_status", "confidence": 0.9, "urgency": "normal", "sentiment": "neutral",
                   "language": "en", "entities": {"order_ids": ["111-1"]}, "risk_flags": [], "source": "classifier",
                   "subscription_action": None},
        "outcome": {"template": "refund_issued", "slots": {"amount": "54.99"}, "order_id": "111-1"},
        "draft": {"text": "Hi", "citations": [], "facts": [], "claims_actions": [], "engine": "templates"},
        "compliance": {"ok": False, "violations": [{"rule": "max_chars", "message": "too long"}]},
        "decision": {"route": "review", "reasons": ["x"], "deadline": "2026-11-27T00:00:00Z"},  # as pydantic wrote it
        "pending_action": {"tool": "refund", "args": {"amount": "54.99"}, "summary": "refund", "needs_approval": True},
        "approved_action": None, "prior_turn": {"intent": "refund_status", "awaiting": "confirmation"},
        "held_turn": {"turn": 1, "draft": {"text": "earlier"}}, "review": {"action": "approve"},
    }
    state = typed_state(old)
    assert state["triage"] and state["triage"].entities.order_ids == ["111-1"]
    assert state["outcome"] and state["outcome"].slots == {"amount": "54.99"}
    assert state["decision"] and state["decision"].deadline.isoformat() == "2026-11-27T00:00:00+00:00"
    assert state["compliance"] and state["compliance"].rules == ["max_chars"]
    assert state["pending_action"] and state["pending_action"].needs_approval
    assert state["prior_turn"] == PriorTurn(intent="refund_status", awaiting="confirmation")
    assert state["approved_action"] is None and state["held_turn"] == old["held_turn"]  # JSON stays JSON
    assert typed_state(state) == state  # models pass through
    assert plain_state(state)["decision"] == {**old["decision"], "priority": "normal", "handoff_summary": None,
                                              "urgency": None, "urgency_reasons": []}
