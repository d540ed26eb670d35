"""A customer who writes again while the earlier reply still waits for a person's review.

The earlier turn was never answered: its draft, and a write it proposed for a person's approval (a refund
above the threshold), must not vanish because a new message started a new turn. The runtime carries the
paused turn into the new one (`held_turn` in the state); the review node folds it in before it waits again:

- one reply answers both messages: the earlier draft's content, then the answer to the new message, under
  one greeting and one sign-off (paragraphs the two drafts share at the start and the end);
- the write keeps waiting for approval, with the turn it belongs to (`write`), so approving it runs the plan
  of the message that asked for it, not of the newest message; a write the new message replaces is said so;
- the decision keeps the most urgent urgency, the earliest deadline (the oldest unanswered message's clock)
  and the reasons of both messages.

The held turn itself is JSON (the drafts, decision and write as the console would show them): it is a copy
of an earlier turn, read back with `as_model` where a model is needed.

Pure functions of the state; the review node and the runtime call them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agent.routing import PRIORITY
from agent.schemas import Decision, Draft
from agent.state import AgentState, as_model, dump
from agent.urgency import rank
from tools.results import PendingAction

FOLDED_REASON = "the customer wrote again before the earlier reply went out: this reply answers both messages"


def awaits_approval(pending: PendingAction | None) -> bool:
    return bool(pending and pending.needs_approval)


def write_turn(values: AgentState) -> dict[str, Any]:
    """What approving the pending write needs of the turn that proposed it (act re-runs that turn's plan)."""
    return {"pending": dump(values.get("pending_action")), "triage": dump(values.get("triage")),
            "text": values.get("text", ""),
            "passages": values.get("passages", []), "active_order_id": values.get("active_order_id"),
            "turn": values.get("turn")}


def held_from(values: AgentState) -> dict[str, Any]:
    """The paused turn of a thread waiting at review, to carry into the next customer message. A turn that
    had itself folded an earlier one keeps that write's own turn (a third message keeps the first's refund)."""
    earlier = values.get("held_turn") or {}
    pending = values.get("pending_action")
    write = None
    if awaits_approval(pending):
        kept = earlier.get("write") if earlier.get("merged") else None
        write = kept if kept and as_model(kept.get("pending"), PendingAction) == pending else write_turn(values)
    triage = values.get("triage")
    return {"turn": values.get("turn"), "text": values.get("text", ""), "draft": dump(values.get("draft")),
            "pending_action": dump(pending), "write": write, "decision": dump(values.get("decision")) or {},
            "tool_results": values.get("tool_results", []), "passages": values.get("passages", []),
            "intent": earlier.get("intent") if earlier.get("merged") else (triage.intent if triage else None),
            "merged": False}


def combine_texts(first: str | None, second: str | None) -> str | None:
    """One reply from two drafts: the paragraphs both open with (the greeting) and close with (the sign-off)
    once, the earlier draft's own paragraphs, then the new one's. A second draft saying nothing new adds nothing."""
    if not first or not second:
        return first or second
    a, b = first.strip().split("\n\n"), second.strip().split("\n\n")
    head = 0
    while head < min(len(a), len(b)) - 1 and a[head].strip() == b[head].strip():
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head - 1 and a[-1 - tail].strip() == b[-1 - tail].strip():
        tail += 1
    a_mid, b_mid = a[head:len(a) - tail], b[head:len(b) - tail]
    extra = [p for p in b_mid if p.strip() not in {q.strip() for q in a_mid}]
    return "\n\n".join([*a[:head], *a_mid, *extra, *a[len(a) - tail:]])


def combine_drafts(first: Draft | None, second: Draft | None) -> Draft | None:
    """The folded draft: texts combined, the evidence lists of both, the engine a person must know about
    (a model's words or a person's in either part)."""
    if not first or not second:
        return first or second
    engines = {first.engine, second.engine}
    engine = "human" if "human" in engines else "llm" if "llm" in engines else "templates"

    def both(key: str) -> list[str]:
        return list(dict.fromkeys([*getattr(first, key), *getattr(second, key)]))

    return second.model_copy(update={
        "text": combine_texts(first.text, second.text), "engine": engine, "rewritten": False,
        "citations": both("citations"), "facts": both("facts"), "claims_actions": both("claims_actions"),
        "rewording_discarded": both("rewording_discarded"), "ungrounded": both("ungrounded")})


def merge_decisions(earlier: Decision | None, new: Decision, drop_reasons: set[str]) -> Decision:
    """The folded turn's decision: the more urgent urgency and priority, the earlier deadline, both messages'
    reasons (less `drop_reasons`: ones only the fold itself caused)."""
    earlier = earlier or new  # no earlier decision: the new one's, merged with itself
    urgent = earlier if rank(earlier.urgency) > rank(new.urgency) else new
    other = new if urgent is earlier else earlier
    order = list(PRIORITY.values())
    priorities = [p for p in (earlier.priority, new.priority) if p in order]
    reasons = [r for r in dict.fromkeys([*earlier.reasons, *new.reasons]) if r not in drop_reasons]
    return new.model_copy(update={
        "route": "review", "urgency": urgent.urgency,
        "urgency_reasons": list(dict.fromkeys([*urgent.urgency_reasons, *other.urgency_reasons])),
        "deadline": min(earlier.deadline, new.deadline),
        "priority": min(priorities, key=order.index) if priorities else new.priority,
        "reasons": [*reasons, FOLDED_REASON]})


def dropped_write(held: Mapping[str, Any] | None, final: AgentState, executed: bool) -> dict[str, Any] | None:
    """A write that waited for approval before the new message and no longer does, with why (None: it still
    waits, or it ran). The runtime puts it on the trace; the conversation store audits it."""
    pending = as_model((held or {}).get("pending_action"), PendingAction)
    if not awaits_approval(pending) or final.get("pending_action") == pending or executed:
        return None
    if final.get("pending_action"):
        why = "replaced by the write proposed for the new message"
    elif final.get("status") == "handed_off":
        why = "the new message went to a person, who decides it"
    else:
        why = "not proposed again for the new message"
    return {"write": dump(pending), "why": why}
