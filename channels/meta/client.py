"""Meta's Send API client: replies on Messenger and Instagram Direct.

Replies go to POST {graph}/{PAGE_ID}/messages with a Page token (Instagram replies too, through the Facebook
Page linked to the Instagram account), inside the 24-hour window after the customer's last message; after it
only a person may answer, with the HUMAN_AGENT tag, for up to 7 days. US Facebook/Instagram Shops check out
on the seller's own (Shopify) site, so there is no orders API here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx

from channels import http_calls
from channels.attachments import AttachmentFetchError, fetch_media
from channels.base import Attachment, SendError, SendReceipt, json_object
from channels.http_calls import ApiCallError, CallPolicy
from channels.meta.config import MetaConfig
from channels.ratelimit import retry_after_s
from tools.models import Platform
from tools.policy.loader import PlatformPolicy, load_policies

RATE_LIMIT_CODES = frozenset({4, 17, 32, 613})  # app, user, page and custom-level throttling
TRANSIENT_CODES = frozenset({1, 2})  # "unknown error" / "service temporarily unavailable": Meta says retry
_SAFE_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")


class MetaClient:
    """Sends replies through the Messenger Platform Send API (Messenger and Instagram alike)."""

    def __init__(self, config: MetaConfig, http: httpx.Client, *,
                 policies: Mapping[str, PlatformPolicy] | None = None) -> None:
        self._config, self._http = config, http
        self._policies = policies or load_policies()

    def fetch_attachment(self, attachment: Attachment, *, max_bytes: int, timeout_s: float) -> bytes:
        """A customer's photo or file from Meta's CDN (the webhook's payload.url): no Page token is sent with it."""
        if not attachment.url:
            raise AttachmentFetchError("Meta gave no address for it")
        return fetch_media(self._http, attachment.url, max_bytes=max_bytes, timeout_s=timeout_s,
                           trusted_origin=self._config.graph_url)

    def messaging_type(self, route: Mapping[str, str], *, human: bool, now: datetime) -> dict[str, str]:
        """RESPONSE inside the standard window; HUMAN_AGENT tag for a person's reply inside the tag window."""
        policy = self._policies[_platform(route)].messaging
        try:
            customer_at = datetime.fromisoformat(route["customer_at"])
        except (KeyError, ValueError):
            raise SendError("the reply route has no customer_at time, so Meta's messaging window is unknown",
                            retryable=False) from None
        if customer_at.tzinfo is None or now.tzinfo is None:
            raise SendError("customer_at and now must carry a timezone", retryable=False)
        age = now - customer_at
        if age <= timedelta(hours=policy.first_reply_hours):
            return {"messaging_type": "RESPONSE"}
        tag_hours = policy.human_agent_tag_hours or 0
        if human and age <= timedelta(hours=tag_hours):
            return {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
        if human:
            raise SendError(f"Meta's {tag_hours // 24}-day HUMAN_AGENT window closed too: the customer last wrote "
                            f"{age.days} days ago; wait for them to write again", retryable=False)
        raise SendError(f"Meta's {policy.first_reply_hours}-hour messaging window closed: a person must reply with "
                        f"the HUMAN_AGENT tag (possible for {tag_hours // 24} days after the customer's last message)",
                        retryable=False)

    def send(self, text: str, route: Mapping[str, str], *, idempotency_key: str, human: bool,
             now: datetime) -> SendReceipt:
        token = self._config.page_token
        if token is None:
            raise SendError("SHOPDESK_META_PAGE_TOKEN is not set", retryable=False)
        recipient = route.get("recipient_id") or ""
        if _platform(route) == "instagram":  # Instagram's Send API is the linked Facebook Page's
            page_id = self._config.page_id or ""
            if not page_id:
                raise SendError("SHOPDESK_META_PAGE_ID (the Facebook Page linked to the Instagram account) is not "
                                "set", retryable=False)
        else:
            page_id = route.get("page_id") or self._config.page_id or ""
        if not _SAFE_ID.match(recipient) or not _SAFE_ID.match(page_id):
            raise SendError("the reply route needs a recipient_id and a page_id", retryable=False)
        limit = self._policies[_platform(route)].messaging.max_chars
        if not text.strip():
            raise SendError("an empty message cannot be sent", retryable=False)
        if len(text) > limit:
            raise SendError(f"Meta messages are limited to {limit} characters (this one has {len(text)})",
                            retryable=False)
        body = {"recipient": {"id": recipient}, **self.messaging_type(route, human=human, now=now),
                "message": {"text": text}}
        url = f"{self._config.graph_url.rstrip('/')}/{page_id}/messages"
        headers = {"Authorization": f"Bearer {token.get_secret_value()}"}
        try:
            resp = http_calls.call(lambda: self._http.post(url, json=body, headers=headers), method="POST",
                                   policy=_POLICY)
        except ApiCallError as exc:
            raise _call_error(exc) from None
        payload = json_object(resp)
        if "error" in payload:  # Graph can refuse inside a 200
            raise _error(resp, payload)
        message_id = payload.get("message_id") or f"meta-sent:{idempotency_key}"
        return SendReceipt(platform_message_id=str(message_id), sent_at=now)


def _platform(route: Mapping[str, str]) -> Platform:
    return "instagram" if route.get("platform") == "instagram" else "facebook"


def _call_error(exc: ApiCallError) -> SendError:
    if exc.kind == "timeout":
        return SendError("Meta Send API timed out", retryable=True)
    if exc.kind == "http" and exc.response is not None:
        return _error(exc.response, json_object(exc.response))
    return SendError(f"Meta Send API unreachable ({exc.cause or exc.message})", retryable=True)


def _error(resp: httpx.Response, payload: Mapping[str, Any]) -> SendError:
    """Graph errors: {"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}."""
    err = payload.get("error") if isinstance(payload.get("error"), dict) else {}
    code, subcode = err.get("code"), err.get("error_subcode")
    what = f"Meta error {code}" + (f"/{subcode}" if subcode else "") + f": {err.get('message') or resp.reason_phrase}"
    if code in RATE_LIMIT_CODES or code in TRANSIENT_CODES or resp.status_code == 429 or resp.status_code >= 500:
        return SendError(what, retryable=True, retry_after_s=_retry_after(resp))
    if code == 10 and subcode == 2018278:
        what += " (outside the messaging window: a person must reply with the HUMAN_AGENT tag)"
    return SendError(what, retryable=False)


def _retry_after(resp: httpx.Response) -> float | None:
    """Retry-After, else the longest estimated_time_to_regain_access (minutes) of the BUC usage header."""
    if (seconds := retry_after_s(resp.headers)) is not None:
        return seconds
    try:
        usage = json.loads(resp.headers.get("x-business-use-case-usage") or "{}")
        minutes = [int(u.get("estimated_time_to_regain_access") or 0)
                   for entries in usage.values() for u in entries if isinstance(u, dict)]
    except (ValueError, AttributeError, TypeError):
        return None
    return max(minutes) * 60.0 if minutes and max(minutes) > 0 else None


def _graph_code(resp: httpx.Response) -> int | None:
    """The Graph error's `code` (4, 17, 32, 613: rate limits; 190: bad token...)."""
    err = json_object(resp).get("error")
    code = err.get("code") if isinstance(err, dict) else None
    return code if isinstance(code, int) else None


# One try per send: the outbox retries with the wait the error carries.
_POLICY = CallPolicy(max_attempts=1, default_wait_s=None, wait_hint=_retry_after, api_code=_graph_code)
