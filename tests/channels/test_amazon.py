"""Amazon SP-API: throttling, LWA tokens, orders mapped from the simulator, proactive-message rules, 429s."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from channels.amazon import (
    AmazonApiError,
    AmazonClient,
    AmazonConfig,
    LwaTokens,
    check_proactive_text,
)
from channels.base import SendError
from channels.ratelimit import Throttled, TokenBucket, header_rate, retry_after_s
from channels.serving import BackgroundServer
from channels.simulators import amazon as simulator
from channels.simulators.log import SimLog
from shopdesk.channel_configs import channel_configs
from shopdesk.settings import Settings
from tools.clock import FixedClock
from tools.errors import NotFoundError
from tools.models import Order
from tools.sandbox.store import SandboxStore

CLIENT_ID, CLIENT_SECRET, REFRESH = "amzn1.application-oa2-client.test", "lwa-secret", "Atzr|refresh"


class Tick:
    """A settable seconds clock for the simulator (token expiry, rate buckets)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def config_for(url: str) -> AmazonConfig:
    return channel_configs(Settings(  # type: ignore[call-arg]
        _env_file=None, amazon_api_url=url, amazon_lwa_url=f"{url}/auth/o2/token", amazon_client_id=CLIENT_ID,
        amazon_client_secret=CLIENT_SECRET, amazon_refresh_token=REFRESH)).amazon


def fbm_order(store: SandboxStore, status: str) -> Order:
    return next(o for o in store.find_orders(platform="amazon", status=status, limit=None)  # type: ignore[arg-type]
                if o.fulfillment_channel == "FBM")


@pytest.fixture
def sim(store: SandboxStore) -> Iterator[tuple[str, SimLog, Tick]]:
    log, tick = SimLog(), Tick()
    app = simulator.create_app(store, log, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token=REFRESH,
                               clock=tick, rate_limits={"createMessage": (0.001, 3)})
    with BackgroundServer(app) as server:
        yield server.url, log, tick


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as client:
        yield client


@pytest.fixture
def client(sim: tuple[str, SimLog, Tick], http: httpx.Client, store: SandboxStore, clock: FixedClock) -> AmazonClient:
    def customer_id(email: str) -> str | None:
        customer = store.find_customer("amazon", email)
        return customer.id if customer else None

    return AmazonClient(config_for(sim[0]), http, clock, customer_ids=customer_id,
                        product_ids=lambda sku: store.get_variant(sku)[0].id,
                        sleep=lambda s: clock.advance(seconds=s))


# ------------------------------------------------------------------ the token bucket

def test_bucket_allows_the_burst_then_spaces_callers_by_the_rate() -> None:
    now, slept = [0.0], []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    bucket = TokenBucket(0.5, 3, clock=lambda: now[0], sleep=sleep)
    assert [bucket.acquire() for _ in range(3)] == [0, 0, 0]
    assert bucket.acquire() == pytest.approx(2.0) and bucket.acquire() == pytest.approx(2.0)
    with pytest.raises(Throttled) as caught:
        bucket.acquire(max_wait_s=1.0)
    assert caught.value.retry_after_s == pytest.approx(2.0)
    now[0] += 100
    assert bucket.try_acquire() and bucket.wait_time() == 0  # refilled, but never beyond the burst
    bucket.drain(hold_s=10)
    assert bucket.wait_time() == pytest.approx(12.0) and not bucket.try_acquire()
    bucket.set_rate(1.0)
    assert bucket.wait_time() == pytest.approx(6.0)  # the same deficit in tokens refills faster


def test_bucket_reserves_under_a_lock_so_concurrent_callers_queue() -> None:
    bucket = TokenBucket(10, 1, clock=lambda: 0.0, sleep=lambda s: None)
    waits: list[float] = []
    lock = threading.Lock()

    def take() -> None:
        wait = bucket.acquire()
        with lock:
            waits.append(wait)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(round(w, 6) for w in waits) == [round(n * 0.1, 6) for n in range(8)]


