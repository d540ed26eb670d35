"""The agent's tools: one function per action, READ or WRITE, policy enforced here in code.

Every function takes the injected `ToolContext` (who is asking, on which platform, what was
confirmed) and plain arguments the model may choose. The rules a weak model must not be able to
break live here: the order must belong to the conversation's customer, writes stay on the
conversation's channel, a write needs the customer's explicit yes for exactly that action, and a
refund above the seller's threshold needs a human. Results are small JSON-able dicts.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from tools.context import ToolContext, emails_on_file
from tools.eligibility import return_standing
from tools.errors import CommerceError, NotFoundError, PreconditionFailed
from tools.models import DEFECT_REASONS, Address, Order, Platform, Product, ReturnItem, ReturnReason, Subscription
from tools.platform_profiles import same_store
from tools.refund_reasons import refund_kind
from tools.results import PendingAction


class ToolDenied(CommerceError):
    """Policy said no before the backend was asked (ownership, confirmation, approval)."""

    code = "denied"


class ConfirmationRequired(ToolDenied):
    code = "confirmation_required"

    def __init__(self, action: PendingAction) -> None:
        super().__init__(f"Needs confirmation: {action.summary}", action=action.model_dump())
        self.action = action


class ApprovalRequired(ConfirmationRequired):
    code = "approval_required"


# ---------------------------------------------------------------- helpers

def _proven(ctx: ToolContext) -> None:
    """No customer data for a sender nobody vouches for (an email without a DMARC pass), whatever else is set."""
    if not ctx.identity_verified:
        raise ToolDenied("I can't look up or change orders until we can confirm this message came from the "
                         "account holder; a colleague will follow up.", code="sender_not_authenticated")


def _sender_on_file(ctx: ToolContext, customer_id: str, platform: Platform) -> None:
    """A write asked for by email needs the proven sender to be the order's email on file."""
    if ctx.verified_email is None:
        return
    if ctx.verified_email.strip().lower() not in emails_on_file(ctx.backend.get_customer(customer_id), platform):
        raise ToolDenied("This change has to come from the email address on file for the order; a colleague "
                         "will follow up.", code="sender_not_on_file")


def _owned_order(ctx: ToolContext, order_id: str) -> Order:
    """The order, only if it is this customer's; anyone else's looks exactly like a missing one."""
    _proven(ctx)
    if ctx.customer_id is None:
        raise ToolDenied("I can't look up orders until I know which customer account this is.", code="unknown_customer")
    try:
        order = ctx.backend.get_order(order_id.strip())
    except NotFoundError:
        order = None
    if order is None or order.customer_id != ctx.customer_id:
        raise NotFoundError(f"I couldn't find order {order_id.strip()} on your account.", order_id=order_id.strip())
    return order


def _same_channel(ctx: ToolContext, order: Order) -> None:
    if not same_store(order.platform, ctx.platform):
        raise ToolDenied(
            f"Order {order.id} was placed on {ctx.policies[order.platform].display_name}; changes to it are made there.",
            code="other_channel",
        )


def _require_confirmation(ctx: ToolContext, action: PendingAction) -> None:
    confirmed = ctx.confirmed
    if confirmed is None or confirmed.tool != action.tool or confirmed.args != action.args:
        raise (ApprovalRequired if action.needs_approval else ConfirmationRequired)(action)
    if action.needs_approval and not ctx.approved:
        raise ApprovalRequired(action)


def _key(ctx: ToolContext, action: PendingAction) -> str | None:
    if not ctx.idempotency_prefix:
        return None
    args = ",".join(f"{k}={action.args[k]}" for k in sorted(action.args))
    return f"{ctx.idempotency_prefix}:{action.tool}:{args}"


def order_summary(order: Order) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "platform": order.platform,
        "status": order.status,
        "platform_status": order.platform_status,
        "placed_at": order.created_at.isoformat(),
        "items": [{"sku": i.sku, "title": i.title, "quantity": i.quantity, "unit_price": str(i.unit_price)}
                  for i in order.items],
        "total": str(order.total),
        "ship_by": order.ship_by.isoformat(),
        "deliver_by": order.deliver_by.isoformat(),
        "fulfillment": order.fulfillment_channel,
        "ship_to": {"city": order.shipping_address.city, "state": order.shipping_address.state,
                    "zip": order.shipping_address.zip},
        "shipments": [shipment_summary(s, order) for s in order.shipments],
        "cancelled_at": order.cancelled_at.isoformat() if order.cancelled_at else None,
    }


