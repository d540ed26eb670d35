"""Meta (Messenger + Instagram): webhook signature and parsing, the 24-hour window, the Send API client
against the simulator, and a round trip. Signatures here are computed inline with hmac."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from channels import meta
from channels.base import ChannelMessage, PayloadError, SendError
from channels.meta import MetaClient, MetaConfig
from channels.serving import BackgroundServer
from channels.signatures import SignatureError
from channels.simulators.log import SimLog
from channels.simulators.meta import MetaSimulator, create_app
from shopdesk.channel_configs import channel_configs
from shopdesk.settings import Settings
from tools.clock import FixedClock
from tools.models import Customer
from tools.sandbox.store import SandboxStore

SECRET, PAGE_TOKEN, PAGE_ID, IG_ID = "meta-app-secret", "EAAG-page-token", "104857600000001", "17841400000000001"
T0 = datetime(2026, 11, 26, 9, tzinfo=UTC)


def meta_config(url: str = "https://graph.example/v25.0", **over: Any) -> MetaConfig:
    values = {"meta_app_secret": SECRET, "meta_page_token": PAGE_TOKEN, "meta_page_id": PAGE_ID,
              "meta_graph_url": url, **over}
    return channel_configs(Settings(_env_file=None, **values)).meta  # type: ignore[call-arg]


def signature(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook(*events: dict[str, Any], obj: str = "page", business: str = PAGE_ID) -> bytes:
    return json.dumps({"object": obj, "entry": [{"id": business, "time": 1795683600000,
                                                 "messaging": list(events)}]}).encode()


def text_event(text: str = "Hi, where is order #1724?", *, sender: str = "2684335326502014",
               business: str = PAGE_ID, **message: Any) -> dict[str, Any]:
    return {"sender": {"id": sender}, "recipient": {"id": business}, "timestamp": 1795683600000,
            "message": {"mid": "m_abc123", "text": text, **message}}


def route(at: datetime, platform: str = "facebook", recipient: str = "2684335326502014") -> dict[str, str]:
    return {"recipient_id": recipient, "page_id": PAGE_ID if platform == "facebook" else IG_ID,
            "customer_at": at.isoformat(), "platform": platform}


def customer_on(store: SandboxStore, platform: str) -> Customer:
    return next(c for c in store.list_customers() if c.identity_on(platform))  # type: ignore[arg-type]


# ---------------------------------------------------------------- webhook signature

def test_webhook_signature_valid_invalid_missing_malformed() -> None:
    body = webhook(text_event())
    meta.verify_webhook(body, {"X-Hub-Signature-256": signature(body)}, meta_config())
    meta.verify_webhook(body, {"x-hub-signature-256": signature(body)}, meta_config())
    cases = [
        ({"X-Hub-Signature-256": signature(body)}, body.replace(b": ", b":"), meta_config(), "mismatch"),
        ({"X-Hub-Signature-256": signature(body, "other")}, body, meta_config(), "mismatch"),
        ({"X-Hub-Signature": "sha1=abc"}, body, meta_config(), "missing"),
        ({"X-Hub-Signature-256": signature(body)[7:]}, body, meta_config(), "malformed"),
        ({"X-Hub-Signature-256": signature(body)}, body, meta_config(meta_app_secret=None), "not_configured"),
    ]
    for headers, signed_body, config, reason in cases:
        with pytest.raises(SignatureError) as info:
            meta.verify_webhook(signed_body, headers, config)
        assert info.value.reason == reason


# ---------------------------------------------------------------- parsing

def test_messenger_and_instagram_text_messages() -> None:
    [fb] = meta.parse_webhook(webhook(text_event()), {})
    assert isinstance(fb, ChannelMessage) and fb.platform == "facebook"
    assert (fb.delivery_id, fb.customer_identity, fb.order_hint) == ("m_abc123", "2684335326502014", "#1724")
    assert fb.conversation_key == f"facebook:{PAGE_ID}:2684335326502014"
    at = datetime.fromtimestamp(1795683600, UTC)
    assert fb.received_at == at
    assert fb.reply_route == {"recipient_id": "2684335326502014", "page_id": PAGE_ID,
                              "customer_at": at.isoformat(), "platform": "facebook"}
    ig_body = webhook(text_event("my order 1728 never came", sender="17585304352056174", business=IG_ID),
                      obj="instagram", business=IG_ID)
    [ig] = meta.parse_webhook(ig_body, {})
    assert ig.platform == "instagram" and ig.conversation_key == f"instagram:{IG_ID}:17585304352056174"
    assert ig.reply_route["page_id"] == IG_ID and ig.order_hint == "#1728"


def test_echoes_deliveries_reads_and_other_events_are_ignored() -> None:
    sender, page = {"id": "2684335326502014"}, {"id": PAGE_ID}
    ignored = [
        text_event(is_echo=True, app_id=1517),  # our own reply, echoed back
        {"sender": sender, "recipient": page, "timestamp": 1, "delivery": {"mids": ["m_1"], "watermark": 1}},
        {"sender": sender, "recipient": page, "timestamp": 1, "read": {"watermark": 1}},
        {"sender": sender, "recipient": page, "timestamp": 1, "reaction": {"mid": "m_1", "action": "react"}},
        {"sender": sender, "recipient": page, "timestamp": 1, "postback": {"title": "Start", "payload": "GO"}},
        {"sender": sender, "recipient": page, "timestamp": 1,  # a thumbs-up sticker: a reaction, not a file
         "message": {"mid": "m_3", "attachments": [{"type": "image", "payload": {
             "url": "https://x/sticker.png", "sticker_id": 369239263222822}}]}},
        text_event(is_deleted=True),
        text_event("   "),
    ]
    assert meta.parse_webhook(webhook(*ignored), {}) == []
    # a photo alone is not ignored (issue 20): it continues the conversation (tests/channels/test_attachments.py)
    [photo] = meta.parse_webhook(webhook({"sender": sender, "recipient": page, "timestamp": 1, "message": {
        "mid": "m_2", "attachments": [{"type": "image", "payload": {"url": "https://x/y.jpg"}}]}}), {})
    assert photo.text == "" and [(a.kind, a.url, a.state) for a in photo.attachments] == [
        ("image", "https://x/y.jpg", "pending")]
    assert meta.parse_webhook(json.dumps({"object": "whatsapp_business_account", "entry": []}).encode(), {}) == []
    assert meta.parse_webhook(json.dumps({"object": "page", "entry": [{"id": "1", "changes": []}]}).encode(), {}) == []


@pytest.mark.parametrize("body", [
    b"{not json", b"[]", json.dumps({"entry": []}).encode(), json.dumps({"object": "page", "entry": {}}).encode(),
    webhook({"sender": {"id": "1"}, "recipient": {"id": PAGE_ID}, "timestamp": 1, "message": {"text": "no mid"}}),
    webhook({"recipient": {"id": PAGE_ID}, "timestamp": 1, "message": {"mid": "m", "text": "no sender"}}),
    webhook({"sender": {"id": "1"}, "recipient": {"id": PAGE_ID}, "timestamp": "soon", "message": {"mid": "m"}}),
])
def test_malformed_bodies_raise_payload_error(body: bytes) -> None:
    with pytest.raises(PayloadError):
        meta.parse_webhook(body, {})


# ---------------------------------------------------------------- the messaging window

def test_messaging_window() -> None:
    client = MetaClient(meta_config(), httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(500))))
    assert client.messaging_type(route(T0), human=False, now=T0 + timedelta(hours=23, minutes=59)) == {
        "messaging_type": "RESPONSE"}
    assert client.messaging_type(route(T0), human=True, now=T0 + timedelta(hours=2)) == {"messaging_type": "RESPONSE"}
    assert client.messaging_type(route(T0), human=True, now=T0 + timedelta(days=3)) == {
        "messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
    with pytest.raises(SendError) as closed:
        client.send("Following up", route(T0), idempotency_key="k", human=False, now=T0 + timedelta(hours=25))
    assert not closed.value.retryable
    assert "24-hour" in closed.value.reason and "HUMAN_AGENT" in closed.value.reason and "person" in closed.value.reason
    with pytest.raises(SendError) as too_late:
        client.send("Following up", route(T0), idempotency_key="k", human=True, now=T0 + timedelta(days=8))
    assert not too_late.value.retryable and "7-day" in too_late.value.reason
    for bad in ({"recipient_id": "1", "page_id": PAGE_ID}, {**route(T0), "customer_at": "yesterday"}):
        with pytest.raises(SendError) as info:
            client.send("hi", bad, idempotency_key="k", human=False, now=T0)
        assert not info.value.retryable


def test_send_rejects_what_meta_would_refuse_before_calling() -> None:
    calls: list[httpx.Request] = []
    http = httpx.Client(transport=httpx.MockTransport(lambda r: calls.append(r) or httpx.Response(200, json={})))
    client = MetaClient(meta_config(), http)
    for text, bad_route, config in (("x" * 2001, route(T0), meta_config()), ("", route(T0), meta_config()),
                                    ("hi", {**route(T0), "recipient_id": ""}, meta_config()),
                                    ("hi", route(T0), meta_config(meta_page_token=None)),
                                    ("hi", route(T0, "instagram"), meta_config(meta_page_id=None))):
        with pytest.raises(SendError) as info:
            MetaClient(config, http).send(text, bad_route, idempotency_key="k", human=False, now=T0)
        assert not info.value.retryable
    assert calls == []
    client.send("x" * 2000, route(T0), idempotency_key="k", human=False, now=T0)
    [request] = calls
    assert request.url.path == f"/v25.0/{PAGE_ID}/messages" and "access_token" not in request.url.params
    assert request.headers["authorization"] == f"Bearer {PAGE_TOKEN}"
    assert json.loads(request.content) == {"recipient": {"id": "2684335326502014"}, "messaging_type": "RESPONSE",
                                           "message": {"text": "x" * 2000}}
    client.send("hi", route(T0, "instagram", "17585304352056174"), idempotency_key="k", human=False, now=T0)
    assert calls[-1].url.path == f"/v25.0/{PAGE_ID}/messages"  # Instagram replies go through the linked Page


# ---------------------------------------------------------------- error mapping

def graph_error(code: int, status: int = 400, subcode: int | None = None,
                headers: dict[str, str] | None = None) -> httpx.Response:
    error = {"message": "boom", "type": "OAuthException", "code": code, "fbtrace_id": "AbC"}
    if subcode:
        error["error_subcode"] = subcode
    return httpx.Response(status, json={"error": error}, headers=headers)


@pytest.mark.parametrize(("response", "retryable", "retry_after"), [
    (graph_error(613, headers={"X-Business-Use-Case-Usage": json.dumps(
        {PAGE_ID: [{"type": "messenger", "call_count": 100, "estimated_time_to_regain_access": 2}]})}), True, 120.0),
    (graph_error(4, status=403), True, None),
    (graph_error(32), True, None),
    (graph_error(17, status=429, headers={"Retry-After": "7"}), True, 7.0),
    (graph_error(2, status=503), True, None),
    (httpx.Response(502, text="Bad Gateway"), True, None),
    (graph_error(190, status=401), False, None),
    (graph_error(100, subcode=2018001), False, None),
    (graph_error(10, subcode=2018278), False, None),
])
def test_graph_errors(response: httpx.Response, retryable: bool, retry_after: float | None) -> None:
    with httpx.Client(transport=httpx.MockTransport(lambda request: response)) as http, \
            pytest.raises(SendError) as info:
        MetaClient(meta_config(), http).send("hi", route(T0), idempotency_key="k", human=False, now=T0)
    assert info.value.retryable is retryable and info.value.retry_after_s == retry_after
    assert "Meta error" in info.value.reason and PAGE_TOKEN not in info.value.reason


def test_timeouts_are_retryable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("slow", request=request)

    with httpx.Client(transport=httpx.MockTransport(handler)) as http, pytest.raises(SendError) as info:
        MetaClient(meta_config(), http).send("hi", route(T0), idempotency_key="k", human=False, now=T0)
    assert info.value.retryable


# ---------------------------------------------------------------- simulator and round trip

def receiver(config: MetaConfig) -> tuple[FastAPI, list[Any]]:
    app, received = FastAPI(), []

    @app.post("/webhooks/meta")
    async def hook(request: Request) -> JSONResponse:
        body = await request.body()
        try:
            meta.verify_webhook(body, request.headers, config)
            received.extend(meta.parse_webhook(body, request.headers))
        except SignatureError as exc:
            return JSONResponse({"reason": exc.reason}, status_code=401)
        except PayloadError as exc:
            return JSONResponse({"reason": exc.reason}, status_code=400)
        return JSONResponse({"ok": True})

    return app, received


@pytest.fixture
def world(store: SandboxStore) -> Iterator[tuple[MetaSimulator, MetaClient, SimLog, list[Any], httpx.Client]]:
    log = SimLog()
    api = create_app(store, log, page_token=PAGE_TOKEN, page_id=PAGE_ID, ig_id=IG_ID)
    hook_app, received = receiver(meta_config())
    with BackgroundServer(api) as api_server, BackgroundServer(hook_app) as hook, httpx.Client(timeout=5) as http:
        driver = MetaSimulator(store, log, f"{hook.url}/webhooks/meta", app_secret=SECRET, page_id=PAGE_ID,
                               ig_id=IG_ID, http=http)
        yield driver, MetaClient(meta_config(api_server.url), http), log, received, http


@pytest.mark.parametrize("platform", ["facebook", "instagram"])
def test_round_trip(world: tuple[MetaSimulator, MetaClient, SimLog, list[Any], httpx.Client],
                    store: SandboxStore, clock: FixedClock, platform: str) -> None:
    driver, client, log, received, _ = world
    customer = customer_on(store, platform)
    order = store.customer_orders(customer.id, platform)[0]  # type: ignore[arg-type]
    mid = driver.customer_writes(customer.id, "Where is my grinder?", order_id=order.id, platform=platform)
    [message] = received
    assert message.platform == platform and message.delivery_id == mid and message.order_hint == order.id
    assert store.find_customer(platform, message.customer_identity).id == customer.id
    receipt = client.send("It arrives Friday.", message.reply_route, idempotency_key="o1", human=False,
                          now=clock.now())
    [reply] = log.replies(platform)
    assert reply.data["text"] == "It arrives Friday." and reply.data["customer_id"] == customer.id
    assert reply.data["messaging_type"] == "RESPONSE" and reply.data["message_id"] == receipt.platform_message_id
    clock.advance(hours=30)  # the standard window has closed: only a person, with the tag
    with pytest.raises(SendError, match="24-hour"):
        client.send("Any news?", message.reply_route, idempotency_key="o2", human=False, now=clock.now())
    client.send("A teammate here: it shipped.", message.reply_route, idempotency_key="o3", human=True,
                now=clock.now())
    assert [(r.data["messaging_type"], r.data["tag"]) for r in log.replies(platform)] == [
        ("RESPONSE", None), ("MESSAGE_TAG", "HUMAN_AGENT")]


def test_simulator_refuses_what_meta_refuses(world: tuple[MetaSimulator, MetaClient, SimLog, list[Any], httpx.Client],
                                             store: SandboxStore, clock: FixedClock) -> None:
    driver, client, log, received, http = world
    customer = customer_on(store, "facebook")
    driver.customer_writes(customer.id, "hello")
    good = received[0].reply_route
    url = str(client._config.graph_url)
    cases = [
        (0, MetaClient(meta_config(url, meta_page_token="stolen"), http), good, "190"),
        (0, client, {**good, "recipient_id": "999"}, "2018001"),
        (0, client, {**good, "page_id": "555"}, "100"),
        # two days on, the route claims a fresh message, but the simulator saw the customer write 2 days ago
        (2, client, {**good, "customer_at": (clock.now() + timedelta(days=2)).isoformat()}, "2018278"),
    ]
    for days, sender, bad_route, code in cases:
        clock.advance(days=days)
        with pytest.raises(SendError) as info:
            sender.send("hi", bad_route, idempotency_key="k", human=False, now=clock.now())
        assert code in info.value.reason and not info.value.retryable
    assert log.replies() == []
    forged = MetaSimulator(store, log, driver.target_url, app_secret="wrong", page_id=PAGE_ID, ig_id=IG_ID, http=http)
    with pytest.raises(httpx.HTTPStatusError) as refused:
        forged.customer_writes(customer.id, "spoofed")
    assert refused.value.response.status_code == 401 and len(received) == 1
