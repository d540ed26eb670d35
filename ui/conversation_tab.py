"""Tab 2, one conversation: the thread on every channel, customer 360, the draft with its evidence, the actions.

Every action is one ConsoleService call (which resumes the graph's interrupt or queues the person's reply);
what it refuses comes back as its ConsoleError text, shown as is. Buttons that cannot apply to the
conversation's current state are disabled (the service checks again anyway).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

import gradio as gr

from shopdesk.console_service import ConsoleError, ConsoleService, ConversationView, conversation_order
from ui.auth import current_user
from ui.format import (conversation_label, frame, md_code, md_escape, md_table, money, status_label, thread_html,
                       time_left, when)
from ui.session import redrawn, unchanged
from ui.urgency import urgency_line
from ui.attachments_view import annotated_thread, attachments_html
from ui import macros_panel
from ui import workspace_panel

ORDER_HEADERS = ["Order", "Platform", "Status", "Placed", "Total", "Items", "Shipments"]
RETURN_HEADERS = ["Return", "Order", "Platform", "Status", "Reason", "Requested"]
REFUND_HEADERS = ["Refund", "Order", "Amount", "Status", "Reason", "Created"]
EARLIER_HEADERS = ["Conversation", "Platform", "Status", "About", "Last activity", "Source"]
EVENT_HEADERS = ["Received", "Platform", "Order", "Event", "Status"]
TOOL_HEADERS = ["Tool", "Arguments", "Result", "Error"]
OUTBOX_HEADERS = ["Reply #", "Status", "Written by", "Text", "Last error"]
PENDING_CHOICES = [("Approve it", "approve"), ("Deny it", "deny"), ("Keep it pending", "keep")]
CHOICE_LABEL = "With Edit & send, the pending write: approve / deny / keep pending"


@dataclass
class ConversationTab:
    header: gr.Markdown
    thread: gr.HTML
    draft: gr.Textbox
    pending_choice: gr.Radio
    approve: gr.Button
    edit_send: gr.Button
    take_over: gr.Button
    clear_flags: gr.Button
    reject_reason: gr.Textbox
    reject: gr.Button
    pending_box: gr.Column
    pending: gr.Markdown
    approve_action: gr.Button
    deny_reason: gr.Textbox
    deny: gr.Button
    own_reply: gr.Textbox
    send_own: gr.Button
    result: gr.Markdown
    customer: gr.Markdown
    orders: gr.Dataframe
    returns: gr.Dataframe
    refunds: gr.Dataframe
    earlier: gr.Dataframe
    events: gr.Dataframe
    passages: gr.Markdown
    compliance: gr.Markdown
    tools: gr.Dataframe
    outbox: gr.Dataframe
    panel: workspace_panel.WorkspacePanel  # assignment, tags, notes, presence: wired by ui/app.py on its own
    macros: macros_panel.MacroPicker  # canned replies into the draft or own reply: wired by ui/app.py on its own
    attachments: gr.HTML  # the customer's photos and files, as thumbnails (ui/attachments_view.py)

    @property
    def outputs(self) -> list[Any]:
        return [getattr(self, f.name) for f in fields(self) if f.name not in ("panel", "macros")]


def build() -> ConversationTab:
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            header = gr.Markdown("No conversation open: select one in the inbox.", elem_id="conv-header")
            presence = workspace_panel.build_presence()
            thread = gr.HTML(thread_html([]), label="Thread on every channel", elem_id="conv-thread",
                             show_label=True, container=True, max_height=420, padding=True, js_on_load=None)
            attachments = gr.HTML(attachments_html([]), label="Photos and files from the customer",
                                  elem_id="conv-attachments", show_label=True, container=True, padding=True)
            draft = gr.Textbox("", label="Draft reply (edit it, then Edit & send)", lines=7, max_lines=20,
                               elem_id="draft", interactive=True)
            macros = macros_panel.build_picker()  # a canned reply into the draft or "My own reply"
            # shown only while a write waits for approval; no default: the person must say what becomes of it
            pending_choice = gr.Radio(PENDING_CHOICES, value=None, label=CHOICE_LABEL, elem_id="pending-choice",
                                      visible=False, interactive=True)
            with gr.Row():
                approve = gr.Button("Approve & send", elem_id="approve-send", variant="primary", interactive=False)
                edit_send = gr.Button("Edit & send", elem_id="edit-send", variant="primary", interactive=False)
                take_over = gr.Button("Take over", elem_id="take-over", interactive=False)
                clear_flags = gr.Button("Clear risk flags", elem_id="clear-flags", interactive=False)
            with gr.Row(equal_height=True):
                reject_reason = gr.Textbox(label="Reason for rejecting the draft", elem_id="reject-reason", scale=4,
                                           placeholder="e.g. wrong order, tone")
                reject = gr.Button("Reject draft", elem_id="reject", variant="stop", interactive=False, scale=1)
            with gr.Column(visible=False, elem_id="pending-box", variant="panel") as pending_box:
                pending = gr.Markdown("", elem_id="pending-action")
                with gr.Row(equal_height=True):
                    approve_action = gr.Button("Approve refund/return", elem_id="approve-action", variant="primary",
                                               interactive=False)
                    deny_reason = gr.Textbox(label="Reason for denying it", elem_id="deny-reason", scale=3,
                                             placeholder="e.g. carrier claim still open")
                    deny = gr.Button("Deny", elem_id="deny-action", variant="stop", interactive=False)
            own_reply = gr.Textbox(label="My own reply (handed-off conversations; checked by compliance)", lines=3,
                                   elem_id="own-reply")
            send_own = gr.Button("Send my reply", elem_id="send-own", interactive=False)
            result = gr.Markdown("", elem_id="action-result")
        with gr.Column(scale=2):
            panel = workspace_panel.build_panel(presence)
            with gr.Accordion("Customer 360", open=True, elem_id="customer-360"):
                customer = gr.Markdown("", elem_id="customer-card")
                orders = gr.Dataframe(frame(ORDER_HEADERS, []), label="Orders on every platform", interactive=False,
                                      elem_id="customer-orders", wrap=True, max_height=260)
                returns = gr.Dataframe(frame(RETURN_HEADERS, []), label="Returns", interactive=False,
                                       elem_id="customer-returns", wrap=True, max_height=200)
                refunds = gr.Dataframe(frame(REFUND_HEADERS, []), label="Refunds", interactive=False,
                                       elem_id="customer-refunds", wrap=True, max_height=200)
                earlier = gr.Dataframe(frame(EARLIER_HEADERS, []), label="Earlier conversations", interactive=False,
                                       elem_id="customer-earlier", wrap=True, max_height=200)
                events = gr.Dataframe(frame(EVENT_HEADERS, []), label="Order events from the platforms",
                                      interactive=False, elem_id="order-events", wrap=True, max_height=200)
            with gr.Accordion("Why this draft: citations, compliance, tools", open=True, elem_id="evidence"):
                compliance = gr.Markdown("", elem_id="compliance-report")
                passages = gr.Markdown("", elem_id="cited-passages")
                tools = gr.Dataframe(frame(TOOL_HEADERS, []), label="Tool trace", interactive=False,
                                     elem_id="tool-trace", wrap=True, max_height=260)
            outbox = gr.Dataframe(frame(OUTBOX_HEADERS, []), label="Replies queued or sent", interactive=False,
                                  elem_id="conv-outbox", wrap=True, max_height=200)
    return ConversationTab(header, thread, draft, pending_choice, approve, edit_send, take_over, clear_flags, reject_reason, reject, pending_box,
                           pending, approve_action, deny_reason, deny, own_reply, send_own, result, customer, orders,
                           returns, refunds, earlier, events, passages, compliance, tools, outbox, panel, macros,
                           attachments=attachments)


# ---------------------------------------------------------------------------------------------- rendering

def _header(view: ConversationView, console: ConsoleService) -> str:
    row = view.row
    # the conversation named as its inbox row names it (customer · platform · order or subject); the internal key
    # only on a small id line under it, for whoever needs to quote it (ops, `shopdesk review`)
    name = (view.customer or {}).get("name") or row.customer_id
    label = conversation_label(name, row.platform, conversation_order(row) or row.subject)
    clock = time_left(view.time_left_s, view.overdue)
    zone = console.display_zone()
    lines = [f"### {md_escape(label)} · {status_label(row.status)}",
             (f"**Status:** {status_label(row.status)} · **Reply clock:** {clock}"
              f" (due {when(row.deadline, zone) or 'n/a'}) · **Intent:** {(row.intent or 'not triaged').replace('_', ' ')} · "
              f"**Urgency:** {urgency_line(view.urgency, view.urgency_reasons)}"),
             (f"**Subject:** {md_escape(row.subject)} · " if row.subject else "")
             + f'<small class="sd-conv-id">id: {md_code(row.key)}</small>',
             workspace_panel.header_line(view.assignee, view.tags)]
    if row.risk_flags:
        lines.append("**Risk flags (kept until cleared):** " + ", ".join(f.replace("_", " ") for f in row.risk_flags))
    if view.reasons:
        lines.append("**Routing reasons:** " + "; ".join(md_escape(r) for r in view.reasons))
    summary = (row.trace or {}).get("handoff_summary")
    if summary:
        lines.append(f"**Handoff note:** {md_escape(summary)}")
    if view.awaiting_review:
        lines.append("**Waiting for your review.**")
    return "\n\n".join(lines)


def _customer(view: ConversationView) -> str:
    c = view.customer
    if not c:
        return "_Customer not identified yet._"
    ids = ", ".join(f"{i['platform']}: {md_escape(i['value'])}" for i in c.get("identities", []))
    addr = c.get("default_address") or {}
    where = f"{addr.get('city', '')}, {addr.get('state', '')}" if addr else "n/a"
    return (f"**{md_escape(c.get('name', ''))}** (`{c.get('id', '')}`) · {md_escape(where)}\n\n"
            f"Email {md_escape(c.get('email') or 'n/a')} · phone {md_escape(c.get('phone') or 'n/a')}\n\n"
            f"Known on: {ids or 'n/a'}\n\n"
            f"{len(view.orders)} orders · {len(view.returns)} returns · {len(view.refunds)} refunds · "
            f"{len(view.earlier)} earlier conversations")


def _compliance(view: ConversationView) -> str:
    report = view.compliance
    if report is None:
        return "**Compliance:** no draft checked yet."
    violations = report.get("violations", [])
    if report.get("ok") and not violations:
        return "**Compliance: PASSED** — no rule broken."
    verdict = "PASSED with notes" if report.get("ok") else "BLOCKED"
    rows = [(v.get("rule", ""), v.get("message", ""), v.get("evidence") or "") for v in violations]
    return f"**Compliance: {verdict}**\n\n" + md_table(["Rule", "What", "Offending text"], rows)


def _passages(view: ConversationView) -> str:
    if not view.passages:
        return "**Cited passages:** none."
    out = ["**Cited passages**"]
    for p in view.passages:
        text = p.get("text", "")
        out.append(f"- **{md_escape(p.get('title', ''))}** (`{p.get('id', '')}`): "
                   f"{md_escape(text[:280] + ('…' if len(text) > 280 else ''))}")
    return "\n".join(out)


def _short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _orders(view: ConversationView, zone: Any = None) -> list[list[Any]]:
    return [[o["id"], o["platform"], o.get("platform_status") or o.get("status"), when(o.get("created_at"), zone),
             money(o.get("total")), "; ".join(f"{i['quantity']}× {i['title']}" for i in o.get("items", [])),
             "; ".join(f"{s['carrier']} {s['status']}" for s in o.get("shipments", []))] for o in view.orders]


def _pending(view: ConversationView, admin_only: str | None = None) -> str:
    """The waiting write; `admin_only` (the write in words) when the signed-in person's role may not decide it."""
    action = view.pending_action or {}
    summary = action.get("summary") or f"{action.get('tool', 'a write')} {_short(action.get('args', {}))}"
    text = f"**Waiting for approval:** {md_escape(summary)}"
    if admin_only:
        text += (f"\n\nOnly an admin can approve or deny {md_escape(admin_only)}: ask an admin to decide it. "
                 "You can still take the conversation over.")
    return text


