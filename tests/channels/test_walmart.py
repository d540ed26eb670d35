"""Walmart: webhook auth modes, event parsing, tokens, orders/returns from the simulator, refund rules, 429s."""

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
from fastapi.responses import JSONResponse

from channels.base import ContextEvent, PayloadError
from channels.serving import BackgroundServer
from channels.signatures import SignatureError
from channels.simulators import walmart as simulator
from channels.simulators.log import SimLog
from channels.walmart import (
    WEBHOOK_SIGNATURE_HEADER,
    WalmartApiError,
    WalmartClient,
    WalmartConfig,
    WalmartTokens,
    parse_webhook,
    verify_webhook,
)
from shopdesk.channel_configs import channel_configs
from shopdesk.settings import Settings
from tools.clock import FixedClock
from tools.errors import NotFoundError, PreconditionFailed
from tools.models import Order, Return
from tools.sandbox.store import SandboxStore

CLIENT_ID, CLIENT_SECRET = "wm-client", "wm-secret"
SECRETS = {"basic": "walmart-user:s3cret-pass", "hmac": "hmac-shared-secret", "oauth": "bearer-token-123"}


def config_for(url: str = "https://wm.test", auth: str | None = None) -> WalmartConfig:
    return channel_configs(Settings(  # type: ignore[call-arg]
        _env_file=None, walmart_api_url=url, walmart_client_id=CLIENT_ID, walmart_client_secret=CLIENT_SECRET,
        walmart_webhook_auth=auth, walmart_webhook_secret=SECRETS.get(auth or ""))).walmart


def event(event_type: str = "PO_CREATED", **payload: Any) -> bytes:
    return json.dumps({"source": {"eventType": event_type, "eventId": "evt-1", "eventTime": "2026-11-26T09:00:00Z"},
                       "payload": {"purchaseOrderId": "1847105975120", **payload}}).encode()


# ------------------------------------------------------------------ webhook auth

BODY = event()


