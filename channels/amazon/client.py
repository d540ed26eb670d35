"""Amazon Selling Partner API client: LWA tokens, orders (v2026-01-01) and proactive buyer messages.

Buyer messages cannot be read or answered through SP-API: they arrive at the seller's mailbox from
the buyer's relay address and are answered by email (the email channel). So this client is not a
`ChannelSender`; it reads orders for context and sends the few *proactive* messages the Messaging API
allows (confirmDeliveryDetails, unexpectedProblem...), refusing text Amazon would reject before any call.
There is no webhook module: Amazon sends nothing shopdesk listens to.

What SP-API cannot tell us is listed in `channels.amazon.mapping`.
searchOrders has no buyer filter: `search_orders(buyer_email=...)` filters a created-date window here.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx

from channels import http_calls
from channels.amazon.config import AmazonConfig
from channels.amazon.errors import AmazonApiError
from channels.amazon.mapping import order_from_sp_api
from channels.base import SendError, SendReceipt, json_object
from channels.http_calls import ApiCallError, CallPolicy
from channels.ratelimit import TokenBucket, retry_after_s
from channels.tokens import CachedToken
from tools import contacts
from tools.clock import Clock, SystemClock
from tools.errors import NotFoundError
from tools.models import Order, validate_order_id
from tools.policy.loader import policy_for


US_MARKETPLACE_ID = "ATVPDKIKX0DER"
ORDERS_PATH = "/orders/2026-01-01/orders"
MESSAGING_PATH = "/messaging/v1/orders"
INCLUDED_DATA = "BUYER,RECIPIENT,PROCEEDS,FULFILLMENT,PACKAGES"
MESSAGE_TYPES = frozenset({
    "confirmCustomizationDetails", "confirmDeliveryDetails", "legalDisclosure", "confirmOrderDetails",
    "confirmServiceDetails", "warranty", "digitalAccessKey", "unexpectedProblem", "invoice",
})
# The others need attachments (an invoice PDF, a disclosure, a customization image) we do not send.
TEXT_MESSAGE_TYPES = frozenset({
    "confirmDeliveryDetails", "confirmOrderDetails", "confirmServiceDetails", "unexpectedProblem", "warranty",
})
# (requests per second, burst) per operation, from platforms.md; the x-amzn-RateLimit-Limit header wins.
RATE_LIMITS: dict[str, tuple[float, int]] = {
    "getOrder": (0.5, 30), "searchOrders": (0.0056, 20),
    "getMessagingActionsForOrder": (1.0, 5), "createMessage": (1.0, 5),
}


class LwaTokens(CachedToken):
    """Login-with-Amazon access tokens from the seller's refresh token, reused until a minute before expiry."""

    def __init__(self, http: httpx.Client, lwa_url: str, client_id: str, client_secret: str, refresh_token: str,
                 clock: Clock | None = None, *, sleep: Callable[[float], None] = time.sleep,
                 policy: CallPolicy = http_calls.TOKEN_GRANT_POLICY) -> None:
        super().__init__(clock)
        self._http, self._url, self._sleep, self._policy = http, lwa_url, sleep, policy
        self._form = {"grant_type": "refresh_token", "refresh_token": refresh_token,
                      "client_id": client_id, "client_secret": client_secret}

    def _fetch(self, now: datetime) -> tuple[str, datetime]:
        """The grant through the shared call policy (a throttle, 5xx or timeout is tried again)."""
        try:
            resp = http_calls.call(lambda: self._http.post(self._url, data=self._form,
                                                           headers={"accept": "application/json"}),
                                   method="POST", policy=self._policy, sleep=self._sleep, idempotent=True)
        except ApiCallError as exc:
            raise _token_error(exc) from None
        data = json_object(resp)
        if not isinstance(data.get("access_token"), str):
            raise AmazonApiError("LWA answered without an access_token", status=200, api_code="unexpected_response")
        return data["access_token"], now + timedelta(seconds=int(data.get("expires_in", 3600)))


