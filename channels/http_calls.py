"""One marketplace API call under the policy every platform client shares.

The six clients (Amazon, Walmart, eBay, TikTok, Shopify, Meta) differ in auth, URLs and error bodies, not
in how a call should behave: pace it with a token bucket, answer a 429 by waiting what the server asked
(Retry-After, or a platform hint such as Walmart's replenish time) when that fits in `max_wait_s`, retry
only reads (a write must never be sent twice), renew a stale token once, and fail with a typed error
that says whether and when to try again. `call` does exactly that; each client passes a `send` function
that builds the request (so every attempt gets fresh headers and signatures) and maps `ApiCallError`
into its own error class and wording.

No retry library: the loop is short, and what it must honour (GET-only retries, waits from response
headers, a bucket shared with other callers, one token renewal counted as an attempt) would all be
custom callbacks in one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import httpx

from channels.ratelimit import Throttled, TokenBucket, header_rate, retry_after_s

FailureKind = Literal["rate_limited", "timeout", "network", "http", "exhausted"]
RETRYABLE_5XX = frozenset({500, 502, 503, 504})


def retry_after_hint(resp: httpx.Response) -> float | None:
    """The default wait hint: the response's Retry-After, in seconds."""
    return retry_after_s(resp.headers)


def no_api_code(resp: httpx.Response) -> str | int | None:
    """The default error-body mapping: the platform's code is unknown."""
    del resp
    return None


def retryable_status(status: int) -> bool:
    """Throttling and server errors pass; every other refusal will be refused again."""
    return status == 429 or status >= 500


@dataclass(frozen=True)
class CallPolicy:
    """How one client's calls wait and retry.

    `max_attempts` counts every request sent (1 = never retry). A GET is retried on `retry_statuses`
    (and on timeouts with `retry_timeouts`); any other method gets exactly one try, plus one resend
    after `renew_auth` dropped a stale token (the request was refused, so nothing was written).
    A wait comes from `wait_hint`, else `default_wait_s * backoff ** (attempt - 1)`; with a bucket it
    is at least the bucket's pace. A wait longer than `max_wait_s` is handed back to the caller."""

    max_attempts: int = 1
    max_wait_s: float = 30.0
    retry_statuses: frozenset[int] = frozenset({429}) | RETRYABLE_5XX
    retry_timeouts: bool = True
    default_wait_s: float | None = 1.0
    backoff: float = 2.0
    rate_header: str | None = None  # a requests-per-second header the bucket adopts (x-amzn-RateLimit-Limit)
    wait_hint: Callable[[httpx.Response], float | None] = field(default=retry_after_hint)
    api_code: Callable[[httpx.Response], str | int | None] = field(default=no_api_code)

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.max_wait_s < 0 or self.backoff < 1:
            raise ValueError("max_attempts >= 1, max_wait_s >= 0 and backoff >= 1 are required")

    def fallback_wait(self, attempt: int) -> float | None:
        """The wait when the server named none (None: no opinion, the bucket's pace decides)."""
        return None if self.default_wait_s is None else self.default_wait_s * self.backoff ** (attempt - 1)


# An OAuth token grant writes nothing, so it may be resent on a throttle, a server error or a timeout: a
# few quick tries before the caller's own call fails for want of a token.
TOKEN_GRANT_POLICY = CallPolicy(max_attempts=3, max_wait_s=10.0, default_wait_s=0.5, backoff=2.0)


class ApiCallError(Exception):
    """A call failed. `kind`: rate_limited (our own bucket would wait past max_wait_s), timeout, network,
    http (an error status; `response` is kept so the platform can read its body), exhausted (every attempt
    was used). `retry_after_s` is the wait the policy computed for a 429, else the server's hint."""

    def __init__(self, message: str, *, kind: FailureKind, retryable: bool, status: int | None = None,
                 api_code: str | int | None = None, retry_after_s: float | None = None,
                 response: httpx.Response | None = None, cause: str | None = None) -> None:
        super().__init__(message)
        self.message, self.kind, self.retryable = message, kind, retryable
        self.status, self.api_code, self.retry_after_s = status, api_code, retry_after_s
        self.response, self.cause = response, cause


