"""The dashboard's honest numbers in a real browser (Debian's Chromium via Playwright) over a running service.

Every figure shows its value (or "n/a (why)") with its sample size, and its definition on hover (a `title`)
and again under "How these figures are counted". The figures themselves are unit-tested by hand in
tests/shopdesk/test_metrics_service.py; here the page must show exactly what the application layer computed.
The stack and browser helpers are tests/support/console_browser.py's (a service on 127.0.0.1, one browser per
module).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from shopdesk.settings import Settings
from ui.dashboard_tab import minutes

from console_browser import RecordingStack as Stack
from console_browser import expect, login, recording_stack, wait_until, write

pytestmark = [pytest.mark.browser,  # gradio's own pandas calls warn under pandas 3: not ours
              pytest.mark.filterwarnings("ignore:.*no_silent_downcasting", "ignore:The copy keyword is deprecated")]

QUESTION = "how long do refunds take?"  # answered from the knowledge base: sent by the agent alone
HOURS = (4, 5, 6, 7, 8)  # when the five TikTok customers write; the service clock stands at 09:00


@pytest.fixture
def stack(service_settings: Settings) -> Iterator[Stack]:
    """Every channel's replies recorded: the figures need sent replies, not a mailbox."""
    with recording_stack(service_settings, users="ana:ana-secret-1") as running:
        yield running


def tiktok_customers_write(stack: Stack) -> None:
    for index, hour in enumerate(HOURS):
        write(stack, "tiktok", QUESTION, hour, index)


def settled(stack: Stack) -> bool:
    entries = stack.console.inbox(include_closed=True)
    return len(entries) == len(HOURS) and all(e.status not in ("new", "working", "queued") for e in entries)


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
