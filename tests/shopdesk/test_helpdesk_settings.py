"""Issue 20 (helpdesk basics): draft-only by default with autopilot an explicit, audited admin choice per channel
and intent; times in the seller's time zone; the person's name on the replies they approved, edited or wrote."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import gradio as gr
import pytest
from pydantic import ValidationError

from agent.seller_settings import DEFAULT_AUTO_SEND, BusinessHours, ChannelSettings, SellerSettings
from channels.base import ChannelMessage
from shopdesk.console_service import ConsoleError, ConsoleService, User
from shopdesk.reply_authors import AGENT as AGENT_LABEL
from shopdesk.settings import Settings
from tools.models import PLATFORMS
from ui import conversation_tab, inbox_tab
from ui.format import thread_html, when
from ui.session import new_session

from service_env import recording_console
from testdata import ANCHOR

pytestmark = pytest.mark.filterwarnings("ignore:.*no_silent_downcasting", "ignore:The copy keyword is deprecated")

AGENT = User(name="ana", role="agent")
ADMIN = User(name="bo", role="admin")
QUESTION = "how long do refunds take?"  # a policy answer: drafted, sent alone only on autopilot


def _console(service_settings: Settings, settings: SellerSettings | None) -> Iterator[ConsoleService]:
    path = service_settings.data_dir / "seller_settings.json"
    if settings is None:
        path.unlink(missing_ok=True)  # a fresh install: no settings file at all
    else:
        settings.save(path)
    with recording_console(service_settings) as console:
        yield console


@pytest.fixture
def fresh(service_settings: Settings) -> Iterator[ConsoleService]:
    yield from _console(service_settings, None)


def _write(console: ConsoleService, platform: str, text: str, hour: int = 8) -> str:
    store = console.service.runtime.context.backend
    customer = next(c for c in store.list_customers() if c.identity_on(platform))  # type: ignore[attr-defined]
    identity = customer.identity_on(platform)[0].value
    key = f"{platform}:c-{customer.id}"
    console.service.intake.accept([ChannelMessage(
        platform=platform, delivery_id=f"{key}-{hour}-{len(text)}", conversation_key=key,  # type: ignore[arg-type]
        customer_identity=identity, text=text, received_at=ANCHOR.replace(hour=hour), reply_route={"to": identity})])
    return key


# ---------------------------------------------------------------------------------------------- draft-only

def test_a_new_channel_is_draft_only_and_the_seller_zone_is_new_york() -> None:
    settings = SellerSettings()
    assert [settings.channel(p).autopilot for p in PLATFORMS] == [False] * len(PLATFORMS)
    assert ChannelSettings().autopilot is False and settings.timezone == "America/New_York"
    assert settings.with_autopilot(True, ["tiktok"]).channel("tiktok").autopilot is True
    assert settings.with_autopilot(True, []).channel("tiktok").autopilot is False
    # nothing may send alone on a new channel until an admin ticks it; the helper for evals starts from the table's
    assert [settings.channel(p).auto_send_intents for p in PLATFORMS] == [[]] * len(PLATFORMS)
    assert settings.with_autopilot(True, ["tiktok"]).channel("tiktok").auto_send_intents == list(DEFAULT_AUTO_SEND)
    old = json.loads(settings.model_dump_json())
    del old["timezone"]  # a settings file saved before the time zone existed still loads
    assert SellerSettings.model_validate(old).timezone == "America/New_York"


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../../etc/passwd", "", "x" * 80, "America/New York"])
def test_a_time_zone_must_be_an_iana_name(zone: str) -> None:
    with pytest.raises(ValidationError, match="time zone"):
        SellerSettings(timezone=zone)
    with pytest.raises(ValidationError, match="time zone"):
        BusinessHours(timezone=zone)


def test_a_fresh_install_drafts_every_reply_for_a_person(fresh: ConsoleService) -> None:
    key = _write(fresh, "amazon", QUESTION)
    fresh.service.drain()
    view = fresh.conversation(key)
    assert view.awaiting_review and view.reasons == ["autopilot is off for Amazon"] and view.draft
    assert fresh.sender.sent == []  # type: ignore[attr-defined]


def test_turning_autopilot_on_is_an_explicit_audited_choice_per_channel_and_intent(fresh: ConsoleService) -> None:
    on = fresh.seller_settings().with_autopilot(True, ["tiktok"])
    with pytest.raises(ConsoleError, match="only an admin"):
        fresh.update_seller_settings(on, AGENT)
    empty = on.model_copy(deep=True)
    empty.channels["tiktok"].auto_send_intents = []
    with pytest.raises(ConsoleError, match="autopilot is on for tiktok but no intent may send alone"):
        fresh.update_seller_settings(empty, ADMIN)
    assert fresh.seller_settings().channel("tiktok").autopilot is False  # nothing saved
    fresh.update_seller_settings(on, ADMIN)
    narrower = fresh.seller_settings().model_copy(deep=True)
    narrower.channels["tiktok"].auto_send_intents = ["order_status", "policy_question"]
    narrower.channels["ebay"].auto_send_intents = ["order_status"]  # off there: recorded, applies when turned on
    fresh.update_seller_settings(narrower, ADMIN)
    off = fresh.seller_settings().with_autopilot(False, ["tiktok"])
    fresh.update_seller_settings(off, ADMIN)
    audit = [(a.action, a.actor, a.detail.get("platform"), a.detail.get("intents_removed"))
             for a in reversed(fresh.service.conversations.audit_log()) if a.action != "settings_changed"]
    removed = [i for i in on.channel("tiktok").auto_send_intents if i not in ("order_status", "policy_question")]
    assert audit == [("autopilot_on", "human:bo", "tiktok", []),
                     ("auto_send_intents_changed", "human:bo", "tiktok", removed),
                     ("auto_send_intents_changed", "human:bo", "ebay",
                      [i for i in on.channel("ebay").auto_send_intents if i != "order_status"]),
                     ("autopilot_off", "human:bo", "tiktok", [])]
    first = next(a for a in reversed(fresh.service.conversations.audit_log()) if a.action == "autopilot_on")
    assert first.detail["intents"] == list(on.channel("tiktok").auto_send_intents) and first.detail["autopilot"]


# ---------------------------------------------------------------------------------------------- time zone

def test_times_show_in_the_sellers_zone_with_its_abbreviation(fresh: ConsoleService) -> None:
    assert when("2026-11-26T08:00:00Z", ZoneInfo("America/New_York")) == "Nov 26 03:00 EST"
    assert when("2026-07-01T08:00:00+00:00", ZoneInfo("America/New_York")) == "Jul 01 04:00 EDT"
    assert when("2026-11-26T08:00:00Z") == "Nov 26 08:00 UTC"  # no zone given: UTC, said so
    key = _write(fresh, "amazon", "is the cast iron skillet oven safe?", hour=6)
    entry = next(e for e in fresh.inbox() if e.key == key)
    assert entry.deadline == ANCHOR.replace(hour=6).replace(day=27)  # the clock: 24 h in UTC, unchanged
    with gr.Blocks():
        tab = inbox_tab.build()
    session = new_session()
    table = inbox_tab.refresh(fresh, tab, session, inbox_tab.ALL, inbox_tab.OPEN, inbox_tab.ALL)[tab.table]
    assert list(table["Due (platform clock)"]) == ["Nov 27 01:00 EST"]
    chicago = fresh.seller_settings().model_copy(update={"timezone": "America/Chicago"})
    fresh.update_seller_settings(chicago, ADMIN)
    table = inbox_tab.refresh(fresh, tab, session, inbox_tab.ALL, inbox_tab.OPEN, inbox_tab.ALL)[tab.table]
    assert list(table["Due (platform clock)"]) == ["Nov 27 00:00 CST"]
    with gr.Blocks():
        conv = conversation_tab.build()
    opened = conversation_tab.open_conversation(fresh, conv, key, new_session())
    assert "due Nov 27 00:00 CST" in opened[conv.header] and "Nov 26 00:00 CST" in opened[conv.thread]


# ---------------------------------------------------------------------------------------------- who answered

def test_the_thread_names_the_person_behind_each_reply(service_settings: Settings) -> None:
    partly = SellerSettings().with_autopilot(True, ["walmart"])  # walmart answers alone, amazon waits for review
    for console in _console(service_settings, partly):
        approved = _write(console, "amazon", QUESTION)
        automatic = _write(console, "walmart", QUESTION)
        handed = _write(console, "ebay", "my lawyer will sue you over this")
        console.service.drain()
        console.approve(approved, AGENT)
        console.take_over(handed, ADMIN)
        console.send_own_reply(handed, "I'm sorry about the trouble. I'm looking into your order myself now.", ADMIN)
        console.service.drain()

        def replies(key: str) -> list[tuple[str, str | None]]:
            return [(m["by"], m["how"]) for m in console.conversation(key).thread if m["direction"] == "out"]

        assert replies(approved) == [("ana", "approved the agent's draft")]
        assert replies(automatic) == [(AGENT_LABEL, None)]
        assert replies(handed)[-1] == ("bo", "wrote this reply")
        assert all(by == AGENT_LABEL for by, how in replies(handed)[:-1])  # the acknowledgment, if one went
        assert [o["by"] for o in console.conversation(approved).outbox] == ["ana"]
        html = thread_html(console.conversation(approved).thread)
        assert "ana (approved the agent&#x27;s draft)" in html or "ana (approved the agent's draft)" in html
        edited = _write(console, "amazon", "and how long does a return take to be received?", hour=9)
        console.service.drain()
        assert edited == approved and console.conversation(edited).awaiting_review  # draft-only on amazon
        console.edit_and_send(edited, "Thank you for asking. I'll check on the return for you and write back here.",
                              AGENT)
        console.service.drain()
        assert replies(edited) == [("ana", "approved the agent's draft"), ("ana", "edited the draft")]


def test_send_own_reply_accepts_the_order_the_conversation_settled_on(service_settings: Settings) -> None:
    """A person's own reply is checked against the same evidence as a reviewed draft, including the order the
    conversation is about (carried across turns), so naming it is not an 'ungrounded' order id."""
    for console in _console(service_settings, SellerSettings()):
        store = console.service.runtime.context.backend
        order = next(o for o in store.find_orders(platform="amazon", status="in_transit", limit=None)  # type: ignore[attr-defined]
                     if len(o.shipments) == 1)
        relay = store.get_customer(order.customer_id).identity_on("amazon")[0].value  # type: ignore[attr-defined]
        key = f"amazon:{relay}"
        for i, text in enumerate((f"where is my order {order.id}?", "ok thanks. hello?")):
            console.service.intake.accept([ChannelMessage(
                platform="amazon", delivery_id=f"{key}-{i}", conversation_key=key, customer_identity=relay,
                text=text, received_at=ANCHOR.replace(hour=7 + i), reply_route={"to": relay})])
            console.service.drain()
        if console.conversation(key).awaiting_review:
            console.take_over(key, AGENT)
        console.send_own_reply(key, f"Your order {order.id} is on its way; I'll keep an eye on it for you.", AGENT)
        console.service.drain()
        assert any(order.id in s["text"] for s in console.sender.sent)  # type: ignore[attr-defined]


def test_settings_file_round_trips(tmp_path: Path) -> None:
    saved = SellerSettings(timezone="Europe/Berlin").with_autopilot(True, ["shopify"])
    saved.save(tmp_path / "s.json")
    loaded = SellerSettings.load(tmp_path / "s.json")
    assert loaded == saved and loaded.zone == ZoneInfo("Europe/Berlin")
