"""The graph's state, checkpointed per conversation (thread id = conversation id).

Narrow: ids, the typed hops of agent/schemas.py and small JSON dicts, never clients. Per-turn keys are
reset by the identify node at the start of each customer message; the keys under "carried across turns"
are what makes "yes, go ahead" or a late order number continue the earlier request.

A checkpoint written before these fields were models holds plain dicts in them: `typed_state` turns them
into the models (the graph applies it before every node, agent/graph.py), and `plain_state` gives readers
outside the graph (the console, the audit) the JSON they show.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypedDict, TypeVar

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages
from pydantic import BaseModel

from agent.plans import PlanOutcome
from agent.schemas import ComplianceReport, Decision, Draft, Intent, PriorTurn, Triage
from tools.platform_profiles import Platform
from tools.results import PendingAction

Awaiting = Literal["order_id", "confirmation", "approval", "address"]
Status = Literal["new", "draft_ready", "needs_approval", "handed_off", "sent", "rejected"]


class AgentState(TypedDict, total=False):
    # the conversation
    conversation_id: str
    platform: Platform
    customer_identity: str | None
    customer_id: str | None
    customer_name: str | None
    messages: Annotated[list[AnyMessage], add_messages]  # customer and sent replies only
    turn: int

    # this turn
    text: str  # empty only when the customer sent attachments alone
    reading: str | None  # what the agent answers: the text without instructions to the assistant (triage sets it)
    attachments: list[str]  # kinds the customer attached (image, video, audio, file): agent/attachment_turn.py
    received_at: str
    identity_verified: bool  # False: nobody vouches for the sender (email without DMARC pass): no orders, a person
    identity_note: str | None
    verified_email: str | None  # the address an email proved; email writes need it on the order
    triage: Triage | None
    passages: list[dict[str, Any]]
    tool_results: list[dict[str, Any]]
    outcome: PlanOutcome | None
    draft: Draft | None
    compliance: ComplianceReport | None
    rewrites: int
    decision: Decision | None
    review: dict[str, Any] | None  # the console's resume answer as it came (agent/nodes/review.py checks it)
    status: Status
    sent_key: str | None
    acknowledgment: str | None  # what the customer was told when this turn went to a person
    engine_notes: list[str]
    asked: list[dict[str, Any]]  # the message's questions and whether a plan answered each (agent/answer_gate.py)
    prior_turn: PriorTurn | None  # the earlier turn's topic and what it awaited, if anything (agent/send_gate.py)

    # carried across turns
    active_intent: Intent | None
    active_order_id: str | None
    pending_action: PendingAction | None
    awaiting: Awaiting | None
    approved_action: PendingAction | None
    acknowledged: bool  # a handoff acknowledgment went out and no reply has followed it yet
    held_turn: dict[str, Any] | None  # the earlier turn still awaiting review, JSON (agent/held_turn.py)
    held_flags: list[str]  # handoff-level risk flags of earlier messages, until a person clears them


MODELS: dict[str, type[BaseModel]] = {
    "triage": Triage, "outcome": PlanOutcome, "draft": Draft, "compliance": ComplianceReport, "decision": Decision,
    "prior_turn": PriorTurn, "pending_action": PendingAction, "approved_action": PendingAction,
}
"""The state's typed fields and their models (also the checkpoint serializer's allow-list: agent/checkpoint.py)."""

M = TypeVar("M", bound=BaseModel)


def as_model(value: M | Mapping[str, Any] | None, model: type[M]) -> M | None:
    """`value` as `model`: a dict (from a checkpoint written before the field was typed, or a held turn's JSON)
    is validated into one; None and an empty dict stay None."""
    if value is None or isinstance(value, model):
        return value
    return model.model_validate(value) if value else None


def settled(value: M) -> M:
    """The model as the state held it when it was JSON: its free-form dicts (a plan's slots, a write's args)
    carry JSON values (a date as its ISO string, an amount as a string), which the templates and the equality
    of a proposed and an approved write rely on."""
    return type(value).model_validate(value.model_dump(mode="json"))


def typed_state(values: Mapping[str, Any]) -> AgentState:
    """The state with every typed field a model, whichever code wrote the checkpoint."""
    state = dict(values)
    for key, model in MODELS.items():
        if isinstance(state.get(key), Mapping):
            state[key] = as_model(state[key], model)
    return state  # type: ignore[return-value]  # the keys are AgentState's own; mypy cannot follow the dict


def dump(value: BaseModel | Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A typed field as JSON (None stays None): what the console shows and the audit stores."""
    if value is None:
        return None
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else dict(value)


def customer_words(state: Mapping[str, Any]) -> str:
    """What the agent reads and answers this turn: the message without the instructions to the assistant it
    holds (agent/triage/injection.py), set by triage; the whole text before triage has run. Empty when the
    message was nothing but such a note."""
    reading = state.get("reading")
    return str(state.get("text") or "") if reading is None else reading


def plain_state(values: Mapping[str, Any]) -> dict[str, Any]:
    """The state with its typed fields as JSON dicts, for readers outside the graph (the console, the audit)."""
    state = dict(values)
    for key in MODELS:
        if key in state:
            state[key] = dump(state[key])
    return state
