"""The graph's state, checkpointed per conversation (thread id = conversation id).

Narrow and JSON-shaped: ids and small dicts, never clients. Per-turn keys are reset by the
identify node at the start of each customer message; the keys under "carried across turns" are
what makes "yes, go ahead" or a late order number continue the earlier request.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages

Awaiting = Literal["order_id", "confirmation", "approval", "address"]


class AgentState(TypedDict, total=False):
    # the conversation
    conversation_id: str
    platform: str
    customer_identity: str | None
    customer_id: str | None
    customer_name: str | None
    messages: Annotated[list[AnyMessage], add_messages]  # customer and sent replies only
    turn: int

    # this turn
    text: str  # empty only when the customer sent attachments alone
    attachments: list[str]  # kinds the customer attached (image, video, audio, file): agent/attachment_turn.py
    received_at: str
    identity_verified: bool  # False: nobody vouches for the sender (email without DMARC pass): no orders, a person
    identity_note: str | None
    verified_email: str | None  # the address an email proved; email writes need it on the order
    triage: dict[str, Any] | None
    passages: list[dict[str, Any]]
    tool_results: list[dict[str, Any]]
    outcome: dict[str, Any] | None
    draft: dict[str, Any] | None
    compliance: dict[str, Any] | None
    rewrites: int
    decision: dict[str, Any] | None
    review: dict[str, Any] | None
    status: str  # draft_ready | needs_approval | handed_off | sent | rejected
    sent_key: str | None
    acknowledgment: str | None  # what the customer was told when this turn went to a person
    engine_notes: list[str]
    asked: list[dict[str, Any]]  # the message's questions and whether a plan answered each (agent/answer_gate.py)
    prior_turn: dict[str, Any] | None  # the earlier turn's topic and what it awaited, if anything (agent/send_gate.py)

    # carried across turns
    active_intent: str | None
    active_order_id: str | None
    pending_action: dict[str, Any] | None
    awaiting: Awaiting | None
    approved_action: dict[str, Any] | None
    acknowledged: bool  # a handoff acknowledgment went out and no reply has followed it yet
    held_flags: list[str]  # handoff-level risk flags of earlier messages, until a person clears them
    held_turn: dict[str, Any] | None  # the earlier turn still awaiting review when this message came (agent/held_turn.py)
