"""channels.http_calls: the one call/retry policy the platform clients share (no network, no real sleeps)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from channels.http_calls import ApiCallError, CallPolicy, call
from channels.ratelimit import TokenBucket

Answer = httpx.Response | Exception


class Scripted:
    """A MockTransport that answers from a script (the last answer repeats) and records what was sent."""

    def __init__(self, *answers: Answer) -> None:
        self.answers, self.sent = list(answers), []
        self.http = httpx.Client(transport=httpx.MockTransport(self._handle))

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def send(self, method: str = "GET", headers: Callable[[], dict[str, str]] = dict) -> Callable[[], httpx.Response]:
        return lambda: self.http.request(method, "https://api.example/v1/thing", headers=headers())


def timeout() -> httpx.ReadTimeout:
    return httpx.ReadTimeout("slow", request=httpx.Request("GET", "https://api.example/v1/thing"))


OK = httpx.Response(200, json={"ok": True})
READS = CallPolicy(max_attempts=3, max_wait_s=30.0)


def test_a_throttled_read_waits_for_retry_after_then_succeeds() -> None:
    api, slept = Scripted(httpx.Response(429, headers={"Retry-After": "7"}), OK), []
    resp = call(api.send(), method="GET", policy=READS, sleep=slept.append)
    assert resp.json() == {"ok": True} and len(api.sent) == 2 and slept == [7.0]


def test_a_write_is_never_sent_twice() -> None:
    for answer in (httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(503), timeout()):
        api, slept = Scripted(answer, OK), []
        with pytest.raises(ApiCallError) as caught:
            call(api.send("POST"), method="POST", policy=READS, sleep=slept.append)
        assert len(api.sent) == 1 and slept == [] and caught.value.retryable
    assert caught.value.kind == "timeout"


def test_retries_are_bounded_by_attempts_and_by_max_wait() -> None:
    api, slept = Scripted(httpx.Response(429, headers={"Retry-After": "1"})), []
    with pytest.raises(ApiCallError) as caught:
        call(api.send(), method="GET", policy=READS, sleep=slept.append)
    assert len(api.sent) == 3 and slept == [1.0, 1.0]
    assert (caught.value.kind, caught.value.status, caught.value.retry_after_s) == ("http", 429, 1.0)

    api, slept = Scripted(httpx.Response(429, headers={"Retry-After": "60"}), OK), []
    with pytest.raises(ApiCallError) as caught:  # longer than max_wait_s: handed back, not slept through
        call(api.send(), method="GET", policy=READS, sleep=slept.append)
    assert len(api.sent) == 1 and slept == [] and caught.value.retry_after_s == 60.0


def test_errors_are_typed() -> None:
    code = CallPolicy(api_code=lambda r: r.json()["errors"][0]["code"])
    refused = httpx.Response(400, headers={"Retry-After": "5"}, json={"errors": [{"code": "InvalidInput"}]})
    with pytest.raises(ApiCallError) as caught:
        call(Scripted(refused).send(), method="GET", policy=code)
    err = caught.value
    assert (err.kind, err.status, err.api_code, err.retryable, err.retry_after_s) == (
        "http", 400, "InvalidInput", False, None)  # waiting would not change a refusal
    assert err.response is not None and err.response.status_code == 400

    busy = httpx.Response(503, headers={"Retry-After": "5"}, json={"errors": [{"code": "Busy"}]})
    with pytest.raises(ApiCallError) as caught:
        call(Scripted(busy).send(), method="GET", policy=code)  # max_attempts=1: no retry
    assert (caught.value.status, caught.value.api_code, caught.value.retryable, caught.value.retry_after_s) == (
        503, "Busy", True, 5.0)

    down = httpx.ConnectError("refused", request=httpx.Request("GET", "https://api.example"))
    with pytest.raises(ApiCallError) as caught:
        call(Scripted(down, OK).send(), method="GET", policy=READS)
    assert (caught.value.kind, caught.value.cause, caught.value.retryable) == ("network", "ConnectError", True)


def test_timeouts_and_server_errors_on_reads_back_off() -> None:
    api, slept = Scripted(timeout(), httpx.Response(502), OK), []
    assert call(api.send(), method="GET", policy=READS, sleep=slept.append).status_code == 200
    assert slept == [1.0, 2.0] and len(api.sent) == 3  # no hint: 1 s, doubled each attempt

    only_429 = CallPolicy(max_attempts=3, retry_statuses=frozenset({429}), retry_timeouts=False)
    for answer in (timeout(), httpx.Response(502)):
        api = Scripted(answer, OK)
        with pytest.raises(ApiCallError):
            call(api.send(), method="GET", policy=only_429, sleep=lambda s: None)
        assert len(api.sent) == 1


def test_a_platform_hint_stands_in_for_retry_after() -> None:
    policy = CallPolicy(max_attempts=2, wait_hint=lambda r: float(r.headers.get("x-replenish-in", 0)) or None)
    api, slept = Scripted(httpx.Response(429, headers={"x-replenish-in": "4"}), OK), []
    call(api.send(), method="GET", policy=policy, sleep=slept.append)
    assert slept == [4.0]


def test_a_429_holds_the_bucket_so_the_next_attempt_and_other_callers_wait() -> None:
    now, slept = [0.0], []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    bucket = TokenBucket(1.0, 2, clock=lambda: now[0], sleep=sleep)
    policy = CallPolicy(max_attempts=3, default_wait_s=None, rate_header="x-rate")
    api = Scripted(httpx.Response(429, headers={"Retry-After": "7", "x-rate": "0.5"}), OK)
    call(api.send(), method="GET", policy=policy, bucket=bucket, sleep=sleep)
    assert slept == [pytest.approx(7.0)] and bucket.rate == 0.5  # waited in the bucket; adopted the header rate

    api = Scripted(httpx.Response(429, headers={"Retry-After": "60"}), OK)
    with pytest.raises(ApiCallError) as caught:  # the bucket's wait is past max_wait_s: our own limit answers
        call(api.send(), method="GET", policy=policy, bucket=bucket, sleep=sleep)
    assert caught.value.kind == "rate_limited" and caught.value.retry_after_s == pytest.approx(60.0)
    assert len(api.sent) == 1 and bucket.wait_time() == pytest.approx(60.0)


def test_a_stale_token_is_renewed_once_even_for_a_write() -> None:
    tokens, renewals = iter(["old", "new", "newer"]), []

    def renew(resp: httpx.Response) -> bool:
        renewals.append(resp.status_code)
        return resp.status_code == 401

    api = Scripted(httpx.Response(401), OK)
    call(api.send("POST", lambda: {"token": next(tokens)}), method="POST", policy=READS, renew_auth=renew)
    assert [r.headers["token"] for r in api.sent] == ["old", "new"] and renewals == [401]

    api = Scripted(httpx.Response(401))
    with pytest.raises(ApiCallError) as caught:  # refused again with the new token: a real refusal
        call(api.send(), method="GET", policy=READS, renew_auth=renew)
    assert len(api.sent) == 2 and caught.value.status == 401 and not caught.value.retryable

    with pytest.raises(ApiCallError) as caught:  # the renewal used the last attempt
        call(Scripted(httpx.Response(401), OK).send(), method="GET", policy=CallPolicy(), renew_auth=renew)
    assert caught.value.kind == "exhausted" and caught.value.retryable


def test_a_policy_must_allow_one_attempt() -> None:
    with pytest.raises(ValueError):
        CallPolicy(max_attempts=0)
