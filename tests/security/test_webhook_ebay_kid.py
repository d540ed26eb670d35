"""Issue 18 item 2: the eBay notification key id (`kid`) comes from an unsigned header.

An unsigned POST with a crafted kid (`../../..`, `?query`) made the server fetch arbitrary paths on the eBay
API host with the seller's bearer token; the 401 told how that fetch went; unknown kids were fetched on every
request; and the fetch ran synchronously under one global lock inside the async endpoint (two requests
stalled `/health` for seconds). Now: a strict kid format, quoted as one path segment, misses cached, the fetch
off the event loop with a timeout and one fetch per kid at a time, and one fixed 401 body for every failure.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi import FastAPI

from channels.ebay import EbayKeyCache
from channels.serving import BackgroundServer
from runtime.webhooks import UNAUTHORIZED
from shopdesk.settings import Settings

from webhook_env import EBAY_KID, EbayKeyEndpoint, Stack, ebay_signature, templates, webhook_stack

BODY = json.dumps(templates()["ebay"]).encode()


def header_with_kid(kid: object) -> dict[str, str]:
    info = {"alg": "ecdsa", "kid": kid, "signature": base64.b64encode(b"0" * 70).decode(), "digest": "SHA1"}
    return {"X-EBAY-SIGNATURE": base64.b64encode(json.dumps(info).encode()).decode()}


@pytest.fixture
def stack(service_settings: Settings) -> Iterator[Stack]:
    with webhook_stack(service_settings) as s:
        yield s


CRAFTED = ["../../../sell/finances/v1/payout", "..", "kid?limit=200&offset=0", "kid#frag", "a/b", "%2e%2e%2f",
           "kid id", "k\u00e9y", "x" * 500, "", "kid\r\nX-Injected: 1"]


@pytest.mark.parametrize("kid", CRAFTED)
def test_a_crafted_kid_never_reaches_the_ebay_api_host(stack: Stack, kid: str) -> None:
    response = stack.post("ebay", BODY, header_with_kid(kid), sign=False)
    assert response.status_code == 401 and response.json() == UNAUTHORIZED
    assert stack.ebay_endpoint.requests == []  # nothing was fetched with the seller's token
    assert stack.service.conversations.audit_log()[0].detail["reason"] == "malformed"


def test_every_verification_failure_answers_the_same_body(stack: Stack) -> None:
    """Unknown kid (404 from eBay), valid kid but forged signature, no header, garbage header, bad kid."""
    forged = stack.post("ebay", BODY, header_with_kid(EBAY_KID), sign=False)
    unknown = stack.post("ebay", BODY, header_with_kid("1f6b2f2e-5c1d-4e3a-9d7b-3c2a1b0e9f8d"), sign=False)
    missing = stack.post("ebay", BODY, sign=False)
    garbage = stack.post("ebay", BODY, {"X-EBAY-SIGNATURE": "not base64!"}, sign=False)
    crafted = stack.post("ebay", BODY, header_with_kid("../x"), sign=False)
    other_platform = stack.post("tiktok", BODY, {"Authorization": "0" * 64}, sign=False)
    answers = [forged, unknown, missing, garbage, crafted, other_platform]
    assert {r.status_code for r in answers} == {401}
    assert {r.content for r in answers} == {forged.content} and forged.json() == UNAUTHORIZED
    reasons = [row.detail["reason"] for row in reversed(stack.service.conversations.audit_log())]
    assert reasons == ["mismatch", "mismatch", "missing", "malformed", "malformed", "mismatch"]  # kept for us
    good = stack.post("ebay", BODY)
    assert good.status_code == 200 and good.json()["accepted"] == 1


def test_an_unknown_kid_is_fetched_once_not_per_request(stack: Stack) -> None:
    unknown = header_with_kid("1f6b2f2e-5c1d-4e3a-9d7b-3c2a1b0e9f8d")
    for _ in range(20):
        assert stack.post("ebay", BODY, unknown, sign=False).status_code == 401
    assert len(stack.ebay_endpoint.requests) == 1


def test_invented_kids_cannot_spend_the_sellers_api_quota(service_settings: Settings) -> None:
    endpoint = EbayKeyEndpoint(key=None)  # type: ignore[arg-type]  (every kid is unknown here)
    keys = EbayKeyCache(httpx.Client(transport=httpx.MockTransport(endpoint)), "https://api.ebay.test",
                        fetch_burst=5, fetch_rate_per_s=0.001)
    with webhook_stack(service_settings, ebay_keys=keys) as stack:
        for n in range(30):
            stack.post("ebay", BODY, header_with_kid(f"{n:08d}-0000-4000-8000-000000000000"), sign=False)
    assert len(endpoint.requests) == 5


class SlowKeyServer:
    """A real eBay key endpoint on loopback that takes `delay_s` to answer and counts requests."""

    def __init__(self, delay_s: float) -> None:
        self.calls, self._lock = 0, threading.Lock()
        app = FastAPI()

        @app.get("/commerce/notification/v1/public_key/{kid}")
        async def public_key(kid: str) -> dict[str, str]:
            with self._lock:
                self.calls += 1
            await asyncio.sleep(delay_s)
            return {"error": "too late"}

        self.server = BackgroundServer(app)


def test_key_fetches_run_off_the_event_loop_with_a_timeout_and_one_fetch_per_kid(
        service_settings: Settings) -> None:
    slow = SlowKeyServer(delay_s=5.0)
    with slow.server, httpx.Client() as http:
        keys = EbayKeyCache(http, slow.server.url, timeout_s=1.0)
        with webhook_stack(service_settings, ebay_keys=keys) as stack, ThreadPoolExecutor(8) as pool:
            kids = [EBAY_KID] * 4 + ["2f6b2f2e-5c1d-4e3a-9d7b-3c2a1b0e9f8d"] * 2
            started = time.monotonic()
            posts = [pool.submit(stack.post, "ebay", BODY, {"X-EBAY-SIGNATURE": ebay_signature(stack.ebay_key, BODY,
                                                                                                 kid)}, sign=False)
                     for kid in kids]
            time.sleep(0.3)
            health_started = time.monotonic()
            health = stack.client.get("/health")
            health_took = time.monotonic() - health_started
            answers = [p.result() for p in posts]
            took = time.monotonic() - started
    assert health.status_code == 200 and health_took < 1.5  # the event loop was free while keys were fetched (5 s)
    assert [a.status_code for a in answers] == [401] * 6 and {a.content for a in answers} == {answers[0].content}
    assert took < 4.0  # the 5 s key server was given up on after the 1 s timeout
    assert slow.calls == 2  # one fetch per kid, however many deliveries wait for it
