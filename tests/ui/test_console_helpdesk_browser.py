"""Issue 20's helpdesk basics in a real browser (Debian's Chromium via Playwright) over a running service:
macros (managed in Settings, inserted from the conversation, refused without a value), bulk approve of routine
drafts, keyboard-only use (j/k, Enter, a, e, r, /, the ? overlay) and readable one-line inbox rows.

The service starts draft-only (the default for a new channel), so every answer waits for a person. The stack and
browser helpers are tests/support/console_browser.py's (a service on 127.0.0.1, one browser per module); replies
land in a RecordingSender.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from agent.seller_settings import SellerSettings
from channels.base import ChannelMessage
from shopdesk.settings import Settings
from tools.models import Order

from console_browser import RecordingStack as Stack
from console_browser import expect, login, recording_stack, table_rows, wait_until, waiting, write
from testdata import ANCHOR

pytestmark = [pytest.mark.browser,  # gradio's own pandas calls warn under pandas 3: not ours
              pytest.mark.filterwarnings("ignore:.*no_silent_downcasting", "ignore:The copy keyword is deprecated")]

QUESTION = "how long do refunds take?"  # a policy answer: drafted, sent alone only on autopilot


@pytest.fixture
def stack(service_settings: Settings) -> Iterator[Stack]:
    SellerSettings().save(service_settings.data_dir / "seller_settings.json")  # draft-only, as a new seller starts
    with recording_stack(service_settings) as running:
        yield running


# ---------------------------------------------------------------------------------------------- helpers

def in_transit(stack: Stack, hour: int) -> tuple[Order, str]:
    """An Amazon order with one parcel on its way, and its customer asking where it is."""
    order = next(o for o in stack.store.find_orders(platform="amazon", status="in_transit", limit=None)
                 if len(o.shipments) == 1 and o.shipments[0].status == "in_transit")
    relay = stack.store.get_customer(order.customer_id).identity_on("amazon")[0].value
    key = f"amazon:{relay}"
    stack.service.intake.accept([ChannelMessage(
        platform="amazon", delivery_id=f"{key}-{hour}", conversation_key=key, customer_identity=relay,
        text=f"where is my order {order.id}?", received_at=ANCHOR.replace(hour=hour), reply_route={"to": relay})])
    return order, key


def lost_parcel(stack: Stack, hour: int) -> str:
    order = next(o for o in stack.store.find_orders(platform="amazon", status="in_transit", limit=None)
                 if any(s.status == "lost" for s in o.shipments) and not stack.store.order_refunds(o.id))
    relay = stack.store.get_customer(order.customer_id).identity_on("amazon")[0].value
    key = f"amazon:{relay}"
    stack.service.intake.accept([ChannelMessage(
        platform="amazon", delivery_id=f"{key}-lost", conversation_key=key, customer_identity=relay,
        text=f"where is my package {order.id}? it says lost, I want my money back",
        received_at=ANCHOR.replace(hour=hour), reply_route={"to": relay})])
    return key


def choose(page: Any, elem_id: str, option: str | re.Pattern[str]) -> None:
    page.locator(f"#{elem_id} input").click()
    page.get_by_role("option", name=option).first.click()


# ---------------------------------------------------------------------------------------------- tests

def test_rows_are_one_line_and_name_the_conversation_in_words(browser: Any, stack: Stack) -> None:
    order, key = in_transit(stack, 6)
    other = write(stack, "walmart", QUESTION + " " + "I really need to know this soon. " * 6, 7)
    waiting(stack, key, other)
    page = login(browser, stack, "ana")
    customer = stack.store.get_customer(order.customer_id).name
    rows = wait_until(lambda: (rows := table_rows(page)) and len(rows) == 2 and rows, "both rows")
    first = next(r for r in rows if r[8] == key)
    assert first[3] == f"{customer} · amazon · {order.id}" and key not in first[3]  # words, not the internal key
    assert re.fullmatch(r"[A-Z][a-z]{2} \d\d \d\d:\d\d E[SD]T", first[1])  # the seller's zone, with its abbreviation
    heights = page.locator("#inbox-table [role=row].virtual-row").evaluate_all(
        "rows => rows.map(r => r.getBoundingClientRect().height)")
    assert max(heights) < 48, heights  # one line each, even with a long last message
    key_cell = page.locator("#inbox-table [data-testid='cell-0-8']")
    expect(key_cell).to_be_hidden()  # kept only to open the row
    page.locator("#inbox-table [data-testid='cell-0-3']").click()  # opening by selecting a row still works
    expect(page.locator("#conv-header")).to_contain_text("draft ready")
    page.context.close()


def test_macros_are_managed_in_settings_and_inserted_from_the_conversation(browser: Any, stack: Stack) -> None:
    order, key = in_transit(stack, 6)
    policy = write(stack, "amazon", QUESTION, 7, index=3)
    waiting(stack, key, policy)
    page = login(browser, stack, "bo")

    # an admin writes a macro in Settings
    page.get_by_role("tab", name="Settings").click()
    page.locator("#macros-box").get_by_text("Canned replies (macros)").click()
    expect(page.locator("#macro-list")).to_contain_text("Tracking details")
    page.locator("#macro-name textarea, #macro-name input").first.fill("Parcel update")
    page.locator("#macro-body textarea").fill("Hi {customer_first_name}, order {order_id} is with {carrier}: "
                                              "{tracking_number}.\n\n{agent_name}")
    page.locator("#macro-save").click()
    expect(page.locator("#macro-result")).to_contain_text("Saved “Parcel update”")
    expect(page.locator("#macro-list")).to_contain_text("Parcel update")
    assert any(a.action == "macro_created" and a.actor == "human:bo" for a in stack.service.conversations.audit_log())

    # a macro whose placeholders this conversation cannot fill is refused, the draft left as it was
    page.get_by_role("tab", name="Inbox").click()
    choose(page, "open-select", re.compile(re.escape(stack.store.get_customer(
        stack.service.conversations.get(policy).customer_id).name)))
    page.locator("#open-button").click()
    expect(page.locator("#conv-header")).to_contain_text("draft ready")
    draft = page.locator("#draft textarea")
    before = draft.input_value()
    choose(page, "macro-select", "Parcel update")
    page.locator("#macro-to-draft").click()
    expect(page.locator("#macro-note")).to_contain_text("Not inserted: this conversation has no value")
    expect(page.locator("#macro-note")).to_contain_text("{order_id}")
    assert draft.input_value() == before

    # on the parcel's conversation it is filled from the conversation's own facts, then sent like any edit
    page.get_by_role("tab", name="Inbox").click()
    customer = stack.store.get_customer(order.customer_id).name
    choose(page, "open-select", re.compile(re.escape(customer)))
    page.locator("#open-button").click()
    expect(page.locator("#conv-header")).to_contain_text(customer)
    draft.fill("")
    choose(page, "macro-select", "Parcel update")
    page.locator("#macro-to-draft").click()
    parcel = order.shipments[0]
    filled = (f"Hi {customer.split()[0]}, order {order.id} is with {parcel.carrier}: {parcel.tracking_number}."
              "\n\nBo")
    expect(draft).to_have_value(filled)
    page.locator("#edit-send").click()
    expect(page.locator("#action-result")).to_contain_text("Done: bo sent the edited reply")
    wait_until(lambda: [s for s in stack.sender.sent if s["text"] == filled], "the macro's reply sent")
    expect(page.locator("#conv-thread")).to_contain_text("bo (edited the draft)")  # the person's name on it
    page.context.close()


def test_routine_drafts_are_approved_together_and_the_others_skipped(browser: Any, stack: Stack) -> None:
    routine = [write(stack, "tiktok", QUESTION, 6, index=0), write(stack, "ebay", QUESTION, 7, index=1)]
    refund = lost_parcel(stack, 5)
    waiting(stack, refund, *routine)
    page = login(browser, stack, "ana")
    page.locator("#bulk-box").get_by_text("Approve several routine drafts").click()
    boxes = page.locator("#bulk-select input[type=checkbox]")
    expect(boxes).to_have_count(2)  # only drafts waiting for approval are offered (the refund is not)
    page.locator("#bulk-all").click()
    expect(page.locator("#bulk-select input:checked")).to_have_count(2)
    page.locator("#bulk-approve").click()
    expect(page.locator("#bulk-result")).to_contain_text("Approved 2")
    wait_until(lambda: len(stack.sender.sent) == 2, "two replies sent")
    for key in routine:
        wait_until(lambda k=key: stack.service.conversations.get(k).status == "sent", "sent")  # type: ignore[union-attr, misc]
        assert [a.action for a in stack.service.conversations.audit_log(key)].count("approved") == 1
    assert stack.service.conversations.get(refund).status == "needs_approval"  # type: ignore[union-attr]
    expect(page.locator("#bulk-select input[type=checkbox]")).to_have_count(0)  # a fresh list: nothing left

    # a stale selection (another person approved meanwhile) is skipped with the reason, never sent twice
    third = write(stack, "shopify", QUESTION, 8, index=2)
    waiting(stack, third)
    page.locator("#inbox-refresh").click()
    expect(boxes).to_have_count(1)
    boxes.first.check()
    stack.console.approve(third, stack.console.users.get("bo"))  # type: ignore[arg-type]
    page.locator("#bulk-approve").click()
    expect(page.locator("#bulk-result")).to_contain_text("Skipped 1")
    expect(page.locator("#bulk-result")).to_contain_text("not waiting for a review")
    time.sleep(1.0)
    assert len([s for s in stack.sender.sent if s["key"].startswith(third)]) <= 1
    page.context.close()


def test_keyboard_only_j_k_enter_a_and_the_shortcut_overlay(browser: Any, stack: Stack) -> None:
    waiting(stack, write(stack, "tiktok", QUESTION, 5, index=0), write(stack, "ebay", QUESTION, 7, index=1))
    first, second = [e.key for e in stack.console.inbox()]  # the inbox's order: by reply deadline
    page = login(browser, stack, "ana")
    wait_until(lambda: len(table_rows(page)) == 2, "both rows")
    body = page.locator("body")
    body.focus()

    # ? opens an accessible dialog with the list; focus moves into it, Tab stays in it, Esc closes it
    help_button = page.locator("#shortcuts-help")
    help_button.focus()
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("aria-modal", "true")
    expect(dialog).to_contain_text("next conversation")
    expect(page.locator("#sd-shortcuts-close")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#sd-shortcuts-close")).to_be_focused()  # trapped
    page.keyboard.press("j")  # keys do nothing behind the dialog
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(help_button).to_be_focused()  # focus returns where it was

    # j/k move the cursor through the inbox in its order; the row is outlined and named in the picker
    page.keyboard.press("Escape")
    page.evaluate("document.activeElement && document.activeElement.blur()")
    cursor = page.locator("#kbd-cursor textarea, #kbd-cursor input").first
    page.keyboard.press("j")
    expect(cursor).to_have_value(first)
    page.keyboard.press("j")
    expect(cursor).to_have_value(second)
    page.keyboard.press("j")  # the last row stays the last
    expect(cursor).to_have_value(second)
    page.keyboard.press("k")
    expect(cursor).to_have_value(first)
    expect(page.locator("#inbox-table .sd-cursor").first).to_be_visible()

    # never while typing: "j" in a text box is a letter
    search = page.locator("#inbox-search input, #inbox-search textarea").first
    search.focus()
    page.keyboard.type("jk")
    expect(search).to_have_value("jk")
    expect(cursor).to_have_value(first)
    search.fill("")
    page.evaluate("document.activeElement && document.activeElement.blur()")

    # Enter opens it; r and e focus the reason and the draft; a approves
    page.keyboard.press("Enter")
    expect(page.locator("#conv-header")).to_contain_text(first)
    page.keyboard.press("r")
    expect(page.locator("#reject-reason textarea, #reject-reason input").first).to_be_focused()
    page.keyboard.type("r")  # typed, not a shortcut
    expect(page.locator("#reject-reason textarea, #reject-reason input").first).to_have_value("r")
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("e")
    expect(page.locator("#draft textarea")).to_be_focused()
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("a")
    expect(page.locator("#action-result")).to_contain_text("Done: ana approved the draft")
    wait_until(lambda: stack.service.conversations.get(first).status == "sent", "the approved reply sent")  # type: ignore[union-attr]

    # j in a conversation opens the next one; / goes to the inbox search
    page.keyboard.press("j")
    expect(page.locator("#conv-header")).to_contain_text(second)
    page.keyboard.press("/")
    expect(search).to_be_focused()
    assert len(stack.sender.sent) == 1  # only the draft approved with "a" went out
    page.context.close()
