"""Sandbox store figures: generation and load time, content hash time, read latencies.

Run: .venv/bin/python benchmarks/bench_store.py  (or `make bench`)
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from tools.clock import FixedClock
from tools.sandbox.generator import GeneratorConfig, generate
from tools.sandbox.store import SandboxStore

ANCHOR = datetime(2026, 11, 26, tzinfo=UTC)


def _pct(samples: list[float], q: float) -> float:
    return sorted(samples)[min(len(samples) - 1, int(q * len(samples)))] * 1000


def _timed(label: str, calls: list, repeat: int = 1) -> None:  # type: ignore[type-arg]
    samples = []
    for _ in range(repeat):
        for call in calls:
            started = time.perf_counter()
            call()
            samples.append(time.perf_counter() - started)
    print(f"{label:<28} n={len(samples):<5} p50={_pct(samples, 0.5):7.3f} ms  p95={_pct(samples, 0.95):7.3f} ms")


def main() -> None:
    started = time.perf_counter()
    data = generate(GeneratorConfig(seed=7, anchor=ANCHOR))
    generated = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        store = SandboxStore(Path(tmp) / "store.db", clock=FixedClock(ANCHOR))
        started = time.perf_counter()
        store.load(data)
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        digest = store.content_hash()
        hashed = time.perf_counter() - started
        counts = store.counts()
        size_mb = (Path(tmp) / "store.db").stat().st_size / 1e6
        print(f"store: {counts['customers']} customers, {counts['products']} products, {counts['orders']} orders, "
              f"{sum(counts.values())} records, {size_mb:.1f} MB")
        print(f"generate {generated:.3f} s   load {loaded:.3f} s   content hash {hashed:.3f} s ({digest[:12]})")
        rng = random.Random(1)
        orders = rng.sample(data.orders, 300)
        customers = rng.sample(data.customers, 300)
        tracking = [s.tracking_number for o in data.orders for s in o.shipments]
        _timed("get_order", [lambda o=o: store.get_order(o.id) for o in orders])
        _timed("customer_orders", [lambda c=c: store.customer_orders(c.id) for c in customers])
        _timed("find_customer(identity)",
               [lambda c=c: store.find_customer(c.identities[0].platform, c.identities[0].value) for c in customers])
        _timed("track(tracking number)", [lambda t=t: store.track(t) for t in rng.sample(tracking, 300)])
        _timed("search_products", [lambda q=q: store.search_products(q) for q in
                                   ("cast iron", "cooler", "tent", "kettle", "lantern", "water bottle")], repeat=20)
        store.close()
    print(f"mean order total ${statistics.mean(float(o.total) for o in data.orders):.2f}")


if __name__ == "__main__":
    main()
