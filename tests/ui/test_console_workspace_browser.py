"""The console's workspace in a real browser (Debian's Chromium driven by Playwright) over a real running service:
inbox search, "Assign to me" and the "Mine" filter from the keyboard, a second person's collision warning,
an internal note that never reaches the customer, and tags filtering the inbox.

Same set-up as tests/ui/test_console_browser.py (tests/support/console_browser.py's mail stack): each test gets
its own service with worker and dispatcher threads and the email channel on a loopback MailServer, served by
uvicorn on 127.0.0.1; one browser per module; the page may only talk to the loopback server.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from shopdesk.console_service import ConsoleService
from shopdesk.settings import Settings

from console_browser import MailStack as Stack
from console_browser import expect, login, mail_stack, table_rows, wait_until, write

pytestmark = [pytest.mark.browser,  # gradio's own pandas calls warn under pandas 3: not ours
              pytest.mark.filterwarnings("ignore:.*no_silent_downcasting", "ignore:The copy keyword is deprecated")]
PRESENCE_TTL_S = 4.0  # short, so a closed page's warning goes away within the test
KEY_COLUMN, STATUS_COLUMN = 8, 6


def short_presence(console: ConsoleService) -> None:
    console.workspace.presence_ttl_s = PRESENCE_TTL_S


@pytest.fixture
def stack(service_settings: Settings) -> Iterator[Stack]:
    with mail_stack(service_settings, short_presence) as running:
        yield running


# ---------------------------------------------------------------------------------------------- helpers

def processed(stack: Stack, key: str) -> bool:
    row = stack.service.conversations.get(key)
    return row is not None and row.status not in ("new", "working")


def keys_shown(page: Any) -> list[str]:
    return [r[KEY_COLUMN] for r in table_rows(page) if len(r) > KEY_COLUMN]


def open_row(page: Any, key: str) -> None:
    rows = wait_until(lambda: (rows := table_rows(page)) and any(r[KEY_COLUMN] == key for r in rows) and rows,
                      f"{key} listed")
    index = next(i for i, r in enumerate(rows) if r[KEY_COLUMN] == key)
    page.locator(f"#inbox-table [data-testid='cell-{index}-3']").click()
    expect(page.locator("#conv-header")).to_contain_text(key)


def choose(page: Any, elem_id: str, option: str | re.Pattern[str]) -> None:
    page.locator(f"#{elem_id} input").click()
    page.get_by_role("option", name=option).click()


def pick_by_keyboard(page: Any, elem_id: str, option: str) -> None:
    """Focus a filterable dropdown, type the option, arrow down to it and Enter."""
    box = page.locator(f"#{elem_id} input")
    box.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type(option)
    expect(page.get_by_role("option", name=option, exact=True)).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(box).to_have_value(option)


# ---------------------------------------------------------------------------------------------- tests

def test_search_then_assign_to_me_and_the_mine_filter_from_the_keyboard(browser: Any, stack: Stack) -> None:
    # three messages that wait for a person (none is answered on its own and leaves the Open view)
    amazon = write(stack, "amazon", "my order arrived damaged, the lid is cracked and it leaks", 6)
    tiktok = write(stack, "tiktok", "I filed a chargeback with my bank over this order.", 7)
    ebay = write(stack, "ebay", "my lawyer will sue you over this", 8)
    customer = stack.store.get_customer(ebay.split(":c-", 1)[1])
    page = login(browser, stack, "ana")
    wait_until(lambda: {amazon, tiktok, ebay} <= set(keys_shown(page)), "the three conversations listed")

    # keyboard only: Tab from "Refresh now" to the search box, type part of the customer's name, Enter
    page.locator("#inbox-refresh").focus()
    page.keyboard.press("Tab")
    search = page.locator("#inbox-search input, #inbox-search textarea").first
    expect(search).to_be_focused()
    page.keyboard.type(customer.name.split()[-1].upper())
    page.keyboard.press("Enter")
    expect(page.locator("#inbox-search-note")).to_contain_text("Showing conversations matching")
    wait_until(lambda: keys_shown(page) == [ebay], "only the ebay customer's conversation shown")
    page.keyboard.press("Control+A")
    page.keyboard.type("lid cracked")  # message text, any order of the words
    page.keyboard.press("Enter")
    wait_until(lambda: keys_shown(page) == [amazon], "only the amazon conversation shown")
    page.keyboard.press("Control+A")
    page.keyboard.type("%")  # a wildcard is a character: nothing has it
    page.keyboard.press("Enter")
    expect(page.locator("#inbox-summary")).to_contain_text("0 conversations shown")
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    page.keyboard.press("Enter")
    wait_until(lambda: {amazon, tiktok, ebay} <= set(keys_shown(page)), "every conversation back")

    # open the amazon conversation from the "Open conversation" list, then Tab to "Assign to me" and Enter
    picker = page.locator("#open-select input")
    name = stack.store.get_customer(amazon.split(":c-", 1)[1]).name
    picker.focus()
    picker.fill(name.split()[0])
    expect(page.get_by_role("option", name=re.compile(re.escape(name)))).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(picker).to_have_value(re.compile(re.escape(name)))  # what a keyboard user sees picked
    page.keyboard.press("Tab")
    expect(page.locator("#open-button")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#conv-header")).to_contain_text(amazon)
    expect(page.locator("#conv-header")).to_contain_text("Assigned to: nobody")
    assign = page.locator("#assign-me")
    expect(assign).to_be_enabled()
    assign.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#ws-result")).to_contain_text("Done: ana assigned the conversation to themselves")
    expect(page.locator("#conv-header")).to_contain_text("Assigned to: ana")
    expect(assign).to_be_disabled()
    assert stack.console.workspace.assignee(amazon) == "ana"
    audit = [a for a in stack.service.conversations.audit_log(amazon) if a.action == "assigned"]
    assert len(audit) == 1 and audit[0].actor == "human:ana" and audit[0].detail == {"from": None, "to": "ana"}

    # back in the inbox (Enter on the tab): "Mine" shows only hers, with her name on the row
    page.get_by_role("tab", name="Inbox").focus()
    page.keyboard.press("Enter")
    pick_by_keyboard(page, "filter-assignee", "Mine")
    wait_until(lambda: keys_shown(page) == [amazon], "only ana's conversation shown")
    assert "@ana" in table_rows(page)[0][STATUS_COLUMN]
    pick_by_keyboard(page, "filter-assignee", "Unassigned")
    wait_until(lambda: set(keys_shown(page)) == {tiktok, ebay}, "the unassigned ones shown")
    page.context.close()


def test_a_second_person_sees_who_is_viewing_and_replying(browser: Any, stack: Stack) -> None:
    key = write(stack, "ebay", "my lawyer will sue you over this", 8)
    wait_until(lambda: processed(stack, key), "the message processed")
    ana, bo = login(browser, stack, "ana"), login(browser, stack, "bo")
    open_row(ana, key)
    expect(ana.locator("#conv-presence")).not_to_contain_text("viewing")
    open_row(bo, key)
    expect(bo.locator("#conv-presence")).to_contain_text("ana is viewing this")
    expect(ana.locator("#conv-presence")).to_contain_text("bo is viewing this")

    bo.locator("#own-reply textarea").fill("I'm sorry about the trouble, I'm looking into it myself now.")
    expect(ana.locator("#conv-presence")).to_contain_text("bo is replying")

    ana.locator("#assign-me").click()
    expect(ana.locator("#conv-header")).to_contain_text("Assigned to: ana")
    expect(bo.locator("#conv-presence")).to_contain_text("Assigned to ana, not you")
    expect(bo.locator("#conv-header")).to_contain_text("Assigned to: ana")
    assert stack.service.conversations.get(key).status == "handed_off"  # type: ignore[union-attr]
    bo.locator("#send-own").click()  # acting on ana's conversation asks nothing more; the warning stays
    expect(bo.locator("#action-result")).to_contain_text("Done: bo sent their own reply")
    expect(bo.locator("#conv-presence")).to_contain_text("Assigned to ana, not you")
    assert stack.console.workspace.assignee(key) == "ana"  # replying does not take it from her

    bo.context.close()  # bo's page stops renewing: the warning goes away after the presence TTL
    expect(ana.locator("#conv-presence")).not_to_contain_text("bo is", timeout=int((PRESENCE_TTL_S + 8) * 1000))
    ana.get_by_role("tab", name="Inbox").click()  # leaving the conversation ends ana's presence too
    wait_until(lambda: stack.console.workspace.viewers(key) == [], "ana's presence dropped", timeout_s=10)
    ana.context.close()


def test_an_internal_note_shows_in_the_thread_and_is_never_sent(browser: Any, stack: Stack) -> None:
    key = write(stack, "amazon", "my order arrived damaged, the lid is cracked and it leaks", 6)
    wait_until(lambda: processed(stack, key), "the message processed")
    page = login(browser, stack, "ana")
    open_row(page, key)
    note = "Called the carrier <b>claim 77-QX</b>: replacement promised **Friday**"
    page.locator("#note-input textarea").fill(note)
    page.locator("#note-add").click()
    expect(page.locator("#ws-result")).to_contain_text("Done: ana added an internal note (not sent)")
    shown = page.locator("#conv-thread .sd-note")
    expect(shown).to_have_count(1)
    expect(shown).to_contain_text("Internal note by ana")
    expect(shown).to_contain_text("not sent to the customer")
    expect(shown).to_contain_text(note)  # as typed: escaped, never HTML or Markdown
    expect(page.locator("#conv-thread .sd-note b")).to_have_count(0)
    expect(page.locator("#note-input textarea")).to_have_value("")

    # the reply goes out; the customer's mail has none of the note
    draft = page.locator("#draft textarea")
    expect(draft).not_to_have_value("")
    approve = page.locator("#approve-send")
    expect(approve).to_be_enabled()
    approve.click()
    expect(page.locator("#action-result")).to_contain_text("Done: ana approved the draft")
    relay = stack.service.conversations.get(key).customer_identity  # type: ignore[union-attr]
    replies = wait_until(lambda: [r for r in stack.log.replies("amazon") if r.data["to"] == relay], "the email")
    assert all("77-QX" not in r.data["text"] and "carrier" not in r.data["text"].lower() for r in replies)
    assert all("77-QX" not in r.message.text for r in stack.service.outbox.for_conversation(key))
    expect(shown).to_contain_text(note)  # still in the thread after the reply, in time order
    page.context.close()


def test_a_tag_shows_on_the_row_and_filters_the_inbox(browser: Any, stack: Stack) -> None:
    tagged = write(stack, "amazon", "my order arrived damaged, the lid is cracked and it leaks", 6)
    other = write(stack, "ebay", "do you ship to Alaska?", 8)
    page = login(browser, stack, "bo")
    wait_until(lambda: {tagged, other} <= set(keys_shown(page)), "both listed")
    open_row(page, tagged)
    page.locator("#tag-input input, #tag-input textarea").first.fill("Fragile Item!")
    page.keyboard.press("Enter")
    expect(page.locator("#ws-result")).to_contain_text("Done: bo tagged it fragile-item")
    expect(page.locator("#conv-header")).to_contain_text("Tags: #fragile-item")
    assert stack.console.workspace.tags(tagged) == ["fragile-item"]

    page.get_by_role("tab", name="Inbox").click()
    choose(page, "filter-tag", "fragile-item (1)")
    wait_until(lambda: keys_shown(page) == [tagged], "only the tagged conversation shown")
    assert "#fragile-item" in table_rows(page)[0][STATUS_COLUMN]
    choose(page, "filter-tag", "Any tag")
    wait_until(lambda: {tagged, other} <= set(keys_shown(page)), "both listed again")

    open_row(page, tagged)  # and removed again
    choose(page, "tag-pick", "fragile-item")
    page.locator("#tag-remove").click()
    expect(page.locator("#ws-result")).to_contain_text("Done: bo removed the tag fragile-item")
    expect(page.locator("#conv-header")).to_contain_text("Tags: none")
    page.context.close()
