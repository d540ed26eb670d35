"""The console without a browser: mounting at / next to the webhooks, login, and the callbacks' glue."""

from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before anything imports gradio

from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace

import gradio as gr
import pytest
from fastapi.testclient import TestClient
from starlette.routing import Mount

from channels.base import ChannelMessage
from shopdesk.console_service import ConsoleService
from shopdesk.server import build_app
from shopdesk.service import Service
from shopdesk.settings import Settings
from ui import conversation_tab, inbox_tab, settings_tab
from ui.app import build_console, mount_console
from ui.format import md_escape, thread_html, time_left
from ui.session import RESEND_TICKS, new_session

from testdata import ANCHOR
from service_env import recording_console

pytestmark = pytest.mark.filterwarnings("ignore:.*no_silent_downcasting", "ignore:The copy keyword is deprecated")

ANA, BO = SimpleNamespace(username="ana"), SimpleNamespace(username="bo")  # what gr.Request carries


@pytest.fixture
def console(service_settings: Settings) -> Iterator[ConsoleService]:
    with recording_console(service_settings) as console:
        yield console


def _write(console: ConsoleService, platform: str, text: str, hour: int = 8) -> str:
    store = console.service.runtime.context.backend
    customer = next(c for c in store.list_customers() if c.identity_on(platform))  # type: ignore[attr-defined]
    identity = customer.identity_on(platform)[0].value
    key = f"{platform}:c-{customer.id}"
    console.service.intake.accept([ChannelMessage(
        platform=platform, delivery_id=f"{key}-{hour}", conversation_key=key, customer_identity=identity,  # type: ignore[arg-type]
        text=text, received_at=ANCHOR.replace(hour=hour), reply_route={"to": identity})])
    return key


def test_time_left_is_words_and_customer_text_is_escaped() -> None:
    assert time_left(5 * 3600 + 12 * 60 + 30, False) == "5 h 12 m left"
    assert time_left(-2 * 3600, True) == "OVERDUE 2 h 0 m"
    assert time_left(3 * 86400 + 3600, False) == "3 d 1 h left"
    assert time_left(None, False) == "answered"
    html = thread_html([{"author": "customer", "direction": "in", "platform": "amazon", "at": "2026-11-26T08:00:00Z",
                         "text": "<script>alert(1)</script> ![x](http://evil.example/p.png)"}])
    assert "<script>" not in html and "&lt;script&gt;" in html and "Customer · amazon · Nov 26 08:00 UTC" in html
    assert "](" not in md_escape("[click](http://evil.example)") and "<b>" not in md_escape("<b>hi</b>")


def test_the_console_mounts_at_root_without_shadowing_health_or_webhooks(console: ConsoleService) -> None:
    app = mount_console(build_app(console.service), console)
    mounts = [i for i, r in enumerate(app.router.routes) if isinstance(r, Mount) and r.path == ""]
    paths = [getattr(r, "path", "") for r in app.router.routes]
    assert mounts == [len(paths) - 1]  # the console is the last route: everything else matches first
    with TestClient(app) as client:
        health = client.get("/health")
        assert health.status_code == 200 and health.json() == {"status": "ok"}
        hook = client.post("/webhooks/shopify", content=b"{}")
        assert hook.status_code == 401 and hook.json()["error"] == "invalid signature"  # shopdesk's, not Gradio's
        assert client.get("/health/details").status_code == 404  # no SHOPDESK_HEALTH_TOKEN: no details at all
        assert client.get("/api/openapi.json").status_code == 404 and client.get("/openapi.json").status_code == 404
        page = client.get("/")
        assert page.status_code == 200 and '"auth_required":true' in page.text.replace(" ", "")
        assert client.get("/config").status_code == 401  # the app's config needs a login
        assert client.post("/login", data={"username": "ana", "password": "nope"}).status_code == 400
        assert client.post("/login", data={"username": "zed", "password": "pw1"}).status_code == 400
        assert client.post("/login", data={"username": "ana", "password": "pw1"}).status_code == 200
        assert client.get("/config").status_code == 200
    with pytest.raises(ValueError, match="already mounted"):
        mount_console(app, console)


