"""A worker process for the crash-injection test: runs the pipeline until idle, or SIGKILLs itself at a point.

usage: python crash_child.py DATA_DIR SENT_FILE NOW_ISO POINT   (POINT = none | before_run | mid_graph |
after_write | after_enqueue | before_complete | before_send | after_send)
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from recording import RecordingSender


def _die(point: str, wanted: str) -> None:
    if point == wanted:
        os.kill(os.getpid(), signal.SIGKILL)


def main() -> None:
    data_dir, sent_file, now, point = sys.argv[1:5]
    from agent.nodes import check as check_module
    from runtime import outbox as outbox_module
    from shopdesk.service import Service
    from shopdesk.settings import Settings
    from tools.models import PLATFORMS
    from tools.sandbox.store import SandboxStore

    if point == "after_write":
        original_write = SandboxStore.create_return

        def create_return(self: SandboxStore, *args: Any, **kwargs: Any) -> Any:
            result = original_write(self, *args, **kwargs)
            _die(point, "after_write")
            return result
        SandboxStore.create_return = create_return  # type: ignore[method-assign]
    if point == "after_enqueue":
        original_enqueue = outbox_module.Outbox.enqueue

        def enqueue(self: Any, *args: Any, **kwargs: Any) -> Any:
            record = original_enqueue(self, *args, **kwargs)
            _die(point, "after_enqueue")
            return record
        outbox_module.Outbox.enqueue = enqueue  # type: ignore[method-assign]
    if point == "mid_graph":
        original_check = check_module.check_reply

        def check_reply(*args: Any, **kwargs: Any) -> Any:
            _die(point, "mid_graph")
            return original_check(*args, **kwargs)
        check_module.check_reply = check_reply  # type: ignore[assignment]

    settings = Settings(_env_file=None, data_dir=Path(data_dir), now=datetime.fromisoformat(now))  # type: ignore[call-arg]
    sender = RecordingSender(Path(sent_file))
    service = Service(settings, senders={p: sender for p in PLATFORMS}, workers=1, start_threads=False)
    with service:
        for worker in service.workers:
            worker._crash_hook = lambda at: _die(point, at)
        service.dispatcher._crash_hook = lambda at: _die(point, at)
        service.drain()


if __name__ == "__main__":
    main()
