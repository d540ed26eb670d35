"""The agent console: a Gradio Blocks app over ConsoleService, mounted at / of the shopdesk HTTP app.

    app = build_app(service)                      # /health and /webhooks/* first
    mount_console(app, ConsoleService(service))   # then the console at / (login: see ui/auth.py)

Starlette matches routes in the order they were added and a mount at "/" matches every path, so the console
must be mounted after every other route: routes added to `app` after `mount_console` would be shadowed
(`mount_console` refuses to run twice on one app). Nothing Gradio is built at import time.

Tabs: Inbox (every channel, by reply deadline, refreshed by a timer), Conversation (thread, customer 360,
draft with its evidence, the review actions), Dashboard, Settings (admins edit, agents read) and Evals.
Callbacks only call ConsoleService; the signed-in user comes from the request on every call; what a session
has open lives in its own gr.State.
"""

from __future__ import annotations

import time
from typing import Any

import gradio as gr
from fastapi import FastAPI

from shopdesk.console_service import ConsoleError, ConsoleService
from shopdesk.macro_service import MacroService
from shopdesk.workspace_service import WorkspaceService
from ui import conversation_tab, dashboard_tab, evals_tab, inbox_tab, settings_tab, workspace_panel
from shopdesk.login_throttle import Clock, LoginThrottle
from ui.attachment_route import add_attachment_route
from ui.auth import LoginGuard, SessionTokens, authenticator, current_user
from ui.format import md_escape
from ui.session import new_session
from ui import macros_panel, shortcuts

REFRESH_S = 3.0
TITLE = "shopdesk console"

CSS = """
.sd-thread { display: flex; flex-direction: column; gap: 8px; }
.sd-msg { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px; max-width: 92%; }
.sd-msg.sd-in { align-self: flex-start; background: var(--background-fill-secondary); }
.sd-msg.sd-out { align-self: flex-end; border-style: dashed; }
.sd-meta { font-size: 0.85em; font-weight: 600; margin-bottom: 4px; }
.sd-text { white-space: pre-wrap; overflow-wrap: anywhere; }
.sd-msg.sd-note { align-self: center; border: 2px dotted #b08900; background: rgba(255, 214, 10, 0.12); }
#conv-presence p { font-weight: 600; }
#whoami { align-self: center; }
"""


