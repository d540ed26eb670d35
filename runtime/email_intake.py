"""The IMAP poller's step: store every new email (messages into the inbox, unreadable ones in the audit log
with their raw bytes), and only then let the channel mark them seen. A crash in between re-fetches the
batch next time, and the inbox deduplicates it on Message-ID. An email whose sender nobody vouches for
(no DMARC pass from our receiving server) is stored like any other, and the audit log says why it was not
trusted, for the person who will handle it."""

from __future__ import annotations

import logging

from channels.email.client import EmailChannel, FetchedEmail, MailboxUnavailable
from runtime.conversations import ConversationStore
from runtime.intake import Intake
from tools.clock import Clock

log = logging.getLogger("shopdesk.email")


def poll_into(channel: EmailChannel, intake: Intake, conversations: ConversationStore, clock: Clock) -> int:
    """One poll; returns how many emails were handled (0 when the mailbox had nothing or was unreachable)."""
    handled = 0

    def store(batch: list[FetchedEmail]) -> None:
        nonlocal handled
        messages = [item.message for item in batch if item.message is not None]
        if messages:
            intake.accept(messages)  # type: ignore[arg-type]
        for message in messages:  # (a batch re-fetched after a crash may repeat a row: harmless)
            if not message.identity_verified:
                conversations.audit(message.conversation_key, "email", "sender_not_authenticated", clock.now(),
                                    delivery_id=message.delivery_id, reason=message.identity_note)
                log.info("email sender not authenticated: %s", message.identity_note)
        for item in batch:
            if item.error:
                conversations.audit(None, "email", "unreadable_email", clock.now(), error=item.error,
                                    delivery_id=item.delivery_id, raw=item.raw[:262144].decode("utf-8", "replace"))
                log.warning("unreadable email kept in the audit log: %s", item.error)
        handled = len(batch)

    try:
        channel.poll(store)
    except MailboxUnavailable as exc:
        log.warning("mailbox unavailable: %s", exc)
        return 0
    return handled
