"""Workers: claim inbox items and run the agent graph on them, one conversation message at a time.

A worker's whole job for one item: open the conversation row, run (or finish) the graph on the
conversation's thread, store what the agent decided, and mark the item done. The graph's send node only
queues the reply in the outbox; the dispatcher sends it. If a worker is killed anywhere in between, its
lease expires and the next worker takes the item: `mark_started` remembered the thread's checkpoint before
the run, so the successor can tell a run that never began (run it) from one that crashed half-way
(recover it from the checkpoint, writes replaying from the store's ledger) from one that finished
(only record it). Nothing is run twice, nothing is queued twice (the outbox key is conversation:turn).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from agent.routing import held_flags
from agent.runtime import AgentRuntime, ReplyTrace
from runtime.conversations import ConversationStatus, ConversationStore
from runtime.inbox import Inbox, InboxItem
from runtime.intake import record_conversation
from tools.clock import Clock
from tools.policy.loader import PlatformPolicy

log = logging.getLogger("shopdesk.worker")


def status_after(trace: ReplyTrace) -> ConversationStatus:
    """The console's status for a conversation after the agent ran. A rejected draft or a denied write sent
    nothing: the customer still waits, so the conversation stays open with a person (never closed)."""
    if trace.status == "sent":
        return "queued"
    if trace.status == "rejected":
        return "handed_off"
    if trace.awaiting_review:
        return "needs_approval" if (trace.pending_action or {}).get("needs_approval") else "draft_ready"
    if trace.route == "handoff" or trace.status == "handed_off":
        return "handed_off"
    return "draft_ready" if trace.draft else "handed_off"


class Worker:
    def __init__(self, name: str, inbox: Inbox, conversations: ConversationStore, runtime: AgentRuntime,
                 policies: Mapping[str, PlatformPolicy], clock: Clock, *, lease_s: float = 120.0,
                 crash_hook: Callable[[str], None] | None = None) -> None:
        self.name = name
        self.inbox = inbox
        self.conversations = conversations
        self.runtime = runtime
        self.policies = policies
        self.clock = clock
        self.lease_s = lease_s
        self._crash_hook = crash_hook or (lambda point: None)

    def run_once(self) -> bool:
        """Process one item if one is available; False when there was nothing to do."""
        item = self.inbox.claim(self.name, self.clock.now(), self.lease_s)
        if item is None:
            return False
        try:
            trace = self.process(item)
        except Exception as exc:  # noqa: BLE001 - any failure must end as a retry or a visible dead letter
            failed = self.inbox.fail(item.id, self.name, f"{type(exc).__name__}: {exc}", self.clock.now())
            log.warning("inbox item %s failed (attempt %s): %s", item.id, item.attempts, type(exc).__name__)
            if failed.status == "dead":
                self.conversations.set_status(item.conversation_key, "failed", self.clock.now())
                self.conversations.audit(item.conversation_key, "system", "dead_letter", self.clock.now(),
                                         inbox_id=item.id, error=failed.last_error)
            return True
        self._crash_hook("before_complete")
        self.inbox.complete(item.id, self.name)
        log.info("inbox item %s -> %s", item.id, trace.route)
        return True

    def process(self, item: InboxItem) -> ReplyTrace:
        now = self.clock.now()
        record_conversation(self.conversations, self.policies, item)
        self.conversations.set_status(item.conversation_key, "working", now)
        thread = item.conversation_key
        trace = self._run(item, thread)
        status = status_after(trace)
        self.conversations.record_result(item.conversation_key, _trace_json(trace), status, self.clock.now())
        self.conversations.audit(item.conversation_key, f"agent:{self.name}", "processed", self.clock.now(),
                                 inbox_id=item.id, route=trace.route, intent=trace.intent, status=status)
        return trace

    def _run(self, item: InboxItem, thread: str) -> ReplyTrace:
        graph = self.runtime.graph
        config = {"configurable": {"thread_id": thread}}
        snapshot = graph.get_state(config)  # type: ignore[arg-type]
        current = str(snapshot.config.get("configurable", {}).get("checkpoint_id") or "")
        fresh = item.started_checkpoint is None or item.started_checkpoint == current
        if fresh:
            self.inbox.mark_started(item.id, self.name, current)
            self._crash_hook("before_run")
            row = self.conversations.get(item.conversation_key)
            return self.runtime.handle(item.message, thread, held_flags=held_flags(row.risk_flags if row else []))
        if snapshot.next and not snapshot.interrupts:
            log.info("inbox item %s: resuming a run that stopped at %s", item.id, snapshot.next)
            return self.runtime.recover(thread)
        return self.runtime.trace(thread)


def _trace_json(trace: ReplyTrace) -> dict[str, Any]:
    return trace.model_dump(mode="json")
