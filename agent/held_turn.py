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

Pure functions of the state; the review node and the runtime call them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agent.routing import PRIORITY
from agent.urgency import rank

FOLDED_REASON = "the customer wrote again before the earlier reply went out: this reply answers both messages"


def awaits_approval(pending: dict[str, Any] | None) -> bool:
    return bool(pending and pending.get("needs_approval"))


def write_turn(values: dict[str, Any]) -> dict[str, Any]:
    """What approving the pending write needs of the turn that proposed it (act re-runs that turn's plan)."""
    return {"pending": values.get("pending_action"), "triage": values.get("triage"), "text": values.get("text", ""),
            "passages": values.get("passages", []), "active_order_id": values.get("active_order_id"),
            "turn": values.get("turn")}


def held_from(values: dict[str, Any]) -> dict[str, Any]:
    """The paused turn of a thread waiting at review, to carry into the next customer message. A turn that
    had itself folded an earlier one keeps that write's own turn (a third message keeps the first's refund)."""
    earlier = values.get("held_turn") or {}
    pending = values.get("pending_action")
    write = None
    if awaits_approval(pending):
        kept = earlier.get("write") if earlier.get("merged") else None
        write = kept if kept and kept.get("pending") == pending else write_turn(values)
    decision = values.get("decision") or {}
    return {"turn": values.get("turn"), "text": values.get("text", ""), "draft": values.get("draft"),
            "pending_action": pending, "write": write, "decision": decision,
            "tool_results": values.get("tool_results", []), "passages": values.get("passages", []),
            "intent": earlier.get("intent") if earlier.get("merged") else (values.get("triage") or {}).get("intent"),
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


def combine_drafts(first: dict[str, Any] | None, second: dict[str, Any] | None) -> dict[str, Any] | None:
    """The folded draft: texts combined, the evidence lists of both, the engine a person must know about
    (a model's words or a person's in either part)."""
    if not first or not second:
        return first or second
    engines = {first.get("engine"), second.get("engine")}
    engine = "human" if "human" in engines else "llm" if "llm" in engines else "templates"

    def both(key: str) -> list[Any]:
        return list(dict.fromkeys([*(first.get(key) or []), *(second.get(key) or [])]))

    return {**second, "text": combine_texts(first.get("text"), second.get("text")), "engine": engine,
            "rewritten": False, "citations": both("citations"), "facts": both("facts"),
            "claims_actions": both("claims_actions"), "rewording_discarded": both("rewording_discarded"),
            "ungrounded": both("ungrounded")}


def _earliest(*values: Any) -> Any:
    known = [v for v in values if v]
    return min(known, key=lambda v: v if isinstance(v, datetime) else datetime.fromisoformat(str(v)), default=None)


def merge_decisions(earlier: dict[str, Any], new: dict[str, Any], drop_reasons: set[str]) -> dict[str, Any]:
    """The folded turn's decision: the more urgent urgency and priority, the earlier deadline, both messages'
    reasons (less `drop_reasons`: ones only the fold itself caused)."""
    urgent = earlier if rank(earlier.get("urgency")) > rank(new.get("urgency")) else new
    other = new if urgent is earlier else earlier
    order = list(PRIORITY.values())
    priorities = [p for p in (earlier.get("priority"), new.get("priority")) if p in order]
    reasons = [r for r in dict.fromkeys([*earlier.get("reasons", []), *new.get("reasons", [])]) if r not in drop_reasons]
    return {**new, "route": "review", "urgency": urgent.get("urgency"),
            "urgency_reasons": list(dict.fromkeys([*urgent.get("urgency_reasons", []),
                                                   *other.get("urgency_reasons", [])])),
            "deadline": _earliest(earlier.get("deadline"), new.get("deadline")),
            "priority": min(priorities, key=order.index) if priorities else new.get("priority"),
            "reasons": [*reasons, FOLDED_REASON]}


def dropped_write(held: dict[str, Any] | None, final: dict[str, Any], executed: bool) -> dict[str, Any] | None:
    """A write that waited for approval before the new message and no longer does, with why (None: it still
    waits, or it ran). The runtime puts it on the trace; the conversation store audits it."""
    pending = (held or {}).get("pending_action")
    if not awaits_approval(pending) or final.get("pending_action") == pending or executed:
        return None
    if final.get("pending_action"):
        why = "replaced by the write proposed for the new message"
    elif final.get("status") == "handed_off":
        why = "the new message went to a person, who decides it"
    else:
        why = "not proposed again for the new message"
    return {"write": pending, "why": why}
