"""Issue 20 item 6: `shopdesk reply`/`chat` are tries. Their threads are "cli:..." and their replies never reach the
service's outbox (nor a platform) unless --send asks for it on a conversation the service received."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from channels.base import ChannelMessage
from runtime.conversations import ConversationStore
from runtime.dispatcher import Dispatcher
from runtime.inbox import Inbox
from runtime.intake import Intake
from runtime.outbox import Outbox
from shopdesk.cli import app
from shopdesk.settings import Settings
from tools.clock import FixedClock
from tools.policy.loader import load_policies
from tools.sandbox.store import SandboxStore

from recording import RecordingSender
from testdata import ANCHOR

pytestmark = pytest.mark.slow  # each command loads the store, the index and the classifier

runner = CliRunner()
NOW = ANCHOR + timedelta(hours=9)
QUESTION = "how long do refunds take to show up on my card?"  # answered from the KB: the route is auto_send


def invoke(data_dir: Path, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    env = {"SHOPDESK_DATA_DIR": str(data_dir), "SHOPDESK_NOW": NOW.isoformat()}
    return runner.invoke(app, list(args), env=env, input=input)


def outbox_records(data_dir: Path) -> list:  # type: ignore[type-arg]
    outbox = Outbox(data_dir / "app.db")
    try:
        return outbox.records()
    finally:
        outbox.close()


def amazon_customer(store: SandboxStore) -> tuple[str, str]:
    customer = next(c for c in store.list_customers() if c.identity_on("amazon"))  # type: ignore[attr-defined]
    return customer.id, customer.identity_on("amazon")[0].value  # type: ignore[attr-defined]


def receive(data_dir: Path, identity: str) -> str:
    """A message the service received on Amazon (relay address and all): a conversation with a reply route."""
    key = f"amazon:{identity}"
    db = data_dir / "app.db"
    inbox, conversations = Inbox(db), ConversationStore(db)
    Intake(inbox, conversations, load_policies()).accept([ChannelMessage(
        platform="amazon", delivery_id="d-1", conversation_key=key, customer_identity=identity, text=QUESTION,
        received_at=ANCHOR.replace(hour=8), reply_route={"to": identity})])
    inbox.close()
    conversations.close()
    return key


def test_a_reply_try_is_namespaced_printed_as_would_send_and_never_queued(service_settings: Settings,
                                                                          store: SandboxStore) -> None:
    data_dir = service_settings.data_dir
    customer, _ = amazon_customer(store)
    result = invoke(data_dir, "reply", "--platform", "amazon", "--customer", customer, "--text", QUESTION, "--json")
    assert result.exit_code == 0, result.output
    trace = json.loads(result.stdout)
    assert trace["thread"].startswith("cli:") and trace["route"] == "auto_send"
    assert trace["delivery"] == {"sent": False, "messages": [{"kind": "reply", "text": trace["draft"]}]}
    assert outbox_records(data_dir) == []
    conversations = ConversationStore(data_dir / "app.db")
    try:  # nothing for the console's inbox either: a try has no customer on the other end
        assert conversations.get(trace["thread"]) is None and conversations.list() == []
    finally:
        conversations.close()

    # a thread given without the namespace is put in it (never a conversation the service received)
    again = invoke(data_dir, "reply", "--platform", "amazon", "--customer", customer, "--text", QUESTION,
                   "--thread", "amazon:someone@marketplace.amazon.com")
    assert again.exit_code == 0, again.output
    assert "would send on amazon (reply; a try, nothing queued)" in again.stdout
    assert "thread cli:amazon:someone@marketplace.amazon.com" in again.stdout
    chat = invoke(data_dir, "chat", "--platform", "amazon", "--customer", customer, input=f"{QUESTION}\n\n")
    assert chat.exit_code == 0 and "agent>" in chat.stdout and "would send" in chat.stdout
    assert outbox_records(data_dir) == []


def test_send_queues_once_on_a_received_conversation_and_the_dispatcher_delivers_it(service_settings: Settings,
                                                                                   store: SandboxStore) -> None:
    data_dir = service_settings.data_dir
    customer, identity = amazon_customer(store)
    nowhere = invoke(data_dir, "reply", "--platform", "amazon", "--customer", customer, "--text", QUESTION, "--send")
    assert nowhere.exit_code == 1 and "--send needs --thread" in nowhere.stderr
    key = receive(data_dir, identity)
    other = next(c for c in store.list_customers() if c.id != customer and c.identity_on("amazon"))  # type: ignore[attr-defined]
    wrong = invoke(data_dir, "reply", "--platform", "amazon", "--customer", other.id, "--text", QUESTION,
                   "--thread", key, "--send")
    assert wrong.exit_code == 1 and "would reach someone else" in wrong.stderr
    assert outbox_records(data_dir) == []

    sent = invoke(data_dir, "reply", "--platform", "amazon", "--customer", customer, "--text", QUESTION,
                  "--thread", key, "--send", "--json")
    assert sent.exit_code == 0, sent.output
    trace = json.loads(sent.stdout)
    assert trace["thread"] == key and trace["delivery"]["sent"] is True
    records = outbox_records(data_dir)
    assert [(r.message.conversation_id, r.status, r.message.text) for r in records] == [(key, "queued", trace["draft"])]

    db = data_dir / "app.db"
    outbox, conversations = Outbox(db), ConversationStore(db)
    try:
        row = conversations.get(key)
        assert row is not None and row.status == "queued" and row.customer_id == customer
        assert any(a.actor == "cli" and a.action == "cli_reply" for a in conversations.audit_log(key))
        sender = RecordingSender()
        assert Dispatcher(outbox, conversations, {"amazon": sender}, FixedClock(NOW)).run_once()
        assert [(s["route"]["to"], s["text"]) for s in sender.sent] == [(identity, trace["draft"])]
    finally:
        outbox.close()
        conversations.close()