def shipment_summary(shipment: Any, order: Order | None = None) -> dict[str, Any]:
    """One parcel; with its order, the titles of the lines it carries (a split shipment tells its parcels apart)."""
    last = shipment.last_event
    lines = [order.line(n) for n in shipment.line_numbers] if order is not None else []
    return {
        "items": [line.title for line in lines if line is not None],
        "carrier": shipment.carrier,
        "service": shipment.service,
        "tracking_number": shipment.tracking_number,
        "status": shipment.status,
        "shipped_at": shipment.shipped_at.isoformat(),
        "estimated_delivery": shipment.estimated_delivery.isoformat(),
        "delivered_at": shipment.delivered_at.isoformat() if shipment.delivered_at else None,
        "last_event": {"at": last.at.isoformat(), "type": last.type, "location": last.location,
                       "description": last.description} if last else None,
        "delayed": any(e.type in ("delayed", "exception") for e in shipment.events),
    }


# ---------------------------------------------------------------- READ tools

def get_order(ctx: ToolContext, order_id: str) -> dict[str, Any]:
    """READ. One of the customer's orders with items, totals, promised dates and shipments."""
    return order_summary(_owned_order(ctx, order_id))


def list_customer_orders(ctx: ToolContext, limit: int = 5) -> dict[str, Any]:
    """READ. The customer's most recent orders on every channel, newest first, with what tells them apart:
    each item's unit price and quantity (in the order of `items`), the refunds made (failed ones left out),
    and when the order shipped, was cancelled, and its latest return was opened and received back; its ship-by and
    deliver-by promises, each parcel's status and the latest carrier scan (the order resolver's state cues)."""
    _proven(ctx)
    if ctx.customer_id is None:
        raise ToolDenied("I don't know which customer account this is yet.", code="unknown_customer")
    orders = ctx.backend.customer_orders(ctx.customer_id)[: max(1, min(limit, 20))]

    def when(moment: Any) -> str | None:
        return moment.isoformat() if moment else None

    rows = []
    for o in orders:
        returns = ctx.backend.order_returns(o.id)
        refunds = [r for r in ctx.backend.order_refunds(o.id) if r.status != "failed"]
        rows.append({
            "order_id": o.id, "platform": o.platform, "status": o.status, "placed_at": o.created_at.isoformat(),
            "delivered_at": when(o.delivered_at), "total": str(o.total), "items": [i.title for i in o.items],
            "has_return": bool(returns),
            "item_prices": [str(i.unit_price) for i in o.items], "quantities": [i.quantity for i in o.items],
            "refunded_amounts": [str(r.amount) for r in refunds],
            "shipped_at": when(o.shipped_at), "cancelled_at": when(o.cancelled_at),
            "return_requested_at": when(max((r.requested_at for r in returns), default=None)),
            "return_received_at": when(max((r.received_at for r in returns if r.received_at), default=None)),
            "ship_to_city": o.shipping_address.city,
            # what the promise and the parcels say: "it was supposed to be here last week", "tracking hasn't moved"
            "ship_by": o.ship_by.isoformat(), "deliver_by": o.deliver_by.isoformat(),
            "parcel_statuses": [s.status for s in o.shipments],
            # the last day a changed-mind return can start (holiday extension included): "how do I send these
            # back?" is about an order still inside it, not one whose window closed months ago
            "return_window_ends": when(ctx.policies[o.platform].return_window_end(o, "changed_mind")),
            "last_scan_at": when(max((e.at for s in o.shipments if (e := s.last_event)), default=None)),
        })
    return {"orders": rows}


def track_shipment(ctx: ToolContext, order_id: str | None = None, tracking_number: str | None = None) -> dict[str, Any]:
    """READ. Tracking for an order (all its parcels) or for one tracking number of the customer's."""
    _proven(ctx)  # before the lookup: an unproven sender must not learn which tracking numbers exist
    if tracking_number:
        try:
            order, _ = ctx.backend.track(tracking_number)
        except NotFoundError:
            raise NotFoundError(f"I couldn't find tracking number {tracking_number} on your account.") from None
        order = _owned_order(ctx, order.id)
        shipments = [s for s in order.shipments if s.tracking_number == tracking_number.replace(" ", "").upper()]
    elif order_id:
        order = _owned_order(ctx, order_id)
        shipments = order.shipments
    else:
        raise PreconditionFailed("Which order or tracking number should I look up?", code="missing_argument")
    return {
        "order_id": order.id, "order_status": order.status, "deliver_by": order.deliver_by.isoformat(),
        "ship_by": order.ship_by.isoformat(), "shipments": [shipment_summary(s, order) for s in shipments],
        "events": [
            {"at": e.at.isoformat(), "type": e.type, "location": e.location, "description": e.description}
            for s in shipments for e in s.events
        ][-8:],
    }


