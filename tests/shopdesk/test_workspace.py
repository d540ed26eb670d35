"""The team's workspace on a real service: assignment and its role rules, presence, internal notes, tags and
inbox search, each against hostile input; and notes never reaching the agent, the outbox or a reply."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from threading import RLock
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from agent.state import plain_state
from channels.base import ChannelMessage
from runtime.appdb.migrations import migrate
from runtime.conversations import ConversationStore
from shopdesk.console_service import ConsoleError, ConsoleService, User
from shopdesk.inbox_search import MAX_QUERY_CHARS, SearchIndex, parse_query
from shopdesk.service import Service
from shopdesk.settings import Settings
from shopdesk.workspace import UNASSIGNED, Viewer, WorkspaceStore
from shopdesk.workspace_service import (ANY, MINE, NOTE_MAX_CHARS, TAGS_PER_CONVERSATION, Snapshot, WorkspaceService,
                                        tag_slug, viewer_id)
from tools.models import PLATFORMS

from fake_llm import _FakeChatModel
from recording import RecordingSender
from testdata import ANCHOR

ANA = User(name="ana", role="agent")
CY = User(name="cy", role="agent")
BO = User(name="bo", role="admin")
USERS = "ana:pw1,bo:pw2:admin,cy:pw3"


@pytest.fixture
def console(service_settings: Settings) -> Iterator[ConsoleService]:
    settings = service_settings.model_copy(update={"console_users": USERS})
    sender = RecordingSender()
    with Service(settings, senders={p: sender for p in PLATFORMS}, start_threads=False) as svc:
        console = ConsoleService(svc)
        console.sender = sender  # type: ignore[attr-defined]
        yield console


@pytest.fixture
def ws(console: ConsoleService) -> WorkspaceService:
    return WorkspaceService(console)


def _customer(console: ConsoleService, platform: str, index: int = 0) -> Any:
    store = console.service.runtime.context.backend
    return [c for c in store.list_customers() if c.identity_on(platform)][index]  # type: ignore[attr-defined]


def _write(console: ConsoleService, platform: str, text: str, *, index: int = 0, minutes: int = 0) -> str:
    customer = _customer(console, platform, index)
    identity = customer.identity_on(platform)[0].value
    key = f"{platform}:c-{customer.id}"
    console.service.intake.accept([ChannelMessage(
        platform=platform, delivery_id=f"{key}-{minutes}", conversation_key=key, customer_identity=identity,  # type: ignore[arg-type]
        text=text, received_at=ANCHOR.replace(hour=8) + timedelta(minutes=minutes), reply_route={"to": identity})])
    return key


def _audit(console: ConsoleService, key: str, action: str) -> list[Any]:
    return [a for a in console.service.conversations.audit_log(key) if a.action == action]


# ---------------------------------------------------------------------------------------------- schema

def test_the_schema_is_created_once_and_an_existing_database_is_migrated(tmp_path: Any) -> None:
    path = tmp_path / "app.db"
    ConversationStore(path).close()  # a database made before the workspace existed
    with sqlite3.connect(path) as db:
        assert not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'ws_notes'").fetchone()
    WorkspaceStore(path)
    component, migrations = WorkspaceStore.COMPONENT, WorkspaceStore.MIGRATIONS
    current = migrations[-1].version
    with sqlite3.connect(path) as db:
        assert migrate(db, RLock(), component, migrations) == current  # already current: nothing to do
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        db.execute("DELETE FROM schema_migrations WHERE component = ?", (component,))  # cut off before recorded
        db.commit()
        assert migrate(db, RLock(), component, migrations) == 0
        assert db.execute("SELECT MAX(version) FROM schema_migrations WHERE component = ?",
                          (component,)).fetchone()[0] == current
    assert {"ws_assignments", "ws_presence", "ws_notes", "ws_tags", "conversations"} <= tables
    store = WorkspaceStore(path)  # opening again keeps what was there
    assert store.add_note("k", "ana", "kept", ANCHOR, limit=5) is not None
    assert [n.text for n in WorkspaceStore(path).notes("k")] == ["kept"]


# ---------------------------------------------------------------------------------------------- assignment

def test_assignment_role_rules_and_audit(console: ConsoleService, ws: WorkspaceService) -> None:
    key = _write(console, "tiktok", "where is my order?")
    assert ws.assign_to_me(key, ANA) == "ana"
    with pytest.raises(ConsoleError, match="already assigned to you"):
        ws.assign_to_me(key, ANA)
    with pytest.raises(ConsoleError, match="only an admin can assign a conversation to someone else"):
        ws.assign(key, "cy", ANA)
    with pytest.raises(ConsoleError, match="only an admin can unassign a conversation assigned to ana"):
        ws.unassign(key, CY)
    assert ws.assign_to_me(key, CY) == "cy"  # anyone may take it; the audit says from whom
    assert ws.assign(key, "ana", BO) == "ana"  # an admin assigns anyone
    assert ws.unassign(key, ANA) is None  # one's own
    with pytest.raises(ConsoleError, match="not assigned to anyone"):
        ws.unassign(key, BO)
    for bad in ("zed", "ana:pw1", "x" * 10_000, ""):
        with pytest.raises(ConsoleError, match="no console user"):
            ws.assign(key, bad, BO)
    for bad_key in ("nope:1", "x" * 100_000, None):
        with pytest.raises(ConsoleError):
            ws.assign_to_me(bad_key, ANA)  # type: ignore[arg-type]
    log = list(reversed(console.service.conversations.audit_log(key)))
    changes = [(a.actor, a.action, a.detail["from"], a.detail["to"]) for a in log
               if a.action in ("assigned", "reassigned", "unassigned")]
    assert changes == [("human:ana", "assigned", None, "ana"), ("human:cy", "reassigned", "ana", "cy"),
                       ("human:bo", "reassigned", "cy", "ana"), ("human:ana", "unassigned", "ana", None)]
    assert all(a.at == console.service.clock.now() for a in log if a.action.endswith("assigned"))


def test_a_stale_assignment_is_not_overwritten(console: ConsoleService, ws: WorkspaceService) -> None:
    key = _write(console, "tiktok", "where is my order?")
    ws.assign_to_me(key, ANA)
    now = console.service.clock.now()
    assert console.workspace.assign(key, "bo", "bo", now, expect=None) is False  # read "nobody", it is ana's now
    assert console.workspace.assignee(key) == "ana"


def test_the_inbox_filters_by_assignee_and_shows_it(console: ConsoleService, ws: WorkspaceService) -> None:
    first = _write(console, "tiktok", "where is my order?", minutes=0)
    second = _write(console, "amazon", "is this available in blue?", minutes=1)
    third = _write(console, "ebay", "do you ship to Alaska?", minutes=2)
    everything = [e.key for e in console.inbox()]
    ws.assign_to_me(first, ANA)
    ws.assign(second, "cy", BO)
    mine = ws.inbox_filter(None, MINE, None, ANA)
    assert [e.key for e in console.inbox(**mine.model_dump())] == [first]
    assert [e.key for e in console.inbox(assignee="cy")] == [second]
    assert [e.key for e in console.inbox(assignee=UNASSIGNED)] == [third]
    assert [e.key for e in console.inbox(**ws.inbox_filter("", ANY, ANY, ANA).model_dump())] == everything
    shown = {e.key: e.assignee for e in console.inbox()}
    assert shown == {first: "ana", second: "cy", third: None}
    with pytest.raises(ConsoleError, match="no console user"):
        ws.inbox_filter(None, "mallory", None, ANA)


# ---------------------------------------------------------------------------------------------- presence

def test_presence_names_the_others_and_expires(console: ConsoleService, ws: WorkspaceService) -> None:
    key = _write(console, "tiktok", "where is my order?")
    clock = [1000.0]
    console.workspace.wall = lambda: clock[0]
    assert ws.heartbeat(key, ANA, "session-a").others == []
    seen = ws.heartbeat(key, BO, "session-b", replying=True)
    assert [(v.user, v.activity) for v in seen.others] == [("ana", "viewing")]
    ws.heartbeat(key, ANA, "session-a2")  # ana in a second tab: still one "ana", never herself
    assert [(v.user, v.activity) for v in ws.heartbeat(key, ANA, "session-a").others] == [("bo", "replying")]
    clock[0] += console.workspace.presence_ttl_s + 1  # bo's tab stopped renewing
    assert ws.heartbeat(key, ANA, "session-a").others == []
    ws.heartbeat(key, BO, "session-b")
    other = _write(console, "amazon", "hello", minutes=1)
    ws.heartbeat(other, BO, "session-b")  # one conversation open per session: bo moved on
    assert ws.heartbeat(key, ANA, "session-a").others == []
    ws.heartbeat(key, BO, "session-b")
    ws.leave("session-b")
    assert ws.heartbeat(key, ANA, "session-a").others == []
    with sqlite3.connect(console.service.settings.app_db_path) as db:  # the session id itself is never stored
        stored = [r[0] for r in db.execute("SELECT viewer FROM ws_presence")]
    assert "session-a" not in stored and viewer_id("session-a") in stored


# ---------------------------------------------------------------------------------------------- notes

def test_notes_are_bounded_cleaned_audited_and_shown_in_order(console: ConsoleService, ws: WorkspaceService) -> None:
    key = _write(console, "tiktok", "where is my order?")
    for bad in ("", "   \n\t", "\x00\x07"):
        with pytest.raises(ConsoleError, match="write the note first"):
            ws.add_note(key, bad, ANA)
    with pytest.raises(ConsoleError, match=f"at most {NOTE_MAX_CHARS}"):
        ws.add_note(key, "x" * (NOTE_MAX_CHARS + 1), ANA)
    hostile = "<script>alert(1)</script>\r\n**bold** [link](http://evil.example)\u202e\x00"
    note = ws.add_note(key, hostile, ANA)
    assert note.text == "<script>alert(1)</script>\n**bold** [link](http://evil.example)"  # stored as typed, cleaned
    ws.add_note(key, "second", BO)
    view = console.conversation(key)
    assert [(n["author"], n["text"]) for n in view.notes] == [("ana", note.text), ("bo", "second")]
    assert [a.detail for a in reversed(_audit(console, key, "note_added"))] == [
        {"note_id": note.id, "chars": len(note.text)}, {"note_id": note.id + 1, "chars": 6}]
    with pytest.raises(ConsoleError):
        ws.add_note("amazon:nobody", "hi", ANA)


class SpyChatModel(_FakeChatModel):
    """Records every prompt it is given and answers nothing usable (the agent keeps its templates or asks a person)."""

    received: list[list[BaseMessage]] = []

    @property
    def _llm_type(self) -> str:
        return "spy"

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        self.received.append(list(messages))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content="…"))])


def test_notes_never_reach_the_agent_the_outbox_or_a_reply(service_settings: Settings) -> None:
    marker = "zq7f3a-manager-ok"
    spy = SpyChatModel(received=[])
    sender = RecordingSender()
    settings = service_settings.model_copy(update={"console_users": USERS})
    with Service(settings, senders={p: sender for p in PLATFORMS}, start_threads=False, llm=spy) as svc:
        context = svc.runtime.context  # the model triages every message and words every draft: it sees the most
        context.seller_settings = context.seller_settings.with_model_wording().model_copy(update={"min_confidence": 1})
        console = ConsoleService(svc)
        ws = WorkspaceService(console)
        key = _write(console, "tiktok", "hi, do you gift wrap orders for birthdays?")
        svc.drain()
        ws.add_note(key, f"{marker}: call back tomorrow, customer 4412 asked twice", ANA)
        ws.add_tag(key, marker, ANA)
        _write(console, "tiktok", "hello? also can I pay with a gift card from another store?", minutes=5)
        svc.drain()
        view = console.conversation(key)
        if view.awaiting_review:
            console.approve(key, BO)
        elif view.row.status in ("handed_off", "failed"):
            console.send_own_reply(key, "Thanks for your patience, a teammate is checking this for you today.", ANA)
        svc.drain()
        assert spy.received, "the agent never asked the model: this test would prove nothing"
        prompts = json.dumps([[m.content for m in call] for call in spy.received], default=str)
        assert "gift card from another store" in prompts  # the model read the conversation after the note was made
        state = svc.runtime.graph.get_state({"configurable": {"thread_id": key}})  # type: ignore[arg-type]
        outbox = [r.message.model_dump_json() for r in svc.outbox.for_conversation(key)]
        messages = [m.text for m in svc.conversations.messages(key)]
        assert sender.sent and outbox and len(messages) >= 3  # replies went out after the note was written
        for where, text in (("prompt", prompts), ("agent state", json.dumps(plain_state(state.values), default=str)),
                            ("outbox", json.dumps(outbox)), ("sent", json.dumps(sender.sent)),
                            ("thread", json.dumps(messages)), ("trace", json.dumps(view.row.trace, default=str))):
            assert marker.lower() not in text.lower(), f"the note reached the {where}"
        assert any(marker in n["text"] for n in view.notes)  # the team still sees it


# ---------------------------------------------------------------------------------------------- tags

def test_tags_are_slugs_bounded_and_filter_the_inbox(console: ConsoleService, ws: WorkspaceService) -> None:
    first = _write(console, "tiktok", "where is my order?", minutes=0)
    second = _write(console, "amazon", "is this available in blue?", minutes=1)
    assert tag_slug("  Late Delivery!! ") == "late-delivery" and tag_slug("Café") == "cafe"
    assert tag_slug("VIP") == "vip" and tag_slug("a_b%c") == "a-b-c"
    for bad in ("", "!!!", "日本", "<script>"):
        if bad == "<script>":
            assert tag_slug(bad) == "script"
            continue
        with pytest.raises(ConsoleError, match="letters or digits"):
            tag_slug(bad)
    with pytest.raises(ConsoleError, match="at most 32"):
        tag_slug("x" * 33)
    with pytest.raises(ConsoleError, match="at most 32"):
        tag_slug("x" * 10_000)
    assert ws.add_tag(first, "Damaged Item", ANA) == "damaged-item"
    with pytest.raises(ConsoleError, match="already tagged damaged-item"):
        ws.add_tag(first, "damaged item", BO)
    ws.add_tag(second, "vip", ANA)
    ws.add_tag(first, "vip", ANA)
    assert [e.key for e in console.inbox(tag="vip")] == [e.key for e in console.inbox() if e.key in (first, second)]
    assert [e.key for e in console.inbox(tag="damaged-item")] == [first]
    assert console.inbox(tag="nothing-like-it") == []
    assert {e.key: e.tags for e in console.inbox()} == {first: ["damaged-item", "vip"], second: ["vip"]}
    assert console.conversation(first).tags == ["damaged-item", "vip"]
    assert ws.tag_counts() == {"damaged-item": 1, "vip": 2}
    assert ws.remove_tag(first, "VIP", BO) == "vip"
    with pytest.raises(ConsoleError, match="not tagged vip"):
        ws.remove_tag(first, "vip", BO)
    for i in range(TAGS_PER_CONVERSATION - 1):
        ws.add_tag(first, f"t{i}", ANA)
    with pytest.raises(ConsoleError, match=f"at most {TAGS_PER_CONVERSATION} tags"):
        ws.add_tag(first, "one-too-many", ANA)
    actions = [(a.action, a.detail["tag"]) for a in reversed(console.service.conversations.audit_log(first))
               if a.action.startswith("tag_")]
    assert actions[:3] == [("tag_added", "damaged-item"), ("tag_added", "vip"), ("tag_removed", "vip")]
    assert ws.inbox_filter(None, None, "VIP", ANA).tag == "vip"


# ---------------------------------------------------------------------------------------------- search

def _three(console: ConsoleService) -> tuple[str, str, str]:
    return (_write(console, "tiktok", "the lid is cracked and it leaks", minutes=0),
            _write(console, "amazon", "is this available in blue? 50% off code?", minutes=1),
            _write(console, "ebay", "do you ship to Alaska?", minutes=2))


@pytest.mark.parametrize("fts", [True, False], ids=["fts5-trigram", "no-fts5"])
def test_search_finds_order_numbers_names_identities_and_text(console: ConsoleService, fts: bool) -> None:
    if not fts:  # a SQLite without FTS5: the same answers from the documents alone
        with sqlite3.connect(console.service.settings.app_db_path) as db:
            db.execute("DROP TABLE IF EXISTS ws_search_fts")
        console.search_index = SearchIndex(console.service.settings.app_db_path, console.service.conversations,
                                           console.workspace, lambda: console.service.runtime.context.backend,
                                           fts=False)
    assert console.search_index.fts is fts
    tiktok, amazon, ebay = _three(console)
    store = console.service.runtime.context.backend
    who = {k: store.get_customer(k.split(":c-", 1)[1]) for k in (tiktok, amazon, ebay)}  # type: ignore[attr-defined]

    def found(query: str) -> list[str]:
        return [e.key for e in console.inbox(search=query)]

    order = store.customer_orders(who[amazon].id)[-1]  # type: ignore[attr-defined]  # never typed in any message
    assert found(order.id) == [amazon]
    assert amazon in found(order.id[-5:])  # part of an order number
    tracking = next((s.tracking_number for o in store.customer_orders(who[ebay].id)  # type: ignore[attr-defined]
                     for s in o.shipments), None)
    if tracking:
        assert ebay in found(tracking.lower())
    first, last = who[tiktok].name.split()[0], who[tiktok].name.split()[-1]
    assert tiktok in found(first.upper())  # any case
    assert found(f'"{who[tiktok].name}"') == [tiktok]  # a quoted phrase
    assert tiktok in found(f"{last} {first}")  # every word, in any order
    if who[ebay].email:
        assert found(who[ebay].email) == [ebay]
    relay = who[amazon].identity_on("amazon")[0].value
    assert found(relay) == [amazon]  # a platform identity
    assert found("CRACKED leaks") == [tiktok]
    assert found("cracked alaska") == []  # every word must match the same conversation
    assert found("50%") == [amazon]  # wildcards are characters
    assert found("%") == [amazon] and found("_") == [] and found("*") == [] and found("\\") == []
    assert found("a%b") == [] and found("bl_e") == [] and found("bl*") == [] and found("blu?") == []
    assert found("  ") == found("") == found('""') == [e.key for e in console.inbox()]  # no words: no search
    assert found("\x00cracked\u200b") == [tiktok]  # control characters are spaces
    with pytest.raises(ConsoleError, match=f"at most {MAX_QUERY_CHARS} characters"):
        console.inbox(search="x" * (MAX_QUERY_CHARS + 1))
    with pytest.raises(ConsoleError, match="at most 8 words"):
        console.inbox(search="a b c d e f g h i")
    # a new message is found at once; so is a note
    _write(console, "ebay", "also my parcel number is ZZ-99-QQ", minutes=3)
    assert found("zz-99-qq") == [ebay]
    WorkspaceService(console).add_note(tiktok, "promised a replacement lid", ANA)
    assert found("replacement lid") == [tiktok]


def test_search_combines_with_filters_and_keeps_the_inbox_order(console: ConsoleService, ws: WorkspaceService) -> None:
    keys = [_write(console, p, "my parcel never arrived", minutes=i) for i, p in enumerate(("walmart", "tiktok", "amazon"))]
    order = [e.key for e in console.inbox()]
    assert [e.key for e in console.inbox(search="parcel never")] == order and set(order) == set(keys)
    ws.assign_to_me(keys[2], ANA)
    ws.add_tag(keys[0], "late", ANA)
    ws.add_tag(keys[2], "late", ANA)
    assert [e.key for e in console.inbox(search="parcel", tag="late")] == [k for k in order if k != keys[1]]
    assert [e.key for e in console.inbox(search="parcel", tag="late", assignee="ana")] == [keys[2]]
    assert [e.key for e in console.inbox(search="parcel", assignee=UNASSIGNED)] == [k for k in order if k != keys[2]]
    assert [e.key for e in console.inbox(search="parcel", platform="tiktok")] == [keys[1]]
    assert console.inbox(search="parcel", status="sent") == []


def test_parse_query_is_bounded_and_literal() -> None:
    assert parse_query('Maria  "Lopez Garcia"  maria 113-44') == ["maria", "lopez garcia", "113-44"]
    assert parse_query('"unclosed phrase') == ["unclosed phrase"]
    assert parse_query("ß") == ["ss"]
    assert parse_query(None) == [] and parse_query(" \t ") == []


def test_the_console_user_list(console: ConsoleService) -> None:
    assert [(u.name, u.role) for u in console.users.people()] == [("ana", "agent"), ("bo", "admin"), ("cy", "agent")]



# ---------------------------------------------------------------------------------------------- how the console draws it

def test_notes_are_drawn_escaped_in_time_order_and_set_apart() -> None:
    from ui.format import thread_html  # (gradio imported here only: the rest of the file needs no UI)
    from ui.workspace_panel import header_line, presence_text, row_marks, with_notes

    messages = [{"author": "customer", "direction": "in", "platform": "amazon", "at": "2026-11-26T08:00:00Z",
                 "text": "first", "conversation": "k"},
                {"author": "agent", "direction": "out", "platform": "amazon", "at": "2026-11-26T10:00:00Z",
                 "text": "third", "conversation": "k"}]
    notes = [{"author": "ana<i>", "at": "2026-11-26T09:00:00+00:00", "text": "<img src=x onerror=alert(1)> **second**"}]
    drawn = with_notes(notes, messages, lambda ms: thread_html(ms, current="k"))
    assert drawn.index("first") < drawn.index("second") < drawn.index("third")
    assert "<img" not in drawn and "&lt;img src=x onerror=alert(1)&gt;" in drawn and "<i>" not in drawn
    assert drawn.count('class="sd-msg sd-note"') == 1 and "not sent to the customer" in drawn
    assert with_notes([], messages, lambda ms: thread_html(ms, current="k")) == thread_html(messages, current="k")
    assert "<b>" not in header_line("<b>x</b>", ["vip"]) and "\\#vip" in header_line(None, ["vip"])
    assert row_marks("ana", ["vip", "late"]) == " · @ana · #vip #late" and row_marks(None, []) == ""
    snap = Snapshot(key="k", assignee="bo", tags=[], you="ana",
                    others=[Viewer(user="bo", activity="replying", seen_at=0), Viewer(user="cy", activity="viewing",
                                                                                       seen_at=0)])
    assert presence_text(snap) == ("⚠ **bo** is replying · ⚠ **cy** is viewing this · "
                                   "⚠ Assigned to **bo**, not you: you can still act on it")
