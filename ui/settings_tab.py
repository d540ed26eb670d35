"""Tab 4, the seller's automation settings: admins edit them, agents see them read-only.

The form is filled from ConsoleService.seller_settings() when the page loads; saving builds a SellerSettings
from the form and hands it to ConsoleService.update_seller_settings, which refuses anyone but an admin.

A new channel is draft-only: autopilot is an explicit choice per channel, with the intents it may send alone
next to it; the save says what changed (each channel's change is audited on its own). The seller's time zone
sets how the console shows every time. Macros (canned replies) are managed below (ui/macros_panel.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
from pydantic import ValidationError

from agent.schemas import INTENTS
from agent.seller_settings import Approvers, SellerSettings
from shopdesk.autopilot import autopilot_changes
from shopdesk.console_service import ConsoleError, ConsoleService
from tools.models import PLATFORMS
from ui.auth import current_user
from ui.format import md_escape, when
from ui import macros_panel

WEEKDAYS = [("Mon", 0), ("Tue", 1), ("Wed", 2), ("Thu", 3), ("Fri", 4), ("Sat", 5), ("Sun", 6)]
TIMEZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
             "America/Anchorage", "Pacific/Honolulu", "UTC"]
SELLER_ZONES = TIMEZONES + ["Europe/London", "Europe/Berlin", "Asia/Shanghai", "Asia/Kolkata", "Australia/Sydney"]
AGENT_NOTE = ("**Read-only:** you are signed in as an agent. Only an admin can change the automation settings; "
              "ask one if something should change.")
ADMIN_NOTE = "You are signed in as an admin: changes apply to the next message the agent handles."
APPROVER_LABELS = {  # Approvers field -> what the person reads
    "refund": "Refunds up to the threshold", "refund_above_threshold": "Refunds above the threshold",
    "start_return": "Returns", "cancel_order": "Cancellations", "change_shipping_address": "Address changes",
    "update_subscription": "Subscription changes",
}
ROLE_CHOICES = [("agents and admins", "agent"), ("admins only", "admin")]


@dataclass
class ChannelControls:
    autopilot: gr.Checkbox
    intents: gr.CheckboxGroup
    outside_hours: gr.Checkbox
    model_wording: gr.Checkbox

    def inputs(self) -> tuple[Any, ...]:
        return self.autopilot, self.intents, self.outside_hours, self.model_wording


@dataclass
class SettingsTab:
    note: gr.Markdown
    autopilot_summary: gr.Markdown
    channels: dict[str, ChannelControls]
    timezone: gr.Dropdown
    start: gr.Textbox
    end: gr.Textbox
    weekdays: gr.CheckboxGroup
    threshold: gr.Number
    min_confidence: gr.Slider
    handoff_confidence: gr.Slider
    seller_timezone: gr.Dropdown
    approvers: dict[str, gr.Dropdown]
    save: gr.Button
    result: gr.Markdown
    macros: macros_panel.MacroManager  # wired by ui/app.py on its own

    @property
    def form(self) -> list[Any]:
        """The inputs, in the order `save` takes them."""
        per_channel = [c for p in PLATFORMS for c in self.channels[p].inputs()]
        return per_channel + [self.timezone, self.start, self.end, self.weekdays, self.threshold, self.min_confidence,
                              self.handoff_confidence, self.seller_timezone,
                              *(self.approvers[f] for f in Approvers.model_fields)]

    @property
    def outputs(self) -> list[Any]:
        return [self.note, self.autopilot_summary, *self.form, self.save, self.result]


def build() -> SettingsTab:
    note = gr.Markdown("", elem_id="settings-note")
    channels: dict[str, ChannelControls] = {}
    intent_choices = [(i.replace("_", " "), i) for i in INTENTS]
    with gr.Accordion("Per channel: autopilot and what may be sent without a person", open=True):
        autopilot_summary = gr.Markdown("", elem_id="autopilot-summary")
        for platform in PLATFORMS:
            with gr.Row(equal_height=True):
                autopilot = gr.Checkbox(label=f"{platform}: autopilot on (off: draft-only, a person sends every reply)",
                                        elem_id=f"autopilot-{platform}", interactive=False, scale=1)
                outside = gr.Checkbox(label=f"{platform}: also auto-send outside business hours",
                                      elem_id=f"outside-hours-{platform}", interactive=False, scale=1)
                wording = gr.Checkbox(label=f"{platform}: the model may word replies (with an LLM configured)",
                                      elem_id=f"model-wording-{platform}", interactive=False, scale=1)
                intents = gr.CheckboxGroup(intent_choices, label=f"{platform}: intents that may go out without a "
                                           "person when autopilot is on",
                                           elem_id=f"intents-{platform}", interactive=False, scale=4)
            channels[platform] = ChannelControls(autopilot, intents, outside, wording)
    with gr.Accordion("Business hours", open=True):
        with gr.Row():
            timezone = gr.Dropdown(TIMEZONES, label="Time zone", elem_id="hours-timezone", interactive=False)
            start = gr.Textbox(label="Opens (HH:MM)", elem_id="hours-start", interactive=False)
            end = gr.Textbox(label="Closes (HH:MM)", elem_id="hours-end", interactive=False)
        weekdays = gr.CheckboxGroup(WEEKDAYS, label="Open on", elem_id="hours-weekdays", interactive=False)
    with gr.Accordion("Approvals and confidence", open=True):
        with gr.Row():
            threshold = gr.Number(label="Refunds above this amount (USD) need a person's approval",
                                  elem_id="refund-threshold", minimum=0, precision=2, interactive=False)
            min_confidence = gr.Slider(0, 1, step=0.01, label="Below this confidence a person reviews the draft",
                                       elem_id="min-confidence", interactive=False)
            handoff_confidence = gr.Slider(0, 1, step=0.01, label="Below this confidence a person takes over",
                                           elem_id="handoff-confidence", interactive=False)
    with gr.Accordion("The seller's time zone", open=True):
        seller_timezone = gr.Dropdown(SELLER_ZONES, label="Every time the console shows is in this zone (an IANA "
                                      "name, e.g. America/New_York; deadlines are still counted in UTC on each "
                                      "platform's clock)", elem_id="seller-timezone", allow_custom_value=True,
                                      filterable=True, interactive=False)
    with gr.Accordion("Who may approve or deny a write the agent proposed", open=False):
        with gr.Row():
            approvers = {field: gr.Dropdown(ROLE_CHOICES, label=APPROVER_LABELS[field], elem_id=f"approver-{field}",
                                            interactive=False) for field in Approvers.model_fields}
    save = gr.Button("Save settings", elem_id="save-settings", variant="primary", interactive=False)
    result = gr.Markdown("", elem_id="settings-result")
    macros = macros_panel.build_manager()
    return SettingsTab(note, autopilot_summary, channels, timezone, start, end, weekdays, threshold, min_confidence,
                       handoff_confidence, seller_timezone, approvers, save, result, macros)


def _autopilot_summary(current: SellerSettings) -> str:
    """Which channels are draft-only and which send alone (and what), in one glance."""
    on = [p for p in PLATFORMS if current.channel(p).autopilot]
    off = [p for p in PLATFORMS if p not in on]
    lines = [f"**Draft-only** (every reply waits for a person): {', '.join(off) or 'no channel'}"]
    lines += [f"**Autopilot on** for {p}: sends alone "
              + (", ".join(i.replace("_", " ") for i in current.channel(p).auto_send_intents) or "nothing")
              for p in on]
    return "\n\n".join(lines)


def load(console: ConsoleService, tab: SettingsTab, request: Any, session: dict[str, Any] | None = None,
         *, force: bool = True) -> dict[Any, Any]:
    """The saved settings in the form, editable for admins only. Without `force`, nothing when the saved settings
    are what this session last loaded (switching tabs must not wipe what an admin is editing)."""
    try:
        user = current_user(console, request)
    except ConsoleError as exc:
        return {tab.note: f"**Not available:** {md_escape(exc)}"}
    admin = user.role == "admin"
    current = console.seller_settings()
    if session is not None:
        sig = (user.role, current.model_dump_json())
        if not force and session.get("settings_sig") == sig:
            return {}
        session["settings_sig"] = sig
    updates: dict[Any, Any] = {tab.note: ADMIN_NOTE if admin else AGENT_NOTE, tab.result: "",
                               tab.autopilot_summary: _autopilot_summary(current)}
    for platform in PLATFORMS:
        ch, controls = current.channel(platform), tab.channels[platform]
        updates[controls.autopilot] = gr.Checkbox(value=ch.autopilot, interactive=admin)
        updates[controls.intents] = gr.CheckboxGroup(value=list(ch.auto_send_intents), interactive=admin)
        updates[controls.outside_hours] = gr.Checkbox(value=ch.auto_send_outside_business_hours, interactive=admin)
        updates[controls.model_wording] = gr.Checkbox(value=ch.model_wording, interactive=admin)
    hours = current.business_hours
    zones = TIMEZONES if hours.timezone in TIMEZONES else [*TIMEZONES, hours.timezone]
    updates.update({
        tab.timezone: gr.Dropdown(choices=zones, value=hours.timezone, interactive=admin),
        tab.start: gr.Textbox(value=hours.start.strftime("%H:%M"), interactive=admin),
        tab.end: gr.Textbox(value=hours.end.strftime("%H:%M"), interactive=admin),
        tab.weekdays: gr.CheckboxGroup(value=list(hours.weekdays), interactive=admin),
        tab.threshold: gr.Number(value=float(current.refund_approval_threshold), interactive=admin),
        tab.min_confidence: gr.Slider(value=current.min_confidence, interactive=admin),
        tab.handoff_confidence: gr.Slider(value=current.handoff_confidence, interactive=admin),
        tab.seller_timezone: gr.Dropdown(choices=SELLER_ZONES if current.timezone in SELLER_ZONES
                                         else [*SELLER_ZONES, current.timezone], value=current.timezone,
                                         interactive=admin),
        tab.save: gr.Button(interactive=admin),
        **{tab.approvers[f]: gr.Dropdown(choices=ROLE_CHOICES, value=getattr(current.approvers, f),
                                              interactive=admin)
           for f in Approvers.model_fields},
    })
    return updates


def form_to_settings(values: list[Any]) -> SellerSettings:
    """The form's values (in SettingsTab.form order) as SellerSettings; pydantic validates them."""
    channels = {}
    width = len(ChannelControls.__dataclass_fields__)
    for i, platform in enumerate(PLATFORMS):
        autopilot, intents, outside, wording = values[width * i: width * i + width]
        channels[platform] = {"autopilot": bool(autopilot), "auto_send_intents": list(intents or []),
                              "auto_send_outside_business_hours": bool(outside), "model_wording": bool(wording)}
    fixed = width * len(PLATFORMS) + 8
    timezone, start, end, weekdays, threshold, min_conf, handoff_conf, seller_zone = values[width * len(PLATFORMS): fixed]
    approvers = dict(zip(Approvers.model_fields, values[fixed:], strict=True))
    return SellerSettings.model_validate({
        "channels": channels,
        "business_hours": {"timezone": timezone, "start": (start or "").strip(), "end": (end or "").strip(),
                           "weekdays": sorted(int(d) for d in (weekdays or []))},
        "refund_approval_threshold": None if threshold is None else f"{float(threshold):.2f}",
        "min_confidence": min_conf, "handoff_confidence": handoff_conf, "approvers": approvers,
        "timezone": (seller_zone or "").strip(),
    })


def save(console: ConsoleService, tab: SettingsTab, values: list[Any], request: Any,
         session: dict[str, Any] | None = None) -> dict[Any, Any]:
    try:
        user = current_user(console, request)
        new = form_to_settings(values)
        before = console.seller_settings()
        saved = console.update_seller_settings(new, user)
    except ConsoleError as exc:
        return {tab.result: f"**Not saved:** {md_escape(exc)}"}
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return {tab.result: f"**Not saved:** {md_escape(problems)}"}
    if session is not None:
        session["settings_sig"] = (user.role, saved.model_dump_json())
    on = [p for p in PLATFORMS if saved.channel(p).autopilot]
    changed = [c.describe() for c in autopilot_changes(before, saved)]
    return {tab.result: f"**Saved** by {md_escape(user.name)}. Autopilot on for: {', '.join(on) or 'no channel'}; "
                        f"refunds above ${saved.refund_approval_threshold} need approval; times shown in "
                        f"{md_escape(saved.timezone)} (now {when(console.service.clock.now(), saved.zone)})."
                        + ("\n\n" + "\n".join(f"- {md_escape(c)}" for c in changed) if changed else ""),
            tab.autopilot_summary: _autopilot_summary(saved)}
