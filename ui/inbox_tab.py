"""Tab 1, the inbox: every channel in one table, what is due first on top (the service orders it).

The table is redrawn by the app's timer only when what it shows changed. A row is opened by selecting any
of its cells, or from the keyboard with the "Open conversation" list and its button (or j/k and Enter: see
ui/shortcuts.py). Rows are one line each and name the conversation in words (customer · platform · order or
subject); the internal key is only the last column, which opening a row reads. Times are in the seller's time
zone. Below the table, several routine drafts can be approved at once (shopdesk/bulk.py decides which).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

import gradio as gr

from agent.schemas import INTENTS
from shopdesk.bulk import bulk_approve
from shopdesk.console_service import ConsoleError, ConsoleService, InboxEntry
from tools.models import PLATFORMS
from ui.auth import current_user
from ui.format import STATUS_LABELS, clip, conversation_label, frame, md_escape, status_label, time_left, when
from ui.urgency import urgency_cell
from ui import workspace_panel

ALL = "all"
OPEN = "open"   # every open status (the service's default)
ANY = "any"     # open and closed
HEADERS = ["Time left", "Due (platform clock)", "Platform", "Conversation", "Intent", "Urgency", "Status", "Last message",
           "Key"]
KEY_COLUMN = len(HEADERS) - 1  # the internal key: kept last (and out of sight) only to open the row
PREVIEW_CHARS = 90  # one line per row: the last message, clipped
BULK_LISTED = 50    # drafts offered for bulk approval at once (shopdesk/bulk.py takes at most as many)
CSS = "#inbox-table { --input-text-size: var(--text-sm); }\n"  # compact rows: the table's text one step smaller
NO_LONGER = " · no longer waiting"  # marks a draft the bulk list offered that someone has since handled
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
    ws: workspace_panel.InboxFilters  # search box, assignee and tag filters: kept in the session by ui/app.py
    bulk_select: gr.CheckboxGroup  # drafts waiting for approval, to approve several at once
    bulk_all: gr.Button
    bulk_approve: gr.Button
    bulk_result: gr.Markdown

    @property
    def filters(self) -> list[gr.components.Component]:
        """The refresh's inputs: the three filters and the "Open conversation" pick."""
        return [self.platform, self.status, self.intent, self.open_select]

    @property
    def outputs(self) -> list[gr.components.Component]:
        return [self.summary, self.table, self.open_select, self.bulk_select]


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
    ws = workspace_panel.build_inbox_filters()
    summary = gr.Markdown("Loading the inbox…", elem_id="inbox-summary")
    table = gr.Dataframe(frame(HEADERS, []), label="Inbox, by reply deadline (select a row to open it)",
                         interactive=False, elem_id="inbox-table", wrap=False, max_height=560, datatype=DATATYPES,
                         column_widths=["10%", "12%", "7%", "26%", "10%", "9%", "11%", "15%", "0%"])
    with gr.Row():
        # allow_custom_value: a pick a refresh just dropped from the list (a filter or search changed) reaches the
        # service, which says "no conversation ...", instead of failing Gradio's check of the choices mid-flight
        open_select = gr.Dropdown([], value=None, label="Open conversation (keyboard)", elem_id="open-select",
                                  scale=4, filterable=True, allow_custom_value=True)
        open_button = gr.Button("Open", elem_id="open-button", variant="primary", scale=0, min_width=120)
    with gr.Accordion("Approve several routine drafts", open=False, elem_id="bulk-box"):
        bulk_select = gr.CheckboxGroup([], value=[], label="Drafts waiting for approval (only routine ones are "
                                       "approved: compliance passed, no risk flag, no pending refund, return or "
                                       "cancellation; the others are listed as skipped with the reason)",
                                       elem_id="bulk-select")
        with gr.Row():
            bulk_all = gr.Button("Select all listed", elem_id="bulk-all", size="md", scale=0, min_width=160)
            bulk_approve = gr.Button("Approve selected", elem_id="bulk-approve", variant="primary", scale=0,
                                     min_width=180)
        bulk_result = gr.Markdown("", elem_id="bulk-result")
    return InboxTab(platform, status, intent, refresh, summary, table, open_select, open_button, ws,
                    bulk_select, bulk_all, bulk_approve, bulk_result)


def _entries(console: ConsoleService, platform: str | None, status: str | None, intent: str | None,
             workspace: dict[str, Any] | None = None) -> list[InboxEntry]:
    """`workspace`: the search, assignee and tag filters as the session keeps them (already checked)."""
    status = status or OPEN
    return console.inbox(platform=None if platform in (None, ALL) else platform,
                         status=None if status in (OPEN, ANY) else status,
                         intent=None if intent in (None, ALL) else intent, include_closed=status == ANY,
                         **(workspace or {}))


def _label(e: InboxEntry) -> str:
    """'Dana Whitfield · amazon · 112-4417739-2043456': who, where, and the order (or the subject)."""
    return conversation_label(e.customer_name or e.customer_id, e.platform, e.order_id or e.subject)


