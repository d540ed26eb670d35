"""Which of the demo's scripted customer messages were already delivered on this data dir (issue 20, a restart).

Why: `make run` plays a fixed script (shopdesk/simulate.py: `demo_tickets`, seed 7). Without a memory of what was
sent, a restarted demo replayed the script from its first line: the same customers wrote the same words again into
conversations already acknowledged or waiting for a person, so nothing new happened and the simulators received
no reply. With this ledger a restart continues the script where the last run stopped: new customers, new
questions, new conversations, and earlier ones stay as history.

One JSON line per delivered message, appended after the platform accepted it (a delivery that failed is not
recorded and may be tried again). A line holds a fingerprint of (platform, customer, text), the script's lap
and the platform, never the text or a customer id. A line cut short by a killed process is skipped when read.
Delete the file (or start on a new data dir) to play the script from the beginning.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ValidationError

LEDGER_FILE = "demo-traffic.jsonl"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def fingerprint(platform: str, customer_id: str, text: str) -> str:
    """The same customer writing the same words on the same platform is the same scripted message."""
    return hashlib.sha256(f"{platform}\n{customer_id}\n{text}".encode()).hexdigest()[:24]


class Delivered(BaseModel):
    fp: str
    lap: int
    platform: str
    at: datetime


class TrafficLedger:
    """The delivered scripted messages of one data dir; `record` is safe from any thread."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LEDGER_FILE
        self._lock = threading.Lock()
        self._sent: set[str] = set()
        self._torn = False  # the file ends in a line cut short: the next record starts on a new line
        self.lap = 0
        """The highest lap of the script a message was delivered from (0: the first pass, or nothing yet)."""
        for entry in self._read():
            self._sent.add(entry.fp)
            self.lap = max(self.lap, entry.lap)

    def _read(self) -> list[Delivered]:
        try:
            fd = os.open(self.path, os.O_RDONLY | _NOFOLLOW)
        except FileNotFoundError:
            return []
        except OSError as exc:  # a symlink planted in the data dir is not followed
            raise ValueError(f"cannot read {self.path} ({exc.strerror}); delete it to start the demo script over") \
                from exc
        with os.fdopen(fd, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
        self._torn = bool(text) and not text.endswith("\n")
        entries = []
        for line in text.splitlines():
            try:
                entries.append(Delivered.model_validate(json.loads(line)))
            except (ValueError, ValidationError):
                continue  # a line cut short by a killed process
        return entries

    def __len__(self) -> int:
        return len(self._sent)

    def __contains__(self, fp: object) -> bool:
        return fp in self._sent

    def record(self, fp: str, *, lap: int, platform: str) -> None:
        """Append one delivered message (0600, owner only: it is part of the demo's history)."""
        line = Delivered(fp=fp, lap=lap, platform=platform, at=datetime.now(UTC)).model_dump_json() + "\n"
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW, 0o600)
            try:
                os.write(fd, (("\n" if self._torn else "") + line).encode())
            finally:
                os.close(fd)
            self._torn = False
            self._sent.add(fp)
            self.lap = max(self.lap, lap)
