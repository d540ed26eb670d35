"""The `shopdesk` CLI: seeding, listing and looking up, with JSON that follows the domain model."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shopdesk.cli import app
from tools.sandbox.store import SandboxStore

from testdata import ANCHOR, SEED

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, store_template: Path) -> Path:
    """A data dir holding a copy of the seeded demo store."""
    shutil.copy(store_template, tmp_path / "store.db")
    return tmp_path


def invoke(data_dir: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), env={"SHOPDESK_DATA_DIR": str(data_dir)})


def test_seed_is_idempotent_and_guards_against_overwrites(tmp_path: Path, store: SandboxStore) -> None:
    anchor = ANCHOR.isoformat()
    tmp_path = tmp_path / "fresh"
    first = invoke(tmp_path, "store", "seed", "--seed", str(SEED), "--anchor", anchor, "--json")
    assert first.exit_code == 0, first.output
    result = json.loads(first.stdout)
    assert result["seeded"] is True and result["counts"]["orders"] >= 3000
    assert result["content_hash"] == store.content_hash()
    again = json.loads(invoke(tmp_path, "store", "seed", "--seed", str(SEED), "--anchor", anchor, "--json").stdout)
    assert again["seeded"] is False and again["content_hash"] == result["content_hash"]
    other = invoke(tmp_path, "store", "seed", "--seed", "99", "--anchor", anchor)
    assert other.exit_code == 1 and "--reset" in other.stderr
    reset = invoke(tmp_path, "store", "seed", "--seed", "99", "--anchor", anchor, "--reset", "--json")
    assert reset.exit_code == 0 and json.loads(reset.stdout)["content_hash"] != result["content_hash"]


def test_orders_json_lists_carriers_and_tracking(data_dir: Path) -> None:
    result = invoke(data_dir, "store", "orders", "--platform", "amazon", "--status", "shipped", "--json")
    assert result.exit_code == 0, result.output
    orders = json.loads(result.stdout)
    assert orders
    for order in orders:
        assert order["platform"] == "amazon" and order["status"] == "shipped"
        assert {"id", "platform", "status", "customer_id", "total", "items", "shipments"} <= set(order)
        assert isinstance(order["total"], float)
        for shipment in order["shipments"]:
            assert shipment["carrier"] in ("USPS", "UPS", "FedEx", "Amazon Logistics")
            assert shipment["tracking_number"] and shipment["status"] and shipment["events"]


def test_orders_filters_limit_and_order(data_dir: Path) -> None:
    orders = json.loads(invoke(data_dir, "store", "orders", "--platform", "tiktok", "--limit", "5", "--json").stdout)
    assert len(orders) == 5 and all(len(o["id"]) == 18 for o in orders)
    assert [o["created_at"] for o in orders] == sorted((o["created_at"] for o in orders), reverse=True)
    customer = orders[0]["customer_id"]
    mine = json.loads(invoke(data_dir, "store", "orders", "--customer", customer, "--json").stdout)
    assert mine and all(o["customer_id"] == customer for o in mine)
    table = invoke(data_dir, "store", "orders", "--platform", "ebay", "--limit", "3")
    assert table.exit_code == 0 and "3 orders" in table.stdout


def test_bad_options_are_explained(data_dir: Path) -> None:
    result = invoke(data_dir, "store", "orders", "--platform", "etsy")
    assert result.exit_code == 2 and "choose one of: amazon" in result.output
    result = invoke(data_dir, "store", "orders", "--status", "lost")
    assert result.exit_code == 2 and "is not a valid order status" in result.output and "pending" in result.output


def test_customer_by_id_or_platform_identity(data_dir: Path, store: SandboxStore) -> None:
    person = next(c for c in store.list_customers() if len(c.platforms) > 1 and store.customer_orders(c.id))
    identity = person.identities[-1].value
    profile = json.loads(invoke(data_dir, "store", "customer", identity, "--json").stdout)
    assert profile["customer"]["id"] == person.id
    assert {o["id"] for o in profile["orders"]} == {o.id for o in store.customer_orders(person.id)}
    assert {"returns", "refunds", "subscriptions", "claims", "feedback", "conversations"} <= set(profile)
    text = invoke(data_dir, "store", "customer", person.id)
    assert text.exit_code == 0 and person.name in text.stdout


def test_unknown_customer_and_empty_store_fail_clearly(data_dir: Path, tmp_path: Path) -> None:
    missing = invoke(data_dir, "store", "customer", "C99999")
    assert missing.exit_code == 1 and "No customer C99999" in missing.stderr
    empty = invoke(tmp_path / "empty", "store", "orders")
    assert empty.exit_code == 1 and "shopdesk store seed" in empty.stderr


def test_summary_and_run(data_dir: Path) -> None:
    summary = json.loads(invoke(data_dir, "store", "summary", "--json").stdout)
    assert summary["counts"]["orders"] >= 3000 and summary["support_states"]["lost_shipments"] > 0
    assert sum(summary["orders_by_platform"].values()) == summary["counts"]["orders"]


@pytest.mark.slow
def test_run_seeds_an_empty_data_dir_and_serves_simulated_traffic(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "--duration", "20", "--rate", "90"],
                           env={"SHOPDESK_DATA_DIR": str(tmp_path), "SHOPDESK_PORT": "0"})
    assert result.exit_code == 0, result.output
    assert "Seeded the demo store" in result.stdout and "3,200 orders" in result.stdout
    assert "Console: http://127.0.0.1:" in result.stdout and "log in as demo / " in result.stdout
    assert (tmp_path / "store.db").exists()
    for platform in ("amazon", "walmart", "shopify", "tiktok", "ebay", "facebook", "instagram"):
        assert f"-> {platform}" in result.stdout, platform  # customers wrote on every platform
    assert "<- " in result.stdout and "replies received by the simulators" in result.stdout


@pytest.mark.parametrize("args", [[], ["store"], ["store", "seed"], ["store", "orders"], ["store", "customer"], ["run"]])
def test_help_everywhere(args: list[str]) -> None:
    result = runner.invoke(app, [*args, "--help"])
    assert result.exit_code == 0 and "Usage" in result.stdout


def test_installed_entry_point() -> None:
    exe = Path(sys.executable).with_name("shopdesk")
    result = subprocess.run([str(exe), "store", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "seed" in result.stdout


# ---------------------------------------------------------------- knowledge base commands

def test_kb_search_json_returns_cited_passages(kb_env) -> None:  # type: ignore[no-untyped-def]
    result = invoke(kb_env.data_dir, "kb", "search", "how long do refunds take", "--platform", "walmart", "--json")
    assert result.exit_code == 0, result.output
    passages = json.loads(result.stdout)
    assert len(passages) == 5
    for p in passages:
        assert {"id", "doc_id", "title", "platform", "topic", "score", "text"} <= set(p)
        assert p["platform"] in ("walmart", "all")
    assert passages[0]["platform"] == "walmart" and passages[0]["topic"] == "returns"


def test_kb_index_is_incremental_and_stats_count(kb_env) -> None:  # type: ignore[no-untyped-def]
    report = json.loads(invoke(kb_env.data_dir, "kb", "index", "--json").stdout)
    assert report["chunks_embedded"] == 0 and report["unchanged"] >= 40 + 64
    stats = json.loads(invoke(kb_env.data_dir, "kb", "stats", "--json").stdout)
    assert stats["chunks"] == report["chunks_total"] and stats["documents"] == report["unchanged"]
    assert set(stats["chunks_by_platform"]) == {"all", "amazon", "walmart", "shopify", "tiktok", "ebay", "meta"}


def test_kb_search_rejects_unknown_platform(kb_env) -> None:  # type: ignore[no-untyped-def]
    result = invoke(kb_env.data_dir, "kb", "search", "refund", "--platform", "etsy")
    assert result.exit_code == 2 and "meta" in result.output


# ---------------------------------------------------------------- the agent from the command line

@pytest.fixture
def agent_dir(tmp_path: Path, store_template: Path) -> Path:
    from agent.seller_settings import SellerSettings

    shutil.copy(store_template, tmp_path / "store.db")
    # autopilot on (a new channel is draft-only): these commands show what the agent sends alone
    SellerSettings().with_autopilot(True).save(tmp_path / "seller_settings.json")
    return tmp_path


def invoke_at(data_dir: Path, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    env = {"SHOPDESK_DATA_DIR": str(data_dir), "SHOPDESK_NOW": (ANCHOR + timedelta(hours=9)).isoformat()}
    return runner.invoke(app, list(args), env=env, input=input)


@pytest.mark.slow
def test_reply_review_and_chat_commands(agent_dir: Path, store: SandboxStore) -> None:
    order = next(o for o in store.find_orders(platform="shopify", status="unshipped", limit=None))
    first = invoke_at(agent_dir, "reply", "--platform", "shopify", "--customer", order.customer_id,
                      "--text", f"please cancel order {order.id}", "--json")
    assert first.exit_code == 0, first.output
    trace = json.loads(first.stdout)
    assert {"intent", "urgency", "risk_flags", "entities", "tool_calls", "passages", "draft", "compliance", "route",
            "deadline", "thread"} <= set(trace)
    assert trace["intent"] == "cancel_order" and trace["tool_calls"][0]["name"] == "get_order"
    assert set(trace["tool_calls"][0]) == {"name", "args", "ok", "error"} and trace["compliance"]["ok"] is True
    second = json.loads(invoke_at(agent_dir, "reply", "--platform", "shopify", "--customer", order.customer_id,
                                  "--text", "yes", "--thread", trace["thread"], "--json").stdout)
    assert second["status"] == "sent" and "is cancelled" in second["draft"]
    with SandboxStore(agent_dir / "store.db") as after:
        assert after.get_order(order.id).status == "cancelled"
    # a question held for review, then approved from the CLI
    held = json.loads(invoke_at(agent_dir, "reply", "--platform", "walmart", "--customer", order.customer_id,
                                "--text", "I left a review, will you refund me if I update it?", "--json").stdout)
    assert held["route"] == "review"
    approved = invoke_at(agent_dir, "review", held["thread"], "--action", "reject", "--json")
    assert approved.exit_code == 0 and json.loads(approved.stdout)["status"] == "rejected"
    not_waiting = invoke_at(agent_dir, "review", held["thread"])
    assert not_waiting.exit_code == 2 and "not waiting for review" in not_waiting.output
    chat = invoke_at(agent_dir, "chat", "--platform", "amazon", "--customer", order.customer_id,
                     input="how long do refunds take?\n\n")
    assert chat.exit_code == 0 and "agent>" in chat.stdout and "refund" in chat.stdout


def test_reply_rejects_bad_input(agent_dir: Path) -> None:
    bad = invoke_at(agent_dir, "reply", "--platform", "etsy", "--customer", "C00001", "--text", "hi")
    assert bad.exit_code == 2
    unknown = invoke_at(agent_dir, "reply", "--platform", "amazon", "--customer", "nobody@example.com", "--text", "hi")
    assert unknown.exit_code == 1 and "No customer" in unknown.stderr


def test_inbox_and_outbox_commands(data_dir: Path) -> None:
    from agent.schemas import OutboundMessage
    from channels.base import ChannelMessage
    from runtime.conversations import ConversationStore
    from runtime.inbox import Inbox
    from runtime.intake import Intake
    from runtime.outbox import Outbox
    from tools.policy.loader import load_policies

    db = data_dir / "app.db"
    inbox, conversations, outbox = Inbox(db), ConversationStore(db), Outbox(db)
    Intake(inbox, conversations, load_policies()).accept([ChannelMessage(
        platform="tiktok", delivery_id="d1", conversation_key="tiktok:c1", customer_identity="7001",
        text="where is my order?", received_at=ANCHOR, platform_message_id="m-1", reply_route={"conversation_id": "c1"})])
    for key, status in (("tiktok:c1:1", "dead"), ("tiktok:c1:2", "uncertain")):
        record = outbox.enqueue(OutboundMessage(conversation_id="tiktok:c1", platform="tiktok", customer_id=None,
                                                text="hi", idempotency_key=key), ANCHOR)
        outbox.claim("t", ANCHOR)
        if status == "dead":
            outbox.mark_failed(record.id, "HTTP 400", ANCHOR, retryable=False)
        else:
            outbox.begin_send(record.id, "t")
            outbox.claim("t", ANCHOR + timedelta(hours=1))  # the lease ran out mid-call: uncertain
    for closable in (inbox, conversations, outbox):
        closable.close()

    items = json.loads(invoke(data_dir, "inbox", "list", "--json").stdout)
    assert [(i["platform_message_id"], i["customer_identity"], i["text"], i["status"]) for i in items] == [
        ("m-1", "7001", "where is my order?", "queued")]
    shown = json.loads(invoke(data_dir, "inbox", "show", str(items[0]["id"]), "--json").stdout)
    assert shown["thread"][0]["text"] == "where is my order?" and shown["deadline"]
    missing = invoke(data_dir, "inbox", "show", "999")
    assert missing.exit_code == 1 and "no inbox item 999" in missing.stderr
    assert sorted(r["status"] for r in json.loads(invoke(data_dir, "outbox", "list", "--json").stdout)) == [
        "dead", "uncertain"]
    released = json.loads(invoke(data_dir, "outbox", "retry", "--json").stdout)
    assert [r["status"] for r in released] == ["queued"]  # the dead letter only: an uncertain send may have gone
    again = json.loads(invoke(data_dir, "outbox", "retry", "--uncertain", "--json").stdout)
    assert [r["status"] for r in again] == ["queued"]
