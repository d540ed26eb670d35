"""The dispatcher: sends queued replies from the outbox on the customer's own channel, exactly once.

The outbox record is claimed, marked `sending` just before the platform call and `sent` after it; retryable
failures (timeouts, 429, 5xx) back off, permanent ones (closed Meta window, a 4xx) become dead letters the
console shows. The conversation's reply route (relay address and Message-ID, TikTok conversation...) comes
from the conversation row, never from the draft.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from channels.base import ChannelSender, SendError
from runtime.conversations import ConversationStore
from runtime.outbox import Outbox, OutboxRecord
from tools.clock import Clock

log = logging.getLogger("shopdesk.dispatcher")


class Dispatcher:
    def __init__(self, outbox: Outbox, conversations: ConversationStore, senders: Mapping[str, ChannelSender],
                 clock: Clock, *, name: str = "dispatcher", lease_s: float = 60.0,
                 crash_hook: Callable[[str], None] | None = None) -> None:
        self.outbox = outbox
        self.conversations = conversations
        self.senders = senders
        self.clock = clock
        self.name = name
        self.lease_s = lease_s
        self._crash_hook = crash_hook or (lambda point: None)

    def run_once(self) -> bool:
        record = self.outbox.claim(self.name, self.clock.now(), self.lease_s)
        if record is None:
            return False
        self.deliver(record)
        return True

    def deliver(self, record: OutboxRecord) -> OutboxRecord:
        message = record.message
        key = message.conversation_id
        conversation = self.conversations.get(key)
        sender = self.senders.get(message.platform)
        now = self.clock.now()
        if sender is None or conversation is None:
            why = (f"no {message.platform} channel is configured" if sender is None
                   else "the conversation is unknown, so there is no reply route")
            return self._failed(record, why, retryable=False)
        self._crash_hook("before_send")
        if not self.outbox.begin_send(record.id, self.name):
            return record  # another dispatcher took it over after our lease expired
        try:
            receipt = sender.send(message.text, conversation.reply_route, idempotency_key=message.idempotency_key,
                                  human=message.author == "human", now=now)
        except SendError as exc:
            return self._failed(record, exc.reason, retryable=exc.retryable, retry_after_s=exc.retry_after_s)
        except Exception as exc:  # noqa: BLE001 - unknown failures retry, then end as visible dead letters
            return self._failed(record, f"{type(exc).__name__}: {exc}", retryable=True)
        self._crash_hook("after_send")
        sent = self.outbox.mark_sent(record.id, receipt.platform_message_id, receipt.sent_at)
        self.record_sent(sent)
        return sent

    def record_sent(self, record: OutboxRecord) -> None:
        """Put a sent reply on the conversation's thread (idempotent on the outbox id)."""
        message = record.message
        author = "agent" if message.author == "agent" else "human"
        at = record.sent_at or self.clock.now()
        self.conversations.message_out(key=message.conversation_id, text=message.text, author=author, at=at,
                                       source=f"outbox:{record.id}", platform_message_id=record.platform_message_id,
                                       answers=message.kind == "reply")
        self.conversations.audit(message.conversation_id, self.name, "sent", at, outbox_id=record.id,
                                 platform_message_id=record.platform_message_id)

    def reconcile(self) -> int:
        """After a restart: sent replies whose thread entry was not written yet get it now."""
        fixed = 0
        for record in self.outbox.records("sent"):
            known = {m.platform_message_id for m in self.conversations.messages(record.message.conversation_id)
                     if m.direction == "out"}
            if record.platform_message_id not in known:
                self.record_sent(record)
                fixed += 1
        return fixed

    def _failed(self, record: OutboxRecord, reason: str, *, retryable: bool,
                retry_after_s: float | None = None) -> OutboxRecord:
        now = self.clock.now()
        updated = self.outbox.mark_failed(record.id, reason, now, retryable=retryable, retry_after_s=retry_after_s)
        log.warning("outbox %s (%s) not sent: %s -> %s", record.id, record.message.platform, reason, updated.status)
        if updated.status == "dead":
            self.conversations.set_status(record.message.conversation_id, "failed", now)
            self.conversations.audit(record.message.conversation_id, self.name, "send_failed", now,
                                     outbox_id=record.id, reason=reason)
        return updated
