"""The intent table: what each intent means to every part of the agent, written once.

Before this table the same knowledge sat in ten places (which intents need the customer, which retrieve
passages, which may auto-send by default, which order states a request can apply to, which have Spanish
replies, which always go to a person), and a new intent meant finding them all. Every part now reads
`INTENT_TABLE`; `tests/agent/test_intent_table.py` checks that it covers every intent and that every plan
named here exists. The labelled examples the classifier learns from are keyed by the same names
(`agent/data/intent_examples*.yaml`, validated against `agent.schemas.INTENTS` when loaded).
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.schemas import Intent

# Order states, as the tools report them, grouped by what a request can apply to.
UNSHIPPED = frozenset({"pending", "unshipped"})
UNDELIVERED = frozenset({"pending", "unshipped", "shipped", "in_transit"})
DELIVERED = frozenset({"delivered"})
SETTLED = frozenset({"returned", "cancelled"})  # what a refund follows: a return, or a cancellation


@dataclass(frozen=True)
class IntentSpec:
    """One intent. `plan` names the plan function in agent/plans.py (None: the intent always goes to a person,
    for `handoff_reason`)."""

    name: Intent
    label: str  # a person's words for it: console, handoff reasons, review reasons
    plan: str | None
    handoff_reason: str | None = None
    needs_customer: bool = False  # the answer reads the customer's own orders: no customer, no answer
    order_states: frozenset[str] | None = None  # states of an order the request can apply to (the resolver)
    time_sensitive: bool = False  # about an order in motion: a recent order is the likely one
    retrieval: bool = True  # knowledge passages can help the answer
    read_only: bool = False  # answering changes nothing: several may share one reply
    is_request: bool = True  # False: tone, thanks or venting, no answer owed to a piece of a message
    states_order: bool = False  # the answer states the order's state (a second piece about it adds nothing)
    auto_send_default: bool = False  # may auto-send on a newly configured channel (the seller changes it)
    spanish: bool = False  # every template of its plan has a Spanish twin (agent/templates_es.py)
    tone: str | None = None  # agent/tone.py situation for the empathy opener


INTENT_TABLE: dict[Intent, IntentSpec] = {s.name: s for s in (
    IntentSpec("order_status", "order status", "plan_order_status", needs_customer=True, order_states=UNDELIVERED,
               time_sensitive=True, read_only=True, states_order=True, auto_send_default=True, spanish=True,
               tone="late"),
    IntentSpec("return_request", "return request", "plan_return", needs_customer=True, order_states=DELIVERED,
               auto_send_default=True, spanish=True, tone="return"),
    IntentSpec("refund_status", "refund status", "plan_refund_status", needs_customer=True, order_states=SETTLED,
               time_sensitive=True, read_only=True, states_order=True, auto_send_default=True, spanish=True,
               tone="money"),
    IntentSpec("cancel_order", "cancellation", "plan_cancel", needs_customer=True, order_states=UNSHIPPED,
               time_sensitive=True, retrieval=False, auto_send_default=True, spanish=True),
    IntentSpec("change_address", "address change", "plan_change_address", needs_customer=True,
               order_states=UNSHIPPED, time_sensitive=True, retrieval=False, auto_send_default=True),
    IntentSpec("product_question", "product question", "plan_product", read_only=True, auto_send_default=True),
    IntentSpec("policy_question", "policy question", "plan_policy", read_only=True, auto_send_default=True),
    IntentSpec("damaged_or_wrong_item", "damaged or wrong item", "plan_damaged", needs_customer=True,
               order_states=DELIVERED, spanish=True, tone="arrived_wrong"),
    IntentSpec("subscription_change", "subscription change", "plan_subscription", needs_customer=True,
               retrieval=False, auto_send_default=True),
    IntentSpec("claim_or_chargeback", "claim or chargeback", None, "A-to-z claim, chargeback or dispute",
               retrieval=False),
    IntentSpec("complaint", "complaint", None, "complaint", retrieval=False, is_request=False),
    IntentSpec("review_feedback", "review or feedback", "plan_review_feedback", order_states=DELIVERED,
               is_request=False),
    IntentSpec("privacy_request", "privacy request", None, "privacy request about personal data"),
    IntentSpec("other", "other", None, "not a request the assistant can answer", is_request=False),
)}


def spec(intent: str) -> IntentSpec | None:
    """The intent's row, or None for a name outside the table (an LLM's invention, an old stored value)."""
    return INTENT_TABLE.get(intent)  # type: ignore[call-overload]


def intents_where(**flags: bool) -> frozenset[str]:
    """The names of the intents whose spec has every given flag at the given value."""
    return frozenset(s.name for s in INTENT_TABLE.values() if all(getattr(s, k) == v for k, v in flags.items()))


def handoff_intents() -> dict[str, str]:
    """Intents that always go to a person, with the reason the route records."""
    return {s.name: s.handoff_reason for s in INTENT_TABLE.values() if s.handoff_reason}

