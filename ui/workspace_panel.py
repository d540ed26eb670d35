"""The console's workspace controls (layout and formatting only; WorkspaceService decides everything).

- Inbox: one search box above the table (`#inbox-search`: order number, name, email or identity, message
  text; Enter searches) beside the "Assigned to" and "Tag" filters. What they hold, checked, is kept in the
  session (`session["inbox_ws"]`) and applied by every inbox refresh with the other filters.
- Conversation: a line under the header with the collision warnings ("bo is viewing this", "bo is
  replying", "assigned to bo, not you"), renewed by the console's timer; a panel to assign (to me, to a
  person for admins, unassign), tag and write internal notes; the thread with the notes in it, set apart.

Everything a person or a customer typed is escaped before it becomes Markdown or HTML.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, tzinfo
from typing import Any

import gradio as gr

from shopdesk.console_service import ConsoleError
from shopdesk.inbox_search import MAX_QUERY_CHARS
from shopdesk.workspace import UNASSIGNED
from shopdesk.workspace_service import ANY, MINE, NOTE_MAX_CHARS, TAG_INPUT_MAX_CHARS, Snapshot, WorkspaceService
from ui.auth import current_user
from ui.format import md_escape, when

NOTE_LABEL = "Internal note (your team only: never sent to the customer, never shown to the agent)"


# ---------------------------------------------------------------------------------------------- inbox

@dataclass
class InboxFilters:
    search: gr.Textbox
    assignee: gr.Dropdown
    tag: gr.Dropdown
    note: gr.Markdown

    @property
    def inputs(self) -> list[gr.components.Component]:
        return [self.search, self.assignee, self.tag]


def build_inbox_filters() -> InboxFilters:
    with gr.Row(equal_height=True):
        search = gr.Textbox(label="Search: order number, name, email or identity, message text (Enter)",
                            placeholder='e.g. 113-2290114-5560123, "dana whit", lid cracked', elem_id="inbox-search",
                            max_length=MAX_QUERY_CHARS, scale=4, lines=1, max_lines=1)
        assignee = gr.Dropdown([("Any", ANY), ("Mine", MINE), ("Unassigned", UNASSIGNED)], value=ANY,
                               label="Assigned to", elem_id="filter-assignee", filterable=True, scale=1)
        tag = gr.Dropdown([("Any tag", ANY)], value=ANY, label="Tag", elem_id="filter-tag", filterable=True, scale=1,
                          allow_custom_value=True)  # a tag removed meanwhile reaches WorkspaceService, which checks it
    note = gr.Markdown("", elem_id="inbox-search-note")
    return InboxFilters(search, assignee, tag, note)


def filter_choices(ws: WorkspaceService, filters: InboxFilters, session: dict[str, Any]) -> dict[Any, Any]:
    """The assignee filter lists every console user, the tag filter every tag in use (and the one picked)."""
    picked = (session.get("inbox_ws") or {}).get("tag")
    counts = ws.tag_counts()
    if picked and picked not in counts:
        counts[picked] = 0
    return {filters.assignee: gr.Dropdown(choices=[("Any", ANY), ("Mine", MINE), ("Unassigned", UNASSIGNED)]
                                          + [(name, name) for name in ws.people()]),
            filters.tag: gr.Dropdown(choices=[("Any tag", ANY)] + [(f"{t} ({n})", t) for t, n in sorted(counts.items())])}


def apply_filters(ws: WorkspaceService, filters: InboxFilters, session: dict[str, Any], search: str | None,
                  assignee: str | None, tag: str | None, request: Any) -> tuple[bool, dict[Any, Any]]:
    """Check and keep the filters in the session; (False, the refusal) when they are not applied."""
    try:
        user = current_user(ws.console, request)
        checked = ws.inbox_filter(search, assignee, tag, user)
    except ConsoleError as exc:
        return False, {filters.note: f"**Not searched:** {md_escape(exc)}"}
    session["inbox_ws"] = checked.model_dump()
    shown = [f"matching “{md_escape(checked.search)}”"] if checked.search else []
    if checked.assignee:
        shown.append("unassigned" if checked.assignee == UNASSIGNED else f"assigned to {md_escape(checked.assignee)}")
    if checked.tag:
        shown.append(f"tagged {md_escape(checked.tag)}")
    return True, {filters.note: ("Showing conversations " + ", ".join(shown) + ".") if shown else ""}


def row_marks(assignee: str | None, tags: Sequence[str]) -> str:
    """What an inbox row adds to its status: '@ana · #vip #late' (plain text: the cell is not HTML)."""
    parts = ([f"@{assignee}"] if assignee else []) + ([" ".join(f"#{t}" for t in tags)] if tags else [])
    return "".join(f" · {p}" for p in parts)


# ---------------------------------------------------------------------------------------------- conversation

@dataclass
class WorkspacePanel:
    presence: gr.Markdown
    assign_me: gr.Button
    unassign: gr.Button
    assign_to: gr.Dropdown
    assign: gr.Button
    tag_input: gr.Textbox
    tag_add: gr.Button
    tag_pick: gr.Dropdown
    tag_remove: gr.Button
    note_input: gr.Textbox
    note_add: gr.Button
    result: gr.Markdown

    @property
    def outputs(self) -> list[Any]:
        return [getattr(self, f.name) for f in fields(self)]

    @property
    def form(self) -> list[Any]:
        return [self.assign_to, self.tag_input, self.tag_pick, self.note_input]


def build_presence() -> gr.Markdown:
    """The collision-warning line, placed under the conversation's header."""
    return gr.Markdown("", elem_id="conv-presence")


