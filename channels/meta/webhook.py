"""Meta webhooks: the X-Hub-Signature-256 check, the subscription handshake, and Messenger/Instagram
events -> ChannelMessages.

Facts in ../shared/docs/platforms.md (Meta section). One webhook serves both: {"object": "page"} carries
Messenger events (the customer is a PSID), {"object": "instagram"} Instagram ones (an IGSID).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from channels.attachments import meta_attachments
from channels.base import ChannelEvent, ChannelMessage, validated_payload
from channels.meta.config import MetaConfig
from channels.payload import load_json, utc_from_unix
from channels.signatures import meta_handshake, verify_meta
from tools.models import Platform
from tools.platform_profiles import PROFILES

OBJECTS: dict[str, Platform] = {"page": "facebook", "instagram": "instagram"}
_STORE_NAME = PROFILES["facebook"].order_id  # Meta shop orders carry the store's order names ("#1001")
_ORDER_NAME = re.compile(rf"{_STORE_NAME.pattern}\b|\border\s*(?:no\.?|number)?\s*{_STORE_NAME.prefix}?\s*"
                         rf"({_STORE_NAME.number})\b", re.IGNORECASE)


def verify_webhook(body: bytes, headers: Mapping[str, str], config: MetaConfig) -> None:
    """X-Hub-Signature-256 = 'sha256=' + hex(HMAC-SHA256(app secret, raw body))."""
    lower = {k.lower(): v for k, v in headers.items()}
    secret = config.app_secret.get_secret_value() if config.app_secret else None
    verify_meta(body, lower.get("x-hub-signature-256"), secret)


class _Party(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)
    id: str = Field(min_length=1)


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore")
    mid: str = Field(min_length=1)
    text: str | None = None
    attachments: Any = None  # [{"type": "image", "payload": {"url": ...}}, ...]; read leniently (meta_attachments)
    is_echo: bool = False
    is_deleted: bool = False
    is_unsupported: bool = False


class _Messaging(BaseModel):
    model_config = ConfigDict(extra="ignore")
    sender: _Party
    recipient: _Party
    timestamp: int
    message: _Message | None = None


class _Entry(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)
    id: str | None = None
    messaging: list[dict[str, Any]] = Field(default_factory=list)


class _Notification(BaseModel):
    model_config = ConfigDict(extra="ignore")
    object: str
    entry: list[_Entry]


def parse_webhook(body: bytes, headers: Mapping[str, str]) -> list[ChannelEvent]:
    """Customer messages (text, attachments or both: a photo alone still continues the conversation) become
    ChannelMessages; echoes of our own sends, deliveries, reads, reactions, postbacks and stickers are ignored."""
    raw = load_json(body, "Meta webhook body")
    note = validated_payload(_Notification, raw, "Meta webhook")
    platform = OBJECTS.get(note.object)
    if platform is None:
        return []  # a subscription we do not handle (feed, WhatsApp...)
    events: list[ChannelEvent] = []
    for entry in note.entry:
        for item in entry.messaging:
            if "message" not in item:
                continue  # delivery, read, reaction, postback, referral, optin...
            event = validated_payload(_Messaging, item, "messaging event")
            message = event.message
            if message is None or message.is_echo or message.is_deleted or message.is_unsupported:
                continue
            text = (message.text or "").strip()[:20000]
            attachments = meta_attachments(message.attachments)
            if not text and not attachments:
                continue
            at = utc_from_unix(event.timestamp, "messaging timestamp", millis=True)
            customer, business = event.sender.id, event.recipient.id
            hint = _ORDER_NAME.search(text)
            order_hint = (f"{_STORE_NAME.prefix}{hint.group(1)}" if hint.group(1) else hint.group(0)) if hint else None
            events.append(ChannelMessage(
                platform=platform, delivery_id=message.mid, conversation_key=f"{platform}:{business}:{customer}",
                customer_identity=customer, text=text, received_at=at, platform_message_id=message.mid,
                attachments=attachments,
                order_hint=order_hint,
                reply_route={"recipient_id": customer, "page_id": business, "customer_at": at.isoformat(),
                             "platform": platform},
            ))
    return events


class MetaWebhook:
    """The `WebhookVerifier` the /webhooks/meta endpoint calls, and the answer to Meta's subscription GET."""

    def __init__(self, config: MetaConfig) -> None:
        self._config = config

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        verify_webhook(body, headers, self._config)

    def parse(self, body: bytes, headers: Mapping[str, str]) -> list[ChannelEvent]:
        return parse_webhook(body, headers)

    def handshake(self, params: Mapping[str, str]) -> str:
        """hub.challenge when hub.verify_token is ours; SignatureError otherwise."""
        token = self._config.verify_token.get_secret_value() if self._config.verify_token else None
        return meta_handshake(params, token)
