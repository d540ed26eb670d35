"""Deterministic generator of the demo store (Northfork Goods, home & kitchen and outdoor).

Same seed and anchor => the same store, byte for byte. Every random choice comes from one
`random.Random(seed)` and every time from `anchor` (the store's "now"), so tests and evals can
rely on exact records. The store holds the states a real support inbox meets: late and lost
parcels, delivered-not-received, damaged and wrong items, returns at every step, refunds,
cancellations, A-to-z and item-not-received claims, chargebacks, negative feedback,
subscriptions and abandoned carts.
"""

from __future__ import annotations

import json
import random
import string
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from importlib import resources

from tools.calendar import add_business_days
from tools.models import (
    PLATFORMS,
    AbandonedCart,
    Address,
    CartItem,
    Cancellation,
    Carrier,
    Chargeback,
    Claim,
    Conversation,
    Customer,
    Feedback,
    FulfillmentChannel,
    Identity,
    LineItem,
    Message,
    Order,
    OrderStatus,
    PaymentMethod,
    Platform,
    Product,
    Refund,
    Return,
    ReturnItem,
    ReturnLabel,
    ReturnReason,
    Shipment,
    Subscription,
    TrackingEvent,
)
from tools.platform_profiles import PROFILES, STORE_FAMILY, STORE_HOME, STORE_PLATFORMS, IdentityKind
from tools.platform_status import native_status
from tools.policy.loader import PlatformPolicy, SellerPolicy, load_policies, load_seller
from tools.sandbox import reference as ref
from tools.sandbox.store import StoreData

PLATFORM_SHARE: dict[Platform, float] = {
    "amazon": 0.50, "shopify": 0.17, "walmart": 0.13, "tiktok": 0.09, "ebay": 0.06, "facebook": 0.03, "instagram": 0.02,
}
HISTORY_DAYS = 120
PENDING: dict[Platform, tuple[float, float]] = {  # (hours an order may stay unpaid, share that does)
    "amazon": (8.0, 0.4), "walmart": (4.0, 0.3), "tiktok": (2.0, 0.3), "shopify": (6.0, 0.1),
}
CENT = Decimal("0.01")
RELAYS: dict[Platform, tuple[str, int, str]] = {  # a marketplace's relay addresses: (alphabet, length, domain)
    "amazon": (string.ascii_lowercase + string.digits, 15, "marketplace.amazon.com"),
    "walmart": ("0123456789abcdef", 32, "relay.walmart.com"),
}

# What happens to an order after it is placed, with its probability. "normal" is the rest.
FATES: dict[str, float] = {
    "cancelled": 0.03,
    "late": 0.045,
    "lost": 0.012,
    "not_received": 0.015,
    "damaged": 0.02,
    "wrong_item": 0.008,
    "defective": 0.01,
    "remorse_return": 0.05,
}


@dataclass(frozen=True)
class GeneratorConfig:
    seed: int = 7
    anchor: datetime = field(default_factory=lambda: datetime.combine(date.today(), time(), UTC))
    customers: int = 520
    orders: int = 3200
    subscriptions: int = 45
    carts: int = 70


def default_anchor(today: date | None = None) -> datetime:
    """Midnight UTC of today: stable for a whole day, so reseeding the same day is identical."""
    return datetime.combine(today or datetime.now(UTC).date(), time(), UTC)


def load_catalog() -> list[Product]:
    raw = json.loads(resources.files("tools.sandbox").joinpath("catalog.json").read_text(encoding="utf-8"))
    return [Product.model_validate(p) for p in raw]


