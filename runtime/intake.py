"""Where every channel's events land: customer messages into the inbox, order/return changes into context.

Called by the webhook endpoints and the email poller, inside the request (so it must be quick: two
small SQLite transactions, no agent work). The inbox write comes first and is what makes a delivery
"received"; the conversation row is also written by the worker from the inbox item, so a crash between
the two loses nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from pydantic import BaseModel

from agent.clocks import reply_deadline
from agent.schemas import InboundMessage
from channels.attachment_store import AttachmentStore
from channels.base import ChannelEvent, ChannelMessage, ContextEvent
from runtime.conversations import ConversationStore
from runtime.inbox import Inbox, InboxItem
from tools.policy.loader import PlatformPolicy

log = logging.getLogger("shopdesk.intake")


class IntakeResult(BaseModel):
    accepted: int = 0
    duplicates: int = 0
    context_events: int = 0
    inbox_ids: list[int] = []


def channel_fields(event: ChannelMessage) -> dict[str, object]:
    fields: dict[str, object] = {"subject": event.subject, "order_hint": event.order_hint,
                                 "reply_route": event.reply_route, "customer_identity": event.customer_identity}
    if event.attachments:  # recorded on the message's thread row (inline bytes are never part of it)
        fields["attachments"] = [a.model_dump(mode="json") for a in event.attachments]
    return fields


def keep_inline_attachments(event: ChannelMessage, store: AttachmentStore | None) -> ChannelMessage:
    """Store the files an email carried inline (its MIME parts); attachments with a URL stay `pending` for the
    fetcher (runtime/attachment_fetch.py), never fetched inside a webhook request."""
    if not any(a.data is not None for a in event.attachments):
        return event
    kept = []
    for attachment in event.attachments:
        if attachment.data is None:
            kept.append(attachment)
        elif store is None:
            kept.append(attachment.model_copy(update={"data": None, "state": "refused",
                                                      "reason": "no attachment store is configured"}))
        else:
            kept.append(store.keep(attachment, attachment.data))
    return event.model_copy(update={"attachments": kept})


def record_conversation(conversations: ConversationStore, policies: Mapping[str, PlatformPolicy],
                        item: InboxItem) -> None:
    """Open/refresh the conversation for one inbox item (idempotent: keyed on the inbox id)."""
    message, channel = item.message, item.channel
    conversations.message_in(
        key=item.conversation_key, platform=item.platform,
        customer_identity=str(channel.get("customer_identity") or message.customer_identity or ""),
        text=message.text, at=message.received_at,
        deadline=reply_deadline(policies[item.platform], message.received_at, []), source=f"inbox:{item.id}",
        subject=channel.get("subject"), order_hint=channel.get("order_hint"),  # type: ignore[arg-type]
        reply_route=channel.get("reply_route") or {}, platform_message_id=message.platform_message_id,  # type: ignore[arg-type]
        attachments=channel.get("attachments") or [],  # type: ignore[arg-type]
    )


def clamp_to_arrival(event: ChannelEvent, now: datetime) -> ChannelEvent:
    """The event with its time (and a reply route's copy of it, Meta's `customer_at`) no later than `now`."""
    if event.received_at <= now:
        return event
    update: dict[str, object] = {"received_at": now}
    if isinstance(event, ChannelMessage) and "customer_at" in event.reply_route:
        update["reply_route"] = {**event.reply_route, "customer_at": now.isoformat()}
    log.info("%s delivery dated after its arrival: clamped to arrival", event.platform)
    return event.model_copy(update=update)


class Intake:
    def __init__(self, inbox: Inbox, conversations: ConversationStore, policies: Mapping[str, PlatformPolicy],
                 attachments: AttachmentStore | None = None) -> None:
        self.inbox = inbox
        self.conversations = conversations
        self.policies = policies
        self.attachments = attachments

    def accept(self, events: list[ChannelEvent], *, now: datetime | None = None) -> IntakeResult:
        """Store each event once. `now` is the arrival time: platform times after it are clamped to it (as the
        email path does), so a sender's clock can neither park a conversation nor extend a reply window."""
        result = IntakeResult()
        for event in events:
            if now is not None:
                event = clamp_to_arrival(event, now)
            if isinstance(event, ContextEvent):
                if self.conversations.context_event(
                        platform=event.platform, delivery_id=event.delivery_id, kind=event.kind, topic=event.topic,
                        order_id=event.order_id, status=event.status, data=event.data, received_at=event.received_at):
                    result.context_events += 1
                continue
            event = keep_inline_attachments(event, self.attachments)
            message = InboundMessage(
                platform=event.platform, customer_identity=event.customer_identity, text=event.text,
                received_at=event.received_at, conversation_id=event.conversation_key,
                platform_message_id=event.platform_message_id, identity_verified=event.identity_verified,
                identity_note=event.identity_note, verified_email=event.verified_email,
                attachments=[a.kind for a in event.attachments])
            item, new = self.inbox.put(message, delivery_id=event.delivery_id, conversation_key=event.conversation_key,
                                       channel=channel_fields(event), available_at=now)
            if not new:
                result.duplicates += 1
                log.info("duplicate delivery %s/%s ignored", event.platform, item.id)
                continue
            result.accepted += 1
            result.inbox_ids.append(item.id)
            record_conversation(self.conversations, self.policies, item)
        return result
