"""The typed objects that travel between the agent's steps (DESIGN.md section 1).

A reader can follow one message from `InboundMessage` through `Triage`, `ToolResult`s and
`Passage`s to a `Draft`, its `ComplianceReport` and the routing `Decision`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tools.models import AttachmentKind, Platform
from tools.results import PendingAction, ToolResult

__all__ = ["PendingAction", "ToolResult"]  # re-exported: they are part of the agent's vocabulary too

Intent = Literal[
    "order_status", "return_request", "refund_status", "cancel_order", "change_address", "product_question",
    "policy_question", "damaged_or_wrong_item", "subscription_change", "claim_or_chargeback", "complaint",
    "review_feedback", "privacy_request", "other",
]
INTENTS: tuple[Intent, ...] = (
    "order_status", "return_request", "refund_status", "cancel_order", "change_address", "product_question",
    "policy_question", "damaged_or_wrong_item", "subscription_change", "claim_or_chargeback", "complaint",
    "review_feedback", "privacy_request", "other",
)
Urgency = Literal["low", "normal", "high", "critical"]
Sentiment = Literal["negative", "neutral", "positive"]
RiskFlag = Literal[
    "legal_threat", "bbb_or_attorney_general", "injury_or_safety", "claim_or_chargeback", "prompt_injection",
    "off_platform_request", "review_manipulation", "other_customer_data", "abusive",
    "asks_for_person", "asks_if_automated",  # about the assistant itself (agent/triage/rules.py, agent/tone.py)
    "asks_for_exception",  # leniency beyond a stated rule: whether to grant it is the seller's call
    "cites_promise",  # says the seller's side promised or told them something earlier: a person checks what was said
]
Route = Literal["auto_send", "review", "handoff"]
Priority = Literal["low", "normal", "high", "urgent"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InboundMessage(_Model):
    """One customer message as the agent receives it (channels normalise into this)."""

    platform: Platform
    customer_identity: str | None = Field(default=None, description="Relay email, im_user_id, PSID...")
    customer_id: str | None = Field(default=None, description="Already resolved customer, when known.")
    text: str = Field(max_length=20000, description="Empty only when the customer sent attachments alone.")
    received_at: datetime
    conversation_id: str | None = None
    platform_message_id: str | None = None
    identity_verified: bool = Field(default=True, description="False: unproven sender (email without DMARC pass).")
    identity_note: str | None = None
    verified_email: str | None = Field(default=None, description="The sender's address an email proved.")
    attachments: list[AttachmentKind] = Field(default_factory=list, description="Kinds of what the customer "
                                              "attached (the engine cannot see them: agent/attachment_turn.py).")

    @model_validator(mode="after")
    def _says_something(self) -> "InboundMessage":
        """A message is text, attachments or both; an attachment-only message is never dropped."""
        if not self.text and not self.attachments:
            raise ValueError("a message needs text or an attachment")
        return self


class Entities(_Model):
    order_ids: list[str] = Field(default_factory=list)
    tracking_numbers: list[str] = Field(default_factory=list)
    skus: list[str] = Field(default_factory=list)
    amounts: list[str] = Field(default_factory=list)
    emails: list[str] = Field(default_factory=list)
    phones: list[str] = Field(default_factory=list)


class Triage(_Model):
    intent: Intent
    confidence: float = Field(ge=0, le=1)
    urgency: Urgency = "normal"
    sentiment: Sentiment = "neutral"
    language: str = "en"
    entities: Entities = Field(default_factory=Entities)
    risk_flags: list[RiskFlag] = Field(default_factory=list)
    source: Literal["rules", "classifier", "llm", "conversation"] = "classifier"
    subscription_action: Literal["skip", "pause", "resume", "cancel"] | None = None


class Passage(_Model):
    id: str
    doc_id: str
    title: str
    platform: str
    topic: str
    score: float
    text: str


class Draft(_Model):
    text: str
    citations: list[str] = Field(default_factory=list, description="Passage ids the reply relies on.")
    facts: list[str] = Field(default_factory=list, description="Values from tool results the reply may state.")
    claims_actions: list[str] = Field(default_factory=list, description="Write tools the reply says were done.")
    engine: Literal["templates", "llm", "human"] = "templates"
    rewritten: bool = Field(default=False, description="Already rewritten once after a failed check.")
    rewording_discarded: list[str] = Field(
        default_factory=list, description="Why the model's wording was dropped for the template (unmapped facts).")
    ungrounded: list[str] = Field(
        default_factory=list, description="Facts of a model-written draft that map to no evidence: a person looks.")


class Violation(_Model):
    rule: str
    message: str
    fixable: bool = True
    evidence: str | None = None


class ComplianceReport(_Model):
    ok: bool
    violations: list[Violation] = Field(default_factory=list)

    @property
    def rules(self) -> list[str]:
        return [v.rule for v in self.violations]


class Decision(_Model):
    route: Route
    reasons: list[str] = Field(default_factory=list)
    deadline: datetime
    priority: Priority = "normal"
    handoff_summary: str | None = None
    urgency: Urgency | None = None  # agent/urgency.py, once the plan ran (the route step sets it)
    urgency_reasons: list[str] = Field(default_factory=list)


class PriorTurn(_Model):
    """What the earlier turn left open, read at the start of a new one (agent/send_gate.py)."""

    intent: str | None
    awaiting: str | None


class OutboundMessage(_Model):
    conversation_id: str
    platform: Platform
    customer_id: str | None
    text: str
    idempotency_key: str
    author: Literal["agent", "human"] = "agent"
    kind: Literal["reply", "acknowledgment"] = Field(
        default="reply", description="An acknowledgment (a person has it) answers the clock but not the customer.")
