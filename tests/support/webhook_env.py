"""A shopdesk server on loopback with every webhook secret set, and a correct signer per platform.

For the security tests (tests/security/test_webhook_*.py). Signatures are computed here from the
platforms' documented schemes, independently of `channels.signatures`; eBay's public key is served by an
in-memory key endpoint (httpx.MockTransport), so nothing leaves the process but loopback HTTP.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from channels.ebay import EbayKeyCache
from channels.serving import BackgroundServer
from channels.walmart import WEBHOOK_SIGNATURE_HEADER
from shopdesk.server import build_app
from shopdesk.service import Service
from shopdesk.settings import Settings
from tools.models import PLATFORMS

from recording import RecordingSender

PLATFORMS_WITH_WEBHOOKS = ("shopify", "tiktok", "meta", "ebay", "walmart")
EBAY_KID = "0f6b2f2e-5c1d-4e3a-9d7b-3c2a1b0e9f8d"
SECRETS: dict[str, Any] = {
    "shopify_webhook_secret": "shp-secret", "tiktok_app_key": "tt-key", "tiktok_app_secret": "tt-secret",
    "meta_app_secret": "meta-secret", "meta_verify_token": "meta-verify", "walmart_webhook_auth": "hmac",
    "walmart_webhook_secret": "wm-secret", "ebay_seller_username": "northfork_outdoors"}


class EbayKeyEndpoint:
    """eBay's /commerce/notification/v1/public_key/{kid}: one known kid; counts and records every fetch."""

    def __init__(self, key: ec.EllipticCurvePrivateKey, kid: str = EBAY_KID) -> None:
        self.key, self.kid = key, kid
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.raw_path.decode() != f"/commerce/notification/v1/public_key/{self.kid}":
            return httpx.Response(404, json={"errors": [{"errorId": 195001, "message": "no such key"}]})
        pem = self.key.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
        return httpx.Response(200, json={"key": pem.decode(), "algorithm": "ECDSA", "digest": "SHA1"})


def ebay_signature(key: ec.EllipticCurvePrivateKey, body: bytes, kid: str = EBAY_KID) -> str:
    sig = base64.b64encode(key.sign(body, ec.ECDSA(hashes.SHA1()))).decode()
    return base64.b64encode(json.dumps({"alg": "ecdsa", "kid": kid, "signature": sig, "digest": "SHA1"}).encode()).decode()


def templates(text: str = "where is my order?", *, unix_s: int = 1795683600, iso: str = "2026-11-26T09:00:00Z",
              message_id: str = "m-1", conversation: str = "c-1") -> dict[str, dict[str, Any]]:
    """One valid delivery per platform (a customer message where the platform has them), as JSON objects."""
    return {
        "tiktok": {"type": 14, "tts_notification_id": f"n-{message_id}", "shop_id": "shop-1", "timestamp": unix_s,
                   "data": {"conversation_id": conversation, "message_id": message_id, "type": "TEXT",
                            "content": json.dumps({"content": text}), "create_time": unix_s,
                            "sender": {"im_user_id": "tt-user-1", "role": "BUYER"}}},
        "meta": {"object": "page", "entry": [{"id": "1001", "time": unix_s * 1000, "messaging": [{
            "sender": {"id": "psid-1"}, "recipient": {"id": "1001"}, "timestamp": unix_s * 1000,
            "message": {"mid": message_id, "text": text}}]}]},
        "ebay": {"metadata": {"topic": "MESSAGE", "schemaVersion": "1.0"},
                 "notification": {"notificationId": f"n-{message_id}", "eventDate": iso, "publishDate": iso, "data": {
                     "conversationId": conversation, "messageId": message_id, "senderUsername": "buyer_one",
                     "recipientUsername": "northfork_outdoors", "messageBody": text, "createdDate": iso}}},
        "shopify": {"id": 820982911946154508, "name": "#1001", "financial_status": "paid",
                    "fulfillment_status": None, "updated_at": iso, "note": text,
                    "transactions": [{"kind": "refund", "status": "success", "amount": "5.00"}]},
        "walmart": {"source": {"eventType": "PO_CREATED", "eventId": f"e-{message_id}", "eventTime": iso},
                    "payload": {"purchaseOrderId": "1089000000001", "customerOrderId": "2000000001",
                                "orderLines": {"orderLine": [{"lineNumber": "1"}]}}},
    }