def _choice_label(view: ConversationView) -> str:
    """'Pending refund of $54.99: approve / deny / keep pending' (what Edit & send does with the write)."""
    action = view.pending_action or {}
    args = action.get("args") or {}
    what = (f"refund of {money(args['amount'])}" if action.get("tool") == "refund" and args.get("amount")
            else str(action.get("summary") or action.get("tool") or "write"))
    return f"Pending {what}: approve / deny / keep pending (required for Edit & send)"


def render(console: ConsoleService, tab: ConversationTab, view: ConversationView, session: dict[str, Any],
           *, force: bool = False) -> dict[Any, Any]:
    """Updates showing `view`; the draft box is only replaced when the service's draft changed since it was last
    loaded in this session (or `force`), so a refresh never overwrites what the person is typing."""
    row = view.row
    zone = console.display_zone()  # every time shown in the seller's time zone
    sig = (str(zone), session.get("role"), row.key, row.status, row.updated_at.isoformat(), tuple(row.risk_flags), len(view.thread), view.draft, view.awaiting_review,
           json.dumps(view.outbox, default=str), json.dumps(view.compliance, default=str),
           view.assignee, tuple(view.tags), len(view.notes),
           tuple((a.get("sha256"), a.get("state")) for a in view.attachments))
    if force:
        redrawn(session, "conv")
    elif unchanged(session, "conv", sig):
        return {}
    session["conv_sig"] = sig
    awaiting = view.awaiting_review
    needs_approval = awaiting and bool((view.pending_action or {}).get("needs_approval"))
    # a person whose role may not decide the waiting write sees why, and no button that would only refuse them
    decides = not view.pending_action or console.may_decide(view.pending_action, str(session.get("role", "")))
    updates: dict[Any, Any] = {
        tab.header: _header(view, console),
        tab.thread: workspace_panel.with_notes(view.notes, annotated_thread(view.thread), lambda ms: thread_html(ms, current=row.key, zone=zone), zone),
        tab.attachments: attachments_html(view.attachments, zone),
        tab.approve: gr.Button(interactive=awaiting and decides),
        tab.edit_send: gr.Button(interactive=awaiting and decides),
        tab.reject: gr.Button(interactive=awaiting and decides),
        tab.take_over: gr.Button(interactive=row.status != "handed_off"),
        tab.clear_flags: gr.Button(interactive=bool(row.risk_flags)),
        tab.send_own: gr.Button(interactive=awaiting or row.status in ("handed_off", "failed")),
        tab.pending_box: gr.Column(visible=needs_approval),
        tab.pending: _pending(view, None if decides else console.approver_for(view.pending_action or {})[1])
        if needs_approval else "",
        tab.approve_action: gr.Button(interactive=needs_approval and decides),
        tab.deny: gr.Button(interactive=needs_approval and decides),
        tab.customer: _customer(view),
        tab.orders: frame(ORDER_HEADERS, _orders(view, zone)),
        tab.returns: frame(RETURN_HEADERS, [[r["id"], r["order_id"], r["platform"], r["status"], r["reason"],
                                             when(r.get("requested_at"), zone)] for r in view.returns]),
        tab.refunds: frame(REFUND_HEADERS, [[f["id"], f["order_id"], money(f.get("amount")), f["status"], f["reason"],
                                             when(f.get("created_at"), zone)] for f in view.refunds]),
        tab.earlier: frame(EARLIER_HEADERS, [[e["key"], e["platform"], e["status"], e.get("intent") or "",
                                              when(e.get("last_message_at"), zone), e["source"]] for e in view.earlier]),
        tab.events: frame(EVENT_HEADERS, [[when(e.get("received_at"), zone), e["platform"], e.get("order_id") or "",
                                           e.get("topic") or e.get("kind"), e.get("status") or ""]
                                          for e in view.order_events]),
        tab.compliance: _compliance(view),
        tab.passages: _passages(view),
        tab.tools: frame(TOOL_HEADERS, [[t["name"], _short(t.get("args", {})),
                                         "ok" if t.get("ok") else "failed", t.get("error") or ""]
                                        for t in view.tool_calls]),
        tab.outbox: frame(OUTBOX_HEADERS, [[o["id"], o["status"], o.get("by") or o["author"], o["text"],
                                            o.get("last_error") or ""]
                                           for o in view.outbox]),
    }
    if force or view.draft != session.get("draft"):
        session["draft"] = view.draft
        updates[tab.draft] = gr.Textbox(value=view.draft or "", interactive=True)
    # the choice is cleared when the write it was about changes (or on open/after an action), never while typing
    pending_sig = json.dumps(view.pending_action, default=str, sort_keys=True) if needs_approval else None
    if force or pending_sig != session.get("pending_sig"):
        session["pending_sig"] = pending_sig
        updates[tab.pending_choice] = gr.Radio(value=None, visible=needs_approval,
                                               label=_choice_label(view) if needs_approval else CHOICE_LABEL)
    return updates


