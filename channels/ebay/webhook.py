"""eBay notifications: the X-EBAY-SIGNATURE check (with eBay's public keys) and the payload parse.

Notifications carry `X-EBAY-SIGNATURE` = base64(JSON {alg: ecdsa, kid, signature, digest}); the signature
is ECDSA over the RAW body, verified with the public key eBay serves at
/commerce/notification/v1/public_key/{kid} (cached ~1 h, as eBay asks). Nothing unverified is accepted: a
key that cannot be fetched fails the delivery (eBay retries it).

eBay publishes no REST notification topic for member messages, so the payload is ours to fix (documented
in platforms.md terms): topic "MESSAGE" with data {conversationId, messageId, senderUsername,
recipientUsername, messageBody, createdDate, referenceId, messageMedia[] as the Message API's {mediaName,
mediaType, mediaUrl}}; topics starting "ORDER", "RETURN" or "REFUND"
become ContextEvents; anything else (e.g. MARKETPLACE_ACCOUNT_DELETION) is acknowledged and ignored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key

from channels.attachments import ebay_attachments
from channels.base import ChannelEvent, ChannelMessage, ContextEvent, PayloadError
from channels.ebay.config import EbayConfig
from channels.ebay.mapping import when
from channels.payload import load_json
from channels.ratelimit import TokenBucket
from channels.signatures import SignatureError
from tools.clock import Clock, SystemClock
from tools.platform_profiles import PROFILES

MESSAGE_TOPIC = "MESSAGE"
ORDER_ID = re.compile(rf"\b{PROFILES['ebay'].order_id.pattern}\b")  # the table's eBay order-id format
_CONTEXT_KINDS = {"ORDER": "order", "RETURN": "return", "REFUND": "refund"}
_DIGESTS: dict[str, type[hashes.HashAlgorithm]] = {"SHA1": hashes.SHA1, "SHA256": hashes.SHA256}


KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")  # eBay's kids are UUID-like; nothing else reaches the API host
_MAX_SIGNATURE_HEADER = 4096


class EbayKeyCache:
    """eBay's notification public keys by kid (thread-safe; call it off the event loop).

    The kid comes from an unsigned header, so: only a strict key-id charset reaches eBay, quoted as one
    path segment; a key is kept `ttl_s` (eBay asks ~1 h), an unknown kid `miss_ttl_s` and a failed fetch
    `error_ttl_s`, so repeating a bad kid costs one fetch; concurrent requests for one kid share a single
    fetch (others wait at most `timeout_s`); new fetches draw on a budget (`fetch_burst`, refilled at
    `fetch_rate_per_s`) so invented kids cannot spend the seller's API quota; at most `max_entries` kids
    are remembered. `token` is eBay's application token, sent as Bearer."""

    def __init__(self, http: httpx.Client, base_url: str, ttl_s: float = 3600, clock: Clock | None = None,
                 *, token: str | None = None, miss_ttl_s: float = 300, error_ttl_s: float = 30,
                 timeout_s: float = 5.0, fetch_burst: int = 10, fetch_rate_per_s: float = 0.2,
                 max_entries: int = 1024) -> None:
        self._http, self._base, self._ttl, self._token = http, base_url.rstrip("/"), ttl_s, token
        self._miss_ttl, self._error_ttl, self._timeout = miss_ttl_s, error_ttl_s, timeout_s
        self._clock = clock or SystemClock()
        self._budget = TokenBucket(fetch_rate_per_s, fetch_burst)
        self._max = max_entries
        self._entries: OrderedDict[str, tuple[datetime, float, ec.EllipticCurvePublicKey | SignatureError]] = \
            OrderedDict()
        self._inflight: dict[str, threading.Event] = {}
        self._lock = threading.Lock()  # guards the two dicts only; never held while fetching
        self.fetches = 0

    def _cached(self, kid: str) -> ec.EllipticCurvePublicKey | SignatureError | None:
        entry = self._entries.get(kid)
        if entry is None:
            return None
        at, ttl, value = entry
        if (self._clock.now() - at).total_seconds() >= ttl:
            del self._entries[kid]
            return None
        self._entries.move_to_end(kid)
        return value

    @staticmethod
    def _result(value: ec.EllipticCurvePublicKey | SignatureError) -> ec.EllipticCurvePublicKey:
        if isinstance(value, SignatureError):
            raise SignatureError(value.reason, value.detail)
        return value

    def get(self, kid: str) -> ec.EllipticCurvePublicKey:
        if not KEY_ID.fullmatch(kid):
            raise SignatureError("malformed", "the X-EBAY-SIGNATURE kid is not a key id")
        with self._lock:
            cached = self._cached(kid)
            if cached is not None:
                return self._result(cached)
            waiting = self._inflight.get(kid)
            if waiting is None:
                if not self._budget.try_acquire():
                    raise SignatureError("not_configured", "too many unknown eBay key ids; not fetched")
                self._inflight[kid] = done = threading.Event()
        if waiting is not None:  # another request is fetching this kid: share its answer
            if not waiting.wait(self._timeout):
                raise SignatureError("not_configured", "eBay public key fetch still running")
            with self._lock:
                cached = self._cached(kid)
            if cached is None:
                raise SignatureError("not_configured", "eBay public key fetch failed")
            return self._result(cached)
        try:
            value = self._fetch_or_error(kid)
            ttl = self._ttl if not isinstance(value, SignatureError) else \
                self._miss_ttl if value.reason == "mismatch" else self._error_ttl
            with self._lock:
                self._entries[kid] = (self._clock.now(), ttl, value)
                while len(self._entries) > self._max:
                    self._entries.popitem(last=False)
        finally:
            with self._lock:
                del self._inflight[kid]
            done.set()
        return self._result(value)

    def _fetch_or_error(self, kid: str) -> ec.EllipticCurvePublicKey | SignatureError:
        try:
            return self._fetch(kid)
        except SignatureError as exc:
            return exc

    def _fetch(self, kid: str) -> ec.EllipticCurvePublicKey:
        self.fetches += 1
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        url = f"{self._base}/commerce/notification/v1/public_key/{quote(kid, safe='')}"
        try:
            resp = self._http.get(url, headers=headers, timeout=self._timeout, follow_redirects=False)
        except httpx.HTTPError as exc:
            raise SignatureError("not_configured", f"eBay public key could not be fetched ({type(exc).__name__})")
        if resp.status_code == 404:
            raise SignatureError("mismatch", "eBay knows no such public key")
        if resp.status_code != 200:
            raise SignatureError("not_configured", f"eBay public key could not be fetched (HTTP {resp.status_code})")
        try:
            body = resp.json()
            if str(body.get("algorithm", "ECDSA")).upper() != "ECDSA":
                raise ValueError("not an ECDSA key")
            pem = re.sub(r"-----(BEGIN|END) PUBLIC KEY-----|\s", "", body["key"])  # eBay sends it on one line
            key = load_der_public_key(base64.b64decode(pem))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise SignatureError("not_configured", f"eBay public key is unreadable ({type(exc).__name__})") from None
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise SignatureError("not_configured", "eBay public key is not an EC key")
        return key


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def verify_webhook(body: bytes, headers: Mapping[str, str], keys: EbayKeyCache) -> None:
    """X-EBAY-SIGNATURE: ECDSA (SHA1 as eBay signs; SHA256 if the header says so) over the raw body."""
    raw = _lower(headers).get("x-ebay-signature", "").strip()
    if not raw:
        raise SignatureError("missing", "no X-EBAY-SIGNATURE header")
    if len(raw) > _MAX_SIGNATURE_HEADER:
        raise SignatureError("malformed", "X-EBAY-SIGNATURE is too long")
    try:
        info = json.loads(base64.b64decode(raw, validate=True))
        kid, alg, digest = info["kid"], str(info["alg"]).lower(), str(info.get("digest", "SHA1")).upper()
        signature = base64.b64decode(info["signature"], validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error, RecursionError):
        raise SignatureError("malformed", "X-EBAY-SIGNATURE is not base64 JSON with kid and signature") from None
    if alg != "ecdsa" or digest not in _DIGESTS or not signature:
        raise SignatureError("malformed", "unsupported eBay signature (alg or digest)")
    if not isinstance(kid, str) or not KEY_ID.fullmatch(kid):
        raise SignatureError("malformed", "the X-EBAY-SIGNATURE kid is not a key id")
    key = keys.get(kid)
    try:
        key.verify(signature, body, ec.ECDSA(_DIGESTS[digest]()))
    except InvalidSignature:
        raise SignatureError("mismatch", "eBay signature does not match the body") from None


