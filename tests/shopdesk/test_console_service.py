"""The console's application layer on a real service: inbox order, review actions, own replies, dashboard."""

from __future__ import annotations

from datetime import timedelta

import pytest

from channels.base import ChannelMessage
from shopdesk.console_service import ConsoleError, ConsoleService, User, UserDirectory
from shopdesk.service import Service
from shopdesk.settings import Settings
from tools.models import PLATFORMS

from recording import RecordingSender
from testdata import ANCHOR

AGENT = User(name="ana", role="agent")
ADMIN = User(name="bo", role="admin")


@pytest.fixture
def console(service_settings: Settings):  # type: ignore[no-untyped-def]
    sender = RecordingSender()
    settings = service_settings.model_copy(update={"console_users": "ana:pw1,bo:pw2:admin"})
    with Service(settings, senders={p: sender for p in PLATFORMS}, start_threads=False) as svc:
        console = ConsoleService(svc)
        console.sender = sender  # type: ignore[attr-defined]
        yield console


def _write(console: ConsoleService, platform: str, text: str, minutes: int = 0, customer_index: int = 0) -> str:
    store = console.service.runtime.context.backend
    customers = [c for c in store.list_customers() if c.identity_on(platform)]  # type: ignore[attr-defined]
    customer = customers[customer_index]
    identity = customer.identity_on(platform)[0].value
    key = f"{platform}:c-{customer.id}"
    console.service.intake.accept([ChannelMessage(
        platform=platform, delivery_id=f"{key}-{minutes}", conversation_key=key, customer_identity=identity,  # type: ignore[arg-type]
        text=text, received_at=ANCHOR.replace(hour=8) + timedelta(minutes=minutes), reply_route={"to": identity})])
    return key


def test_users_are_hashed_and_checked() -> None:
    users = UserDirectory("ana:secret,bo:pw:admin")
    assert users.authenticate("ana", "secret") == User(name="ana", role="agent")
    assert users.authenticate("ana", "wrong") is None and users.authenticate("zed", "secret") is None
    assert users.get("bo") == User(name="bo", role="admin")
    assert "secret" not in repr(users.__dict__)
    with pytest.raises(ValueError):
        UserDirectory("nopassword")


def test_inbox_is_ordered_by_the_platforms_deadlines(console: ConsoleService) -> None:
    walmart = _write(console, "walmart", "is this available in blue?", minutes=0)   # 48 h clock
    amazon = _write(console, "amazon", "is this available in blue?", minutes=5)     # 24 h clock
    keys = [e.key for e in console.inbox()]
    assert keys.index(amazon) < keys.index(walmart)
    entry = console.inbox(platform="amazon")[0]
    assert entry.status == "new" and entry.time_left_s is not None and not entry.overdue
    view = console.conversation(amazon)
    assert view.time_left_s == entry.time_left_s == 23 * 3600 + 5 * 60 and not view.overdue  # 24 h clock, 9:00 now


def test_edit_and_send_then_the_reply_goes_out_once(console: ConsoleService) -> None:
    key = _write(console, "amazon", "my order arrived damaged, the lid is cracked and it leaks")
    console.service.drain()
    view = console.conversation(key)
    assert view.awaiting_review and view.row.status in ("draft_ready", "needs_approval") and view.draft
    done = console.edit_and_send(key, "Thanks for reaching out. A teammate will look at your order today.", AGENT)
    console.service.drain()
    assert done.row.status in ("queued", "sent")
    assert console.service.conversations.get(key).status == "sent"  # type: ignore[union-attr]
    assert len(console.sender.sent) == 1 and console.sender.sent[0]["human"]  # type: ignore[attr-defined]
    assert any(a.action == "edited" and a.actor == "human:ana" for a in console.service.conversations.audit_log(key))


def test_an_edit_that_breaks_a_rule_is_not_sent(console: ConsoleService) -> None:
    key = _write(console, "tiktok", "I filed a dispute with my bank about this charge")
    console.service.drain()
    if not console.conversation(key).awaiting_review:
        console.take_over(key, AGENT)
        with pytest.raises(ConsoleError, match="breaks"):
            console.send_own_reply(key, "Email me at help@example.com or see https://example.com", AGENT)
        console.service.drain()
        sent = [s["text"] for s in console.sender.sent]  # type: ignore[attr-defined]
        assert len(sent) == 1 and "passed it to a member of our team" in sent[0]  # the handoff acknowledgment only
        return
    with pytest.raises(ConsoleError, match="breaks"):
        console.edit_and_send(key, "Email me at help@example.com", AGENT)
    console.service.drain()
    assert console.sender.sent == []  # type: ignore[attr-defined]


