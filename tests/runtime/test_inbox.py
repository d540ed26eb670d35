"""The durable inbox: dedupe, per-conversation order, leases that survive a dead worker, dead letters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.schemas import InboundMessage
from runtime.inbox import Inbox

T0 = datetime(2026, 11, 26, 9, tzinfo=UTC)


def message(text: str, platform: str = "tiktok", at: datetime = T0) -> InboundMessage:
    return InboundMessage(platform=platform, customer_identity="7123456789012345678", text=text, received_at=at)  # type: ignore[arg-type]


@pytest.fixture
def inbox(tmp_path: Path) -> Inbox:
    box = Inbox(tmp_path / "app.db", max_attempts=3, base_delay_s=10)
    yield box
    box.close()


def test_a_retried_delivery_is_stored_once(inbox: Inbox) -> None:
    first, created = inbox.put(message("where is my order"), delivery_id="msg-1", conversation_key="tt:c1")
    again, created_again = inbox.put(message("where is my order"), delivery_id="msg-1", conversation_key="tt:c1")
    assert created and not created_again and again.id == first.id
    other_platform, created_other = inbox.put(message("hi", platform="shopify"), delivery_id="msg-1",
                                              conversation_key="sh:c1")
    assert created_other and other_platform.id != first.id
    assert len(inbox.items()) == 2


def test_one_conversation_in_order_others_in_parallel(inbox: Inbox) -> None:
    a1, _ = inbox.put(message("first"), delivery_id="a1", conversation_key="conv-a")
    a2, _ = inbox.put(message("second"), delivery_id="a2", conversation_key="conv-a")
    b1, _ = inbox.put(message("other customer"), delivery_id="b1", conversation_key="conv-b")
    w1 = inbox.claim("w1", T0)
    w2 = inbox.claim("w2", T0)
    assert (w1.id, w2.id) == (a1.id, b1.id)  # a2 waits for a1 even though w2 is free
    assert inbox.claim("w3", T0) is None
    inbox.complete(a1.id, "w1")
    assert inbox.claim("w3", T0).id == a2.id


def test_a_dead_workers_claim_expires_and_is_taken_again(inbox: Inbox) -> None:
    item, _ = inbox.put(message("hello"), delivery_id="d1", conversation_key="c")
    assert inbox.claim("w1", T0, lease_s=60).id == item.id
    assert inbox.claim("w2", T0 + timedelta(seconds=30)) is None  # still leased
    again = inbox.claim("w2", T0 + timedelta(seconds=61))
    assert again.id == item.id and again.claimed_by == "w2" and again.attempts == 2
    inbox.complete(item.id, "w1")  # the dead worker waking up cannot complete someone else's claim
    assert inbox.items("claimed")[0].claimed_by == "w2"


def test_failures_back_off_then_become_visible_dead_letters(inbox: Inbox) -> None:
    item, _ = inbox.put(message("hello"), delivery_id="f1", conversation_key="c")
    now = T0
    for attempt in (1, 2):
        claimed = inbox.claim("w", now)
        failed = inbox.fail(claimed.id, "w", "LLM timed out", now)
        assert failed.status == "queued" and failed.available_at == now + timedelta(seconds=10 * 2 ** (attempt - 1))
        assert inbox.claim("w", now) is None  # not before the backoff
        now = failed.available_at
    claimed = inbox.claim("w", now)
    dead = inbox.fail(claimed.id, "w", "LLM timed out", now)
    assert dead.status == "dead" and dead.last_error == "LLM timed out" and dead.attempts == 3
    assert inbox.items("dead")[0].message.text == "hello" and inbox.claim("w", now + timedelta(days=1)) is None
