"""Conversations as the inbox and the console see them: who, which channel, the reply deadline, status, thread.

One row per conversation (keyed like the inbox: "tiktok:<id>", "amazon:<relay address>"...) with the
route a reply must take (relay address and Message-ID, TikTok conversation id, Meta PSID...), the
deadline from the platform's clock, and the latest agent result; one row per message in or out; an audit
log of every decision (who approved, edited, rejected, what was sent). Lives in the app database beside
the inbox and the outbox.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from agent.routing import HANDOFF_FLAGS, REVIEW_FLAGS
from runtime.appdb.migrations import Migration, add_column
from runtime.appdb.repository import HeldRepository

ConversationStatus = Literal["new", "working", "draft_ready", "needs_approval", "handed_off", "queued", "sent",
                             "rejected", "failed"]
OPEN_STATUSES: tuple[ConversationStatus, ...] = ("new", "working", "draft_ready", "needs_approval", "handed_off",
                                                 "queued", "failed")


class ConversationRow(BaseModel):
    key: str
    platform: str
    customer_identity: str
    customer_id: str | None = None
    subject: str | None = None
    order_hint: str | None = None
    reply_route: dict[str, str] = Field(default_factory=dict)
    status: ConversationStatus = "new"
    intent: str | None = None
    urgency: str | None = None
    priority: str | None = None
    risk_flags: list[str] = Field(default_factory=list,
                                  description="Every risk flag raised in the conversation, until a person clears them.")
    deadline: datetime | None = None
    waiting_since: datetime | None = Field(default=None, description="Oldest customer message not yet answered.")
    last_message_at: datetime
    first_response_s: float | None = Field(default=None, description="Seconds from first message to first reply.")
    route: str | None = None
    reasons: list[str] = Field(default_factory=list)
    trace: dict[str, Any] | None = None
    updated_at: datetime


class MessageRow(BaseModel):
    id: int
    conversation_key: str
    direction: Literal["in", "out"]
    author: str = Field(description="customer | agent | human:<name>")
    text: str
    at: datetime
    platform_message_id: str | None = None
    attachments: list[dict[str, Any]] = Field(default_factory=list, description="What the customer attached "
                                              "(channels.base.Attachment as JSON: kind, state, sha256...).")


class AuditRow(BaseModel):
    id: int
    conversation_key: str | None
    actor: str
    action: str
    detail: dict[str, Any]
    at: datetime


_CONV_COLS = ("key, platform, customer_identity, customer_id, subject, order_hint, reply_route, status, intent, "
              "urgency, priority, deadline, waiting_since, last_message_at, first_response_s, route, reasons, trace, "
              "updated_at, risk_flags")


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _conv(row: tuple) -> ConversationRow:  # type: ignore[type-arg]
    return ConversationRow(
        key=row[0], platform=row[1], customer_identity=row[2], customer_id=row[3], subject=row[4], order_hint=row[5],
        reply_route=json.loads(row[6] or "{}"), status=row[7], intent=row[8], urgency=row[9], priority=row[10],
        deadline=_dt(row[11]), waiting_since=_dt(row[12]), last_message_at=datetime.fromisoformat(row[13]),
        first_response_s=row[14], route=row[15], reasons=json.loads(row[16] or "[]"),
        trace=json.loads(row[17]) if row[17] else None, updated_at=datetime.fromisoformat(row[18]),
        risk_flags=json.loads(row[19] or "[]"),
    )


class ConversationStore(HeldRepository):
    COMPONENT = "conversations"
    MIGRATIONS = (
        Migration(1, "conversations, messages, audit, context events", (
            """CREATE TABLE IF NOT EXISTS conversations (
                key TEXT PRIMARY KEY, platform TEXT NOT NULL, customer_identity TEXT NOT NULL, customer_id TEXT,
                subject TEXT, order_hint TEXT, reply_route TEXT NOT NULL DEFAULT '{}', status TEXT NOT NULL,
                intent TEXT, urgency TEXT, priority TEXT, deadline TEXT, waiting_since TEXT,
                last_message_at TEXT NOT NULL, first_response_s REAL, route TEXT, reasons TEXT, trace TEXT,
                updated_at TEXT NOT NULL, risk_flags TEXT NOT NULL DEFAULT '[]')""",
            "CREATE INDEX IF NOT EXISTS ix_conv_deadline ON conversations(status, deadline)",
            """CREATE TABLE IF NOT EXISTS messages (
                id INTEGER PRIMARY KEY AUTOINCREMENT, conversation_key TEXT NOT NULL, direction TEXT NOT NULL,
                author TEXT NOT NULL, text TEXT NOT NULL, at TEXT NOT NULL, platform_message_id TEXT,
                source TEXT UNIQUE)""",
            "CREATE INDEX IF NOT EXISTS ix_messages_conv ON messages(conversation_key, id)",
            """CREATE TABLE IF NOT EXISTS audit (
                id INTEGER PRIMARY KEY AUTOINCREMENT, conversation_key TEXT, actor TEXT NOT NULL,
                action TEXT NOT NULL, detail TEXT NOT NULL, at TEXT NOT NULL)""",
            "CREATE INDEX IF NOT EXISTS ix_audit_conv ON audit(conversation_key, id)",
            """CREATE TABLE IF NOT EXISTS context_events (
                platform TEXT NOT NULL, delivery_id TEXT NOT NULL, kind TEXT NOT NULL, topic TEXT NOT NULL,
                order_id TEXT, status TEXT, data TEXT NOT NULL, received_at TEXT NOT NULL,
                PRIMARY KEY (platform, delivery_id))""",
            "CREATE INDEX IF NOT EXISTS ix_context_order ON context_events(order_id)",
        )),
        Migration(2, "risk flags kept per conversation", (
            add_column("conversations", "risk_flags", "TEXT NOT NULL DEFAULT '[]'"),
        )),
        Migration(3, "attachments kept per message", (
            add_column("messages", "attachments", "TEXT NOT NULL DEFAULT '[]'"),
            add_column("messages", "attachments_pending", "INTEGER NOT NULL DEFAULT 0"),
            "CREATE INDEX IF NOT EXISTS ix_messages_attachments_pending ON messages(id) "
            "WHERE attachments_pending = 1",
        )),
    )

    # ------------------------------------------------------------------ writes

    def message_in(self, *, key: str, platform: str, customer_identity: str, text: str, at: datetime,
                   deadline: datetime, source: str, subject: str | None = None, order_hint: str | None = None,
                   reply_route: dict[str, str] | None = None, platform_message_id: str | None = None,
                   attachments: list[dict[str, Any]] | None = None) -> None:
        """A customer wrote (once per inbox item: `source` dedupes). Opens or reopens the conversation.
        `attachments` are kept on the message's row; those still `pending` wait for the fetcher."""
        files = attachments or []
        pending = int(any(a.get("state") == "pending" for a in files))
        with self._tx() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO messages (conversation_key, direction, author, text, at, platform_message_id, "
                "source, attachments, attachments_pending) VALUES (?, 'in', 'customer', ?, ?, ?, ?, ?, ?)",
                (key, text, at.isoformat(), platform_message_id, source, json.dumps(files), pending))
            if cur.rowcount == 0:
                return
            row = db.execute("SELECT status, waiting_since, deadline, reply_route FROM conversations WHERE key = ?",
                             (key,)).fetchone()
            route = json.dumps(reply_route or {})
            if row is None:
                db.execute(
                    f"INSERT INTO conversations ({_CONV_COLS}) VALUES (?, ?, ?, NULL, ?, ?, ?, 'new', NULL, NULL, "
                    "NULL, ?, ?, ?, NULL, NULL, '[]', NULL, ?, '[]')",
                    (key, platform, customer_identity, subject, order_hint, route, deadline.isoformat(),
                     at.isoformat(), at.isoformat(), at.isoformat()))
                return
            waiting = row[1] or at.isoformat()
            keep_deadline = row[1] is not None and row[2] is not None and row[2] < deadline.isoformat()
            merged = {**json.loads(row[3] or "{}"), **(reply_route or {})}
            db.execute(
                "UPDATE conversations SET status = 'new', waiting_since = ?, deadline = ?, last_message_at = ?, "
                "reply_route = ?, subject = COALESCE(?, subject), order_hint = COALESCE(?, order_hint), "
                "updated_at = ? WHERE key = ?",
                (waiting, row[2] if keep_deadline else deadline.isoformat(), at.isoformat(), json.dumps(merged),
                 subject, order_hint, at.isoformat(), key))

    def set_status(self, key: str, status: ConversationStatus, at: datetime) -> None:
        with self._tx() as db:
            db.execute("UPDATE conversations SET status = ?, updated_at = ? WHERE key = ?", (status, at.isoformat(), key))

    def record_result(self, key: str, trace: dict[str, Any], status: ConversationStatus, at: datetime) -> None:
        """What the agent made of the latest message (the ReplyTrace as JSON) and where it routed it.

        The conversation keeps what matters across messages: its risk flags (until a person clears them),
        the most urgent urgency seen while they stand, and its main intent (a "hello?" after a chargeback
        does not turn it into `other`). A write waiting for a person's approval holds them the same way: a
        "do you sell lids?" while a refund waits keeps the refund's urgency and intent until a person decides
        it; a write the new message dropped is audited. The reply deadline is the one of the oldest unanswered
        message: a newer message never moves it later."""
        with self._tx() as db:
            row = db.execute("SELECT intent, urgency, risk_flags, deadline, waiting_since, trace FROM conversations "
                             "WHERE key = ?", (key,)).fetchone()
            if row is None:
                return
            raised = [f for f in trace.get("risk_flags") or [] if f in KEPT_FLAGS]
            flags = list(dict.fromkeys([*json.loads(row[2] or "[]"), *raised]))
            write = trace.get("pending_action") or {}
            waiting_write = bool(write.get("needs_approval"))
            before = (json.loads(row[5]) if row[5] else {}).get("pending_action")
            held = waiting_write and before == write and row[0]  # the same write still waits: its request leads
            intent = row[0] if held else main_intent(row[0], trace.get("intent"), bool(flags))
            urgency = max_urgency(row[1], trace.get("urgency")) if flags or waiting_write else trace.get("urgency")
            deadline = _iso(trace.get("deadline")) if status not in ("sent", "rejected") else None
            if deadline and row[3] and row[4] is not None and row[3] < deadline:
                deadline = row[3]  # still waiting since an earlier message: its clock keeps running
            db.execute(
                # the dispatcher may already have sent the queued reply (waiting_since cleared): keep 'sent'
                "UPDATE conversations SET status = CASE WHEN ? = 'queued' AND waiting_since IS NULL THEN 'sent' "
                "ELSE ? END, customer_id = COALESCE(?, customer_id), intent = ?, urgency = ?, "
                "priority = ?, deadline = COALESCE(?, deadline), route = ?, reasons = ?, trace = ?, updated_at = ?, "
                "risk_flags = ? WHERE key = ?",
                (status, status, trace.get("customer_id"), intent, urgency, trace.get("priority"), deadline,
                 trace.get("route"), json.dumps(trace.get("reasons") or []), json.dumps(trace, default=str),
                 at.isoformat(), json.dumps(flags), key))
            if dropped := trace.get("dropped_write"):  # never silently: a person sees what became of it
                db.execute("INSERT INTO audit (conversation_key, actor, action, detail, at) VALUES (?, ?, ?, ?, ?)",
                           (key, "agent", "pending_dropped", json.dumps(dropped, default=str), at.isoformat()))

    def clear_flags(self, key: str, at: datetime) -> list[str]:
        """A person looked and cleared the conversation's risk flags; returns the flags cleared."""
        with self._tx() as db:
            row = db.execute("SELECT risk_flags, trace FROM conversations WHERE key = ?", (key,)).fetchone()
            if row is None:
                return []
            cleared = json.loads(row[0] or "[]")
            latest = (json.loads(row[1]) if row[1] else {}).get("urgency")
            db.execute("UPDATE conversations SET risk_flags = '[]', urgency = ?, updated_at = ? WHERE key = ?",
                       (latest, at.isoformat(), key))
            return cleared

    def message_out(self, *, key: str, text: str, author: str, at: datetime, source: str,
                    platform_message_id: str | None = None, answers: bool = True) -> None:
        """A reply reached the platform: the conversation stops waiting and its first response time is kept.
        An acknowledgment (`answers=False`: "a person has it") counts as the first response for the
        platform's clock, but the conversation keeps its status and keeps waiting for a person. A person's own
        interim reply (an edit sent with "keep pending") answered the customer: the reply clock stops (nothing
        unanswered is left), while the status still shows the write waiting for approval."""
        with self._tx() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO messages (conversation_key, direction, author, text, at, platform_message_id, "
                "source) VALUES (?, 'out', ?, ?, ?, ?, ?)", (key, author, text, at.isoformat(), platform_message_id,
                                                              source))
            if cur.rowcount == 0:
                return
            row = db.execute("SELECT first_response_s FROM conversations WHERE key = ?", (key,)).fetchone()
            first = db.execute("SELECT MIN(at) FROM messages WHERE conversation_key = ? AND direction = 'in'",
                               (key,)).fetchone()[0]
            first_s = row[0] if row and row[0] is not None else (
                (at - datetime.fromisoformat(first)).total_seconds() if first else None)
            if not answers:
                answered = author.startswith("human")  # an agent's "a person has it" leaves the customer waiting
                db.execute("UPDATE conversations SET first_response_s = ?, updated_at = ?, waiting_since = CASE WHEN ? "
                           "THEN NULL ELSE waiting_since END WHERE key = ?", (first_s, at.isoformat(), answered, key))
                return
            db.execute("UPDATE conversations SET status = 'sent', waiting_since = NULL, first_response_s = ?, "
                       "updated_at = ? WHERE key = ?", (first_s, at.isoformat(), key))

    def context_event(self, *, platform: str, delivery_id: str, kind: str, topic: str, order_id: str | None,
                      status: str | None, data: dict[str, str], received_at: datetime) -> bool:
        """An order/fulfillment/return change from a webhook; False when the delivery was already stored."""
        with self._tx() as db:
            cur = db.execute("INSERT OR IGNORE INTO context_events VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             (platform, delivery_id, kind, topic, order_id, status, json.dumps(data),
                              received_at.isoformat()))
            return cur.rowcount == 1

    def order_events(self, order_ids: list[str]) -> list[dict[str, Any]]:
        if not order_ids:
            return []
        rows = self._db.execute(
            f"SELECT platform, kind, topic, order_id, status, received_at FROM context_events WHERE order_id IN "
            f"({','.join('?' * len(order_ids))}) ORDER BY received_at", order_ids)
        return [dict(zip(("platform", "kind", "topic", "order_id", "status", "received_at"), r)) for r in rows]

    def audit(self, key: str | None, actor: str, action: str, at: datetime, **detail: Any) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO audit (conversation_key, actor, action, detail, at) VALUES (?, ?, ?, ?, ?)",
                       (key, actor, action, json.dumps(detail, default=str), at.isoformat()))

    # ------------------------------------------------------------------ reads

    def get(self, key: str) -> ConversationRow | None:
        row = self._db.execute(f"SELECT {_CONV_COLS} FROM conversations WHERE key = ?", (key,)).fetchone()
        return _conv(row) if row else None

    def list(self, *, statuses: tuple[str, ...] | None = None, platform: str | None = None,
             intent: str | None = None, customer_id: str | None = None, limit: int = 500,
             keys: Collection[str] | None = None, exclude_keys: Collection[str] = ()) -> list[ConversationRow]:
        """Open conversations first by deadline (what is due first), then the rest by latest activity.
        `keys`: only these (the inbox's search, assignee and tag filters); `exclude_keys`: never these."""
        where, args = [], []  # type: ignore[var-annotated]
        if statuses:
            where.append(f"status IN ({','.join('?' * len(statuses))})")
            args += list(statuses)
        for column, value in (("platform", platform), ("intent", intent), ("customer_id", customer_id)):
            if value:
                where.append(f"{column} = ?")
                args.append(value)
        if keys is not None:  # one parameter whatever the number of keys
            where.append("key IN (SELECT value FROM json_each(?))")
            args.append(json.dumps(sorted(keys)))
        if exclude_keys:
            where.append("key NOT IN (SELECT value FROM json_each(?))")
            args.append(json.dumps(sorted(exclude_keys)))
        sql = (f"SELECT {_CONV_COLS} FROM conversations" + (" WHERE " + " AND ".join(where) if where else "")
               + " ORDER BY CASE WHEN waiting_since IS NULL THEN 1 ELSE 0 END, deadline, last_message_at DESC LIMIT ?")
        return [_conv(r) for r in self._db.execute(sql, (*args, limit))]

    def messages(self, key: str) -> list[MessageRow]:
        rows = self._db.execute("SELECT id, conversation_key, direction, author, text, at, platform_message_id, "
                                "attachments FROM messages WHERE conversation_key = ? ORDER BY at, id", (key,))
        return [_message(r) for r in rows]

    def pending_attachments(self, limit: int = 20) -> list[tuple[MessageRow, str]]:
        """Customer messages with an attachment still to fetch, oldest first, each with its platform."""
        rows = self._db.execute(
            "SELECT m.id, m.conversation_key, m.direction, m.author, m.text, m.at, m.platform_message_id, "
            "m.attachments, c.platform FROM messages AS m LEFT JOIN conversations AS c ON c.key = m.conversation_key "
            "WHERE m.attachments_pending = 1 ORDER BY m.id LIMIT ?", (limit,))
        return [(_message(r), r[8] or r[1].split(":", 1)[0]) for r in rows]

    def set_attachments(self, message_id: int, attachments: list[dict[str, Any]]) -> None:
        """What became of a message's attachments (fetched and stored, refused, could not fetch)."""
        pending = int(any(a.get("state") == "pending" for a in attachments))
        with self._tx() as db:
            db.execute("UPDATE messages SET attachments = ?, attachments_pending = ? WHERE id = ?",
                       (json.dumps(attachments), pending, message_id))

    def audit_log(self, key: str | None = None, limit: int = 200) -> list[AuditRow]:
        sql = "SELECT id, conversation_key, actor, action, detail, at FROM audit"
        rows = self._db.execute(sql + (" WHERE conversation_key = ?" if key else "") + " ORDER BY id DESC LIMIT ?",
                                (key, limit) if key else (limit,))
        return [AuditRow(id=r[0], conversation_key=r[1], actor=r[2], action=r[3], detail=json.loads(r[4]),
                         at=datetime.fromisoformat(r[5])) for r in rows]


