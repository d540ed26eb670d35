"""`shopdesk review` leaves the trail the console's review buttons leave (shopdesk/console_service.py `_resume`).

A decision taken at a terminal is still a person's decision: on a conversation the service received, the run's
result is recorded on it (its status in the console's inbox follows) and the audit log gets the console's
entries, with the actor "cli" (an operator at a terminal, as `shopdesk reply --send` records; metrics count it
as a person) and the OS user who ran it in the entry:

- the action ("approved", "edited", "rejected", "took_over", "denied_action"; approving a draft whose write
  waits for a person's approval is "approved_action", the console's "Approve refund/return"), with the route,
  status, reason, compliance verdict and the outbox records it queued (the replies it sent);
- an edit while a write waits for approval: the choice (`pending_choice`: approve, deny, keep) and the write,
  plus "approved_action" / "denied_action" when the edit decided the write;
- an edit the review node refused: "refused" with the reason, nothing else.

A try's thread ("cli:...") is no conversation the service received: nothing is recorded for it.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel, Field

from agent.nodes.review import REFUSED, awaits_approval
from agent.runtime import AgentRuntime, ReplyTrace
from runtime.conversations import ConversationStore
from runtime.worker import status_after
from shopdesk.settings import Settings

CLI_ACTOR = "cli"
ACTIONS: dict[str, str] = {"approve": "approved", "edit": "edited", "reject": "rejected", "take_over": "took_over",
                           "deny_action": "denied_action"}
"""`shopdesk review --action` -> the audit action the console writes for the same decision."""


class ReviewStart(BaseModel):
    """What the conversation looked like before the decision: enough to tell what the decision queued and did."""

    thread: str
    action: str = Field(description="The audit action (ACTIONS, or approved_action).")
    pending_action: dict[str, Any] | None = None
    notes_before: int = 0
    queued_before: list[int] = Field(default_factory=list)


def operator() -> str:
    """The OS user at the terminal (best effort: a container may have no name for its uid)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def audit_action(chosen: str, pending: dict[str, Any] | None) -> str:
    if chosen == "approve" and awaits_approval(pending):
        return "approved_action"  # the console's "Approve refund/return": the write runs, then the reply goes
    return ACTIONS[chosen]


def start(runtime: AgentRuntime, thread: str, chosen: str, before: ReplyTrace) -> ReviewStart:
    queued = [r.id for r in runtime.context.outbox.for_conversation(thread)]
    return ReviewStart(thread=thread, action=audit_action(chosen, before.pending_action),
                       pending_action=before.pending_action, notes_before=len(before.engine_notes),
                       queued_before=queued)


def refusal(started: ReviewStart, trace: ReplyTrace) -> str | None:
    """Why the review node refused the edit (nothing happened), or None."""
    refused = [n for n in trace.engine_notes[started.notes_before:] if n.startswith(REFUSED)]
    return refused[-1].removeprefix(REFUSED) if refused else None


def record(settings: Settings, runtime: AgentRuntime, started: ReviewStart, answer: dict[str, Any],
           trace: ReplyTrace) -> bool:
    """Record the decision on the conversation (status, trace, audit) as the console does; False when `thread`
    is no conversation the service received (a try), so nothing was recorded."""
    with _conversations(settings) as conversations:
        key = started.thread
        if conversations.get(key) is None:
            return False
        now = runtime.context.clock.now()
        who = {"os_user": operator()}
        if (why := refusal(started, trace)) is not None:
            conversations.audit(key, CLI_ACTOR, "refused", now, reason=f"{started.action}: {why}", **who)
            return True
        queued = [r.id for r in runtime.context.outbox.for_conversation(key) if r.id not in started.queued_before]
        status = status_after(trace)
        conversations.record_result(key, trace.model_dump(mode="json"), status, now)
        detail: dict[str, Any] = {"outbox_ids": queued, **who}
        choice = answer.get("pending")
        if started.action == "edited" and awaits_approval(started.pending_action):
            detail.update(pending_choice=choice, pending_write=started.pending_action)
        conversations.audit(key, CLI_ACTOR, started.action, now, route=trace.route, status=trace.status,
                            reason=answer.get("reason"), compliance_ok=(trace.compliance or {}).get("ok"), **detail)
        if "pending_write" in detail and choice in ("approve", "deny") and trace.pending_action is None:
            conversations.audit(key, CLI_ACTOR, "approved_action" if choice == "approve" else "denied_action", now,
                                reason="decided with an edited reply", status=status,
                                pending_write=started.pending_action, **who)
        return True


@contextmanager
def _conversations(settings: Settings) -> Iterator[ConversationStore]:
    store = ConversationStore(settings.ensure_data_dir() / "app.db")
    try:
        yield store
    finally:
        store.close()