def challenge_response(challenge_code: str, verification_token: str, endpoint_url: str) -> str:
    """eBay's endpoint validation (GET ?challenge_code=...): hex SHA-256 of code + token + endpoint URL."""
    return hashlib.sha256((challenge_code + verification_token + endpoint_url).encode()).hexdigest()


def parse_webhook(body: bytes, headers: Mapping[str, str], *,
                  seller_username: str | None = None) -> list[ChannelMessage | ContextEvent]:
    """A buyer's message -> ChannelMessage; order/return/refund topics -> ContextEvent; else [].

    `seller_username` drops the seller's own messages (echoes of our replies); without it only eBay's
    system messages are dropped."""
    del headers
    payload = load_json(body, "eBay notification")
    try:
        topic = str(payload["metadata"]["topic"]).upper()
        note = payload["notification"]
        notification_id, data = str(note["notificationId"]), note["data"]
    except (ValueError, KeyError, TypeError):
        raise PayloadError("not an eBay notification (metadata.topic, notification.notificationId/data)") from None
    if not isinstance(data, dict) or not notification_id:
        raise PayloadError("notification.data must be an object")
    at = when(note.get("publishDate") or note.get("eventDate") or "", "publishDate")
    if topic == MESSAGE_TOPIC:
        return _message(data, at, seller_username)
    kind = next((k for prefix, k in _CONTEXT_KINDS.items() if topic.startswith(prefix)), None)
    if kind is None:
        return []
    status = data.get("state") or data.get("status") or data.get("orderFulfillmentStatus")
    return [ContextEvent(
        platform="ebay", delivery_id=notification_id, kind=kind, topic=topic,  # type: ignore[arg-type]
        order_id=str(data["orderId"]) if data.get("orderId") else None, status=str(status) if status else None,
        received_at=at, data={k: str(v) for k, v in data.items() if isinstance(v, str | int | float | bool)})]