def test_a_person_answers_a_handed_off_conversation(console: ConsoleService) -> None:
    key = _write(console, "ebay", "my lawyer will sue you over this")
    console.service.drain()
    view = console.conversation(key)
    assert view.row.status in ("handed_off", "draft_ready", "needs_approval")
    console.take_over(key, AGENT)
    console.send_own_reply(key, "I'm sorry about the trouble. I'm looking into your order myself now.", AGENT)
    console.send_own_reply(key, "I'm sorry about the trouble. I'm looking into your order myself now.", AGENT)
    console.service.drain()
    assert len(console.sender.sent) == 1  # the double click queued one reply  # type: ignore[attr-defined]
    assert console.service.conversations.get(key).status == "sent"  # type: ignore[union-attr]


def test_customer_360_and_the_agent_evidence(console: ConsoleService) -> None:
    key = _write(console, "tiktok", "how long do refunds take?")
    console.service.drain()
    view = console.conversation(key)
    assert view.customer is not None and view.orders and view.thread[0]["direction"] == "in"
    assert view.passages and view.passages[0]["text"] and view.compliance is not None


def test_dashboard_figures_match_the_database(console: ConsoleService) -> None:
    _write(console, "tiktok", "how long do refunds take?")
    _write(console, "amazon", "my lawyer will sue you", minutes=1)
    console.service.drain()
    board = console.dashboard()
    assert board.conversations == 2 and board.replies_sent == len(console.sender.sent)  # type: ignore[attr-defined]
    tiktok = next(p for p in board.platforms if p.platform == "tiktok")
    assert tiktok.answered == 1 and tiktok.within_clock_share == 1.0
    assert board.volume_by_platform == {"tiktok": 1, "amazon": 1}
    assert board.handoff_rate is not None and 0 <= board.handoff_rate <= 1
    assert board.amazon_odr is not None and 0 <= board.amazon_odr < 1
    assert {f.platform for f in board.account_health} == {"amazon", "walmart"} and len(board.account_health) == 6


def test_only_admins_change_settings(console: ConsoleService) -> None:
    settings = console.seller_settings().model_copy(deep=True)
    settings.channels["tiktok"].autopilot = False
    with pytest.raises(ConsoleError, match="admin"):
        console.update_seller_settings(settings, AGENT)
    saved = console.update_seller_settings(settings, ADMIN)
    assert saved.channels["tiktok"].autopilot is False
    assert console.service.runtime.context.seller_settings.channels["tiktok"].autopilot is False


def _lost_order(console: ConsoleService):  # type: ignore[no-untyped-def]
    store = console.service.runtime.context.backend
    return next(o for o in store.find_orders(platform="amazon", status="in_transit", limit=None)  # type: ignore[attr-defined]
                if any(s.status == "lost" for s in o.shipments) and not store.order_refunds(o.id))  # type: ignore[attr-defined]


def _write_about(console: ConsoleService, order, text: str) -> str:  # type: ignore[no-untyped-def]
    store = console.service.runtime.context.backend
    relay = store.get_customer(order.customer_id).identity_on("amazon")[0].value  # type: ignore[attr-defined]
    key = f"amazon:{relay}"
    console.service.intake.accept([ChannelMessage(
        platform="amazon", delivery_id=f"{key}-lost", conversation_key=key, customer_identity=relay, text=text,
        received_at=ANCHOR.replace(hour=8), reply_route={"to": relay})])
    return key


def test_a_refund_waiting_for_approval_is_made_once_when_approved(console: ConsoleService) -> None:
    order = _lost_order(console)
    key = _write_about(console, order, f"where is my package {order.id}? it says lost, I want my money back")
    console.service.drain()
    view = console.conversation(key)
    assert view.row.status == "needs_approval" and view.pending_action and view.pending_action["needs_approval"]
    store = console.service.runtime.context.backend
    assert store.order_refunds(order.id) == []  # type: ignore[attr-defined]
    done = console.approve_action(key, ADMIN)  # above the refund threshold: an admin decides (tests/security)
    console.service.drain()
    assert len(store.order_refunds(order.id)) == 1  # type: ignore[attr-defined]
    assert done.row.status in ("queued", "sent") and len(console.sender.sent) == 1  # type: ignore[attr-defined]
    with pytest.raises(ConsoleError, match="waiting"):
        console.approve_action(key, ADMIN)


def test_a_denied_refund_is_not_made(console: ConsoleService) -> None:
    order = _lost_order(console)
    key = _write_about(console, order, f"where is my package {order.id}? it says lost, I want my money back")
    console.service.drain()
    console.deny_action(key, "carrier claim still open", ADMIN)
    console.service.drain()
    assert console.service.runtime.context.backend.order_refunds(order.id) == []  # type: ignore[attr-defined]
    assert any(a.action == "denied_action" for a in console.service.conversations.audit_log(key))