def signed(mode: str, body: bytes = BODY, secret: str | None = None) -> dict[str, str]:
    secret = secret or SECRETS[mode]
    if mode == "basic":
        return {"Authorization": "Basic " + base64.b64encode(secret.encode()).decode()}
    if mode == "oauth":
        return {"Authorization": f"Bearer {secret}"}
    return {WEBHOOK_SIGNATURE_HEADER: hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


@pytest.mark.parametrize("mode", ["basic", "hmac", "oauth"])
def test_each_auth_mode_accepts_its_credentials_case_insensitively(mode: str) -> None:
    verify_webhook(BODY, signed(mode), config_for(auth=mode))
    verify_webhook(BODY, {k.lower(): v for k, v in signed(mode).items()}, config_for(auth=mode))


@pytest.mark.parametrize("mode", ["basic", "hmac", "oauth"])
def test_wrong_credentials_are_a_mismatch(mode: str) -> None:
    wrong = "walmart-user:wrong" if mode == "basic" else "not-the-secret"
    with pytest.raises(SignatureError) as caught:
        verify_webhook(BODY, signed(mode, secret=wrong), config_for(auth=mode))
    assert caught.value.reason == "mismatch"


def test_an_hmac_over_another_body_is_a_mismatch() -> None:
    with pytest.raises(SignatureError) as caught:
        verify_webhook(event(customerOrderId="1"), signed("hmac"), config_for(auth="hmac"))
    assert caught.value.reason == "mismatch"


@pytest.mark.parametrize("mode", ["basic", "hmac", "oauth"])
def test_missing_credentials(mode: str) -> None:
    with pytest.raises(SignatureError) as caught:
        verify_webhook(BODY, {"Content-Type": "application/json"}, config_for(auth=mode))
    assert caught.value.reason == "missing"


@pytest.mark.parametrize(("mode", "headers"), [
    ("basic", {"Authorization": "Bearer walmart-user:s3cret-pass"}),
    ("basic", {"Authorization": "Basic !!!not-base64"}),
    ("oauth", {"Authorization": "Basic YTpi"}),
    ("oauth", {"Authorization": "Bearer"}),
    ("hmac", {WEBHOOK_SIGNATURE_HEADER: "sha256=abc"}),
])
def test_malformed_credentials(mode: str, headers: dict[str, str]) -> None:
    with pytest.raises(SignatureError) as caught:
        verify_webhook(BODY, headers, config_for(auth=mode))
    assert caught.value.reason == "malformed"


def test_not_configured_without_a_mode_or_a_secret() -> None:
    with pytest.raises(SignatureError) as caught:
        verify_webhook(BODY, signed("oauth"), config_for(auth=None))
    assert caught.value.reason == "not_configured"
    bare = channel_configs(Settings(_env_file=None, walmart_webhook_auth="oauth")).walmart  # type: ignore[call-arg]
    with pytest.raises(SignatureError) as caught:
        verify_webhook(BODY, signed("oauth"), bare)
    assert caught.value.reason == "not_configured"


# ------------------------------------------------------------------ parsing

def test_po_created_becomes_an_order_event() -> None:
    [e] = parse_webhook(event(customerOrderId="0215795017481"), {})
    assert isinstance(e, ContextEvent)
    assert (e.platform, e.delivery_id, e.kind, e.topic, e.order_id, e.status) == (
        "walmart", "evt-1", "order", "PO_CREATED", "1847105975120", "Created")
    assert e.received_at.isoformat() == "2026-11-26T09:00:00+00:00" and e.data == {"customerOrderId": "0215795017481"}


def test_auto_cancelled_lines_are_named() -> None:
    lines = {"orderLine": [{"lineNumber": "1", "orderLineStatus": "Cancelled"}, {"lineNumber": "2"}]}
    [e] = parse_webhook(event("PO_LINE_AUTOCANCELLED", orderLines=lines), {})
    assert (e.topic, e.status, e.data["lineNumbers"]) == ("PO_LINE_AUTOCANCELLED", "Cancelled", "1,2")
    body = json.loads(event("PO_LINE_AUTOCANCELLED"))
    body["source"]["eventTime"] = 1795683600000  # epoch milliseconds are read too
    assert parse_webhook(json.dumps(body).encode(), {})[0].received_at.year == 2026


def test_events_we_do_not_handle_are_ignored() -> None:
    assert parse_webhook(event("OFFER_UNPUBLISHED"), {}) == []


@pytest.mark.parametrize(("body", "reason"), [
    (b"{not json", "invalid_json"),
    (b"[]", "eventType"),
    (json.dumps({"source": {"eventId": "e"}, "payload": {}}).encode(), "eventType"),
    (json.dumps({"source": {"eventType": "PO_CREATED", "eventTime": "2026-11-26T09:00:00Z"},
                 "payload": {"purchaseOrderId": "1"}}).encode(), "eventId"),
    (json.dumps({"source": {"eventType": "PO_CREATED", "eventId": "e", "eventTime": "2026-11-26T09:00:00Z"},
                 "payload": {}}).encode(), "purchaseOrderId"),
    (json.dumps({"source": {"eventType": "PO_CREATED", "eventId": "e", "eventTime": "yesterday"},
                 "payload": {"purchaseOrderId": "1"}}).encode(), "eventTime"),
])
def test_malformed_bodies(body: bytes, reason: str) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_webhook(body, {})
    assert reason in caught.value.reason


# ------------------------------------------------------------------ tokens

def test_token_uses_basic_auth_and_is_cached_for_its_15_minutes(clock: FixedClock) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"access_token": f"tok-{len(seen)}", "token_type": "Bearer", "expires_in": 900})

    tokens = WalmartTokens(httpx.Client(transport=httpx.MockTransport(handler)), "https://wm.test", CLIENT_ID,
                           CLIENT_SECRET, clock)
    assert tokens.get() == tokens.get() == "tok-1"
    request = seen[0]
    assert request.url == "https://wm.test/v3/token" and request.content == b"grant_type=client_credentials"
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"wm-client:wm-secret").decode()
    assert request.headers["wm_svc.name"] and request.headers["wm_qos.correlation_id"]
    clock.advance(seconds=900 - 61)
    assert tokens.get() == "tok-1"
    clock.advance(seconds=1)
    assert tokens.get() == "tok-2"


def test_a_throttled_token_grant_waits_what_walmart_asked_then_succeeds(clock: FixedClock) -> None:
    answers = [httpx.Response(429, headers={"Retry-After": "2"}, json={"error": [{"code": "TOO_MANY"}]}),
               httpx.Response(200, json={"access_token": "tok-ok", "expires_in": 900})]
    ids: list[str] = []
    waits: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        ids.append(request.headers["wm_qos.correlation_id"])
        return answers.pop(0)

    tokens = WalmartTokens(httpx.Client(transport=httpx.MockTransport(handler)), "https://wm.test", CLIENT_ID,
                           CLIENT_SECRET, clock, sleep=waits.append)
    assert tokens.get() == "tok-ok"
    assert waits == [2.0] and len(set(ids)) == 2  # each try has its own correlation id


