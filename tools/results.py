"""What tool calls return: a ToolResult for every call (errors included) and proposed writes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ToolResult(_Model):
    """Every tool call, answered: its arguments, whether it succeeded, and what it returned."""

    name: str
    args: dict[str, Any] = Field(default_factory=dict)
    ok: bool
    data: dict[str, Any] | None = None
    error: str | None = None
    error_code: str | None = None
    write: bool = False


class PendingAction(_Model):
    """A write the agent proposed and the customer (or a human) must confirm first."""

    tool: str
    args: dict[str, Any]
    summary: str = Field(description="What will happen, in the customer's terms.")
    needs_approval: bool = Field(default=False, description="Above the seller's threshold: a human approves.")
