"""The outbox: replies waiting to go out, each under an idempotency key, sent at most once.

Enqueueing the same key twice returns the first record, so a retried or resumed graph run never queues a
second copy of one reply. A sender claims a record (`claimed`, with a lease; a dead sender's claim is
simply taken over), marks it `sending` right before it calls the platform, then marks it `sent` or schedules a retry with backoff; after `max_attempts` it becomes a visible
`dead` letter. If the process dies between the platform call and `mark_sent`, nobody can know whether the
reply went out: the expired `sending` record becomes `uncertain` (never re-sent automatically, shown to a
person, released by `shopdesk outbox retry`), because a double send is worse than a late one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from sqlite3 import Connection
from typing import Literal

from pydantic import BaseModel

from agent.schemas import OutboundMessage
from runtime.appdb.migrations import Migration, add_column
from runtime.appdb.repository import HeldRepository

OutboxStatus = Literal["queued", "claimed", "sending", "sent", "dead", "uncertain", "cancelled"]


class OutboxRecord(BaseModel):
    id: int
    message: OutboundMessage
    status: OutboxStatus
    created_at: datetime
    attempts: int = 0
    available_at: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None
    platform_message_id: str | None = None


_COLS = "id, payload, status, created_at, attempts, available_at, last_error, sent_at, platform_message_id"


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _row(r: tuple) -> OutboxRecord:  # type: ignore[type-arg]
    return OutboxRecord(id=r[0], message=OutboundMessage.model_validate_json(r[1]), status=r[2],
                        created_at=datetime.fromisoformat(r[3]), attempts=r[4], available_at=_dt(r[5]),
                        last_error=r[6], sent_at=_dt(r[7]), platform_message_id=r[8])


class Outbox(HeldRepository):
    COMPONENT = "outbox"
    MIGRATIONS = (
        Migration(1, "outbox table", (
            """CREATE TABLE IF NOT EXISTS outbox (
                id INTEGER PRIMARY KEY AUTOINCREMENT, idempotency_key TEXT UNIQUE NOT NULL,
                conversation_id TEXT NOT NULL, platform TEXT NOT NULL, payload TEXT NOT NULL,
                status TEXT NOT NULL DEFAULT 'queued', created_at TEXT NOT NULL)""",
        )),
        Migration(2, "sending: attempts, backoff, leases, platform ids", (
            add_column("outbox", "attempts", "INTEGER NOT NULL DEFAULT 0"),
            add_column("outbox", "available_at", "TEXT"),
            add_column("outbox", "last_error", "TEXT"),
            add_column("outbox", "sent_at", "TEXT"),
            add_column("outbox", "platform_message_id", "TEXT"),
            add_column("outbox", "claimed_by", "TEXT"),
            add_column("outbox", "lease_until", "TEXT"),
            "CREATE INDEX IF NOT EXISTS ix_outbox_status ON outbox(status, available_at)",
        )),
    )

    def __init__(self, path: Path | str, *, max_attempts: int = 6, base_delay_s: float = 5.0) -> None:
        super().__init__(path)
        self.max_attempts = max_attempts
        self.base_delay_s = base_delay_s

    def _get(self, db: Connection, where: str, arg: object) -> OutboxRecord:
        return _row(db.execute(f"SELECT {_COLS} FROM outbox WHERE {where}", (arg,)).fetchone())

    def enqueue(self, message: OutboundMessage, at: datetime) -> OutboxRecord:
        with self._tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO outbox (idempotency_key, conversation_id, platform, payload, created_at, "
                "available_at) VALUES (?, ?, ?, ?, ?, ?)",
                (message.idempotency_key, message.conversation_id, message.platform, message.model_dump_json(),
                 at.isoformat(), at.isoformat()),
            )
            return self._get(db, "idempotency_key = ?", message.idempotency_key)

    def claim(self, worker: str, now: datetime, lease_s: float = 60.0) -> OutboxRecord | None:
        """The oldest reply due for sending; first turns any expired `sending` lease into `uncertain`."""
        with self._tx() as db:
            db.execute("UPDATE outbox SET status = 'uncertain', last_error = 'the sender stopped during the platform "
                       "call; check the platform before releasing', lease_until = NULL "
                       "WHERE status = 'sending' AND lease_until <= ?", (now.isoformat(),))
            row = db.execute("SELECT id FROM outbox WHERE (status = 'queued' AND COALESCE(available_at, created_at) <= ?"
                             " OR status = 'claimed' AND lease_until <= ?) ORDER BY id LIMIT 1",
                             (now.isoformat(), now.isoformat())).fetchone()
            if row is None:
                return None
            db.execute("UPDATE outbox SET status = 'claimed', claimed_by = ?, lease_until = ?, attempts = attempts + 1 "
                       "WHERE id = ?", (worker, (now + timedelta(seconds=lease_s)).isoformat(), row[0]))
            return self._get(db, "id = ?", row[0])

    def begin_send(self, record_id: int, worker: str) -> bool:
        """The platform call starts now: from here on a crash leaves the record `uncertain`, not re-sendable."""
        with self._tx() as db:
            cur = db.execute("UPDATE outbox SET status = 'sending' WHERE id = ? AND status = 'claimed' AND claimed_by = ?",
                             (record_id, worker))
            return cur.rowcount == 1

    def mark_sent(self, record_id: int, platform_message_id: str, at: datetime) -> OutboxRecord:
        with self._tx() as db:
            db.execute("UPDATE outbox SET status = 'sent', sent_at = ?, platform_message_id = ?, lease_until = NULL, "
                       "last_error = NULL WHERE id = ?", (at.isoformat(), platform_message_id, record_id))
            return self._get(db, "id = ?", record_id)

    def mark_failed(self, record_id: int, error: str, now: datetime, *, retryable: bool,
                    retry_after_s: float | None = None) -> OutboxRecord:
        """Retry later (exponential backoff, or the platform's Retry-After), or keep as a dead letter."""
        with self._tx() as db:
            attempts = db.execute("SELECT attempts FROM outbox WHERE id = ?", (record_id,)).fetchone()[0]
            if not retryable or attempts >= self.max_attempts:
                db.execute("UPDATE outbox SET status = 'dead', last_error = ?, lease_until = NULL WHERE id = ?",
                           (error[:2000], record_id))
            else:
                delay = max(retry_after_s or 0.0, self.base_delay_s * 2 ** (attempts - 1))
                db.execute("UPDATE outbox SET status = 'queued', last_error = ?, available_at = ?, lease_until = NULL "
                           "WHERE id = ?", (error[:2000], (now + timedelta(seconds=delay)).isoformat(), record_id))
            return self._get(db, "id = ?", record_id)

    def release(self, record_id: int, now: datetime) -> OutboxRecord:
        """A person decided a dead or uncertain reply should be tried again (attempts start over)."""
        with self._tx() as db:
            db.execute("UPDATE outbox SET status = 'queued', attempts = 0, available_at = ?, lease_until = NULL "
                       "WHERE id = ? AND status IN ('dead', 'uncertain')", (now.isoformat(), record_id))
            return self._get(db, "id = ?", record_id)

    def cancel(self, record_id: int) -> OutboxRecord:
        with self._tx() as db:
            db.execute("UPDATE outbox SET status = 'cancelled', lease_until = NULL "
                       "WHERE id = ? AND status IN ('queued', 'dead', 'uncertain')", (record_id,))
            return self._get(db, "id = ?", record_id)

    def get(self, record_id: int) -> OutboxRecord | None:
        row = self._db.execute(f"SELECT {_COLS} FROM outbox WHERE id = ?", (record_id,)).fetchone()
        return _row(row) if row else None

    def records(self, status: OutboxStatus | None = None, limit: int = 1000) -> list[OutboxRecord]:
        sql = f"SELECT {_COLS} FROM outbox" + (" WHERE status = ?" if status else "") + " ORDER BY id DESC LIMIT ?"
        return [_row(r) for r in self._db.execute(sql, (status, limit) if status else (limit,))]

    def counts(self) -> dict[str, int]:
        return dict(self._db.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall())

    def for_conversation(self, conversation_id: str) -> list[OutboxRecord]:
        rows = self._db.execute(f"SELECT {_COLS} FROM outbox WHERE conversation_id = ? ORDER BY id", (conversation_id,))
        return [_row(r) for r in rows]


class DryRunOutbox:
    """The sink of a try (`shopdesk reply`/`chat` without --send): it keeps what the run would have queued, in
    memory, and nothing ever sends it (no dispatcher reads it; it ends with the process). One record per
    idempotency key, like the outbox, so a resumed run still "queues" a reply once. Records are `cancelled`:
    whoever looks at one can tell it will never go out."""

    def __init__(self) -> None:
        self._records: dict[str, OutboxRecord] = {}

    def enqueue(self, message: OutboundMessage, at: datetime) -> OutboxRecord:
        if message.idempotency_key not in self._records:
            self._records[message.idempotency_key] = OutboxRecord(
                id=len(self._records) + 1, message=message, status="cancelled", created_at=at,
                last_error="dry run: not sent (a CLI try without --send)")
        return self._records[message.idempotency_key]

    def records(self, status: OutboxStatus | None = None, limit: int = 1000) -> list[OutboxRecord]:
        found = [r for r in reversed(self._records.values()) if status is None or r.status == status]
        return found[:limit]

    def counts(self) -> dict[str, int]:
        return {"cancelled": len(self._records)} if self._records else {}

    def for_conversation(self, conversation_id: str) -> list[OutboxRecord]:
        return [r for r in self._records.values() if r.message.conversation_id == conversation_id]

    def close(self) -> None:
        """Nothing to release (the same lifecycle as the outbox)."""