def arrived_late(order: Order) -> bool:
    """Whether the order was delivered after the date it was promised by. Counted from the end of that day in
    the westernmost US time zone (Hawaii, UTC-10), so a parcel delivered on its last evening anywhere in the
    US is never called late."""
    if order.delivered_at is None:
        return False
    end_of_promise = datetime.combine(order.deliver_by + timedelta(days=1), time(10, 0), tzinfo=timezone.utc)
    return order.delivered_at > end_of_promise


def return_reason_for(order: Order, reason: ReturnReason) -> ReturnReason:
    """The reason the policy applies: a changed-mind return of an order that arrived late is a late-delivery
    return (no restocking fee, per the seller's policy), whether or not the customer says so."""
    if reason in ("changed_mind", "no_longer_needed") and arrived_late(order):
        return "arrived_late"
    return reason


def check_return_eligibility(ctx: ToolContext, order_id: str, reason: ReturnReason = "changed_mind",
                             sku: str | None = None) -> dict[str, Any]:
    """READ. Whether (and how) an item of the order can be returned now, under the platform's policy."""
    order = _owned_order(ctx, order_id)
    policy = ctx.policies[order.platform]
    reason = return_reason_for(order, reason)
    returns = ctx.backend.order_returns(order.id)
    standing = return_standing(order, policy, reason, ctx.clock.now().date(), returns)
    window_ends = standing.window_ends
    lines = [i for i in order.items if sku is None or i.sku == sku.upper()]
    returnable = [{"sku": i.sku, "title": i.title, "quantity": standing.returnable(i)}
                  for i in lines if standing.returnable(i) > 0]
    why = standing.reason_code(lines)
    eligible = why == "eligible"
    return {
        "order_id": order.id, "platform": order.platform, "eligible": eligible, "reason_code": why,
        "return_reason": reason, "window_ends": window_ends.isoformat() if window_ends else None,
        "window_days": policy.return_window_days(reason), "holiday_extended": policy.holiday_extended(order, reason),
        "holiday_return_by": holiday.isoformat() if (holiday := policy.holiday_return_by(order)) and
        reason not in DEFECT_REASONS else None,
        "delivered_at": order.delivered_at.isoformat() if order.delivered_at else None,
        "returnable_items": returnable,
        "return_shipping_paid_by": policy.return_shipping_paid_by(reason),
        "restocking_fee_pct": policy.restocking_fee_pct(reason),
        "refund_days_after_receipt": policy.refunds.days_after_receipt,
        "refund_day_kind": policy.refunds.day_kind,
        "existing_returns": [{"return_id": r.id, "status": r.status, "reason": r.reason} for r in returns],
        "is_defect": reason in DEFECT_REASONS,
    }


def get_refund_status(ctx: ToolContext, order_id: str) -> dict[str, Any]:
    """READ. Refunds and returns on record for one of the customer's orders."""
    order = _owned_order(ctx, order_id)
    policy = ctx.policies[order.platform]
    refunds = ctx.backend.order_refunds(order.id)
    refunded = sum((r.amount for r in refunds if r.status != "failed"), Decimal("0"))
    return {
        "order_id": order.id, "order_status": order.status, "total": str(order.total),
        "subtotal": str(order.subtotal), "shipping": str(order.shipping), "tax": str(order.tax),
        "refunded_total": str(refunded), "not_refunded": str(max(order.total - refunded, Decimal("0"))),
        "cancelled_at": order.cancelled_at.isoformat() if order.cancelled_at else None,
        "refunds": [{"refund_id": r.id, "amount": str(r.amount), "status": r.status, "reason": r.reason,
                     "reason_kind": refund_kind(r.reason, r.return_id),  # what it was for (tools/refund_reasons.py)
                     "issued_at": r.created_at.isoformat(), "return_id": r.return_id,
                     "expected_by": r.expected_by.isoformat() if r.expected_by else None}
                    for r in refunds],
        "returns": [{"return_id": r.id, "status": r.status, "reason": r.reason,
                     "requested_at": r.requested_at.isoformat(),
                     "received_at": r.received_at.isoformat() if r.received_at else None,
                     "refund_due_by": policy.refund_due(r.received_at.date()).isoformat() if r.received_at else None,
                     "label_tracking": r.label.tracking_number if r.label else None}
                    for r in ctx.backend.order_returns(order.id)],
        "posting_days": f"{policy.refunds.posting_days_min}-{policy.refunds.posting_days_max}",
        "refund_days_after_receipt": policy.refunds.days_after_receipt, "refund_day_kind": policy.refunds.day_kind,
        "charged_when": policy.refunds.charged_at,  # "shipment": an order cancelled before it shipped was never charged
    }


