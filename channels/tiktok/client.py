"""TikTok Shop's signed Partner API client: chat replies, order details, returns.

Every API request carries app_key, timestamp, shop_cipher and `sign` in the query and the access token in
`x-tts-access-token`; answers are {"code": 0, "message", "data", "request_id"} (../shared/docs/platforms.md).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import InvalidOperation
from typing import Any

import httpx
from pydantic import ValidationError

from channels import http_calls
from channels.attachments import AttachmentFetchError, fetch_media
from channels.base import Attachment, SendError, SendReceipt
from channels.http_calls import ApiCallError, CallPolicy
from channels.ratelimit import TokenBucket, retry_after_s
from channels.signatures import tiktok_request_sign
from channels.tiktok.config import TikTokConfig
from channels.tiktok.mapping import ORDER_ID, to_order, to_return
from tools.errors import NotFoundError
from tools.models import Order, Return
from tools.policy.loader import PlatformPolicy, load_policies

_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
MAX_WAIT_S = 5.0


class TikTokApiError(Exception):
    """A TikTok API call failed; `retryable` has the same meaning as for `SendError`."""

    def __init__(self, reason: str, *, retryable: bool, code: int | None = None, http_status: int | None = None,
                 retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.retryable, self.code = reason, retryable, code
        self.http_status, self.retry_after_s = http_status, retry_after_s


class TikTokClient:
    """The seller's TikTok Shop: chat replies, order details, returns (search and approve)."""

    def __init__(self, config: TikTokConfig, http: httpx.Client, *, rate_per_s: float = 50.0,
                 policies: Mapping[str, PlatformPolicy] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._config, self._http, self._rate, self._sleep = config, http, rate_per_s, sleep
        self._policy = (policies or load_policies())["tiktok"]
        self._buckets: dict[str, TokenBucket] = {}  # TikTok limits each API separately (50 rps per shop)

    # ---- ChannelSender
    def send(self, text: str, route: Mapping[str, str], *, idempotency_key: str, human: bool,
             now: datetime) -> SendReceipt:
        conversation_id = route.get("conversation_id") or ""
        if not _SAFE_ID.match(conversation_id):
            raise SendError("the reply route has no valid TikTok conversation_id", retryable=False)
        limit = self._policy.messaging.max_chars
        if not text.strip():
            raise SendError("an empty message cannot be sent", retryable=False)
        if len(text) > limit:
            raise SendError(f"TikTok chat messages are limited to {limit} characters (this one has {len(text)})",
                            retryable=False)
        body = {"type": "TEXT", "content": json.dumps({"content": text})}
        try:
            data = self._call("POST", f"/customer_service/202309/conversations/{conversation_id}/messages",
                              api="send_message", body=body)
        except TikTokApiError as exc:
            raise SendError(exc.reason, retryable=exc.retryable, retry_after_s=exc.retry_after_s) from None
        message_id = data.get("message_id") or f"tiktok-sent:{idempotency_key}"
        return SendReceipt(platform_message_id=str(message_id), sent_at=now)

    # ---- attachments
    def fetch_attachment(self, attachment: Attachment, *, max_bytes: int, timeout_s: float) -> bytes:
        """A buyer's chat image or video from TikTok's CDN (the message content's url); nothing signed or
        secret is sent with it."""
        if not attachment.url:
            raise AttachmentFetchError("TikTok gave no address for it")
        return fetch_media(self._http, attachment.url, max_bytes=max_bytes, timeout_s=timeout_s,
                           trusted_origin=self._config.api_url)

    # ---- orders
    def get_orders(self, order_ids: list[str]) -> list[Order]:
        """Get Order Detail: up to 50 ids per call."""
        if not order_ids:
            return []
        if len(order_ids) > 50:
            raise ValueError("TikTok returns at most 50 orders per call")
        data = self._call("GET", "/order/202507/orders", api="get_order", query={"ids": ",".join(order_ids)})
        return [self._mapped(to_order, raw) for raw in data.get("orders") or []]

    def get_order(self, order_id: str) -> Order:
        order_id = order_id.strip()
        if not ORDER_ID.fullmatch(order_id):
            raise NotFoundError(f"{order_id!r} is not a TikTok Shop order id (18 digits).", order_id=order_id)
        found = [o for o in self.get_orders([order_id]) if o.id == order_id]
        if not found:
            raise NotFoundError(f"No TikTok Shop order {order_id}.", order_id=order_id)
        return found[0]

    # ---- returns
    def order_returns(self, order_id: str) -> list[Return]:
        order = self.get_order(order_id)
        return [self._mapped(to_return, raw, order, self._policy) for raw in self._search_returns(order_ids=[order.id])]

    def get_return(self, return_id: str) -> Return:
        found = self._search_returns(return_ids=[return_id])
        if not found:
            raise NotFoundError(f"No TikTok Shop return {return_id}.", return_id=return_id)
        order = self.get_order(str(found[0].get("order_id", "")))
        return self._mapped(to_return, found[0], order, self._policy)

    def approve_return(self, return_id: str, *, decision: str = "APPROVE_RETURN", buyer_keep_item: bool = False,
                       idempotency_key: str) -> Return:
        """Approve Return with TikTok's decision: APPROVE_RETURN (buyer ships it back), APPROVE_REFUND
        (refund-only request), APPROVE_RECEIVED_PACKAGE (the package arrived: TikTok refunds the buyer)."""
        if not _SAFE_ID.match(return_id):
            raise NotFoundError(f"{return_id!r} is not a return id.", return_id=return_id)
        body: dict[str, Any] = {"decision": decision}
        if buyer_keep_item:
            body["buyer_keep_item"] = True
        self._call("POST", f"/return_refund/202309/returns/{return_id}/approve", api="approve_return",
                   query={"idempotency_key": idempotency_key}, body=body)
        return self.get_return(return_id)

    def _search_returns(self, **filters: list[str]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        token = ""
        for _ in range(20):  # 20 pages of 50 is far more than one order or id list can hold
            query = {"page_size": "50", **({"page_token": token} if token else {})}
            data = self._call("POST", "/return_refund/202309/returns/search", api="search_returns",
                              query=query, body=filters)
            found.extend(data.get("return_orders") or [])
            token = data.get("next_page_token") or ""
            if not token:
                break
        return found

    # ---- plumbing
    def _mapped(self, fn: Callable[..., Any], raw: Any, *args: Any) -> Any:
        try:
            return fn(raw, *args)
        except (ValidationError, KeyError, TypeError, ValueError, InvalidOperation) as exc:
            raise TikTokApiError(f"unexpected TikTok data shape ({type(exc).__name__}: {str(exc)[:200]})",
                                 retryable=False) from None

    def _call(self, method: str, path: str, *, api: str, query: Mapping[str, str] | None = None,
              body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        c = self._config
        if not (c.app_key and c.app_secret and c.access_token):
            raise TikTokApiError("TikTok API credentials are not configured", retryable=False)
        bucket = self._buckets.setdefault(api, TokenBucket(self._rate, max(1, int(self._rate)), sleep=self._sleep))
        raw = json.dumps(body, separators=(",", ":")).encode() if body is not None else None
        app_key, secret = c.app_key, c.app_secret.get_secret_value()
        headers = {"x-tts-access-token": c.access_token.get_secret_value(), "content-type": "application/json"}

        def send() -> httpx.Response:  # signed per attempt: the signature covers the timestamp
            params = {**(query or {}), "app_key": app_key, "timestamp": str(int(time.time()))}
            if c.shop_cipher:
                params["shop_cipher"] = c.shop_cipher
            params["sign"] = tiktok_request_sign(path, params, raw, secret)
            return self._http.request(method, c.api_url.rstrip("/") + path, params=params, content=raw,
                                      headers=headers)

        try:  # short bucket waits pace us; long ones, and a 429 (which holds the API back), go to the caller
            resp = http_calls.call(send, method=method, policy=_POLICY, bucket=bucket, sleep=self._sleep)
        except ApiCallError as exc:
            raise _call_error(exc, api) from None
        return _unwrap(resp, api)


# One try per call; a 429 holds the API's bucket for Retry-After (else 1 s) so the next call waits.
_POLICY = CallPolicy(max_attempts=1, max_wait_s=MAX_WAIT_S, default_wait_s=1.0)


def _call_error(exc: ApiCallError, api: str) -> TikTokApiError:
    if exc.kind == "rate_limited":
        return TikTokApiError(f"TikTok {api} is rate limited", retryable=True, retry_after_s=exc.retry_after_s)
    if exc.kind == "timeout":
        return TikTokApiError(f"TikTok {api} timed out", retryable=True)
    if exc.kind == "http" and exc.response is not None:
        return _failure(exc.response, api) or TikTokApiError(
            f"TikTok {api} failed (HTTP {exc.status})", retryable=False, http_status=exc.status)
    return TikTokApiError(f"TikTok {api} unreachable ({exc.cause})", retryable=True)


def _unwrap(resp: httpx.Response, api: str) -> dict[str, Any]:
    """The `data` of a successful answer; TikTok's {"code": non-zero} in a 200 is a failure too."""
    if (failure := _failure(resp, api)) is not None:
        raise failure
    data = resp.json().get("data")
    return data if isinstance(data, dict) else {}


def _failure(resp: httpx.Response, api: str) -> TikTokApiError | None:
    """429 and 5xx are retryable (with Retry-After); other HTTP errors and a non-zero `code` are not."""
    try:
        payload = resp.json()
    except ValueError:
        payload = None
    code = payload.get("code") if isinstance(payload, dict) else None
    message = str(payload.get("message") or "") if isinstance(payload, dict) else ""
    if resp.status_code == 429 or resp.status_code >= 500:
        return TikTokApiError(f"TikTok {api}: HTTP {resp.status_code} {message}".strip(), retryable=True, code=code,
                              http_status=resp.status_code, retry_after_s=retry_after_s(resp.headers))
    if resp.status_code >= 400 or code != 0:
        detail = f"code {code}: {message}" if code is not None else f"HTTP {resp.status_code}"
        return TikTokApiError(f"TikTok {api} failed ({detail})", retryable=False, code=code,
                              http_status=resp.status_code)
    return None
