"""Issue 20 (helpdesk basics): bulk approve. Only routine drafts go (compliance passed, no risk flag, no pending
write, held only by the seller's switches); the rest are skipped with the reason; each approval is the single
approve path, audited per conversation, and a second bulk approval sends nothing twice."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agent.seller_settings import ChannelSettings, SellerSettings
from channels.base import ChannelMessage
from shopdesk.bulk import BULK_MAX, bulk_approve
from shopdesk.console_service import ConsoleError, ConsoleService, User
from shopdesk.settings import Settings

from service_env import recording_console
from testdata import ANCHOR

AGENT = User(name="ana", role="agent")
QUESTION = "how long do refunds take?"  # a policy answer: drafted, sent alone only on autopilot


def _console(service_settings: Settings, settings: SellerSettings) -> Iterator[ConsoleService]:
    settings.save(service_settings.data_dir / "seller_settings.json")
    with recording_console(service_settings) as console:
        yield console


@pytest.fixture
def console(service_settings: Settings) -> Iterator[ConsoleService]:
    yield from _console(service_settings, SellerSettings())  # draft-only, the default


def _write(console: ConsoleService, platform: str, text: str, index: int = 0) -> str:
    store = console.service.runtime.context.backend
    customer = [c for c in store.list_customers() if c.identity_on(platform)][index]  # type: ignore[attr-defined]
    identity = customer.identity_on(platform)[0].value
    key = f"{platform}:c-{customer.id}"
    console.service.intake.accept([ChannelMessage(
        platform=platform, delivery_id=f"{key}-{index}", conversation_key=key, customer_identity=identity,  # type: ignore[arg-type]
        text=text, received_at=ANCHOR.replace(hour=8), reply_route={"to": identity})])
    return key


def _lost_parcel(console: ConsoleService) -> str:
    store = console.service.runtime.context.backend
    order = next(o for o in store.find_orders(platform="amazon", status="in_transit", limit=None)  # type: ignore[attr-defined]
                 if any(s.status == "lost" for s in o.shipments) and not store.order_refunds(o.id))  # type: ignore[attr-defined]
    relay = store.get_customer(order.customer_id).identity_on("amazon")[0].value  # type: ignore[attr-defined]
    key = f"amazon:{relay}"
    console.service.intake.accept([ChannelMessage(
        platform="amazon", delivery_id=f"{key}-lost", conversation_key=key, customer_identity=relay,
        text=f"where is my package {order.id}? it says lost, I want my money back",
        received_at=ANCHOR.replace(hour=8), reply_route={"to": relay})])
    return key


def _sent(console: ConsoleService) -> list[str]:
    return [s["text"] for s in console.sender.sent]  # type: ignore[attr-defined]


def test_routine_drafts_go_and_the_others_are_skipped_with_the_reason(console: ConsoleService) -> None:
    routine = [_write(console, "amazon", QUESTION, 0), _write(console, "walmart", QUESTION, 1)]
    broken = _write(console, "tiktok", QUESTION, 2)
    flagged = _write(console, "amazon", "can you email me the refund policy at dana.w@example.com instead?", 3)
    refund = _lost_parcel(console)
    console.service.drain()
    for key in routine:
        assert console.conversation(key).reasons == [f"autopilot is off for {key.split(':')[0].title()}"]
    with pytest.raises(ConsoleError, match="breaks"):  # a person's rule-breaking edit leaves the draft in review
        console.edit_and_send(broken, "Email me at help@example.com and I will sort it out", AGENT)
    drafts = [e.key for e in console.inbox() if e.status == "draft_ready"]
    assert set(routine) | {broken, flagged} <= set(drafts)

    result = bulk_approve(console, [*routine, broken, flagged, refund], AGENT)
    assert result.approved == routine
    skipped = {s.key: s.reason for s in result.skipped}
    assert skipped[broken].startswith("compliance did not pass (")
    assert skipped[flagged].startswith("risk flags: ") and "off platform request" in skipped[flagged]
    assert skipped[refund].startswith("a pending write waits (")
    console.service.drain()
    assert len(_sent(console)) == 2  # one reply per approved conversation, nothing for the skipped ones
    for key in routine:
        assert console.service.conversations.get(key).status == "sent"  # type: ignore[union-attr]
        assert [a.action for a in console.service.conversations.audit_log(key)].count("approved") == 1
    for key in (broken, flagged, refund):
        assert console.conversation(key).awaiting_review  # untouched: still waiting for a person
    summary = next(a for a in console.service.conversations.audit_log() if a.action == "bulk_approved")
    assert summary.actor == "human:ana" and summary.detail["approved"] == routine

    again = bulk_approve(console, routine, AGENT)  # a second click (or another person) sends nothing twice
    assert again.approved == [] and {s.reason for s in again.skipped} == {"not waiting for a review"}
    console.service.drain()
    assert len(_sent(console)) == 2


@pytest.mark.parametrize(("autopilot", "switch"), [
    (False, "autopilot is off for Amazon"),  # draft-only: which intents may go is not asked yet
    (True, "intent policy_question is not set to auto-send"),
])
def test_drafts_held_only_by_the_sellers_switches_are_routine(service_settings: Settings, autopilot: bool,
                                                              switch: str) -> None:
    """Autopilot off (or on without the intent) and outside business hours (09:00 UTC is 01:00 in Los
    Angeles): the router's own reasons for each, all recognised as the seller's switches."""
    closed = SellerSettings(channels={"amazon": ChannelSettings(autopilot=autopilot, auto_send_intents=["other"],
                                                                auto_send_outside_business_hours=False)})
    for console in _console(service_settings, closed):
        key = _write(console, "amazon", QUESTION)
        console.service.drain()
        reasons = console.conversation(key).reasons
        assert reasons == [switch, "outside business hours"]
        assert bulk_approve(console, [key], AGENT).approved == [key]


def test_bulk_approve_refuses_hostile_input(console: ConsoleService) -> None:
    for bad, why in (([], "select the conversations"), ("amazon:x", "select the conversations"),
                     ([1, 2], "not one the inbox listed"), (["x" * 301], "not one the inbox listed"),
                     ([f"k{i}" for i in range(BULK_MAX + 1)], f"at most {BULK_MAX}")):
        with pytest.raises(ConsoleError, match=why):
            bulk_approve(console, bad, AGENT)
    result = bulk_approve(console, ["amazon:nobody", "amazon:nobody"], AGENT)
    assert result.approved == [] and [s.reason for s in result.skipped] == ["no such conversation"]
