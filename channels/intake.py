"""Where every channel's events land: customer messages into the inbox, order/return changes into context.

Called by the webhook endpoints and the email poller, inside the request (so it must be quick: two
small SQLite transactions, no agent work). The inbox write comes first and is what makes a delivery
"received"; the conversation row is also written by the worker from the inbox item, so a crash between
the two loses nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from pydantic import BaseModel

from agent.clocks import reply_deadline
from agent.conversations import ConversationStore
from agent.schemas import InboundMessage
from channels.base import ChannelEvent, ChannelMessage, ContextEvent
from channels.inbox import Inbox, InboxItem
from tools.policy.loader import PlatformPolicy

log = logging.getLogger("shopdesk.intake")


class IntakeResult(BaseModel):
    accepted: int = 0
    duplicates: int = 0
    context_events: int = 0
    inbox_ids: list[int] = []


def channel_fields(event: ChannelMessage) -> dict[str, object]:
    return {"subject": event.subject, "order_hint": event.order_hint, "reply_route": event.reply_route,
            "customer_identity": event.customer_identity}


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
    )


class Intake:
    def __init__(self, inbox: Inbox, conversations: ConversationStore, policies: Mapping[str, PlatformPolicy]) -> None:
        self.inbox = inbox
        self.conversations = conversations
        self.policies = policies

    def accept(self, events: list[ChannelEvent]) -> IntakeResult:
        result = IntakeResult()
        for event in events:
            if isinstance(event, ContextEvent):
                if self.conversations.context_event(
                        platform=event.platform, delivery_id=event.delivery_id, kind=event.kind, topic=event.topic,
                        order_id=event.order_id, status=event.status, data=event.data, received_at=event.received_at):
                    result.context_events += 1
                continue
            message = InboundMessage(
                platform=event.platform, customer_identity=event.customer_identity, text=event.text,
                received_at=event.received_at, conversation_id=event.conversation_key,
                platform_message_id=event.platform_message_id)
            item, new = self.inbox.put(message, delivery_id=event.delivery_id, conversation_key=event.conversation_key,
                                       channel=channel_fields(event))
            if not new:
                result.duplicates += 1
                log.info("duplicate delivery %s/%s ignored", event.platform, item.id)
                continue
            result.accepted += 1
            result.inbox_ids.append(item.id)
            record_conversation(self.conversations, self.policies, item)
        return result
