"""A turn whose message carries attachments (a photo of the damage, the wrong item, a label).

The engine cannot see images, so what the customer shows is for a person:
- a photo or file sent alone continues the conversation's open topic ("photo received" for the damage claim
  that asked for it) and goes to a person with the reason "customer sent a photo" (or "... a file"); the
  customer gets the handoff acknowledgment, which says a photo arrived, when the seller's settings, the
  sender's proof and the compliance check allow it (agent/nodes/handoff.py), otherwise nothing is sent
  and a person answers;
- a photo sent with words lets the agent answer the words, and the draft waits for a person, who sees the photo.

Used by three small checks: triage (`attachment_triage`), act (`attachment_outcome`) and route
(`attachment_review_reason`); the acknowledgment's wording asks `acknowledged_attachment`.
"""

from __future__ import annotations

from typing import Any

from agent.schemas import Triage
from agent.state import AgentState

PHOTO_REASON = "customer sent a photo"
FILE_REASON = "customer sent a file"


def sent_attachments(state: AgentState) -> list[str]:
    """The kinds of what the customer attached to this turn's message (image, video, audio, file)."""
    return list(state.get("attachments") or [])


def attachment_only(state: AgentState) -> bool:
    """The message is attachments and no words."""
    return bool(sent_attachments(state)) and not (state.get("text") or "").strip()


def attachment_reason(state: AgentState) -> str | None:
    """Why a person must look: 'customer sent a photo' (an image or a video) or 'customer sent a file'."""
    kinds = sent_attachments(state)
    if not kinds:
        return None
    return PHOTO_REASON if {"image", "video"} & set(kinds) else FILE_REASON


def attachment_triage(state: AgentState, base: dict[str, Any]) -> Triage | None:
    """For an attachment-only message: the conversation's open topic (the request the photo belongs to), or
    `other` when nothing is open; None for a message with words (the usual triage reads them)."""
    if not attachment_only(state):
        return None
    intent = state.get("active_intent") or "other"
    return Triage(intent=intent, confidence=1.0, source="conversation", **base)


def attachment_outcome(state: AgentState) -> dict[str, Any] | None:
    """The plan outcome of an attachment-only message: a person, with the reason (no plan runs on no words)."""
    if not attachment_only(state):
        return None
    return {"template": "handoff", "handoff_reason": attachment_reason(state)}


def attachment_review_reason(state: AgentState, reason: str | None) -> str | None:
    """The route's review reason with the photo added when the message had words too (its draft answers the
    words; a person sees the photo before it goes)."""
    extra = None if attachment_only(state) else attachment_reason(state)
    return "; ".join(r for r in (reason, extra) if r) or None


def acknowledged_attachment(state: AgentState) -> str | None:
    """What the handoff acknowledgment says arrived: "photo" (an image or video), "file", or None (words)."""
    if not attachment_only(state):
        return None
    return "photo" if attachment_reason(state) == PHOTO_REASON else "file"
