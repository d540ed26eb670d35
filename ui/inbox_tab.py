"""Tab 1, the inbox: every channel in one table, what is due first on top (the service orders it).

The table is redrawn by the app's timer only when what it shows changed. A row is opened by selecting any
of its cells, or from the keyboard with the "Open conversation" list and its button.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from agent.schemas import INTENTS
from shopdesk.console_service import ConsoleService, InboxEntry
from tools.models import PLATFORMS
from ui.format import STATUS_LABELS, frame, status_label, time_left, when
from ui.urgency import urgency_cell

ALL = "all"
OPEN = "open"   # every open status (the service's default)
ANY = "any"     # open and closed
HEADERS = ["Time left", "Due (platform clock)", "Platform", "Customer", "Intent", "Urgency", "Status", "Last message",
           "Conversation"]
KEY_COLUMN = len(HEADERS) - 1
# the urgency cell is HTML made here (ui/urgency.py: a coloured badge with the word); every other cell stays text,
# so nothing a customer wrote is ever rendered
DATATYPES = ["html" if h == "Urgency" else "str" for h in HEADERS]


@dataclass
class InboxTab:
    platform: gr.Dropdown
    status: gr.Dropdown
    intent: gr.Dropdown
    refresh: gr.Button
    summary: gr.Markdown
    table: gr.Dataframe
    open_select: gr.Dropdown
    open_button: gr.Button

    @property
    def filters(self) -> list[gr.components.Component]:
        """The refresh's inputs: the three filters and the "Open conversation" pick."""
        return [self.platform, self.status, self.intent, self.open_select]

    @property
    def outputs(self) -> list[gr.components.Component]:
        return [self.summary, self.table, self.open_select]


def build() -> InboxTab:
    """The inbox's components, laid out inside the current tab (events are wired by ui.app)."""
    with gr.Row():
        platform = gr.Dropdown([("All platforms", ALL)] + [(p, p) for p in PLATFORMS], value=ALL, label="Platform",
                               elem_id="filter-platform", filterable=False)
        status = gr.Dropdown([("Open (all open statuses)", OPEN), ("Any status (incl. sent, rejected)", ANY)]
                             + [(label, s) for s, label in STATUS_LABELS.items()], value=OPEN, label="Status",
                             elem_id="filter-status", filterable=False)
        intent = gr.Dropdown([("All intents", ALL)] + [(i.replace("_", " "), i) for i in INTENTS], value=ALL,
                             label="Intent", elem_id="filter-intent", filterable=False)
        refresh = gr.Button("Refresh now", elem_id="inbox-refresh", size="md", scale=0, min_width=140)
    summary = gr.Markdown("Loading the inbox…", elem_id="inbox-summary")
    table = gr.Dataframe(frame(HEADERS, []), label="Inbox, by reply deadline (select a row to open it)",
                         interactive=False, elem_id="inbox-table", wrap=True, max_height=560, datatype=DATATYPES,
                         column_widths=["9%", "10%", "7%", "11%", "10%", "9%", "10%", "22%", "12%"])
    with gr.Row():
        open_select = gr.Dropdown([], value=None, label="Open conversation (keyboard)", elem_id="open-select",
                                  scale=4, filterable=True)
        open_button = gr.Button("Open", elem_id="open-button", variant="primary", scale=0, min_width=120)
    return InboxTab(platform, status, intent, refresh, summary, table, open_select, open_button)


def _entries(console: ConsoleService, platform: str | None, status: str | None, intent: str | None) -> list[InboxEntry]:
    status = status or OPEN
    return console.inbox(platform=None if platform in (None, ALL) else platform,
                         status=None if status in (OPEN, ANY) else status,
                         intent=None if intent in (None, ALL) else intent, include_closed=status == ANY)


def _row(e: InboxEntry) -> list[str]:
    return [time_left(e.time_left_s, e.overdue), when(e.deadline), e.platform,
            e.customer_name or e.customer_id or "(not identified yet)", (e.intent or "not triaged").replace("_", " "),
            urgency_cell(e.urgency, e.urgency_reasons, e.risk_flags),
            status_label(e.status), e.preview, e.key]


def _choice(e: InboxEntry) -> tuple[str, str]:
    who = e.customer_name or e.customer_id or e.key
    return f"{time_left(e.time_left_s, e.overdue)} · {e.platform} · {who} · {status_label(e.status)}", e.key


def refresh(console: ConsoleService, tab: InboxTab, session: dict[str, Any], platform: str | None,
            status: str | None, intent: str | None, *, picked: str | None = None,
            force: bool = False) -> dict[Any, Any]:
    """Updates for the inbox (none when nothing it shows changed and `force` is off); mutates `session`.

    `picked` is what the "Open conversation" list shows now: kept while it is still listed."""
    entries = _entries(console, platform, status, intent)
    rows = [_row(e) for e in entries]
    sig = (platform, status, intent, tuple(map(tuple, rows)))
    if not force and session.get("inbox_sig") == sig:
        return {}
    session["inbox_sig"] = sig
    overdue = sum(1 for e in entries if e.overdue)
    waiting = sum(1 for e in entries if e.status in ("draft_ready", "needs_approval", "handed_off"))
    summary = (f"**{len(entries)}** conversation{'s' if len(entries) != 1 else ''} shown · **{overdue}** overdue · "
               f"**{waiting}** waiting for a person · times on the service clock, "
               f"{when(console.service.clock.now())}")
    choices = [_choice(e) for e in entries]
    updates: dict[Any, Any] = {tab.summary: summary, tab.table: frame(HEADERS, rows)}
    if force:
        listed = {k for _, k in choices}
        keep = next((k for k in (picked, session.get("key")) if k in listed), None)
        updates[tab.open_select] = gr.Dropdown(choices=choices, value=keep)
    elif session.get("inbox_choices") != choices:
        # a timer refresh may cross the person's pick in flight: change the list, never the picked value
        # (and leave an unchanged list alone, so an open list is not closed under their keyboard)
        updates[tab.open_select] = gr.Dropdown(choices=choices)
    session["inbox_choices"] = choices
    return updates
