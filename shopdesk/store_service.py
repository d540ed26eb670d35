"""Application layer over the sandbox store: open, seed, summarise, look up.

The CLI (and later the console) call these functions and only format what they return, so
the same behaviour is reachable from every front end and testable without one.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from shopdesk.settings import Settings
from tools.clock import Clock, FixedClock
from tools.errors import NotFoundError, PreconditionFailed
from tools.models import PLATFORMS, Customer, Order
from tools.sandbox.generator import GeneratorConfig, default_anchor, generate
from tools.sandbox.store import SandboxStore


class SeedResult(BaseModel):
    seeded: bool
    seed: int
    anchor: datetime
    content_hash: str
    counts: dict[str, int]
    seconds: float
    path: str


def open_store(settings: Settings, clock: Clock | None = None) -> SandboxStore:
    settings.ensure_data_dir()
    if clock is None and settings.now is not None:
        now = settings.now if settings.now.tzinfo else settings.now.replace(tzinfo=UTC)
        clock = FixedClock(now)
    return SandboxStore(settings.store_path, clock=clock)


def seed_store(
    settings: Settings, *, seed: int | None = None, reset: bool = False, anchor: datetime | None = None
) -> SeedResult:
    """Generate the demo store; a store already seeded the same way is left as it is.

    Re-seeding with another seed or anchor would silently throw away refunds, returns and
    conversations, so it needs `reset=True`.
    """
    seed = settings.store_seed if seed is None else seed
    anchor = anchor or settings.store_anchor or default_anchor()
    with open_store(settings) as store:
        meta = store.meta()
        same = meta.get("seed") == str(seed) and meta.get("anchor") == anchor.isoformat()
        if store.is_seeded() and not reset:
            if not same:
                raise PreconditionFailed(
                    f"The store at {store.path} already holds seed {meta.get('seed')} anchored at "
                    f"{meta.get('anchor')}; pass --reset to replace it.",
                    code="store_already_seeded",
                )
            return SeedResult(
                seeded=False, seed=seed, anchor=anchor, content_hash=store.content_hash(),
                counts=store.counts(), seconds=0.0, path=str(store.path),
            )
        started = time.perf_counter()
        data = generate(GeneratorConfig(seed=seed, anchor=anchor))
        store.load(data, meta={"seed": str(seed), "anchor": anchor.isoformat()})
        seconds = time.perf_counter() - started
        return SeedResult(
            seeded=True, seed=seed, anchor=anchor, content_hash=store.content_hash(),
            counts=store.counts(), seconds=round(seconds, 3), path=str(store.path),
        )


def store_summary(store: SandboxStore) -> dict[str, Any]:
    """What the demo store holds, in the terms a support lead uses."""
    store.require_seeded()
    orders = store.find_orders(limit=None)
    shipments = [s for o in orders for s in o.shipments]
    by_platform_status = store.order_counts()
    returns = store.list_records("returns")
    claims = store.list_records("claims")
    feedback = store.list_records("feedback")
    conversations = store.list_records("conversations")
    late = sum(
        1 for o in orders
        if any(e.type in ("delayed", "exception") for s in o.shipments for e in s.events) and o.status != "delivered"
    )
    return {
        "meta": store.meta(),
        "content_hash": store.content_hash(),
        "counts": store.counts(),
        "orders_by_platform": {p: sum(n for (pp, _), n in by_platform_status.items() if pp == p) for p in PLATFORMS},
        "orders_by_status": dict(Counter(o.status for o in orders)),
        "orders_by_platform_status": {f"{p}/{s}": n for (p, s), n in sorted(by_platform_status.items())},
        "shipments_by_carrier": dict(Counter(s.carrier for s in shipments)),
        "support_states": {
            "late_in_transit": late,
            "lost_shipments": sum(1 for s in shipments if s.status == "lost"),
            "delivered_not_received": sum(1 for c in conversations if c.topic == "not_received"),  # type: ignore[attr-defined]
            "returns_by_reason": dict(Counter(r.reason for r in returns)),  # type: ignore[attr-defined]
            "returns_by_status": dict(Counter(r.status for r in returns)),  # type: ignore[attr-defined]
            "claims_by_type": dict(Counter(c.type for c in claims)),  # type: ignore[attr-defined]
            "negative_feedback": sum(1 for f in feedback if f.rating <= 2),  # type: ignore[attr-defined]
            "open_conversations": sum(1 for c in conversations if c.status != "resolved"),  # type: ignore[attr-defined]
        },
        "multi_platform_customers": sum(1 for c in store.list_customers() if len(c.platforms) > 1),
    }


def resolve_customer(store: SandboxStore, key: str) -> Customer:
    """A customer by id (C00042) or by any platform identity (relay email, handle, PSID...)."""
    key = key.strip()
    if key.upper().startswith("C") and key[1:].isdigit():
        return store.get_customer(key.upper())
    for platform in PLATFORMS:
        customer = store.find_customer(platform, key)
        if customer is not None:
            return customer
    raise NotFoundError(f"No customer with id or platform identity {key!r}.", key=key)


def customer_profile(store: SandboxStore, key: str) -> dict[str, Any]:
    """Customer 360: the person, their identities and everything on record across platforms."""
    customer = resolve_customer(store, key)
    orders: list[Order] = store.customer_orders(customer.id)
    return {
        "customer": customer.model_dump(mode="json"),
        "orders": [o.model_dump(mode="json") for o in orders],
        "returns": [r.model_dump(mode="json") for r in store.customer_returns(customer.id)],
        "refunds": [r.model_dump(mode="json") for r in store.customer_refunds(customer.id)],
        "subscriptions": [s.model_dump(mode="json") for s in store.customer_subscriptions(customer.id)],
        "claims": [c.model_dump(mode="json") for c in store.customer_claims(customer.id)],
        "chargebacks": [c.model_dump(mode="json") for c in store.customer_chargebacks(customer.id)],
        "feedback": [f.model_dump(mode="json") for f in store.customer_feedback(customer.id)],
        "carts": [c.model_dump(mode="json") for c in store.customer_carts(customer.id)],
        "conversations": [c.model_dump(mode="json") for c in store.customer_conversations(customer.id)],
    }
