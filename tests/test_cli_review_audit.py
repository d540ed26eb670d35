"""Issue 20: `shopdesk review` on a conversation the service received leaves the console's trail: the decision is
recorded on the conversation (its status in the inbox) and audited with the actor "cli", the OS user, the action
and, for an edit while a refund waits for approval, the choice (approve, deny, keep) and the write."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from channels.base import ChannelMessage
from runtime.conversations import AuditRow, ConversationStore
from runtime.inbox import Inbox
from runtime.intake import Intake
from shopdesk import review_audit
from shopdesk.cli import app
from tools.models import Order
from tools.policy.loader import load_policies
from tools.sandbox.store import SandboxStore

from testdata import ANCHOR

pytestmark = pytest.mark.slow  # each command loads the store, the index and the classifier

runner = CliRunner()
INTERIM = "I'm sorry about the lost parcel. A colleague is reviewing your refund today and we'll write again."
SORRY = "I'm sorry about the lost parcel. We're looking into it with the carrier and will write again today."


def invoke(data_dir: Path, *args: str):  # type: ignore[no-untyped-def]
    env = {"SHOPDESK_DATA_DIR": str(data_dir), "SHOPDESK_NOW": (ANCHOR + timedelta(hours=9)).isoformat()}
    return runner.invoke(app, list(args), env=env)


@pytest.fixture
def data_dir(kb_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:  # type: ignore[no-untyped-def]
    """The store and knowledge base with the defaults a new seller has (draft-only: every draft waits)."""
    path = tmp_path / "data"
    shutil.copytree(kb_env.data_dir, path)
    (path / "seller_settings.json").unlink(missing_ok=True)
    monkeypatch.setattr(review_audit, "operator", lambda: "maria")  # the OS user at the terminal
    return path


def lost_parcels(store: SandboxStore) -> Iterator[Order]:
    return (o for o in store.find_orders(platform="amazon", status="in_transit", limit=None)
            if any(s.status == "lost" for s in o.shipments) and not store.order_refunds(o.id))


def received(data_dir: Path, store: SandboxStore, order: Order) -> tuple[str, str]:
    """The customer of `order` asks for their money back on Amazon and the agent drafts an answer (its refund
    waits for approval); returns the conversation key and the customer id."""
    relay = store.get_customer(order.customer_id).identity_on("amazon")[0].value
    key, text = f"amazon:{relay}", f"where is my package {order.id}? it says lost, I want my money back"
    db = data_dir / "app.db"
    inbox, conversations = Inbox(db), ConversationStore(db)
    try:
        Intake(inbox, conversations, load_policies()).accept([ChannelMessage(
            platform="amazon", delivery_id=f"{key}-1", conversation_key=key, customer_identity=relay, text=text,
            received_at=ANCHOR.replace(hour=8), reply_route={"to": relay})])
    finally:
        inbox.close()
        conversations.close()
    drafted = invoke(data_dir, "reply", "--platform", "amazon", "--customer", order.customer_id, "--text", text,
                     "--thread", key, "--send", "--json")
    assert drafted.exit_code == 0, drafted.output
    trace = json.loads(drafted.stdout)
    assert trace["awaiting_review"] and trace["pending_action"]["needs_approval"]
    return key, order.customer_id


def trail(data_dir: Path, key: str) -> tuple[str, list[AuditRow]]:
    """The conversation's status and the CLI's audit entries on it, oldest first."""
    conversations = ConversationStore(data_dir / "app.db")
    try:
        row = conversations.get(key)
        assert row is not None
        return row.status, [a for a in reversed(conversations.audit_log(key)) if a.action != "cli_reply"]
    finally:
        conversations.close()


def test_each_pending_choice_is_audited_as_the_console_audits_it(data_dir: Path, store: SandboxStore) -> None:
    first, second = (lambda found: (next(found), next(found)))(lost_parcels(store))
    key, _ = received(data_dir, store, first)

    kept = invoke(data_dir, "review", key, "--action", "edit", "--text", INTERIM, "--pending", "keep")
    assert kept.exit_code == 0, kept.output
    status, audit = trail(data_dir, key)
    assert status == "needs_approval"  # the inbox shows it still waiting for the refund's approval
    [edit] = audit
    assert (edit.actor, edit.action) == ("cli", "edited")
    assert edit.detail["os_user"] == "maria" and edit.detail["pending_choice"] == "keep"
    assert edit.detail["pending_write"]["tool"] == "refund" and len(edit.detail["outbox_ids"]) == 1

    done = f"Good news: we've refunded ${first.total} for order {first.id}. Sorry again about the parcel."
    made = invoke(data_dir, "review", key, "--action", "edit", "--pending", "approve", "--text", done)
    assert made.exit_code == 0, made.output
    status, audit = trail(data_dir, key)
    assert status == "queued"  # the reply waits in the outbox for the dispatcher
    assert [(a.actor, a.action, a.detail.get("pending_choice")) for a in audit[1:]] == [
        ("cli", "edited", "approve"), ("cli", "approved_action", None)]
    assert audit[2].detail["reason"] == "decided with an edited reply"
    assert audit[2].detail["pending_write"] == edit.detail["pending_write"] and audit[2].detail["os_user"] == "maria"
    with SandboxStore(data_dir / "store.db") as after:
        assert len(after.order_refunds(first.id)) == 1

    other, _ = received(data_dir, store, second)
    denied = invoke(data_dir, "review", other, "--action", "edit", "--pending", "deny", "--text", SORRY)
    assert denied.exit_code == 0, denied.output
    status, audit = trail(data_dir, other)
    assert [(a.actor, a.action, a.detail.get("pending_choice")) for a in audit] == [
        ("cli", "edited", "deny"), ("cli", "denied_action", None)]
    with SandboxStore(data_dir / "store.db") as after:
        assert after.order_refunds(second.id) == []


def test_approve_reject_and_a_try_leave_the_console_trail_or_none(data_dir: Path, store: SandboxStore) -> None:
    first, second = (lambda found: (next(found), next(found)))(lost_parcels(store))
    key, _ = received(data_dir, store, first)
    misplaced = invoke(data_dir, "review", key, "--action", "approve", "--reason", "because")
    assert misplaced.exit_code == 2 and "--reason goes with --action reject or deny_action" in misplaced.output
    approved = invoke(data_dir, "review", key, "--action", "approve")  # the refund waits: its approval runs it
    assert approved.exit_code == 0, approved.output
    status, audit = trail(data_dir, key)
    assert status == "queued" and [(a.actor, a.action) for a in audit] == [("cli", "approved_action")]
    assert audit[0].detail["status"] == "sent" and len(audit[0].detail["outbox_ids"]) == 1

    other, _ = received(data_dir, store, second)
    rejected = invoke(data_dir, "review", other, "--action", "reject", "--reason", "wrong order")
    assert rejected.exit_code == 0, rejected.output
    status, audit = trail(data_dir, other)
    assert status == "handed_off"  # still open, with a person: nothing was sent
    assert [(a.actor, a.action, a.detail["reason"], a.detail["outbox_ids"]) for a in audit] == [
        ("cli", "rejected", "wrong order", [])]
    conversations = ConversationStore(data_dir / "app.db")
    try:
        assert conversations.get(other).reasons == ["draft rejected: wrong order"]  # type: ignore[union-attr]
        before = len(conversations.audit_log(None, limit=10_000))
    finally:
        conversations.close()

    # a try ("cli:...") is no conversation the service received: reviewed, but nothing recorded
    tried = invoke(data_dir, "reply", "--platform", "amazon", "--customer", second.customer_id, "--json", "--text",
                   f"where is my package {second.id}? it says lost, I want my money back")
    thread = json.loads(tried.stdout)["thread"]
    assert thread.startswith("cli:")
    assert invoke(data_dir, "review", thread, "--action", "reject").exit_code == 0
    conversations = ConversationStore(data_dir / "app.db")
    try:
        assert len(conversations.audit_log(None, limit=10_000)) == before and conversations.get(thread) is None
    finally:
        conversations.close()
