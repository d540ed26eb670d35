"""Every platform end to end: its simulator delivers a customer message the platform's way (signed webhook or
relay email), shopdesk verifies, stores, answers, and the reply reaches the simulator on the same thread."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from shopdesk.service import Service
from shopdesk.settings import Settings
from shopdesk.simulate import Simulation, Ticket
from service_env import simulated_service

PLATFORMS = ("amazon", "walmart", "shopify", "tiktok", "ebay", "facebook", "instagram")


@pytest.fixture
def running(service_settings: Settings) -> Iterator[tuple[Simulation, Service]]:
    with simulated_service(service_settings) as running:
        yield running


def _wait(predicate, timeout_s: float = 60.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow
def test_a_round_trip_on_every_platform(running: tuple[Simulation, Service]) -> None:
    sim, service = running
    store = service.runtime.context.backend
    for platform in PLATFORMS:
        customer = next(c for c in store.list_customers() if c.identity_on(platform))  # type: ignore[attr-defined]
        sim.customer_writes(Ticket(platform, customer.id, "how long do refunds take?", None))
    assert _wait(lambda: {r.platform for r in sim.log.replies()} >= set(PLATFORMS)), (
        f"replies from {sorted({r.platform for r in sim.log.replies()})}; inbox {service.inbox.counts()}; "
        f"outbox {[(r.message.platform, r.status, r.last_error) for r in service.outbox.records()]}; "
        f"conversations {[(c.platform, c.status, c.route, c.reasons) for c in service.conversations.list()]}")
    assert len(sim.log.replies()) == len(PLATFORMS)  # one reply each, nothing twice
    for conversation in service.conversations.list():
        assert conversation.status == "sent" and conversation.customer_id is not None