def test_retry_after_and_rate_headers() -> None:
    assert retry_after_s({"Retry-After": "3"}) == 3.0
    from datetime import UTC, datetime
    now = datetime(2026, 11, 26, 9, tzinfo=UTC)
    assert retry_after_s({"retry-after": "Thu, 26 Nov 2026 09:00:05 GMT"}, now=now) == 5.0
    assert retry_after_s({}) is None and retry_after_s({"Retry-After": "soon"}) is None
    assert header_rate({"x-amzn-RateLimit-Limit": "0.5"}) == 0.5
    assert header_rate({"x-amzn-ratelimit-limit": "zero"}) is None and header_rate({}) is None


# ------------------------------------------------------------------ LWA tokens

def lwa_transport(calls: list[dict[str, str]], *, status: int = 200, body: dict[str, Any] | None = None
                  ) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        form = dict(httpx.QueryParams(request.content.decode()))
        calls.append(form)
        return httpx.Response(status, json=body or {"access_token": f"Atza|{len(calls)}", "token_type": "bearer",
                                                    "expires_in": 3600})
    return httpx.MockTransport(handler)


def test_lwa_token_is_cached_until_a_minute_before_expiry(clock: FixedClock) -> None:
    calls: list[dict[str, str]] = []
    tokens = LwaTokens(httpx.Client(transport=lwa_transport(calls)), "https://lwa.test/auth/o2/token",
                       CLIENT_ID, CLIENT_SECRET, REFRESH, clock)
    assert tokens.get() == "Atza|1" and tokens.get() == "Atza|1"
    assert calls == [{"grant_type": "refresh_token", "refresh_token": REFRESH, "client_id": CLIENT_ID,
                      "client_secret": CLIENT_SECRET}]
    clock.advance(seconds=3600 - 61)
    assert tokens.get() == "Atza|1"
    clock.advance(seconds=1)
    assert tokens.get() == "Atza|2" and len(calls) == 2
    tokens.invalidate()
    assert tokens.get() == "Atza|3"


