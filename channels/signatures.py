"""Webhook and request signatures of each platform (facts in ../shared/docs/platforms.md).

Verification works on the RAW request body (re-serialised JSON would not match), compares in constant
time, and fails with a `SignatureError` that says why (missing, malformed or mismatched) so the webhook
endpoint can answer 401 with a clear reason and store nothing as a message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Literal


class SignatureError(Exception):
    def __init__(self, reason: Literal["missing", "malformed", "mismatch", "not_configured"], detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def _require(value: str | None, what: str) -> str:
    if value is None or not value.strip():
        raise SignatureError("missing", f"no {what}")
    return value.strip()


def _secret(secret: str | None, name: str) -> bytes:
    if not secret:
        raise SignatureError("not_configured", f"{name} is not set")
    return secret.encode()


def verify_shopify(body: bytes, header: str | None, secret: str | None) -> None:
    """X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(app secret, raw body))."""
    given = _require(header, "X-Shopify-Hmac-Sha256 header")
    try:
        given_bytes = base64.b64decode(given, validate=True)
    except ValueError:
        raise SignatureError("malformed", "X-Shopify-Hmac-Sha256 is not base64") from None
    expected = hmac.new(_secret(secret, "SHOPDESK_SHOPIFY_WEBHOOK_SECRET"), body, hashlib.sha256).digest()
    if not hmac.compare_digest(given_bytes, expected):
        raise SignatureError("mismatch", "Shopify HMAC does not match the body")


def verify_meta(body: bytes, header: str | None, app_secret: str | None) -> None:
    """X-Hub-Signature-256 = 'sha256=' + hex(HMAC-SHA256(app secret, raw body))."""
    given = _require(header, "X-Hub-Signature-256 header")
    if not given.startswith("sha256=") or len(given) != len("sha256=") + 64:
        raise SignatureError("malformed", "X-Hub-Signature-256 must be sha256=<64 hex digits>")
    expected = hmac.new(_secret(app_secret, "SHOPDESK_META_APP_SECRET"), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given[len("sha256="):].lower().encode(), expected.encode()):  # bytes: any header
        raise SignatureError("mismatch", "Meta signature does not match the body")


def meta_handshake(params: Mapping[str, str], verify_token: str | None) -> str:
    """The subscription handshake: echo hub.challenge when mode and token match."""
    if params.get("hub.mode") != "subscribe":
        raise SignatureError("malformed", "hub.mode must be subscribe")
    token = _require(params.get("hub.verify_token"), "hub.verify_token")
    if not hmac.compare_digest(token.encode(), _secret(verify_token, "SHOPDESK_META_VERIFY_TOKEN")):
        raise SignatureError("mismatch", "hub.verify_token does not match")
    return _require(params.get("hub.challenge"), "hub.challenge")


def verify_tiktok_webhook(body: bytes, authorization: str | None, app_key: str | None, app_secret: str | None) -> None:
    """Authorization = hex(HMAC-SHA256(app secret, app_key + raw body)) (community-documented [S/U])."""
    given = _require(authorization, "Authorization header").lower()
    if len(given) != 64 or any(c not in "0123456789abcdef" for c in given):
        raise SignatureError("malformed", "Authorization must be 64 hex digits")
    if not app_key:
        raise SignatureError("not_configured", "SHOPDESK_TIKTOK_APP_KEY is not set")
    expected = hmac.new(_secret(app_secret, "SHOPDESK_TIKTOK_APP_SECRET"), app_key.encode() + body,
                        hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given, expected):
        raise SignatureError("mismatch", "TikTok signature does not match the body")


def tiktok_request_sign(path: str, query: Mapping[str, str], body: bytes | None, app_secret: str,
                        *, multipart: bool = False) -> str:
    """The `sign` query parameter of a TikTok Shop API request.

    Sorted query keys except `sign` and `access_token`, s = path + concat(key + value), the raw body
    appended unless multipart, sign = hex(HMAC-SHA256(secret, secret + s + secret)).
    """
    s = path + "".join(f"{k}{query[k]}" for k in sorted(query) if k not in ("sign", "access_token"))
    if body and not multipart:
        s += body.decode()
    return hmac.new(app_secret.encode(), (app_secret + s + app_secret).encode(), hashlib.sha256).hexdigest()