def build_panel(presence: gr.Markdown) -> WorkspacePanel:
    with gr.Accordion("Assignment, tags and internal notes", open=True, elem_id="workspace-panel"):
        with gr.Row():
            assign_me = gr.Button("Assign to me", elem_id="assign-me", variant="primary", interactive=False)
            unassign = gr.Button("Unassign", elem_id="unassign", interactive=False)
        with gr.Row(equal_height=True):
            assign_to = gr.Dropdown([], value=None, label="Assign to (admins)", elem_id="assign-to", scale=3,
                                    filterable=True, interactive=False, allow_custom_value=True)
            assign = gr.Button("Assign", elem_id="assign-button", scale=1, interactive=False)
        with gr.Row(equal_height=True):
            tag_input = gr.Textbox(label="Add a tag", placeholder="e.g. damaged, vip", elem_id="tag-input", scale=3,
                                   max_length=TAG_INPUT_MAX_CHARS, lines=1, max_lines=1)
            tag_add = gr.Button("Add tag", elem_id="tag-add", scale=1)
        with gr.Row(equal_height=True):
            tag_pick = gr.Dropdown([], value=None, label="Remove a tag", elem_id="tag-pick", scale=3, filterable=True,
                                   allow_custom_value=True)  # (choices change under the pick: the service checks it)
            tag_remove = gr.Button("Remove tag", elem_id="tag-remove", scale=1, interactive=False)
        note_input = gr.Textbox(label=NOTE_LABEL, lines=3, max_lines=10, elem_id="note-input",
                                max_length=NOTE_MAX_CHARS)
        note_add = gr.Button("Add internal note", elem_id="note-add")
        result = gr.Markdown("", elem_id="ws-result")
    return WorkspacePanel(presence, assign_me, unassign, assign_to, assign, tag_input, tag_add, tag_pick, tag_remove,
                          note_input, note_add, result)


def header_line(assignee: str | None, tags: Sequence[str]) -> str:
    """The conversation header's line for the team: who has it and its tags."""
    who = f"**Assigned to:** {md_escape(assignee)}" if assignee else "**Assigned to:** nobody"
    return who + " · **Tags:** " + (", ".join(md_escape(f"#{t}") for t in tags) if tags else "none")


def presence_text(snap: Snapshot) -> str:
    """'⚠ bo is replying · ⚠ cy is viewing this · ⚠ Assigned to bo, not you' (words, not colour alone)."""
    lines = [f"⚠ **{md_escape(v.user)}** is {'replying' if v.activity == 'replying' else 'viewing this'}"
             for v in snap.others]
    if snap.assignee and snap.assignee != snap.you:
        lines.append(f"⚠ Assigned to **{md_escape(snap.assignee)}**, not you: you can still act on it")
    return " · ".join(lines)


