"""Issue 20 items 1 and 2 through the console service: Edit & send with a pending refund must say what becomes of
it (approve, deny, keep pending), the reply must match, and every choice is audited; a rejected draft leaves the
conversation open in the inbox with its clock, for a person to answer."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from channels.base import ChannelMessage
from shopdesk.console_service import ConsoleError, ConsoleService, User
from shopdesk.settings import Settings
from tools.models import Order

from service_env import recording_console
from testdata import ANCHOR

AGENT = User(name="ana", role="agent")
ADMIN = User(name="bo", role="admin")
INTERIM = "I'm sorry about the lost parcel. A colleague is reviewing your refund today and we'll write again."


@pytest.fixture
def console(service_settings: Settings) -> Iterator[ConsoleService]:
    with recording_console(service_settings) as console:
        yield console


def _store(console: ConsoleService):  # type: ignore[no-untyped-def]
    return console.service.runtime.context.backend


def _pending_refund(console: ConsoleService) -> tuple[str, Order]:
    """A lost Amazon parcel; the refund the agent proposes is above the threshold and waits for an admin."""
    store = _store(console)
    order = next(o for o in store.find_orders(platform="amazon", status="in_transit", limit=None)
                 if any(s.status == "lost" for s in o.shipments) and not store.order_refunds(o.id))
    relay = store.get_customer(order.customer_id).identity_on("amazon")[0].value
    key = f"amazon:{relay}"
    console.service.intake.accept([ChannelMessage(
        platform="amazon", delivery_id=f"{key}-lost", conversation_key=key, customer_identity=relay,
        text=f"where is my package {order.id}? it says lost, I want my money back",
        received_at=ANCHOR.replace(hour=8), reply_route={"to": relay})])
    console.service.drain()
    view = console.conversation(key)
    assert view.row.status == "needs_approval" and (view.pending_action or {}).get("needs_approval")
    return key, order


def _sent(console: ConsoleService) -> list[str]:
    return [s["text"] for s in console.sender.sent]  # type: ignore[attr-defined]


def _audit(console: ConsoleService, key: str) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    return [(a.action, a.detail) for a in reversed(console.service.conversations.audit_log(key))]


def _open_keys(console: ConsoleService) -> list[str]:
    return [e.key for e in console.inbox()]  # the Open view: OPEN_STATUSES only


def test_edit_and_send_with_a_pending_refund_asks_the_person_to_choose(console: ConsoleService) -> None:
    key, order = _pending_refund(console)
    with pytest.raises(ConsoleError, match=r"a refund of \$[0-9.]+ is waiting for approval: choose whether to "
                                           r"approve it, deny it or keep it pending"):
        console.edit_and_send(key, INTERIM, ADMIN)
    console.service.drain()
    view = console.conversation(key)
    assert view.awaiting_review and view.row.status == "needs_approval" and view.pending_action
    assert _sent(console) == [] and _store(console).order_refunds(order.id) == []


def test_approve_and_edit_makes_the_refund_once_and_sends_the_edited_text(console: ConsoleService) -> None:
    key, order = _pending_refund(console)
    with pytest.raises(ConsoleError, match="only an admin"):  # the approver role still decides it
        console.edit_and_send(key, INTERIM, AGENT, pending="approve")
    text = f"Good news: we've refunded ${order.total} for order {order.id}. Sorry again about the parcel."
    view = console.edit_and_send(key, text, ADMIN, pending="approve")
    console.service.drain()
    assert len(_store(console).order_refunds(order.id)) == 1 and _sent(console) == [text]
    assert view.pending_action is None and console.service.conversations.get(key).status == "sent"  # type: ignore[union-attr]
    actions = _audit(console, key)
    edited = next(d for a, d in actions if a == "edited")
    assert edited["pending_choice"] == "approve" and edited["pending_write"]["tool"] == "refund"
    assert any(a == "approved_action" for a, _ in actions)


def test_a_failed_approved_refund_is_not_announced(console: ConsoleService) -> None:
    key, order = _pending_refund(console)
    _store(console).refund(order.id, Decimal(str(order.total)), "refunded by phone")  # made meanwhile
    text = f"Good news: we've refunded ${order.total} for order {order.id}."
    with pytest.raises(ConsoleError, match=r"not sent: the approved refund failed \(.+\); nothing was sent"):
        console.edit_and_send(key, text, ADMIN, pending="approve")
    console.service.drain()
    assert _sent(console) == [] and len(_store(console).order_refunds(order.id)) == 1
    row = console.service.conversations.get(key)
    assert row is not None and row.status == "handed_off" and key in _open_keys(console)


def test_deny_and_edit_drops_the_refund_sends_the_text_and_is_recorded_as_a_denial(console: ConsoleService) -> None:
    key, order = _pending_refund(console)
    text = "I'm sorry about the parcel. We're sending a replacement instead of a refund; it ships tomorrow."
    view = console.edit_and_send(key, text, ADMIN, pending="deny")
    console.service.drain()
    assert _store(console).order_refunds(order.id) == [] and _sent(console) == [text]
    assert view.pending_action is None and not view.awaiting_review
    actions = _audit(console, key)
    assert next(d for a, d in actions if a == "edited")["pending_choice"] == "deny"
    assert any(a == "denied_action" for a, _ in actions)
    with pytest.raises(ConsoleError, match="no write waiting for approval"):  # nothing left to approve later
        console.approve_action(key, ADMIN)


def test_keep_sends_the_text_and_the_refund_still_waits_in_the_open_view(console: ConsoleService) -> None:
    key, order = _pending_refund(console)
    deadline = console.conversation(key).row.deadline
    view = console.edit_and_send(key, INTERIM, ADMIN, pending="keep")
    console.service.drain()  # the dispatcher delivers the interim reply
    assert _sent(console) == [INTERIM] and _store(console).order_refunds(order.id) == []
    view = console.conversation(key)
    assert view.row.status == "needs_approval" and view.awaiting_review and view.pending_action
    assert key in _open_keys(console) and view.row.deadline == deadline
    assert next(d for a, d in _audit(console, key) if a == "edited")["pending_choice"] == "keep"
    console.approve_action(key, ADMIN)  # decided later, as any pending write
    console.service.drain()
    assert len(_store(console).order_refunds(order.id)) == 1 and len(_sent(console)) == 2


@pytest.mark.parametrize(("choice", "chose"), [("keep", "keep it pending"), ("deny", "deny it")])
def test_a_reply_that_contradicts_the_choice_is_refused(console: ConsoleService, choice: str, chose: str) -> None:
    key, order = _pending_refund(console)
    with pytest.raises(ConsoleError, match=f"the reply says the refund is done .* but you chose to {chose}"):
        console.edit_and_send(key, f"We've refunded ${order.total} to your card.", ADMIN, pending=choice)  # type: ignore[arg-type]
    console.service.drain()
    assert _sent(console) == [] and _store(console).order_refunds(order.id) == []
    assert console.conversation(key).row.status == "needs_approval"


def test_a_rejected_draft_stays_open_with_its_clock_for_a_person(console: ConsoleService) -> None:
    key, order = _pending_refund(console)
    before = console.conversation(key)
    view = console.reject(key, "wrong tone", ADMIN)
    assert view.row.status == "handed_off" and key in _open_keys(console)
    assert view.row.deadline == before.row.deadline and view.time_left_s == before.time_left_s is not None
    assert view.reasons == ["draft rejected: wrong tone"] and not view.awaiting_review
    assert [a for a, _ in _audit(console, key)][-1] == "rejected"
    text = "I'm sorry about the parcel. I'm looking into a replacement for you myself today."
    console.send_own_reply(key, text, AGENT)  # a person answers it
    console.service.drain()
    assert _sent(console) == [text] and _store(console).order_refunds(order.id) == []
    assert console.service.conversations.get(key).status == "sent"  # type: ignore[union-attr]