def _row(e: InboxEntry, zone: tzinfo | None = None) -> list[str]:
    return [time_left(e.time_left_s, e.overdue), when(e.deadline, zone), e.platform,
            _label(e), (e.intent or "not triaged").replace("_", " "),
            urgency_cell(e.urgency, e.urgency_reasons, e.risk_flags),
            status_label(e.status) + workspace_panel.row_marks(e.assignee, e.tags), clip(e.preview, PREVIEW_CHARS),
            e.key]


def _bulk_choices(entries: list[InboxEntry], earlier: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The drafts waiting for approval, as the bulk list offers them; `earlier` (what the list offered before)
    stays listed, marked, so a selection made meanwhile stays valid: approving one skips it with the reason."""
    waiting = [(f"{_label(e)} · {(e.intent or 'not triaged').replace('_', ' ')}", e.key)
               for e in entries if e.status == "draft_ready"][:BULK_LISTED]
    keys = {k for _, k in waiting}
    gone = [(label.removesuffix(NO_LONGER) + NO_LONGER, k) for label, k in earlier if k not in keys]
    return waiting + gone[:BULK_LISTED]


def _choice(e: InboxEntry) -> tuple[str, str]:
    who = e.customer_name or e.customer_id or e.key
    return f"{time_left(e.time_left_s, e.overdue)} · {e.platform} · {who} · {status_label(e.status)}", e.key


def refresh(console: ConsoleService, tab: InboxTab, session: dict[str, Any], platform: str | None,
            status: str | None, intent: str | None, *, picked: str | None = None,
            force: bool = False) -> dict[Any, Any]:
    """Updates for the inbox (none when nothing it shows changed and `force` is off); mutates `session`.

    `picked` is what the "Open conversation" list shows now: kept while it is still listed."""
    entries = _entries(console, platform, status, intent, session.get("inbox_ws"))
    zone = console.display_zone()
    rows = [_row(e, zone) for e in entries]
    sig = (platform, status, intent, tuple(map(tuple, rows)))
    if not force and session.get("inbox_sig") == sig:
        return {}
    session["inbox_sig"] = sig
    overdue = sum(1 for e in entries if e.overdue)
    waiting = sum(1 for e in entries if e.status in ("draft_ready", "needs_approval", "handed_off"))
    summary = (f"**{len(entries)}** conversation{'s' if len(entries) != 1 else ''} shown · **{overdue}** overdue · "
               f"**{waiting}** waiting for a person · times in {zone}; now {when(console.service.clock.now(), zone)}")
    choices = [_choice(e) for e in entries]
    updates: dict[Any, Any] = {tab.summary: summary, tab.table: frame(HEADERS, rows)}
    if force:
        listed = {k for _, k in choices}
        keep = next((k for k in (picked, session.get("key")) if k in listed), None)
        updates[tab.open_select] = gr.Dropdown(choices=choices, value=keep)
        session["cursor"] = keep  # the keyboard cursor (j/k) goes on from what the picker shows
    elif session.get("inbox_choices") != choices:
        # a timer refresh may cross the person's pick in flight: change the list, never the picked value
        # (and leave an unchanged list alone, so an open list is not closed under their keyboard)
        updates[tab.open_select] = gr.Dropdown(choices=choices)
    session["inbox_choices"] = choices
    bulk = _bulk_choices(entries, [] if force else session.get("bulk_choices") or [])
    if force or session.get("bulk_choices") != bulk:
        # forced (a filter, the tab, an action): a fresh list, nothing selected; the timer only adds and marks
        updates[tab.bulk_select] = gr.CheckboxGroup(choices=bulk, value=[]) if force else gr.CheckboxGroup(choices=bulk)
    session["bulk_choices"] = bulk
    return updates


def select_all_drafts(tab: InboxTab, session: dict[str, Any]) -> dict[Any, Any]:
    """Tick every draft the bulk list offers that is still waiting."""
    keys = [k for label, k in session.get("bulk_choices") or [] if not label.endswith(NO_LONGER)]
    return {tab.bulk_select: gr.CheckboxGroup(value=keys)}


def approve_selected(console: ConsoleService, tab: InboxTab, session: dict[str, Any], keys: list[str] | None,
                     request: Any) -> dict[Any, Any]:
    """Approve the ticked drafts (shopdesk/bulk.py: routine ones only, each through the single approve path) and
    say which went and which were skipped, and why."""
    labels = {k: label.removesuffix(NO_LONGER) for label, k in session.get("bulk_choices") or []}
    try:
        user = current_user(console, request)
        result = bulk_approve(console, list(keys or []), user)
    except ConsoleError as exc:
        return {tab.bulk_result: f"**Not done:** {md_escape(exc)}"}
    lines = [f"**Approved {len(result.approved)}** (queued to send): "
             + (", ".join(md_escape(labels.get(k, k)) for k in result.approved) or "none")]
    if result.skipped:
        lines.append(f"**Skipped {len(result.skipped)}** (open them to decide):")
        lines += [f"- {md_escape(labels.get(s.key, s.key))}: {md_escape(s.reason)}" for s in result.skipped]
    return {tab.bulk_result: "\n".join(lines)}
