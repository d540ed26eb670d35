"""The commerce domain: one typed vocabulary for six marketplaces.

Every boundary (the sandbox store, platform adapters, tools, the CLI) speaks these models.
Identifiers keep each platform's native format and are validated, so a malformed order id or
tracking number fails loudly where it enters instead of silently matching nothing later.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from tools.platform_profiles import (  # the platform table; re-exported here for the many `tools.models` readers
    ORDER_ID_PATTERNS,
    PLATFORMS,
    IdentityKind,
    Platform,
    StorePlatform,
)

OrderStatus = Literal["pending", "unshipped", "shipped", "in_transit", "delivered", "cancelled", "returned"]
ORDER_STATUSES: tuple[OrderStatus, ...] = (
    "pending", "unshipped", "shipped", "in_transit", "delivered", "cancelled", "returned",
)

Carrier = Literal["USPS", "UPS", "FedEx", "Amazon Logistics"]
FulfillmentChannel = Literal["FBA", "FBM", "WFS", "seller"]
ShipmentStatus = Literal["label_created", "in_transit", "out_for_delivery", "delivered", "exception", "lost"]
TrackingEventType = Literal[
    "label_created", "accepted", "in_transit", "out_for_delivery", "delivered", "exception", "delayed", "lost"
]

ReturnReason = Literal[
    "changed_mind", "no_longer_needed", "damaged", "defective", "wrong_item", "not_as_described", "arrived_late"
]
DEFECT_REASONS: frozenset[str] = frozenset({"damaged", "defective", "wrong_item", "not_as_described"})
ReturnStatus = Literal["requested", "approved", "in_transit", "received", "refunded", "rejected", "closed"]
RefundStatus = Literal["pending", "processed", "failed"]
SubscriptionStatus = Literal["active", "paused", "cancelled"]
SubscriptionAction = Literal["skip", "pause", "resume", "cancel"]
AttachmentKind = Literal["image", "video", "audio", "file"]
"""What a customer attached, as the platform or the MIME part declared it (channels/attachments.py). Here, below
both, because the agent (agent/schemas.py) and the channel adapters (channels/base.py) share it."""
ClaimType = Literal["a_to_z", "item_not_received", "not_as_described"]
ClaimStatus = Literal["open", "responded", "granted", "denied", "closed"]
ChargebackStatus = Literal["open", "won", "lost"]
MessageDirection = Literal["inbound", "outbound"]
ConversationStatus = Literal["open", "waiting_customer", "resolved"]


# ---------------------------------------------------------------- money and time

def _to_cents(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("amount must be a finite number")
    if value < 0:
        raise ValueError("amount must not be negative")
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


Money = Annotated[
    Decimal,
    AfterValidator(_to_cents),
    PlainSerializer(lambda v: float(v), return_type=float, when_used="json"),
]
"""US dollars, exact to the cent; JSON shows a number."""


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamp must carry a timezone (UTC expected)")
    return value


UTCDateTime = Annotated[datetime, AfterValidator(_aware)]


class Model(BaseModel):
    """Base for every domain model: strict field names, validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


# ---------------------------------------------------------------- identifiers

# Order-id formats: `ORDER_ID_PATTERNS`, from the platform table (`tools/platform_profiles.py`).

TRACKING_PATTERNS: dict[Carrier, re.Pattern[str]] = {
    "USPS": re.compile(r"^9[2345]\d{20}$"),
    "UPS": re.compile(r"^1Z[0-9A-Z]{16}$"),
    "FedEx": re.compile(r"^(\d{12}|\d{15})$"),
    "Amazon Logistics": re.compile(r"^TBA\d{12}$"),
}

SKU_PATTERN = re.compile(r"^NF-[A-Z0-9]+(-[A-Z0-9]+)*$")


def _unanchored(pattern: re.Pattern[str]) -> str:
    return pattern.pattern.removeprefix("^").removesuffix("$")


