"""The sandbox store: the demo seller's commerce data in one SQLite file.

Records are stored as validated JSON documents (one table per record kind) with a few indexed
columns for lookups, the way tau2-bench keeps its retail domain: the whole state hashes to one
value, which makes "refused writes change nothing" and "same seed, same store" one comparison.
Every write runs in an IMMEDIATE transaction, so the check and the change are atomic even with
several worker processes. A write given an idempotency key records its result in the same
transaction; the same key again returns that result instead of writing twice (a crashed and
resumed agent run never repeats a refund).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from tools.calendar import add_business_days
from tools.clock import Clock, SystemClock
from tools.eligibility import return_standing
from tools.errors import NotFoundError, PreconditionFailed, StoreNotSeededError
from tools.models import (
    AbandonedCart,
    Address,
    Cancellation,
    Chargeback,
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
    ReturnLabel,
    ReturnReason,
    Shipment,
    Subscription,
    SubscriptionAction,
    Variant,
)
from tools.platform_status import native_status
from tools.policy.loader import PlatformPolicy, load_policies
from tools.sqlite import immediate, open_db

M = TypeVar("M", bound=BaseModel)

SCHEMA_VERSION = "1"


@dataclass(frozen=True)
class _Table:
    name: str
    model: type[BaseModel]
    columns: tuple[str, ...] = ()


# Order matters: it is the order of the content hash.
TABLES: tuple[_Table, ...] = (
    _Table("customers", Customer),
    _Table("products", Product),
    _Table("orders", Order, ("platform", "customer_id", "status", "created_at")),
    _Table("returns", Return, ("order_id", "customer_id")),
    _Table("refunds", Refund, ("order_id", "customer_id")),
    _Table("cancellations", Cancellation, ("order_id", "customer_id")),
    _Table("subscriptions", Subscription, ("customer_id",)),
    _Table("carts", AbandonedCart, ("customer_id",)),
    _Table("feedback", Feedback, ("order_id", "customer_id")),
    _Table("claims", Claim, ("order_id", "customer_id")),
    _Table("chargebacks", Chargeback, ("order_id", "customer_id")),
    _Table("conversations", Conversation, ("customer_id", "platform")),
)
_BY_MODEL = {t.model: t for t in TABLES}
_BY_NAME = {t.name: t for t in TABLES}


class StoreData(BaseModel):
    """A whole store in memory: what the generator produces and `SandboxStore.load` writes."""

    customers: list[Customer] = []
    products: list[Product] = []
    orders: list[Order] = []
    returns: list[Return] = []
    refunds: list[Refund] = []
    cancellations: list[Cancellation] = []
    subscriptions: list[Subscription] = []
    carts: list[AbandonedCart] = []
    feedback: list[Feedback] = []
    claims: list[Claim] = []
    chargebacks: list[Chargeback] = []
    conversations: list[Conversation] = []


def _schema() -> str:
    parts = []
    for t in TABLES:
        cols = "".join(f", {c} TEXT" for c in t.columns)
        parts.append(f"CREATE TABLE IF NOT EXISTS {t.name} (id TEXT PRIMARY KEY{cols}, data TEXT NOT NULL);")
        parts.extend(
            f"CREATE INDEX IF NOT EXISTS ix_{t.name}_{c} ON {t.name}({c});" for c in t.columns
        )
    parts.append(
        """
        CREATE TABLE IF NOT EXISTS identities (
            platform TEXT NOT NULL, value TEXT NOT NULL, kind TEXT NOT NULL, customer_id TEXT NOT NULL,
            PRIMARY KEY (platform, value));
        CREATE TABLE IF NOT EXISTS skus (sku TEXT PRIMARY KEY, product_id TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS tracking (tracking_number TEXT PRIMARY KEY, order_id TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS write_ledger (
            key TEXT PRIMARY KEY, kind TEXT NOT NULL, result TEXT NOT NULL, at TEXT NOT NULL);
        """
    )
    return "\n".join(parts)


class SandboxStore:
    """A `CommerceBackend` over SQLite with policy-checked writes."""

    def __init__(
        self,
        path: Path | str,
        *,
        clock: Clock | None = None,
        policies: dict[Platform, PlatformPolicy] | None = None,
    ) -> None:
        self.path = Path(path)
        self.clock = clock or SystemClock()
        self.policies = policies or load_policies()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = open_db(self.path)
        self._db.executescript(_schema())

    # ------------------------------------------------------------ plumbing

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SandboxStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return immediate(self._db, self._lock)

    def _put(self, record: BaseModel) -> None:
        table = _BY_MODEL[type(record)]
        values = [getattr(record, "id")]
        values += [_column_value(getattr(record, c)) for c in table.columns]
        values.append(record.model_dump_json())
        marks = ",".join("?" * len(values))
        cols = ",".join(("id", *table.columns, "data"))
        self._db.execute(f"INSERT OR REPLACE INTO {table.name} ({cols}) VALUES ({marks})", values)
        if isinstance(record, Order):
            for shipment in record.shipments:
                self._db.execute(
                    "INSERT OR REPLACE INTO tracking VALUES (?, ?)", (shipment.tracking_number, record.id)
                )

    def _get(self, model: type[M], record_id: str, what: str) -> M:
        table = _BY_MODEL[model]
        row = self._db.execute(f"SELECT data FROM {table.name} WHERE id = ?", (record_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"No {what} {record_id} in this store.", record_id=record_id)
        return model.model_validate_json(row[0])  # type: ignore[return-value]

    def _select(self, model: type[M], where: str = "", params: Sequence[object] = (), order: str = "id") -> list[M]:
        table = _BY_MODEL[model]
        sql = f"SELECT data FROM {table.name} {('WHERE ' + where) if where else ''} ORDER BY {order}"
        return [model.model_validate_json(r[0]) for r in self._db.execute(sql, params)]  # type: ignore[misc]

    def _next_id(self, model: type[BaseModel], prefix: str, width: int) -> str:
        table = _BY_MODEL[model]
        row = self._db.execute(
            f"SELECT id FROM {table.name} WHERE id LIKE ? ORDER BY id DESC LIMIT 1", (prefix + "%",)
        ).fetchone()
        number = int(row[0][len(prefix):]) + 1 if row else 1
        return f"{prefix}{number:0{width}d}"

    def _replayed(self, key: str | None, model: type[M]) -> M | None:
        """The recorded result of a write already done under this idempotency key, if any."""
        if key is None:
            return None
        row = self._db.execute("SELECT result FROM write_ledger WHERE key = ?", (key,)).fetchone()
        return model.model_validate_json(row[0]) if row else None  # type: ignore[return-value]

    def _record(self, key: str | None, result: BaseModel) -> None:
        if key is not None:
            self._db.execute(
                "INSERT INTO write_ledger VALUES (?, ?, ?, ?)",
                (key, type(result).__name__, result.model_dump_json(), self.clock.now().isoformat()),
            )

    def policy(self, platform: Platform) -> PlatformPolicy:
        return self.policies[platform]

    # ------------------------------------------------------------ bulk load and integrity

    def load(self, data: StoreData, *, meta: dict[str, str] | None = None) -> None:
        """Replace the whole store with `data` in one transaction."""
        with self._tx() as db:
            for t in TABLES:
                db.execute(f"DELETE FROM {t.name}")
            for extra in ("identities", "skus", "tracking", "meta"):
                db.execute(f"DELETE FROM {extra}")
            for t in TABLES:
                for record in getattr(data, t.name):
                    self._put(record)
            for customer in data.customers:
                for identity in customer.identities:
                    db.execute(
                        "INSERT INTO identities VALUES (?, ?, ?, ?)",
                        (identity.platform, identity.value.lower(), identity.kind, customer.id),
                    )
            for product in data.products:
                for variant in product.variants:
                    db.execute("INSERT INTO skus VALUES (?, ?)", (variant.sku, product.id))
            for key, value in {"schema_version": SCHEMA_VERSION, **(meta or {})}.items():
                db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def meta(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT key, value FROM meta").fetchall())

    def is_seeded(self) -> bool:
        return self._db.execute("SELECT 1 FROM orders LIMIT 1").fetchone() is not None

    def require_seeded(self) -> None:
        if not self.is_seeded():
            raise StoreNotSeededError(f"The store at {self.path} is empty: run `shopdesk store seed` first.")

    def content_hash(self) -> str:
        """SHA-256 over every record, in table and id order: equal hashes mean equal stores."""
        digest = hashlib.sha256()
        for t in TABLES:
            digest.update(f"\x00{t.name}\x00".encode())
            for record_id, data in self._db.execute(f"SELECT id, data FROM {t.name} ORDER BY id"):
                digest.update(record_id.encode())
                digest.update(b"\x01")
                digest.update(data.encode())
        return digest.hexdigest()

    def counts(self) -> dict[str, int]:
        return {t.name: self._db.execute(f"SELECT COUNT(*) FROM {t.name}").fetchone()[0] for t in TABLES}

    def order_counts(self) -> dict[tuple[str, str], int]:
        rows = self._db.execute("SELECT platform, status, COUNT(*) FROM orders GROUP BY platform, status")
        return {(p, s): n for p, s, n in rows}

    # ------------------------------------------------------------ reads

    def find_customer(self, platform: Platform, identity: str) -> Customer | None:
        row = self._db.execute(
            "SELECT customer_id FROM identities WHERE platform = ? AND value = ?", (platform, identity.strip().lower())
        ).fetchone()
        return self.get_customer(row[0]) if row else None

    def get_customer(self, customer_id: str) -> Customer:
        return self._get(Customer, customer_id, "customer")

    def list_customers(self, limit: int | None = None) -> list[Customer]:
        customers = self._select(Customer)
        return customers[:limit] if limit else customers

    def customer_orders(self, customer_id: str, platform: Platform | None = None) -> list[Order]:
        self.get_customer(customer_id)
        return self.find_orders(customer_id=customer_id, platform=platform, limit=None)

    def get_order(self, order_id: str) -> Order:
        return self._get(Order, order_id.strip(), "order")

    def find_orders(
        self,
        *,
        platform: Platform | None = None,
        status: OrderStatus | None = None,
        customer_id: str | None = None,
        limit: int | None = 50,
    ) -> list[Order]:
        clauses, params = [], []
        for column, value in (("platform", platform), ("status", status), ("customer_id", customer_id)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        orders = self._select(Order, " AND ".join(clauses), params, order="created_at DESC, id")
        return orders[:limit] if limit else orders

    def track(self, tracking_number: str) -> tuple[Order, Shipment]:
        number = tracking_number.replace(" ", "").upper()
        row = self._db.execute("SELECT order_id FROM tracking WHERE tracking_number = ?", (number,)).fetchone()
        if row is None:
            raise NotFoundError(f"No shipment with tracking number {number} in this store.", tracking_number=number)
        order = self.get_order(row[0])
        shipment = next(s for s in order.shipments if s.tracking_number == number)
        return order, shipment

    def get_product(self, product_id: str) -> Product:
        return self._get(Product, product_id, "product")

    def get_variant(self, sku: str) -> tuple[Product, Variant]:
        row = self._db.execute("SELECT product_id FROM skus WHERE sku = ?", (sku.strip().upper(),)).fetchone()
        if row is None:
            raise NotFoundError(f"No product with SKU {sku}.", sku=sku)
        product = self.get_product(row[0])
        variant = product.variant(sku.strip().upper())
        assert variant is not None
        return product, variant

    def list_products(self) -> list[Product]:
        return self._select(Product)

    def search_products(self, query: str, limit: int = 10) -> list[Product]:
        """Whole-word match over name, category, SKU and specs; words of the name count triple
        (so "12 inch skillet" prefers the 12 in skillet). The knowledge base does semantic search."""
        words = [w for w in _words(query) if w not in _STOPWORDS]
        if not words:
            return []
        scored = []
        for product in self.list_products():
            name = set(_words(product.name + " " + " ".join(v.title for v in product.variants)))
            rest = set(_words(" ".join([product.category, product.description, *product.specs.values()]
                                       + [v.sku for v in product.variants])))
            score = sum(3 if w in name else 1 if w in rest else 0 for w in words)
            if score:
                scored.append((-score, product.id, product))
        return [p for _, _, p in sorted(scored)[:limit]]

    def order_returns(self, order_id: str) -> list[Return]:
        return self._select(Return, "order_id = ?", (order_id,))

    def order_refunds(self, order_id: str) -> list[Refund]:
        return self._select(Refund, "order_id = ?", (order_id,))

    def order_cancellations(self, order_id: str) -> list[Cancellation]:
        return self._select(Cancellation, "order_id = ?", (order_id,))

    def order_claims(self, order_id: str) -> list[Claim]:
        return self._select(Claim, "order_id = ?", (order_id,))

    def customer_returns(self, customer_id: str) -> list[Return]:
        return self._select(Return, "customer_id = ?", (customer_id,))

    def customer_refunds(self, customer_id: str) -> list[Refund]:
        return self._select(Refund, "customer_id = ?", (customer_id,))

    def customer_subscriptions(self, customer_id: str) -> list[Subscription]:
        return self._select(Subscription, "customer_id = ?", (customer_id,))

    def get_subscription(self, subscription_id: str) -> Subscription:
        return self._get(Subscription, subscription_id, "subscription")

    def customer_claims(self, customer_id: str) -> list[Claim]:
        return self._select(Claim, "customer_id = ?", (customer_id,))

    def customer_chargebacks(self, customer_id: str) -> list[Chargeback]:
        return self._select(Chargeback, "customer_id = ?", (customer_id,))

    def customer_feedback(self, customer_id: str) -> list[Feedback]:
        return self._select(Feedback, "customer_id = ?", (customer_id,))

    def customer_carts(self, customer_id: str) -> list[AbandonedCart]:
        return self._select(AbandonedCart, "customer_id = ?", (customer_id,))

    def customer_conversations(self, customer_id: str) -> list[Conversation]:
        return self._select(Conversation, "customer_id = ?", (customer_id,))

    def list_records(self, table: str) -> list[BaseModel]:
        """Every record of one kind (e.g. 'claims'), for reports and tests."""
        return self._select(_BY_NAME[table].model)  # type: ignore[arg-type]

    # ------------------------------------------------------------ writes

    def approve_return(self, return_id: str, *, idempotency_key: str | None = None) -> Return:
        """A marketplace-side approval of a return the buyer requested (the simulators use it)."""
        with self._tx():
            if (done := self._replayed(idempotency_key, Return)) is not None:
                return done
            ret = self._get(Return, return_id, "return")
            if ret.status != "requested":
                raise PreconditionFailed(f"Return {ret.id} is {ret.status}, not waiting for approval.")
            approved = ret.model_copy(update={"status": "approved"})
            self._put(approved)
            self._record(idempotency_key, approved)
            return approved

    def create_return(
        self, order_id: str, items: list[ReturnItem], reason: ReturnReason, note: str | None = None,
        *, idempotency_key: str | None = None,
    ) -> Return:
        """Authorise a return: the order must be delivered, in its window, the items returnable."""
        with self._tx():
            if (done := self._replayed(idempotency_key, Return)) is not None:
                return done
            order = self.get_order(order_id)
            policy = self.policy(order.platform)
            standing = return_standing(order, policy, reason, self.clock.now().date(), self.order_returns(order.id))
            window_ends = standing.window_ends
            if standing.block == "not_shipped":
                raise PreconditionFailed(
                    f"Order {order.id} has not shipped yet; it can be cancelled instead of returned.",
                    code="not_shipped", order_id=order.id,
                )
            if standing.block == "order_cancelled":
                raise PreconditionFailed(f"Order {order.id} was cancelled.", code="order_cancelled")
            if standing.block == "not_delivered":
                raise PreconditionFailed(
                    f"Order {order.id} has not been delivered yet; a return can start once it arrives.",
                    code="not_delivered", order_id=order.id,
                )
            if standing.block == "window_closed" or window_ends is None:  # None: the window never opened
                raise PreconditionFailed(
                    f"The return window for order {order.id} closed on {window_ends}.",
                    code="return_window_closed", order_id=order.id, window_ends=str(window_ends),
                )
            if not items:
                raise PreconditionFailed("A return needs at least one item.", code="no_items")
            value = Decimal("0")
            for item in items:
                line = order.line_for_sku(item.sku)
                if line is None:
                    raise PreconditionFailed(
                        f"{item.sku} is not part of order {order.id}.", code="item_not_in_order", sku=item.sku
                    )
                returnable = standing.returnable(line)
                if item.quantity > returnable:
                    raise PreconditionFailed(
                        f"Only {returnable} of {item.sku} can still be returned on order {order.id}.",
                        code="quantity_exceeds_returnable", sku=item.sku, returnable=returnable,
                    )
                value += line.unit_price * item.quantity
            return_id = self._next_id(Return, "R", 6)
            paid_by = policy.return_shipping_paid_by(reason)
            fee = (value * Decimal(str(policy.restocking_fee_pct(reason))) / 100).quantize(Decimal("0.01"))
            record = Return(
                id=return_id,
                order_id=order.id,
                customer_id=order.customer_id,
                platform=order.platform,
                items=items,
                reason=reason,
                note=note,
                status="approved",
                requested_at=self.clock.now(),
                window_ends=window_ends,
                return_shipping_paid_by=paid_by,
                restocking_fee=fee,
                label=ReturnLabel(carrier="UPS", tracking_number=_return_tracking(return_id), paid_by=paid_by),
            )
            self._put(record)
            self._record(idempotency_key, record)
            return record

    def refund(
        self, order_id: str, amount: Decimal, reason: str, return_id: str | None = None,
        *, idempotency_key: str | None = None,
    ) -> Refund:
        """Issue a refund; never more than was paid, never twice for one return."""
        amount = Decimal(str(amount))
        with self._tx():
            if (done := self._replayed(idempotency_key, Refund)) is not None:
                return done
            order = self.get_order(order_id)
            policy = self.policy(order.platform)
            if not amount.is_finite() or amount <= 0:
                raise PreconditionFailed("A refund must be a positive amount.", code="invalid_amount")
            if amount != amount.quantize(Decimal("0.01")):
                raise PreconditionFailed("A refund is in whole cents.", code="invalid_amount")
            if order.status == "pending" or (
                policy.refunds.charged_at == "shipment" and order.status in ("unshipped", "cancelled") and not order.shipments
            ):
                raise PreconditionFailed(
                    f"Order {order.id} has not been charged, so there is nothing to refund.", code="not_charged"
                )
            ret: Return | None = None
            if return_id is not None:
                ret = self._get(Return, return_id, "return")
                if ret.order_id != order.id:
                    raise PreconditionFailed(f"Return {return_id} is not for order {order.id}.", code="return_mismatch")
                if ret.refund_id is not None:
                    raise PreconditionFailed(
                        f"Return {return_id} was already refunded ({ret.refund_id}).", code="already_refunded"
                    )
                if ret.status == "rejected":
                    raise PreconditionFailed(f"Return {return_id} was rejected.", code="return_rejected")
                cap = _return_refund_cap(order, ret)
                if amount > cap:
                    raise PreconditionFailed(
                        f"A refund of ${amount} is more than the ${cap} due for return {return_id}.",
                        code="refund_exceeds_paid", remaining=str(cap),
                    )
            refunded = sum((r.amount for r in self.order_refunds(order.id) if r.status != "failed"), Decimal("0"))
            remaining = order.total - refunded
            if amount > remaining:
                raise PreconditionFailed(
                    f"A refund of ${amount} is more than the ${remaining} still refundable on order {order.id}.",
                    code="refund_exceeds_paid", remaining=str(remaining), paid=str(order.total),
                )
            now = self.clock.now()
            refund = Refund(
                id=self._next_id(Refund, "F", 6),
                order_id=order.id,
                customer_id=order.customer_id,
                amount=amount,
                reason=reason,
                status="processed",
                created_at=now,
                processed_at=now,
                return_id=return_id,
                expected_by=add_business_days(now.date(), policy.refunds.posting_days_max),
            )
            self._put(refund)
            if ret is not None:
                ret.refund_id = refund.id
                ret.status = "refunded"
                self._put(ret)
                if _fully_returned(order, self.order_returns(order.id)):
                    order.status = "returned"
                    order.platform_status = native_status(order.platform, "returned")
                    self._put(order)
            self._record(idempotency_key, refund)
            return refund

    def cancel_order(
        self, order_id: str, reason: str, requested_by: str = "buyer", *, idempotency_key: str | None = None
    ) -> Cancellation:
        """Cancel before shipment; refunds the charge where the platform charged at order time."""
        with self._tx():
            if (done := self._replayed(idempotency_key, Cancellation)) is not None:
                return done
            order = self.get_order(order_id)
            policy = self.policy(order.platform)
            if order.status == "cancelled":
                raise PreconditionFailed(f"Order {order.id} is already cancelled.", code="already_cancelled")
            if order.status not in policy.orders.cancellable_statuses:
                raise PreconditionFailed(
                    f"Order {order.id} has already shipped ({order.status}); it can be returned after delivery.",
                    code="already_shipped", status=order.status,
                )
            now = self.clock.now()
            refund_id = None
            if policy.refunds.charged_at == "order" and order.status != "pending":
                refunded = sum((r.amount for r in self.order_refunds(order.id)), Decimal("0"))
                if order.total - refunded > 0:
                    refund = Refund(
                        id=self._next_id(Refund, "F", 6),
                        order_id=order.id,
                        customer_id=order.customer_id,
                        amount=order.total - refunded,
                        reason=f"order cancelled: {reason}",
                        status="processed",
                        created_at=now,
                        processed_at=now,
                        expected_by=add_business_days(now.date(), policy.refunds.posting_days_max),
                    )
                    self._put(refund)
                    refund_id = refund.id
            order.shipments = []  # an unshipped order can only hold a label, which is voided
            order.status = "cancelled"
            order.platform_status = native_status(order.platform, "cancelled")
            order.cancelled_at = now
            self._put(order)
            self._db.execute("DELETE FROM tracking WHERE order_id = ?", (order.id,))
            cancellation = Cancellation(
                id=self._next_id(Cancellation, "X", 6),
                order_id=order.id,
                customer_id=order.customer_id,
                reason=reason,
                requested_by=requested_by,  # type: ignore[arg-type]
                at=now,
                refund_id=refund_id,
            )
            self._put(cancellation)
            self._record(idempotency_key, cancellation)
            return cancellation

    def change_address(self, order_id: str, address: Address, *, idempotency_key: str | None = None) -> Order:
        """Change the ship-to address of an unshipped order where the platform lets sellers do it."""
        address = Address.model_validate(address.model_dump() if isinstance(address, Address) else address)
        with self._tx():
            if (done := self._replayed(idempotency_key, Order)) is not None:
                return done
            order = self.get_order(order_id)
            policy = self.policy(order.platform)
            if not policy.orders.address_change_allowed:
                raise PreconditionFailed(
                    f"{policy.display_name} does not let sellers change the shipping address of an order.",
                    code="address_change_not_allowed", platform=order.platform,
                )
            if order.status not in ("pending", "unshipped") or order.shipments:
                raise PreconditionFailed(
                    f"Order {order.id} has already shipped; its address can no longer change.", code="already_shipped"
                )
            order.shipping_address = address
            self._put(order)
            self._record(idempotency_key, order)
            return order

    def update_subscription(
        self, subscription_id: str, action: SubscriptionAction, *, idempotency_key: str | None = None
    ) -> Subscription:
        """Skip the next delivery, pause, resume or cancel a subscription, from a valid state only."""
        with self._tx():
            if (done := self._replayed(idempotency_key, Subscription)) is not None:
                return done
            sub = self.get_subscription(subscription_id)
            today = self.clock.now().date()
            allowed = {"skip": ("active",), "pause": ("active",), "resume": ("paused",), "cancel": ("active", "paused")}
            if action not in allowed:
                raise PreconditionFailed(f"Unknown subscription action {action!r}.", code="invalid_action")
            if sub.status not in allowed[action]:
                raise PreconditionFailed(
                    f"Subscription {sub.id} is {sub.status}; '{action}' is not possible from that state.",
                    code="invalid_subscription_state", status=sub.status,
                )
            if action == "skip":
                assert sub.next_charge_date is not None
                sub.skipped = [*sub.skipped, sub.next_charge_date]
                sub.next_charge_date = sub.next_after_skip()
            elif action == "pause":
                sub.status, sub.next_charge_date = "paused", None
            elif action == "resume":
                sub.status, sub.next_charge_date = "active", sub.next_after_resume(today)
            else:
                sub.status, sub.next_charge_date = "cancelled", None
            self._put(sub)
            self._record(idempotency_key, sub)
            return sub


_STOPWORDS = frozenset(
    "a an and are do does for from have how i in is it me my of on or the this to what when where which with you your "
    "inch inches".split()
)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", text.lower().replace("-", " "))


def _column_value(value: object) -> object:
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[union-attr]
    return value


def _return_tracking(return_id: str) -> str:
    """A stable UPS-format number for the prepaid return label of one return."""
    digest = hashlib.sha256(return_id.encode()).hexdigest().upper()
    body = "".join(c for c in digest if c.isalnum())[:16]
    return "1Z" + body


def _return_refund_cap(order: Order, ret: Return) -> Decimal:
    """Item value plus its share of tax, less the restocking fee."""
    value = sum(
        (order.line_for_sku(i.sku).unit_price * i.quantity for i in ret.items),  # type: ignore[union-attr]
        Decimal("0"),
    )
    tax_share = (order.tax * value / order.subtotal).quantize(Decimal("0.01")) if order.subtotal else Decimal("0")
    return value + tax_share - ret.restocking_fee


def _fully_returned(order: Order, returns: list[Return]) -> bool:
    refunded: dict[str, int] = {}
    for r in returns:
        if r.status == "refunded":
            for item in r.items:
                refunded[item.sku] = refunded.get(item.sku, 0) + item.quantity
    return all(refunded.get(line.sku, 0) >= line.quantity for line in order.items)
