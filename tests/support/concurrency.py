"""Run the same work on several threads released at one moment: the races a worker and the console (or two
workers) starting together would run. A thread that never finishes fails the test instead of hanging it."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_together(work: Callable[[], None], threads: int, *, timeout_s: float = 60.0) -> list[Exception]:
    """Call `work` on `threads` threads behind one barrier; returns what each raised (a broken barrier too)."""
    start, errors = threading.Barrier(threads), []

    def one() -> None:
        try:
            start.wait(timeout=timeout_s)
            work()
        except Exception as exc:  # noqa: BLE001 - returned to the test, which asserts on it
            errors.append(exc)

    running = [threading.Thread(target=one) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join(timeout=2 * timeout_s)
    if any(thread.is_alive() for thread in running):
        raise AssertionError(f"a thread was still running after {2 * timeout_s:.0f} s")
    return errors
