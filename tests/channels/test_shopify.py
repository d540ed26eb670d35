"""Shopify: webhook HMAC, topic parsing into context events, the GraphQL client against the simulator."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from testdata import ANCHOR

from channels import shopify
from channels.shopify import ShopifyConfig
from channels.base import ContextEvent, PayloadError, SendError
from channels.serving import BackgroundServer
from channels.signatures import SignatureError
from channels.simulators import shopify as sim
from channels.simulators.log import SimLog
from shopdesk.channel_configs import channel_configs
from shopdesk.settings import Settings
from tools.clock import FixedClock
from tools.errors import NotFoundError
from tools.models import Order, ReturnItem
from tools.sandbox.store import SandboxStore

SECRET = "shpss_webhook_secret"
TOKEN = "shpat_access_token"
CONFIG = channel_configs(Settings(_env_file=None, shopify_webhook_secret=SECRET)).shopify  # type: ignore[call-arg]


def hmac_b64(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def headers(topic: str, webhook_id: str = "wh-1", **more: str) -> dict[str, str]:
    return {"X-Shopify-Topic": topic, "X-Shopify-Webhook-Id": webhook_id, "X-Shopify-Shop-Domain": sim.SHOP,
            "X-Shopify-API-Version": "2026-10", "X-Shopify-Event-Id": "ev-1", **more}


ORDER = {"id": 5500013715708, "name": "#1732", "financial_status": "paid", "fulfillment_status": None,
         "cancelled_at": None, "updated_at": "2026-11-26T08:00:00Z"}


def parse(topic: str, payload: dict[str, Any]) -> list[ContextEvent]:
    return shopify.parse_webhook(json.dumps(payload).encode(), headers(topic))


# ---------------------------------------------------------------- signatures

def test_signature() -> None:
    body = json.dumps(ORDER).encode()
    shopify.verify_webhook(body, {"X-Shopify-Hmac-Sha256": hmac_b64(body)}, CONFIG)
    shopify.verify_webhook(body, {"x-shopify-hmac-sha256": hmac_b64(body)}, CONFIG)

    def reason(h: dict[str, str], config: ShopifyConfig = CONFIG, data: bytes = body) -> str:
        with pytest.raises(SignatureError) as info:
            shopify.verify_webhook(data, h, config)
        return info.value.reason

    assert reason({"X-Shopify-Hmac-Sha256": hmac_b64(body)}, data=body + b"\n") == "mismatch"
    assert reason({"X-Shopify-Hmac-Sha256": hmac_b64(body, "other")}) == "mismatch"
    assert reason({}) == "missing"
    assert reason({"X-Shopify-Hmac-Sha256": "%%%"}) == "malformed"
    assert reason({"X-Shopify-Hmac-Sha256": hmac_b64(body)}, channel_configs(Settings(_env_file=None)).shopify) == "not_configured"  # type: ignore[call-arg]


# ---------------------------------------------------------------- payloads

def test_order_topics() -> None:
    [event] = parse("orders/updated", ORDER)
    assert (event.platform, event.kind, event.topic, event.delivery_id) == ("shopify", "order", "orders/updated", "wh-1")
    assert (event.order_id, event.status) == ("#1732", "PAID/UNFULFILLED")
    assert event.data["order_ref"] == "5500013715708" and event.data["event_id"] == "ev-1"
    [cancelled] = parse("orders/cancelled", ORDER | {"cancelled_at": "2026-11-26T09:00:00Z"})
    assert cancelled.status == "CANCELLED"


def test_fulfillment_refund_and_return_topics() -> None:
    [ful] = parse("fulfillments/create", {"id": 3178, "order_id": 5500013517733, "name": "#1707.1",
                                          "status": "success", "shipment_status": "in_transit",
                                          "tracking_company": "UPS", "tracking_number": "1ZV8W3190391597678"})
    assert (ful.kind, ful.order_id, ful.status) == ("fulfillment", "#1707", "in_transit")
    assert ful.data["tracking_number"] == "1ZV8W3190391597678"
    [refund] = parse("refunds/create", {"id": 288, "order_id": 5500013517733, "note": "damaged",
                                        "transactions": [{"amount": "12.50", "kind": "refund", "status": "success"},
                                                         {"amount": "3.00", "kind": "refund", "status": "failure"}]})
    assert (refund.kind, refund.order_id, refund.data["amount"]) == ("refund", None, "12.50")
    assert refund.data["order_ref"] == "5500013517733"  # refunds/create carries no order name
    [ret] = parse("returns/request", {"id": 254, "name": "#1617-R254", "status": "requested",
                                      "order": {"id": 5500013000001}})
    assert (ret.kind, ret.order_id, ret.status) == ("return", "#1617", "requested")


def test_unknown_topics_and_malformed_bodies() -> None:
    assert parse("products/update", {"id": 1}) == []
    assert shopify.parse_webhook(b"not json", headers("app/uninstalled")) == []
    for body, h in [(b"not json", headers("orders/create")), (b"[]", headers("orders/create")),
                    (json.dumps({"id": 1}).encode(), headers("orders/create")),  # no order name
                    (json.dumps(ORDER).encode(), {"X-Shopify-Topic": "orders/create"}),  # no webhook id
                    (json.dumps(ORDER).encode(), {"X-Shopify-Webhook-Id": "wh"})]:
        with pytest.raises(PayloadError):
            shopify.parse_webhook(body, h)


# ---------------------------------------------------------------- the client against the simulator

class FakeTime:
    """One monotonic clock for the simulator's bucket and the client; the client's sleep advances it."""

    def __init__(self) -> None:
        self.now, self.sleeps = 1000.0, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


def serve(store: SandboxStore, log: SimLog, **bucket: Any) -> BackgroundServer:
    return BackgroundServer(sim.create_app(store, log, access_token=TOKEN, **bucket))


def make_client(server: BackgroundServer, http: httpx.Client, store: SandboxStore | None = None,
                time_: FakeTime | None = None, token: str = TOKEN) -> shopify.ShopifyClient:
    settings = Settings(_env_file=None, shopify_api_url=f"{server.url}/admin/api/2026-10",  # type: ignore[call-arg]
                        shopify_access_token=token)
    resolve = (lambda identity: (c.id if (c := store.find_customer("shopify", identity)) else None)) if store else None
    extra: dict[str, Any] = {"sleep": time_.sleep, "monotonic": time_} if time_ else {}
    return shopify.ShopifyClient(channel_configs(settings).shopify, http, resolve_customer=resolve, **extra)


@pytest.fixture
def env(store: SandboxStore) -> Iterator[tuple[shopify.ShopifyClient, SimLog]]:
    log = SimLog()
    with serve(store, log) as server, httpx.Client(timeout=5) as http:
        yield make_client(server, http, store), log


def same_order(got: Order, expected: Order) -> None:
    assert (got.id, got.platform_ref, got.customer_id) == (expected.id, expected.platform_ref, expected.customer_id)
    assert (got.status, got.platform_status) == (expected.status, expected.platform_status)
    assert (got.subtotal, got.shipping, got.tax, got.total) == (expected.subtotal, expected.shipping, expected.tax,
                                                                 expected.total)
    assert [(i.sku, i.quantity, i.unit_price) for i in got.items] == \
        [(i.sku, i.quantity, i.unit_price) for i in expected.items]
    assert [(s.tracking_number, s.carrier, s.delivered_at) for s in got.shipments] == \
        [(s.tracking_number, s.carrier, s.delivered_at) for s in expected.shipments]
    assert (got.shipping_address, got.ship_by, got.deliver_by) == \
        (expected.shipping_address, expected.ship_by, expected.deliver_by)
    assert got.payment_method.kind == expected.payment_method.kind


def test_no_send() -> None:
    assert not hasattr(shopify.ShopifyClient, "send")  # Shopify customers are answered by email


def test_orders(env: tuple[shopify.ShopifyClient, SimLog], store: SandboxStore) -> None:
    client, _ = env
    for status in ("delivered", "unshipped", "in_transit", "cancelled", "returned"):
        expected = store.find_orders(platform="shopify", status=status, limit=1)[0]
        same_order(client.get_order(expected.id), expected)
    card = next(o for o in store.find_orders(platform="shopify", limit=None) if o.payment_method.last4)
    assert client.get_order(card.id.lstrip("#")).payment_method == card.payment_method
    with pytest.raises(NotFoundError):
        client.get_order("#99999")


def test_returns_and_refund(env: tuple[shopify.ShopifyClient, SimLog], store: SandboxStore) -> None:
    client, log = env
    existing = next(r for r in store.list_records("returns") if r.platform == "shopify")
    found = client.order_returns(existing.order_id)
    assert sim.shopify_return_gid(existing.id) in [r.id for r in found]
    order = next(o for o in store.find_orders(platform="shopify", status="delivered", limit=None)
                 if not store.order_returns(o.id) and o.delivered_at and o.delivered_at > ANCHOR - timedelta(days=10))
    item = order.items[0]
    ret = client.request_return(order.id, [ReturnItem(sku=item.sku, quantity=1)], "defective", note="cracked lid")
    assert ret.status == "REQUESTED" and ret.items == [(item.sku, 1)] and ret.reason == "DEFECTIVE"
    [stored] = store.order_returns(order.id)
    assert stored.reason == "defective" and stored.note == "cracked lid"
    assert client.approve_return(ret.id).status == "OPEN"
    with pytest.raises(SendError) as info:
        client.approve_return(ret.id)
    assert not info.value.retryable and "REQUESTED" in info.value.reason
    refund = client.refund(order.id, Decimal("5.00"), "goodwill", idempotency_key="out-1")
    again = client.refund(order.id, Decimal("5.00"), "goodwill", idempotency_key="out-1")
    assert refund.id == again.id and refund.amount == Decimal("5.00")
    assert [r.amount for r in store.order_refunds(order.id)] == [Decimal("5.00")]
    with pytest.raises(SendError) as info:
        client.refund(order.id, order.total * 2, "too much", idempotency_key="out-2")
    assert not info.value.retryable
    calls = [(r.data["op"], r.data.get("refund_id")) for r in log.records("shopify", "api")]
    assert [op for op, _ in calls] == ["returnRequest", "returnApproveRequest", "refundCreate", "refundCreate"]
    assert calls[2][1] == calls[3][1]  # the replay answered with the first refund


def test_waits_for_the_cost_bucket(store: SandboxStore) -> None:
    clock = FakeTime()
    with serve(store, SimLog(), bucket_size=30, restore_rate=10, monotonic=clock) as server, \
            httpx.Client(timeout=5) as http:
        client = make_client(server, http, time_=clock)
        client.get_order("#1707")  # 24 of 30 points: 6 left
        client.get_order("#1705")  # needs 24: waits (24 - 6) / 10 s instead of being throttled
        assert clock.sleeps == [1.8]
        fresh = make_client(server, http, time_=clock)  # knows nothing of the bucket, which is now empty
        with pytest.raises(SendError) as info:
            fresh.get_order("#1704")
        assert info.value.retryable and info.value.reason.startswith("THROTTLED")
        assert info.value.retry_after_s == pytest.approx(2.4)  # 24 points at 10 per second


@pytest.mark.parametrize(("status", "retryable", "after"), [(429, True, 2.0), (500, True, None),
                                                             (502, True, None), (400, False, None)])
def test_http_error_mapping(status: int, retryable: bool, after: float | None) -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(status, headers={"Retry-After": "2"} if after else {}))
    settings = Settings(_env_file=None, shopify_api_url="https://x.myshopify.com/admin/api/2026-10",  # type: ignore[call-arg]
                        shopify_access_token=TOKEN)
    with pytest.raises(SendError) as info:
        shopify.ShopifyClient(channel_configs(settings).shopify, httpx.Client(transport=transport)).get_order("#1707")
    assert (info.value.retryable, info.value.retry_after_s) == (retryable, after)


def test_bad_token_and_timeouts(store: SandboxStore) -> None:
    with serve(store, SimLog()) as server, httpx.Client(timeout=5) as http, pytest.raises(SendError) as info:
        make_client(server, http, token="wrong").get_order("#1707")
    assert not info.value.retryable and "401" in info.value.reason

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    settings = Settings(_env_file=None, shopify_api_url="https://x.myshopify.com/admin/api/2026-10",  # type: ignore[call-arg]
                        shopify_access_token=TOKEN)
    with pytest.raises(SendError) as info:
        shopify.ShopifyClient(channel_configs(settings).shopify,
                              httpx.Client(transport=httpx.MockTransport(slow))).get_order("#1707")
    assert info.value.retryable


# ---------------------------------------------------------------- the round trip

def test_round_trip(store: SandboxStore, env: tuple[shopify.ShopifyClient, SimLog], clock: FixedClock) -> None:
    """Signed webhooks from the simulator -> verify + parse -> the client reads the order they name."""
    client, log = env
    received: list[ContextEvent] = []
    shopdesk = FastAPI()

    @shopdesk.post("/webhooks/shopify")
    async def hook(request: Request) -> dict[str, int]:
        body = await request.body()
        shopify.verify_webhook(body, request.headers, CONFIG)
        received.extend(shopify.parse_webhook(body, request.headers))
        return {"ok": 1}

    returned = next(r for r in store.list_records("returns") if r.platform == "shopify" and r.refund_id)
    with BackgroundServer(shopdesk) as target, httpx.Client(timeout=5) as http:
        driver = sim.ShopifySimulator(store, log, f"{target.url}/webhooks/shopify", webhook_secret=SECRET, http=http)
        ids = [driver.send_order_event("#1707", topic) for topic in ("orders/fulfilled", "fulfillments/update")]
        ids += [driver.send_order_event(returned.order_id, t) for t in ("returns/close", "refunds/create")]
        bad = sim.ShopifySimulator(store, log, f"{target.url}/webhooks/shopify", webhook_secret="wrong", http=http)
        with pytest.raises(httpx.HTTPStatusError):
            bad.send_order_event("#1707")
    assert [e.delivery_id for e in received] == ids
    fulfilled, delivered, closed, refunded = received
    assert (fulfilled.order_id, fulfilled.status) == ("#1707", "PAID/FULFILLED")
    assert (delivered.kind, delivered.order_id, delivered.status) == ("fulfillment", "#1707", "delivered")
    assert (closed.kind, closed.order_id, closed.status) == ("return", returned.order_id, "closed")
    assert refunded.kind == "refund" and refunded.data["order_ref"] == store.get_order(returned.order_id).platform_ref
    assert client.get_order(str(fulfilled.order_id)).status == "delivered"
    assert all(e.received_at == clock.now() for e in received)
