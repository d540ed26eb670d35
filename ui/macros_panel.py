"""Macros in the console (layout and formatting only; shopdesk/macro_service.py decides everything).

- Conversation: a picker and two buttons that put the chosen macro, filled from the open conversation's facts,
  at the end of the draft box or of "My own reply". A placeholder without a value is refused with the reason
  and the box is left as it was. Nothing is sent here: the person still uses Edit & send or Send my reply,
  which check the text like any reply.
- Settings: admins create, change and delete macros (agents see them read-only), with the placeholders listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from shopdesk.console_service import ConsoleError
from shopdesk.macro_service import MacroService
from shopdesk.macros import BODY_MAX, NAME_MAX, PLACEHOLDERS, Macro
from ui.auth import current_user
from ui.format import clip, md_escape

NEW = ""  # the manager's "new macro" choice


def _choices(macros: list[Macro]) -> list[tuple[str, str]]:
    return [(m.name, str(m.id)) for m in macros]


# ---------------------------------------------------------------------------------------------- conversation

@dataclass
class MacroPicker:
    select: gr.Dropdown
    to_draft: gr.Button
    to_reply: gr.Button
    note: gr.Markdown


def build_picker() -> MacroPicker:
    with gr.Row(equal_height=True, elem_id="macro-row"):
        select = gr.Dropdown([], value=None, label="Canned reply (macro): filled from this conversation",
                             elem_id="macro-select", filterable=True, scale=3)
        to_draft = gr.Button("Insert into draft", elem_id="macro-to-draft", scale=0, min_width=150)
        to_reply = gr.Button("Insert into my reply", elem_id="macro-to-reply", scale=0, min_width=170)
    note = gr.Markdown("", elem_id="macro-note")
    return MacroPicker(select, to_draft, to_reply, note)


def picker_choices(macros: MacroService, picker: MacroPicker) -> dict[Any, Any]:
    return {picker.select: gr.Dropdown(choices=_choices(macros.list()))}


def insert(macros: MacroService, picker: MacroPicker, box: gr.Textbox, session: dict[str, Any], macro_id: str | None,
           current: str | None, request: Any) -> dict[Any, Any]:
    """The macro filled for the open conversation at the end of `box` (its value is `current`), or the reason."""
    try:
        user = current_user(macros.console, request)
        key = session.get("key")
        if not key:
            raise ConsoleError("open a conversation first")
        text = macros.insert(key, macro_id, user, current or "")
    except ConsoleError as exc:
        return {picker.note: f"**Not inserted:** {md_escape(exc)}"}
    name = macros.get(macro_id).name
    return {box: text, picker.note: f"Inserted “{md_escape(name)}”: read it, then send it (it is checked like any "
                                    "reply)."}


# ---------------------------------------------------------------------------------------------- settings

@dataclass
class MacroManager:
    select: gr.Dropdown
    name: gr.Textbox
    body: gr.Textbox
    save: gr.Button
    delete: gr.Button
    listing: gr.Markdown
    result: gr.Markdown

    @property
    def outputs(self) -> list[Any]:
        return [self.select, self.name, self.body, self.save, self.delete, self.listing, self.result]


def build_manager() -> MacroManager:
    with gr.Accordion("Canned replies (macros)", open=False, elem_id="macros-box"):
        gr.Markdown("Placeholders, filled only from the open conversation's own facts (a placeholder without a value "
                    "blocks the insertion, so a blank is never sent): "
                    + ", ".join(f"`{{{p}}}` {md_escape(what)}" for p, what in PLACEHOLDERS.items()) + ".",
                    elem_id="macro-placeholders")
        select = gr.Dropdown([("New macro", NEW)], value=NEW, label="Macro", elem_id="macro-manage-select",
                             filterable=True, interactive=False)
        name = gr.Textbox(label="Name", elem_id="macro-name", max_length=NAME_MAX, interactive=False)
        body = gr.Textbox(label="Text", elem_id="macro-body", lines=5, max_lines=14, max_length=BODY_MAX,
                          interactive=False)
        with gr.Row():
            save = gr.Button("Save macro", elem_id="macro-save", variant="primary", interactive=False, scale=0,
                             min_width=150)
            delete = gr.Button("Delete macro", elem_id="macro-delete", variant="stop", interactive=False, scale=0,
                               min_width=150)
        listing = gr.Markdown("", elem_id="macro-list")
        result = gr.Markdown("", elem_id="macro-result")
    return MacroManager(select, name, body, save, delete, listing, result)


def _listing(macros: list[Macro]) -> str:
    if not macros:
        return "_No macros yet._"
    return "\n".join(f"- **{md_escape(m.name)}**: {md_escape(clip(m.body, 110))}" for m in macros)


def manager_load(macros: MacroService, manager: MacroManager, request: Any, picked: str | None = NEW,
                 result: str = "") -> dict[Any, Any]:
    """The manager showing `picked` (NEW: an empty form), editable for admins only."""
    try:
        user = current_user(macros.console, request)
    except ConsoleError as exc:
        return {manager.result: f"**Not available:** {md_escape(exc)}"}
    admin = user.role == "admin"
    listed = macros.list()
    chosen = next((m for m in listed if str(m.id) == str(picked)), None)
    return {
        manager.select: gr.Dropdown(choices=[("New macro", NEW), *_choices(listed)],
                                    value=str(chosen.id) if chosen else NEW, interactive=True),
        manager.name: gr.Textbox(value=chosen.name if chosen else "", interactive=admin),
        manager.body: gr.Textbox(value=chosen.body if chosen else "", interactive=admin),
        manager.save: gr.Button(interactive=admin),
        manager.delete: gr.Button(interactive=admin and chosen is not None),
        manager.listing: _listing(listed),
        manager.result: result or ("" if admin else "**Read-only:** only an admin can change macros."),
    }


def manager_save(macros: MacroService, manager: MacroManager, picked: str | None, name: str, body: str,
                 request: Any) -> dict[Any, Any]:
    try:
        user = current_user(macros.console, request)
        saved = macros.save(picked or None, name, body, user)
    except ConsoleError as exc:
        return {manager.result: f"**Not saved:** {md_escape(exc)}"}
    return manager_load(macros, manager, request, str(saved.id), f"**Saved** “{md_escape(saved.name)}”.")


def manager_delete(macros: MacroService, manager: MacroManager, picked: str | None, request: Any) -> dict[Any, Any]:
    try:
        user = current_user(macros.console, request)
        gone = macros.delete(picked, user)
    except ConsoleError as exc:
        return {manager.result: f"**Not deleted:** {md_escape(exc)}"}
    return manager_load(macros, manager, request, NEW, f"**Deleted** “{md_escape(gone.name)}”.")
