"""Policy files load, and the windows they define are computed as the platforms state them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from tools.calendar import add_business_days, is_business_day
from tools.models import PLATFORMS, Order
from tools.policy.loader import load_policies, policy_for
from tools.sandbox.store import SandboxStore


def test_every_platform_has_a_policy_file() -> None:
    policies = load_policies()
    assert set(policies) == set(PLATFORMS)
    assert policy_for("tiktok").returns.defect_window_days == 90
    assert policy_for("walmart").messaging.urgent_reply_hours == 1
    assert policy_for("amazon").orders.address_change_allowed is False
    assert policy_for("shopify").orders.address_change_allowed is True


def test_a_malformed_policy_file_is_an_error(tmp_path: Path) -> None:
    for platform in PLATFORMS:
        source = Path(__file__).resolve().parents[2] / "tools" / "policy" / f"{platform}.toml"
        text = source.read_text()
        if platform == "ebay":
            text = text.replace("window_days = 30", "window_days = -5", 1)
        (tmp_path / f"{platform}.toml").write_text(text)
    with pytest.raises(ValidationError, match="window_days"):
        load_policies(tmp_path)


def _delivered(store: SandboxStore, platform: str) -> Order:
    return next(o for o in store.find_orders(platform=platform, status="delivered", limit=None))  # type: ignore[arg-type]


def test_window_starts_at_delivery_for_amazon(store: SandboxStore) -> None:
    order = _delivered(store, "amazon")
    end = policy_for("amazon").return_window_end(order, "changed_mind")
    base = order.delivered_at.date() + timedelta(days=30)  # type: ignore[union-attr]
    assert end == base or (end > base and date(order.created_at.year, 11, 1) <= order.created_at.date())


def test_walmart_window_starts_seven_days_after_shipping(store: SandboxStore) -> None:
    order = next(o for o in store.find_orders(platform="walmart", status="delivered", limit=None)
                 if o.created_at.month < 11)
    end = policy_for("walmart").return_window_end(order, "changed_mind")
    assert end == order.shipped_at.date() + timedelta(days=7 + 30)  # type: ignore[union-attr]


def test_defect_window_is_longer_on_tiktok(store: SandboxStore) -> None:
    order = next(o for o in store.find_orders(platform="tiktok", status="delivered", limit=None))
    policy = policy_for("tiktok")
    assert policy.return_window_end(order, "defective") - policy.return_window_end(order, "changed_mind") == timedelta(days=60)  # type: ignore[operator]


def test_holiday_extension_runs_to_january_31(store: SandboxStore) -> None:
    order = _delivered(store, "amazon").model_copy(update={"created_at": datetime(2026, 11, 20, tzinfo=UTC)})
    assert policy_for("amazon").return_window_end(order, "changed_mind") == date(2027, 1, 31)
    assert policy_for("tiktok").return_window_end(order.model_copy(update={"platform": "tiktok"}), "changed_mind") != date(2027, 1, 31)


def test_undelivered_order_has_no_window_yet(store: SandboxStore) -> None:
    order = next(o for o in store.find_orders(platform="amazon", status="unshipped", limit=None))
    assert policy_for("amazon").return_window_end(order, "changed_mind") is None


def test_fees_and_shipping_by_reason() -> None:
    shopify = policy_for("shopify")
    assert shopify.restocking_fee_pct("changed_mind") == 10
    assert shopify.restocking_fee_pct("damaged") == 0
    assert shopify.return_shipping_paid_by("changed_mind") == "buyer"
    assert shopify.return_shipping_paid_by("wrong_item") == "seller"
    assert policy_for("walmart").return_shipping_paid_by("changed_mind") == "seller"
    for policy in load_policies().values():
        assert policy.returns.restocking_fee_pct <= max(policy.returns.restocking_fee_cap_pct, 0) or policy.returns.restocking_fee_pct == 0


def test_business_days_skip_weekends_and_federal_holidays() -> None:
    assert not is_business_day(date(2026, 11, 26))  # Thanksgiving
    assert add_business_days(date(2026, 11, 25), 2) == date(2026, 11, 30)  # Thu holiday, Fri, weekend
    assert policy_for("amazon").refund_due(date(2026, 11, 25)) == date(2026, 11, 30)
    assert policy_for("walmart").refund_due(date(2026, 11, 25)) == date(2026, 11, 27)
