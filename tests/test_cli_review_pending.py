"""Issue 20: `shopdesk review --action edit` asks what becomes of a write waiting for approval, as the console does
(agent/nodes/review.py's PENDING_CHOICES: approve, deny, keep), and refuses a text that contradicts the choice."""

from __future__ import annotations

import json
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.seller_settings import SellerSettings
from shopdesk.cli import app
from tools.sandbox.store import SandboxStore

from testdata import ANCHOR

pytestmark = pytest.mark.slow  # each command loads the store, the index and the classifier

runner = CliRunner()
INTERIM = "I'm sorry about the lost parcel. A colleague is reviewing your refund today and we'll write again."


def invoke(data_dir: Path, *args: str):  # type: ignore[no-untyped-def]
    env = {"SHOPDESK_DATA_DIR": str(data_dir), "SHOPDESK_NOW": (ANCHOR + timedelta(hours=9)).isoformat()}
    return runner.invoke(app, list(args), env=env)


def said(result) -> str:  # type: ignore[no-untyped-def]
    """The command's output as one line (typer draws errors in a wrapped box)."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.output).split())


def test_an_edit_must_say_what_becomes_of_the_pending_refund(kb_env, tmp_path: Path, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    data_dir = tmp_path / "data"
    shutil.copytree(kb_env.data_dir, data_dir)
    SellerSettings().with_autopilot(True).save(data_dir / "seller_settings.json")
    order = next(o for o in store.find_orders(platform="amazon", status="in_transit", limit=None)
                 if any(s.status == "lost" for s in o.shipments) and not store.order_refunds(o.id))
    held = invoke(data_dir, "reply", "--platform", "amazon", "--customer", order.customer_id, "--text",
                  f"where is my package {order.id}? it says lost, I want my money back", "--json")
    assert held.exit_code == 0, held.output
    trace = json.loads(held.stdout)
    thread = trace["thread"]
    assert trace["awaiting_review"] and trace["pending_action"]["needs_approval"]

    no_choice = invoke(data_dir, "review", thread, "--action", "edit", "--text", INTERIM)
    assert no_choice.exit_code == 2 and "choose whether to approve it, deny it or keep it pending" in said(no_choice)
    unknown = invoke(data_dir, "review", thread, "--action", "edit", "--text", INTERIM, "--pending", "maybe")
    assert unknown.exit_code == 2 and "approve, deny, keep" in said(unknown)
    misplaced = invoke(data_dir, "review", thread, "--action", "approve", "--pending", "keep")
    assert misplaced.exit_code == 2 and "--pending goes with --action edit" in said(misplaced)
    claims = invoke(data_dir, "review", thread, "--action", "edit", "--pending", "deny", "--text",
                    f"We've refunded ${order.total} for order {order.id}.")
    assert claims.exit_code == 2 and "says the refund is done" in said(claims)
    with SandboxStore(data_dir / "store.db") as after:
        assert after.order_refunds(order.id) == []  # nothing happened on any refusal

    kept = invoke(data_dir, "review", thread, "--action", "edit", "--text", INTERIM, "--pending", "keep", "--json")
    assert kept.exit_code == 0, kept.output
    waiting = json.loads(kept.stdout)
    assert waiting["awaiting_review"] and waiting["pending_action"]["needs_approval"]  # still waiting

    made = invoke(data_dir, "review", thread, "--action", "edit", "--pending", "approve", "--json", "--text",
                  f"Good news: we've refunded ${order.total} for order {order.id}. Sorry again about the parcel.")
    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout)["status"] == "sent"
    with SandboxStore(data_dir / "store.db") as after:
        assert len(after.order_refunds(order.id)) == 1
