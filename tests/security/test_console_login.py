"""Issue 18 item 8: console sign-in is throttled, hashes off the event loop, costs the same for unknown names,
and its sessions end (idle and absolute) with Lax cookies. Time moves on an injected clock, never by sleeping."""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from shopdesk import console_service
from shopdesk.console_service import ConsoleService
from shopdesk.login_throttle import LoginThrottle
from shopdesk.server import build_app
from shopdesk.service import Service
from shopdesk.settings import Settings
from ui.app import mount_console
from ui.auth import authenticator

pytestmark = pytest.mark.filterwarnings("ignore:.*no_silent_downcasting", "ignore:The copy keyword is deprecated")


class Clock:
    """Monotonic seconds that only move when a test says so."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def console(service_settings: Settings) -> Iterator[ConsoleService]:
    settings = service_settings.model_copy(update={"console_users": "ana:pw1,bo:pw2:admin"})
    with Service(settings, senders={}, start_threads=False) as svc:
        yield ConsoleService(svc)


@pytest.fixture
def site(console: ConsoleService) -> Iterator[tuple[TestClient, Clock]]:
    clock = Clock()
    app = mount_console(build_app(console.service), console, clock=clock)
    with TestClient(app) as client:
        yield client, clock


def login(client: TestClient, name: str, password: str) -> int:
    return client.post("/login", data={"username": name, "password": password}).status_code


def test_forty_wrong_passwords_lock_the_name_and_the_right_one_still_fails(site: tuple[TestClient, Clock]) -> None:
    client, clock = site
    codes = [login(client, "ana", f"guess-{i}") for i in range(40)]
    assert codes[:5] == [400] * 5 and set(codes[5:]) == {429}  # 5 free tries, then refused without checking
    refused = client.post("/login", data={"username": "ana", "password": "pw1"})
    assert refused.status_code == 429 and 0 < int(refused.headers["retry-after"]) <= 30
    assert client.get("/config").status_code == 401
    clock.now += 31  # the first lockout is over; one more miss doubles it
    assert login(client, "ana", "wrong-again") == 400
    clock.now += 59
    assert login(client, "ana", "pw1") == 429
    clock.now += 2
    assert login(client, "ana", "pw1") == 200 and client.get("/config").status_code == 200


def test_one_address_spraying_names_is_locked_too(console: ConsoleService, site: tuple[TestClient, Clock]) -> None:
    client, _ = site
    assert [login(client, f"user{i}", "pw1") for i in range(20)] == [400] * 20
    assert login(client, "ana", "pw1") == 429  # this address is out of attempts, even with the right password
    with TestClient(client.app, client=("10.0.0.2", 4242)) as elsewhere:
        assert login(elsewhere, "ana", "pw1") == 200  # ana's own record is clean


def test_concurrent_attempts_get_no_more_guesses_than_sequential_ones() -> None:
    throttle = LoginThrottle(clock=Clock())
    started = [throttle.begin("ana", "1.2.3.4") for _ in range(96)]
    assert started[:5] == [None] * 5 and all(wait is not None for wait in started[5:])
    for _ in range(5):
        throttle.finish("ana", "1.2.3.4", ok=False)
    assert throttle.begin("ana", "1.2.3.4") == 30


def test_password_hashing_runs_in_a_worker_thread_not_on_the_event_loop(
        console: ConsoleService, monkeypatch: pytest.MonkeyPatch) -> None:
    check = authenticator(console)
    assert inspect.iscoroutinefunction(check)  # Gradio awaits it; a plain function would run on the loop
    gate, hashed_on = threading.Event(), []
    real = console.users.authenticate

    def slow(name: str, password: str):  # type: ignore[no-untyped-def]
        hashed_on.append(threading.current_thread().name)
        gate.wait(10)
        return real(name, password)

    monkeypatch.setattr(console.users, "authenticate", slow)

    async def main() -> tuple[bool, str]:
        attempt = asyncio.ensure_future(check("ana", "pw1"))
        for _ in range(200):  # the loop keeps serving other work while the hash runs
            await asyncio.sleep(0.005)
            if hashed_on:
                break
        assert not attempt.done()
        gate.set()
        return await attempt, threading.current_thread().name

    ok, loop_thread = asyncio.run(main())
    assert ok and hashed_on and hashed_on[0] != loop_thread and hashed_on[0].startswith("console-login")


def test_an_unknown_name_costs_the_same_hash_as_a_known_one(monkeypatch: pytest.MonkeyPatch) -> None:
    users = console_service.UserDirectory("ana:pw1")
    calls: list[str] = []
    real = console_service.hash_password
    monkeypatch.setattr(console_service, "hash_password", lambda pw, salt: calls.append("hash") or real(pw, salt))
    assert users.authenticate("zed", "pw1") is None and calls == ["hash"]
    assert users.authenticate("ana", "wrong") is None and calls == ["hash", "hash"]
    assert users.authenticate("ana", "pw1") is not None and len(calls) == 3


def test_failed_sign_ins_are_logged_without_the_password(site: tuple[TestClient, Clock],
                                                         caplog: pytest.LogCaptureFixture) -> None:
    client, _ = site
    with caplog.at_level(logging.WARNING, logger="shopdesk.console.auth"):
        assert login(client, "ana", "hunter2-secret") == 400
    assert "'ana'" in caplog.text and "testclient" in caplog.text and "hunter2" not in caplog.text


def test_a_session_ends_after_idling_and_after_its_absolute_lifetime(site: tuple[TestClient, Clock]) -> None:
    client, clock = site
    assert login(client, "ana", "pw1") == 200
    for _ in range(2):
        clock.now += 29 * 60  # used within the idle limit: still signed in
        assert client.get("/config").status_code == 200
    clock.now += 31 * 60
    assert client.get("/config").status_code == 401  # idle 31 minutes: signed out
    assert '"auth_required":true' in client.get("/").text.replace(" ", "")

    assert login(client, "ana", "pw1") == 200
    for _ in range(12 * 3 - 1):  # busy all day, a request every 20 minutes
        clock.now += 20 * 60
        assert client.get("/config").status_code == 200
    clock.now += 20 * 60
    assert client.get("/config").status_code == 401  # 12 hours after sign-in, busy or not


def test_login_cookies_are_lax_and_expire(site: tuple[TestClient, Clock]) -> None:
    client, _ = site
    response = client.post("/login", data={"username": "ana", "password": "pw1"})
    cookies = response.headers.get_list("set-cookie")
    assert response.status_code == 200 and len(cookies) == 2
    for cookie in cookies:
        assert "SameSite=Lax" in cookie and "Max-Age=43200" in cookie and "samesite=none" not in cookie.lower()
        assert "HttpOnly" in cookie
