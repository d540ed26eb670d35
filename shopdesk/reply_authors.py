"""Who answered: the person behind each reply on a conversation's thread, from the audit log.

The thread only knows whether the agent or a person wrote the text (an approved draft is still the agent's
text). What a person did is in the audit log: the console records, with every review action and own reply,
the outbox records it queued (`outbox_ids`). A sent reply is matched to its outbox record (by the platform's
message id, else by its text), and the record to the action that queued it. The agent's own sends, with no
person's action behind them, are "shopdesk agent".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel

from runtime.conversations import AuditRow
from runtime.outbox import OutboxRecord

AGENT = "shopdesk agent"
UNKNOWN_PERSON = "a person"
"""A person's reply the audit log does not name (sent before replies were attributed)."""

HOW: dict[str, str] = {
    "approved": "approved the agent's draft",
    "edited": "edited the draft",
    "wrote_reply": "wrote this reply",
    "approved_action": "approved the pending write",
}
"""The audit actions that queue a reply, and what the thread says the person did."""


class ReplyAuthor(BaseModel):
    by: str
    how: str | None = None


def _cli_operator(detail: dict[str, Any]) -> str:
    """`shopdesk review` records the terminal's user (shopdesk/review_audit.py): "pat (CLI)", else "CLI"."""
    user = str(detail.get("os_user") or "").strip()[:40]
    return f"{user} (CLI)" if user else "CLI"


def authors_by_outbox_id(audit: Iterable[AuditRow]) -> dict[int, ReplyAuthor]:
    """Outbox record id -> the person whose action queued it (the latest action wins: a kept-pending edit and
    the later approval each queue their own record)."""
    found: dict[int, ReplyAuthor] = {}
    for row in sorted(audit, key=lambda r: r.id):
        if row.action not in HOW or not (row.actor.startswith("human:") or row.actor == "cli"):
            continue
        by = row.actor.removeprefix("human:") if row.actor != "cli" else _cli_operator(row.detail)
        for outbox_id in row.detail.get("outbox_ids") or []:
            if isinstance(outbox_id, int):
                found[outbox_id] = ReplyAuthor(by=by, how=HOW[row.action])
    return found


def author_of(record: OutboxRecord, people: dict[int, ReplyAuthor]) -> ReplyAuthor:
    if record.id in people:
        return people[record.id]
    if record.message.author == "agent":
        return ReplyAuthor(by=AGENT, how="acknowledgment" if record.message.kind == "acknowledgment" else None)
    return ReplyAuthor(by=UNKNOWN_PERSON)


def attribute(thread: Sequence[dict[str, Any]], records: Sequence[OutboxRecord],
              audit: Iterable[AuditRow]) -> list[dict[str, Any]]:
    """`thread` (one conversation's messages as dicts) with `by`/`how` on every reply sent; incoming messages
    are returned as they are."""
    people = authors_by_outbox_id(audit)
    by_platform_id = {r.platform_message_id: r for r in records if r.platform_message_id}
    unused = [r for r in records if r.status == "sent"]
    out = []
    for message in thread:
        if message.get("direction") != "out":
            out.append(dict(message))
            continue
        record = by_platform_id.get(message.get("platform_message_id") or "") or next(
            (r for r in unused if r.message.text == message.get("text")), None)
        if record is not None and record in unused:
            unused.remove(record)
        if record is not None:
            who = author_of(record, people)
        else:
            who = ReplyAuthor(by=AGENT if message.get("author") == "agent" else UNKNOWN_PERSON)
        out.append({**message, "by": who.by, "how": who.how})
    return out
