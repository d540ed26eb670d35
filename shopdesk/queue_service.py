"""Application layer over the inbox and outbox for the CLI and the console (no agent, no threads)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from runtime.conversations import ConversationStore
from runtime.inbox import Inbox, InboxItem
from runtime.outbox import Outbox, OutboxRecord
from shopdesk.settings import Settings
from tools.clock import Clock, SystemClock


@dataclass
class Queues:
    inbox: Inbox
    outbox: Outbox
    conversations: ConversationStore


@contextmanager
def open_queues(settings: Settings) -> Iterator[Queues]:
    settings.ensure_data_dir()
    db = settings.app_db_path
    queues = Queues(Inbox(db), Outbox(db), ConversationStore(db))
    try:
        yield queues
    finally:
        queues.inbox.close()
        queues.outbox.close()
        queues.conversations.close()


def inbox_row(item: InboxItem, queues: Queues) -> dict[str, Any]:
    conversation = queues.conversations.get(item.conversation_key)
    return {
        "id": item.id, "platform": item.platform, "platform_message_id": item.message.platform_message_id,
        "delivery_id": item.delivery_id, "conversation": item.conversation_key,
        "customer": (conversation.customer_id if conversation and conversation.customer_id else None),
        "customer_identity": item.message.customer_identity, "text": item.message.text,
        "received_at": item.message.received_at.isoformat(), "status": item.status, "attempts": item.attempts,
        "last_error": item.last_error,
        "conversation_status": conversation.status if conversation else None,
        "deadline": conversation.deadline.isoformat() if conversation and conversation.deadline else None,
    }


def inbox_detail(item: InboxItem, queues: Queues) -> dict[str, Any]:
    conversation = queues.conversations.get(item.conversation_key)
    return {
        **inbox_row(item, queues), "channel": item.channel,
        "agent": (conversation.trace if conversation else None),
        "thread": [m.model_dump(mode="json") for m in queues.conversations.messages(item.conversation_key)],
        "outbox": [outbox_row(r) for r in queues.outbox.for_conversation(item.conversation_key)],
    }


def outbox_row(record: OutboxRecord) -> dict[str, Any]:
    return {"id": record.id, "platform": record.message.platform, "conversation": record.message.conversation_id,
            "status": record.status, "attempts": record.attempts, "author": record.message.author,
            "last_error": record.last_error, "platform_message_id": record.platform_message_id,
            "text": record.message.text}


def retry_outbox(queues: Queues, ids: list[int] | None = None, *, include_uncertain: bool = False,
                 clock: Clock | None = None) -> list[OutboxRecord]:
    """Release dead letters (and, only when asked, uncertain sends a person has checked) for another try."""
    now = (clock or SystemClock()).now()
    wanted = ("dead", "uncertain") if include_uncertain else ("dead",)  # an uncertain send may have gone out
    candidates = [r for r in queues.outbox.records() if r.status in wanted and (not ids or r.id in ids)]
    released = [queues.outbox.release(r.id, now) for r in candidates]
    for record in released:
        queues.conversations.audit(record.message.conversation_id, "cli", "outbox_retry", now, outbox_id=record.id)
    return released
