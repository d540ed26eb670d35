"""TikTok Shop webhooks: the Authorization check and the notification -> ChannelMessage/ContextEvent parse.

Facts in ../shared/docs/platforms.md (TikTok section). Webhooks arrive as {"type": <int>,
"tts_notification_id", "shop_id", "timestamp", "data"}; only BUYER chat messages become customer messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from channels.attachments import tiktok_attachment
from channels.base import ChannelEvent, ChannelMessage, ContextEvent, PayloadError, validated_payload
from channels.payload import load_json
from channels.signatures import verify_tiktok_webhook
from channels.tiktok.config import TikTokConfig
from channels.tiktok.mapping import ORDER_ID, from_unix

EVENT_TYPES: dict[int, str] = {1: "ORDER_STATUS_CHANGE", 2: "REVERSE_STATUS_UPDATE", 12: "RETURN_STATUS_CHANGE",
                               13: "NEW_CONVERSATION", 14: "NEW_MESSAGE"}


def verify_webhook(body: bytes, headers: Mapping[str, str], config: TikTokConfig) -> None:
    """`Authorization` = hex(HMAC-SHA256(app secret, app_key + raw body)) [S/U]."""
    lower = {k.lower(): v for k, v in headers.items()}
    secret = config.app_secret.get_secret_value() if config.app_secret else None
    verify_tiktok_webhook(body, lower.get("authorization"), config.app_key, secret)


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: int
    tts_notification_id: str = Field(min_length=1)
    shop_id: str | None = None
    timestamp: int
    data: dict[str, Any]


class _Sender(BaseModel):
    model_config = ConfigDict(extra="ignore")
    im_user_id: str = Field(min_length=1)
    role: str


class _ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    conversation_id: str = Field(min_length=1)
    message_id: str = Field(min_length=1)
    type: str
    content: str
    sender: _Sender
    create_time: int
    is_visible: bool = True


def parse_webhook(body: bytes, headers: Mapping[str, str]) -> list[ChannelEvent]:
    """Normalise one TikTok notification; [] for events shopdesk does not act on (NEW_CONVERSATION...)."""
    raw = load_json(body, "TikTok webhook body")
    env = validated_payload(_Envelope, raw, "TikTok webhook envelope")
    topic = EVENT_TYPES.get(env.type)
    if topic == "NEW_MESSAGE":
        return _chat_message(env)
    if topic == "ORDER_STATUS_CHANGE":
        return [_context(env, "order", topic, status_key="order_status")]
    if topic == "RETURN_STATUS_CHANGE":
        return [_context(env, "return", topic, status_key="return_status")]
    if topic == "REVERSE_STATUS_UPDATE":
        key = "reverse_event_type" if "reverse_event_type" in env.data else "reverse_order_status"
        return [_context(env, "return", topic, status_key=key)]
    return []


def _chat_message(env: _Envelope) -> list[ChannelEvent]:
    msg = validated_payload(_ChatMessage, env.data, "NEW_MESSAGE data")
    if msg.sender.role.upper() != "BUYER" or not msg.is_visible:
        return []  # seller echoes, system notices and robot replies need no answer
    content = load_json(msg.content, "NEW_MESSAGE content") if msg.content else {}
    if not isinstance(content, dict):
        raise PayloadError("NEW_MESSAGE content must be a JSON object")
    at = from_unix(msg.create_time)
    if msg.type == "ORDER_CARD":  # the buyer shared an order in the chat: context, not a question
        order_id = str(content.get("order_id") or "")
        return [ContextEvent(platform="tiktok", delivery_id=msg.message_id, kind="message_meta", topic="NEW_MESSAGE",
                             order_id=order_id or None, received_at=at,
                             data={"conversation_id": msg.conversation_id, "message_type": msg.type,
                                   "im_user_id": msg.sender.im_user_id})] if order_id else []
    attachment = tiktok_attachment(msg.type, content)
    if attachment is not None:  # a photo or video alone: it continues the conversation ("photo received")
        return [ChannelMessage(
            platform="tiktok", delivery_id=msg.message_id, conversation_key=f"tiktok:{msg.conversation_id}",
            customer_identity=msg.sender.im_user_id, text="", attachments=[attachment], received_at=at,
            platform_message_id=msg.message_id, reply_route={"conversation_id": msg.conversation_id})]
    if msg.type != "TEXT":
        return []
    text = content.get("content")
    if not isinstance(text, str):
        raise PayloadError("TEXT message content has no 'content' string")
    text = text.strip()[:20000]
    if not text:
        return []
    hint = ORDER_ID.search(text)
    return [ChannelMessage(
        platform="tiktok", delivery_id=msg.message_id, conversation_key=f"tiktok:{msg.conversation_id}",
        customer_identity=msg.sender.im_user_id, text=text, received_at=at, platform_message_id=msg.message_id,
        order_hint=hint.group(0) if hint else None, reply_route={"conversation_id": msg.conversation_id},
    )]


def _context(env: _Envelope, kind: str, topic: str, *, status_key: str) -> ContextEvent:
    data = env.data
    order_id = data.get("order_id")
    if not order_id:
        raise PayloadError(f"{topic} data has no order_id")
    status = data.get(status_key)
    flat = {k: _flat(v) for k, v in data.items()
            if k not in ("order_id", status_key) and v is not None and not isinstance(v, dict | list)}
    if env.shop_id:
        flat["shop_id"] = env.shop_id
    return ContextEvent(platform="tiktok", delivery_id=env.tts_notification_id, kind=kind,  # type: ignore[arg-type]
                        topic=topic,
                        order_id=str(order_id), status=None if status is None else str(status),
                        received_at=from_unix(data.get("update_time") or env.timestamp), data=flat)


def _flat(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


class TikTokWebhook:
    """The `WebhookVerifier` the /webhooks/tiktok endpoint calls."""

    def __init__(self, config: TikTokConfig) -> None:
        self._config = config

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        verify_webhook(body, headers, self._config)

    def parse(self, body: bytes, headers: Mapping[str, str]) -> list[ChannelEvent]:
        return parse_webhook(body, headers)
