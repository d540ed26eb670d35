"""Reading a signed webhook body without trusting its shape: JSON, text and times.

A valid signature proves who sent a body, not that it is sane. Every channel decodes through here so
that the same hostile shapes fail the same way, as a `PayloadError` (the endpoint's 400 with a reason):
nesting deep enough to exhaust the recursion limit, NaN/Infinity, bytes that are no Unicode, and times
`datetime` cannot represent. A lone surrogate (`"\\ud800"` is valid JSON, but not encodable text) is
repaired to U+FFFD instead: the rest of a customer's message is worth keeping.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from channels.base import PayloadError

MAX_DEPTH = 32  # the deepest real payload (a Shopify order) is under 10 levels
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # after json.loads, valid pairs are already one character


def repair_text(text: str) -> str:
    """Replace lone surrogates with U+FFFD (they cannot be stored, logged or sent as UTF-8)."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def load_json(body: bytes | str, what: str) -> Any:
    """The decoded JSON of `body`, at most MAX_DEPTH deep, every string (keys too) repaired."""
    try:
        data = json.loads(body, parse_constant=_no_constant)
    except RecursionError:
        raise PayloadError(f"{what} is nested too deeply") from None
    except ValueError as exc:  # includes UnicodeDecodeError and ints beyond the digit limit
        raise PayloadError(f"{what} is not JSON ({type(exc).__name__})") from None
    return _repaired(data, what)


def _repaired(data: Any, what: str) -> Any:
    """Walk the document iteratively (no recursion to exhaust), checking depth and repairing strings."""
    root: list[Any] = [data]
    stack: list[tuple[Any, Any, Any, int]] = [(root, 0, data, 1)]  # (parent, key in parent, value, depth)
    while stack:
        parent, key, value, depth = stack.pop()
        if isinstance(value, str):
            if _LONE_SURROGATE.search(value):
                parent[key] = repair_text(value)
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise PayloadError(f"{what} is nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            if any(_LONE_SURROGATE.search(k) for k in value):
                fixed = {repair_text(k): v for k, v in value.items()}
                value.clear()
                value.update(fixed)
            stack.extend((value, k, v, depth + 1) for k, v in value.items())
        else:
            stack.extend((value, i, v, depth + 1) for i, v in enumerate(value))
    return root[0]


def utc_from_unix(value: object, what: str, *, millis: bool | None = None) -> datetime:
    """Unix seconds (or milliseconds: `millis`, or guessed from the size when None) as an aware UTC time."""
    if isinstance(value, bool):
        raise PayloadError(f"{what} is not a unix timestamp")
    try:
        number = int(value)  # type: ignore[call-overload]
        if millis or (millis is None and abs(number) > 10**11):
            return datetime.fromtimestamp(number / 1000, UTC)
        return datetime.fromtimestamp(number, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise PayloadError(f"{what} is not a unix timestamp in range: {str(value)[:40]!r}") from None


def utc_from_iso(value: object, what: str) -> datetime:
    """An ISO 8601 time (naive = UTC) as an aware UTC time; PayloadError when unreadable or out of range."""
    try:
        at = datetime.fromisoformat(str(value))
        return at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise PayloadError(f"{what} is not an ISO 8601 time in range: {str(value)[:40]!r}") from None
