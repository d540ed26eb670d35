"""Typed per-platform policy, loaded from the TOML files beside this module.

The files are data a seller can read and change; every window, timeline and limit that a
tool enforces or a reply quotes comes from here, never from a constant in code.
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tools.calendar import add_days
from tools.models import DEFECT_REASONS, PLATFORMS, Carrier, Order, Platform, ReturnReason

DayKind = Literal["business", "calendar"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReturnPolicy(_Strict):
    window_days: int = Field(ge=0)
    window_starts: Literal["delivery", "ship_date"]
    window_start_offset_days: int = Field(default=0, ge=0)
    defect_window_days: int = Field(ge=0)
    holiday_extension: bool
    remorse_return_shipping_paid_by: Literal["buyer", "seller"]
    restocking_fee_pct: float = Field(ge=0, le=100)
    restocking_fee_cap_pct: float = Field(ge=0, le=100)
    exchanges: bool
    started_by: Literal["seller", "buyer"] = Field(
        default="seller", description="buyer: the marketplace's own return flow; the seller cannot open one.")
    how_to_start: str = Field(default="", description="Where the customer starts a return (customer-facing).")


class RefundPolicy(_Strict):
    days_after_receipt: int = Field(ge=0)
    day_kind: DayKind
    posting_days_min: int = Field(ge=0)
    posting_days_max: int = Field(ge=0)
    charged_at: Literal["order", "shipment"]


class OrderPolicy(_Strict):
    address_change_allowed: bool
    cancellable_statuses: tuple[str, ...]


class MessagingPolicy(_Strict):
    first_reply_hours: int = Field(gt=0)
    clock: DayKind
    urgent_reply_hours: int | None = None
    human_agent_tag_hours: int | None = None
    max_chars: int = Field(gt=0)
    html_allowed: bool
    links_allowed: bool
    allowed_link_domains: tuple[str, ...]
    email_addresses_allowed: bool
    phone_numbers_allowed: bool
    off_platform_contact_allowed: bool
    marketing_allowed: bool
    review_requests_allowed: bool


class ClaimPolicy(_Strict):
    response_hours: int = Field(gt=0)
    buyer_contact_hours_before_claim: int | None = None


class PlatformPolicy(_Strict):
    platform: Platform
    display_name: str
    returns: ReturnPolicy
    refunds: RefundPolicy
    orders: OrderPolicy
    messaging: MessagingPolicy
    claims: ClaimPolicy | None = None
    account_health: dict[str, float] = Field(default_factory=dict)

    def holiday_return_by(self, order: Order) -> date | None:
        """The holiday extension's last return day for this order, or None when the extension does not cover it
        (the channel has none, or the order was placed outside the holiday purchase period)."""
        if not self.returns.holiday_extension:
            return None
        return load_seller().holiday_returns.return_by_for(order.created_at.date())

    def usual_return_window_end(self, order: Order, reason: ReturnReason) -> date | None:
        """Last day of the usual window (no holiday extension), or None while the clock has not started yet.
        Defect reasons get the (longer or equal) defect window."""
        r = self.returns
        if r.window_starts == "delivery":
            anchor: datetime | None = order.delivered_at
        else:
            anchor = order.shipped_at
        if anchor is None:
            return None
        start = anchor.date() + timedelta(days=r.window_start_offset_days)
        return start + timedelta(days=self.return_window_days(reason))

    def return_window_end(self, order: Order, reason: ReturnReason) -> date | None:
        """Last day a return may be started, or None while the clock has not started yet; the holiday extension
        only ever lengthens a window."""
        end = self.usual_return_window_end(order, reason)
        if end is None:
            return None
        holiday = self.holiday_return_by(order)
        return max(end, holiday) if holiday else end

    def return_window_days(self, reason: ReturnReason) -> int:
        """The usual window's length in days for this reason."""
        r = self.returns
        return max(r.defect_window_days, r.window_days) if reason in DEFECT_REASONS else r.window_days

    def holiday_extended(self, order: Order, reason: ReturnReason) -> bool:
        """Whether the holiday extension, not the usual window, sets the order's last return day."""
        usual, end = self.usual_return_window_end(order, reason), self.return_window_end(order, reason)
        return usual is not None and end is not None and end > usual

    def return_shipping_paid_by(self, reason: ReturnReason) -> Literal["buyer", "seller"]:
        if reason in DEFECT_REASONS:
            return "seller"
        return self.returns.remorse_return_shipping_paid_by

    def restocking_fee_pct(self, reason: ReturnReason) -> float:
        """The seller's fee for this reason, never above the platform's cap; none for defects."""
        if reason in DEFECT_REASONS or reason == "arrived_late":
            return 0.0
        return min(self.returns.restocking_fee_pct, self.returns.restocking_fee_cap_pct)

    def refund_due(self, received: date) -> date:
        """When a refund must be issued after the returned item arrives."""
        return add_days(received, self.refunds.days_after_receipt, self.refunds.day_kind)