def _product_view(product: Product) -> dict[str, Any]:
    return {
        "product_id": product.id, "name": product.name, "category": product.category,
        "description": product.description, "specs": product.specs, "warranty": product.warranty,
        "variants": [{"sku": v.sku, "title": v.title, "price": str(v.price), "in_stock": v.stock > 0,
                      "stock": v.stock, "restock_date": v.restock_date.isoformat() if v.restock_date else None}
                     for v in product.variants],
        "subscription_eligible": product.subscription_eligible,
    }


def search_products(ctx: ToolContext, query: str, limit: int = 3) -> dict[str, Any]:
    """READ. Catalog products matching the words of a query (names, specs, SKUs)."""
    return {"products": [_product_view(p) for p in ctx.backend.search_products(query, max(1, min(limit, 10)))]}


def get_product(ctx: ToolContext, product_id: str | None = None, sku: str | None = None) -> dict[str, Any]:
    """READ. One product with its specs, variants, prices, stock and restock dates."""
    if sku:
        product, _ = ctx.backend.get_variant(sku)
    elif product_id:
        product = ctx.backend.get_product(product_id.upper())
    else:
        raise PreconditionFailed("Which product or SKU?", code="missing_argument")
    return _product_view(product)


def list_subscriptions(ctx: ToolContext) -> dict[str, Any]:
    """READ. The customer's subscriptions (own store), and the delivery intervals the store offers."""
    _proven(ctx)
    if ctx.customer_id is None:
        raise ToolDenied("I don't know which customer account this is yet.", code="unknown_customer")
    offered = ctx.seller.subscriptions.intervals_days  # what a person can change an interval to
    today = ctx.clock.now().date()
    return {"subscriptions": [_subscription_view(s, today) for s in
                              ctx.backend.customer_subscriptions(ctx.customer_id)],
            "intervals_offered_days": list(offered)}


def _subscription_view(sub: Subscription, today: date) -> dict[str, Any]:
    """A subscription, with the order date a skip (active) or a resume today (paused) would give it."""
    resumed = sub.next_after_resume(today)
    return {"subscription_id": sub.id, "sku": sub.sku, "status": sub.status, "interval_days": sub.interval_days,
            "next_charge_date": sub.next_charge_date.isoformat() if sub.next_charge_date else None,
            "next_charge_after_skip": after.isoformat() if (after := sub.next_after_skip()) else None,
            "next_charge_after_resume": resumed.isoformat() if resumed else None,
            "price": str(sub.price), "quantity": sub.quantity}


# ---------------------------------------------------------------- WRITE tools (confirmation required)