def build_console(console: ConsoleService, *, refresh_s: float = REFRESH_S) -> gr.Blocks:
    """The console's Blocks (not mounted: see `mount_console`)."""
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        session = gr.State(new_session())
        with gr.Row(equal_height=True):
            gr.Markdown(f"## {TITLE}", elem_id="console-title")
            whoami = gr.Markdown("", elem_id="whoami")
            kbd_help = shortcuts.help_button()
            gr.Button("Log out", link="logout", elem_id="logout", size="md", scale=0, min_width=110)
        with gr.Tabs(selected="inbox", elem_id="console-tabs") as tabs:
            with gr.Tab("Inbox", id="inbox", elem_id="tab-inbox") as inbox_page:
                inbox = inbox_tab.build()
            with gr.Tab("Conversation", id="conversation", elem_id="tab-conversation") as conversation_page:
                conv = conversation_tab.build()
            with gr.Tab("Dashboard", id="dashboard", elem_id="tab-dashboard") as dashboard_page:
                dash = dashboard_tab.build()
            with gr.Tab("Settings", id="settings", elem_id="tab-settings") as settings_page:
                prefs = settings_tab.build()
            with gr.Tab("Evals", id="evals", elem_id="tab-evals") as evals_page:
                runs = evals_tab.build()
        timer = gr.Timer(refresh_s)
        keys = shortcuts.build()

        # ------------------------------------------------------------------ page load and the live refresh

        def on_load(state: dict[str, Any], platform: str, status: str, intent: str, picked: str | None,
                    request: gr.Request) -> dict[Any, Any]:
            try:
                user = current_user(console, request)
                who = f"Signed in as **{md_escape(user.name)}** ({user.role})"
                state["role"] = user.role  # in place: a refresh tick holding this session's state keeps it
            except ConsoleError as exc:
                who = f"**{md_escape(exc)}**"
            updates = {whoami: who, session: state}
            updates.update(inbox_tab.refresh(console, inbox, state, platform, status, intent, picked=picked,
                                             force=True))
            updates.update(settings_tab.load(console, prefs, request, state))
            return updates

        demo.load(on_load, [session, *inbox.filters], [whoami, session, *inbox.outputs, *prefs.outputs],
                  show_progress="hidden")

        def signed_in_role(state: dict[str, Any], request: gr.Request) -> None:
            """The person's role, for what the page offers (the service checks every action itself): read again
            on each tick and open, so an update that raced the page load never leaves an admin without buttons."""
            try:
                state["role"] = current_user(console, request).role
            except ConsoleError:
                state.pop("role", None)

        def on_tick(state: dict[str, Any], platform: str, status: str, intent: str,
                    picked: str | None, request: gr.Request) -> dict[Any, Any]:
            signed_in_role(state, request)
            updates: dict[Any, Any] = {session: state}  # never empty: Gradio reads {} as one output value
            if state.get("tab") == "inbox":
                updates.update(inbox_tab.refresh(console, inbox, state, platform, status, intent, picked=picked))
            elif state.get("tab") == "conversation":
                updates.update(conversation_tab.refresh(console, conv, state))
            return updates

        timer.tick(on_tick, [session, *inbox.filters], [session, *inbox.outputs, *conv.outputs],
                   show_progress="hidden", queue=True)

        # ------------------------------------------------------------------ inbox

        def on_filter(state: dict[str, Any], platform: str, status: str, intent: str,
                      picked: str | None) -> dict[Any, Any]:
            return {session: state, **inbox_tab.refresh(console, inbox, state, platform, status, intent,
                                                        picked=picked, force=True)}

        for trigger in (inbox.platform.change, inbox.status.change, inbox.intent.change, inbox.refresh.click):
            trigger(on_filter, [session, *inbox.filters], [session, *inbox.outputs], show_progress="hidden")

        def on_select(state: dict[str, Any], evt: gr.SelectData, request: gr.Request) -> dict[Any, Any]:
            signed_in_role(state, request)
            row = evt.row_value or []
            key = row[inbox_tab.KEY_COLUMN] if len(row) > inbox_tab.KEY_COLUMN else None
            return _open(state, key)

        def on_open(state: dict[str, Any], key: str | None, request: gr.Request) -> dict[Any, Any]:
            signed_in_role(state, request)
            return _open(state, key)

        def _open(state: dict[str, Any], key: str | None) -> dict[Any, Any]:
            updates = conversation_tab.open_conversation(console, conv, key, state)
            if state.get("key") == key and key:
                updates[tabs] = gr.Tabs(selected="conversation")
            updates[session] = state
            return updates

        inbox.table.select(on_select, [session], [session, tabs, *conv.outputs], show_progress="hidden")
        inbox.open_button.click(on_open, [session, inbox.open_select], [session, tabs, *conv.outputs])

        # ------------------------------------------------------------------ conversation actions

        form_inputs = [conv.draft, conv.reject_reason, conv.own_reply, conv.deny_reason, conv.pending_choice]

        def action(name: str) -> Any:
            def run(state: dict[str, Any], draft: str, reject_reason: str, own_reply: str, deny_reason: str,
                    pending_choice: str | None, request: gr.Request) -> dict[Any, Any]:
                form = {"draft": draft or "", "reject_reason": reject_reason or "", "own_reply": own_reply or "",
                        "deny_reason": deny_reason or "", "pending_choice": pending_choice or ""}
                return {session: state, **conversation_tab.act(console, conv, name, state, form, request)}

            run.__name__ = f"console_{name}"
            return run

        for button, name in ((conv.approve, "approve"), (conv.edit_send, "edit_send"), (conv.reject, "reject"),
                             (conv.take_over, "take_over"), (conv.clear_flags, "clear_flags"),
                             (conv.approve_action, "approve_action"),
                             (conv.deny, "deny_action"), (conv.send_own, "send_own")):
            # one review action at a time across all sessions: two people approving the same draft at once get
            # one resume and one "not waiting for a review", never two resumes racing
            button.click(action(name), [session, *form_inputs], [session, *conv.outputs], concurrency_limit=1,
                         concurrency_id="review-actions")

        # ------------------------------------------------------------------ tab switches

        def on_inbox_tab(state: dict[str, Any], platform: str, status: str, intent: str,
                         picked: str | None) -> dict[Any, Any]:
            state["tab"] = "inbox"
            return {session: state, **inbox_tab.refresh(console, inbox, state, platform, status, intent,
                                                        picked=picked, force=True)}

        def on_conversation_tab(state: dict[str, Any]) -> dict[Any, Any]:
            state["tab"] = "conversation"
            return {session: state, **conversation_tab.refresh(console, conv, state)}

        def on_other_tab(name: str) -> Any:
            def switch(state: dict[str, Any]) -> dict[Any, Any]:
                state["tab"] = name
                return {session: state}

            return switch

        inbox_page.select(on_inbox_tab, [session, *inbox.filters], [session, *inbox.outputs], show_progress="hidden")
        conversation_page.select(on_conversation_tab, [session], [session, *conv.outputs], show_progress="hidden")
        dashboard_page.select(on_other_tab("dashboard"), [session], [session], show_progress="hidden").then(
            lambda: dashboard_tab.refresh(console, dash), None, dash.outputs, show_progress="hidden")
        dash.refresh.click(lambda: dashboard_tab.refresh(console, dash), None, dash.outputs)
        def on_settings_tab(state: dict[str, Any], request: gr.Request) -> dict[Any, Any]:
            state["tab"] = "settings"
            return {session: state, **settings_tab.load(console, prefs, request, state, force=False)}

        settings_page.select(on_settings_tab, [session], [session, *prefs.outputs], show_progress="hidden")
        evals_page.select(on_other_tab("evals"), [session], [session], show_progress="hidden").then(
            lambda: evals_tab.refresh(console, runs), None, [runs.note, runs.table], show_progress="hidden")
        runs.refresh.click(lambda: evals_tab.refresh(console, runs), None, [runs.note, runs.table])

        # ------------------------------------------------------------------ settings

        def on_save(request: gr.Request, state: dict[str, Any], *values: Any) -> dict[Any, Any]:
            # (request first: Gradio injects it by annotation, and only into leading positional parameters)
            return {session: state, **settings_tab.save(console, prefs, list(values), request, state)}

        prefs.save.click(on_save, [session, *prefs.form], [session, prefs.result, prefs.autopilot_summary])

        # ------------------------------------------------------------------ workspace: search, assignment,
        # presence, notes, tags (shopdesk/workspace_service.py decides; ui/workspace_panel.py draws)

        ws = WorkspaceService(console)
        panel = conv.panel

        def on_ws_filter(state: dict[str, Any], platform: str, status: str, intent: str, picked: str | None,
                         search: str, assignee: str, tag: str, request: gr.Request) -> dict[Any, Any]:
            applied, updates = workspace_panel.apply_filters(ws, inbox.ws, state, search, assignee, tag, request)
            if applied:
                updates.update(inbox_tab.refresh(console, inbox, state, platform, status, intent, picked=picked,
                                                 force=True))
            return {session: state, **updates}

        for trigger in (inbox.ws.search.submit, inbox.ws.assignee.change, inbox.ws.tag.change):
            trigger(on_ws_filter, [session, *inbox.filters, *inbox.ws.inputs],
                    [session, inbox.ws.note, *inbox.outputs], show_progress="hidden")

        def on_ws_choices(state: dict[str, Any]) -> dict[Any, Any]:
            return {session: state, **workspace_panel.filter_choices(ws, inbox.ws, state)}

        for trigger in (demo.load, inbox_page.select):
            trigger(on_ws_choices, [session], [session, inbox.ws.assignee, inbox.ws.tag], show_progress="hidden")

        def on_ws_presence(state: dict[str, Any], draft: str, own_reply: str, request: gr.Request) -> dict[Any, Any]:
            return {session: state, **workspace_panel.panel_updates(ws, panel, state, request, draft, own_reply)}

        def on_ws_opened(state: dict[str, Any], draft: str, own_reply: str, request: gr.Request) -> dict[Any, Any]:
            return {session: state, **workspace_panel.panel_updates(ws, panel, state, request, draft, own_reply,
                                                                    force=True)}

        # the timer renews this session's presence (and drops it once another tab is shown); the header changes
        # when a conversation is opened
        timer.tick(on_ws_presence, [session, conv.draft, conv.own_reply], [session, *panel.outputs],
                   show_progress="hidden", queue=True)
        conv.header.change(on_ws_opened, [session, conv.draft, conv.own_reply], [session, *panel.outputs],
                           show_progress="hidden")

        def ws_action(name: str) -> Any:
            def run(state: dict[str, Any], draft: str, own_reply: str, assign_to: str | None, tag_input: str,
                    tag_pick: str | None, note_input: str, request: gr.Request) -> dict[Any, Any]:
                form = {"draft": draft, "own_reply": own_reply, "assign_to": assign_to, "tag_input": tag_input,
                        "tag_pick": tag_pick, "note_input": note_input}
                done, updates = workspace_panel.act(ws, panel, name, state, form, request)
                if done:  # the header and the thread show the change; the draft box keeps what is typed
                    updates.update(conversation_tab.refresh(console, conv, state))
                return {session: state, **updates}

            run.__name__ = f"console_ws_{name}"
            return run

        for button, name in ((panel.assign_me, "assign_me"), (panel.assign, "assign"), (panel.unassign, "unassign"),
                             (panel.tag_add, "tag_add"), (panel.tag_remove, "tag_remove"),
                             (panel.note_add, "note_add")):
            button.click(ws_action(name), [session, conv.draft, conv.own_reply, *panel.form],
                         [session, *conv.outputs, *panel.outputs], show_progress="hidden")
        panel.tag_input.submit(ws_action("tag_add"), [session, conv.draft, conv.own_reply, *panel.form],
                               [session, *conv.outputs, *panel.outputs], show_progress="hidden")

        # ------------------------------------------------------------------ helpdesk: macros, bulk approve, keys
        # (shopdesk/macro_service.py and shopdesk/bulk.py decide; ui/macros_panel.py and ui/shortcuts.py draw)

        macros = MacroService(console)
        picker, manager = conv.macros, prefs.macros

        def on_macro_choices(state: dict[str, Any]) -> dict[Any, Any]:
            return {session: state, **macros_panel.picker_choices(macros, picker)}

        for trigger in (demo.load, conversation_page.select):
            trigger(on_macro_choices, [session], [session, picker.select], show_progress="hidden")

        def macro_into(box: gr.Textbox) -> Any:
            def run(state: dict[str, Any], macro_id: str | None, current: str, request: gr.Request) -> dict[Any, Any]:
                return {session: state, **macros_panel.insert(macros, picker, box, state, macro_id, current, request)}

            run.__name__ = f"console_macro_into_{box.elem_id}"
            return run

        for button, box in ((picker.to_draft, conv.draft), (picker.to_reply, conv.own_reply)):
            button.click(macro_into(box), [session, picker.select, box], [session, box, picker.note],
                         show_progress="hidden")

        def on_manage_macros(state: dict[str, Any], picked: str | None, request: gr.Request) -> dict[Any, Any]:
            return {session: state, **macros_panel.manager_load(macros, manager, request, picked)}

        def on_save_macro(state: dict[str, Any], picked: str | None, name: str, body: str,
                          request: gr.Request) -> dict[Any, Any]:
            return {session: state, **macros_panel.manager_save(macros, manager, picked, name, body, request)}

        def on_delete_macro(state: dict[str, Any], picked: str | None, request: gr.Request) -> dict[Any, Any]:
            return {session: state, **macros_panel.manager_delete(macros, manager, picked, request)}

        settings_page.select(on_manage_macros, [session, manager.select], [session, *manager.outputs],
                             show_progress="hidden")
        manager.select.input(on_manage_macros, [session, manager.select], [session, *manager.outputs],
                             show_progress="hidden")
        manager.save.click(on_save_macro, [session, manager.select, manager.name, manager.body],
                           [session, *manager.outputs])
        manager.delete.click(on_delete_macro, [session, manager.select], [session, *manager.outputs])

        def on_select_all(state: dict[str, Any]) -> dict[Any, Any]:
            return {session: state, **inbox_tab.select_all_drafts(inbox, state)}

        def on_bulk_approve(state: dict[str, Any], chosen: list[str] | None, platform: str, status: str, intent: str,
                            picked: str | None, request: gr.Request) -> dict[Any, Any]:
            updates = inbox_tab.approve_selected(console, inbox, state, chosen, request)
            updates.update(inbox_tab.refresh(console, inbox, state, platform, status, intent, picked=picked,
                                             force=True))
            return {session: state, **updates}

        inbox.bulk_all.click(on_select_all, [session], [session, inbox.bulk_select], show_progress="hidden")
        # the same lane as the single review buttons: one review action at a time across all sessions
        inbox.bulk_approve.click(on_bulk_approve, [session, inbox.bulk_select, *inbox.filters],
                                 [session, inbox.bulk_result, *inbox.outputs], concurrency_limit=1,
                                 concurrency_id="review-actions")

        def on_step(delta: int) -> Any:
            def run(state: dict[str, Any], picked: str | None) -> dict[Any, Any]:
                listed = [k for _, k in state.get("inbox_choices") or []]
                if state.get("tab") == "conversation":  # j/k in a conversation open the next/previous one
                    target = shortcuts.step(listed, state.get("key"), delta)
                    if target is None or target == state.get("key"):
                        return {session: state}
                    updates = _open(state, target)
                else:  # in the inbox they move the cursor; Enter or o opens it
                    # from the cursor this lane left (server-side, read when the press is handled), not the picker's
                    # value sent with the press: a press made while the previous one is in flight carries a stale one
                    target = shortcuts.step(listed, state.get("cursor") or picked, delta)
                    updates = {session: state}
                if target is not None:
                    state["cursor"] = target
                    updates.update({inbox.open_select: gr.Dropdown(value=target), keys.cursor: target})
                return updates

            run.__name__ = f"console_step_{'next' if delta > 0 else 'previous'}"
            return run

        # one lane for j and k, so quick presses land in the order pressed (two lanes answered "j, k" as "k, j"
        # on a loaded machine and left the cursor a row off); every press counts ("once", Gradio's default, dropped
        # a k pressed while the j before it was still in flight)
        for button, delta in ((keys.next, 1), (keys.prev, -1)):
            button.click(on_step(delta), [session, inbox.open_select],
                         [session, tabs, inbox.open_select, keys.cursor, *conv.outputs], show_progress="hidden",
                         concurrency_limit=1, concurrency_id="keyboard-steps", trigger_mode="multiple")

        def on_pick(state: dict[str, Any], picked: str | None) -> dict[Any, Any]:
            state["cursor"] = picked or None  # a pick with the mouse moves the keyboard cursor there too
            return {session: state, keys.cursor: picked or ""}

        inbox.open_select.input(on_pick, [session, inbox.open_select], [session, keys.cursor],
                                show_progress="hidden", concurrency_limit=1, concurrency_id="keyboard-steps")
        kbd_help.click(None, None, None, js=shortcuts.OPEN_JS)

    for fn in demo.fns.values():  # callbacks serve this page only: not listed in, nor callable through, Gradio's API
        fn.api_visibility = "private"
    return demo