class ShippingService(_Strict):
    carrier: Carrier
    name: str
    min_days: int = Field(ge=0)
    max_days: int = Field(ge=0)


class SellerShipping(_Strict):
    ships_from: str
    handling_business_days: int = Field(ge=0)
    marketplace_handling_business_days: int = Field(ge=0)
    free_shipping_threshold: float = Field(ge=0)
    standard_shipping_fee: float = Field(ge=0)
    marketplace_shipping_fee: float = Field(ge=0)
    remote_extra_days: int = Field(ge=0)
    no_scan_trace_days: int = Field(gt=0)
    lost_declared_days: int = Field(gt=0)
    delivered_not_received_wait_hours: int = Field(gt=0)
    ships_internationally: bool
    services: dict[str, ShippingService]

    def services_of(self, carrier: Carrier) -> list[ShippingService]:
        return [s for s in self.services.values() if s.carrier == carrier]


class HolidayReturns(_Strict):
    """Bought between purchase_from and purchase_to: returnable until return_by of the next year."""

    purchase_from: str
    purchase_to: str
    return_by: str

    @staticmethod
    def _day(text: str, year: int) -> date:
        return datetime.strptime(f"{text} {year}", "%B %d %Y").date()

    def return_by_for(self, bought: date) -> date | None:
        start, end = self._day(self.purchase_from, bought.year), self._day(self.purchase_to, bought.year)
        if not start <= bought <= end:
            return None
        return self._day(self.return_by, bought.year + 1)


class SellerSubscriptions(_Strict):
    """Subscribe & Save: the discount, the intervals a person can set, and the channels whose customers can
    hold one with the seller (a marketplace's own subscription program is the marketplace's, not ours)."""

    discount_pct: int = Field(ge=0, le=100)
    intervals_days: list[int] = Field(min_length=1)
    offered_on: list[Platform] = Field(min_length=1)

    def offered(self, platform: str) -> bool:
        return platform in self.offered_on


class SellerPolicy(_Strict):
    """The seller's own facts; see seller.toml."""

    brand: dict[str, str]
    shipping: SellerShipping
    holiday_returns: HolidayReturns
    subscriptions: SellerSubscriptions
    promotions: dict[str, int]
    warranty: dict[str, str]
    us_law: dict[str, int]


def _policy_dir() -> Path:
    return Path(str(resources.files("tools.policy")))


@lru_cache(maxsize=4)
def load_policies(directory: Path | None = None) -> dict[Platform, PlatformPolicy]:
    """Read and validate every platform's file; a missing or malformed file is an error."""
    folder = directory or _policy_dir()
    policies: dict[Platform, PlatformPolicy] = {}
    for platform in PLATFORMS:
        path = folder / f"{platform}.toml"
        with path.open("rb") as fh:
            policy = PlatformPolicy.model_validate(tomllib.load(fh))
        if policy.platform != platform:
            raise ValueError(f"{path} declares platform {policy.platform!r}")
        policies[platform] = policy
    return policies


def policy_for(platform: Platform) -> PlatformPolicy:
    return load_policies()[platform]


@lru_cache(maxsize=4)
def load_seller(directory: Path | None = None) -> SellerPolicy:
    path = (directory or _policy_dir()) / "seller.toml"
    with path.open("rb") as fh:
        return SellerPolicy.model_validate(tomllib.load(fh))


def policy_data(directory: Path | None = None) -> dict[str, object]:
    """Every policy value as plain data ({platform: ..., "seller": ...}), for documents to quote."""
    data: dict[str, object] = {p: pol.model_dump(mode="json") for p, pol in load_policies(directory).items()}
    data["seller"] = load_seller(directory).model_dump(mode="json")
    return data
