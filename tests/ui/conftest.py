"""The console browser tests' one Chromium per module (tests/support/console_browser.py has the rest)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from console_browser import chromium  # imported here: the non-browser UI tests need no Playwright

    with chromium() as b:
        yield b