def start_return(ctx: ToolContext, order_id: str, sku: str, quantity: int = 1,
                 reason: ReturnReason = "changed_mind") -> dict[str, Any]:
    """WRITE. Open a return with a prepaid label for an item of the customer's delivered order (own store and
    Meta shops; on Amazon, Walmart, TikTok Shop and eBay the buyer starts returns in the marketplace)."""
    order = _owned_order(ctx, order_id)
    _same_channel(ctx, order)
    _sender_on_file(ctx, order.customer_id, order.platform)
    line = order.line_for_sku(sku.upper())
    if line is None:
        raise PreconditionFailed(f"{sku} is not part of order {order.id}.", code="item_not_in_order")
    reason = return_reason_for(order, reason)
    returns = ctx.policies[order.platform].returns
    if returns.started_by == "buyer":  # the marketplace's own flow: a seller label would bypass it
        raise PreconditionFailed(f"Returns of {ctx.policies[order.platform].display_name} orders start in the "
                                 f"buyer's account. {returns.how_to_start}", code="marketplace_return_flow")
    action = PendingAction(
        tool="start_return", args={"order_id": order.id, "sku": line.sku, "quantity": quantity, "reason": reason},
        summary=f"start a return of {quantity} x {line.title} from order {order.id}",
    )
    _require_confirmation(ctx, action)
    ret = ctx.backend.create_return(order.id, [ReturnItem(sku=line.sku, quantity=quantity)], reason,
                                    idempotency_key=_key(ctx, action))
    return {
        "return_id": ret.id, "order_id": order.id, "status": ret.status, "window_ends": ret.window_ends.isoformat(),
        "return_shipping_paid_by": ret.return_shipping_paid_by, "restocking_fee": str(ret.restocking_fee),
        "label_carrier": ret.label.carrier if ret.label else None,
        "label_tracking": ret.label.tracking_number if ret.label else None,
    }