ORDER_ID_BODY = "|".join(sorted({_unanchored(p) for p in ORDER_ID_PATTERNS.values()}))
"""Every platform's order id format, unanchored, for finding ids inside text (compliance, grounding, contacts)."""
TRACKING_BODY = "|".join(sorted({_unanchored(p) for p in TRACKING_PATTERNS.values()}))
"""Every carrier's tracking number format, unanchored."""
ID_BODY = "|".join(sorted({_unanchored(p) for p in (*ORDER_ID_PATTERNS.values(), *TRACKING_PATTERNS.values())}))
ORDER_ID_ANY = re.compile(rf"(?:{ORDER_ID_BODY})", re.IGNORECASE)
TRACKING_ANY = re.compile(rf"(?:{TRACKING_BODY})", re.IGNORECASE)
ID_ANY = re.compile(rf"(?:{ID_BODY})", re.IGNORECASE)
"""`fullmatch` tells whether a token is an order id or tracking number of any platform or carrier."""

US_STATES: frozenset[str] = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC "
    "ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP AA AE AP".split()
)


def validate_order_id(platform: Platform, order_id: str) -> str:
    if not ORDER_ID_PATTERNS[platform].match(order_id):
        raise ValueError(f"{order_id!r} is not a valid {platform} order id")
    return order_id


def validate_tracking_number(carrier: Carrier, tracking_number: str) -> str:
    if not TRACKING_PATTERNS[carrier].match(tracking_number):
        raise ValueError(f"{tracking_number!r} is not a valid {carrier} tracking number")
    return tracking_number


# ---------------------------------------------------------------- people

class Identity(Model):
    """How one marketplace names a customer (relay email, im_user_id, PSID...)."""

    platform: Platform
    kind: IdentityKind
    value: str = Field(min_length=1, max_length=200)


class Address(Model):
    name: str = Field(min_length=1, max_length=120)
    line1: str = Field(min_length=1, max_length=200)
    line2: str | None = None
    city: str = Field(min_length=1, max_length=80)
    state: str
    zip: str
    country: Literal["US"] = "US"

    @field_validator("state")
    @classmethod
    def _state(cls, v: str) -> str:
        v = v.upper()
        if v not in US_STATES:
            raise ValueError(f"{v!r} is not a US state, territory or military (AA/AE/AP) code")
        return v

    @field_validator("zip")
    @classmethod
    def _zip(cls, v: str) -> str:
        if not re.fullmatch(r"\d{5}(-\d{4})?", v):
            raise ValueError(f"{v!r} is not a US ZIP code")
        return v

    @property
    def is_po_box(self) -> bool:
        return bool(re.search(r"\bP\.?\s*O\.?\s*Box\b", self.line1, re.IGNORECASE))

    @property
    def is_military(self) -> bool:
        return self.state in {"AA", "AE", "AP"}

    def one_line(self) -> str:
        parts = [self.line1, self.line2, f"{self.city}, {self.state} {self.zip}"]
        return ", ".join(p for p in parts if p)


class Customer(Model):
    id: str = Field(pattern=r"^C\d{5}$")
    name: str = Field(min_length=1, max_length=120)
    email: str | None = None
    phone: str | None = None
    identities: list[Identity] = Field(default_factory=list)
    default_address: Address | None = None
    created_at: UTCDateTime

    def identity_on(self, platform: Platform) -> list[Identity]:
        return [i for i in self.identities if i.platform == platform]

    @property
    def platforms(self) -> list[Platform]:
        return sorted({i.platform for i in self.identities}, key=PLATFORMS.index)


# ---------------------------------------------------------------- catalog

class Variant(Model):
    sku: str
    title: str
    options: dict[str, str] = Field(default_factory=dict)
    price: Money
    weight_lb: float = Field(gt=0)
    stock: int = Field(default=0, ge=0)
    restock_date: date | None = None

    @field_validator("sku")
    @classmethod
    def _sku(cls, v: str) -> str:
        if not SKU_PATTERN.match(v):
            raise ValueError(f"{v!r} is not a Northfork SKU (NF-...)")
        return v


class Product(Model):
    id: str = Field(pattern=r"^P\d{3}$")
    name: str
    category: str
    description: str
    specs: dict[str, str] = Field(default_factory=dict)
    warranty: Literal["limited-lifetime", "limited-2y", "limited-1y", "full-1y", "none"]
    subscription_eligible: bool = False
    hazard: bool = False
    related: list[str] = Field(default_factory=list)
    variants: list[Variant] = Field(min_length=1)

    def variant(self, sku: str) -> Variant | None:
        return next((v for v in self.variants if v.sku == sku), None)

    @property
    def in_stock(self) -> bool:
        return any(v.stock > 0 for v in self.variants)


# ---------------------------------------------------------------- orders and shipments

