"""The CommerceBackend protocol: what the agent's tools need from a store.

The sandbox store implements it over SQLite; platform adapters (Shopify GraphQL, SP-API...)
implement the same methods, so tools never know which one they talk to. Writes check their
preconditions and raise `tools.errors.PreconditionFailed`; unknown ids raise `NotFoundError`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol, runtime_checkable

from tools.models import (
    Address,
    Cancellation,
    Claim,
    Conversation,
    Customer,
    Feedback,
    Order,
    OrderStatus,
    Platform,
    Product,
    Refund,
    Return,
    ReturnItem,
    ReturnReason,
    Shipment,
    Subscription,
    SubscriptionAction,
    Variant,
)


@runtime_checkable
class CommerceBackend(Protocol):
    # ---- reads
    def find_customer(self, platform: Platform, identity: str) -> Customer | None:
        """The customer behind a platform identity (relay email, im_user_id, PSID...), if known."""

    def get_customer(self, customer_id: str) -> Customer: ...

    def customer_orders(self, customer_id: str, platform: Platform | None = None) -> list[Order]:
        """Newest first."""

    def get_order(self, order_id: str) -> Order: ...

    def find_orders(
        self,
        *,
        platform: Platform | None = None,
        status: OrderStatus | None = None,
        customer_id: str | None = None,
        limit: int = 50,
    ) -> list[Order]: ...

    def track(self, tracking_number: str) -> tuple[Order, Shipment]: ...

    def get_product(self, product_id: str) -> Product: ...

    def get_variant(self, sku: str) -> tuple[Product, Variant]: ...

    def search_products(self, query: str, limit: int = 10) -> list[Product]: ...

    def list_products(self) -> list[Product]: ...

    def order_returns(self, order_id: str) -> list[Return]: ...

    def order_refunds(self, order_id: str) -> list[Refund]: ...

    def customer_returns(self, customer_id: str) -> list[Return]: ...

    def customer_refunds(self, customer_id: str) -> list[Refund]: ...

    def customer_subscriptions(self, customer_id: str) -> list[Subscription]: ...

    def customer_claims(self, customer_id: str) -> list[Claim]: ...

    def customer_feedback(self, customer_id: str) -> list[Feedback]: ...

    def customer_conversations(self, customer_id: str) -> list[Conversation]: ...

    def get_subscription(self, subscription_id: str) -> Subscription: ...

    # ---- writes: each checks its preconditions; the same idempotency key never writes twice
    def create_return(
        self, order_id: str, items: list[ReturnItem], reason: ReturnReason, note: str | None = None,
        *, idempotency_key: str | None = None,
    ) -> Return: ...

    def refund(
        self, order_id: str, amount: Decimal, reason: str, return_id: str | None = None,
        *, idempotency_key: str | None = None,
    ) -> Refund: ...

    def cancel_order(
        self, order_id: str, reason: str, requested_by: str = "buyer", *, idempotency_key: str | None = None
    ) -> Cancellation: ...

    def change_address(self, order_id: str, address: Address, *, idempotency_key: str | None = None) -> Order: ...

    def update_subscription(
        self, subscription_id: str, action: SubscriptionAction, *, idempotency_key: str | None = None
    ) -> Subscription: ...