def test_a_refused_token_grant_is_not_resent_and_keeps_walmarts_code(clock: FixedClock) -> None:
    sent: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(1)
        return httpx.Response(401, json={"error": [{"code": "UNAUTHORIZED.GMP_GATEWAY_API", "description": "bad"}]})

    tokens = WalmartTokens(httpx.Client(transport=httpx.MockTransport(handler)), "https://wm.test", CLIENT_ID,
                           CLIENT_SECRET, clock, sleep=lambda s: None)
    with pytest.raises(WalmartApiError) as caught:
        tokens.get()
    assert sent == [1] and caught.value.status == 401 and not caught.value.retryable
    assert caught.value.api_code == "UNAUTHORIZED.GMP_GATEWAY_API"


# ------------------------------------------------------------------ the client against the simulator

@pytest.fixture
def sim(store: SandboxStore) -> Iterator[tuple[str, SimLog]]:
    log = SimLog()
    with BackgroundServer(simulator.create_app(store, log, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)) as server:
        yield server.url, log


@pytest.fixture
def client(sim: tuple[str, SimLog], store: SandboxStore, clock: FixedClock) -> Iterator[WalmartClient]:
    def customer_id(email: str) -> str | None:
        customer = store.find_customer("walmart", email)
        return customer.id if customer else None

    with httpx.Client(timeout=5) as http:
        yield WalmartClient(config_for(sim[0]), http, clock, customer_ids=customer_id,
                            product_ids=lambda sku: store.get_variant(sku)[0].id)


def walmart_order(store: SandboxStore, status: str, channel: str = "seller") -> Order:
    return next(o for o in store.find_orders(platform="walmart", status=status, limit=None)  # type: ignore[arg-type]
                if o.fulfillment_channel == channel)


def store_return(store: SandboxStore, return_id: str) -> Return:
    return next(r for r in store.list_records("returns") if isinstance(r, Return) and r.id == return_id)


def test_order_maps_back_to_the_store_record(client: WalmartClient, store: SandboxStore,
                                             sim: tuple[str, SimLog]) -> None:
    for status in ("delivered", "unshipped", "cancelled"):
        expected = walmart_order(store, status)
        order = client.get_order(expected.id)
        assert order.model_dump(exclude={"shipments", "cancelled_at", "gift"}) == expected.model_dump(
            exclude={"shipments", "cancelled_at", "gift"})
        moving = [s for s in expected.shipments if s.status != "label_created"]
        assert [(s.tracking_number, s.carrier, s.status, s.shipped_at, s.delivered_at, s.line_numbers)
                for s in order.shipments] == [(s.tracking_number, s.carrier, s.status, s.shipped_at, s.delivered_at,
                                               s.line_numbers) for s in moving]
    calls = sim[1].records("walmart", "api")
    assert [c.data["op"] for c in calls] == ["token", "getOrder", "getOrder", "getOrder"]  # one token for all


def test_unknown_and_malformed_purchase_orders(client: WalmartClient) -> None:
    with pytest.raises(NotFoundError):
        client.get_order("1000000000000")
    with pytest.raises(ValueError):
        client.get_order("#1001")


def test_list_orders_pages_and_filters_on_the_buyer(client: WalmartClient, store: SandboxStore) -> None:
    mine = walmart_order(store, "delivered")
    since, until = mine.created_at - timedelta(days=10), mine.created_at + timedelta(days=10)
    window = [o.id for o in store.find_orders(platform="walmart", limit=None) if since <= o.created_at <= until]
    assert len(window) > 20  # more than one page
    found = client.list_orders(created_start=since, created_end=until, max_orders=999, page_size=20)
    assert sorted(o.id for o in found) == sorted(window)
    relay = next(i.value for i in store.get_customer(mine.customer_id).identities if i.platform == "walmart")
    theirs = client.list_orders(created_start=since, created_end=until, customer_email=relay)
    assert mine.id in {o.id for o in theirs} and {o.customer_id for o in theirs} == {mine.customer_id}


def test_returns_map_back_to_the_store(client: WalmartClient, store: SandboxStore) -> None:
    expected = store_return(store, "R000012")
    [ret] = client.order_returns(expected.order_id)
    assert ret.model_dump(exclude={"status", "refund_id", "note"}) == expected.model_dump(
        exclude={"status", "refund_id", "note"})
    assert ret.status == "received"
    assert client.returns(return_order_id="R000013")[0].status == "refunded"
    relay = next(i.value for i in store.get_customer(expected.customer_id).identities if i.platform == "walmart")
    assert "R000012" in {r.id for r in client.returns(customer_email=relay)}