class AmazonClient:
    """Orders and proactive messaging over SP-API, throttled per operation; see the module docstring."""

    def __init__(self, config: AmazonConfig, http: httpx.Client, clock: Clock | None = None, *,
                 marketplace_id: str = US_MARKETPLACE_ID,
                 customer_ids: Callable[[str], str | None] | None = None,
                 product_ids: Callable[[str], str | None] | None = None,
                 sleep: Callable[[float], None] = time.sleep, max_wait_s: float = 30.0, max_attempts: int = 3,
                 rate_limits: Mapping[str, tuple[float, int]] | None = None) -> None:
        secret, refresh = config.client_secret, config.refresh_token
        if not (config.client_id and secret and refresh):
            raise ValueError("SP-API needs SHOPDESK_AMAZON_CLIENT_ID, _CLIENT_SECRET and _REFRESH_TOKEN")
        self._http, self._base = http, config.api_url.rstrip("/")
        self._clock = clock or SystemClock()
        self.marketplace_id = marketplace_id
        self._customer_ids, self._product_ids = customer_ids, product_ids
        # Only a 429 is retried (reads only, paced by the operation's bucket); 5xx and timeouts go back
        # to the caller. Retrying 5xx/timeouts on reads is a policy change: add them here.
        self._sleep = sleep
        self._policy = CallPolicy(max_attempts=max_attempts, max_wait_s=max_wait_s, retry_statuses=frozenset({429}),
                                  retry_timeouts=False, default_wait_s=None,
                                  rate_header="x-amzn-ratelimit-limit", api_code=_error_code)
        self.tokens = LwaTokens(http, config.lwa_url, config.client_id, secret.get_secret_value(),
                                refresh.get_secret_value(), self._clock, sleep=sleep)
        seconds = lambda: self._clock.now().timestamp()
        self.buckets = {op: TokenBucket(rate, burst, clock=seconds, sleep=sleep)
                        for op, (rate, burst) in {**RATE_LIMITS, **(rate_limits or {})}.items()}

    # ---------------------------------------------------------------- orders

    def get_order(self, order_id: str) -> Order:
        order_id = validate_order_id("amazon", order_id.strip())
        try:
            resp = self._call("getOrder", "GET", f"{ORDERS_PATH}/{order_id}", params={"includedData": INCLUDED_DATA})
        except AmazonApiError as exc:
            if exc.status == 404:
                raise NotFoundError(f"Amazon has no order {order_id}.", record_id=order_id) from None
            raise
        return self._order(json_object(resp).get("order"))

    def search_orders(self, *, created_after: datetime, created_before: datetime | None = None,
                      fulfillment_statuses: Sequence[str] = (), buyer_email: str | None = None,
                      max_orders: int = 100, page_size: int = 100) -> list[Order]:
        """searchOrders by createdAfter/createdBefore and fulfillmentStatuses, following nextToken pages;
        `buyer_email` (a relay address) is matched here on buyer.buyerEmail, so FBA orders never match."""
        params: dict[str, Any] = {"createdAfter": _iso(created_after), "marketplaceIds": self.marketplace_id,
                                  "includedData": INCLUDED_DATA, "maxResultsPerPage": page_size}
        if created_before is not None:
            params["createdBefore"] = _iso(created_before)
        if fulfillment_statuses:
            params["fulfillmentStatuses"] = ",".join(fulfillment_statuses)
        wanted = buyer_email.strip().lower() if buyer_email else None
        found: list[Order] = []
        while True:
            data = json_object(self._call("searchOrders", "GET", ORDERS_PATH, params=params))
            for raw in data.get("orders") or []:
                email = str((raw.get("buyer") or {}).get("buyerEmail") or "").lower()
                if wanted is None or email == wanted:
                    found.append(self._order(raw))
                    if len(found) >= max_orders:
                        return found
            token = (data.get("pagination") or {}).get("nextToken")
            if not token:
                return found
            params = {**params, "paginationToken": token}

    def _order(self, raw: Any) -> Order:
        return order_from_sp_api(raw, customer_ids=self._customer_ids, product_ids=self._product_ids)

    # ---------------------------------------------------------------- proactive messaging

    def allowed_message_types(self, order_id: str) -> list[str]:
        """getMessagingActionsForOrder: the names under `_links.actions` ({"href", "name"} each)."""
        order_id = validate_order_id("amazon", order_id.strip())
        try:
            resp = self._call("getMessagingActionsForOrder", "GET", f"{MESSAGING_PATH}/{order_id}",
                              params={"marketplaceIds": self.marketplace_id})
        except AmazonApiError as exc:
            if exc.status == 404:
                raise NotFoundError(f"Amazon has no order {order_id}.", record_id=order_id) from None
            raise
        actions = ((json_object(resp).get("_links") or {}).get("actions")) or []
        return [a["name"] for a in actions if isinstance(a, dict) and isinstance(a.get("name"), str)]

    def send_proactive(self, order_id: str, message_type: str, text: str) -> SendReceipt:
        """POST .../messages/{type} {"text"}; refused first (SendError, not retryable) when Amazon would."""
        check_proactive_text(text)
        if message_type not in MESSAGE_TYPES:
            raise SendError(f"unknown Amazon message type {message_type!r}", retryable=False)
        if message_type not in TEXT_MESSAGE_TYPES:
            raise SendError(f"{message_type} needs attachments, which shopdesk does not send", retryable=False)
        try:
            allowed = self.allowed_message_types(order_id)
            if message_type not in allowed:
                raise SendError(f"{message_type} is not allowed for this order now (allowed: "
                                f"{', '.join(allowed) or 'none'})", retryable=False)
            resp = self._call("createMessage", "POST", f"{MESSAGING_PATH}/{order_id}/messages/{message_type}",
                              params={"marketplaceIds": self.marketplace_id}, json={"text": text})
        except NotFoundError:
            raise SendError(f"Amazon has no order {order_id}", retryable=False) from None
        except ValueError as exc:  # a malformed order id
            raise SendError(str(exc), retryable=False) from None
        except AmazonApiError as exc:
            raise SendError(exc.message, retryable=exc.retryable, retry_after_s=exc.retry_after_s) from None
        message_id = resp.headers.get("x-amzn-RequestId") or f"{order_id}:{message_type}:{uuid.uuid4().hex}"
        return SendReceipt(platform_message_id=message_id, sent_at=self._clock.now())

    # ---------------------------------------------------------------- transport

    def _call(self, op: str, method: str, path: str, *, params: Mapping[str, Any] | None = None,
              json: Any = None) -> httpx.Response:
        """One throttled SP-API call (channels.http_calls): GETs wait out a 429 in the operation's bucket
        (bounded by max_wait_s) and retry; any call is resent once with a fresh token after a 403
        Unauthorized; POSTs hand a 429 back (the outbox retries)."""
        def send() -> httpx.Response:
            headers = {"x-amz-access-token": self.tokens.get(), "accept": "application/json"}
            return self._http.request(method, self._base + path, params=params, json=json, headers=headers)

        try:
            return http_calls.call(send, method=method, policy=self._policy, bucket=self.buckets[op],
                                   sleep=self._sleep, renew_auth=self._renew_auth)
        except ApiCallError as exc:
            raise _call_error(op, exc, self._policy.max_attempts) from None

    def _renew_auth(self, resp: httpx.Response) -> bool:
        """SP-API answers a stale LWA token with 403 Unauthorized: drop it so the resend fetches a new one."""
        if resp.status_code == 403 and _error_code(resp) == "Unauthorized":
            self.tokens.invalidate()
            return True
        return False


