"""Conversation-level state that holds across messages (issue 20, items 3 and 4): risk flags, urgency and the
main intent stay until a person clears them, and the reply deadline counts from the oldest unanswered message."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from recording import RecordingSender
from testdata import ANCHOR

from channels.base import ChannelMessage
from runtime.conversations import ConversationStore, main_intent, max_urgency
from shopdesk.console_service import ConsoleError, ConsoleService, User
from shopdesk.service import Service
from shopdesk.settings import Settings
from tools.models import PLATFORMS

AT = ANCHOR.replace(hour=8)
ADMIN = User(name="lee", role="admin")


def _message(service: Service, platform: str, text: str, n: int) -> ChannelMessage:
    store = service.runtime.context.backend
    customer = next(c for c in store.list_customers() if c.identity_on(platform))  # type: ignore[attr-defined]
    identity = customer.identity_on(platform)[0].value
    return ChannelMessage(platform=platform, delivery_id=f"{platform}-d{n}",  # type: ignore[arg-type]
                          conversation_key=f"{platform}:conv-{customer.id}", customer_identity=identity,
                          text=text, received_at=AT + timedelta(minutes=n), reply_route={"to": identity})


@pytest.fixture
def service(service_settings: Settings):  # type: ignore[no-untyped-def]
    sender = RecordingSender()
    with Service(service_settings, senders={p: sender for p in PLATFORMS}, start_threads=False) as svc:
        yield svc


def test_a_chargeback_stays_on_the_conversation_until_a_person_clears_it(service: Service) -> None:
    first = _message(service, "shopify", "I filed a chargeback with my bank for this order.", 0)
    service.intake.accept([first])
    service.drain()
    key = first.conversation_key
    flagged = service.conversations.get(key)
    assert flagged is not None and "claim_or_chargeback" in flagged.risk_flags
    assert flagged.intent == "claim_or_chargeback"
    urgency = flagged.urgency

    service.intake.accept([_message(service, "shopify", "hello?", 1)])
    service.drain()
    after = service.conversations.get(key)
    assert after is not None and "claim_or_chargeback" in after.risk_flags
    assert after.intent == "claim_or_chargeback" and after.urgency == urgency
    # the agent still reads the conversation as a dispute: a routine question goes to a person, not autopilot
    service.intake.accept([_message(service, "shopify", "where is my order?", 2)])
    service.drain()
    routine = service.conversations.get(key)
    assert routine is not None and routine.route == "handoff" and "claim or chargeback" in " ".join(routine.reasons)

    console = ConsoleService(service)
    view = console.clear_flags(key, ADMIN)
    assert view.row.risk_flags == []
    assert [a.action for a in service.conversations.audit_log(key)][0] == "cleared_flags"
    with pytest.raises(ConsoleError, match="no risk flags"):
        console.clear_flags(key, ADMIN)
    service.intake.accept([_message(service, "shopify", "where is my order?", 3)])
    service.drain()
    cleared = service.conversations.get(key)
    assert cleared is not None and "claim or chargeback" not in " ".join(cleared.reasons)
    assert cleared.risk_flags == []


def test_the_deadline_counts_from_the_oldest_unanswered_message(service: Service) -> None:
    first = _message(service, "amazon", "I filed an A-to-z claim, my lawyer will hear about this", 0)
    service.intake.accept([first])
    service.drain()
    conv = service.conversations.get(first.conversation_key)
    assert conv is not None and conv.waiting_since is not None and conv.deadline is not None
    deadline = conv.deadline
    service.intake.accept([_message(service, "amazon", "hello?? anyone there", 90)])
    service.drain()
    later = service.conversations.get(first.conversation_key)
    assert later is not None and later.deadline == deadline  # not 90 minutes later


def test_a_vague_message_keeps_the_main_intent_and_urgency_only_rises_while_flagged() -> None:
    assert main_intent("order_status", "other", flagged=False) == "order_status"
    assert main_intent("order_status", "refund_status", flagged=False) == "refund_status"
    assert main_intent("claim_or_chargeback", "order_status", flagged=True) == "claim_or_chargeback"
    assert main_intent("claim_or_chargeback", "order_status", flagged=False) == "order_status"
    assert main_intent(None, "other", flagged=False) == "other"
    assert max_urgency("critical", "normal") == "critical"
    assert max_urgency(None, "high") == "high"
    assert max_urgency("normal", None) == "normal"


def test_a_database_from_before_flags_gains_the_column(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE conversations (key TEXT PRIMARY KEY, platform TEXT NOT NULL, customer_identity TEXT NOT "
               "NULL, customer_id TEXT, subject TEXT, order_hint TEXT, reply_route TEXT NOT NULL DEFAULT '{}', status "
               "TEXT NOT NULL, intent TEXT, urgency TEXT, priority TEXT, deadline TEXT, waiting_since TEXT, "
               "last_message_at TEXT NOT NULL, first_response_s REAL, route TEXT, reasons TEXT, trace TEXT, "
               "updated_at TEXT NOT NULL)")
    db.execute("INSERT INTO conversations (key, platform, customer_identity, status, last_message_at, updated_at) "
               "VALUES ('ebay:x', 'ebay', 'buyer', 'sent', ?, ?)", (AT.isoformat(), AT.isoformat()))
    db.commit()
    db.close()
    store = ConversationStore(path)
    try:
        row = store.get("ebay:x")
        assert row is not None and row.risk_flags == []
    finally:
        store.close()
