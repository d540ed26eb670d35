"""Issue 18 item 9: who may decide a write the agent proposed is a seller setting, enforced by ConsoleService.

Refunds above the approval threshold need an admin (approve, deny, reject, edit or approve the draft); at or
below it, the `refund` entry decides; returns and the other writes have their own entries. The console shows
the refusal as its text, and nothing is written."""

from __future__ import annotations

from datetime import timedelta

from collections.abc import Iterator
from decimal import Decimal
from types import SimpleNamespace

import gradio as gr
import pytest

from channels.base import ChannelMessage
from shopdesk.console_service import ConsoleError, ConsoleService, User
from shopdesk.settings import Settings
from ui import conversation_tab
from ui.session import new_session

from testdata import ANCHOR
from service_env import recording_console

pytestmark = pytest.mark.filterwarnings("ignore:.*no_silent_downcasting", "ignore:The copy keyword is deprecated")

AGENT = User(name="ana", role="agent")
ADMIN = User(name="bo", role="admin")


@pytest.fixture
def console(service_settings: Settings) -> Iterator[ConsoleService]:
    with recording_console(service_settings) as console:
        yield console


def _write(console: ConsoleService, order, text: str, platform: str = "amazon") -> str:  # type: ignore[no-untyped-def]
    store = console.service.runtime.context.backend
    relay = store.get_customer(order.customer_id).identity_on(platform)[0].value  # type: ignore[attr-defined]
    key = f"{platform}:{relay}"
    console.service.intake.accept([ChannelMessage(
        platform=platform, delivery_id=f"{key}-1", conversation_key=key, customer_identity=relay, text=text,  # type: ignore[arg-type]
        received_at=ANCHOR.replace(hour=8), reply_route={"to": relay})])
    console.service.drain()
    return key


def _pending_refund(console: ConsoleService) -> tuple[str, str, Decimal]:
    store = console.service.runtime.context.backend
    order = next(o for o in store.find_orders(platform="amazon", status="in_transit", limit=None)  # type: ignore[attr-defined]
                 if any(s.status == "lost" for s in o.shipments) and not store.order_refunds(o.id))  # type: ignore[attr-defined]
    key = _write(console, order, f"where is my package {order.id}? it says lost, I want my money back")
    pending = console.conversation(key).pending_action
    assert pending and pending["tool"] == "refund" and pending["needs_approval"]
    return key, order.id, Decimal(pending["args"]["amount"])


def _refunds(console: ConsoleService, order_id: str) -> list:  # type: ignore[type-arg]
    return console.service.runtime.context.backend.order_refunds(order_id)  # type: ignore[attr-defined,no-any-return]


def test_an_agent_cannot_decide_a_refund_above_the_threshold_an_admin_can(console: ConsoleService) -> None:
    key, order_id, amount = _pending_refund(console)
    assert amount > console.seller_settings().refund_approval_threshold
    attempts = {
        "approve_action": lambda: console.approve_action(key, AGENT),
        "approve": lambda: console.approve(key, AGENT),
        "deny_action": lambda: console.deny_action(key, "no", AGENT),
        "reject": lambda: console.reject(key, "no", AGENT),
        "edit_send": lambda: console.edit_and_send(key, "Your refund is on its way.", AGENT),
    }
    for name, attempt in attempts.items():
        with pytest.raises(ConsoleError, match=r"only an admin can approve or deny a refund of \$[0-9.]+ \(above the"):
            attempt()
        console.service.drain()
        assert _refunds(console, order_id) == [], name
    view = console.conversation(key)
    assert view.awaiting_review and view.row.status == "needs_approval"  # still waiting for an admin
    refusals = [a for a in console.service.conversations.audit_log(key) if a.action == "refused"]
    assert len(refusals) == len(attempts) and all(a.actor == "human:ana" for a in refusals)

    console.approve_action(key, ADMIN)
    console.service.drain()
    assert len(_refunds(console, order_id)) == 1


def test_at_or_below_the_threshold_the_refund_setting_decides(console: ConsoleService) -> None:
    key, order_id, amount = _pending_refund(console)
    raised = console.seller_settings().model_copy(deep=True)
    raised.refund_approval_threshold = amount  # the pending refund is now at the threshold, not above it
    console.update_seller_settings(raised, ADMIN)
    admins_only = raised.model_copy(deep=True)
    admins_only.approvers.refund = "admin"
    console.update_seller_settings(admins_only, ADMIN)
    with pytest.raises(ConsoleError, match=r"only an admin can approve or deny a refund of \$"):
        console.approve_action(key, AGENT)
    console.update_seller_settings(raised, ADMIN)  # back to the default: agents decide refunds up to the threshold
    console.approve_action(key, AGENT)
    console.service.drain()
    assert len(_refunds(console, order_id)) == 1


