"""eBay: ECDSA notification signatures (key cache included), payload parsing, the client against the simulator."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI, Request
from testdata import ANCHOR

from channels import ebay
from channels.base import ChannelMessage, ContextEvent, PayloadError, SendError
from channels.serving import BackgroundServer
from channels.signatures import SignatureError
from channels.simulators import ebay as sim
from channels.simulators.log import SimLog
from shopdesk.channel_configs import channel_configs
from shopdesk.settings import Settings
from tools.clock import FixedClock
from tools.errors import NotFoundError
from tools.sandbox.store import SandboxStore

TOKEN = "ebay-user-token"
KEY = ec.generate_private_key(ec.SECP256R1())
NOW = "2026-11-26T09:00:00.000Z"


def key_response(key: ec.EllipticCurvePrivateKey = KEY) -> dict[str, str]:
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return {"key": pem.decode(), "algorithm": "ECDSA", "digest": "SHA1"}


def signature(body: bytes, *, kid: str = "kid-1", digest: str = "SHA1", key: ec.EllipticCurvePrivateKey = KEY) -> str:
    algo = hashes.SHA1() if digest == "SHA1" else hashes.SHA256()
    sig = base64.b64encode(key.sign(body, ec.ECDSA(algo))).decode()
    return base64.b64encode(json.dumps({"alg": "ecdsa", "kid": kid, "signature": sig, "digest": digest}).encode()).decode()


class KeyServer:
    """A MockTransport eBay key endpoint that counts fetches."""

    def __init__(self, status: int = 200) -> None:
        self.fetches, self.status = 0, status

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.fetches += 1
        if self.status != 200:
            return httpx.Response(self.status, json={"errors": [{"errorId": 195001}]})
        assert request.url.path == "/commerce/notification/v1/public_key/kid-1"
        return httpx.Response(200, json=key_response())


def cache(server: KeyServer, clock: FixedClock | None = None) -> ebay.EbayKeyCache:
    return ebay.EbayKeyCache(httpx.Client(transport=httpx.MockTransport(server)), "https://api.ebay.test",
                             clock=clock or FixedClock(ANCHOR))


def reason(call: Any) -> str:
    with pytest.raises(SignatureError) as info:
        call()
    return info.value.reason


def notification(topic: str, data: dict[str, Any], notification_id: str = "n-1") -> bytes:
    return json.dumps({"metadata": {"topic": topic, "schemaVersion": "1.0"},
                       "notification": {"notificationId": notification_id, "eventDate": NOW, "publishDate": NOW,
                                        "data": data}}).encode()


MESSAGE = {"conversationId": "3000000140", "messageId": "m-77", "senderUsername": "RachelCast46",
           "recipientUsername": "northfork_outdoors", "messageBody": "Where is order 14-42613-27030?",
           "createdDate": NOW, "referenceId": "110000000061"}


# ---------------------------------------------------------------- signatures

def test_signature_valid_and_key_cached_for_an_hour() -> None:
    server, clock = KeyServer(), FixedClock(ANCHOR)
    keys = cache(server, clock)
    body = notification("MESSAGE", MESSAGE)
    ebay.verify_webhook(body, {"X-EBAY-SIGNATURE": signature(body)}, keys)
    ebay.verify_webhook(body, {"x-ebay-signature": signature(body)}, keys)  # header case does not matter
    assert server.fetches == 1
    clock.advance(minutes=59)
    ebay.verify_webhook(body, {"X-EBAY-SIGNATURE": signature(body)}, keys)
    assert server.fetches == 1
    clock.advance(minutes=2)
    ebay.verify_webhook(body, {"X-EBAY-SIGNATURE": signature(body, digest="SHA256")}, keys)
    assert server.fetches == 2


def test_signature_rejections() -> None:
    keys = cache(KeyServer())
    body = notification("MESSAGE", MESSAGE)
    good = signature(body)
    assert reason(lambda: ebay.verify_webhook(body + b" ", {"X-EBAY-SIGNATURE": good}, keys)) == "mismatch"
    other = signature(body, key=ec.generate_private_key(ec.SECP256R1()))
    assert reason(lambda: ebay.verify_webhook(body, {"X-EBAY-SIGNATURE": other}, keys)) == "mismatch"
    assert reason(lambda: ebay.verify_webhook(body, {}, keys)) == "missing"
    assert reason(lambda: ebay.verify_webhook(body, {"X-EBAY-SIGNATURE": "not base64!"}, keys)) == "malformed"
    no_kid = base64.b64encode(b'{"alg":"ecdsa","signature":"AAAA"}').decode()
    assert reason(lambda: ebay.verify_webhook(body, {"X-EBAY-SIGNATURE": no_kid}, keys)) == "malformed"
    header = json.loads(base64.b64decode(good)) | {"digest": "MD5"}
    bad_digest = base64.b64encode(json.dumps(header).encode()).decode()
    assert reason(lambda: ebay.verify_webhook(body, {"X-EBAY-SIGNATURE": bad_digest}, keys)) == "malformed"


def test_key_fetch_failures_never_accept() -> None:
    body = notification("MESSAGE", MESSAGE)
    header = {"X-EBAY-SIGNATURE": signature(body)}
    assert reason(lambda: ebay.verify_webhook(body, header, cache(KeyServer(404)))) == "mismatch"
    assert reason(lambda: ebay.verify_webhook(body, header, cache(KeyServer(503)))) == "not_configured"

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    keys = ebay.EbayKeyCache(httpx.Client(transport=httpx.MockTransport(down)), "https://api.ebay.test")
    assert reason(lambda: ebay.verify_webhook(body, header, keys)) == "not_configured"


def test_challenge_response_matches_sha256sum() -> None:
    # printf '%s' 'a1b2c3tok-123https://shop.example.com/webhooks/ebay' | sha256sum
    assert ebay.challenge_response("a1b2c3", "tok-123", "https://shop.example.com/webhooks/ebay") == \
        "083ead22731ebcd64cc8dee60e3034fd5eb955c1036230d20e338672d74ede98"


# ---------------------------------------------------------------- payloads

def test_buyer_message() -> None:
    [msg] = ebay.parse_webhook(notification("MESSAGE", MESSAGE), {}, seller_username="northfork_outdoors")
    assert isinstance(msg, ChannelMessage)
    assert (msg.platform, msg.delivery_id, msg.conversation_key) == ("ebay", "m-77", "ebay:3000000140")
    assert msg.customer_identity == "rachelcast46"
    assert msg.order_hint == "14-42613-27030"  # the reference is a listing id; the body names the order
    assert msg.reply_route == {"conversation_id": "3000000140"}
    assert msg.received_at.isoformat() == "2026-11-26T09:00:00+00:00"


def test_non_buyer_and_empty_messages_ignored() -> None:
    echo = MESSAGE | {"senderUsername": "Northfork_Outdoors", "recipientUsername": "rachelcast46"}
    assert ebay.parse_webhook(notification("MESSAGE", echo), {}, seller_username="northfork_outdoors") == []
    assert ebay.parse_webhook(notification("MESSAGE", MESSAGE | {"senderUsername": "eBay"}), {}) == []
    assert ebay.parse_webhook(notification("MESSAGE", MESSAGE | {"messageBody": "  "}), {}) == []
    [photo] = ebay.parse_webhook(notification("MESSAGE", MESSAGE | {"messageBody": "", "messageMedia": [{}]}), {})
    # no placeholder text (issue 20): the attachment itself is recorded, here without an address to fetch it
    assert photo.text == "" and [(a.kind, a.state) for a in photo.attachments] == [("file", "fetch_failed")]


def test_context_events_and_unknown_topics() -> None:
    [ret] = ebay.parse_webhook(notification("RETURN", {"returnId": "5000000228", "orderId": "22-99593-94921",
                                                       "state": "ITEM_SHIPPED"}, "n-9"), {})
    assert isinstance(ret, ContextEvent)
    assert (ret.kind, ret.order_id, ret.status, ret.delivery_id) == ("return", "22-99593-94921", "ITEM_SHIPPED", "n-9")
    assert ret.data["returnId"] == "5000000228"
    [order] = ebay.parse_webhook(notification("ORDER", {"orderId": "14-42613-27030",
                                                        "orderFulfillmentStatus": "FULFILLED"}), {})
    assert (order.kind, order.status) == ("order", "FULFILLED")
    assert ebay.parse_webhook(notification("MARKETPLACE_ACCOUNT_DELETION", {"username": "x"}), {}) == []


@pytest.mark.parametrize("body", [
    b"{not json", b"[]", b'{"metadata":{"topic":"MESSAGE"}}',
    notification("MESSAGE", {k: v for k, v in MESSAGE.items() if k != "messageId"}),
    notification("MESSAGE", MESSAGE | {"createdDate": "yesterday"}),
])
def test_malformed_payloads(body: bytes) -> None:
    with pytest.raises(PayloadError):
        ebay.parse_webhook(body, {})


# ---------------------------------------------------------------- the client against the simulator

@pytest.fixture
def ebay_sim(store: SandboxStore) -> Iterator[tuple[BackgroundServer, SimLog]]:
    log = SimLog()
    with BackgroundServer(sim.create_app(store, log, access_token=TOKEN, signing_key=KEY)) as server:
        yield server, log


@pytest.fixture
def client(ebay_sim: tuple[BackgroundServer, SimLog]) -> Iterator[ebay.EbayClient]:
    settings = Settings(_env_file=None, ebay_api_url=ebay_sim[0].url, ebay_access_token=TOKEN)  # type: ignore[call-arg]
    with httpx.Client(timeout=5) as http:
        yield ebay.EbayClient(channel_configs(settings).ebay, http)


def test_send_reply_and_read_the_conversation(client: ebay.EbayClient, ebay_sim: tuple[BackgroundServer, SimLog],
                                              clock: FixedClock) -> None:
    receipt = client.send("It ships tomorrow.", {"conversation_id": sim.conversation_id("C00140")},
                          idempotency_key="k1", human=False, now=clock.now())
    [reply] = ebay_sim[1].replies("ebay")
    assert reply.data["text"] == "It ships tomorrow." and reply.data["to"] == "rachelcast46"
    assert reply.data["message_id"] == receipt.platform_message_id
    conv = client.conversation(sim.conversation_id("C00140"))
    assert [m.body for m in conv.messages] == ["It ships tomorrow."]
    assert [c.conversation_id for c in client.conversations()] == [sim.conversation_id("C00140")]
    with pytest.raises(SendError) as info:
        client.send("x" * 2001, {"conversation_id": "3000000140"}, idempotency_key="k2", human=False, now=clock.now())
    assert not info.value.retryable
    with pytest.raises(SendError) as info:  # the simulator knows no such conversation
        client.send("hi", {"conversation_id": "3999999999"}, idempotency_key="k3", human=False, now=clock.now())
    assert not info.value.retryable and "400" in info.value.reason


def test_order_mapping(client: ebay.EbayClient, store: SandboxStore) -> None:
    expected = next(o for o in store.find_orders(platform="ebay", status="delivered") if o.tax > 0)
    order = client.get_order(expected.id)
    assert (order.id, order.platform, order.total, order.tax) == (expected.id, "ebay", expected.total, expected.tax)
    assert [(i.sku, i.quantity, i.unit_price) for i in order.items] == \
        [(i.sku, i.quantity, i.unit_price) for i in expected.items]
    assert order.status == "shipped" and order.platform_status == "FULFILLED"  # eBay does not expose delivery
    assert [s.tracking_number for s in order.shipments] == [s.tracking_number for s in expected.shipments]
    assert order.shipping_address == expected.shipping_address
    assert (order.ship_by, order.deliver_by) == (expected.ship_by, expected.deliver_by)
    assert order.customer_id == store.get_customer(expected.customer_id).identity_on("ebay")[0].value
    unshipped = client.get_order("14-42613-27030")
    assert unshipped.status == "unshipped" and unshipped.shipments == []
    with pytest.raises(NotFoundError):
        client.get_order("99-99999-99999")


def test_returns_and_refund(client: ebay.EbayClient, store: SandboxStore) -> None:
    received = next(r for r in store.list_records("returns") if r.platform == "ebay" and r.status == "received")
    [ret] = [r for r in client.order_returns(received.order_id) if r.return_id == sim.ebay_return_id(received.id)]
    assert ret.state == "ITEM_DELIVERED" and ret.order_id == received.order_id
    assert client.get_return(ret.return_id).state == "ITEM_DELIVERED"
    assert ret.refund_estimate is not None
    assert client.issue_return_refund(ret.return_id, ret.refund_estimate, "Refund for your return") == "SUCCESS"
    assert [r.return_id for r in store.order_refunds(received.order_id)].count(received.id) == 1
    assert client.get_return(ret.return_id).state == "REFUND_ISSUED"
    with pytest.raises(SendError) as info:  # refunding twice is refused, not retried
        client.issue_return_refund(ret.return_id, Decimal("1.00"), "again")
    assert not info.value.retryable


def test_bad_token_is_not_retryable(ebay_sim: tuple[BackgroundServer, SimLog], clock: FixedClock) -> None:
    settings = Settings(_env_file=None, ebay_api_url=ebay_sim[0].url, ebay_access_token="wrong")  # type: ignore[call-arg]
    with httpx.Client(timeout=5) as http, pytest.raises(SendError) as info:
        ebay.EbayClient(channel_configs(settings).ebay, http).send("hi", {"conversation_id": "3000000140"},
                                                                   idempotency_key="k", human=False, now=clock.now())
    assert not info.value.retryable and "401" in info.value.reason


@pytest.mark.parametrize(("status", "headers", "retryable", "after"), [
    (429, {"Retry-After": "7"}, True, 7.0), (500, {}, True, None), (503, {}, True, None), (400, {}, False, None),
])
def test_error_mapping(status: int, headers: dict[str, str], retryable: bool, after: float | None,
                       clock: FixedClock) -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(status, headers=headers, json={"errors": []}))
    settings = Settings(_env_file=None, ebay_access_token=TOKEN)  # type: ignore[call-arg]
    client = ebay.EbayClient(channel_configs(settings).ebay, httpx.Client(transport=transport))
    with pytest.raises(SendError) as info:
        client.send("hi", {"conversation_id": "1"}, idempotency_key="k", human=False, now=clock.now())
    assert (info.value.retryable, info.value.retry_after_s) == (retryable, after)


def test_timeout_is_retryable(clock: FixedClock) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    settings = Settings(_env_file=None, ebay_access_token=TOKEN)  # type: ignore[call-arg]
    client = ebay.EbayClient(channel_configs(settings).ebay, httpx.Client(transport=httpx.MockTransport(slow)))
    with pytest.raises(SendError) as info:
        client.send("hi", {"conversation_id": "1"}, idempotency_key="k", human=False, now=clock.now())
    assert info.value.retryable


# ---------------------------------------------------------------- the round trip

def test_round_trip(store: SandboxStore, client: ebay.EbayClient, ebay_sim: tuple[BackgroundServer, SimLog],
                    clock: FixedClock) -> None:
    """Simulator posts a signed notification -> verify + parse -> the client replies -> the simulator has it."""
    received: list[ChannelMessage | ContextEvent] = []
    server, log = ebay_sim
    http = httpx.Client(timeout=5)
    keys = ebay.EbayKeyCache(http, server.url)
    shopdesk = FastAPI()

    @shopdesk.post("/webhooks/ebay")
    async def hook(request: Request) -> dict[str, int]:
        body = await request.body()
        ebay.verify_webhook(body, request.headers, keys)
        received.extend(ebay.parse_webhook(body, request.headers, seller_username=sim.SELLER))
        return {"ok": 1}

    with BackgroundServer(shopdesk) as target:
        driver = sim.EbaySimulator(store, log, f"{target.url}/webhooks/ebay", signing_key=KEY, http=http)
        delivery = driver.customer_writes("C00140", "Has 14-42613-27030 shipped yet?", order_id="14-42613-27030")
        returned = next(r for r in store.list_records("returns") if r.platform == "ebay")
        driver.send_return_event(returned.id)
        driver.send_order_event("14-42613-27030")
    message, ret, order = received
    assert isinstance(message, ChannelMessage) and message.delivery_id == delivery
    assert store.find_customer("ebay", message.customer_identity).id == "C00140"  # type: ignore[union-attr]
    assert isinstance(ret, ContextEvent) and ret.order_id == returned.order_id
    assert isinstance(order, ContextEvent) and order.status == "NOT_STARTED"
    client.send("It ships tomorrow by USPS.", message.reply_route, idempotency_key="k", human=False,
                now=clock.now() + timedelta(minutes=1))
    assert [r.data["text"] for r in log.replies("ebay")] == ["It ships tomorrow by USPS."]
    thread = client.conversation(message.reply_route["conversation_id"]).messages
    assert [m.sender for m in thread] == ["rachelcast46", sim.SELLER]