def _message(r: tuple) -> MessageRow:  # type: ignore[type-arg]
    return MessageRow(id=r[0], conversation_key=r[1], direction=r[2], author=r[3], text=r[4],
                      at=datetime.fromisoformat(r[5]), platform_message_id=r[6], attachments=json.loads(r[7] or "[]"))


URGENCY_ORDER = ("low", "normal", "high", "critical")
KEPT_FLAGS = frozenset({*HANDOFF_FLAGS, *REVIEW_FLAGS})  # risk a person must see; not notes like "asks if automated"
VAGUE_INTENTS = frozenset({"other"})


def max_urgency(kept: str | None, new: str | None) -> str | None:
    """The more urgent of the two (unknown values rank lowest)."""
    rank = {u: i for i, u in enumerate(URGENCY_ORDER)}
    return max((u for u in (kept, new) if u), key=lambda u: rank.get(u, -1), default=None)


def main_intent(kept: str | None, new: str | None, flagged: bool) -> str | None:
    """The conversation's intent after a new message: a vague message ("hello?") keeps the earlier one, and
    while risk flags stand a dispute or privacy request is not replaced by a routine topic."""
    if not new or (new in VAGUE_INTENTS and kept):
        return kept
    if flagged and kept in ("claim_or_chargeback", "privacy_request") and new != kept:
        return kept
    return new


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, datetime) else str(value)
