"""What a simulator saw: the replies shopdesk sent it and the webhooks/emails it delivered (thread-safe)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field


class SimRecord(BaseModel):
    platform: str
    kind: str = Field(description="'reply' (shopdesk answered a customer), 'delivery' (we sent a webhook/email), "
                                  "'api' (shopdesk called a read/write API).")
    at: datetime
    data: dict[str, Any] = Field(default_factory=dict)


class SimLog:
    def __init__(self) -> None:
        self._records: list[SimRecord] = []
        self._lock = threading.Lock()

    def record(self, platform: str, kind: str, **data: Any) -> SimRecord:
        rec = SimRecord(platform=platform, kind=kind, at=datetime.now(UTC), data=data)
        with self._lock:
            self._records.append(rec)
        return rec

    def records(self, platform: str | None = None, kind: str | None = None) -> list[SimRecord]:
        with self._lock:
            return [r for r in self._records
                    if (platform is None or r.platform == platform) and (kind is None or r.kind == kind)]

    def replies(self, platform: str | None = None) -> list[SimRecord]:
        return self.records(platform, "reply")
