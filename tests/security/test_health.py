"""Issue 18 item 10: the public /health says only "ok"; queue counts, workers and channels need the bearer token
(SHOPDESK_HEALTH_TOKEN); the OpenAPI schema and docs are off unless SHOPDESK_API_DOCS=true."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from shopdesk.server import build_app
from shopdesk.service import Service
from shopdesk.settings import Settings
from tools.models import PLATFORMS

from recording import RecordingSender

TOKEN = "health-token-for-tests-0123456789"
DOC_PATHS = ("/api/docs", "/api/openapi.json", "/docs", "/openapi.json", "/redoc")


def _client(settings: Settings) -> Iterator[TestClient]:
    sender = RecordingSender()
    with Service(settings, senders={p: sender for p in PLATFORMS}, start_threads=False) as svc, \
            TestClient(build_app(svc)) as client:
        yield client


@pytest.fixture
def client(service_settings: Settings) -> Iterator[TestClient]:
    yield from _client(service_settings.model_copy(update={"health_token": SecretStr(TOKEN)}))


def test_public_health_is_a_bare_liveness_answer(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_details_need_the_bearer_token(client: TestClient) -> None:
    assert client.get("/health/details").status_code == 401
    assert client.get("/health/details", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/health/details", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    details = client.get("/health/details", headers={"Authorization": f"Bearer {TOKEN}"})
    assert details.status_code == 200
    body = details.json()
    assert body["status"] == "ok" and body["inbox"] == {} and body["workers"] == 2
    assert body["channels"] == sorted(PLATFORMS)


def test_without_a_token_there_are_no_details(service_settings: Settings) -> None:
    for client in _client(service_settings):
        assert client.get("/health/details", headers={"Authorization": "Bearer "}).status_code == 404


def test_api_docs_are_off_by_default_and_on_when_asked(client: TestClient, service_settings: Settings) -> None:
    assert [client.get(path).status_code for path in DOC_PATHS] == [404] * len(DOC_PATHS)
    for dev in _client(service_settings.model_copy(update={"api_docs": True})):
        assert dev.get("/api/docs").status_code == 200 and dev.get("/api/openapi.json").status_code == 200
