"""The webhook endpoints on a real server on loopback: verify, persist, answer; every platform's failure paths.

Signed deliveries are produced by the simulators' own signers (independent of the verify code), captured,
then replayed against shopdesk as they are, tampered with, without their signature, twice, or malformed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from channels.serving import BackgroundServer
from channels.simulators import ebay as ebay_sim
from channels.simulators import meta as meta_sim
from channels.simulators import shopify as shopify_sim
from channels.simulators import tiktok as tiktok_sim
from channels.simulators import walmart as walmart_sim
from channels.simulators.log import SimLog
from runtime.webhooks import UNAUTHORIZED
from shopdesk.server import build_app
from shopdesk.service import Service
from shopdesk.settings import Settings
from tools.models import PLATFORMS

from recording import RecordingSender

SIGNATURE_HEADERS = {"shopify": "X-Shopify-Hmac-Sha256", "tiktok": "Authorization", "meta": "X-Hub-Signature-256",
                     "ebay": "X-EBAY-SIGNATURE", "walmart": "Authorization"}


@dataclass
class Captured:
    body: bytes
    headers: dict[str, str]


class Capture:
    """An httpx client for the simulators' drivers that keeps the request instead of sending it."""

    def __init__(self) -> None:
        self.requests: list[Captured] = []
        self.client = httpx.Client(transport=httpx.MockTransport(self._handle))

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(Captured(request.content, {k: v for k, v in request.headers.items()
                                                        if k.lower() not in ("content-length", "host")}))
        return httpx.Response(200, json={"ok": True})

    def last(self) -> Captured:
        return self.requests[-1]


@pytest.fixture
def env(service_settings: Settings) -> Iterator[dict]:  # type: ignore[type-arg]
    log, key = SimLog(), ebay_sim.generate_signing_key()
    from tools.sandbox.store import SandboxStore

    with SandboxStore(service_settings.store_path) as sim_store, \
            BackgroundServer(ebay_sim.create_app(sim_store, log, access_token="ebay-token", signing_key=key)) as ebay_api:
        settings = Settings(**{**service_settings.model_dump(), "_env_file": None,  # type: ignore[arg-type]
            "shopify_webhook_secret": "shp-secret", "tiktok_app_key": "tt-key", "tiktok_app_secret": "tt-secret",
            "meta_app_secret": "meta-secret", "meta_verify_token": "meta-verify", "walmart_webhook_auth": "basic",
            "walmart_webhook_secret": "walmart:wm-pass", "ebay_api_url": ebay_api.url,
            "ebay_verification_token": "ebay-verify-token-0123456789abcdef", "ebay_seller_username": ebay_sim.SELLER,
            "health_token": "health-token-0123456789"})
        sender = RecordingSender()
        with Service(settings, senders={p: sender for p in PLATFORMS}, start_threads=False) as service, \
                BackgroundServer(build_app(service)) as server:
            capture = Capture()
            store = service.runtime.context.backend
            drivers = {
                "shopify": shopify_sim.ShopifySimulator(store, log, "http://capture/hook", webhook_secret="shp-secret", http=capture.client),
                "tiktok": tiktok_sim.TikTokSimulator(store, log, "http://capture/hook", app_key="tt-key", app_secret="tt-secret",
                                                     http=capture.client),
                "meta": meta_sim.MetaSimulator(store, log, "http://capture/hook", app_secret="meta-secret", page_id="1001", ig_id="2002",
                                               http=capture.client),
                "ebay": ebay_sim.EbaySimulator(store, log, "http://capture/hook", signing_key=key, http=capture.client),
                "walmart": walmart_sim.WalmartSimulator(store, log, "http://capture/hook", auth="basic", secret="walmart:wm-pass",
                                                        http=capture.client),
            }
            with httpx.Client(base_url=server.url, timeout=10) as client:
                yield {"service": service, "capture": capture, "drivers": drivers, "client": client, "store": store}


def _customer(store, platform: str) -> str:  # type: ignore[no-untyped-def]
    return next(c.id for c in store.list_customers() if c.identity_on(platform))