# -------------------------------------------------------------------- proactive message rules

_HTML = re.compile(r"<\s*/?\s*[a-z][a-z0-9-]*(\s[^<>]*)?/?\s*>|&(?:[a-z]+|#\d+);", re.IGNORECASE)


def check_proactive_text(text: str) -> None:
    """Raise SendError (not retryable) for text Amazon's Messaging API refuses (numbers: tools/policy/amazon.toml)."""
    rules = policy_for("amazon").messaging
    problem = None
    if not text.strip():
        problem = "the message is empty"
    elif len(text) > rules.max_chars:
        problem = f"{len(text)} characters; Amazon allows {rules.max_chars}"
    elif not rules.html_allowed and _HTML.search(text):
        problem = "HTML is not allowed; send plain text"
    elif not rules.email_addresses_allowed and contacts.find_emails(text):
        problem = "email addresses are not allowed"
    elif not rules.links_allowed and any(not contacts.names_the_marketplace(link, "amazon")
                                         for link in contacts.find_links(text)):
        problem = "links are not allowed"
    elif not rules.phone_numbers_allowed and contacts.find_phones(text):
        problem = "phone numbers are not allowed"
    if problem:
        raise SendError(f"refused before sending: {problem}", retryable=False)


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


def _error_code(resp: httpx.Response) -> str | None:
    errors = json_object(resp).get("errors")
    return errors[0].get("code") if isinstance(errors, list) and errors and isinstance(errors[0], dict) else None


def _call_error(op: str, exc: ApiCallError, attempts: int) -> AmazonApiError:
    """The shared call failure in SP-API's words (QuotaExceeded for both our bucket and Amazon's 429)."""
    if exc.kind == "rate_limited":
        return AmazonApiError(f"{op} is rate limited", status=429, api_code="QuotaExceeded", retryable=True,
                              retry_after_s=exc.retry_after_s)
    if exc.kind in ("timeout", "network"):
        return AmazonApiError(f"{op} failed ({exc.cause})", retryable=True)
    if exc.kind == "http" and exc.response is not None:
        if exc.status == 429:
            return AmazonApiError(f"{op} was throttled by Amazon", status=429, api_code="QuotaExceeded",
                                  retryable=True, retry_after_s=exc.retry_after_s)
        return _api_error(op, exc.response)
    return AmazonApiError(f"{op} failed after {attempts} attempts", retryable=True)


def _token_error(exc: ApiCallError) -> AmazonApiError:
    """A failed LWA grant: LWA's own error code ({"error": "invalid_grant"}) when it answered."""
    resp = exc.response
    if resp is None:
        why = exc.cause or exc.message
        return AmazonApiError(f"LWA token request failed ({why})", retryable=exc.retryable,
                              retry_after_s=exc.retry_after_s)
    code = json_object(resp).get("error")
    return AmazonApiError(f"LWA refused the token request ({code or resp.status_code})", status=resp.status_code,
                          api_code=code if isinstance(code, str) else None, retryable=_retryable(resp.status_code),
                          retry_after_s=exc.retry_after_s if exc.retry_after_s is not None else
                          retry_after_s(resp.headers))


def _api_error(op: str, resp: httpx.Response) -> AmazonApiError:
    """SP-API errors: {"errors": [{"code", "message", "details"}]}."""
    errors = json_object(resp).get("errors")
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    code, message = first.get("code"), first.get("message") or resp.reason_phrase
    return AmazonApiError(f"{op}: {resp.status_code} {code or ''} {message}".replace("  ", " "),
                          status=resp.status_code, api_code=code, retryable=_retryable(resp.status_code),
                          retry_after_s=retry_after_s(resp.headers))