def open_conversation(console: ConsoleService, tab: ConversationTab, key: str | None,
                      session: dict[str, Any]) -> dict[Any, Any]:
    """Open `key` in this session (clears the last action's message and the reason boxes)."""
    if not key:
        return {tab.result: "Select a conversation in the inbox first."}
    try:
        view = console.conversation(key)
    except ConsoleError as exc:
        return {tab.result: f"**Not opened:** {md_escape(exc)}"}
    session.update(key=key, tab="conversation", conv_sig=None, draft=None)
    updates = render(console, tab, view, session, force=True)
    updates.update({tab.result: "", tab.reject_reason: "", tab.deny_reason: "", tab.own_reply: ""})
    return updates


def refresh(console: ConsoleService, tab: ConversationTab, session: dict[str, Any]) -> dict[Any, Any]:
    key = session.get("key")
    if not key:
        return {}
    try:
        return render(console, tab, console.conversation(key), session)
    except ConsoleError:
        return {}


# ---------------------------------------------------------------------------------------------- actions

Action = Callable[[ConsoleService, str, Any, dict[str, str]], ConversationView]

ACTIONS: dict[str, tuple[Action, str]] = {
    "approve": (lambda c, k, u, f: c.approve(k, u), "approved the draft"),
    "edit_send": (lambda c, k, u, f: c.edit_and_send(k, f["draft"], u, pending=f.get("pending_choice") or None),
                  "sent the edited reply"),
    "reject": (lambda c, k, u, f: c.reject(k, f["reject_reason"], u), "rejected the draft"),
    "take_over": (lambda c, k, u, f: c.take_over(k, u), "took the conversation over"),
    "clear_flags": (lambda c, k, u, f: c.clear_flags(k, u), "cleared the risk flags"),
    "approve_action": (lambda c, k, u, f: c.approve_action(k, u), "approved the pending write"),
    "deny_action": (lambda c, k, u, f: c.deny_action(k, f["deny_reason"], u), "denied the pending write"),
    "send_own": (lambda c, k, u, f: c.send_own_reply(k, f["own_reply"], u, pending=f.get("pending_choice") or None),
                 "sent their own reply"),
}


def act(console: ConsoleService, tab: ConversationTab, name: str, session: dict[str, Any], form: dict[str, str],
        request: Any) -> dict[Any, Any]:
    """Run one action on the session's open conversation; the result (or the service's refusal) is shown."""
    key = session.get("key")
    if not key:
        return {tab.result: "**Not done:** open a conversation first."}
    call, done = ACTIONS[name]
    try:
        user = current_user(console, request)
        view = call(console, key, user, form)
    except ConsoleError as exc:
        updates = refresh(console, tab, session)
        updates[tab.result] = f"**Not done:** {md_escape(exc)}"
        return updates
    updates = render(console, tab, view, session, force=True)
    updates[tab.result] = (f"**Done:** {md_escape(user.name)} {done}. Status now: **{status_label(view.row.status)}**"
                           + (" — it goes out as soon as the dispatcher sends it." if view.row.status == "queued"
                              else "."))
    if name == "send_own":
        updates[tab.own_reply] = ""
    return updates