def _deliver(env: dict, platform: str) -> Captured:  # type: ignore[type-arg]
    """Have the platform's simulator produce one signed customer message (or order event) and capture it."""
    d, store = env["drivers"], env["store"]
    if platform == "shopify":
        d["shopify"].send_order_event(store.find_orders(platform="shopify", limit=1)[0].id, "orders/updated")
    elif platform == "walmart":
        d["walmart"].send_order_event(store.find_orders(platform="walmart", limit=1)[0].id, "PO_CREATED")
    elif platform == "meta":
        d["meta"].customer_writes(_customer(store, "facebook"), "how long do refunds take?", platform="facebook")
    else:
        d[platform].customer_writes(_customer(store, platform), "how long do refunds take?")
    return env["capture"].last()


MESSAGE_PLATFORMS = ["tiktok", "meta", "ebay"]
ALL = ["shopify", "tiktok", "meta", "ebay", "walmart"]


@pytest.mark.parametrize("platform", ALL)
def test_a_signed_delivery_is_stored_once_and_acknowledged(env: dict, platform: str) -> None:  # type: ignore[type-arg]
    delivery = _deliver(env, platform)
    first = env["client"].post(f"/webhooks/{platform}", content=delivery.body, headers=delivery.headers)
    assert first.status_code == 200, first.text
    again = env["client"].post(f"/webhooks/{platform}", content=delivery.body, headers=delivery.headers)
    assert again.status_code == 200
    service = env["service"]
    if platform in MESSAGE_PLATFORMS:
        assert first.json()["accepted"] == 1 and again.json()["duplicates"] == 1
        assert len(service.inbox.items()) == 1 and len(service.conversations.list()) == 1
    else:  # order events update the context, never the inbox
        assert first.json()["context_events"] == 1 and again.json()["context_events"] == 0
        assert service.inbox.items() == []


@pytest.mark.parametrize("platform", ALL)
def test_a_tampered_body_is_refused_and_nothing_is_stored(env: dict, platform: str) -> None:  # type: ignore[type-arg]
    delivery = _deliver(env, platform)
    tampered = delivery.body.replace(b"refunds", b"REFUNDS") if b"refunds" in delivery.body else delivery.body + b" "
    response = env["client"].post(f"/webhooks/{platform}", content=tampered, headers=delivery.headers)
    if platform == "walmart":  # Basic auth does not sign the body (the seller chose that mode)
        assert response.status_code in (200, 400)
        return
    assert response.status_code == 401 and response.json() == UNAUTHORIZED  # the reason is not told to the sender
    assert env["service"].inbox.items() == []
    audit = env["service"].conversations.audit_log()
    assert audit[0].action == "rejected_signature" and audit[0].detail["reason"] == "mismatch"
    assert "body" not in audit[0].detail  # unverified bodies are not kept


@pytest.mark.parametrize("platform", ALL)
def test_a_missing_signature_is_refused(env: dict, platform: str) -> None:  # type: ignore[type-arg]
    delivery = _deliver(env, platform)
    header = SIGNATURE_HEADERS[platform].lower()
    headers = {k: v for k, v in delivery.headers.items() if k.lower() != header}
    response = env["client"].post(f"/webhooks/{platform}", content=delivery.body, headers=headers)
    assert response.status_code == 401 and response.json() == UNAUTHORIZED
    assert env["service"].conversations.audit_log()[0].detail["reason"] == "missing"
    assert env["service"].inbox.items() == []


def test_wrong_walmart_credentials_are_refused(env: dict) -> None:  # type: ignore[type-arg]
    delivery = _deliver(env, "walmart")
    headers = {**delivery.headers, "authorization": "Basic d2FsbWFydDp3cm9uZw=="}  # walmart:wrong
    assert env["client"].post("/webhooks/walmart", content=delivery.body, headers=headers).status_code == 401


