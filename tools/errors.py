"""Typed errors of the commerce layer.

Each carries a stable machine `code` (tests, tool messages and the console key on it) and a
sentence a support agent or the customer-facing reply can use as is.
"""

from __future__ import annotations

from typing import Any


class CommerceError(Exception):
    """Base of every refusal or failure raised by a commerce backend."""

    code: str = "commerce_error"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **({"details": self.details} if self.details else {})}


class NotFoundError(CommerceError):
    code = "not_found"


class PreconditionFailed(CommerceError):
    """The write is understood but not allowed in the record's current state or by policy."""

    code = "precondition_failed"


class StoreNotSeededError(CommerceError):
    code = "store_not_seeded"
