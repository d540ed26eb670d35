"""The seller's automation settings per channel: what may go out without a person.

Stored as JSON under the data dir (the console's settings tab edits it later); a missing file means
the defaults below. Defaults are conservative where money or judgement is involved: a channel is
draft-only (autopilot off) until an admin turns autopilot on for it, with the intents it may send alone.
"""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agent.intents import INTENT_TABLE
from agent.schemas import Intent
from tools.models import PLATFORMS, Platform

DEFAULT_AUTO_SEND: tuple[Intent, ...] = tuple(name for name, s in INTENT_TABLE.items() if s.auto_send_default)


DEFAULT_TIMEZONE = "America/New_York"
"""The demo seller's time zone: what the console shows times in until an admin sets the seller's own."""


def valid_timezone(name: str) -> str:
    """An IANA zone name zoneinfo knows ("America/New_York"); anything else is refused with the name."""
    name = str(name or "").strip()
    if not name or len(name) > 64:
        raise ValueError("a time zone is an IANA name such as America/New_York")
    try:
        ZoneInfo(name)
    except (ValueError, OSError, ZoneInfoNotFoundError):  # OSError: a name that looks like a path
        raise ValueError(f"unknown time zone {name!r}: use an IANA name such as America/New_York") from None
    return name


class BusinessHours(BaseModel):
    model_config = ConfigDict(extra="forbid")
    timezone: str = "America/Los_Angeles"
    start: time = time(8, 0)
    end: time = time(18, 0)
    weekdays: list[int] = Field(default_factory=lambda: [0, 1, 2, 3, 4])

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return valid_timezone(value)

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(ZoneInfo(self.timezone))
        return local.weekday() in self.weekdays and self.start <= local.time() < self.end


class ChannelSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    autopilot: bool = Field(
        default=False,
        description="Send replies without a person (for the intents below). Off for a newly connected channel: "
                    "every draft waits for a person until an admin turns it on (audited per channel).")
    auto_send_intents: list[Intent] = Field(
        default_factory=list,
        description="The intents whose replies may go out without a person when autopilot is on. None on a new "
                    "channel: an admin ticks each one (an admin who only ticks 'autopilot on' is refused).")
    auto_send_outside_business_hours: bool = True
    model_wording: bool = Field(
        default=False,
        description="With an LLM configured, let the model reword the template replies (guarded: facts and speech "
                    "acts must be kept). Off: templates go out verbatim and any reply the model wrote waits for a "
                    "person. Off by default: a small model's wording can change what a reply means.")


ApproverRole = Literal["agent", "admin"]


class Approvers(BaseModel):
    """Which console role may decide (approve, deny, or approve the draft proposing) each write the agent
    proposed. Refunds above `refund_approval_threshold` have their own entry: an admin's by default."""

    model_config = ConfigDict(extra="forbid")
    refund: ApproverRole = "agent"
    refund_above_threshold: ApproverRole = "admin"
    start_return: ApproverRole = "agent"
    cancel_order: ApproverRole = "agent"
    change_shipping_address: ApproverRole = "agent"
    update_subscription: ApproverRole = "agent"

    def role_for(self, tool: str, args: dict[str, Any], threshold: Decimal) -> ApproverRole:
        """The role a pending write needs; a write this table does not know needs an admin."""
        if tool == "refund":
            return self.refund_above_threshold if refund_above(args, threshold) else self.refund
        return getattr(self, tool) if tool in type(self).model_fields else "admin"


def refund_above(args: dict[str, Any], threshold: Decimal) -> bool:
    """A proposed refund's amount is above the threshold (an unreadable amount counts as above)."""
    try:
        return Decimal(str(args.get("amount"))) > threshold
    except (InvalidOperation, ValueError):
        return True


class SellerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channels: dict[Platform, ChannelSettings] = Field(default_factory=lambda: {p: ChannelSettings() for p in PLATFORMS})
    business_hours: BusinessHours = Field(default_factory=BusinessHours)
    refund_approval_threshold: Decimal = Decimal("50.00")
    min_confidence: float = Field(default=0.55, ge=0, le=1, description="Below: a person reviews the draft.")
    handoff_confidence: float = Field(default=0.35, ge=0, le=1, description="Below: a person takes over.")
    approvers: Approvers = Field(default_factory=Approvers, description="Who may decide each proposed write.")
    handoff_acknowledgment: bool = Field(
        default=True, description="Tell the customer at once that a person has their message and by when.")
    timezone: str = Field(default=DEFAULT_TIMEZONE,
                          description="The seller's time zone (IANA name): every time the console shows is in it. "
                                      "Reply deadlines are still computed in UTC on each platform's clock.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return valid_timezone(value)

    def channel(self, platform: Platform) -> ChannelSettings:
        return self.channels.get(platform) or ChannelSettings()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def with_autopilot(self, on: bool = True, platforms: list[Platform] | None = None) -> SellerSettings:
        """A copy with autopilot set on `platforms` (default: every channel), each keeping its intents, or, where
        a channel turned on has none, the intents the intent table marks safe to send alone (DEFAULT_AUTO_SEND).
        Evals and tests that measure what the agent would send alone use it: autopilot is off by default."""
        chosen = set(PLATFORMS if platforms is None else platforms)

        def turned(channel: ChannelSettings) -> ChannelSettings:
            intents = channel.auto_send_intents or (list(DEFAULT_AUTO_SEND) if on else [])
            return channel.model_copy(update={"autopilot": on, "auto_send_intents": intents})
        channels = {p: turned(self.channel(p)) if p in chosen else self.channel(p) for p in PLATFORMS}
        return self.model_copy(update={"channels": channels})

    def with_model_wording(self, on: bool = True) -> SellerSettings:
        """A copy with every channel's `model_wording` set (evals of the guarded wording path)."""
        channels = {p: self.channel(p).model_copy(update={"model_wording": on}) for p in PLATFORMS}
        return self.model_copy(update={"channels": channels})

    @classmethod
    def load(cls, path: Path) -> SellerSettings:
        return cls.model_validate_json(path.read_text(encoding="utf-8")) if path.exists() else cls()

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.model_dump_json(indent=2), encoding="utf-8")
