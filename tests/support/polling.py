"""Waiting for a running service in tests: poll a condition, never sleep a fixed time and hope."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_until(check: Callable[[], Any], what: str, timeout_s: float = 120.0) -> Any:
    """Poll `check` until it returns something truthy (and return that); a timeout names what never came.
    The timeout only matters when something is broken, so it is generous: a loaded 2-core CI machine is slow."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