def test_a_forged_ebay_signature_from_another_key_is_refused(env: dict) -> None:  # type: ignore[type-arg]
    delivery = _deliver(env, "ebay")
    forger = ebay_sim.EbaySimulator(env["store"], SimLog(), "http://capture/hook", signing_key=ebay_sim.generate_signing_key(),
                                    http=env["capture"].client)
    headers = {**delivery.headers, "x-ebay-signature": forger.sign(delivery.body)}
    response = env["client"].post("/webhooks/ebay", content=delivery.body, headers=headers)
    assert response.status_code == 401 and response.json() == UNAUTHORIZED
    assert env["service"].conversations.audit_log()[0].detail["reason"] == "mismatch"


@pytest.mark.parametrize("platform", ["shopify", "tiktok", "meta"])
def test_a_signed_but_malformed_body_is_400_with_a_reason_and_kept(env: dict, platform: str) -> None:  # type: ignore[type-arg]
    import base64
    import hashlib
    import hmac

    body = b'{"not": "what we expect"'
    if platform == "shopify":
        headers = {"X-Shopify-Topic": "orders/updated", "X-Shopify-Webhook-Id": "w1",
                   "X-Shopify-Hmac-Sha256": base64.b64encode(hmac.new(b"shp-secret", body, hashlib.sha256).digest()).decode()}
    elif platform == "tiktok":
        headers = {"Authorization": hmac.new(b"tt-secret", b"tt-key" + body, hashlib.sha256).hexdigest()}
    else:
        headers = {"X-Hub-Signature-256": "sha256=" + hmac.new(b"meta-secret", body, hashlib.sha256).hexdigest()}
    response = env["client"].post(f"/webhooks/{platform}", content=body, headers=headers)
    assert response.status_code == 400 and response.json()["reason"]
    audit = env["service"].conversations.audit_log()[0]
    assert audit.action == "rejected_payload" and audit.detail["body"] == body.decode()


def test_an_unknown_event_is_acknowledged_and_ignored(env: dict) -> None:  # type: ignore[type-arg]
    import hashlib
    import hmac

    body = json.dumps({"object": "page", "entry": [{"id": "1001", "time": 1, "changes": [{"field": "feed"}]}]}).encode()
    headers = {"X-Hub-Signature-256": "sha256=" + hmac.new(b"meta-secret", body, hashlib.sha256).hexdigest()}
    response = env["client"].post("/webhooks/meta", content=body, headers=headers)
    assert response.status_code == 200 and response.json()["ignored"] is True
    assert env["service"].inbox.items() == []


def test_meta_handshake(env: dict) -> None:  # type: ignore[type-arg]
    ok = env["client"].get("/webhooks/meta", params={"hub.mode": "subscribe", "hub.verify_token": "meta-verify",
                                                     "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.text == "1158201444"
    bad = env["client"].get("/webhooks/meta", params={"hub.mode": "subscribe", "hub.verify_token": "nope",
                                                      "hub.challenge": "1"})
    assert bad.status_code == 403


def test_ebay_endpoint_challenge(env: dict) -> None:  # type: ignore[type-arg]
    import hashlib

    response = env["client"].get("/webhooks/ebay", params={"challenge_code": "abc123"})
    endpoint = f"{env['client'].base_url}".rstrip("/") + "/webhooks/ebay"
    expected = hashlib.sha256(("abc123" + "ebay-verify-token-0123456789abcdef" + endpoint).encode()).hexdigest()
    assert response.status_code == 200 and response.json() == {"challengeResponse": expected}


def test_health(env: dict) -> None:  # type: ignore[type-arg]
    delivery = _deliver(env, "tiktok")
    env["client"].post("/webhooks/tiktok", content=delivery.body, headers=delivery.headers)
    assert env["client"].get("/health").json() == {"status": "ok"}  # public: nothing about the deployment
    body = env["client"].get("/health/details", headers={"Authorization": "Bearer health-token-0123456789"}).json()
    assert body["status"] == "ok" and body["workers"] == 2
    assert body["inbox"] == {"queued": 1} and body["outbox"] == {} and "tiktok" in body["channels"]
