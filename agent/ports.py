"""What the agent needs from the pipeline around it, as small protocols (the agent imports nothing of runtime/).

The composition root (runtime/ or shopdesk/, e.g. shopdesk/agent_service.py) builds the concrete objects and
puts them in the run's `AgentContext`: runtime/outbox.py `Outbox` for real replies, `DryRunOutbox` for a try.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from agent.schemas import OutboundMessage


class QueuedReply(Protocol):
    """What queueing a reply gives back: the queued message (the first one queued under its idempotency key)."""

    @property
    def message(self) -> OutboundMessage: ...


class ReplySink(Protocol):
    """What the send, handoff and review nodes need from the context's outbox: a place to queue a reply."""

    def enqueue(self, message: OutboundMessage, at: datetime) -> QueuedReply: ...
