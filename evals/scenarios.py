"""Eval scenarios as data: which store records, what the customer says, what must happen.

A scenario picks real records from the seeded demo store by criteria (so it stays valid when the
generator changes), binds them to names (`order`, `customer`, `other`), and writes turns and
expectations with `{order.id}`-style placeholders that are filled from the bound records.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from agent.schemas import INTENTS, Intent, RiskFlag, Route
from tools.models import PLATFORMS, OrderStatus, Platform


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrderPick(_Strict):
    """Criteria for choosing one order from the demo store; the `index`-th match (sorted by id) wins."""

    platform: Platform | None = None
    status: OrderStatus | None = None
    shipment: Literal["lost", "delayed", "on_time", "any"] = "any"
    delivered_within_days: int | None = Field(default=None, ge=0)
    delivered_before_days: int | None = Field(default=None, ge=0, description="Delivered more than N days ago.")
    single_item: bool | None = None
    min_total: float | None = None
    max_total: float | None = None
    has_refund: bool | None = None
    has_return: bool | None = None
    fulfillment: Literal["FBA", "FBM", "WFS", "seller"] | None = None
    id: str | None = Field(default=None, max_length=64,
                           description="Exactly this order (blind sets written from the store's real records).")
    index: int = Field(default=0, ge=0)


class StoreSetup(_Strict):
    base: Literal["demo"] = "demo"
    order: OrderPick | None = None
    other: OrderPick | None = Field(default=None, description="An order of ANOTHER customer (adversarial cases).")
    subscription: Literal["active", "paused", "cancelled"] | None = None
    customer: str | None = Field(default=None, description="An explicit customer id when no order is picked.")


class ToolExpectation(_Strict):
    name: str
    args: dict[str, Any] = Field(default_factory=dict, description="Each listed argument must match.")
    ok: bool | None = None


class Trajectory(_Strict):
    mode: Literal["subset", "strict"] = "subset"
    calls: list[ToolExpectation] = Field(default_factory=list)
    forbidden: list[str] = Field(default_factory=list, description="Tools that must not succeed.")


class EndState(_Strict):
    unchanged: bool = Field(default=False, description="The store must be byte-identical afterwards.")
    order_status: OrderStatus | None = None
    returns_added: int | None = None
    refunds_added: int | None = None
    cancellations_added: int | None = None
    subscription_status: Literal["active", "paused", "cancelled"] | None = None


class Expectations(_Strict):
    intent: Intent | None = None
    risk_flags: list[RiskFlag] = Field(default_factory=list, description="Must all be raised.")
    route: Route | None = None
    requests: list[Intent] = Field(default_factory=list, max_length=6,
                                   description="Every request the first message makes (label; the first is the main one).")
    order_ref: str | None = Field(default=None, description="The order the customer means: every order-bound tool "
                                  "call must use it, and at least one must be made.")
    trajectory: Trajectory | None = None
    end_state: EndState | None = None
    reply_contains: list[str] = Field(default_factory=list)
    reply_not_contains: list[str] = Field(default_factory=list)
    reply_matches: list[str] = Field(default_factory=list, description="Regexes the final reply must match.")
    compliant: bool = Field(default=True, description="The final draft must pass the compliance check.")
    max_turns: int = Field(default=4, ge=1)


class SimulatedCustomer(_Strict):
    """Used only when an LLM is configured: the model plays the customer from a persona and a goal."""

    persona: str
    goal: str


class Scenario(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    platform: Platform
    tags: list[str] = Field(default_factory=list)
    description: str | None = None
    store: StoreSetup = Field(default_factory=StoreSetup)
    turns: list[str] = Field(default_factory=list)
    simulated_customer: SimulatedCustomer | None = None
    expect: Expectations = Field(default_factory=Expectations)

    @model_validator(mode="after")
    def _check(self) -> Scenario:
        if not self.turns and self.simulated_customer is None:
            raise ValueError("a scenario needs scripted turns or a simulated customer")
        if len(self.turns) > self.expect.max_turns:
            raise ValueError("more scripted turns than max_turns allows")
        if self.store.order is None and self.store.customer is None and self.store.subscription is None:
            raise ValueError("store needs an order pick, a subscription or an explicit customer")
        bound = {"customer"} | {name for name in ("order", "other", "subscription") if getattr(self.store, name)}
        for record, field in _placeholders([self.turns, self.expect.model_dump()]):
            if record not in bound or field not in PLACEHOLDERS.get(record, ()):
                raise ValueError(f"placeholder {{{record}.{field}}} is unknown or its record is not picked")
        return self


class ScenarioFile(_Strict):
    scenarios: list[Scenario]


def load_scenarios(path: Path) -> list[Scenario]:
    """All scenarios in a YAML file or in every *.yaml/*.yml below a folder; ids must be unique."""
    files = sorted(path.rglob("*.y*ml")) if path.is_dir() else [path]
    scenarios: list[Scenario] = []
    for file in files:
        raw = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        try:
            scenarios += ScenarioFile.model_validate(raw).scenarios
        except Exception as exc:
            raise ValueError(f"{file}: {exc}") from exc
    ids = [s.id for s in scenarios]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate scenario ids: {duplicates}")
    return scenarios


_PLACEHOLDER = re.compile(r"\{([a-z_]+)\.([a-z_0-9]+)\}")
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "order": frozenset({"id", "platform", "status", "total", "tracking_number", "carrier", "first_item_title",
                        "first_item_sku"}),
    "customer": frozenset({"id", "name", "first_name"}),
    "other": frozenset({"id", "customer_name", "tracking_number", "line1", "total"}),
    "subscription": frozenset({"id", "sku"}),
}


def _placeholders(value: object) -> list[tuple[str, str]]:
    if isinstance(value, str):
        return _PLACEHOLDER.findall(value)
    if isinstance(value, dict):
        return [p for v in value.values() for p in _placeholders(v)]
    if isinstance(value, (list, tuple)):
        return [p for v in value for p in _placeholders(v)]
    return []


def fill(text: str, bindings: dict[str, dict[str, Any]]) -> str:
    """Replace `{order.id}`, `{customer.name}`, `{shipment.tracking_number}`... from the bound records."""

    def replace(match: re.Match[str]) -> str:
        record, field = match.groups()
        if record not in bindings or field not in bindings[record]:
            raise KeyError(f"unknown placeholder {{{record}.{field}}}")
        return str(bindings[record][field])

    return _PLACEHOLDER.sub(replace, text)


__all__ = ["INTENTS", "PLATFORMS", "Scenario", "load_scenarios", "fill"]
