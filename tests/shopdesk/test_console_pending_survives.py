"""Issue 20 through the console service: a refund waiting for approval survives the customer's next message
(still shown, approvable, counted in the conversation's urgency and intent), the reply answers both messages,
a dropped write is audited, and a person's "keep pending" reply stops the reply clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from channels.base import ChannelMessage
from shopdesk.console_service import ConsoleService
from shopdesk.settings import Settings

from service_env import recording_console
from testdata import ANCHOR
from tests.shopdesk.test_console_review_actions import ADMIN, INTERIM, _audit, _pending_refund, _sent, _store

LIDS = "also, do you sell replacement lids?"


@pytest.fixture
def console(service_settings: Settings) -> Iterator[ConsoleService]:
    with recording_console(service_settings) as console:
        yield console


def _write_again(console: ConsoleService, key: str, text: str, minutes: int) -> None:
    relay = key.split(":", 1)[1]
    console.service.intake.accept([ChannelMessage(
        platform="amazon", delivery_id=f"{key}-{minutes}", conversation_key=key, customer_identity=relay, text=text,
        received_at=ANCHOR.replace(hour=8) + timedelta(minutes=minutes), reply_route={"to": relay})])
    console.service.drain()


def test_a_new_message_keeps_the_pending_refund_its_urgency_and_intent(console: ConsoleService) -> None:
    key, order = _pending_refund(console)
    before = console.conversation(key)
    _write_again(console, key, LIDS, 5)
    view = console.conversation(key)
    assert view.row.status == "needs_approval" and view.awaiting_review
    assert view.pending_action == before.pending_action  # still shown, still approvable
    assert view.row.intent == before.row.intent and view.row.urgency == before.row.urgency
    assert view.row.deadline == before.row.deadline  # the oldest unanswered message's clock
    earlier = (before.draft or "").split("\n\n")[1]
    assert earlier in (view.draft or "") and view.draft != before.draft  # one reply for both messages
    assert _sent(console) == [] and _store(console).order_refunds(order.id) == []
    assert "pending_dropped" not in [a for a, _ in _audit(console, key)]
    lids = [p for p in (view.draft or "").split("\n\n") if p not in (before.draft or "").split("\n\n")]
    console.approve_action(key, ADMIN)
    console.service.drain()
    assert len(_store(console).order_refunds(order.id)) == 1
    assert len(_sent(console)) == 1 and lids and all(p in _sent(console)[0] for p in lids)  # one reply, both answers


def test_a_write_the_new_message_drops_is_audited(console: ConsoleService) -> None:
    key, order = _pending_refund(console)
    _write_again(console, key, "forget it, I'm filing a chargeback with my bank", 5)
    view = console.conversation(key)
    assert view.row.status == "handed_off" and view.pending_action is None
    dropped = [d for a, d in _audit(console, key) if a == "pending_dropped"]
    assert len(dropped) == 1 and dropped[0]["write"]["tool"] == "refund" and "went to a person" in dropped[0]["why"]


def test_a_keep_pending_reply_stops_the_reply_clock_and_the_refund_stays(console: ConsoleService) -> None:
    key, order = _pending_refund(console)
    assert console.conversation(key).time_left_s is not None
    console.edit_and_send(key, INTERIM, ADMIN, pending="keep")
    console.service.drain()  # the interim reply reaches the customer
    view = console.conversation(key)
    assert _sent(console) == [INTERIM]
    assert view.time_left_s is None and not view.overdue  # answered: no clock runs
    assert view.row.status == "needs_approval" and view.pending_action and view.awaiting_review
    _write_again(console, key, LIDS, 30)  # a new message starts a new clock, and the refund still waits
    view = console.conversation(key)
    assert view.time_left_s is not None and view.pending_action and view.row.status == "needs_approval"
