"""Issue 18 item 6: webhook bodies had no size limit (20 MB bodies were read whole, then answered 401).

Each endpoint now has a cap (`webhook_max_body_bytes`): a larger declared Content-Length answers 413 before a
byte of the body is read, a chunked body stops at the first chunk past the cap, and only a few large bodies
are read at the same time (others wait, then 503) while small deliveries go on.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest

from shopdesk.settings import Settings

from webhook_env import PLATFORMS_WITH_WEBHOOKS, Stack, read_status, templates, webhook_stack

CAP = 16_384
CAPS = dict.fromkeys(PLATFORMS_WITH_WEBHOOKS, CAP)


@pytest.fixture
def stack(service_settings: Settings) -> Iterator[Stack]:
    with webhook_stack(service_settings, webhook_max_body_bytes=CAPS, webhook_large_body_bytes=4096,
                       webhook_large_body_slots=1, webhook_slot_wait_s=0.3) as s:
        yield s


def head(platform: str, *, length: int | None = None) -> bytes:
    framing = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    return (f"POST /webhooks/{platform} HTTP/1.1\r\nHost: shopdesk\r\nContent-Type: application/json\r\n"
            f"{framing}\r\n\r\n").encode()


@pytest.mark.parametrize("platform", PLATFORMS_WITH_WEBHOOKS)
def test_a_20_mb_declared_body_is_refused_before_it_is_read(stack: Stack, platform: str) -> None:
    with stack.connect(timeout_s=3) as sock:
        sock.sendall(head(platform, length=20_000_000) + b"{" + b" " * 1000)  # the other 20 MB never come
        assert read_status(sock) == 413  # before: the server waited for the whole body
    row = stack.service.conversations.audit_log()[0]
    assert row.action == "rejected_size" and row.detail["limit"] == CAP and "body" not in row.detail


@pytest.mark.parametrize("platform", ["meta", "ebay"])
def test_a_chunked_body_stops_at_the_cap(stack: Stack, platform: str) -> None:
    chunk = b" " * 4096
    with stack.connect(timeout_s=3) as sock:
        sock.sendall(head(platform))
        for _ in range(CAP // len(chunk) + 2):  # just past the cap, then nothing more
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        assert read_status(sock) == 413
    assert stack.stored()["inbox"] == 0


@pytest.mark.parametrize("platform", PLATFORMS_WITH_WEBHOOKS)
def test_a_signed_body_at_the_cap_is_accepted_and_one_byte_more_is_413(stack: Stack, platform: str) -> None:
    payload = json.dumps(templates()[platform]).encode()
    at_cap = payload + b" " * (CAP - len(payload))
    ok = stack.post(platform, at_cap)
    assert ok.status_code == 200, ok.text
    over = stack.post(platform, at_cap + b" ")
    assert over.status_code == 413 and over.json()["limit_bytes"] == CAP


def test_large_bodies_are_read_a_few_at_a_time_small_ones_are_not_held_up(stack: Stack) -> None:
    with stack.connect(timeout_s=3) as slow:
        slow.sendall(head("tiktok", length=10_000) + b"{" + b" " * 5000)  # holds the only large-body slot
        time.sleep(0.2)
        started = time.monotonic()
        second = stack.post("meta", b"{" + b" " * 8000 + b"}", sign=False)
        assert second.status_code == 503 and second.headers["retry-after"]
        assert time.monotonic() - started < 2.0
        small = stack.post("meta", b"{}", sign=False)
        assert small.status_code == 401  # small deliveries are not held up
        slow.sendall(b" " * (10_000 - 5001))
        assert read_status(slow) == 401  # the slow one is answered when its body is complete
    again = stack.post("meta", b"{" + b" " * 8000 + b"}", sign=False)
    assert again.status_code == 401  # the slot was given back


def test_no_slot_is_lost_when_large_bodies_are_refused(stack: Stack) -> None:
    for _ in range(5):
        with stack.connect(timeout_s=3) as sock:
            sock.sendall(head("tiktok", length=10_000) + b"{")
            sock.shutdown(socket.SHUT_WR)  # the client gives up mid-body
            try:
                sock.recv(100)
            except OSError:
                pass
    assert stack.post("meta", b"{" + b" " * 8000 + b"}", sign=False).status_code == 401