def test_lwa_refreshes_once_for_many_threads(clock: FixedClock) -> None:
    calls: list[dict[str, str]] = []
    tokens = LwaTokens(httpx.Client(transport=lwa_transport(calls)), "https://lwa.test/t", CLIENT_ID,
                       CLIENT_SECRET, REFRESH, clock)
    seen: list[str] = []
    threads = [threading.Thread(target=lambda: seen.append(tokens.get())) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and set(seen) == {"Atza|1"}


@pytest.mark.parametrize(("status", "retryable"), [(400, False), (401, False), (503, True)])
def test_lwa_refusals_are_typed(clock: FixedClock, status: int, retryable: bool) -> None:
    transport = lwa_transport([], status=status, body={"error": "invalid_grant", "error_description": "bad"})
    tokens = LwaTokens(httpx.Client(transport=transport), "https://lwa.test/t", CLIENT_ID, CLIENT_SECRET, REFRESH,
                       clock)
    with pytest.raises(AmazonApiError) as caught:
        tokens.get()
    assert caught.value.retryable is retryable and caught.value.status == status


def test_lwa_grant_is_tried_again_after_a_server_error_or_timeout_but_not_after_a_refusal(clock: FixedClock) -> None:
    """The grant writes nothing, so the shared call policy resends it (http_calls.TOKEN_GRANT_POLICY)."""
    answers: list[int | str] = [503, "timeout", 200]
    sent: list[int] = []
    waits: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(1)
        answer = answers.pop(0)
        if answer == "timeout":
            raise httpx.ReadTimeout("slow", request=request)
        if answer == 200:
            return httpx.Response(200, json={"access_token": "Atza|ok", "expires_in": 3600})
        return httpx.Response(int(answer), json={"error": "temporarily_unavailable"})

    tokens = LwaTokens(httpx.Client(transport=httpx.MockTransport(handler)), "https://lwa.test/t", CLIENT_ID,
                       CLIENT_SECRET, REFRESH, clock, sleep=waits.append)
    assert tokens.get() == "Atza|ok"
    assert len(sent) == 3 and waits == [0.5, 1.0]

    refused: list[dict[str, str]] = []
    tokens = LwaTokens(httpx.Client(transport=lwa_transport(refused, status=400, body={"error": "invalid_grant"})),
                       "https://lwa.test/t", CLIENT_ID, CLIENT_SECRET, REFRESH, clock, sleep=waits.append)
    with pytest.raises(AmazonApiError) as caught:
        tokens.get()
    assert len(refused) == 1 and caught.value.api_code == "invalid_grant" and not caught.value.retryable


# ------------------------------------------------------------------ orders against the simulator

def test_fbm_order_maps_back_to_the_store_record(client: AmazonClient, store: SandboxStore) -> None:
    expected = fbm_order(store, "delivered")
    order = client.get_order(expected.id)
    assert order.model_dump(exclude={"shipments", "status", "cancelled_at"}) == expected.model_dump(
        exclude={"shipments", "status", "cancelled_at"})
    assert order.status == "delivered" and order.platform_status == "SHIPPED"
    assert [(s.tracking_number, s.carrier, s.status, s.shipped_at, s.delivered_at, s.line_numbers)
            for s in order.shipments] == [(s.tracking_number, s.carrier, s.status, s.shipped_at, s.delivered_at,
                                           s.line_numbers) for s in expected.shipments]


def test_fba_orders_come_without_buyer_email_or_packages(client: AmazonClient, store: SandboxStore) -> None:
    expected = next(o for o in store.find_orders(platform="amazon", status="delivered", limit=None)
                    if o.fulfillment_channel == "FBA")
    order = client.get_order(expected.id)
    assert order.fulfillment_channel == "FBA" and order.shipments == [] and order.customer_id == ""
    assert order.status == "shipped" and order.total == expected.total and order.items == expected.items


def test_unknown_and_malformed_order_ids(client: AmazonClient) -> None:
    with pytest.raises(NotFoundError):
        client.get_order("111-0000000-0000000")
    with pytest.raises(ValueError):
        client.get_order("#1001")


def test_search_orders_follows_pages_and_filters_on_the_buyer(client: AmazonClient, store: SandboxStore) -> None:
    mine = fbm_order(store, "delivered")
    relay = next(i.value for i in store.get_customer(mine.customer_id).identities if i.platform == "amazon")
    since, until = mine.created_at - timedelta(days=2), mine.created_at + timedelta(days=2)
    in_window = [o for o in store.find_orders(platform="amazon", limit=None) if since <= o.created_at <= until]
    assert len(in_window) > 20  # more than one page
    found = client.search_orders(created_after=since, created_before=until, max_orders=1000, page_size=20)
    assert sorted(o.id for o in found) == sorted(o.id for o in in_window)
    theirs = client.search_orders(created_after=since, created_before=until, buyer_email=relay.upper())
    assert mine.id in {o.id for o in theirs} and {o.customer_id for o in theirs} == {mine.customer_id}
    assert client.search_orders(created_after=since, created_before=until, max_orders=3) == found[:3]


# ------------------------------------------------------------------ proactive messages

def test_proactive_message_reaches_the_buyer(client: AmazonClient, store: SandboxStore,
                                             sim: tuple[str, SimLog, Tick]) -> None:
    order = fbm_order(store, "unshipped")
    assert client.allowed_message_types(order.id) == ["confirmOrderDetails", "confirmDeliveryDetails",
                                                      "unexpectedProblem"]
    text = f"Hello, your order {order.id} ships by {order.ship_by:%B %d}. Reply here if the address needs a fix."
    receipt = client.send_proactive(order.id, "confirmDeliveryDetails", text)
    relay = next(i.value for i in store.get_customer(order.customer_id).identities if i.platform == "amazon")
    [reply] = sim[1].replies("amazon")
    assert reply.data == {"text": text, "to": relay, "order_id": order.id, "message_type": "confirmDeliveryDetails"}
    assert receipt.platform_message_id


@pytest.mark.parametrize(("text", "why"), [
    ("x" * 2001, "2001 characters"),
    ("Your order <b>shipped</b>.", "HTML"),
    ("Write to help@northfork.example.com any time.", "email"),
    ("Track it at https://tracking.example/123 today.", "links"),
    ("See northfork.shop/help for care tips.", "links"),
    ("Call us at (541) 555-0123.", "phone"),
    ("   ", "empty"),
])
def test_text_amazon_would_reject_is_refused_before_any_call(
        client: AmazonClient, store: SandboxStore, sim: tuple[str, SimLog, Tick], text: str, why: str) -> None:
    order = fbm_order(store, "unshipped")
    with pytest.raises(SendError) as caught:
        client.send_proactive(order.id, "confirmDeliveryDetails", text)
    assert not caught.value.retryable and why in caught.value.reason
    assert sim[1].records("amazon") == []  # not even a token request


def test_plain_text_with_ids_prices_and_amazon_com_passes() -> None:
    check_proactive_text("Order 113-2200220-4940434 ($49.21) ships from 97702 on 11/27; see Your Orders on Amazon.com.")


def test_message_types_refused_by_type(client: AmazonClient, store: SandboxStore,
                                       sim: tuple[str, SimLog, Tick]) -> None:
    cancelled = fbm_order(store, "cancelled")
    with pytest.raises(SendError, match="not allowed") as caught:
        client.send_proactive(cancelled.id, "unexpectedProblem", "We are sorry about the cancellation.")
    assert not caught.value.retryable
    with pytest.raises(SendError, match="attachments"):
        client.send_proactive(cancelled.id, "invoice", "Your invoice.")
    with pytest.raises(SendError, match="unknown"):
        client.send_proactive(cancelled.id, "pleaseReview", "Leave us a review.")
    assert sim[1].replies("amazon") == []


# ------------------------------------------------------------------ throttling and errors

def test_simulator_429_on_a_send_is_retryable_with_a_delay(client: AmazonClient, store: SandboxStore,
                                                           sim: tuple[str, SimLog, Tick]) -> None:
    order = fbm_order(store, "in_transit")
    for n in range(3):  # the simulator's createMessage bucket holds 3
        client.send_proactive(order.id, "unexpectedProblem", f"Update {n}: the carrier reports a delay.")
    with pytest.raises(SendError) as caught:
        client.send_proactive(order.id, "unexpectedProblem", "Update 3: still delayed.")
    assert caught.value.retryable and caught.value.retry_after_s == pytest.approx(1000)  # 1 / 0.001 rps
    assert len(sim[1].replies("amazon")) == 3
    assert client.buckets["createMessage"].rate == pytest.approx(0.001)  # adopted x-amzn-RateLimit-Limit


def test_an_expired_token_is_refreshed_once(client: AmazonClient, store: SandboxStore,
                                            sim: tuple[str, SimLog, Tick]) -> None:
    order = fbm_order(store, "delivered")
    client.get_order(order.id)
    sim[2].now += 4000  # the simulator expired the token; the client's clock did not move
    assert client.get_order(order.id).id == order.id
    assert [r.data["op"] for r in sim[1].records("amazon", "api")] == ["lwaToken", "getOrder", "lwaToken", "getOrder"]


def scripted(responses: list[httpx.Response], seen: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/o2/token":
            return httpx.Response(200, json={"access_token": "Atza|t", "expires_in": 3600})
        seen.append(request)
        return responses.pop(0)
    return httpx.MockTransport(handler)


def mocked(responses: list[httpx.Response], clock: FixedClock, slept: list[float],
           **kwargs: Any) -> tuple[AmazonClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    sleep: Callable[[float], None] = lambda s: (slept.append(s), clock.advance(seconds=s))
    client = AmazonClient(config_for("https://sp.test"), httpx.Client(transport=scripted(responses, seen)), clock,
                          sleep=sleep, **kwargs)
    return client, seen


def test_a_throttled_read_waits_for_retry_after_then_succeeds(store: SandboxStore, clock: FixedClock) -> None:
    order = fbm_order(store, "delivered")
    body = {"order": simulator.sp_order(store, order, {"BUYER", "RECIPIENT", "PROCEEDS", "FULFILLMENT", "PACKAGES"})}
    slept: list[float] = []
    client, seen = mocked([httpx.Response(429, headers={"Retry-After": "7"}, json={"errors": [
        {"code": "QuotaExceeded", "message": "You exceeded your quota."}]}), httpx.Response(200, json=body)],
        clock, slept)
    assert client.get_order(order.id).total == order.total
    assert len(seen) == 2 and seen[0].headers["x-amz-access-token"] == "Atza|t"
    assert slept == [pytest.approx(7.0)]


def test_the_client_bucket_waits_and_gives_up_past_max_wait(clock: FixedClock) -> None:
    slept: list[float] = []
    pages = [httpx.Response(200, json={"orders": []}) for _ in range(3)]
    client, _ = mocked(pages, clock, slept, rate_limits={"searchOrders": (0.0056, 2)})
    client.search_orders(created_after=clock.now())
    client.search_orders(created_after=clock.now())
    with pytest.raises(AmazonApiError) as caught:
        client.search_orders(created_after=clock.now())
    assert caught.value.retryable and caught.value.retry_after_s == pytest.approx(1 / 0.0056)
    assert slept == []


@pytest.mark.parametrize(("status", "retryable"), [(500, True), (503, True), (400, False), (403, False)])
def test_error_mapping(store: SandboxStore, clock: FixedClock, status: int, retryable: bool) -> None:
    errors = {"errors": [{"code": "InvalidInput" if status == 400 else "InternalFailure", "message": "nope",
                          "details": ""}]}
    client, _ = mocked([httpx.Response(status, json=errors)], clock, [])
    with pytest.raises(AmazonApiError) as caught:
        client.get_order("111-8904814-7433062")
    assert caught.value.status == status and caught.value.retryable is retryable


def test_send_errors_carry_retryability(store: SandboxStore, clock: FixedClock) -> None:
    actions = {"_links": {"actions": [{"href": "/x", "name": "unexpectedProblem"}]}}
    client, _ = mocked([httpx.Response(200, json=actions), httpx.Response(500, json={"errors": []})], clock, [])
    with pytest.raises(SendError) as caught:
        client.send_proactive("111-8904814-7433062", "unexpectedProblem", "A short, plain update.")
    assert caught.value.retryable
    client, _ = mocked([httpx.Response(200, json=actions), httpx.Response(400, json={"errors": [
        {"code": "InvalidInput", "message": "bad text"}]})], clock, [])
    with pytest.raises(SendError) as caught:
        client.send_proactive("111-8904814-7433062", "unexpectedProblem", "A short, plain update.")
    assert not caught.value.retryable and "InvalidInput" in caught.value.reason


def test_missing_credentials_fail_fast() -> None:
    with pytest.raises(ValueError, match="CLIENT_ID"):
        AmazonClient(channel_configs(Settings(_env_file=None)).amazon, httpx.Client())  # type: ignore[call-arg]


def test_proceeds_money_is_exact(client: AmazonClient, store: SandboxStore) -> None:
    order = max(store.find_orders(platform="amazon", limit=None), key=lambda o: len(o.items))
    mapped = client.get_order(order.id)
    assert (mapped.subtotal, mapped.tax, mapped.total) == (order.subtotal, order.tax, order.total)
    assert sum((i.amount for i in mapped.items), Decimal(0)) == order.subtotal
