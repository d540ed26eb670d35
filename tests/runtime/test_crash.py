"""kill -9 anywhere in the pipeline loses nothing and sends nothing twice.

A real worker process (tests/support/crash_child.py) SIGKILLs itself at one point of the pipeline; a
second process, started later (so leases have expired), finishes the work. The conversation is a
two-turn return (offer, then the customer's yes -> a store write -> a confirmation).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from channels.base import ChannelMessage
from runtime.conversations import ConversationStore
from runtime.inbox import Inbox
from runtime.intake import Intake
from runtime.outbox import Outbox
from shopdesk.settings import Settings
from tools.policy.loader import load_policies
from tools.sandbox.store import SandboxStore

from testdata import ANCHOR

CHILD = Path(__file__).resolve().parents[1] / "support" / "crash_child.py"
POINTS = ["before_run", "mid_graph", "after_write", "after_enqueue", "before_complete", "before_send", "after_send"]


def _run_child(settings: Settings, sent: Path, now: str, point: str) -> int:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(CHILD.parent), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, str(CHILD), str(settings.data_dir), str(sent), now, point],
                          env=env, timeout=300, capture_output=True).returncode


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS)
def test_kill_9_loses_nothing_and_sends_nothing_twice(service_settings: Settings, tmp_path: Path, point: str) -> None:
    store = SandboxStore(service_settings.store_path)
    order = next(o for o in store.find_orders(platform="facebook", status="delivered", limit=None)
                 if len(o.items) == 1 and o.delivered_at > ANCHOR - timedelta(days=8) and not store.order_returns(o.id))
    relay = store.get_customer(order.customer_id).identity_on("facebook")[0].value
    store.close()
    db = service_settings.app_db_path
    inbox, conversations = Inbox(db), ConversationStore(db)
    intake = Intake(inbox, conversations, load_policies())
    key = f"facebook:{relay}"  # a seller-opened return (on Amazon the buyer starts it in Your Orders)
    at = ANCHOR.replace(hour=8)
    intake.accept([
        ChannelMessage(platform="facebook", delivery_id="m1", conversation_key=key, customer_identity=relay,
                       text=f"I want to return {order.id}", received_at=at, reply_route={"to": relay}),
        ChannelMessage(platform="facebook", delivery_id="m2", conversation_key=key, customer_identity=relay,
                       text="yes please", received_at=at + timedelta(minutes=1), reply_route={"to": relay}),
    ])
    sent = tmp_path / "sent.jsonl"
    first_now = ANCHOR.replace(hour=9).isoformat()
    later = (ANCHOR.replace(hour=9) + timedelta(minutes=30)).isoformat()

    assert _run_child(service_settings, sent, first_now, point) == -9  # killed at the point
    assert _run_child(service_settings, sent, later, "none") == 0      # a successor finishes the work

    keys = Counter(json.loads(line)["key"] for line in sent.read_text().splitlines()) if sent.exists() else Counter()
    assert all(n == 1 for n in keys.values()), f"sent twice: {keys}"
    outbox = Outbox(db)
    records = outbox.records()
    assert len(records) == 2  # the offer and the confirmation, each queued once
    statuses = Counter(r.status for r in records)
    if point == "after_send":  # the platform took it, the process died before recording it: never re-sent
        assert statuses == {"sent": 1, "uncertain": 1}
        assert all(r.message.idempotency_key in keys for r in records)
    else:
        assert statuses == {"sent": 2} and len(keys) == 2
    assert inbox.counts() == {"done": 2}
    with SandboxStore(service_settings.store_path) as after:
        assert len(after.order_returns(order.id)) == 1  # the write happened exactly once
    thread = [m.direction for m in conversations.messages(key)]
    assert thread.count("in") == 2 and thread.count("out") == statuses["sent"]
    for closable in (outbox, inbox, conversations):
        closable.close()
