"""Issue 20 item 5 in the console: urgency in colour plus words (the word always there, AA contrast), with its
reasons in the conversation header, raised by the reply clock as it runs."""

from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before anything imports gradio

import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import gradio as gr
import pytest

from channels.base import ChannelMessage
from shopdesk.console_service import ConsoleService
from shopdesk.settings import Settings
from ui import conversation_tab, inbox_tab
from ui.session import new_session
from ui.urgency import URGENCY_COLOURS, urgency_badge, urgency_cell

from service_env import recording_console
from testdata import ANCHOR

pytestmark = pytest.mark.filterwarnings("ignore:.*no_silent_downcasting", "ignore:The copy keyword is deprecated")


@pytest.fixture
def console(service_settings: Settings) -> Iterator[ConsoleService]:
    with recording_console(service_settings) as console:
        yield console


def _write(console: ConsoleService, platform: str, text: str, at: datetime) -> str:
    store = console.service.runtime.context.backend
    customer = next(c for c in store.list_customers() if c.identity_on(platform))  # type: ignore[attr-defined]
    identity = customer.identity_on(platform)[0].value
    key = f"{platform}:c-{customer.id}"
    console.service.intake.accept([ChannelMessage(
        platform=platform, delivery_id=f"{key}-{at.isoformat()}", conversation_key=key,  # type: ignore[arg-type]
        customer_identity=identity, text=text, received_at=at, reply_route={"to": identity})])
    return key


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_every_badge_says_its_level_in_words_with_aa_contrast() -> None:
    assert set(URGENCY_COLOURS) == {"low", "normal", "high", "critical"}
    for level, (fg, bg) in URGENCY_COLOURS.items():
        light, dark = sorted((_luminance(fg), _luminance(bg)), reverse=True)
        assert (light + 0.05) / (dark + 0.05) >= 4.5, level  # WCAG 2 AA for normal text
        badge = urgency_badge(level, ["refund 6 days overdue", 'say "<b>" & more'])
        assert f"● {level}</span>" in badge and f"color:{fg}" in badge and f"background:{bg}" in badge
        assert "<b>" not in badge and "&lt;b&gt;" in badge  # reasons ride in the tooltip, escaped
    assert urgency_badge(None) == "—"
    assert re.sub(r"<[^>]+>", "", urgency_cell("high", [], ["claim_or_chargeback"])) == "● high · claim or chargeback"


def test_the_inbox_shows_urgency_in_colour_and_words_and_the_clock_raises_it(console: ConsoleService) -> None:
    now = console.service.clock.now()
    chargeback = _write(console, "ebay", "I filed a chargeback with my bank over this order.", now - timedelta(hours=1))
    console.service.drain()
    late = _write(console, "amazon", "is this available in blue?", now - timedelta(hours=23))  # 1 h left, not run yet
    with gr.Blocks():
        tab = inbox_tab.build()
    assert tab.table.datatype == ["html" if h == "Urgency" else "str" for h in inbox_tab.HEADERS]  # only that cell
    updates = inbox_tab.refresh(console, tab, new_session(), inbox_tab.ALL, inbox_tab.OPEN, inbox_tab.ALL)
    table = updates[tab.table]
    cells = dict(zip(table["Key"], table["Urgency"], strict=True))  # the internal key: the last column
    red_fg, red_bg = URGENCY_COLOURS["critical"]
    for key in (chargeback, late):
        assert "● critical" in cells[key] and f"color:{red_fg}" in cells[key] and f"background:{red_bg}" in cells[key]
    assert cells[chargeback].endswith(" · claim or chargeback")
    entries = {e.key: e for e in console.inbox()}
    assert "chargeback or claim filed" in entries[chargeback].urgency_reasons
    assert entries[late].urgency == "critical" and entries[late].urgency_reasons == ["1 h left on Amazon's 24 h clock"]
    assert "1 h left on Amazon" in cells[late]  # the tooltip

    header = conversation_tab._header(console.conversation(chargeback), console)
    urgency_line = next(line for line in header.split("\n\n") if "**Urgency:**" in line)
    assert "● critical" in urgency_line and "chargeback or claim filed" in urgency_line