class _Generator:
    def __init__(
        self, config: GeneratorConfig, policies: dict[Platform, PlatformPolicy], seller: SellerPolicy
    ) -> None:
        if config.anchor.tzinfo is None:
            raise ValueError("anchor must be timezone-aware")
        self.cfg = config
        self.seller = seller
        self.rng = random.Random(config.seed)
        self.now = config.anchor
        self.policies = policies
        self.data = StoreData()
        self.used_ids: set[str] = set()
        self.counters: dict[str, int] = {}
        self.by_platform: dict[Platform, list[Customer]] = {p: [] for p in PLATFORMS}
        self.customer_weight: dict[str, float] = {}

    # ------------------------------------------------------------ small helpers

    def _seq(self, prefix: str, width: int) -> str:
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return f"{prefix}{self.counters[prefix]:0{width}d}"

    def _digits(self, n: int) -> str:
        return "".join(self.rng.choice(string.digits) for _ in range(n))

    def _unique(self, make) -> str:  # type: ignore[no-untyped-def]
        while True:
            value = make()
            if value not in self.used_ids:
                self.used_ids.add(value)
                return value

    def _weighted(self, weights: dict[str, float]) -> str:
        keys = list(weights)
        return self.rng.choices(keys, weights=[weights[k] for k in keys])[0]

    # ------------------------------------------------------------ catalog

    def catalog(self) -> None:
        products = load_catalog()
        for product in products:
            for variant in product.variants:
                roll = self.rng.random()
                if roll < 0.06:
                    variant.stock = 0
                    variant.restock_date = self.now.date() + timedelta(days=self.rng.randint(5, 45))
                elif roll < 0.14:
                    variant.stock = self.rng.randint(1, 6)
                else:
                    variant.stock = self.rng.randint(15, 480)
        self.data.products = products
        self.popularity = [self.rng.paretovariate(1.3) for _ in products]

    # ------------------------------------------------------------ customers

    def _address(self, name: str) -> Address:
        roll = self.rng.random()
        if roll < 0.015:
            city, state, zip_code = self.rng.choice(ref.MILITARY)
            unit = f"Unit {self.rng.randint(2000, 9999)} Box {self.rng.randint(1, 999)}"
            return Address(name=name, line1=unit, city=city, state=state, zip=zip_code)
        city, state, zip_code, _ = self.rng.choices(ref.CITIES, weights=[c[3] for c in ref.CITIES])[0]
        if roll < 0.045:
            line1 = f"PO Box {self.rng.randint(10, 9999)}"
        else:
            line1 = (
                f"{self.rng.randint(10, 9899)} {self.rng.choice(ref.STREET_NAMES)} {self.rng.choice(ref.STREET_TYPES)}"
            )
        line2 = f"Apt {self.rng.randint(1, 40)}{self.rng.choice('ABCD')}" if self.rng.random() < 0.2 else None
        return Address(name=name, line1=line1, line2=line2, city=city, state=state, zip=zip_code)

    def _identities(self, platform: Platform, first: str, last: str, email: str, phone: str) -> list[Identity]:
        """One identity of each kind the platform names its customers by (`tools/platform_profiles.py`)."""
        return [Identity(platform=platform, kind=kind, value=self._identity_value(platform, kind, first, last, email,
                                                                                  phone))
                for kind in PROFILES[platform].identity_kinds]

    def _identity_value(self, platform: Platform, kind: IdentityKind, first: str, last: str, email: str,
                        phone: str) -> str:
        if kind == "relay_email":
            alphabet, length, domain = RELAYS[platform]
            relay = self._unique(lambda: "".join(self.rng.choice(alphabet) for _ in range(length)))
            return f"{relay}@{domain}"
        if kind == "email":
            return email
        if kind == "phone":
            return phone
        if kind == "im_user_id":
            return self._unique(lambda: "7" + self._digits(18))
        if kind == "buyer_id":
            return self._unique(lambda: "75" + self._digits(17))
        if kind == "username":
            return self._unique(
                lambda: f"{first.lower()}{self.rng.choice(['_', '.', ''])}{last.lower()[:4]}{self.rng.randint(1, 99)}"
            )
        if kind == "psid":
            return self._unique(lambda: "2" + self._digits(15))
        return self._unique(lambda: "17" + self._digits(15))  # igsid

    def customers(self) -> None:
        shares = dict(PLATFORM_SHARE)
        for index in range(self.cfg.customers):
            cid = self._seq("C", 5)
            first, last = self.rng.choice(ref.FIRST_NAMES), self.rng.choice(ref.LAST_NAMES)
            name = f"{first} {last}"
            domain = self.rng.choice(("example.com", "example.net", "example.org"))
            email = self._unique(lambda: f"{first.lower()}.{last.lower()}{self.rng.randint(1, 999)}@{domain}")
            area_codes = ["206", "312", "415", "458", "503", "512", "541", "617", "646", "702", "720", "808"]
            phone = self._unique(lambda: f"+1{self.rng.choice(area_codes)}55501{self.rng.randint(0, 99):02d}")
            # the first customers cover every platform, so even a tiny store has buyers everywhere
            home = PLATFORMS[index] if index < len(PLATFORMS) else self._weighted(shares)  # type: ignore[arg-type]
            platforms = [home]
            for extra_chance in (0.18, 0.05):
                if self.rng.random() < extra_chance:
                    other = self._weighted({p: w for p, w in shares.items() if p not in platforms})
                    platforms.append(other)
            if STORE_FAMILY & set(platforms) and STORE_HOME not in platforms:
                platforms.append(STORE_HOME)  # Meta shops check out on the store: the store knows the email
            identities: list[Identity] = []
            for platform in platforms:
                identities += self._identities(platform, first, last, email, phone)  # type: ignore[arg-type]
            created = self.now - timedelta(days=self.rng.randint(HISTORY_DAYS, 900), minutes=self.rng.randint(0, 1439))
            customer = Customer(
                id=cid, name=name, email=email, phone=phone, identities=identities,
                default_address=self._address(name), created_at=created,
            )
            self.data.customers.append(customer)
            self.customer_weight[cid] = self.rng.paretovariate(2.0)
            for platform in platforms:
                self.by_platform[platform].append(customer)  # type: ignore[index]

    # ------------------------------------------------------------ orders

    def _order_id(self, platform: Platform) -> str:
        if platform == "amazon":
            return self._unique(lambda: f"11{self.rng.randint(1, 4)}-{self._digits(7)}-{self._digits(7)}")
        if platform == "walmart":
            return self._unique(lambda: "1" + self._digits(12))
        if platform == "tiktok":
            return self._unique(lambda: "57" + self._digits(16))
        if platform == "ebay":
            return self._unique(lambda: f"{self.rng.randint(10, 27)}-{self._digits(5)}-{self._digits(5)}")
        raise AssertionError("store orders get their names in creation order")

    def _tracking(self, carrier: Carrier, service: str) -> str:
        if carrier == "USPS":
            prefix = "9405" if service == "Priority Mail" else "9400"
            return self._unique(lambda: prefix + "1" + self._digits(17))
        if carrier == "UPS":
            code = "02" if "2nd Day" in service else "03"
            return self._unique(lambda: f"1Z{ref.UPS_SHIPPER}{code}{self._digits(8)}")
        if carrier == "FedEx":
            return self._unique(lambda: self._digits(12))
        return self._unique(lambda: "TBA" + self._digits(12))

    def _carrier(self, channel: FulfillmentChannel, address: Address) -> Carrier:
        if address.is_po_box or address.is_military:
            return "USPS"
        if channel == "FBA":
            return self.rng.choices(["Amazon Logistics", "UPS", "USPS"], weights=[75, 20, 5])[0]  # type: ignore[return-value]
        if channel == "WFS":
            return self.rng.choices(["FedEx", "UPS"], weights=[60, 40])[0]  # type: ignore[return-value]
        return self.rng.choices(["USPS", "UPS", "FedEx"], weights=[50, 35, 15])[0]  # type: ignore[return-value]

    def _items(self) -> list[LineItem]:
        n = self.rng.choices([1, 2, 3], weights=[70, 22, 8])[0]
        products = self.rng.choices(self.data.products, weights=self.popularity, k=n)
        items: list[LineItem] = []
        seen: set[str] = set()
        for product in products:
            variant = self.rng.choice(product.variants)
            if variant.sku in seen:
                continue
            seen.add(variant.sku)
            qty = self.rng.choices([1, 2, 3], weights=[85, 12, 3])[0]
            items.append(LineItem(
                line_number=len(items) + 1, sku=variant.sku, product_id=product.id,
                title=f"{product.name} - {variant.title}" if variant.options else product.name,
                quantity=qty, unit_price=variant.price,
            ))
        return items

    def _shipping_fee(self, platform: Platform, channel: FulfillmentChannel, subtotal: Decimal) -> Decimal:
        if channel == "FBA" or subtotal >= Decimal(str(self.seller.shipping.free_shipping_threshold)):
            return Decimal("0.00")
        if platform == "ebay" and self.rng.random() < 0.7:
            return Decimal("0.00")
        if platform in STORE_FAMILY:
            return Decimal(str(self.seller.shipping.standard_shipping_fee))
        return Decimal(str(self.seller.shipping.marketplace_shipping_fee))

    def _payment(self, platform: Platform) -> PaymentMethod:
        if platform not in STORE_FAMILY:
            return PaymentMethod(kind="marketplace")
        kind = self.rng.choices(["card", "shop_pay", "paypal", "apple_pay"], weights=[55, 20, 15, 10])[0]
        if kind == "card":
            brand = self.rng.choices(["Visa", "Mastercard", "American Express", "Discover"], weights=[50, 30, 14, 6])[0]
            return PaymentMethod(kind="card", brand=brand, last4=self._digits(4))
        return PaymentMethod(kind=kind)  # type: ignore[arg-type]

    def _pick_customer(self, platform: Platform) -> Customer:
        pool = self.by_platform[platform]
        return self.rng.choices(pool, weights=[self.customer_weight[c.id] for c in pool])[0]

    def orders(self) -> None:
        platforms = list(PLATFORM_SHARE)
        drafts = []
        for _ in range(self.cfg.orders):
            platform: Platform = self.rng.choices(platforms, weights=[PLATFORM_SHARE[p] for p in platforms])[0]  # type: ignore[assignment]
            age = timedelta(days=self.rng.uniform(0, HISTORY_DAYS) ** 1.0)
            created = (self.now - age).replace(microsecond=0)
            drafts.append((created, platform))
        drafts.sort(key=lambda d: (d[0], d[1]))
        store_number = 1001
        for created, platform in drafts:
            if platform in STORE_FAMILY:  # one sequence of store order names for the whole family
                order_id = f"{PROFILES[platform].order_id.prefix}{store_number}"
                platform_ref = str(5_500_000_000_000 + store_number * 7919)
                store_number += 1
            else:
                order_id = self._order_id(platform)
                platform_ref = order_id
            self._order(order_id, platform_ref, platform, created)

    def _order(self, order_id: str, platform_ref: str, platform: Platform, created: datetime) -> None:
        customer = self._pick_customer(platform)
        if platform == "amazon":
            channel: FulfillmentChannel = "FBA" if self.rng.random() < 0.6 else "FBM"
        elif platform == "walmart":
            channel = "WFS" if self.rng.random() < 0.35 else "seller"
        else:
            channel = "seller"
        address = customer.default_address if self.rng.random() < 0.9 else self._address(customer.name)
        assert address is not None
        if address.is_military or address.is_po_box:
            channel = "FBM" if channel == "FBA" else ("seller" if channel == "WFS" else channel)
        items = self._items()
        subtotal = sum((i.amount for i in items), Decimal("0"))
        fee = self._shipping_fee(platform, channel, subtotal)
        tax = (subtotal * Decimal(str(ref.SALES_TAX.get(address.state, ref.DEFAULT_SALES_TAX)))).quantize(CENT)
        shipping = self.seller.shipping
        handling = shipping.marketplace_handling_business_days if channel in ("FBA", "WFS") else shipping.handling_business_days
        carrier = self._carrier(channel, address)
        chosen = self.rng.choice(shipping.services_of(carrier))
        service, low, high = chosen.name, chosen.min_days, chosen.max_days
        remote = address.state in ("AK", "HI", "PR", "AA", "AE", "AP")
        extra = shipping.remote_extra_days if remote else 0
        promise_transit = high + extra
        ship_by = add_business_days(created.date(), handling)
        deliver_by = ship_by + timedelta(days=promise_transit + 1)
        fate = self._weighted({**FATES, "normal": 1 - sum(FATES.values())})
        order = Order(
            id=order_id, platform=platform, platform_ref=platform_ref, customer_id=customer.id,
            status="unshipped", platform_status=native_status(platform, "unshipped"), created_at=created,
            items=items, subtotal=subtotal, shipping=fee, tax=tax, total=subtotal + fee + tax,
            payment_method=self._payment(platform), shipping_address=address, fulfillment_channel=channel,
            ship_by=ship_by, deliver_by=deliver_by, gift=self.rng.random() < 0.04,
        )
        age_hours = (self.now - created).total_seconds() / 3600
        # payment still being verified: Amazon "Pending" can last hours, TikTok "UNPAID" is short
        pending_hours, pending_chance = PENDING.get(platform, (2.0, 0.2))
        if age_hours < pending_hours and self.rng.random() < pending_chance:
            self._set_status(order, "pending")
        elif fate == "cancelled" and age_hours > 6:
            self._cancel(order)
        else:
            self._ship(order, fate, carrier, service, low + (extra // 2), high + extra)
            self._after_sale(order, fate)
        self.data.orders.append(order)

    def _set_status(self, order: Order, status: OrderStatus) -> None:
        order.status = status
        order.platform_status = native_status(order.platform, status)

    def _cancel(self, order: Order) -> None:
        at = order.created_at + timedelta(hours=self.rng.uniform(0.5, 20))
        policy = self.policies[order.platform]
        self._set_status(order, "cancelled")
        order.cancelled_at = at
        refund_id = None
        if policy.refunds.charged_at == "order":
            refund = self._refund(order, order.total, "order cancelled before shipment", at)
            refund_id = refund.id
        by = self.rng.choices(["buyer", "seller"], weights=[80, 20])[0]
        reason = "buyer changed their mind" if by == "buyer" else "item out of stock"
        self.data.cancellations.append(Cancellation(
            id=self._seq("X", 6), order_id=order.id, customer_id=order.customer_id, reason=reason,
            requested_by=by, at=at, refund_id=refund_id,  # type: ignore[arg-type]
        ))

    def _refund(self, order: Order, amount: Decimal, reason: str, at: datetime, return_id: str | None = None) -> Refund:
        policy = self.policies[order.platform]
        refund = Refund(
            id=self._seq("F", 6), order_id=order.id, customer_id=order.customer_id, amount=amount, reason=reason,
            status="processed" if at <= self.now else "pending", created_at=min(at, self.now),
            processed_at=at if at <= self.now else None, return_id=return_id,
            expected_by=add_business_days(at.date(), policy.refunds.posting_days_max),
        )
        self.data.refunds.append(refund)
        return refund

    # ------------------------------------------------------------ shipping timeline

    def _ship(self, order: Order, fate: str, carrier: Carrier, service: str, low: int, high: int) -> None:
        lines = [i.line_number for i in order.items]
        groups = [lines]
        if len(lines) > 1 and self.rng.random() < 0.2:
            groups = [lines[:1], lines[1:]]
        ship_time = datetime.combine(order.ship_by, time(hour=self.rng.randint(14, 22)), UTC)
        ship_time -= timedelta(days=self.rng.choice([0, 0, 0, 1]))
        ship_time = max(ship_time, order.created_at + timedelta(hours=3))
        for index, group in enumerate(groups):
            shipped_at = ship_time + timedelta(days=index)
            if shipped_at - timedelta(hours=3) > self.now:
                continue  # no label yet
            transit = self.rng.randint(low, high)
            shipment = self._timeline(order, fate if index == 0 else "normal", carrier, service, shipped_at, transit, group)
            order.shipments.append(shipment)
        self._set_status(order, _order_status(order))

    def _timeline(
        self, order: Order, fate: str, carrier: Carrier, service: str, shipped_at: datetime, transit: int,
        lines: list[int],
    ) -> Shipment:
        origin = self.seller.shipping.ships_from if order.fulfillment_channel in ("seller", "FBM") else self.rng.choice(
            ref.ORIGINS[order.fulfillment_channel]  # type: ignore[index]
        )
        dest = f"{order.shipping_address.city}, {order.shipping_address.state}"
        hubs = list(ref.HUBS[carrier])
        self.rng.shuffle(hubs)
        events: list[TrackingEvent] = [
            TrackingEvent(at=shipped_at - timedelta(hours=3), type="label_created", location=origin,
                          description="Shipping label created, carrier awaiting item"),
            TrackingEvent(at=shipped_at, type="accepted", location=origin, description="Accepted at origin facility"),
        ]
        delay_days = self.rng.randint(3, 7) if fate == "late" else 0
        delivery_day = shipped_at.date() + timedelta(days=transit + delay_days)
        stops = max(1, min(transit, 3))
        for step in range(stops):
            at = shipped_at + timedelta(hours=10 + step * 22 + self.rng.randint(0, 5))
            events.append(TrackingEvent(at=at, type="in_transit", location=hubs[step % len(hubs)],
                                        description="In transit to next facility"))
        if fate == "late":
            at = events[-1].at + timedelta(hours=self.rng.randint(6, 20))
            reason = self.rng.choice(ref.DELAY_REASONS)
            kind = "exception" if reason.startswith("Exception") else "delayed"
            events.append(TrackingEvent(at=at, type=kind, location=hubs[0], description=reason))  # type: ignore[arg-type]
        if fate == "lost":
            last = events[-1].at
            trace, lost = self.seller.shipping.no_scan_trace_days, self.seller.shipping.lost_declared_days
            events.append(TrackingEvent(at=last + timedelta(days=trace), type="exception", location=None,
                                        description=f"No scan in {trace} days: carrier has opened a package trace"))
            events.append(TrackingEvent(at=last + timedelta(days=lost), type="lost", location=None,
                                        description="Package could not be located; declared lost by carrier"))
        else:
            out = datetime.combine(delivery_day, time(hour=8, minute=self.rng.randint(0, 59)), UTC)
            events.append(TrackingEvent(at=out, type="out_for_delivery", location=dest, description="Out for delivery"))
            place = self.rng.choice(["Front door", "Porch", "Mailbox", "Parcel locker", "Garage", "Mail room"])
            if order.shipping_address.is_po_box or order.shipping_address.is_military:
                place = "PO box" if order.shipping_address.is_po_box else "Military post office"
            events.append(TrackingEvent(
                at=out + timedelta(hours=self.rng.randint(2, 9)), type="delivered", location=dest,
                description=f"Delivered, {place}",
            ))
        events = sorted((e for e in events if e.at <= self.now), key=lambda e: e.at)
        status = _shipment_status(events)
        delivered = next((e.at for e in events if e.type == "delivered"), None)
        estimated = delivery_day if fate == "late" and any(e.type in ("delayed", "exception") for e in events) else (
            shipped_at.date() + timedelta(days=transit)
        )
        return Shipment(
            id=self._seq("SH", 6), carrier=carrier, service=service, tracking_number=self._tracking(carrier, service),
            status=status, shipped_at=shipped_at, estimated_delivery=estimated, delivered_at=delivered,
            line_numbers=lines, events=events,
        )

    # ------------------------------------------------------------ after the parcel arrives (or not)

    def _after_sale(self, order: Order, fate: str) -> None:
        delivered = order.delivered_at
        if fate in ("damaged", "wrong_item", "defective", "remorse_return") and delivered:
            self._return(order, fate, delivered)
        elif fate == "lost" and order.shipments and order.shipments[0].status == "lost":
            self._lost(order)
        elif fate == "not_received" and delivered:
            self._not_received(order, delivered)
        elif fate == "late" and order.status == "delivered" and self.rng.random() < 0.25:
            at = delivered + timedelta(days=1) if delivered else self.now
            if at <= self.now:
                self._refund(order, (order.total * Decimal("0.15")).quantize(CENT), "goodwill credit for late delivery", at)
        if order.status == "delivered" and delivered and self.rng.random() < 0.13:
            self._feedback(order, fate, delivered)
        if order.payment_method.kind == "card" and self.rng.random() < 0.015:
            self._chargeback(order, "fraudulent")

    def _return(self, order: Order, fate: str, delivered: datetime) -> None:
        reason: ReturnReason = {
            "damaged": "damaged", "wrong_item": "wrong_item", "defective": "defective",
        }.get(fate) or self.rng.choice(["changed_mind", "no_longer_needed", "not_as_described"])  # type: ignore[assignment]
        requested = delivered + timedelta(days=self.rng.uniform(0.2, 12))
        if requested > self.now:
            return  # the customer has not asked yet: a return request waiting to happen
        policy = self.policies[order.platform]
        line = self.rng.choice(order.items)
        items = [ReturnItem(sku=line.sku, quantity=line.quantity)]
        window = policy.return_window_end(order, reason)
        assert window is not None
        paid_by = policy.return_shipping_paid_by(reason)
        value = line.unit_price * line.quantity
        fee = (value * Decimal(str(policy.restocking_fee_pct(reason))) / 100).quantize(CENT)
        return_id = self._seq("R", 6)
        elapsed = (self.now - requested).days
        if reason == "damaged" and value < 40 and self.rng.random() < 0.4:
            # cheap damaged items: refund without asking for the item back
            self._refund(order, value, "damaged on arrival, no return required", requested + timedelta(hours=6))
            self._conversation(order, "damaged", requested)
            return
        received = None
        refund_id = None
        if elapsed < 3:
            status = "requested" if self.rng.random() < 0.5 else "approved"
        elif elapsed < 7:
            status = "in_transit"
        else:
            received = requested + timedelta(days=self.rng.uniform(5, 7))
            due = datetime.combine(policy.refund_due(received.date()), time(17), UTC)
            if due <= self.now and self.rng.random() < 0.93:
                status = "refunded"
                tax_share = (order.tax * value / order.subtotal).quantize(CENT)
                refund = self._refund(order, value + tax_share - fee, f"return {return_id}: {reason}", due, return_id)
                refund_id = refund.id
            else:
                status = "received"
        if status != "requested" and self.rng.random() < 0.03:
            status, received, refund_id = "rejected", None, None
        label = None
        if status not in ("requested", "rejected"):
            label = ReturnLabel(carrier="UPS", tracking_number=self._tracking("UPS", "UPS Ground"), paid_by=paid_by)
        self.data.returns.append(Return(
            id=return_id, order_id=order.id, customer_id=order.customer_id, platform=order.platform, items=items,
            reason=reason, status=status, requested_at=requested, window_ends=window,  # type: ignore[arg-type]
            return_shipping_paid_by=paid_by, restocking_fee=fee, label=label, received_at=received, refund_id=refund_id,
        ))
        if status == "refunded" and len(order.items) == 1:
            self._set_status(order, "returned")
        if reason in ("damaged", "wrong_item", "defective"):
            self._conversation(order, reason, requested)

    def _lost(self, order: Order) -> None:
        lost_at = order.shipments[0].events[-1].at
        if order.platform == "amazon" and self.rng.random() < 0.5:
            self._claim(order, "a_to_z", lost_at + timedelta(days=1), "package lost in transit")
        elif order.platform in ("ebay", "walmart") and self.rng.random() < 0.5:
            self._claim(order, "item_not_received", lost_at + timedelta(days=1), "package lost in transit")
        elif self.rng.random() < 0.5 and lost_at + timedelta(days=1) <= self.now:
            self._refund(order, order.total, "carrier lost the package", lost_at + timedelta(days=1))
        self._conversation(order, "lost", order.shipments[0].events[-2].at + timedelta(days=2))

    def _not_received(self, order: Order, delivered: datetime) -> None:
        opened = delivered + timedelta(days=self.rng.uniform(0.5, 3))
        if opened > self.now:
            return
        self._conversation(order, "not_received", opened)
        later = opened + timedelta(days=3)
        if later <= self.now and self.rng.random() < 0.4:
            kind = "a_to_z" if order.platform == "amazon" else "item_not_received"
            if order.platform in ("amazon", "ebay", "walmart"):
                self._claim(order, kind, later, "buyer says the package never arrived")  # type: ignore[arg-type]
            elif order.payment_method.kind == "card":
                self._chargeback(order, "item_not_received", later)

    def _claim(self, order: Order, kind: str, opened: datetime, reason: str) -> None:
        if opened > self.now:
            return
        age = (self.now - opened).days
        status = "open" if age < 2 else self.rng.choice(["responded", "granted", "denied", "closed"])
        self.data.claims.append(Claim(
            id=self._seq("M", 6), order_id=order.id, customer_id=order.customer_id, platform=order.platform,
            type=kind, status=status, amount=order.total, opened_at=opened,  # type: ignore[arg-type]
            respond_by=opened + timedelta(hours=self._claim_hours(order.platform)), reason=reason,
        ))

    def _claim_hours(self, platform: Platform) -> int:
        claims = self.policies[platform].claims
        return claims.response_hours if claims else 72

    def _chargeback(self, order: Order, reason: str, opened: datetime | None = None) -> None:
        opened = opened or order.created_at + timedelta(days=self.rng.randint(10, 40))
        if opened > self.now:
            return
        age = (self.now - opened).days
        self.data.chargebacks.append(Chargeback(
            id=self._seq("G", 6), order_id=order.id, customer_id=order.customer_id, platform=order.platform,
            amount=order.total, reason=reason, status="open" if age < 9 else self.rng.choice(["won", "lost"]),  # type: ignore[arg-type]
            opened_at=opened, respond_by=opened + timedelta(days=9),
        ))

    def _feedback(self, order: Order, fate: str, delivered: datetime) -> None:
        at = delivered + timedelta(days=self.rng.uniform(1, 14))
        if at > self.now:
            return
        if fate in ("late", "damaged", "wrong_item", "defective", "not_received"):
            rating = self.rng.choices([1, 2, 3, 4], weights=[45, 30, 15, 10])[0]
        else:
            rating = self.rng.choices([5, 4, 3, 2, 1], weights=[74, 16, 5, 3, 2])[0]
        self.data.feedback.append(Feedback(
            id=self._seq("B", 6), order_id=order.id, customer_id=order.customer_id, platform=order.platform,
            rating=rating, comment=self.rng.choice(ref.FEEDBACK_COMMENTS[rating]), at=at,
        ))

    # ------------------------------------------------------------ earlier conversations (customer 360)

    _OPENERS = {
        "damaged": "Hi, my order {order} arrived today and the {item} is damaged. The box was crushed.",
        "wrong_item": "I ordered the {item} (order {order}) but received something else.",
        "defective": "The {item} from order {order} stopped working after two uses.",
        "lost": "My tracking for order {order} hasn't updated in over a week. Where is my package?",
        "not_received": "Tracking says order {order} was delivered but I never got it.",
    }
    _REPLIES = {
        "damaged": "I'm sorry your {item} arrived damaged. I've set up a return with a prepaid label, and your refund "
                   "goes out as soon as it's scanned back in.",
        "wrong_item": "I'm sorry we sent the wrong item. A prepaid return label is on its way and the right item ships "
                      "once the return is scanned.",
        "defective": "I'm sorry it stopped working. I've opened a return for a full refund; the label is prepaid.",
        "lost": "I'm sorry for the wait. The carrier has opened a trace on your package; I'll update you as soon "
                "as they respond.",
        "not_received": "I'm sorry you haven't received it. Please check with neighbors and around the delivery "
                        "location; I've asked the carrier for the delivery scan location.",
    }

    def _conversation(self, order: Order, topic: str, opened: datetime) -> None:
        if opened > self.now:
            return
        conv_id = self._seq("V", 6)
        item = self.data.products[0].name
        for product in self.data.products:
            if product.id == order.items[0].product_id:
                item = product.name
        text = self._OPENERS[topic].format(order=order.id, item=item)
        messages = [Message(id=f"{conv_id}-1", conversation_id=conv_id, direction="inbound", author="customer",
                            text=text, at=opened)]
        replied = opened + timedelta(hours=self.rng.uniform(0.5, 20))
        if replied <= self.now:
            messages.append(Message(id=f"{conv_id}-2", conversation_id=conv_id, direction="outbound", author="human",
                                    text=self._REPLIES[topic].format(item=item), at=replied))
        status = "resolved" if (self.now - opened).days > 5 else ("waiting_customer" if len(messages) > 1 else "open")
        self.data.conversations.append(Conversation(
            id=conv_id, platform=order.platform, customer_id=order.customer_id, order_id=order.id,
            subject=f"Order {order.id}", topic=topic, status=status, created_at=opened, messages=messages,  # type: ignore[arg-type]
        ))

    # ------------------------------------------------------------ subscriptions and carts

    def subscriptions(self) -> None:
        eligible = [(p, v) for p in self.data.products if p.subscription_eligible for v in p.variants]
        if not eligible:
            return
        store_customers = self.by_platform["shopify"]
        chosen = self.rng.sample(store_customers, min(self.cfg.subscriptions, len(store_customers)))
        for customer in sorted(chosen, key=lambda c: c.id):
            product, variant = self.rng.choice(eligible)
            interval = self.rng.choice(self.seller.subscriptions.intervals_days)
            status = self.rng.choices(["active", "paused", "cancelled"], weights=[75, 15, 10])[0]
            created = self.now - timedelta(days=self.rng.randint(40, 400))
            next_charge = self.now.date() + timedelta(days=self.rng.randint(1, interval)) if status == "active" else None
            discount = Decimal(str(self.seller.subscriptions.discount_pct)) / 100
            price = (variant.price * (1 - discount)).quantize(CENT)  # subscribe & save
            self.data.subscriptions.append(Subscription(
                id=self._seq("S", 5), customer_id=customer.id, sku=variant.sku, quantity=self.rng.choice([1, 1, 2]),
                interval_days=interval, status=status, next_charge_date=next_charge, price=price,  # type: ignore[arg-type]
                created_at=created,
            ))

    def carts(self) -> None:
        pool = [customer for platform in STORE_PLATFORMS for customer in self.by_platform[platform]]
        for _ in range(self.cfg.carts):
            customer = self.rng.choice(pool)
            platform = self.rng.choice([p for p in customer.platforms if p in STORE_FAMILY])
            products = self.rng.choices(self.data.products, weights=self.popularity, k=self.rng.randint(1, 3))
            items: dict[str, CartItem] = {}
            for product in products:
                v = self.rng.choice(product.variants)
                items[v.sku] = CartItem(sku=v.sku, quantity=1, unit_price=v.price)
            created = self.now - timedelta(hours=self.rng.uniform(2, 30 * 24))
            recovered = None
            if self.rng.random() < 0.15:
                later = [o for o in self.data.orders if o.customer_id == customer.id and o.created_at > created]
                recovered = later[0].id if later else None
            self.data.carts.append(AbandonedCart(
                id=self._seq("K", 5), customer_id=customer.id, platform=platform, items=list(items.values()),  # type: ignore[arg-type]
                created_at=created.replace(microsecond=0), recovered_order_id=recovered,
            ))

    def run(self) -> StoreData:
        self.catalog()
        self.customers()
        self.orders()
        self.subscriptions()
        self.carts()
        return self.data


def _shipment_status(events: list[TrackingEvent]):  # type: ignore[no-untyped-def]
    last = events[-1].type if events else "label_created"
    return {
        "label_created": "label_created", "accepted": "in_transit", "in_transit": "in_transit",
        "out_for_delivery": "out_for_delivery", "delivered": "delivered", "exception": "exception",
        "delayed": "exception", "lost": "lost",
    }[last]


def _order_status(order: Order) -> OrderStatus:
    """The common status from the shipments: partial shipments count as shipped."""
    if not order.shipments:
        return "unshipped"
    shipped_lines = {n for s in order.shipments for n in s.line_numbers}
    if shipped_lines != {i.line_number for i in order.items}:
        return "shipped"
    if all(s.status == "delivered" for s in order.shipments):
        return "delivered"
    moving = any(e.type not in ("label_created", "accepted") for s in order.shipments for e in s.events)
    return "in_transit" if moving else "shipped"


def generate(config: GeneratorConfig | None = None, policies: dict[Platform, PlatformPolicy] | None = None) -> StoreData:
    """Build the whole demo store in memory."""
    return _Generator(config or GeneratorConfig(), policies or load_policies(), load_seller()).run()
