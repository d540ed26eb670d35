"""Turning autopilot on is an explicit admin choice, per channel and per intent, and each one is audited.

A newly connected channel is draft-only (agent/seller_settings.py: `autopilot` off): every reply waits for a
person. When an admin saves the settings, each channel whose autopilot or auto-send intents changed gets its
own audit entry (who, when, the channel, on/off, the intents added and removed), beside the settings
snapshot, so "who let tiktok answer refunds alone, and when" has a one-line answer.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from agent.seller_settings import SellerSettings
from tools.models import PLATFORMS

AutopilotAction = Literal["autopilot_on", "autopilot_off", "auto_send_intents_changed"]


class AutopilotChange(BaseModel):
    platform: str
    action: AutopilotAction
    autopilot: bool
    intents: list[str]
    intents_added: list[str]
    intents_removed: list[str]

    def describe(self) -> str:
        """'tiktok: autopilot ON (sends alone: order status, product question)'."""
        words = ", ".join(i.replace("_", " ") for i in self.intents) or "no intent"
        if self.action == "autopilot_on":
            return f"{self.platform}: autopilot ON (sends alone: {words})"
        if self.action == "autopilot_off":
            return f"{self.platform}: autopilot OFF (draft-only: every reply waits for a person)"
        change = [f"+{i.replace('_', ' ')}" for i in self.intents_added]
        change += [f"-{i.replace('_', ' ')}" for i in self.intents_removed]
        state = "autopilot on" if self.autopilot else "autopilot off, applies when it is turned on"
        return f"{self.platform}: intents that may send alone {' '.join(change)} ({state})"


def autopilot_changes(old: SellerSettings, new: SellerSettings) -> list[AutopilotChange]:
    """What changed, channel by channel, in what may go out without a person."""
    changes = []
    for platform in PLATFORMS:
        before, after = old.channel(platform), new.channel(platform)
        added = [i for i in after.auto_send_intents if i not in before.auto_send_intents]
        removed = [i for i in before.auto_send_intents if i not in after.auto_send_intents]
        if before.autopilot != after.autopilot:
            action: AutopilotAction = "autopilot_on" if after.autopilot else "autopilot_off"
        elif added or removed:
            action = "auto_send_intents_changed"
        else:
            continue
        changes.append(AutopilotChange(platform=platform, action=action, autopilot=after.autopilot,
                                       intents=list(after.auto_send_intents), intents_added=added,
                                       intents_removed=removed))
    return changes


def autopilot_problem(settings: SellerSettings) -> str | None:
    """Autopilot on for a channel with no intent allowed to send alone is no choice at all: refused, naming it."""
    empty = [p for p in PLATFORMS if settings.channel(p).autopilot and not settings.channel(p).auto_send_intents]
    if empty:
        return (f"autopilot is on for {', '.join(empty)} but no intent may send alone there: tick the intents that "
                "may go out without a person, or leave autopilot off")
    return None