def test_no_users_no_console(service_settings: Settings) -> None:
    with Service(service_settings, senders={}, start_threads=False) as svc:
        with pytest.raises(ValueError, match="SHOPDESK_CONSOLE_USERS"):
            mount_console(build_app(svc), ConsoleService(svc))


def test_inbox_rows_follow_the_service_order_and_skip_unchanged_redraws(console: ConsoleService) -> None:
    walmart = _write(console, "walmart", "is this available in blue?", hour=8)
    amazon = _write(console, "amazon", "is this available in blue?", hour=8)
    with gr.Blocks():
        tab = inbox_tab.build()
    session = new_session()
    updates = inbox_tab.refresh(console, tab, session, inbox_tab.ALL, inbox_tab.OPEN, inbox_tab.ALL)
    keys = list(updates[tab.table]["Key"])  # the internal key: the last column, which opening a row reads
    assert keys == [e.key for e in console.inbox()] and keys.index(amazon) < keys.index(walmart)
    names = list(updates[tab.table]["Conversation"])  # the conversation in words, never the key (issue 20)
    assert all(k not in n for k, n in zip(keys, names, strict=True)) and names[keys.index(amazon)].endswith("amazon")
    assert list(updates[tab.table]["Status"]) == ["● new", "● new"]
    assert updates[tab.table]["Time left"][0] == "23 h 0 m left"
    assert inbox_tab.refresh(console, tab, session, inbox_tab.ALL, inbox_tab.OPEN, inbox_tab.ALL) == {}
    only = inbox_tab.refresh(console, tab, session, "walmart", inbox_tab.OPEN, inbox_tab.ALL)
    assert list(only[tab.table]["Key"]) == [walmart]


def test_actions_show_the_services_answer(console: ConsoleService) -> None:
    """Edit & send with a rule-breaking text shows the ConsoleError as is; reject, take over, own reply work."""
    key = _write(console, "amazon", "my order arrived damaged, the lid is cracked and it leaks")
    console.service.drain()
    with gr.Blocks():
        tab = conversation_tab.build()
    session = new_session()
    opened = conversation_tab.open_conversation(console, tab, key, session)
    assert session["key"] == key and opened[tab.draft].value and opened[tab.approve].interactive is True
    form = {"draft": "Email me at help@example.com", "reject_reason": "", "own_reply": "", "deny_reason": ""}
    refused = conversation_tab.act(console, tab, "edit_send", session, form, ANA)
    assert refused[tab.result].startswith("**Not done:** not sent: the edited reply breaks")
    assert console.sender.sent == []  # type: ignore[attr-defined]

    done = conversation_tab.act(console, tab, "reject", session, {**form, "reject_reason": "wrong tone"}, ANA)
    # issue 20 item 2: a rejected draft leaves the conversation open, with a person (it used to close it)
    assert "ana rejected the draft" in done[tab.result] and console.service.conversations.get(key).status == "handed_off"  # type: ignore[union-attr]
    took = conversation_tab.act(console, tab, "take_over", session, form, BO)
    assert "bo took the conversation over" in took[tab.result]
    assert took[tab.send_own].interactive is True and took[tab.take_over].interactive is False
    text = "I'm sorry about the cracked lid. I'm looking into your order myself now."
    sent = conversation_tab.act(console, tab, "send_own", session, {**form, "own_reply": text}, BO)
    assert "bo sent their own reply" in sent[tab.result] and sent[tab.own_reply] == ""
    console.service.drain()
    assert [s["text"] for s in console.sender.sent] == [text]  # type: ignore[attr-defined]
    nobody = conversation_tab.act(console, tab, "approve", session, form, SimpleNamespace(username=None))
    assert "not signed in" in nobody[tab.result]


def test_ticks_after_a_forced_redraw_redraw_again_so_a_late_stale_tick_cannot_stick(console: ConsoleService) -> None:
    """An action and a timer tick run in different lanes, so the browser may apply them in either order. After
    a forced redraw the next RESEND_TICKS ticks redraw whatever the fingerprint says; then unchanged ticks skip."""
    key = _write(console, "amazon", "my order arrived damaged, the lid is cracked and it leaks")
    console.service.drain()
    with gr.Blocks():
        tab = conversation_tab.build()
    session = new_session()
    conversation_tab.open_conversation(console, tab, key, session)
    resent = [conversation_tab.refresh(console, tab, session) for _ in range(RESEND_TICKS)]
    assert all(tab.thread in r and tab.outbox in r for r in resent)
    assert all(tab.draft not in r for r in resent)  # the draft box is still only replaced when the draft changed
    assert conversation_tab.refresh(console, tab, session) == {}
    form = {"draft": "", "reject_reason": "", "own_reply": "", "deny_reason": ""}
    conversation_tab.act(console, tab, "take_over", session, form, BO)
    assert tab.thread in conversation_tab.refresh(console, tab, session)  # the window starts again