def call(send: Callable[[], httpx.Response], *, method: str, policy: CallPolicy,
         bucket: TokenBucket | None = None, sleep: Callable[[float], None] = time.sleep,
         renew_auth: Callable[[httpx.Response], bool] | None = None,
         idempotent: bool | None = None) -> httpx.Response:
    """Send one API request under `policy`; returns the 2xx response or raises `ApiCallError`.

    `renew_auth(resp)` drops the token when `resp` says it went stale and returns True; the call is then
    sent once more (an attempt like any other). `idempotent=True` retries a POST like a read: only for a
    request that writes nothing, such as an OAuth token grant (default: only a GET is)."""
    is_read = method.upper() == "GET" if idempotent is None else idempotent
    renewed = False
    for attempt in range(1, policy.max_attempts + 1):
        last = attempt == policy.max_attempts
        _take_token(bucket, policy.max_wait_s)
        try:
            resp = send()
        except httpx.HTTPError as exc:
            kind: FailureKind = "timeout" if isinstance(exc, httpx.TimeoutException) else "network"
            if is_read and not last and kind == "timeout" and policy.retry_timeouts and _paused(
                    policy.fallback_wait(attempt), policy, sleep):
                continue
            raise ApiCallError(f"{kind} ({type(exc).__name__})", kind=kind, retryable=True,
                               cause=type(exc).__name__) from None
        if bucket is not None and policy.rate_header and (rate := header_rate(resp.headers, policy.rate_header)):
            bucket.set_rate(rate)
        status = resp.status_code
        if status == 429 or (status in policy.retry_statuses and is_read):
            wait = _wait_for(resp, attempt, policy, bucket)
            if is_read and not last and status in policy.retry_statuses:
                if bucket is not None and status == 429:
                    continue  # the drained bucket makes the next attempt wait (or hand the wait back)
                if _paused(wait, policy, sleep):
                    continue
            raise _http_error(resp, policy, retry_after_s=wait if status == 429 else policy.wait_hint(resp))
        if renew_auth is not None and not renewed and not resp.is_success and renew_auth(resp):
            renewed = True
            continue
        if resp.is_success:
            return resp
        raise _http_error(resp, policy, retry_after_s=policy.wait_hint(resp))
    raise ApiCallError(f"failed after {policy.max_attempts} attempts", kind="exhausted", retryable=True)


def _take_token(bucket: TokenBucket | None, max_wait_s: float) -> None:
    """Wait for our own budget first; a wait past max_wait_s goes back to the caller instead."""
    if bucket is None:
        return
    try:
        bucket.acquire(max_wait_s=max_wait_s)
    except Throttled as exc:
        raise ApiCallError("rate limited", kind="rate_limited", retryable=True,
                           retry_after_s=exc.retry_after_s) from None


def _wait_for(resp: httpx.Response, attempt: int, policy: CallPolicy, bucket: TokenBucket | None) -> float | None:
    """Seconds before the next try: the server's hint, else the policy's fallback; never faster than
    the bucket's pace. A 429 holds the bucket that long, so every caller of the operation backs off."""
    wait = policy.wait_hint(resp) or policy.fallback_wait(attempt)
    if bucket is None:
        return wait
    wait = max(wait or 0.0, 1 / bucket.rate)
    if resp.status_code == 429:
        bucket.drain(hold_s=wait - 1 / bucket.rate)
    return wait


def _paused(wait: float | None, policy: CallPolicy, sleep: Callable[[float], None]) -> bool:
    """Sleep `wait` if it fits in max_wait_s; False (do not retry) when it does not."""
    wait = wait or 0.0
    if wait > policy.max_wait_s:
        return False
    if wait > 0:
        sleep(wait)
    return True


def _http_error(resp: httpx.Response, policy: CallPolicy, *, retry_after_s: float | None) -> ApiCallError:
    """A refusal that will be refused again carries no wait: waiting would not change the answer."""
    retryable = retryable_status(resp.status_code)
    return ApiCallError(f"HTTP {resp.status_code}", kind="http", status=resp.status_code,
                        api_code=policy.api_code(resp), retryable=retryable,
                        retry_after_s=retry_after_s if retryable else None, response=resp)
