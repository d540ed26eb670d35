"""Issue 20 (helpdesk basics): canned replies. Placeholders are filled only from the conversation's own facts, a
missing value blocks the insertion with the reason, admins alone manage macros (audited), and a macro's text
is checked by compliance like any reply when it is sent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.seller_settings import SellerSettings
from channels.base import ChannelMessage
from shopdesk.console_service import ConsoleError, ConsoleService, User
from shopdesk.macro_service import MacroService
from shopdesk.macros import DEFAULT_MACROS, MacroError, MacroFacts, MacroStore, clean, fill
from shopdesk.settings import Settings
from tools.models import Order

from service_env import recording_console
from testdata import ANCHOR

AGENT = User(name="ana", role="agent")
ADMIN = User(name="bo", role="admin")
AT = datetime(2026, 11, 26, 9, tzinfo=UTC)


@pytest.fixture
def console(service_settings: Settings) -> Iterator[ConsoleService]:
    SellerSettings().save(service_settings.data_dir / "seller_settings.json")  # draft-only: drafts wait for review
    with recording_console(service_settings) as console:
        yield console


def _in_transit(console: ConsoleService) -> Order:
    store = console.service.runtime.context.backend
    return next(o for o in store.find_orders(platform="amazon", status="in_transit", limit=None)  # type: ignore[attr-defined]
                if len(o.shipments) == 1 and o.shipments[0].status == "in_transit")


def _write(console: ConsoleService, customer_id: str, text: str) -> str:
    store = console.service.runtime.context.backend
    identity = store.get_customer(customer_id).identity_on("amazon")[0].value  # type: ignore[attr-defined]
    key = f"amazon:{identity}"
    console.service.intake.accept([ChannelMessage(
        platform="amazon", delivery_id=f"{key}-{len(text)}", conversation_key=key, customer_identity=identity,
        text=text, received_at=ANCHOR.replace(hour=8), reply_route={"to": identity})])
    console.service.drain()
    return key


# ---------------------------------------------------------------------------------------------- text and store

def test_a_macro_names_only_known_placeholders_and_is_bounded() -> None:
    assert clean("  Tracking   details ", "Hi {customer_first_name}\r\n") == ("Tracking details", "Hi {customer_first_name}")
    for name, body, why in (("x", "Hi {first_name}", "unknown placeholder {first_name}"),
                            ("x", "Hi {customer name}", "a brace that is not part of a placeholder"),
                            ("x", "Total: {order_id", "a brace"), ("", "text", "give the macro a name"),
                            ("x", "   ", "write the macro's text"), ("x" * 81, "text", "at most 80"),
                            ("x", "y" * 2001, "at most 2000")):
        with pytest.raises(MacroError, match=why):
            clean(name, body)


def test_filling_is_one_pass_and_a_missing_value_blocks_with_the_reason() -> None:
    facts = MacroFacts(values={"customer_first_name": "{order_id}", "order_id": "113-1"},
                       missing={"tracking_number": "order 113-1 has 2 parcels (1Z1, 1Z2)"})
    assert fill("Hi {customer_first_name}, order {order_id}.", facts) == "Hi {order_id}, order 113-1."
    with pytest.raises(MacroError) as refused:
        fill("Tracking {tracking_number} via {carrier}", facts)
    assert "{tracking_number}: order 113-1 has 2 parcels (1Z1, 1Z2)" in str(refused.value)
    assert "{carrier}: no value in this conversation" in str(refused.value)


def test_defaults_are_seeded_once_and_names_stay_unique(tmp_path: Path) -> None:
    store = MacroStore(tmp_path / "app.db")
    assert store.seed_defaults(AT) is True
    assert sorted(m.name for m in store.list()) == sorted(n for n, _ in DEFAULT_MACROS)
    for macro in store.list():
        store.delete(macro.id)
    assert MacroStore(tmp_path / "app.db").seed_defaults(AT) is False and store.list() == []  # deleting sticks
    made = store.create("Thanks", "Thank you, {customer_first_name}.", "bo", AT)
    with pytest.raises(MacroError, match="exists already"):
        store.create("THANKS", "Another text", "bo", AT)
    before, after = store.update(made.id, "Thanks!", "Thanks again.", "bo", AT)
    assert before.body == "Thank you, {customer_first_name}." and store.get(made.id) == after
    with pytest.raises(MacroError, match="no longer exists"):
        store.update(9999, "a", "b", "bo", AT)


# ---------------------------------------------------------------------------------------------- the console

def test_only_admins_manage_macros_and_every_change_is_audited(console: ConsoleService) -> None:
    macros = MacroService(console)
    listed = len(macros.list())
    with pytest.raises(ConsoleError, match="only an admin"):
        macros.save(None, "Thanks", "Thank you, {customer_first_name}.", AGENT)
    with pytest.raises(ConsoleError, match="only an admin"):
        macros.delete(macros.list()[0].id, AGENT)
    assert len(macros.list()) == listed
    made = macros.save(None, "Thanks", "Thank you, {customer_first_name}.", ADMIN)
    macros.save(made.id, "Thanks", "Thank you so much, {customer_first_name}.", ADMIN)
    with pytest.raises(ConsoleError, match="unknown placeholder"):
        macros.save(made.id, "Thanks", "Hi {email}", ADMIN)
    macros.delete(made.id, ADMIN)
    audit = [(a.action, a.actor, a.detail.get("name")) for a in reversed(console.service.conversations.audit_log())
             if a.action.startswith("macro_")]
    assert audit == [("macro_created", "human:bo", "Thanks"), ("macro_changed", "human:bo", "Thanks"),
                     ("macro_deleted", "human:bo", "Thanks")]
    for bad in ("abc", None, -1, 2**40):
        with pytest.raises(ConsoleError, match="pick a macro"):
            macros.delete(bad, ADMIN)


def test_a_macro_is_filled_from_the_conversation_and_sent_through_the_same_checks(console: ConsoleService) -> None:
    order = _in_transit(console)
    key = _write(console, order.customer_id, f"where is my order {order.id}?")
    view = console.conversation(key)
    assert view.awaiting_review and "autopilot is off for Amazon" in view.reasons
    macros = MacroService(console)
    tracking = next(m for m in macros.list() if m.name == "Tracking details")
    text = macros.insert(key, tracking.id, AGENT)
    first = console.service.runtime.context.backend.get_customer(order.customer_id).name.split()[0]  # type: ignore[attr-defined]
    parcel = order.shipments[0]
    assert text == (f"Hi {first},\n\nYour order {order.id} is with {parcel.carrier}. The tracking number is "
                    f"{parcel.tracking_number}.\n\nAna")
    assert macros.insert(key, tracking.id, AGENT, current="Thanks for waiting.").startswith("Thanks for waiting.\n\nHi ")
    console.edit_and_send(key, text, AGENT)  # the same path as any edited reply: compliance passed, queued once
    console.service.drain()
    assert [s["text"] for s in console.sender.sent] == [text]  # type: ignore[attr-defined]
    actions = [(a.action, a.actor) for a in reversed(console.service.conversations.audit_log(key))]
    assert ("macro_inserted", "human:ana") in actions and ("edited", "human:ana") in actions


def test_a_placeholder_without_a_value_blocks_the_insertion(console: ConsoleService) -> None:
    customer = next(c for c in console.service.runtime.context.backend.list_customers()  # type: ignore[attr-defined]
                    if c.identity_on("amazon"))
    key = _write(console, customer.id, "how long do refunds take?")
    macros = MacroService(console)
    tracking = next(m for m in macros.list() if m.name == "Tracking details")
    with pytest.raises(ConsoleError) as refused:
        macros.insert(key, tracking.id, AGENT)
    assert "{order_id}: the agent has not settled which order this conversation is about" in str(refused.value)
    assert "{tracking_number}" in str(refused.value)
    ask = next(m for m in macros.list() if m.name == "Which order?")
    assert macros.insert(key, ask.id, AGENT).startswith(f"Hi {customer.name.split()[0]},")
    with pytest.raises(ConsoleError, match="no conversation"):
        macros.insert("amazon:nobody", ask.id, AGENT)
    with pytest.raises(ConsoleError, match="open a conversation"):
        macros.insert("x" * 400, ask.id, AGENT)


def test_a_macro_that_breaks_a_platform_rule_is_refused_when_sent(console: ConsoleService) -> None:
    order = _in_transit(console)
    key = _write(console, order.customer_id, f"where is my order {order.id}?")
    macros = MacroService(console)
    bad = macros.save(None, "Email us", "Hi {customer_first_name}, write to help@example.com about {order_id}.", ADMIN)
    text = macros.insert(key, bad.id, AGENT)
    with pytest.raises(ConsoleError, match="not sent: the edited reply breaks"):
        console.edit_and_send(key, text, AGENT)
    console.service.drain()
    assert console.sender.sent == []  # type: ignore[attr-defined]
