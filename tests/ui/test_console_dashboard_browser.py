"""The dashboard's honest numbers in a real browser (Debian's Chromium via Playwright) over a running service.

Every figure shows its value (or "n/a (why)") with its sample size, and its definition on hover (a `title`)
and again under "How these figures are counted". The figures themselves are unit-tested by hand in
tests/shopdesk/test_metrics_service.py; here the page must show exactly what the application layer computed.
Fixtures are small copies of tests/ui/test_console_browser.py's (a service on 127.0.0.1, one browser per module).
"""

from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before anything imports gradio

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from channels.base import ChannelMessage
from channels.serving import BackgroundServer
from shopdesk.console_service import ConsoleService
from shopdesk.server import build_app
from shopdesk.service import Service
from shopdesk.settings import Settings
from tools.models import PLATFORMS
from ui.app import mount_console
from ui.dashboard_tab import minutes

from recording import RecordingSender
from testdata import ANCHOR

pytestmark = [pytest.mark.browser,  # gradio's own pandas calls warn under pandas 3: not ours
              pytest.mark.filterwarnings("ignore:.*no_silent_downcasting", "ignore:The copy keyword is deprecated")]
from playwright import sync_api  # noqa: E402

expect = sync_api.expect

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
USERS = "ana:ana-secret-1"
WAIT_MS = 20_000
expect.set_options(timeout=WAIT_MS)
QUESTION = "how long do refunds take?"  # answered from the knowledge base: sent by the agent alone
HOURS = (4, 5, 6, 7, 8)  # when the five TikTok customers write; the service clock stands at 09:00


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
    url: str


@pytest.fixture
def stack(service_settings: Settings) -> Iterator[Stack]:
    sender = RecordingSender()  # every channel's replies land here: the figures need sent replies, not a mailbox
    settings = service_settings.model_copy(update={"console_users": USERS, "workers": 1})
    with Service(settings, workers=1, senders={p: sender for p in PLATFORMS}) as service:
        console = ConsoleService(service)
        app = mount_console(build_app(service), console, refresh_s=1.0)
        with BackgroundServer(app) as server:
            yield Stack(service, console, server.url)


def wait_until(check: Callable[[], Any], what: str, timeout_s: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def tiktok_customers_write(stack: Stack) -> None:
    store = stack.service.runtime.context.backend
    customers = [c for c in store.list_customers() if c.identity_on("tiktok")][:len(HOURS)]
    for customer, hour in zip(customers, HOURS, strict=True):
        identity = customer.identity_on("tiktok")[0].value
        key = f"tiktok:c-{customer.id}"
        stack.service.intake.accept([ChannelMessage(
            platform="tiktok", delivery_id=f"{key}-{hour}", conversation_key=key, customer_identity=identity,
            text=QUESTION, received_at=ANCHOR.replace(hour=hour), reply_route={"to": identity})])


def settled(stack: Stack) -> bool:
    entries = stack.console.inbox(include_closed=True)
    return len(entries) == len(HOURS) and all(e.status not in ("new", "working", "queued") for e in entries)


def login(browser: Any, stack: Stack) -> Any:
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(WAIT_MS)
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith((stack.url, "data:", "blob:"))
                  else route.abort())
    page = context.new_page()
    page.goto(stack.url + "/")
    page.get_by_label("username").fill("ana")
    page.get_by_label("password").fill("ana-secret-1")
    page.get_by_role("button", name="Login").click()
    expect(page.locator("#whoami")).to_contain_text("Signed in as ana")
    return page


def row(page: Any, elem_id: str, first_cell: str) -> Any:
    return page.locator(f"#{elem_id} table tbody tr").filter(
        has=page.locator("td:first-child", has_text=first_cell)).first


def test_dashboard_shows_each_figure_with_its_sample_and_its_definition_on_hover(browser: Any, stack: Stack) -> None:
    tiktok_customers_write(stack)
    wait_until(lambda: settled(stack), "the five TikTok messages answered")
    metrics = stack.console.dashboard().metrics
    tiktok = next(p for p in metrics.platforms if p.platform == "tiktok")
    # the agent answered all five at 09:00 (the service clock): 300, 240, 180, 120 and 60 minutes after they wrote
    assert tiktok.answered == 5 and tiktok.first_response_median_min.value == 180

    page = login(browser, stack)
    page.get_by_role("tab", name="Dashboard").click()
    expect(page.locator("#kpi-summary table")).to_be_visible()

    # key figures: per conversation next to per reply, each with its sample and its definition on hover
    per_conversation = row(page, "kpi-summary", "Automation rate per conversation")
    label = per_conversation.locator("td").nth(0)
    label.hover()
    assert "without a person touching them" in (label.get_attribute("title") or "")
    value = per_conversation.locator("td").nth(1)
    expect(value).to_have_text(f"{metrics.automation_per_conversation.value * 100:.1f}%")  # type: ignore[operator]
    assert "Sample: n = 5 conversations" in (value.get_attribute("title") or "")
    expect(per_conversation.locator("td").nth(2)).to_have_text("n = 5 conversations")
    per_reply = row(page, "kpi-summary", "Automation rate per reply")
    expect(per_reply.locator("td").nth(2)).to_have_text(f"n = {metrics.automation_per_reply.sample} replies")
    assert "approved or edited counts as the person's" in (per_reply.locator("td").nth(0).get_attribute("title") or "")

    # TikTok: minutes, the sample under each figure, p90 withheld below ten answered conversations
    cells = row(page, "platform-figures", "tiktok").locator("td")
    expect(cells.nth(1)).to_contain_text("24 h, weekends and holidays included; counts the first response")
    median = cells.nth(3)
    expect(median).to_contain_text(minutes(180))
    expect(median).to_contain_text("n = 5 answered conversations")
    median.hover()
    assert "Minutes from the customer's first message" in (median.get_attribute("title") or "")
    expect(cells.nth(4)).to_contain_text("n/a (only 5 answered conversations so far; 10 needed)")
    expect(cells.nth(5)).to_contain_text("100.0%")
    expect(cells.nth(5)).to_contain_text("n = 5 conversations")
    assert "greetings and automatic holding messages do not count" in (cells.nth(5).get_attribute("title") or "")

    # nothing on Instagram yet: no figure, and the reason
    instagram = row(page, "platform-figures", "instagram").locator("td")
    expect(instagram.nth(3)).to_contain_text("n/a (no answered conversations yet)")
    expect(instagram.nth(5)).to_contain_text("n/a (no customer messages yet)")
    # Amazon's clock counts every message, weekends included, the way Amazon does
    amazon_clock = row(page, "platform-figures", "amazon").locator("td").nth(1)
    expect(amazon_clock).to_contain_text("24 h, weekends and holidays included; counts every customer message")

    # nobody has reviewed a draft yet (the agent sent all five alone): no approval rate to show
    expect(page.locator("#review-by-intent")).to_contain_text("n/a (no reviewed drafts yet)")

    # the same definitions as text, for keyboard and touch users
    definitions = page.locator("#figure-definitions details")
    definitions.locator("summary").click()
    expect(definitions).to_contain_text("Within the clock on Walmart")
    expect(definitions).to_contain_text("a holding message is not a reply")
    page.context.close()