def test_returns_follow_their_own_setting(console: ConsoleService) -> None:
    settings = console.seller_settings().model_copy(deep=True)
    settings.channels["facebook"].autopilot = False  # every draft waits for a person
    settings.approvers.start_return = "admin"
    console.update_seller_settings(settings, ADMIN)
    store = console.service.runtime.context.backend
    order = next(o for o in store.find_orders(platform="facebook", status="delivered", limit=None)  # type: ignore[attr-defined]
                 if not store.order_returns(o.id) and o.delivered_at > ANCHOR - timedelta(days=20))  # type: ignore[attr-defined]
    # a seller-opened return (Meta shops; on Amazon the buyer starts it in Your Orders)
    key = _write(console, order, f"I want to return {order.items[0].sku} from order {order.id}, I changed my mind",
                 platform="facebook")
    view = console.conversation(key)
    assert view.awaiting_review and (view.pending_action or {}).get("tool") == "start_return"
    with pytest.raises(ConsoleError, match="only an admin can approve or deny this start return"):
        console.approve(key, AGENT)
    with pytest.raises(ConsoleError, match="only an admin"):
        console.deny_action(key, "no", AGENT)
    console.service.drain()
    assert console.sender.sent == []  # type: ignore[attr-defined]
    console.approve(key, ADMIN)
    console.service.drain()
    assert len(console.sender.sent) == 1  # type: ignore[attr-defined]


def test_an_agent_may_still_take_a_refund_conversation_over(console: ConsoleService) -> None:
    key, order_id, _ = _pending_refund(console)
    view = console.take_over(key, AGENT)  # hands it to a person: the write is dropped, never run
    console.service.drain()
    assert view.row.status == "handed_off" and _refunds(console, order_id) == []


def test_the_console_shows_the_refusal(console: ConsoleService) -> None:
    key, order_id, _ = _pending_refund(console)
    with gr.Blocks():
        tab = conversation_tab.build()
    session = new_session()
    conversation_tab.open_conversation(console, tab, key, session)
    form = {"draft": "", "reject_reason": "", "own_reply": "", "deny_reason": ""}
    shown = conversation_tab.act(console, tab, "approve_action", session, form, SimpleNamespace(username="ana"))
    assert shown[tab.result].startswith("**Not done:** only an admin can approve or deny a refund of")
    console.service.drain()
    assert _refunds(console, order_id) == []


def test_the_console_offers_the_decision_only_to_a_role_that_may_make_it(console: ConsoleService) -> None:
    """Issue 20: an agent sees why a refund above the threshold is not theirs to decide, and no button that would
    only refuse them after the click; an admin gets the buttons. The service still checks every action."""
    key, order_id, amount = _pending_refund(console)
    pending = console.conversation(key).pending_action or {}
    assert not console.may_decide(pending, "agent") and console.may_decide(pending, "admin")
    assert console.approver_for(pending) == ("admin", f"a refund of ${amount} (above the "
                                             f"${console.seller_settings().refund_approval_threshold} approval "
                                             "threshold)")
    with gr.Blocks():
        tab = conversation_tab.build()
    shown = {}
    for role in ("agent", "admin"):
        session = {**new_session(), "role": role}
        shown[role] = conversation_tab.open_conversation(console, tab, key, session)
    agent, admin = shown["agent"], shown["admin"]
    assert "Only an admin can approve or deny a refund of $" in agent[tab.pending]
    assert "Only an admin" not in admin[tab.pending]
    for button in (tab.approve_action, tab.deny, tab.approve, tab.edit_send, tab.reject):
        assert agent[button].interactive is False and admin[button].interactive is True
    assert agent[tab.take_over].interactive is True  # taking it over never runs the write

    raised = console.seller_settings().model_copy(deep=True)
    raised.refund_approval_threshold = amount  # at the threshold: the `refund` entry (agents) decides
    console.update_seller_settings(raised, ADMIN)
    assert console.may_decide(pending, "agent")
