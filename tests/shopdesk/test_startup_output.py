"""Issue 20, first run: no silent minute at start-up, and the simulated customers are ready before the console."""

from __future__ import annotations

import threading
import time
from typing import Any

from shopdesk.serve import heartbeat
from shopdesk.simulate import Simulation, Ticket, _OrdersReadOnce


def test_a_long_step_says_it_is_still_running_and_stops_when_done() -> None:
    lines: list[str] = []
    with heartbeat(lines.append, "training the intent classifier", every_s=0.05):
        time.sleep(0.3)
    count = len(lines)
    assert count >= 3 and all(line.startswith("  ... still training the intent classifier (") for line in lines)
    time.sleep(0.2)
    assert len(lines) == count  # nothing after the step ended


class CountingStore:
    def __init__(self) -> None:
        self.queries: list[dict[str, Any]] = []

    def find_orders(self, **query: Any) -> list[str]:
        self.queries.append(query)
        return [f"{query.get('platform')}-1", f"{query.get('platform')}-2"]

    def get_customer(self, customer_id: str) -> str:
        return f"customer {customer_id}"


def test_binding_reads_each_platforms_orders_once() -> None:
    store = CountingStore()
    view = _OrdersReadOnce(store)  # type: ignore[arg-type]
    first = view.find_orders(platform="amazon", limit=None)
    first.append("changed by a caller")
    assert view.find_orders(platform="amazon", limit=None) == ["amazon-1", "amazon-2"]  # a copy each time
    assert view.find_orders(platform="ebay", limit=None) == ["ebay-1", "ebay-2"]
    assert store.queries == [{"platform": "amazon", "limit": None}, {"platform": "ebay", "limit": None}]
    assert view.get_customer("C00001") == "customer C00001"  # everything else goes to the store


def test_traffic_prepared_before_the_console_is_reused_when_it_starts(monkeypatch: Any) -> None:
    made: list[int] = []
    prepared = [Ticket("amazon", "C00001", "where is my order?", None), Ticket("tiktok", "C00002", "hi", None)]

    def tickets(store: Any, *, seed: int = 7) -> list[Ticket]:
        made.append(seed)
        return prepared

    monkeypatch.setattr("shopdesk.simulate.demo_tickets", tickets)
    sim = Simulation.__new__(Simulation)  # the customers' side only: no simulators, no servers
    sim.store, sim._tickets, sim._stop, sim._feeder = None, None, threading.Event(), None  # type: ignore[assignment]
    assert sim.prepare_traffic() == 2 and made == [7]
    sent: list[Ticket] = []
    sim.customer_writes = sent.append  # type: ignore[method-assign]
    sim.start_traffic(per_minute=6000)
    deadline = time.monotonic() + 5
    while len(sent) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    sim.stop_traffic()
    assert {t.platform for t in sent} == {"amazon", "tiktok"} and made == [7]  # bound once, before the console
