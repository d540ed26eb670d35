"""What every channel hands to the rest of shopdesk, and what a channel must do to send.

A channel (one package per platform in `channels/`) turns a platform's webhook, poll or email into
`ChannelMessage`s (a customer wrote) and `ContextEvent`s (an order, fulfillment or return changed), and
answers through a `ChannelSender`; the webhook endpoint reaches each platform through a `WebhookVerifier`. The inbox stores the former; the conversation record keeps the
`reply_route` the sender needs to answer in the same thread (relay address and Message-ID, TikTok
conversation id, Meta PSID...). Errors are typed so the webhook endpoint can answer 400 with a reason and
the outbox can tell "try again later" from "this will never go".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, Protocol, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tools.errors import CommerceError
from tools.models import AttachmentKind, Platform


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


AttachmentState = Literal["pending", "stored", "refused", "fetch_failed"]


class Attachment(_Model):
    """A file a customer sent with a message (a photo of damage, a label, a receipt).

    What the platform declared (kind, content type, name, size) is a claim, never trusted: the store
    (channels/attachment_store.py) sniffs the bytes, re-encodes images and records what it kept. `source` is
    the platform's reference (a media URL, an eBay media name, the email's MIME part), kept even when the
    file could not be fetched or was refused, so a person can still find it on the platform."""

    kind: AttachmentKind
    content_type: str | None = Field(default=None, max_length=200, description="As declared by the sender.")
    filename: str | None = Field(default=None, max_length=255, description="Display only; never a path.")
    size: int | None = Field(default=None, ge=0, description="Bytes: declared, or as received once fetched.")
    source: str = Field(min_length=1, max_length=4096, description="The platform's reference to the file.")
    url: str | None = Field(default=None, max_length=4096, description="Where the platform's client fetches it.")
    state: AttachmentState = "pending"
    reason: str | None = Field(default=None, max_length=500, description="Why it was refused or not fetched.")
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$", description="The stored file's name.")
    stored_type: str | None = Field(default=None, description="image/jpeg, image/png or application/pdf.")
    width: int | None = None
    height: int | None = None
    data: bytes | None = Field(default=None, exclude=True, repr=False,
                               description="Inline bytes (an email's MIME part) until the intake stores them.")


class ChannelMessage(_Model):
    """One customer message, normalised; the inbox deduplicates it on (platform, delivery_id).

    `text` is empty only for an attachment-only message ("photo received"): it still continues the
    conversation (agent/attachment_turn.py)."""

    platform: Platform
    delivery_id: str = Field(min_length=1, description="The platform's id of this delivery/message (dedupe key).")
    conversation_key: str = Field(min_length=1, description="Stable per conversation, e.g. 'tiktok:7494...'.")
    customer_identity: str = Field(min_length=1, description="As the store keeps it: relay email, im_user_id, PSID...")
    text: str = Field(max_length=20000)
    received_at: datetime
    platform_message_id: str | None = None
    subject: str | None = None
    order_hint: str | None = Field(default=None, description="An order id named by the subject, body or reference.")
    reply_route: dict[str, str] = Field(default_factory=dict, description="What the sender needs to answer in thread.")
    # Signed webhooks and platform APIs vouch for their sender; email must prove it (channels.email.auth).
    identity_verified: bool = Field(default=True, description="False: nobody vouches for the sender (an email "
                                    "without a DMARC pass); never bound to a customer's orders.")
    identity_note: str | None = Field(default=None, description="Why the sender is (not) proven, for a person.")
    verified_email: str | None = Field(default=None, description="The sender's address when an email proved it; "
                                       "an email write then needs it to be the order's email on file.")
    attachments: list[Attachment] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _says_something(self) -> "ChannelMessage":
        if not self.text and not self.attachments:
            raise ValueError("a message needs text or an attachment")
        return self


class ContextEvent(_Model):
    """An order, fulfillment, return or refund changed on the platform (updates the conversation's context)."""

    platform: Platform
    delivery_id: str = Field(min_length=1)
    kind: Literal["order", "fulfillment", "return", "refund", "message_meta"]
    topic: str = Field(description="The platform's own event name (orders/updated, ORDER_STATUS_CHANGE...).")
    order_id: str | None = None
    status: str | None = None
    received_at: datetime
    data: dict[str, str] = Field(default_factory=dict)


ChannelEvent = ChannelMessage | ContextEvent


class PayloadError(ValueError):
    """A webhook or email body that cannot be read; the endpoint answers 400 with `reason`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


M = TypeVar("M", bound=BaseModel)


def validated_payload(model: type[M], raw: object, what: str) -> M:
    """Validate part of a webhook body; the first problem becomes the 400's reason ("what: field: msg")."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise PayloadError(f"{what}: {where}: {first['msg']}") from None


def json_object(resp: httpx.Response) -> dict[str, Any]:
    """A response's JSON object, or {} when the body is not one (an HTML error page, an empty 502...)."""
    try:
        data = resp.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class PlatformApiError(CommerceError):
    """A marketplace API call failed; `retryable` for timeouts, 429 and 5xx (subclasses name the platform)."""

    code = "platform_api_error"

    def __init__(self, message: str, *, status: int | None = None, api_code: str | None = None,
                 retryable: bool = False, retry_after_s: float | None = None) -> None:
        super().__init__(message, status=status, api_code=api_code)
        self.status, self.api_code = status, api_code
        self.retryable, self.retry_after_s = retryable, retry_after_s


class SendReceipt(_Model):
    platform_message_id: str
    sent_at: datetime


class SendError(Exception):
    """Sending failed. `retryable` = a timeout, 429 or 5xx (try again later); else it never will (dead letter)."""

    def __init__(self, reason: str, *, retryable: bool, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after_s = retry_after_s


class ChannelSender(Protocol):
    """Answers a customer on the platform they wrote from, in the same thread.

    `route` is the `reply_route` of the conversation's latest customer message; `idempotency_key` is
    the outbox record's key (a platform that accepts one gets it); `human` marks a reply a person wrote
    or approved (Meta's HUMAN_AGENT tag may only be used for those)."""

    def send(self, text: str, route: Mapping[str, str], *, idempotency_key: str, human: bool,
             now: datetime) -> SendReceipt: ...


class ChannelReceiver(Protocol):
    """A channel that is polled rather than pushed to (email): returns what arrived since the last poll."""

    def poll(self) -> list[ChannelEvent]: ...


class WebhookVerifier(Protocol):
    """What the webhook endpoint (runtime/webhooks.py) calls for one platform: `verify` the raw body's
    signature (SignatureError when it fails), then `parse` the signed body (PayloadError when it cannot be
    read; [] for an event shopdesk does not act on)."""

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None: ...

    def parse(self, body: bytes, headers: Mapping[str, str]) -> list[ChannelEvent]: ...
