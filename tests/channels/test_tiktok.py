"""TikTok Shop: webhook signature and parsing, the signed API client against the simulator, a round trip.

Signatures in these tests are computed inline with hmac, not with the code under test.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from channels import tiktok
from channels.base import ChannelMessage, ContextEvent, PayloadError, SendError
from channels.serving import BackgroundServer
from channels.signatures import SignatureError
from channels.simulators.log import SimLog
from channels.simulators.tiktok import TikTokSimulator, conversation_id_for, create_app
from channels.tiktok import TikTokApiError, TikTokClient, TikTokConfig
from shopdesk.channel_configs import channel_configs
from shopdesk.settings import Settings
from tools.errors import NotFoundError
from tools.models import Customer
from tools.sandbox.store import SandboxStore

KEY, SECRET, TOKEN, CIPHER = "6ab1ckey", "tt-secret", "tt-access-token", "GCP_test_cipher"
NOW = datetime(2026, 11, 26, 9, tzinfo=UTC)


def tiktok_config(url: str = "http://127.0.0.1:9", **over: Any) -> TikTokConfig:
    values = {"tiktok_app_key": KEY, "tiktok_app_secret": SECRET, "tiktok_access_token": TOKEN,
              "tiktok_shop_cipher": CIPHER, "tiktok_api_url": url, **over}
    return channel_configs(Settings(_env_file=None, **values)).tiktok  # type: ignore[call-arg]


def sign(body: bytes, key: str = KEY, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), key.encode() + body, hashlib.sha256).hexdigest()


def envelope(event_type: int, data: dict[str, Any], notification_id: str = "7460000000000000001") -> bytes:
    return json.dumps({"type": event_type, "tts_notification_id": notification_id, "shop_id": "7495580000000000001",
                       "timestamp": 1795669200, "data": data}).encode()


def chat(role: str = "BUYER", kind: str = "TEXT", content: str | None = None, **over: Any) -> bytes:
    data = {"conversation_id": "7604381187123791922", "message_id": "7450000000000000042", "type": kind,
            "content": content if content is not None else json.dumps({"content": "Where is 579184142429166477?"}),
            "create_time": 1795669200, "is_visible": True,
            "sender": {"im_user_id": "7311440242646288975", "role": role}, **over}
    return envelope(14, data)


def tiktok_customer(store: SandboxStore) -> Customer:
    return next(c for c in store.list_customers() if c.identity_on("tiktok"))


def im_user_id(customer: Customer) -> str:
    return next(i.value for i in customer.identity_on("tiktok") if i.kind == "im_user_id")


# ---------------------------------------------------------------- webhook signature

def test_webhook_signature_valid_invalid_missing_malformed() -> None:
    body = chat()
    tiktok.verify_webhook(body, {"Authorization": sign(body)}, tiktok_config())
    tiktok.verify_webhook(body, {"authorization": sign(body).upper()}, tiktok_config())  # header case, hex case
    cases: list[tuple[Mapping[str, str], bytes, TikTokConfig, str]] = [
        ({"Authorization": sign(body)}, body + b" ", tiktok_config(), "mismatch"),  # body re-serialised
        ({"Authorization": sign(body, secret="other")}, body, tiktok_config(), "mismatch"),
        ({"Authorization": sign(body, key="other-key")}, body, tiktok_config(), "mismatch"),
        ({}, body, tiktok_config(), "missing"),
        ({"Authorization": "sha256=abc"}, body, tiktok_config(), "malformed"),
        ({"Authorization": sign(body)}, body, tiktok_config(tiktok_app_secret=None), "not_configured"),
    ]
    for headers, signed_body, config, reason in cases:
        with pytest.raises(SignatureError) as info:
            tiktok.verify_webhook(signed_body, headers, config)
        assert info.value.reason == reason


# ---------------------------------------------------------------- parsing

def test_buyer_text_message_becomes_a_channel_message() -> None:
    [msg] = tiktok.parse_webhook(chat(), {})
    assert isinstance(msg, ChannelMessage)
    assert msg.platform == "tiktok" and msg.delivery_id == "7450000000000000042"
    assert msg.conversation_key == "tiktok:7604381187123791922"
    assert msg.customer_identity == "7311440242646288975" and msg.text == "Where is 579184142429166477?"
    assert msg.order_hint == "579184142429166477"
    assert msg.reply_route == {"conversation_id": "7604381187123791922"}
    assert msg.received_at == datetime.fromtimestamp(1795669200, UTC)


@pytest.mark.parametrize("role", ["SHOP", "SYSTEM", "ROBOT"])
def test_messages_not_from_the_buyer_are_ignored(role: str) -> None:
    assert tiktok.parse_webhook(chat(role=role), {}) == []


def test_other_chat_messages() -> None:
    [card] = tiktok.parse_webhook(chat(kind="ORDER_CARD", content=json.dumps({"order_id": "579184142429166477"})), {})
    assert isinstance(card, ContextEvent) and card.kind == "message_meta" and card.order_id == "579184142429166477"
    assert card.data["conversation_id"] == "7604381187123791922"
    # a buyer's image is not ignored (issue 20): it continues the conversation (tests/channels/test_attachments.py)
    [image] = tiktok.parse_webhook(chat(kind="IMAGE", content=json.dumps({"url": "https://x/y.png"})), {})
    assert image.text == "" and [(a.kind, a.url) for a in image.attachments] == [("image", "https://x/y.png")]
    assert tiktok.parse_webhook(chat(kind="EMOTICONS", content=json.dumps({"url": "https://x/e.png"})), {}) == []
    assert tiktok.parse_webhook(chat(content=json.dumps({"content": "   "})), {}) == []
    assert tiktok.parse_webhook(chat(is_visible=False), {}) == []
    assert tiktok.parse_webhook(envelope(13, {"conversation_id": "1", "create_time": 1795669200}), {}) == []
    assert tiktok.parse_webhook(envelope(99, {}), {}) == []


def test_order_and_return_events_become_context_events() -> None:
    [order] = tiktok.parse_webhook(envelope(1, {"order_id": "579184142429166477", "order_status": "IN_TRANSIT",
                                                "is_on_hold_order": False, "update_time": 1795669300}), {})
    assert (order.kind, order.topic, order.order_id, order.status) == ("order", "ORDER_STATUS_CHANGE",
                                                                       "579184142429166477", "IN_TRANSIT")
    assert order.delivery_id == "7460000000000000001" and order.data["is_on_hold_order"] == "false"
    assert order.received_at == datetime.fromtimestamp(1795669300, UTC)
    [ret] = tiktok.parse_webhook(envelope(12, {"order_id": "579184142429166477", "return_id": "R000218",
                                               "return_status": "BUYER_SHIPPED_ITEM", "update_time": 1795669300}), {})
    assert (ret.kind, ret.topic, ret.status, ret.data["return_id"]) == (
        "return", "RETURN_STATUS_CHANGE", "BUYER_SHIPPED_ITEM", "R000218")
    [rev] = tiktok.parse_webhook(envelope(2, {"order_id": "579184142429166477", "reverse_order_id": "42",
                                              "reverse_event_type": "ORDER_REQUEST_CANCEL", "update_time": 1}), {})
    assert (rev.kind, rev.topic, rev.status) == ("return", "REVERSE_STATUS_UPDATE", "ORDER_REQUEST_CANCEL")


@pytest.mark.parametrize("body", [
    b"not json", b"[]", json.dumps({"type": 14, "timestamp": 1, "data": {}}).encode(),  # no notification id
    envelope(14, {"conversation_id": "1", "message_id": "2", "type": "TEXT", "content": "{}", "create_time": 1}),
    chat(content="not json"), chat(content=json.dumps({"text": "no content key"})), chat(content="[1]"),
    envelope(1, {"order_status": "IN_TRANSIT"}), envelope(12, {"return_status": "X"}),
])
def test_malformed_bodies_raise_payload_error(body: bytes) -> None:
    with pytest.raises(PayloadError):
        tiktok.parse_webhook(body, {})


def test_millisecond_times_are_read_as_such() -> None:
    assert tiktok.from_unix(1795669200123) == tiktok.from_unix(1795669200).replace(microsecond=123000)


# ---------------------------------------------------------------- the client against the simulator

@pytest.fixture
def sim(store: SandboxStore) -> Iterator[tuple[TikTokClient, SimLog, httpx.Client]]:
    log = SimLog()
    app = create_app(store, log, app_key=KEY, app_secret=SECRET, access_token=TOKEN, shop_cipher=CIPHER)
    with BackgroundServer(app) as server, httpx.Client(timeout=5) as http:
        yield TikTokClient(tiktok_config(server.url), http), log, http


def test_send_reply_reaches_the_buyers_conversation(sim: tuple[TikTokClient, SimLog, httpx.Client],
                                                    store: SandboxStore) -> None:
    client, log, _ = sim
    customer = tiktok_customer(store)
    route = {"conversation_id": conversation_id_for(im_user_id(customer))}
    receipt = client.send("Your order ships Monday.", route, idempotency_key="out-1", human=False, now=NOW)
    assert receipt.sent_at == NOW and receipt.platform_message_id
    [reply] = log.replies("tiktok")
    assert reply.data["text"] == "Your order ships Monday." and reply.data["to"] == im_user_id(customer)
    assert reply.data["message_id"] == receipt.platform_message_id


def test_send_limits_and_rejections(sim: tuple[TikTokClient, SimLog, httpx.Client], store: SandboxStore) -> None:
    client, log, http = sim
    route = {"conversation_id": conversation_id_for(im_user_id(tiktok_customer(store)))}
    for text, bad_route in (("x" * 2001, route), ("  ", route), ("hi", {}), ("hi", {"conversation_id": "../x"})):
        with pytest.raises(SendError) as info:
            client.send(text, bad_route, idempotency_key="k", human=False, now=NOW)
        assert not info.value.retryable
    client.send("x" * 2000, route, idempotency_key="k", human=False, now=NOW)  # the limit itself is fine
    url = str(client._config.api_url)
    for bad in (tiktok_config(url, tiktok_access_token="wrong"), tiktok_config(url, tiktok_app_secret="wrong"),
                tiktok_config(url, tiktok_shop_cipher="other")):
        with pytest.raises(SendError) as info:
            TikTokClient(bad, http).send("hi", route, idempotency_key="k", human=False, now=NOW)
        assert not info.value.retryable and "10" in info.value.reason  # TikTok's error code is named
    with pytest.raises(SendError, match="not configured"):
        TikTokClient(tiktok_config(url, tiktok_access_token=None), http).send("hi", route, idempotency_key="k",
                                                                          human=False, now=NOW)
    with pytest.raises(SendError):
        client.send("hi", {"conversation_id": "7600000000000000000"}, idempotency_key="k", human=False, now=NOW)
    assert len(log.replies("tiktok")) == 1


def test_get_order_maps_to_the_domain_order(sim: tuple[TikTokClient, SimLog, httpx.Client],
                                            store: SandboxStore) -> None:
    client, _, _ = sim
    expected = next(o for o in store.find_orders(platform="tiktok", status="delivered", limit=None)
                    if any(i.quantity > 1 for i in o.items) or len(o.items) > 1)
    order = client.get_order(expected.id)
    assert (order.id, order.status, order.platform_status, order.total) == (
        expected.id, "delivered", "DELIVERED", expected.total)
    assert [(i.sku, i.quantity, i.unit_price) for i in order.items] == [
        (i.sku, i.quantity, i.unit_price) for i in expected.items]
    assert order.shipping_address == expected.shipping_address
    assert (order.ship_by, order.deliver_by, order.created_at) == (expected.ship_by, expected.deliver_by,
                                                                   expected.created_at.replace(microsecond=0))
    [(got, want)] = list(zip(order.shipments, expected.shipments, strict=True))
    assert (got.tracking_number, got.carrier, got.status, got.line_numbers) == (
        want.tracking_number, want.carrier, "delivered", want.line_numbers)
    buyer_id = next(i.value for i in store.get_customer(expected.customer_id).identities if i.kind == "buyer_id")
    assert order.customer_id == buyer_id  # TikTok names the buyer by user_id, never by the store's id
    unshipped = store.find_orders(platform="tiktok", status="unshipped", limit=1)[0]
    assert client.get_order(unshipped.id).status == "unshipped"
    for missing in ("579999999999999999", "#1001", "113-1234567-1234567"):
        with pytest.raises(NotFoundError):
            client.get_order(missing)


def test_returns_search_and_approve(sim: tuple[TikTokClient, SimLog, httpx.Client], store: SandboxStore) -> None:
    client, log, _ = sim
    stored = next(r for r in store.list_records("returns") if r.platform == "tiktok" and r.status == "received")
    [ret] = client.order_returns(stored.order_id)
    assert (ret.id, ret.status, ret.reason, ret.items) == (stored.id, "in_transit", stored.reason, stored.items)
    assert ret.label is not None and ret.label.tracking_number == stored.label.tracking_number
    assert ret.window_ends == stored.window_ends
    approved = client.approve_return(stored.id, decision="APPROVE_RECEIVED_PACKAGE", idempotency_key="appr-1")
    assert approved.status == "refunded"
    [refund] = store.order_refunds(stored.order_id)
    assert refund.return_id == stored.id and refund.amount > 0
    with pytest.raises(TikTokApiError) as info:  # a refunded return cannot be approved again
        client.approve_return(stored.id, decision="APPROVE_RECEIVED_PACKAGE", idempotency_key="appr-2")
    assert not info.value.retryable and info.value.code != 0
    with pytest.raises(TikTokApiError):
        client.approve_return("R999999", idempotency_key="appr-3")
    assert {"search_returns", "approve_return"} <= {r.data["call"] for r in log.records("tiktok", "api")}


def test_approving_a_return_request(sim: tuple[TikTokClient, SimLog, httpx.Client], store: SandboxStore) -> None:
    client, _, _ = sim
    stored = next(r for r in store.list_records("returns") if r.platform == "tiktok" and r.status == "received")
    with store._tx():  # the seeded store has no pending TikTok request; make one
        store._put(stored.model_copy(update={"status": "requested", "label": None}))
    assert client.get_return(stored.id).status == "requested"
    assert client.approve_return(stored.id, idempotency_key="a1").status == "approved"


# ---------------------------------------------------------------- request shape and error mapping

def test_request_is_signed_as_tiktok_documents() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"code": 0, "message": "Success", "data": {"message_id": "m1"},
                                         "request_id": "r"})

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        TikTokClient(tiktok_config("https://open-api.example"), http).send(
            'Say "hi"', {"conversation_id": "123"}, idempotency_key="k", human=False, now=NOW)
    [request] = seen
    query = dict(request.url.params)
    assert request.url.path == "/customer_service/202309/conversations/123/messages"
    assert {"app_key", "timestamp", "shop_cipher", "sign"} <= set(query) and query["app_key"] == KEY
    assert request.headers["x-tts-access-token"] == TOKEN
    body = request.content
    assert json.loads(body) == {"type": "TEXT", "content": json.dumps({"content": 'Say "hi"'})}
    base = request.url.path + "".join(k + query[k] for k in sorted(query) if k != "sign") + body.decode()
    expected = hmac.new(SECRET.encode(), (SECRET + base + SECRET).encode(), hashlib.sha256).hexdigest()
    assert query["sign"] == expected


@pytest.mark.parametrize(("response", "retryable", "retry_after"), [
    (httpx.Response(429, headers={"Retry-After": "3"}, json={"code": 1, "message": "Too many requests"}), True, 3.0),
    (httpx.Response(500, text="oops"), True, None),
    (httpx.Response(503, json={"code": 1, "message": "busy"}), True, None),
    (httpx.Response(400, json={"code": 36009001, "message": "bad param"}), False, None),
    (httpx.Response(200, json={"code": 12052001, "message": "conversation closed"}), False, None),
    (httpx.Response(200, text="<html>"), False, None),
])
def test_error_mapping(response: httpx.Response, retryable: bool, retry_after: float | None) -> None:
    with httpx.Client(transport=httpx.MockTransport(lambda request: response)) as http, \
            pytest.raises(SendError) as info:
        TikTokClient(tiktok_config("https://open-api.example"), http).send(
            "hi", {"conversation_id": "123"}, idempotency_key="k", human=False, now=NOW)
    assert info.value.retryable is retryable and info.value.retry_after_s == retry_after


def test_timeouts_are_retryable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        client = TikTokClient(tiktok_config("https://open-api.example"), http)
        with pytest.raises(SendError) as info:
            client.send("hi", {"conversation_id": "123"}, idempotency_key="k", human=False, now=NOW)
        assert info.value.retryable
        with pytest.raises(TikTokApiError) as read_info:
            client.get_order("579184142429166477")
        assert read_info.value.retryable


def test_calls_are_paced_per_api_and_held_back_after_a_429() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "30"}, json={"code": 1, "message": "slow down"})])

    def handler(request: httpx.Request) -> httpx.Response:
        return next(answers, None) or httpx.Response(200, json={"code": 0, "message": "Success", "data": {}})

    slept: list[float] = []
    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        client = TikTokClient(tiktok_config("https://open-api.example"), http, rate_per_s=2, sleep=slept.append)
        route = {"conversation_id": "123"}
        with pytest.raises(SendError) as info:
            client.send("hi", route, idempotency_key="k", human=False, now=NOW)
        assert info.value.retryable and info.value.retry_after_s == 30
        with pytest.raises(SendError) as held:  # too long to wait in a worker: the outbox retries later
            client.send("hi", route, idempotency_key="k", human=False, now=NOW)
        assert held.value.retryable and 29 < held.value.retry_after_s <= 30.5 and slept == []
        client.get_orders(["579184142429166477"])  # another API has its own budget
        client.get_orders(["579184142429166477"])
        assert slept == []
        client.get_orders(["579184142429166477"])  # burst of 2 spent: the third waits ~0.5 s
        assert len(slept) == 1 and 0.4 < slept[0] <= 0.5


# ---------------------------------------------------------------- round trip

def receiver(config: TikTokConfig) -> tuple[FastAPI, list[Any]]:
    app, received = FastAPI(), []

    @app.post("/webhooks/tiktok")
    async def hook(request: Request) -> JSONResponse:
        body = await request.body()
        try:
            tiktok.verify_webhook(body, request.headers, config)
            received.extend(tiktok.parse_webhook(body, request.headers))
        except SignatureError as exc:
            return JSONResponse({"reason": exc.reason}, status_code=401)
        except PayloadError as exc:
            return JSONResponse({"reason": exc.reason}, status_code=400)
        return JSONResponse({"ok": True})

    return app, received


def test_round_trip_buyer_writes_shopdesk_answers(store: SandboxStore) -> None:
    log = SimLog()
    api = create_app(store, log, app_key=KEY, app_secret=SECRET, access_token=TOKEN, shop_cipher=CIPHER)
    hook_app, received = receiver(tiktok_config())
    customer = tiktok_customer(store)
    order = store.customer_orders(customer.id, "tiktok")[0]
    with BackgroundServer(api) as api_server, BackgroundServer(hook_app) as hook, httpx.Client(timeout=5) as http:
        driver = TikTokSimulator(store, log, f"{hook.url}/webhooks/tiktok", app_key=KEY, app_secret=SECRET, http=http)
        message_id = driver.customer_writes(customer.id, "Is my order on its way?", order_id=order.id)
        card, message = received
        assert isinstance(card, ContextEvent) and card.order_id == order.id
        assert isinstance(message, ChannelMessage) and message.delivery_id == message_id
        assert store.find_customer("tiktok", message.customer_identity).id == customer.id
        client = TikTokClient(tiktok_config(api_server.url), http)
        client.send("Yes, it is on its way.", message.reply_route, idempotency_key="o1", human=False, now=NOW)
        assert [(r.data["text"], r.data["customer_id"]) for r in log.replies("tiktok")] == [
            ("Yes, it is on its way.", customer.id)]
        driver.send_order_event(order.id)
        returned = next(r for r in store.list_records("returns") if r.platform == "tiktok")
        driver.send_return_event(returned.id)
        assert [(e.topic, e.order_id) for e in received[2:]] == [
            ("ORDER_STATUS_CHANGE", order.id), ("RETURN_STATUS_CHANGE", returned.order_id)]
        forger = TikTokSimulator(store, log, f"{hook.url}/webhooks/tiktok", app_key=KEY, app_secret="wrong",
                                 http=http)
        with pytest.raises(httpx.HTTPStatusError) as info:
            forger.customer_writes(customer.id, "spoofed")
        assert info.value.response.status_code == 401 and len(received) == 4
