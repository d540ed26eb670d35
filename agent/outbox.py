"""The outbox: replies waiting to go out, each under an idempotency key.

Enqueueing the same key twice returns the first record, so a retried or resumed graph run never
queues a second copy of one reply. Channels (a later milestone) deliver from here.
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel

from agent.schemas import OutboundMessage
from tools.sqlite import immediate, open_db


class OutboxRecord(BaseModel):
    id: int
    message: OutboundMessage
    status: str
    created_at: datetime


class Outbox:
    def __init__(self, path: Path | str) -> None:
        self._db = open_db(path)
        self._db.execute(
            """CREATE TABLE IF NOT EXISTS outbox (
                id INTEGER PRIMARY KEY AUTOINCREMENT, idempotency_key TEXT UNIQUE NOT NULL,
                conversation_id TEXT NOT NULL, platform TEXT NOT NULL, payload TEXT NOT NULL,
                status TEXT NOT NULL DEFAULT 'queued', created_at TEXT NOT NULL)"""
        )
        self._lock = threading.Lock()

    def enqueue(self, message: OutboundMessage, at: datetime) -> OutboxRecord:
        with immediate(self._db, self._lock):
            self._db.execute(
                "INSERT OR IGNORE INTO outbox (idempotency_key, conversation_id, platform, payload, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (message.idempotency_key, message.conversation_id, message.platform, message.model_dump_json(),
                 at.isoformat()),
            )
            row = self._db.execute(
                "SELECT id, payload, status, created_at FROM outbox WHERE idempotency_key = ?",
                (message.idempotency_key,),
            ).fetchone()
        return OutboxRecord(id=row[0], message=OutboundMessage.model_validate_json(row[1]), status=row[2],
                            created_at=datetime.fromisoformat(row[3]))

    def for_conversation(self, conversation_id: str) -> list[OutboxRecord]:
        rows = self._db.execute(
            "SELECT id, payload, status, created_at FROM outbox WHERE conversation_id = ? ORDER BY id",
            (conversation_id,),
        ).fetchall()
        return [OutboxRecord(id=r[0], message=OutboundMessage.model_validate_json(r[1]), status=r[2],
                             created_at=datetime.fromisoformat(r[3])) for r in rows]

    def close(self) -> None:
        self._db.close()
