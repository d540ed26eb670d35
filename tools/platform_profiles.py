"""One table of what each of the seven platforms is: how it writes order ids, how it names a customer, and
whether its orders check out on the seller's own store.

The models, the entity extractor, the demo-store generator, the channels and the reply checks read these
facts here instead of keeping their own copies, so a new platform or a changed id format is one edit.
What a seller may change (display names, message limits, windows, fees) is not here: it lives in
`tools/policy/*.toml` (`PlatformPolicy`), read through `tools.policy.loader`.

US Facebook and Instagram Shops check out on the seller's own (Shopify) site, so the three form one store
family: their orders carry Shopify order names from one sequence, and the store knows the buyer's email.
"""

from __future__ import annotations

import re
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

Platform = Literal["amazon", "walmart", "shopify", "tiktok", "ebay", "facebook", "instagram"]
PLATFORMS: tuple[Platform, ...] = get_args(Platform)
StorePlatform = Literal["shopify", "facebook", "instagram"]
"""The store family: the own store and the Meta shops that check out on it."""
IdentityKind = Literal["relay_email", "email", "phone", "im_user_id", "buyer_id", "username", "psid", "igsid"]


class OrderIdFormat(BaseModel):
    """How a platform writes the order id its customers see, as a regex without anchors or boundaries.

    `prefix` is a sign written before the number ("#1001"; one character, or none) that customers often leave
    out, so text readers look for the number after an "order" cue too; `number` is the rest.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    number: str
    prefix: str = Field(default="", max_length=1)

    @property
    def pattern(self) -> str:
        """The whole id, unanchored: for finding ids inside text (each reader adds its own boundaries)."""
        return f"{self.prefix}{self.number}"

    @property
    def anchored(self) -> re.Pattern[str]:
        """The whole id and nothing else: for validating an id where it enters."""
        return re.compile(f"^{self.pattern}$")


class PlatformProfile(BaseModel):
    """The fixed facts of one platform (the seller's own settings are in `tools/policy/<id>.toml`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Platform
    order_id: OrderIdFormat
    identity_kinds: tuple[IdentityKind, ...] = Field(
        min_length=1, description="How the platform names a customer (the demo store makes one of each, in order).")
    store_family: bool = Field(description="Checks out on the seller's own store: shares its orders and emails.")
    meta_shop: bool = Field(default=False, description="A Meta shop (the knowledge base files it under Meta).")
    own_site: str | None = Field(
        default=None, description="The marketplace's own site name: in a reply it names the marketplace "
                                  "('Your Orders on Amazon.com'), it is not a link out.")


_STORE_ORDER_NAME = OrderIdFormat(prefix="#", number=r"\d{4,}")  # Shopify order names, one sequence for the family

PROFILES: dict[Platform, PlatformProfile] = {
    profile.id: profile for profile in (
        PlatformProfile(id="amazon", order_id=OrderIdFormat(number=r"\d{3}-\d{7}-\d{7}"),
                        identity_kinds=("relay_email",), store_family=False, own_site="amazon.com"),
        PlatformProfile(id="walmart", order_id=OrderIdFormat(number=r"\d{13,15}"),
                        identity_kinds=("relay_email",), store_family=False, own_site="walmart.com"),
        PlatformProfile(id="shopify", order_id=_STORE_ORDER_NAME,
                        identity_kinds=("email", "phone"), store_family=True),
        PlatformProfile(id="tiktok", order_id=OrderIdFormat(number=r"\d{18}"),
                        identity_kinds=("im_user_id", "buyer_id"), store_family=False),
        PlatformProfile(id="ebay", order_id=OrderIdFormat(number=r"\d{2}-\d{5}-\d{5}"),
                        identity_kinds=("username",), store_family=False, own_site="ebay.com"),
        PlatformProfile(id="facebook", order_id=_STORE_ORDER_NAME,
                        identity_kinds=("psid",), store_family=True, meta_shop=True),
        PlatformProfile(id="instagram", order_id=_STORE_ORDER_NAME,
                        identity_kinds=("igsid",), store_family=True, meta_shop=True),
    )
}

STORE_PLATFORMS: tuple[Platform, ...] = tuple(p for p, profile in PROFILES.items() if profile.store_family)
"""The store family in `PLATFORMS` order (iterate this one: a frozenset's order changes between runs);
`StorePlatform` names the same three for typing."""
STORE_FAMILY: frozenset[str] = frozenset(STORE_PLATFORMS)
STORE_HOME: Platform = "shopify"
"""The store itself: the family checks out here, so a Meta shop's buyer is a store customer too."""
MARKETPLACES: tuple[Platform, ...] = tuple(p for p in PLATFORMS if p not in STORE_FAMILY)
"""Platforms whose orders run through the marketplace's own account."""
META_SHOPS: frozenset[str] = frozenset(p for p, profile in PROFILES.items() if profile.meta_shop)

ORDER_ID_PATTERNS: dict[Platform, re.Pattern[str]] = {p: profile.order_id.anchored for p, profile in PROFILES.items()}
"""Anchored order-id format per platform (`tools.models.validate_order_id`, email parsing)."""


def same_store(a: str, b: str) -> bool:
    """Whether an order placed on `a` can be dealt with from `b`: the same platform, or both in the store
    family (Facebook and Instagram shops check out on the own store, so the three share orders)."""
    return a == b or (a in STORE_FAMILY and b in STORE_FAMILY)