def _message(data: dict[str, Any], at: datetime, seller: str | None) -> list[ChannelMessage | ContextEvent]:
    try:
        conversation, message_id = str(data["conversationId"]), str(data["messageId"])
        sender, text = str(data["senderUsername"]).strip(), str(data["messageBody"])
    except KeyError as exc:
        raise PayloadError(f"MESSAGE data lacks {exc.args[0]}") from None
    if not conversation or not message_id or not sender:
        raise PayloadError("MESSAGE data has an empty conversationId, messageId or senderUsername")
    if sender.lower() == "ebay" or data.get("conversationType") == "FROM_EBAY":
        return []
    if seller and sender.lower() == seller.lower():
        return []
    attachments = ebay_attachments(data.get("messageMedia"))
    text = text.strip()
    if not text and not attachments:
        return []
    reference = str(data.get("referenceId") or "")
    hint = ORDER_ID.search(reference) or ORDER_ID.search(text)
    return [ChannelMessage(
        platform="ebay", delivery_id=message_id, conversation_key=f"ebay:{conversation}",
        customer_identity=sender.lower(), text=text[:20000], platform_message_id=message_id, attachments=attachments,
        received_at=when(data["createdDate"], "createdDate") if data.get("createdDate") else at,
        order_hint=hint.group(0) if hint else None, reply_route={"conversation_id": conversation})]


class EbayWebhook:
    """The `WebhookVerifier` the /webhooks/ebay endpoint calls, and the answer to eBay's endpoint challenge."""

    def __init__(self, config: EbayConfig, keys: EbayKeyCache | None) -> None:
        self._config, self._keys = config, keys

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        if self._keys is None:
            raise SignatureError("not_configured", "no eBay public key source")
        verify_webhook(body, headers, self._keys)

    def parse(self, body: bytes, headers: Mapping[str, str]) -> list[ChannelEvent]:
        return parse_webhook(body, headers, seller_username=self._config.seller_username)

    def challenge(self, challenge_code: str, endpoint_url: str) -> str | None:
        """The challengeResponse for GET ?challenge_code=...; None while no verification token is set."""
        token = self._config.verification_token.get_secret_value() if self._config.verification_token else None
        return challenge_response(challenge_code, token, endpoint_url) if token else None
