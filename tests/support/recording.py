"""A ChannelSender that records what it was asked to send (in memory or in a JSON-lines file)."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from channels.base import SendError, SendReceipt


class RecordingSender:
    def __init__(self, path: Path | None = None, *, fail_with: SendError | None = None, fail_times: int = 0) -> None:
        self.path = path
        self.sent: list[dict[str, Any]] = []
        self.fail_with, self.fail_times = fail_with, fail_times
        self._lock = threading.Lock()

    def send(self, text: str, route: Mapping[str, str], *, idempotency_key: str, human: bool,
             now: datetime) -> SendReceipt:
        with self._lock:
            if self.fail_times and self.fail_with is not None:
                self.fail_times -= 1
                raise self.fail_with
            record = {"text": text, "route": dict(route), "key": idempotency_key, "human": human}
            self.sent.append(record)
            if self.path is not None:
                with self.path.open("a") as f:
                    f.write(json.dumps(record) + "\n")
                    f.flush()
            return SendReceipt(platform_message_id=f"sent-{idempotency_key}", sent_at=now)

    def read(self) -> list[dict[str, Any]]:
        if self.path is None or not self.path.exists():
            return list(self.sent)
        return [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]