def _hmac(secret: str, data: bytes) -> hmac.HMAC:
    return hmac.new(secret.encode(), data, hashlib.sha256)


@dataclass
class Stack:
    service: Service
    url: str
    client: httpx.Client
    ebay_key: ec.EllipticCurvePrivateKey
    ebay_endpoint: EbayKeyEndpoint
    settings: Settings
    extra: dict[str, Any] = field(default_factory=dict)

    def signed(self, platform: str, body: bytes, headers: dict[str, str] | None = None) -> dict[str, str]:
        """`headers` plus the platform's correct signature over `body`."""
        out = dict(headers or {})
        if platform == "shopify":
            out.setdefault("X-Shopify-Topic", "orders/updated")
            out.setdefault("X-Shopify-Webhook-Id", "w-1")
            out["X-Shopify-Hmac-Sha256"] = base64.b64encode(_hmac("shp-secret", body).digest()).decode()
        elif platform == "tiktok":
            out["Authorization"] = hmac.new(b"tt-secret", b"tt-key" + body, hashlib.sha256).hexdigest()
        elif platform == "meta":
            out["X-Hub-Signature-256"] = "sha256=" + _hmac("meta-secret", body).hexdigest()
        elif platform == "walmart":
            out[WEBHOOK_SIGNATURE_HEADER] = _hmac("wm-secret", body).hexdigest()
        elif platform == "ebay":
            out["X-EBAY-SIGNATURE"] = ebay_signature(self.ebay_key, body)
        else:
            raise ValueError(platform)
        return out

    def post(self, platform: str, body: bytes, headers: dict[str, str] | None = None, *,
             sign: bool = True) -> httpx.Response:
        sent = self.signed(platform, body, headers) if sign else dict(headers or {})
        return self.client.post(f"/webhooks/{platform}", content=body, headers=sent)

    def stored(self) -> dict[str, int]:
        """Rows that only a verified delivery may create."""
        with sqlite3.connect(f"file:{self.settings.app_db_path}?mode=ro", uri=True) as db:
            return {table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608 (fixed names)
                    for table in ("inbox", "context_events", "conversations", "messages")}

    def connect(self, *, timeout_s: float = 5.0) -> socket.socket:
        """A raw connection to the server (to send a body slowly, or only part of it)."""
        return socket.create_connection((self.client.base_url.host, self.client.base_url.port), timeout=timeout_s)


def read_status(sock: socket.socket) -> int:
    """The HTTP status of the first response on `sock` (raises socket.timeout if none comes)."""
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return int(data.split(b" ", 2)[1])


@contextmanager
def webhook_stack(base: Settings, *, ebay_keys: EbayKeyCache | None = None, **overrides: Any) -> Iterator[Stack]:
    """A started Service (no worker threads) behind a real server on loopback, every webhook secret set."""
    settings = Settings(**{**base.model_dump(), "_env_file": None, **SECRETS, **overrides})  # type: ignore[arg-type]
    key = ec.generate_private_key(ec.SECP256R1())
    endpoint = EbayKeyEndpoint(key)
    sender = RecordingSender()
    with Service(settings, senders={p: sender for p in PLATFORMS}, start_threads=False) as service:
        keys = ebay_keys or EbayKeyCache(httpx.Client(transport=httpx.MockTransport(endpoint)),
                                         "https://api.ebay.test", clock=service.clock)
        with BackgroundServer(build_app(service, ebay_keys=keys)) as server, \
                httpx.Client(base_url=server.url, timeout=10) as client:
            yield Stack(service=service, url=server.url, client=client, ebay_key=key, ebay_endpoint=endpoint,
                        settings=settings)
