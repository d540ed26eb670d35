"""Bulk approve: a person approves several routine drafts in one action, each through the single approve path.

Routine means nothing in the draft needs a person's judgement beyond a glance: the conversation waits for a
review with a draft, the draft passed compliance, nothing is flagged (the message's flags nor the ones the
conversation keeps), no refund, return, cancellation or other write waits (for approval or for the customer),
and the agent held it only because of the seller's own switches (autopilot off, an intent not set to
auto-send, outside business hours): with those on, the agent would have sent it alone. Anything else is
skipped with its reason and stays for the person to open.

Each approval is `ConsoleService.approve`, exactly what the single button runs: the same role check, the same
resume of the review interrupt (one reply queued under the turn's idempotency key, so an approval raced by
another person gets "not waiting for a review", never a second send) and the same per-conversation audit entry.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from agent.state import plain_state
from shopdesk.console_service import ConsoleError, ConsoleService, User

BULK_MAX = 50
KEY_MAX = 300

SWITCH_REASONS: tuple[re.Pattern[str], ...] = (
    re.compile(r"autopilot is off for [\w .&-]{1,40}"),
    re.compile(r"intent [a-z_]{1,40} is not set to auto-send"),
    re.compile(r"outside business hours"),
)
"""The review reasons agent/routing.py gives for the seller's switches alone (matched whole; a test runs the
router to keep these in step with its wording)."""


class Skipped(BaseModel):
    key: str
    reason: str


class BulkResult(BaseModel):
    approved: list[str] = Field(default_factory=list)
    skipped: list[Skipped] = Field(default_factory=list)


def routine_problem(console: ConsoleService, key: str) -> str | None:
    """Why this conversation's draft may not be bulk-approved, or None when it is routine."""
    row = console.service.conversations.get(key)
    if row is None:
        return "no such conversation"
    state = console.service.runtime.graph.get_state({"configurable": {"thread_id": key}})  # type: ignore[arg-type]
    values = plain_state(state.values or {})  # the agent's models as JSON, as the console reads them
    if not state.interrupts:
        return "not waiting for a review"
    if not (values.get("draft") or {}).get("text"):
        return "no draft to approve"
    pending = values.get("pending_action")
    if pending:
        what = str(pending.get("summary") or pending.get("tool") or "a write").replace("_", " ")
        return f"a pending write waits ({what}): open it and decide"
    flags = list(dict.fromkeys([*row.risk_flags, *((values.get("triage") or {}).get("risk_flags") or [])]))
    if flags:
        return "risk flags: " + ", ".join(f.replace("_", " ") for f in flags)
    compliance = values.get("compliance") or {}
    if not compliance.get("ok"):
        rules = ", ".join(v.get("rule", "") for v in compliance.get("violations", [])) or "not checked"
        return f"compliance did not pass ({rules})"
    held = [r for r in (values.get("decision") or {}).get("reasons") or []
            if not any(p.fullmatch(r) for p in SWITCH_REASONS)]
    if held:
        return "held for a person's judgement: " + "; ".join(held)
    return None


def _keys(keys: Any) -> list[str]:
    if not isinstance(keys, (list, tuple)) or not keys:
        raise ConsoleError("select the conversations to approve first")
    chosen = list(dict.fromkeys(k for k in keys if isinstance(k, str) and 0 < len(k) <= KEY_MAX))
    if len(chosen) != len(set(map(str, keys))):
        raise ConsoleError("a selected conversation is not one the inbox listed: refresh and select again")
    if len(chosen) > BULK_MAX:
        raise ConsoleError(f"at most {BULK_MAX} conversations at once")
    return chosen


def bulk_approve(console: ConsoleService, keys: Any, user: User) -> BulkResult:
    """Approve every routine draft among `keys` (in the order given); the others are skipped with the reason."""
    result = BulkResult()
    for key in _keys(keys):
        problem = routine_problem(console, key)
        if problem:
            result.skipped.append(Skipped(key=key, reason=problem))
            continue
        try:
            view = console.approve(key, user)
        except ConsoleError as exc:
            result.skipped.append(Skipped(key=key, reason=str(exc)))
            continue
        if view.row.status in ("queued", "sent"):
            result.approved.append(key)
        else:
            result.skipped.append(Skipped(key=key, reason=f"approved, but now {view.row.status}: "
                                                          + "; ".join(view.reasons)))
    console.service.conversations.audit(None, f"human:{user.name}", "bulk_approved", console.service.clock.now(),
                                        approved=result.approved,
                                        skipped=[s.model_dump() for s in result.skipped])
    return result