def test_a_denied_refund_is_not_made(console: ConsoleService) -> None:
    store = console.service.runtime.context.backend
    order = next(o for o in store.find_orders(platform="amazon", status="in_transit", limit=None)  # type: ignore[attr-defined]
                 if any(s.status == "lost" for s in o.shipments) and not store.order_refunds(o.id))  # type: ignore[attr-defined]
    relay = store.get_customer(order.customer_id).identity_on("amazon")[0].value  # type: ignore[attr-defined]
    key = f"amazon:{relay}"
    console.service.intake.accept([ChannelMessage(
        platform="amazon", delivery_id="lost", conversation_key=key, customer_identity=relay,
        text=f"where is my package {order.id}? it says lost, I want my money back",
        received_at=ANCHOR.replace(hour=8) + timedelta(minutes=1), reply_route={"to": relay})])
    console.service.drain()
    with gr.Blocks():
        tab = conversation_tab.build()
    session = new_session()
    opened = conversation_tab.open_conversation(console, tab, key, session)
    assert opened[tab.pending_box].visible is True and "refund $" in opened[tab.pending]
    form = {"draft": "", "reject_reason": "", "own_reply": "", "deny_reason": "carrier claim still open"}
    denied = conversation_tab.act(console, tab, "deny_action", session, form, BO)  # above the threshold: an admin
    assert "bo denied the pending write" in denied[tab.result]
    console.service.drain()
    assert store.order_refunds(order.id) == []  # type: ignore[attr-defined]
    again = conversation_tab.act(console, tab, "approve_action", session, form, BO)
    assert again[tab.result].startswith("**Not done:**")


def test_only_admins_save_settings(console: ConsoleService) -> None:
    with gr.Blocks():
        tab = settings_tab.build()
    agent_view = settings_tab.load(console, tab, ANA)
    assert agent_view[tab.save].interactive is False and "Read-only" in agent_view[tab.note]
    admin_view = settings_tab.load(console, tab, BO)
    assert admin_view[tab.save].interactive is True
    values = [admin_view[c].value for c in tab.form]
    values[tab.form.index(tab.channels["tiktok"].autopilot)] = False
    values[tab.form.index(tab.threshold)] = 80
    refused = settings_tab.save(console, tab, values, ANA)
    assert refused[tab.result] == "**Not saved:** only an admin can change the automation settings"
    assert console.seller_settings().channels["tiktok"].autopilot is True
    values[tab.form.index(tab.start)] = "25:99"
    invalid = settings_tab.save(console, tab, values, BO)
    assert invalid[tab.result].startswith("**Not saved:** business\\_hours.start")
    values[tab.form.index(tab.start)] = "07:30"
    saved = settings_tab.save(console, tab, values, BO)
    assert saved[tab.result].startswith("**Saved** by bo")
    current = console.seller_settings()
    assert current.channels["tiktok"].autopilot is False and str(current.refund_approval_threshold) == "80.00"
    assert current.business_hours.start.isoformat() == "07:30:00"


def test_the_console_builds_without_a_server(console: ConsoleService) -> None:
    demo = build_console(console)
    assert isinstance(demo, gr.Blocks)
    ids = {getattr(b, "elem_id", None) for b in demo.blocks.values()}
    assert {"inbox-table", "draft", "approve-send", "edit-send", "reject", "take-over", "send-own", "approve-action",
            "deny-action", "kpi-summary", "save-settings", "evals-table"} <= ids
    unlabelled = [b for b in demo.blocks.values()
                  if isinstance(b, (gr.Textbox, gr.Dropdown, gr.Checkbox, gr.CheckboxGroup, gr.Number, gr.Slider,
                                    gr.Dataframe)) and not b.label]
    assert unlabelled == []
