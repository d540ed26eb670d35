"""What a tool knows about who is asking, injected by the agent, never chosen by the LLM.

The customer and platform come from the conversation (identify step). A write runs only when
the exact action was confirmed (the customer's explicit yes, or a human's approval when the
amount is above the seller's threshold); otherwise the tool answers with the action it proposes.

`identity_verified` is False when nobody vouches for the sender (an email without a DMARC pass): then no
tool reads or changes a customer's data, whatever else the context says. `verified_email` is the address
an email proved; a write asked for by email then also needs it to be the order's email on file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from tools.backend import CommerceBackend
from tools.clock import Clock, SystemClock
from tools.models import Customer, Platform
from tools.platform_profiles import STORE_FAMILY, same_store
from tools.policy.loader import PlatformPolicy, SellerPolicy, load_policies, load_seller
from tools.results import PendingAction


@dataclass
class ToolContext:
    backend: CommerceBackend
    customer_id: str | None
    platform: Platform
    refund_approval_threshold: Decimal = Decimal("50.00")
    confirmed: PendingAction | None = None
    approved: bool = False
    idempotency_prefix: str = ""
    identity_verified: bool = True
    verified_email: str | None = None
    clock: Clock = field(default_factory=SystemClock)
    policies: dict[Platform, PlatformPolicy] = field(default_factory=load_policies)
    seller: SellerPolicy = field(default_factory=load_seller)

    @property
    def policy(self) -> PlatformPolicy:
        return self.policies[self.platform]


def emails_on_file(customer: Customer, platform: Platform) -> set[str]:
    """The addresses an order on `platform` knows its buyer by: the relay or store email of that channel
    family, and the account email for own-store (Shopify, Facebook, Instagram) orders."""
    found = {i.value for i in customer.identities if i.kind in ("email", "relay_email")
             and same_store(i.platform, platform)}
    if platform in STORE_FAMILY and customer.email:
        found.add(customer.email)
    return {e.strip().lower() for e in found}
