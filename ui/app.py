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
from ui import conversation_tab, dashboard_tab, evals_tab, inbox_tab, settings_tab
from shopdesk.login_throttle import Clock, LoginThrottle
from ui.auth import LoginGuard, SessionTokens, authenticator, current_user
from ui.format import md_escape
from ui.session import new_session

REFRESH_S = 3.0
TITLE = "shopdesk console"

CSS = """
.sd-thread { display: flex; flex-direction: column; gap: 8px; }
.sd-msg { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px; max-width: 92%; }
.sd-msg.sd-in { align-self: flex-start; background: var(--background-fill-secondary); }
.sd-msg.sd-out { align-self: flex-end; border-style: dashed; }
.sd-meta { font-size: 0.85em; font-weight: 600; margin-bottom: 4px; }
.sd-text { white-space: pre-wrap; overflow-wrap: anywhere; }
#whoami { align-self: center; }
"""


def build_console(console: ConsoleService, *, refresh_s: float = REFRESH_S) -> gr.Blocks:
    """The console's Blocks (not mounted: see `mount_console`)."""
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        session = gr.State(new_session())
        with gr.Row(equal_height=True):
            gr.Markdown(f"## {TITLE}", elem_id="console-title")
            whoami = gr.Markdown("", elem_id="whoami")
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

        # ------------------------------------------------------------------ page load and the live refresh

        def on_load(state: dict[str, Any], platform: str, status: str, intent: str, picked: str | None,
                    request: gr.Request) -> dict[Any, Any]:
            try:
                user = current_user(console, request)
                who = f"Signed in as **{md_escape(user.name)}** ({user.role})"
            except ConsoleError as exc:
                who = f"**{md_escape(exc)}**"
            updates = {whoami: who, session: state}
            updates.update(inbox_tab.refresh(console, inbox, state, platform, status, intent, picked=picked,
                                             force=True))
            updates.update(settings_tab.load(console, prefs, request, state))
            return updates

        demo.load(on_load, [session, *inbox.filters], [whoami, session, *inbox.outputs, *prefs.outputs],
                  show_progress="hidden")

        def on_tick(state: dict[str, Any], platform: str, status: str, intent: str,
                    picked: str | None) -> dict[Any, Any]:
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

        def on_select(state: dict[str, Any], evt: gr.SelectData) -> dict[Any, Any]:
            row = evt.row_value or []
            key = row[inbox_tab.KEY_COLUMN] if len(row) > inbox_tab.KEY_COLUMN else None
            return _open(state, key)

        def on_open(state: dict[str, Any], key: str | None) -> dict[Any, Any]:
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

        prefs.save.click(on_save, [session, *prefs.form], [session, prefs.result])

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
    gr.mount_gradio_app(
        app, blocks, path=path, auth=authenticator(console, LoginThrottle(clock=clock)),
        auth_message="shopdesk agent console: sign in with your console user (after repeated failures, sign-in "
                     "pauses for a while).",
        app_kwargs={} if settings.api_docs else {"openapi_url": None},  # Gradio's own schema is public otherwise
        footer_links=[], run_history=False,  # no run history: it would keep customer messages in the browser
        ssr_mode=False, mcp_server=False, enable_monitoring=False, show_error=True, css=CSS)
    gradio_app = app.router.routes[-1].app  # type: ignore[attr-defined]  # the Mount just added
    gradio_app.tokens = SessionTokens(idle_s=settings.console_idle_minutes * 60, max_s=max_s, clock=clock)
    return app
