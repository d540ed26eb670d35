"""The platform table: complete for every platform, and the one source the models, the generator, the entity
extractor and the channels agree on."""

from __future__ import annotations

from collections import defaultdict
from typing import get_args

import pytest

from agent.triage.entities import extract_entities
from channels.meta import webhook as meta_webhook
from tools.contacts import Contact, names_the_marketplace
from tools.models import PLATFORMS, Order, Platform, validate_order_id
from tools.platform_profiles import (
    MARKETPLACES,
    META_SHOPS,
    ORDER_ID_PATTERNS,
    PROFILES,
    STORE_FAMILY,
    STORE_HOME,
    STORE_PLATFORMS,
    StorePlatform,
    same_store,
)
from tools.sandbox.store import SandboxStore

PER_PLATFORM = 40  # generated orders checked per platform: enough to cover each id generator's range


def _orders_by_platform(store: SandboxStore) -> dict[Platform, list[Order]]:
    found: dict[Platform, list[Order]] = defaultdict(list)
    for order in store.find_orders(limit=None):
        found[order.platform].append(order)
    return found


def test_the_table_covers_every_platform_once_in_platform_order() -> None:
    assert tuple(PROFILES) == PLATFORMS
    assert len(PLATFORMS) == 7
    for platform, profile in PROFILES.items():
        assert profile.id == platform
        assert profile.identity_kinds
        assert ORDER_ID_PATTERNS[platform].pattern == f"^{profile.order_id.pattern}$"


def test_store_family_is_the_same_three_everywhere() -> None:
    assert STORE_PLATFORMS == get_args(StorePlatform) == ("shopify", "facebook", "instagram")
    assert STORE_FAMILY == frozenset(STORE_PLATFORMS)
    assert STORE_HOME in STORE_FAMILY
    assert META_SHOPS < STORE_FAMILY
    assert set(MARKETPLACES) | STORE_FAMILY == set(PLATFORMS) and not set(MARKETPLACES) & STORE_FAMILY
    # the family shares one sequence of order names, so one format
    assert len({PROFILES[p].order_id for p in STORE_PLATFORMS}) == 1


@pytest.mark.parametrize(("a", "b", "same"), [
    ("amazon", "amazon", True), ("shopify", "facebook", True), ("instagram", "facebook", True),
    ("shopify", "shopify", True), ("amazon", "walmart", False), ("amazon", "shopify", False),
    ("ebay", "instagram", False),
])
def test_same_store(a: Platform, b: Platform, same: bool) -> None:
    assert same_store(a, b) is same
    assert same_store(b, a) is same


def test_every_generated_order_id_has_its_platforms_format(store: SandboxStore) -> None:
    by_platform = _orders_by_platform(store)
    assert set(by_platform) == set(PLATFORMS)
    for platform, orders in by_platform.items():
        for order in orders:
            assert ORDER_ID_PATTERNS[platform].match(order.id), (platform, order.id)
            assert validate_order_id(platform, order.id) == order.id
        others = [p for p in MARKETPLACES if p != platform and PROFILES[p].order_id != PROFILES[platform].order_id]
        for other in others:  # the marketplaces' formats do not overlap
            assert not any(ORDER_ID_PATTERNS[other].match(o.id) for o in orders[:PER_PLATFORM]), (platform, other)


@pytest.mark.parametrize("template", ["Where is my order {id}?", "order number: {id}", "{id} never arrived"])
def test_the_entity_extractor_finds_generated_ids(store: SandboxStore, template: str) -> None:
    for platform, orders in _orders_by_platform(store).items():
        for order in orders[:PER_PLATFORM]:
            found = extract_entities(template.format(id=order.id), platform).order_ids
            assert found == [order.id], (platform, order.id, found)


def test_a_store_order_name_typed_without_its_sign_is_found() -> None:
    prefix = PROFILES[STORE_HOME].order_id.prefix
    for platform in STORE_PLATFORMS:
        assert extract_entities("my order number 1042 still has not come", platform).order_ids == [f"{prefix}1042"]


def test_the_meta_webhook_reads_store_order_names() -> None:
    assert meta_webhook._ORDER_NAME.search("hi, order no. 1042 is late").group(1) == "1042"  # type: ignore[union-attr]
    assert meta_webhook._ORDER_NAME.search("where is #1042?").group(0) == "#1042"  # type: ignore[union-attr]


def test_generated_customers_are_known_by_their_platforms_identity_kinds(store: SandboxStore) -> None:
    seen: dict[Platform, set[str]] = defaultdict(set)
    for customer in store.list_customers():
        for identity in customer.identities:
            seen[identity.platform].add(identity.kind)
    assert {p: set(PROFILES[p].identity_kinds) for p in PLATFORMS} == seen


@pytest.mark.parametrize(("platform", "text", "own"), [
    ("amazon", "amazon.com", True), ("amazon", "Amazon.com", True), ("walmart", "walmart.com", True),
    ("walmart", "amazon.com", False), ("tiktok", "tiktok.com", False), ("shopify", "amazon.com", False),
    ("amazon", "amazon.com.evil.ru", False),
])
def test_only_a_marketplaces_own_name_is_not_a_link_out(platform: Platform, text: str, own: bool) -> None:
    link = Contact(kind="link", text=text, key=text.lower())
    assert names_the_marketplace(link, platform) is own
