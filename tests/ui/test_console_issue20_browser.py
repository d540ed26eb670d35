"""Issue 20's console items that had no browser test, in a real browser (Debian's Chromium via Playwright) over a
running service: rejecting a draft leaves the conversation open with a person; every time (inbox, header, thread,
Evals) in the seller's time zone once an admin sets it; the person's name on the reply they edited; draft-only by
default with autopilot an admin's explicit choice per channel and intent (saved from the keyboard); the header
naming the conversation in words, its internal key only on a muted id line.

The service starts as a new seller's does: no seller_settings.json at all (the defaults: draft-only everywhere),
not the autopilot-on file the shared conftest writes. The stack and browser helpers are
tests/support/console_browser.py's (a service on 127.0.0.1, one browser per module); replies land in a
RecordingSender, which is what reached the customer.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from agent.seller_settings import DEFAULT_AUTO_SEND
from channels.base import ChannelMessage
from shopdesk.settings import Settings
from tools.models import PLATFORMS, Order

from console_browser import RecordingStack as Stack
from console_browser import expect, login, recording_stack, table_rows, wait_until, waiting, write
from testdata import ANCHOR

pytestmark = [pytest.mark.browser,  # gradio's own pandas calls warn under pandas 3: not ours
              pytest.mark.filterwarnings("ignore:.*no_silent_downcasting", "ignore:The copy keyword is deprecated")]

EDITED = "Thanks for reaching out. A teammate will look at your order today and write back here."
QUESTION = "how long do refunds take?"  # a policy answer: drafted, sent alone only when its intent may be


@pytest.fixture
def stack(service_settings: Settings) -> Iterator[Stack]:
    (service_settings.data_dir / "seller_settings.json").unlink()  # a new seller: no settings file, the defaults
    with recording_stack(service_settings) as running:
        yield running


# ---------------------------------------------------------------------------------------------- helpers

def in_transit(stack: Stack, platform: str, hour: int, index: int = 0) -> tuple[Order, str, str]:
    """A `platform` order with one parcel on its way and its customer asking where it is (a routine tracking
    question); returns the order, the conversation key and the identity replies go to."""
    order = [o for o in stack.store.find_orders(platform=platform, status="in_transit", limit=None)
             if len(o.shipments) == 1 and o.shipments[0].status == "in_transit"][index]
    identity = stack.store.get_customer(order.customer_id).identity_on(platform)[0].value
    key = f"{platform}:{identity}"
    stack.service.intake.accept([ChannelMessage(
        platform=platform, delivery_id=f"{key}-{hour}", conversation_key=key, customer_identity=identity,  # type: ignore[arg-type]
        text=f"where is my order {order.id}?", received_at=ANCHOR.replace(hour=hour), reply_route={"to": identity})])
    return order, key, identity


def sent_to(stack: Stack, identity: str) -> list[dict[str, Any]]:
    return [s for s in stack.sender.sent if s["route"].get("to") == identity]


def row_of(page: Any, key: str) -> tuple[int, list[str]]:
    """The inbox row of `key` (its index and cells), once it is listed."""
    return wait_until(lambda: next(((i, r) for i, r in enumerate(table_rows(page)) if len(r) > 8 and r[8] == key),
                                   None), f"the row of {key}", timeout_s=30)


def open_row(page: Any, key: str) -> list[str]:
    index, row = row_of(page, key)
    page.locator(f"#inbox-table [data-testid='cell-{index}-3']").click()
    return row


def choose(page: Any, elem_id: str, option: str) -> None:
    page.locator(f"#{elem_id} input").click()
    page.get_by_role("option", name=option, exact=True).click()


# ---------------------------------------------------------------------------------------------- tests

def test_a_rejected_draft_stays_open_with_a_person_and_the_header_names_it_in_words(browser: Any,
                                                                                   stack: Stack) -> None:
    """Item 1 (reject) and item 5 (the header says who, where and what; the key only on a muted id line)."""
    order, key, identity = in_transit(stack, "amazon", 6)
    waiting(stack, key)
    before = stack.service.conversations.get(key)
    assert before is not None and before.deadline == ANCHOR.replace(hour=6) + timedelta(hours=24)
    customer = stack.store.get_customer(order.customer_id).name
    page = login(browser, stack, "ana")
    shown = open_row(page, key)
    assert shown[3] == f"{customer} · amazon · {order.id}"

    header = page.locator("#conv-header")
    title = header.locator("h3")
    expect(title).to_have_text(f"{shown[3]} · ✎ draft ready")  # the inbox row's words, not the internal key
    expect(title).not_to_contain_text(identity)
    expect(header.locator(".sd-conv-id")).to_have_text(f"id: {key}")  # kept, small and muted, for ops
    due = "due Nov 27 01:00 EST"  # 06:00 UTC + Amazon's 24 h, in the seller's default zone (New York)
    expect(header).to_contain_text(due)

    page.locator("#reject-reason input, #reject-reason textarea").first.fill("wrong order number in the draft")
    page.locator("#reject").click()
    expect(page.locator("#action-result")).to_contain_text("Done: ana rejected the draft. Status now: ☞ handed off")
    expect(title).to_have_text(f"{shown[3]} · ☞ handed off")
    expect(header).to_contain_text("Routing reasons: draft rejected: wrong order number in the draft")
    expect(header).to_contain_text(due)  # the reply clock keeps running from the customer's message
    expect(page.locator("#send-own")).to_be_enabled()  # a person answers it from here
    expect(page.locator("#reject")).to_be_disabled()

    after = stack.service.conversations.get(key)
    assert after is not None and after.status == "handed_off" and after.deadline == before.deadline
    assert after.waiting_since == before.waiting_since
    assert any(a.action == "rejected" and a.actor == "human:ana" and a.detail["reason"] ==
               "wrong order number in the draft" for a in stack.service.conversations.audit_log(key))

    page.get_by_role("tab", name="Inbox").click()  # the Open view (the default filter) still lists it
    _, row = row_of(page, key)
    assert row[6] == "☞ handed off" and row[:2] == shown[:2]  # same time left, same due time
    time.sleep(1.5)  # a refresh tick and a dispatcher pass: nothing went to the customer
    assert stack.sender.sent == [] and stack.service.outbox.for_conversation(key) == []
    page.context.close()


def test_every_time_follows_the_sellers_time_zone_set_in_settings(browser: Any, stack: Stack) -> None:
    """Item 2: an admin sets America/Los_Angeles; the inbox, the header, the thread and the Evals tab follow."""
    order, key, _ = in_transit(stack, "amazon", 6)  # received 06:00 UTC = Nov 25 22:00 PST
    waiting(stack, key)
    deadline = stack.service.conversations.get(key).deadline  # type: ignore[union-attr]
    assert deadline == ANCHOR.replace(hour=6) + timedelta(hours=24)  # Nov 27 06:00 UTC = Nov 26 22:00 PST
    run = stack.service.settings.data_dir / "evals" / "20261126-090000-embedded"
    run.mkdir(parents=True)
    (run / "report.json").write_text(json.dumps({
        "id": "20261126-090000-embedded", "config": {"engine": "embedded"}, "started_at": "2026-11-26T09:00:00+00:00",
        "summary": {"scenarios": 40, "pass_rate": 0.65}}))
    page = login(browser, stack, "bo")
    _, row = row_of(page, key)
    assert row[1] == "Nov 27 01:00 EST"  # the default zone first

    page.get_by_role("tab", name="Settings").click()
    expect(page.locator("#seller-timezone input")).to_have_value("America/New_York")
    choose(page, "seller-timezone", "America/Los_Angeles")
    page.locator("#save-settings").click()
    expect(page.locator("#settings-result")).to_contain_text("Saved by bo")
    expect(page.locator("#settings-result")).to_contain_text(
        "times shown in America/Los_Angeles (now Nov 26 01:00 PST)")  # the clock is 09:00 UTC
    assert stack.console.seller_settings().timezone == "America/Los_Angeles"

    page.get_by_role("tab", name="Inbox").click()
    expect(page.locator("#inbox-summary")).to_contain_text("times in America/Los_Angeles; now Nov 26 01:00 PST")
    wait_until(lambda: row_of(page, key)[1][1] == "Nov 26 22:00 PST", "the due time in Los Angeles", timeout_s=30)
    open_row(page, key)
    expect(page.locator("#conv-header")).to_contain_text("due Nov 26 22:00 PST")
    customer_message = page.locator("#conv-thread article.sd-in").first
    expect(customer_message).to_contain_text(f"where is my order {order.id}?")
    expect(customer_message.locator(".sd-meta")).to_contain_text("Customer · amazon · Nov 25 22:00 PST")

    page.get_by_role("tab", name="Evals").click()
    expect(page.locator("#evals-note")).to_contain_text("1 saved run (times in America/Los_Angeles)")
    run_row = wait_until(lambda: table_rows(page, "evals-table"), "the run listed", timeout_s=30)[0]
    assert run_row[:2] == ["20261126-090000-embedded", "Nov 26 01:00 PST"]  # started 09:00 UTC
    page.context.close()


def test_the_person_who_edited_a_reply_is_named_and_the_customer_gets_their_words(browser: Any,
                                                                                 stack: Stack) -> None:
    """Item 3: ana edits the draft and sends it; the customer receives her text exactly as she wrote it, marked as
    a person's to the channel (no agent sign-off added), and the thread and the outbox name her."""
    order, key, identity = in_transit(stack, "amazon", 6)
    waiting(stack, key)
    page = login(browser, stack, "ana")
    open_row(page, key)
    draft = page.locator("#draft textarea")
    expect(draft).not_to_have_value("")
    draft.fill(EDITED)
    page.locator("#edit-send").click()
    expect(page.locator("#action-result")).to_contain_text("Done: ana sent the edited reply")

    [received] = wait_until(lambda: sent_to(stack, identity), "the reply to reach the customer")
    assert received["text"] == EDITED and received["human"] is True
    reply = page.locator("#conv-thread article.sd-out")
    expect(reply).to_have_count(1)
    expect(reply.locator(".sd-meta")).to_contain_text("◀ sent · ana (edited the draft) · amazon · Nov 26 04:00 EST")
    expect(reply.locator(".sd-text")).to_have_text(EDITED)
    outbox = wait_until(lambda: [r[1:3] for r in table_rows(page, "conv-outbox") if len(r) > 3 and r[3] == EDITED],
                        "the reply in the outbox table", timeout_s=30)
    assert outbox == [["sent", "ana"]]  # "Written by": the person, not the agent
    page.context.close()


