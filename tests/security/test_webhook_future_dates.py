"""Issue 18 item 5: a future-dated signed message parked its conversation.

A TikTok `create_time` ten years ahead became the inbox item's `available_at`, and every later message of that
conversation waited behind it. Platform times are now clamped to the arrival time (as the email path clamps
`Date:`), and the queue is ordered by arrival, never by a sender's clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from shopdesk.settings import Settings

from webhook_env import Stack, templates, webhook_stack


@pytest.fixture
def stack(service_settings: Settings) -> Iterator[Stack]:
    with webhook_stack(service_settings) as s:
        yield s


def unix(at: datetime) -> int:
    return int(at.timestamp())


@pytest.mark.parametrize("platform", ["tiktok", "meta", "ebay"])
def test_a_future_dated_message_does_not_park_its_conversation(stack: Stack, platform: str) -> None:
    now = stack.service.clock.now()
    future, past = now + timedelta(days=3650), now - timedelta(minutes=5)
    first = templates("first, from the future", unix_s=unix(future), iso=future.isoformat(), message_id="m-1")
    second = templates("second, on time", unix_s=unix(past), iso=past.isoformat(), message_id="m-2")
    for payload in (first, second):
        response = stack.post(platform, json.dumps(payload[platform]).encode())
        assert response.status_code == 200 and response.json()["accepted"] == 1, response.text

    inbox = stack.service.inbox
    items = inbox.items()
    assert [i.message.received_at for i in items] == [now, past]  # clamped to arrival; the other kept
    assert all(i.available_at <= now for i in items)
    claimed = inbox.claim("w1", now)
    assert claimed is not None and claimed.message.text == "first, from the future"
    assert inbox.claim("w2", now) is None  # one message of a conversation at a time, in arrival order
    inbox.complete(claimed.id, "w1")
    after = inbox.claim("w1", now)
    assert after is not None and after.message.text == "second, on time"

    [conversation] = stack.service.conversations.list()
    assert conversation.last_message_at is not None and conversation.last_message_at <= now
    if platform == "meta":  # the 24-hour window is counted from the clamped time, not from 2036
        assert datetime.fromisoformat(claimed.channel["reply_route"]["customer_at"]) == now


def test_a_future_dated_order_event_is_clamped(stack: Stack) -> None:
    now = stack.service.clock.now()
    payload = templates()["walmart"]
    payload["source"]["eventTime"] = (now + timedelta(days=3650)).isoformat()
    assert stack.post("walmart", json.dumps(payload).encode()).status_code == 200
    [event] = stack.service.conversations.order_events(["1089000000001"])
    assert datetime.fromisoformat(str(event["received_at"])) <= now
