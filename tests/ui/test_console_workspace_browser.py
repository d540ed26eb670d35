"""The console's workspace in a real browser (Debian's Chromium driven by Playwright) over a real running service:
inbox search, "Assign to me" and the "Mine" filter from the keyboard, a second person's collision warning,
an internal note that never reaches the customer, and tags filtering the inbox.

Same set-up as tests/ui/test_console_browser.py (copied, small): each test gets its own service with worker
and dispatcher threads and the email channel on a loopback MailServer, served by uvicorn on 127.0.0.1; one
browser per module; the page may only talk to the loopback server.
"""

from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before anything imports gradio

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from channels.base import ChannelMessage
from channels.serving import BackgroundServer
from channels.simulators.log import SimLog
from channels.simulators.mail import MailServer
from shopdesk.console_service import ConsoleService
from shopdesk.server import build_app
from shopdesk.service import Service
from shopdesk.settings import Settings
from ui.app import mount_console

from testdata import ANCHOR

pytestmark = [pytest.mark.browser,  # gradio's own pandas calls warn under pandas 3: not ours
              pytest.mark.filterwarnings("ignore:.*no_silent_downcasting", "ignore:The copy keyword is deprecated")]
from playwright import sync_api  # noqa: E402

expect = sync_api.expect

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
SELLER = "support@shop.example.com"
USERS = "ana:ana-secret-1,bo:bo-secret-2:admin"
PASSWORDS = {"ana": "ana-secret-1", "bo": "bo-secret-2"}
WAIT_MS = 20_000
PRESENCE_TTL_S = 4.0  # short, so a closed page's warning goes away within the test
expect.set_options(timeout=WAIT_MS)
EMAIL_PLATFORMS = ("amazon", "walmart", "shopify")
KEY_COLUMN, STATUS_COLUMN = 8, 6


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's Chromium is not at /usr/bin/chromium: `make test` installs it as root "
                    "(`apt-get install -y chromium`)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield b
        b.close()


@dataclass
class Stack:
    service: Service
    console: ConsoleService
    mail: MailServer
    log: SimLog
    url: str

    @property
    def store(self) -> Any:
        return self.service.runtime.context.backend


@pytest.fixture
def stack(service_settings: Settings) -> Iterator[Stack]:
    log = SimLog()
    with MailServer(log, SELLER) as mail:
        settings = service_settings.model_copy(update={
            "console_users": USERS, "workers": 1, "seller_email": SELLER,
            "smtp_host": "127.0.0.1", "smtp_port": mail.smtp_port, "smtp_starttls": False,
            "smtp_user": mail.user, "smtp_password": SecretStr(mail.password),
            "imap_host": "127.0.0.1", "imap_port": mail.imap_port, "imap_ssl": False,
            "imap_user": mail.user, "imap_password": SecretStr(mail.password)})
        with Service(settings, workers=1, start_threads=True) as service:
            console = ConsoleService(service)
            console.workspace.presence_ttl_s = PRESENCE_TTL_S
            app = mount_console(build_app(service), console, refresh_s=1.0)
            with BackgroundServer(app) as server:
                yield Stack(service, console, mail, log, server.url)


# ---------------------------------------------------------------------------------------------- helpers

def wait_until(check: Callable[[], Any], what: str, timeout_s: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def write(stack: Stack, platform: str, text: str, at_hour: int, *, customer_index: int = 0) -> str:
    customers = [c for c in stack.store.list_customers() if c.identity_on(platform)
                 and (platform not in EMAIL_PLATFORMS or "@" in c.identity_on(platform)[0].value)]
    customer = customers[customer_index]
    identity = customer.identity_on(platform)[0].value
    key = f"{platform}:c-{customer.id}"
    stack.service.intake.accept([ChannelMessage(
        platform=platform, delivery_id=f"{key}-{at_hour}", conversation_key=key, customer_identity=identity,  # type: ignore[arg-type]
        text=text, received_at=ANCHOR.replace(hour=at_hour), reply_route={"to": identity})])
    return key


def processed(stack: Stack, key: str) -> bool:
    row = stack.service.conversations.get(key)
    return row is not None and row.status not in ("new", "working")


def open_page(browser: Any, stack: Stack) -> Any:
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(WAIT_MS)
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith((stack.url, "data:", "blob:"))
                  else route.abort())
    return context.new_page()


def login(browser: Any, stack: Stack, user: str) -> Any:
    page = open_page(browser, stack)
    page.goto(stack.url + "/")
    page.get_by_label("username").fill(user)
    page.get_by_label("password").fill(PASSWORDS[user])
    page.get_by_role("button", name="Login").click()
    expect(page.locator("#whoami")).to_contain_text(f"Signed in as {user}")
    return page


def table_rows(page: Any, elem_id: str = "inbox-table") -> list[list[str]]:
    rows = page.locator(f"#{elem_id} [role=row].virtual-row")
    return [[c.inner_text().strip() for c in row.locator("[role=gridcell]").all()] for row in rows.all()]


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