def test_a_refund_goes_through_with_negative_amounts(client: WalmartClient, store: SandboxStore,
                                                     sim: tuple[str, SimLog]) -> None:
    ret = store_return(store, "R000012")
    order = store.get_order(ret.order_id)
    line = order.line_for_sku("NF-CIS12")
    assert line is not None
    cap = line.unit_price + (order.tax * line.unit_price / order.subtotal).quantize(Decimal("0.01"))
    done = client.refund_return("R000012", cap, "received back in good condition")
    assert done.amount == cap and done.purchase_order_id == order.id and sum(done.lines.values()) == cap
    [refund] = [r for r in store.order_refunds(order.id) if r.return_id == "R000012"]
    assert refund.amount == cap and store_return(store, "R000012").status == "refunded"
    assert sim[1].records("walmart", "api")[-1].data["amount"] == str(cap)
    with pytest.raises(PreconditionFailed) as caught:  # the return now reads COMPLETED
        client.refund_return("R000012", Decimal("1.00"), "again")
    assert caught.value.code == "already_refunded"


@pytest.mark.parametrize(("amount", "code"), [
    (Decimal(0), "invalid_amount"), (Decimal(-5), "invalid_amount"), (Decimal("1.005"), "invalid_amount"),
    (Decimal(10000), "refund_exceeds_paid"),
])
def test_refunds_walmart_would_refuse_are_refused_before_the_call(client: WalmartClient, store: SandboxStore,
                                                                   sim: tuple[str, SimLog], amount: Decimal,
                                                                   code: str) -> None:
    before = store.content_hash()
    with pytest.raises(PreconditionFailed) as caught:
        client.refund_return("R000154", amount, "test")
    assert caught.value.code == code
    assert store.content_hash() == before
    assert "issueRefund" not in [r.data["op"] for r in sim[1].records("walmart", "api")]


def test_wfs_returns_are_view_only(client: WalmartClient, store: SandboxStore, sim: tuple[str, SimLog]) -> None:
    from tools.errors import PreconditionFailed as Refused
    from tools.models import ReturnItem
    ret = None
    for order in store.find_orders(platform="walmart", status="delivered", limit=None):
        if order.fulfillment_channel == "WFS":
            try:
                ret = store.create_return(order.id, [ReturnItem(sku=order.items[0].sku, quantity=1)], "defective")
                break
            except Refused:
                continue
    assert ret is not None
    with pytest.raises(PreconditionFailed) as caught:
        client.refund_return(ret.id, Decimal("1.00"), "defective")
    assert caught.value.code == "wfs_view_only"


# ------------------------------------------------------------------ errors and throttling (scripted transport)

def scripted(responses: list[httpx.Response], seen: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v3/token":
            return httpx.Response(200, json={"access_token": f"tok-{len(seen)}", "expires_in": 900})
        seen.append(request)
        return responses.pop(0)
    return httpx.MockTransport(handler)


def mocked(responses: list[httpx.Response], clock: FixedClock, slept: list[float]
           ) -> tuple[WalmartClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds=seconds)

    client = WalmartClient(config_for(), httpx.Client(transport=scripted(responses, seen)), clock, sleep=sleep)
    return client, seen


def order_body(store: SandboxStore) -> dict[str, Any]:
    return {"order": simulator.wm_order(store, walmart_order(store, "delivered"))}


def test_headers_and_a_throttled_read(store: SandboxStore, clock: FixedClock) -> None:
    slept: list[float] = []
    replenish = int((clock.now().timestamp() + 4) * 1000)
    responses = [httpx.Response(429, headers={"x-next-replenish-time": str(replenish)}),
                 httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200, json=order_body(store))]
    client, seen = mocked(responses, clock, slept)
    client.get_order(walmart_order(store, "delivered").id)
    assert slept == [pytest.approx(4.0), pytest.approx(2.0)]
    ids = {r.headers["wm_qos.correlation_id"] for r in seen}
    assert len(ids) == 3 and all(r.headers["wm_sec.access_token"] and r.headers["wm_svc.name"] == "Walmart Marketplace"
                                 and r.headers["accept"] == "application/json" for r in seen)


def test_an_expired_token_is_replaced_once(store: SandboxStore, clock: FixedClock) -> None:
    client, seen = mocked([httpx.Response(401, json={"errors": [{"code": "UNAUTHORIZED.GMP_GATEWAY_API"}]}),
                           httpx.Response(200, json=order_body(store))], clock, [])
    client.get_order(walmart_order(store, "delivered").id)
    assert seen[0].headers["wm_sec.access_token"] != seen[1].headers["wm_sec.access_token"]