def panel_updates(ws: WorkspaceService, panel: WorkspacePanel, session: dict[str, Any], request: Any,
                  draft: str | None, own_reply: str | None, *, force: bool = False) -> dict[Any, Any]:
    """Renew this session's presence on its open conversation (or drop it when the conversation tab is not
    shown) and redraw the warning line and the panel's buttons when what they show changed."""
    browser = getattr(request, "session_hash", None)
    key = session.get("key")
    if not browser:
        return {}
    if session.get("tab") != "conversation" or not key:
        if session.pop("ws_present", None):
            ws.leave(browser)
            session["ws_sig"] = None
        return {}
    try:
        user = current_user(ws.console, request)
        loaded = session.get("draft") or ""
        replying = bool((own_reply or "").strip()) or (draft or "").strip() != loaded.strip()
        snap = ws.heartbeat(key, user, browser, replying=replying)
    except ConsoleError as exc:
        return {panel.presence: f"**{md_escape(exc)}**"}
    session["ws_present"] = key
    admin = user.role == "admin"
    sig = json.dumps([snap.model_dump(exclude={"others"}), [(v.user, v.activity) for v in snap.others], admin])
    if not force and session.get("ws_sig") == sig:
        return {}
    session["ws_sig"] = sig
    return {
        panel.presence: presence_text(snap),
        panel.assign_me: gr.Button(interactive=snap.assignee != user.name),
        panel.unassign: gr.Button(interactive=snap.assignee is not None and (admin or snap.assignee == user.name)),
        panel.assign_to: gr.Dropdown(choices=ws.people(), interactive=admin,
                                     label="Assign to" if admin else "Assign to (admins only)"),
        panel.assign: gr.Button(interactive=admin),
        panel.tag_pick: gr.Dropdown(choices=snap.tags, **({"value": None} if force else {})),
        panel.tag_remove: gr.Button(interactive=bool(snap.tags)),
    }


Call = Callable[[WorkspaceService, str, Any, dict[str, Any]], Any]
ACTIONS: dict[str, tuple[Call, Callable[[Any], str]]] = {
    "assign_me": (lambda w, k, u, f: w.assign_to_me(k, u), lambda r: "assigned the conversation to themselves"),
    "assign": (lambda w, k, u, f: w.assign(k, f.get("assign_to") or "", u),
               lambda r: f"assigned the conversation to {md_escape(r)}"),
    "unassign": (lambda w, k, u, f: w.unassign(k, u), lambda r: "unassigned the conversation"),
    "tag_add": (lambda w, k, u, f: w.add_tag(k, f.get("tag_input") or "", u), lambda r: f"tagged it {md_escape(r)}"),
    "tag_remove": (lambda w, k, u, f: w.remove_tag(k, f.get("tag_pick") or "", u),
                   lambda r: f"removed the tag {md_escape(r)}"),
    "note_add": (lambda w, k, u, f: w.add_note(k, f.get("note_input") or "", u),
                 lambda r: "added an internal note (not sent)"),
}


def act(ws: WorkspaceService, panel: WorkspacePanel, name: str, session: dict[str, Any], form: dict[str, Any],
        request: Any) -> tuple[bool, dict[Any, Any]]:
    """Run one workspace action on the session's open conversation: (done, updates for the panel)."""
    call, said = ACTIONS[name]
    try:
        user = current_user(ws.console, request)
        outcome = call(ws, session.get("key") or "", user, form)
    except ConsoleError as exc:
        return False, {panel.result: f"**Not done:** {md_escape(exc)}"}
    updates = panel_updates(ws, panel, session, request, form.get("draft"), form.get("own_reply"), force=True)
    updates[panel.result] = f"**Done:** {md_escape(user.name)} {said(outcome)}."
    if name == "note_add":
        updates[panel.note_input] = ""
    if name == "tag_add":
        updates[panel.tag_input] = ""
    return True, updates


# ---------------------------------------------------------------------------------------------- thread

def with_notes(notes: Sequence[Mapping[str, Any]], messages: Sequence[Mapping[str, Any]],
               render: Callable[[Sequence[Mapping[str, Any]]], str], zone: tzinfo | None = None) -> str:
    """The thread with the internal notes in time order: runs of messages drawn by `render` (the thread's
    own renderer), each note between them set apart and marked as never sent. No notes: `render` alone."""
    if not notes:
        return render(messages)
    timeline = sorted([(_at(m.get("at")), 0, i, m) for i, m in enumerate(messages)]
                      + [(_at(n.get("at")), 1, i, n) for i, n in enumerate(notes)], key=lambda e: e[:3])
    parts = ['<div class="sd-thread sd-with-notes">']
    run: list[Mapping[str, Any]] = []
    for _, kind, _, item in timeline:
        if kind == 0:
            run.append(item)
            continue
        if run:
            parts.append(render(run))
            run = []
        parts.append(note_html(item, zone))
    if run:
        parts.append(render(run))
    parts.append("</div>")
    return "".join(parts)


def note_html(note: Mapping[str, Any], zone: tzinfo | None = None) -> str:
    head = f"Internal note by {note.get('author', '')} · {when(note.get('at'), zone)} · not sent to the customer"
    return (f'<article class="sd-msg sd-note" aria-label="{html.escape(head)}">'
            f'<div class="sd-meta">🔒 {html.escape(head)}</div>'
            f'<div class="sd-text">{html.escape(str(note.get("text", "")))}</div></article>')


def _at(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0
