"""The demo store: deterministic, large and varied enough for a real support inbox."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tools.clock import FixedClock
from tools.models import ORDER_STATUSES, PLATFORMS, Order
from tools.sandbox.generator import GeneratorConfig, generate
from tools.sandbox.store import SandboxStore

from testdata import ANCHOR, SEED


def _hash(tmp: Path, name: str, config: GeneratorConfig) -> str:
    with SandboxStore(tmp / name, clock=FixedClock(config.anchor)) as store:
        store.load(generate(config))
        return store.content_hash()


def test_same_seed_same_store_and_other_seed_differs(tmp_path: Path, store: SandboxStore) -> None:
    config = GeneratorConfig(seed=SEED, anchor=ANCHOR)
    first = _hash(tmp_path, "a.db", config)
    assert first == _hash(tmp_path, "b.db", config)
    assert first == store.content_hash()  # the session fixture was built the same way
    assert first != _hash(tmp_path, "c.db", GeneratorConfig(seed=SEED + 1, anchor=ANCHOR))
    assert first != _hash(tmp_path, "d.db", GeneratorConfig(seed=SEED, anchor=ANCHOR + timedelta(days=1)))


def test_store_size(store: SandboxStore) -> None:
    counts = store.counts()
    assert counts["products"] >= 60
    assert sum(len(p.variants) for p in store.list_products()) > counts["products"]
    assert counts["customers"] >= 400
    assert counts["orders"] >= 3000


def test_platform_shares_are_realistic(store: SandboxStore) -> None:
    orders = store.find_orders(limit=None)
    share = {p: n / len(orders) for p, n in Counter(o.platform for o in orders).items()}
    assert set(share) == set(PLATFORMS)
    assert 0.44 <= share["amazon"] <= 0.56
    assert share["amazon"] > share["shopify"] > share["walmart"] > share["tiktok"] > share["ebay"]
    assert share["ebay"] > share["facebook"] + share["instagram"] > 0


def test_orders_span_120_days_and_nothing_happens_after_now(store: SandboxStore) -> None:
    orders = store.find_orders(limit=None)
    oldest = min(o.created_at for o in orders)
    assert ANCHOR - timedelta(days=121) <= oldest <= ANCHOR - timedelta(days=115)
    for order in orders:
        assert order.created_at <= ANCHOR
        for shipment in order.shipments:
            times = [e.at for e in shipment.events]
            assert times == sorted(times)
            assert all(t <= ANCHOR for t in times)
            if shipment.status == "delivered":
                assert shipment.delivered_at == times[-1]


def test_every_common_status_on_the_big_platforms(store: SandboxStore) -> None:
    statuses = Counter((o.platform, o.status) for o in store.find_orders(limit=None))
    for status in ORDER_STATUSES:
        assert statuses[("amazon", status)] > 0, status
    for platform in PLATFORMS:
        assert statuses[(platform, "delivered")] > 0


def test_support_states_are_all_present(store: SandboxStore) -> None:
    orders = store.find_orders(limit=None)
    shipments = [s for o in orders for s in o.shipments]
    events = Counter(e.type for s in shipments for e in s.events)
    assert {"label_created", "accepted", "in_transit", "out_for_delivery", "delivered", "exception", "delayed",
            "lost"} <= set(events)
    late = [o for o in orders if o.status == "in_transit" and any(e.type == "delayed" for s in o.shipments for e in s.events)]
    assert late, "late shipments still in transit"
    assert any(s.status == "lost" for s in shipments)
    assert {s.carrier for s in shipments} == {"USPS", "UPS", "FedEx", "Amazon Logistics"}
    returns = store.list_records("returns")
    assert {"damaged", "wrong_item", "defective", "changed_mind"} <= {r.reason for r in returns}
    assert {"requested", "approved", "in_transit", "received", "refunded", "rejected"} <= {r.status for r in returns}
    assert any(r.restocking_fee > 0 for r in returns)
    assert store.list_records("refunds") and store.list_records("cancellations")
    claims = store.list_records("claims")
    assert {"a_to_z", "item_not_received"} <= {c.type for c in claims}
    assert any(f.rating <= 2 for f in store.list_records("feedback"))
    assert store.list_records("chargebacks")
    subs = store.list_records("subscriptions")
    assert {"active", "paused", "cancelled"} <= {s.status for s in subs}
    assert store.list_records("carts")
    topics = {c.topic for c in store.list_records("conversations")}
    assert {"damaged", "lost", "not_received", "wrong_item"} <= topics


def test_fulfillment_and_addresses(store: SandboxStore) -> None:
    orders = store.find_orders(limit=None)
    channels = Counter((o.platform, o.fulfillment_channel) for o in orders)
    assert channels[("amazon", "FBA")] > channels[("amazon", "FBM")] > 0
    assert channels[("walmart", "WFS")] > 0 and channels[("walmart", "seller")] > 0
    special = [o for o in orders if o.shipping_address.is_po_box or o.shipping_address.is_military]
    assert special and all(s.carrier == "USPS" for o in special for s in o.shipments)
    assert {o.shipping_address.state for o in orders} >= {"AK", "HI"}


def test_customers_link_identities_across_platforms(store: SandboxStore) -> None:
    customers = store.list_customers()
    multi = [c for c in customers if len(c.platforms) > 1]
    assert len(multi) >= 40
    person = multi[0]
    for identity in person.identities:
        assert store.find_customer(identity.platform, identity.value).id == person.id  # type: ignore[union-attr]
    kinds = {(i.platform, i.kind) for c in customers for i in c.identities}
    assert {("amazon", "relay_email"), ("walmart", "relay_email"), ("shopify", "email"), ("tiktok", "im_user_id"),
            ("ebay", "username"), ("facebook", "psid"), ("instagram", "igsid")} <= kinds
    assert all(c.email.endswith(("@example.com", "@example.net", "@example.org")) for c in customers if c.email)


def test_order_ids_are_unique_and_shopify_names_sequential(store: SandboxStore) -> None:
    orders = sorted(store.find_orders(limit=None), key=lambda o: o.created_at)
    assert len({o.id for o in orders}) == len(orders)
    names = [int(o.id[1:]) for o in orders if o.platform in ("shopify", "facebook", "instagram")]
    assert names == list(range(1001, 1001 + len(names)))


def test_shipments_cover_lines_and_statuses_agree(store: SandboxStore) -> None:
    for order in store.find_orders(limit=None):
        shipped = {n for s in order.shipments for n in s.line_numbers}
        assert shipped <= {i.line_number for i in order.items}
        if order.status == "delivered":
            assert order.shipments and all(s.status == "delivered" for s in order.shipments)
        if order.status in ("pending", "unshipped", "cancelled"):
            assert not any(s.status not in ("label_created",) for s in order.shipments)


def test_custom_size_and_anchor_are_respected() -> None:
    anchor = datetime(2025, 12, 15, tzinfo=UTC)
    data = generate(GeneratorConfig(seed=1, anchor=anchor, customers=60, orders=200, subscriptions=5, carts=5))
    assert len(data.customers) == 60 and len(data.orders) == 200
    assert all(isinstance(o, Order) and o.created_at <= anchor for o in data.orders)