def _money(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise PreconditionFailed(f"{value!r} is not an amount of money.", code="invalid_amount") from None
    return amount


def refund(ctx: ToolContext, order_id: str, amount: str, reason: str, return_id: str | None = None) -> dict[str, Any]:
    """WRITE. Refund part or all of what the customer paid; above the seller's threshold a human approves."""
    order = _owned_order(ctx, order_id)
    _same_channel(ctx, order)
    _sender_on_file(ctx, order.customer_id, order.platform)
    value = _money(amount)
    action = PendingAction(
        tool="refund", args={"order_id": order.id, "amount": str(value), "reason": reason, "return_id": return_id},
        summary=f"refund ${value} on order {order.id} ({reason})",
        needs_approval=value > ctx.refund_approval_threshold,
    )
    _require_confirmation(ctx, action)
    done = ctx.backend.refund(order.id, value, reason, return_id, idempotency_key=_key(ctx, action))
    return {"refund_id": done.id, "order_id": order.id, "amount": str(done.amount), "status": done.status,
            "expected_by": done.expected_by.isoformat() if done.expected_by else None}


def cancel_order(ctx: ToolContext, order_id: str, reason: str = "customer request") -> dict[str, Any]:
    """WRITE. Cancel an order that has not shipped; refunds any charge automatically."""
    order = _owned_order(ctx, order_id)
    _same_channel(ctx, order)
    _sender_on_file(ctx, order.customer_id, order.platform)
    action = PendingAction(tool="cancel_order", args={"order_id": order.id, "reason": reason},
                           summary=f"cancel order {order.id}")
    _require_confirmation(ctx, action)
    done = ctx.backend.cancel_order(order.id, reason, "buyer", idempotency_key=_key(ctx, action))
    refunds = {r.id: r for r in ctx.backend.order_refunds(order.id)}
    refund_record = refunds.get(done.refund_id) if done.refund_id else None
    return {"cancellation_id": done.id, "order_id": order.id, "refund_id": done.refund_id,
            "refund_amount": str(refund_record.amount) if refund_record else None,
            "charged": refund_record is not None}


_SUFFIXES = {"street": "st", "avenue": "ave", "av": "ave", "road": "rd", "drive": "dr", "lane": "ln", "court": "ct",
             "boulevard": "blvd", "place": "pl", "terrace": "ter", "circle": "cir", "trail": "trl", "highway": "hwy",
             "parkway": "pkwy", "north": "n", "south": "s", "east": "e", "west": "w"}  # USPS Pub. 28 abbreviations
_UNIT_IN_LINE = re.compile(r"\s(?:apt|apartment|unit|suite|ste|#).*$", re.IGNORECASE)


def _street_name(line1: str) -> str:
    """"125 Main Street" and "123 Main St" are on the same street: the street line without its house number,
    unit and punctuation, with the usual abbreviations."""
    words = re.sub(r"[^\w\s]", " ", _UNIT_IN_LINE.sub("", line1.lower())).split()
    while words and any(ch.isdigit() for ch in words[0]):
        words.pop(0)  # "125", "125b", "12 1/2"
    return " ".join(_SUFFIXES.get(w, w) for w in words)


def _changed_address(current: Address, *, name: str | None, line1: str | None, line2: str | None,
                     city: str | None, state: str | None, zip: str | None) -> Address:
    """Where the order goes after the change. With a city or state it is a whole new address, every part
    required. Otherwise it corrects part of the current one (a unit added, a ZIP or house-number typo) and the
    rest stays: a partial never moves the parcel to another street or ZIP area, which takes the full address."""
    if city or state:
        if not (line1 and city and state and zip):
            raise PreconditionFailed("A new address needs the street, city, state and ZIP.", code="incomplete_address")
        return Address(name=name or current.name, line1=line1, line2=line2, city=city, state=state, zip=zip)
    if not (line1 or line2 or zip):
        raise PreconditionFailed("Which part of the address should change?", code="incomplete_address")
    if line1 and _street_name(line1) != _street_name(current.line1):
        raise PreconditionFailed("A different street needs the full new address (street, city, state and ZIP).",
                                 code="partial_address_moves_parcel")
    if zip and zip[:3] != current.zip[:3]:  # a ZIP's first three digits are its area (the USPS sectional center)
        raise PreconditionFailed("A ZIP code in another area needs the full new address (street, city, state and "
                                 "ZIP).", code="partial_address_moves_parcel")
    changed = Address.model_validate({**current.model_dump(), **({"name": name} if name else {}),
                                      **{k: v for k, v in (("line1", line1), ("line2", line2), ("zip", zip)) if v}})
    if changed == current:
        raise PreconditionFailed("That is already the address on the order.", code="address_unchanged")
    return changed


def change_shipping_address(ctx: ToolContext, order_id: str, name: str | None = None, line1: str | None = None,
                            city: str | None = None, state: str | None = None, zip: str | None = None,
                            line2: str | None = None) -> dict[str, Any]:
    """WRITE. Change where an unshipped order goes (only where the platform lets the seller do it). A new address
    needs line1, city, state and zip. To correct part of the current one, give only that part (line2 for a
    forgotten apartment or unit, zip for a ZIP typo, line1 for a house-number typo on the same street): the rest
    stays as it is."""
    order = _owned_order(ctx, order_id)
    _same_channel(ctx, order)
    _sender_on_file(ctx, order.customer_id, order.platform)
    if not ctx.policies[order.platform].orders.address_change_allowed:
        raise PreconditionFailed(
            f"{ctx.policies[order.platform].display_name} does not let sellers change an order's address.",
            code="address_change_not_allowed",
        )
    address = _changed_address(order.shipping_address, name=name, line1=line1, line2=line2, city=city, state=state,
                               zip=zip)
    action = PendingAction(tool="change_shipping_address",
                           args={"order_id": order.id, **address.model_dump(exclude={"country"})},
                           summary=f"send order {order.id} to {address.one_line()}")
    _require_confirmation(ctx, action)
    done = ctx.backend.change_address(order.id, address, idempotency_key=_key(ctx, action))
    return {"order_id": done.id, "ship_to": done.shipping_address.one_line(), "status": done.status}


def update_subscription(ctx: ToolContext, subscription_id: str, action: str) -> dict[str, Any]:
    """WRITE. Skip the next delivery, pause, resume or cancel one of the customer's subscriptions."""
    _proven(ctx)
    if ctx.customer_id is None:
        raise ToolDenied("I don't know which customer account this is yet.", code="unknown_customer")
    try:
        sub = ctx.backend.get_subscription(subscription_id)
    except NotFoundError:
        sub = None
    if sub is None or sub.customer_id != ctx.customer_id:
        raise NotFoundError(f"I couldn't find subscription {subscription_id} on your account.")
    _sender_on_file(ctx, sub.customer_id, sub.platform)
    if action not in ("skip", "pause", "resume", "cancel"):
        raise PreconditionFailed(f"'{action}' is not a subscription change I can make.", code="invalid_action")
    pending = PendingAction(tool="update_subscription", args={"subscription_id": sub.id, "action": action},
                            summary=f"{action} subscription {sub.id}")
    _require_confirmation(ctx, pending)
    done = ctx.backend.update_subscription(sub.id, action, idempotency_key=_key(ctx, pending))  # type: ignore[arg-type]
    return _subscription_view(done, ctx.clock.now().date())


def handoff(ctx: ToolContext, reason: str) -> dict[str, Any]:
    """READ. Hand the conversation to a person (use when unsure, for claims, legal, safety or anything risky)."""
    return {"handoff": True, "reason": reason[:300]}
