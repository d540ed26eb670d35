"""Two holds of the auto-send gate that the answer check alone does not see (issue 11).

Read from the auto-sent replies of the development sets that were wrong (evals/blind/dev, dev2, evals/sets):

- A reply that only asks which order the customer means records no questions (no plan ran), so the answer
  check never looks at the rest of the message: "Can I return it? Who pays shipping?" went out as "which
  order?" alone. `clarifying_questions` gives the gate those questions, each checked only for what it asks
  beyond the request's own topic (the order is what the reply asks for; "who pays shipping" is more).
- A message that comes while the agent waits for the customer's answer (a yes, an order number, an
  address) but that the classifier reads as a new topic is often that answer in other words ("Fine, then
  cancel it", "no, don't cancel it, I'll keep it"): read alone, it starts over on the wrong request.
  `topic_change` names it for the reviewer.

Neither has a threshold: the classifier's confidence, its margin to the second intent and the distance to
the nearest labelled example were measured too, and no cut-off chosen on two of the sets held more wrong
replies than right ones on the third (evals: a wrong auto-send there is mostly a reply read right but
incomplete). Pure functions, so each rule is tested on built inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agent.answer_gate import Asked, questions
from agent.plans import PlanOutcome
from agent.schemas import PriorTurn

CLARIFYING = "order_id"  # the reply's own question: which order (outcome.awaiting)
WAITING = frozenset({"confirmation", "order_id", "address"})  # what an earlier reply can wait for


def clarifying_questions(text: str, intent: str, confidence: float, outcome: PlanOutcome | None,
                         asked: list[dict[str, Any]] | None) -> list[Asked]:
    """The message's questions when the reply only asks which order (no plan recorded them), each on the
    request's topic (`plan_intent`), so the gate checks only what it asks beyond that topic; else none."""
    if asked or not outcome or outcome.awaiting != CLARIFYING:
        return []
    return [Asked(q, intent, confidence, answered_by_plan=True, plan_intent=intent) for q in questions(text)]


def topic_change(prior: PriorTurn | None, intent: str, source: str) -> str | None:
    """Why a person reads the reply when the agent waited for the customer's answer (`prior`: the earlier
    turn's intent and what it awaited) and the classifier read this message as another topic; else None.
    A message the conversation already explains (source "conversation": a yes, the order number asked for)
    is that answer, and a fresh topic after a finished exchange is not held."""
    if not prior or source not in ("classifier", "llm"):
        return None
    before, waited = prior.intent, prior.awaiting
    if not before or waited not in WAITING or before == intent:
        return None
    return (f"the agent waited for the customer's {_WAITED[waited]} on {_name(before)}, and this message reads as "
            f"{_name(intent)}: it may be that answer in other words")


_WAITED = {"confirmation": "yes or no", "order_id": "order number", "address": "address"}


def _name(intent: str) -> str:
    return intent.replace("_", " ")


def prior_turn(state: Mapping[str, Any]) -> PriorTurn | None:
    """What the earlier turn left open, read at the start of a new one (agent/nodes/identify.py): the topic
    and what the agent waited for. None when it waited for nothing."""
    if not state.get("awaiting"):
        return None
    return PriorTurn(intent=state.get("active_intent"), awaiting=state.get("awaiting"))