class LineItem(Model):
    line_number: int = Field(ge=1)
    sku: str
    product_id: str
    title: str
    quantity: int = Field(ge=1, le=99)
    unit_price: Money

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity


class TrackingEvent(Model):
    at: UTCDateTime
    type: TrackingEventType
    location: str | None = None
    description: str


class Shipment(Model):
    id: str
    carrier: Carrier
    service: str
    tracking_number: str
    status: ShipmentStatus
    shipped_at: UTCDateTime
    estimated_delivery: date
    delivered_at: UTCDateTime | None = None
    line_numbers: list[int] = Field(default_factory=list)
    events: list[TrackingEvent] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> Shipment:
        validate_tracking_number(self.carrier, self.tracking_number)
        if self.status == "delivered" and self.delivered_at is None:
            raise ValueError("a delivered shipment needs delivered_at")
        return self

    @property
    def last_event(self) -> TrackingEvent | None:
        return self.events[-1] if self.events else None


class PaymentMethod(Model):
    kind: Literal["card", "paypal", "apple_pay", "google_pay", "shop_pay", "gift_card", "marketplace"]
    brand: str | None = None
    last4: str | None = Field(default=None, pattern=r"^\d{4}$")

    def describe(self) -> str:
        if self.kind == "card" and self.brand and self.last4:
            return f"{self.brand} ending {self.last4}"
        return self.kind.replace("_", " ")


class Order(Model):
    id: str = Field(description="The id the customer sees: Amazon 113-..., Shopify #1001, eBay 12-34567-89012.")
    platform: Platform
    platform_ref: str = Field(description="The platform's internal id (Shopify numeric id; else the same as id).")
    customer_id: str
    status: OrderStatus
    platform_status: str = Field(description="The platform's own status word, kept beside the common one.")
    created_at: UTCDateTime
    items: list[LineItem] = Field(min_length=1)
    subtotal: Money
    shipping: Money
    tax: Money
    total: Money
    payment_method: PaymentMethod
    shipping_address: Address
    fulfillment_channel: FulfillmentChannel
    ship_by: date
    deliver_by: date
    shipments: list[Shipment] = Field(default_factory=list)
    cancelled_at: UTCDateTime | None = None
    gift: bool = False

    @model_validator(mode="after")
    def _check(self) -> Order:
        validate_order_id(self.platform, self.id)
        if self.subtotal != sum((i.amount for i in self.items), Decimal("0")):
            raise ValueError("subtotal must equal the sum of the line items")
        if self.total != self.subtotal + self.shipping + self.tax:
            raise ValueError("total must equal subtotal + shipping + tax")
        if self.deliver_by < self.ship_by:
            raise ValueError("deliver_by cannot be before ship_by")
        if self.fulfillment_channel in ("FBA", "FBM") and self.platform != "amazon":
            raise ValueError("FBA/FBM fulfillment exists only on Amazon")
        if self.fulfillment_channel == "WFS" and self.platform != "walmart":
            raise ValueError("WFS fulfillment exists only on Walmart")
        if self.status in ("pending", "unshipped", "cancelled") and self.shipments:
            shipped = [s for s in self.shipments if s.status != "label_created"]
            if shipped:
                raise ValueError(f"an order in status {self.status!r} cannot have a moving shipment")
        return self

    def line(self, line_number: int) -> LineItem | None:
        return next((i for i in self.items if i.line_number == line_number), None)

    def line_for_sku(self, sku: str) -> LineItem | None:
        return next((i for i in self.items if i.sku == sku), None)

    @property
    def delivered_at(self) -> datetime | None:
        times = [s.delivered_at for s in self.shipments if s.delivered_at]
        return max(times) if times else None

    @property
    def shipped_at(self) -> datetime | None:
        times = [s.shipped_at for s in self.shipments]
        return min(times) if times else None


# ---------------------------------------------------------------- after-sale records

class ReturnItem(Model):
    sku: str
    quantity: int = Field(ge=1)


class ReturnLabel(Model):
    carrier: Carrier
    tracking_number: str
    paid_by: Literal["seller", "buyer"]

    @model_validator(mode="after")
    def _check(self) -> ReturnLabel:
        validate_tracking_number(self.carrier, self.tracking_number)
        return self


