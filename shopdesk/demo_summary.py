"""The end-of-run summary of `shopdesk run` / `serve --simulate`: this run's traffic, counted honestly.

Why: the summary used to put this run's messages beside every conversation the data dir ever held, so a restarted
demo could not tell what it had just done. Here each figure says whose it is: the messages this run sent and
shopdesk took in (inbox items newer than the run's start), what became of them (processed, or left queued for the
next start: nothing is dropped), the replies the simulators received during this run, the status of the
conversations this run wrote in, and how many earlier conversations stay as history.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from pydantic import BaseModel

from runtime.conversations import ConversationStore
from runtime.inbox import Inbox
from runtime.outbox import Outbox


class Mark(BaseModel):
    """Where the app database stood when this run's traffic began."""

    last_inbox_id: int
    conversations: frozenset[str]

    @classmethod
    def now(cls, inbox: Inbox, conversations: ConversationStore) -> Mark:
        last = inbox.items(limit=1)
        return cls(last_inbox_id=last[0].id if last else 0,
                   conversations=frozenset(row.key for row in conversations.list(limit=1_000_000)))


class RunSummary(BaseModel):
    sent: int
    taken_in: int
    processed: int
    waiting: int
    failed: int
    replies: int
    replies_waiting: int
    """Replies queued in the outbox when the dispatcher stopped (any run's): they go out at the next start."""
    statuses: dict[str, int]
    continued: int
    """Conversations of this run that earlier runs had opened (a customer writing again)."""
    earlier: int

    def lines(self) -> list[str]:
        left = f", {self.waiting} left queued for the next start" if self.waiting else ""
        failed = f", {self.failed} failed (see `shopdesk inbox list`)" if self.failed else ""
        queued = f" ({self.replies_waiting} more wait in the outbox and go out at the next start)" \
            if self.replies_waiting else ""
        written = sum(self.statuses.values())
        lines = [f"This run: {_n(self.sent, 'customer message')} sent, {self.taken_in} taken in by shopdesk "
                 f"({self.processed} processed{left}{failed}); replies received by the simulators: "
                 f"{self.replies}{queued}.",
                 f"Conversations written in this run: {written}, by status {dict(sorted(self.statuses.items()))}"
                 + (f" ({self.continued} of them continue earlier ones)" if self.continued else "")
                 + f"; {self.earlier} from earlier runs stay in the console as history."]
        if self.statuses.get("draft_ready") or self.statuses.get("needs_approval"):
            lines.append("Drafts wait for a person: approve them in the console to send them (a channel without "
                         "autopilot sends nothing alone); handoff acknowledgments go out at once.")
        return lines


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else many or one + 's'}"


def summarize(app_db: Path, mark: Mark, *, sent: int, replies: int) -> RunSummary:
    """Read after the service stopped, from the database itself (what the workers finished is in it)."""
    inbox, conversations, outbox = Inbox(app_db), ConversationStore(app_db), Outbox(app_db)
    try:
        mine = [item for item in inbox.items() if item.id > mark.last_inbox_id]
        keys = {item.conversation_key for item in mine}
        rows = conversations.list(keys=keys, limit=max(len(keys), 1)) if keys else []
        states, out = Counter(item.status for item in mine), outbox.counts()
        return RunSummary(sent=sent, taken_in=len(mine), processed=states["done"],
                          waiting=states["queued"] + states["claimed"], failed=states["dead"], replies=replies,
                          replies_waiting=out.get("queued", 0) + out.get("claimed", 0),
                          statuses=dict(Counter(row.status for row in rows)),
                          continued=len(keys & mark.conversations), earlier=len(mark.conversations))
    finally:
        inbox.close()
        conversations.close()
        outbox.close()