@pytest.mark.parametrize(("status", "retryable"), [(429, True), (500, True), (502, True), (400, False), (404, False)])
def test_refund_errors_are_typed_and_never_retried(store: SandboxStore, clock: FixedClock, status: int,
                                                   retryable: bool) -> None:
    ret = store_return(store, "R000154")
    returns = {"meta": {"nextCursor": None}, "returnOrders": [simulator.wm_return(store, ret)]}
    order = {"order": simulator.wm_order(store, store.get_order(ret.order_id))}
    error = {"errors": [{"code": "INVALID_REQUEST_CONTENT.GMP_RETURNS_API", "description": "no"}]}
    client, seen = mocked([httpx.Response(200, json=returns), httpx.Response(200, json=order),
                           httpx.Response(status, json=error, headers={"Retry-After": "30"})], clock, [])
    with pytest.raises(WalmartApiError) as caught:
        client.refund_return("R000154", Decimal("5.00"), "partial")
    assert caught.value.retryable is retryable and caught.value.status == status
    assert [r.method for r in seen] == ["GET", "GET", "POST"]
    line = json.loads(seen[-1].content)["refundLines"][0]
    charge = line["refundCharges"][0]
    assert charge["chargeAmount"]["currencyAmount"] < 0 and charge["tax"][0]["taxAmount"]["currencyAmount"] <= 0
    assert -(charge["chargeAmount"]["currencyAmount"] + charge["tax"][0]["taxAmount"]["currencyAmount"]) == 5.0


def test_the_cap_subtracts_a_restocking_fee(store: SandboxStore, clock: FixedClock) -> None:
    ret = store_return(store, "R000154")
    raw = simulator.wm_return(store, ret)
    line = raw["returnOrderLines"][0]
    price = Decimal(str(line["charges"][0]["chargePerUnit"]["currencyAmount"]))
    tax = Decimal(str(line["charges"][0]["tax"][0]["taxPerUnit"]["currencyAmount"]))
    line["charges"].append({"chargeCategory": "FEE", "chargeName": "Restocking Fee",
                            "chargePerUnit": {"currencyAmount": 10.0, "currencyUnit": "USD"}})
    order = {"order": simulator.wm_order(store, store.get_order(ret.order_id))}
    client, _ = mocked([httpx.Response(200, json={"returnOrders": [raw]}), httpx.Response(200, json=order)], clock, [])
    with pytest.raises(PreconditionFailed) as caught:
        client.refund_return("R000154", price + tax - 10 + Decimal("0.01"), "over")
    assert caught.value.details["remaining"] == str(price + tax - 10)


# ------------------------------------------------------------------ round trip: simulator -> webhook -> client

@pytest.mark.parametrize("mode", ["basic", "hmac", "oauth"])
def test_round_trip_from_an_order_event_to_the_order(mode: str, store: SandboxStore, client: WalmartClient,
                                                     sim: tuple[str, SimLog]) -> None:
    received: list[ContextEvent] = []
    config = config_for(auth=mode)
    app = FastAPI()

    @app.post("/webhooks/walmart")
    async def hook(request: Request) -> JSONResponse:
        body = await request.body()
        try:
            verify_webhook(body, request.headers, config)
        except SignatureError as exc:
            return JSONResponse({"reason": exc.reason}, status_code=401)
        received.extend(e for e in parse_webhook(body, request.headers) if isinstance(e, ContextEvent))
        return JSONResponse({"ok": True})

    order = walmart_order(store, "unshipped")
    with BackgroundServer(app) as shopdesk, httpx.Client(timeout=5) as http:
        driver = simulator.WalmartSimulator(store, sim[1], f"{shopdesk.url}/webhooks/walmart", auth=mode,
                                            secret=SECRETS[mode], http=http)
        created = driver.send_order_event(order.id, "PO_CREATED")
        cancelled = driver.send_order_event(order.id, "PO_LINE_AUTOCANCELLED")
        forged = simulator.WalmartSimulator(store, sim[1], f"{shopdesk.url}/webhooks/walmart", auth=mode,
                                            secret="walmart-user:nope", http=http)
        forged.send_order_event(order.id, "PO_CREATED")
    assert [(e.delivery_id, e.topic, e.order_id) for e in received] == [
        (created, "PO_CREATED", order.id), (cancelled, "PO_LINE_AUTOCANCELLED", order.id)]
    assert received[1].data["lineNumbers"] == ",".join(str(i.line_number) for i in order.items)
    assert [r.data["status"] for r in sim[1].records("walmart", "delivery")] == [200, 200, 401]
    assert client.get_order(received[0].order_id or "").platform_status == "Acknowledged"