def test_draft_only_by_default_and_autopilot_is_an_admins_choice_per_channel_and_intent(browser: Any,
                                                                                      stack: Stack) -> None:
    """Item 4: with the defaults a tracking question waits as a draft and nothing is sent; an agent cannot change
    it; an admin turns autopilot on for Amazon and order status only, saving from the keyboard; the next tracking
    question on Amazon goes out alone, while one on Walmart and a policy question on Amazon still wait."""
    _, first, first_to = in_transit(stack, "amazon", 5)
    waiting(stack, first)
    assert stack.service.conversations.get(first).reasons == ["autopilot is off for Amazon"]  # type: ignore[union-attr]
    assert stack.sender.sent == []

    agent = login(browser, stack, "ana")
    agent.get_by_role("tab", name="Settings").click()
    expect(agent.locator("#settings-note")).to_contain_text("Read-only")
    for platform in PLATFORMS:
        expect(agent.locator(f"#autopilot-{platform} input")).not_to_be_checked()
        expect(agent.locator(f"#autopilot-{platform} input")).to_be_disabled()
    intents = agent.locator("#intents-amazon input[type=checkbox]")
    expect(intents.first).to_be_disabled()
    assert all(box.is_disabled() for box in intents.all())
    expect(agent.locator("#save-settings")).to_be_disabled()
    agent.context.close()

    admin = login(browser, stack, "bo")
    admin.get_by_role("tab", name="Settings").click()
    expect(admin.locator("#autopilot-summary")).to_contain_text("Draft-only (every reply waits for a person): "
                                                               + ", ".join(PLATFORMS))
    admin.locator("#autopilot-amazon input").check()
    box = admin.locator("#intents-amazon")
    expect(box.locator("input:checked")).to_have_count(0)  # a new channel has no intent ticked: each is a choice
    for intent in DEFAULT_AUTO_SEND:
        expect(box.get_by_label(intent.replace("_", " "), exact=True)).not_to_be_checked()
    box.get_by_label("order status", exact=True).check()  # only order status may go out alone
    expect(box.get_by_label("order status", exact=True)).to_be_checked()
    expect(box.locator("input:checked")).to_have_count(1)
    save = admin.locator("#save-settings")
    save.focus()
    expect(save).to_be_focused()
    admin.keyboard.press("Enter")
    expect(admin.locator("#settings-result")).to_contain_text("Saved by bo. Autopilot on for: amazon;")
    expect(admin.locator("#autopilot-summary")).to_contain_text("Autopilot on for amazon: sends alone order status")
    saved = stack.console.seller_settings()
    assert saved.channel("amazon").autopilot and saved.channel("amazon").auto_send_intents == ["order_status"]
    assert [p for p in PLATFORMS if saved.channel(p).autopilot] == ["amazon"]
    assert any(a.action == "autopilot_on" and a.actor == "human:bo" and a.detail["platform"] == "amazon"
               for a in stack.service.conversations.audit_log())

    _, second, second_to = in_transit(stack, "amazon", 7, index=1)
    _, walmart, walmart_to = in_transit(stack, "walmart", 7)
    policy = write(stack, "amazon", QUESTION, 8, index=5)
    [answer] = wait_until(lambda: sent_to(stack, second_to), "the Amazon tracking answer to go out alone")
    assert answer["human"] is False  # the agent's reply, no person involved
    waiting(stack, walmart, policy)
    assert stack.service.conversations.get(walmart).reasons == ["autopilot is off for Walmart"]  # type: ignore[union-attr]
    assert stack.service.conversations.get(policy).status == "draft_ready"  # type: ignore[union-attr]
    time.sleep(1.5)  # a dispatcher pass: only the Amazon tracking answer went out
    assert sent_to(stack, walmart_to) == [] and sent_to(stack, first_to) == [] and len(stack.sender.sent) == 1

    admin.get_by_role("tab", name="Inbox").click()
    for key in (first, walmart, policy):
        assert row_of(admin, key)[1][6] == "✎ draft ready"
    admin.context.close()