def mount_console(app: FastAPI, console: ConsoleService, *, path: str = "/", refresh_s: float = REFRESH_S,
                  clock: Clock = time.monotonic) -> FastAPI:
    """Mount the console at `path` of `app`, behind Gradio's login form checked against the console's users,
    with login throttling, session expiry and Lax cookies (see ui/auth.py); `clock` is monotonic seconds.

    Call it after every other route is on `app` (see the module doc), before the app starts."""
    if not console.users:
        raise ValueError("the console needs users: set SHOPDESK_CONSOLE_USERS='name:password[:admin],...'")
    if getattr(app.state, "shopdesk_console", False):
        raise ValueError("the console is already mounted on this app")
    settings = console.service.settings
    blocks = build_console(console, refresh_s=refresh_s)
    blocks.queue(default_concurrency_limit=8)
    app.state.shopdesk_console = True
    max_s = settings.console_session_hours * 3600
    app.add_middleware(LoginGuard, max_age_s=int(max_s))
    bind_attachments = add_attachment_route(app, console)  # customers' photos, signed-in users only
    gr.mount_gradio_app(
        app, blocks, path=path, auth=authenticator(console, LoginThrottle(clock=clock)),
        auth_message="shopdesk agent console: sign in with your console user (after repeated failures, sign-in "
                     "pauses for a while).",
        app_kwargs={} if settings.api_docs else {"openapi_url": None},  # Gradio's own schema is public otherwise
        footer_links=[], run_history=False,  # no run history: it would keep customer messages in the browser
        ssr_mode=False, mcp_server=False, enable_monitoring=False, show_error=True,
        css=CSS + inbox_tab.CSS + shortcuts.CSS, js=shortcuts.script(inbox_tab.KEY_COLUMN))
    gradio_app = app.router.routes[-1].app  # type: ignore[attr-defined]  # the Mount just added
    gradio_app.tokens = SessionTokens(idle_s=settings.console_idle_minutes * 60, max_s=max_s, clock=clock)
    bind_attachments(gradio_app)
    return app