class Return(Model):
    id: str = Field(pattern=r"^R\d{6}$")
    order_id: str
    customer_id: str
    platform: Platform
    items: list[ReturnItem] = Field(min_length=1)
    reason: ReturnReason
    note: str | None = None
    status: ReturnStatus
    requested_at: UTCDateTime
    window_ends: date
    return_shipping_paid_by: Literal["seller", "buyer"]
    restocking_fee: Money = Decimal("0")
    label: ReturnLabel | None = None
    received_at: UTCDateTime | None = None
    refund_id: str | None = None


class Refund(Model):
    id: str = Field(pattern=r"^F\d{6}$")
    order_id: str
    customer_id: str
    amount: Money
    reason: str
    status: RefundStatus
    created_at: UTCDateTime
    processed_at: UTCDateTime | None = None
    return_id: str | None = None
    expected_by: date | None = Field(default=None, description="When the money should reach the buyer.")

    @field_validator("amount")
    @classmethod
    def _positive(cls, v: Decimal) -> Decimal:
        if v <= 0:
            raise ValueError("a refund must be greater than zero")
        return v


class Cancellation(Model):
    id: str = Field(pattern=r"^X\d{6}$")
    order_id: str
    customer_id: str
    reason: str
    requested_by: Literal["buyer", "seller", "platform"]
    at: UTCDateTime
    refund_id: str | None = None


class Subscription(Model):
    id: str = Field(pattern=r"^S\d{5}$")
    customer_id: str
    platform: Literal["shopify"] = "shopify"
    sku: str
    quantity: int = Field(default=1, ge=1)
    interval_days: int = Field(ge=7, le=180)
    status: SubscriptionStatus
    next_charge_date: date | None
    price: Money
    created_at: UTCDateTime
    skipped: list[date] = Field(default_factory=list)

    def next_after_skip(self) -> date | None:
        """The order date a skip moves the next delivery to: one interval after the skipped one (what the store
        does, and what the reply proposing a skip tells the customer)."""
        return self.next_charge_date + timedelta(days=self.interval_days) if self.next_charge_date else None

    def next_after_resume(self, today: date) -> date | None:
        """The first order date of a paused subscription resumed `today`: one interval later (the subscriptions
        article's rule, what the store does, and what the reply proposing a resume tells the customer)."""
        return today + timedelta(days=self.interval_days) if self.status == "paused" else None


class CartItem(Model):
    sku: str
    quantity: int = Field(ge=1)
    unit_price: Money


class AbandonedCart(Model):
    id: str = Field(pattern=r"^K\d{5}$")
    customer_id: str
    platform: StorePlatform
    items: list[CartItem] = Field(min_length=1)
    created_at: UTCDateTime
    recovered_order_id: str | None = None


class Feedback(Model):
    id: str = Field(pattern=r"^B\d{6}$")
    order_id: str
    customer_id: str
    platform: Platform
    rating: int = Field(ge=1, le=5)
    comment: str
    at: UTCDateTime

    @property
    def negative(self) -> bool:
        return self.rating <= 2


class Claim(Model):
    id: str = Field(pattern=r"^M\d{6}$")
    order_id: str
    customer_id: str
    platform: Platform
    type: ClaimType
    status: ClaimStatus
    amount: Money
    opened_at: UTCDateTime
    respond_by: UTCDateTime
    reason: str

    @model_validator(mode="after")
    def _check(self) -> Claim:
        if self.type == "a_to_z" and self.platform != "amazon":
            raise ValueError("A-to-z claims exist only on Amazon")
        return self


class Chargeback(Model):
    id: str = Field(pattern=r"^G\d{6}$")
    order_id: str
    customer_id: str
    platform: Platform
    amount: Money
    reason: Literal["fraudulent", "item_not_received", "not_as_described", "duplicate", "other"]
    status: ChargebackStatus
    opened_at: UTCDateTime
    respond_by: UTCDateTime


# ---------------------------------------------------------------- conversations

class Message(Model):
    id: str
    conversation_id: str
    direction: MessageDirection
    author: Literal["customer", "agent", "human", "system"]
    text: str = Field(min_length=1, max_length=20000)
    at: UTCDateTime
    platform_message_id: str | None = None


class Conversation(Model):
    id: str = Field(pattern=r"^V\d{6}$")
    platform: Platform
    customer_id: str
    subject: str | None = None
    topic: str | None = Field(default=None, description="What it was about (damaged, lost, not_received...).")
    order_id: str | None = None
    status: ConversationStatus
    created_at: UTCDateTime
    messages: list[Message] = Field(default_factory=list)
