"""A plan per known intent: which tools, in which order, and which template answers.

This is the deterministic engine's brain and also what the LLM engine relies on for the common
intents: facts come from tool results, policy from the tools, wording from templates. A plan
returns a `PlanOutcome`; it never writes without the customer's confirmed yes (the tools enforce
that too) and hands off what it cannot answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from agent.order_resolver import Candidate, resolve
from agent.schemas import Passage, Triage
from agent.templates import format_date
from tools.contacts import has_contact
from tools.models import Customer, Platform
from tools.policy.loader import PlatformPolicy, SellerPolicy
from tools.results import PendingAction, ToolResult

ToolRunner = Callable[[str, dict[str, Any]], ToolResult]

_NOT_RECEIVED = re.compile(
    r"\b(never (got|received|came|arrived)|not (received|here|there)|didn'?t (get|receive|arrive)|don'?t have|"
    r"isn'?t here|wasn'?t there|no package|missing|stolen|can'?t find|nothing (at|on|by|in) (my|the)|nothing there|"
    r"not at my|wasn'?t delivered|never showed)\b", re.I)
_DEFECT = re.compile(r"\b(stopped working|doesn'?t work|does not work|won'?t|defective|faulty|not working)\b", re.I)
_WRONG = re.compile(r"\bwrong\b|not what i ordered|different (one|item|color|size)", re.I)
_STREET = (r"street|st|avenue|ave|road|rd|drive|dr|lane|ln|court|ct|way|blvd|boulevard|place|pl|terrace|ter|circle|cir|"
           r"trail|trl|highway|hwy|parkway|pkwy")
# Every part is bounded, and the pattern only ever runs on a short window that ends at a "state ZIP"
# anchor (see find_address): an unbounded lazy street and city made 20,000 characters take 13 s.
_ADDRESS = re.compile(
    rf"(?<![#\d-])(?P<line1>\d{{1,6}}\s{{1,3}}[A-Za-z][\w .'-]{{0,60}}?(?:{_STREET})\.?)"
    r"(?:,?\s{0,3}(?P<line2>(?:apt|apartment|unit|suite|ste|#)\.?\s{0,3}[\w-]{1,12}))?"
    r",?\s{1,3}(?P<city>[A-Za-z .'-]{1,40}?),?\s{1,3}(?P<state>[A-Z]{2}),?\s{1,3}(?P<zip>\d{5}(?:-\d{4})?)$", re.I)
_STATE_ZIP = re.compile(r"\b[A-Z]{2},?\s{1,3}\d{5}(?:-\d{4})?\b", re.I)
_ADDRESS_WINDOW = 200  # longer than any street, unit, city, state and ZIP together
MAX_TEXT = 8_000  # an address change is typed by a person; the rest of a huge paste is not read
_SUB_ACTIONS = (("skip", re.compile(r"\bskip", re.I)), ("pause", re.compile(r"\b(pause|hold|break)\b", re.I)),
                ("resume", re.compile(r"\b(resume|restart|unpause|start (it )?again)\b", re.I)),
                ("cancel", re.compile(r"\b(cancel|stop|end|unsubscribe)\b", re.I)))
_THANKS = re.compile(r"\b(thank|thanks|love|great|awesome|perfect|amazing)\b", re.I)


def find_address(text: str) -> re.Match[str] | None:
    """The last full US address in the text: each "ST 12345" anchor (the last three) is tried with the
    window of text that ends there, so the work per anchor is bounded whatever the text's length."""
    text = text[:MAX_TEXT]
    anchors = list(_STATE_ZIP.finditer(text))[-3:]
    for anchor in reversed(anchors):
        start = max(0, anchor.end() - _ADDRESS_WINDOW)
        while 0 < start < anchor.start() and not text[start - 1].isspace():
            start += 1  # never start inside a word or number ("1723" must not read as "23")
        window = text[start:anchor.end()]
        if match := _ADDRESS.search(window):
            return match
    return None


class PlanOutcome(BaseModel):
    template: str
    slots: dict[str, Any] = Field(default_factory=dict)
    order_id: str | None = None
    pending_action: PendingAction | None = None
    awaiting: str | None = None
    handoff_reason: str | None = None
    review_reason: str | None = None
    delay_notice: bool = False
    citations: list[str] = Field(default_factory=list)
    extra: list[dict[str, Any]] = Field(default_factory=list,
                                        description="Answers to the message's further requests: template and slots.")
    unanswered: list[str] = Field(default_factory=list, description="Further requests this reply does not answer.")


@dataclass
class PlanInput:
    intent: str
    triage: Triage
    text: str
    platform: Platform
    customer: Customer | None
    passages: list[Passage]
    run: ToolRunner
    today: date
    policy: PlatformPolicy
    seller: SellerPolicy
    search: Callable[[str, str | None], list[Passage]] | None = None  # (query, doc_id) -> passages
    active_order_id: str | None = None
    pending_action: PendingAction | None = None
    confirmed: bool = False
    declined: bool = False
    results: list[ToolResult] = field(default_factory=list)


class _NeedOrder(Exception):
    def __init__(self, outcome: PlanOutcome) -> None:
        self.outcome = outcome


def _resolve_order(p: PlanInput) -> dict[str, Any]:
    """The order the customer means: named in the message, the one we were discussing, or the only recent one."""
    for order_id in p.triage.entities.order_ids:
        found = p.run("get_order", {"order_id": order_id})
        if found.ok:
            return found.data  # type: ignore[return-value]
        raise _NeedOrder(PlanOutcome(template="order_not_found", slots={"requested": order_id}, awaiting="order_id"))
    for tracking in p.triage.entities.tracking_numbers:
        found = p.run("track_shipment", {"tracking_number": tracking})
        if found.ok:
            return p.run("get_order", {"order_id": found.data["order_id"]}).data  # type: ignore[index,return-value]
    if p.active_order_id:
        found = p.run("get_order", {"order_id": p.active_order_id})
        if found.ok:
            return found.data  # type: ignore[return-value]
    listed = p.run("list_customer_orders", {"limit": 20})
    rows = (listed.data or {}).get("orders", []) if listed.ok else []
    found = resolve(p.text, p.intent, [Candidate.from_tool(r) for r in rows], today=p.today, platform=p.platform)
    if found.order_id:
        return p.run("get_order", {"order_id": found.order_id}).data  # type: ignore[return-value]
    if not found.candidates:
        raise _NeedOrder(PlanOutcome(template="no_orders", awaiting="order_id"))
    listing = " or ".join(f"the {' and '.join(_short_title(t) for t in c.items[:2])} (order {c.order_id}, placed "
                          f"{format_date(c.placed_at)})" for c in found.candidates)
    raise _NeedOrder(PlanOutcome(template="which_order", slots={"order_list": listing}, awaiting="order_id"))


def _short_title(title: str) -> str:
    """"Northfork Basecamp 45 Qt Rolling Cooler - Juniper" -> "Basecamp 45 Qt Rolling Cooler - Juniper": the
    product as the customer knows it, without the brand every item carries."""
    return re.sub(r"^Northfork\s+", "", title)


def _first_shipment(order: dict[str, Any]) -> dict[str, Any] | None:
    shipments = order.get("shipments") or []
    open_ones = [s for s in shipments if s["status"] != "delivered"]
    return (open_ones or shipments or [None])[0]


def _place(shipment: dict[str, Any]) -> str:
    last = shipment.get("last_event") or {}
    description = last.get("description") or "delivered"
    return description.replace("Delivered, ", "left at: ").lower() if description.startswith("Delivered") else description


def _refund_line(p: PlanInput, order_id: str) -> str:
    status = p.run("get_refund_status", {"order_id": order_id})
    refunds = (status.data or {}).get("refunds", []) if status.ok else []
    if not refunds:
        return ""
    r = refunds[-1]
    return f" A refund of ${r['amount']} was issued on {format_date(r['issued_at'])}."


def _proposed(result: ToolResult) -> PendingAction | None:
    """The write a tool proposed instead of doing it (it needs the customer's yes first)."""
    data = result.data or {}
    return PendingAction.model_validate(data["proposed"]) if "proposed" in data else None


def _answer_to_pending(p: PlanInput, tool: str, what: str) -> ToolResult | PlanOutcome | None:
    """The customer's reply to a proposed write: yes runs it (a result, or a handoff if it failed), no
    leaves everything as it is, anything else is not an answer (None)."""
    pending = p.pending_action
    if pending is None:
        return None
    if p.confirmed and pending.tool == tool:
        done = p.run(tool, pending.args)
        if not done.ok:
            return PlanOutcome(template="handoff", order_id=pending.args.get("order_id"),
                               handoff_reason=f"{what} failed: {done.error}")
        return done
    if p.declined:
        if "order_id" not in pending.args:  # a subscription: never "order S00002"
            return PlanOutcome(template="subscription_declined")
        oid = pending.args["order_id"]
        return PlanOutcome(template="action_declined", slots={"order_id": oid}, order_id=oid)
    return None


# ---------------------------------------------------------------- intents

def plan_order_status(p: PlanInput) -> PlanOutcome:
    order = _resolve_order(p)
    oid = order["order_id"]
    slots: dict[str, Any] = {"order_id": oid, "ship_by": format_date(order["ship_by"]),
                             "deliver_by": format_date(order["deliver_by"]),
                             "platform_name": p.policy.display_name}
    status = order["status"]
    if status == "pending":
        return PlanOutcome(template="status_pending", slots=slots, order_id=oid)
    if status == "unshipped":
        if p.today > date.fromisoformat(order["ship_by"]):
            return PlanOutcome(template="status_late_unshipped", slots=slots, order_id=oid, delay_notice=True)
        return PlanOutcome(template="status_unshipped", slots=slots, order_id=oid)
    if status == "cancelled":
        cancelled = order.get("cancelled_at")
        slots.update(cancelled_on=f" on {format_date(cancelled)}" if cancelled else "",
                     refund_line=_refund_line(p, oid))
        return PlanOutcome(template="status_cancelled", slots=slots, order_id=oid)
    if status == "returned":
        slots["refund_line"] = _refund_line(p, oid)
        return PlanOutcome(template="status_returned", slots=slots, order_id=oid)
    tracking = p.run("track_shipment", {"order_id": oid})
    shipment = _first_shipment(tracking.data or order) if tracking.ok else _first_shipment(order)
    if shipment is None:
        return PlanOutcome(template="status_unshipped", slots=slots, order_id=oid)
    last = shipment.get("last_event") or {}
    slots.update(
        carrier=shipment["carrier"], service=shipment["service"], tracking_number=shipment["tracking_number"],
        estimated_delivery=format_date(shipment["estimated_delivery"]),
        last_event=last.get("description", "in transit"),
        last_location=f" in {last['location']}" if last.get("location") else "",
        last_event_date=format_date(last.get("at")),
    )
    if status == "delivered" or shipment["status"] == "delivered":
        slots.update(delivered_date=format_date(shipment["delivered_at"]), delivery_place=_place(shipment))
        if _NOT_RECEIVED.search(p.text):
            wait = p.seller.shipping.delivered_not_received_wait_hours
            guidance = f"Most turn up within {wait} hours. "
            dnr = next((x for x in p.passages if x.doc_id == "delivered-not-received"), None)
            return PlanOutcome(template="delivered_not_received", slots={**slots, "guidance": guidance}, order_id=oid,
                               citations=[dnr.id] if dnr else [])
        return PlanOutcome(template="status_delivered", slots=slots, order_id=oid)
    if shipment["status"] == "lost":
        status = p.run("get_refund_status", {"order_id": oid})
        refunds = [r for r in (status.data or {}).get("refunds", []) if r.get("status") != "failed"] if status.ok else []
        refunded = sum((Decimal(r["amount"]) for r in refunds), Decimal(0))
        if refunds and refunded >= Decimal(str(order["total"])):
            r = refunds[-1]  # already refunded: say so with the amount and date, never promise it again
            expected = f" It should reach you by {format_date(r['expected_by'])}." if r.get("expected_by") else ""
            return PlanOutcome(template="status_lost_refunded", order_id=oid, slots={
                **slots, "amount": r["amount"], "issued_date": format_date(r["issued_at"]), "expected_line": expected})
        # propose the (rest of the) refund; a person approves it (or arranges a replacement) in the console
        rest = str(Decimal(str(order["total"])) - refunded) if refunds else order["total"]
        pending = _proposed(p.run("refund", {"order_id": oid, "amount": rest, "reason": "package lost in transit"}))
        slots.update(refund_line="", remedy="a replacement or a full refund")
        if refunds:
            slots.update(refund_line=f" We already refunded ${refunds[-1]['amount']} on "
                                     f"{format_date(refunds[-1]['issued_at'])}.",
                         remedy="a replacement or a refund of the rest of your order")
        return PlanOutcome(template="status_lost", slots=slots, order_id=oid, pending_action=pending,
                           awaiting="approval" if pending else None,
                           review_reason="lost package: approve the refund or arrange a replacement")
    if shipment.get("delayed") or shipment["status"] == "exception":
        return PlanOutcome(template="status_delayed", slots=slots, order_id=oid)
    if shipment["status"] == "out_for_delivery":
        return PlanOutcome(template="status_out_for_delivery", slots=slots, order_id=oid)
    events = (tracking.data or {}).get("events", []) if tracking.ok else []
    if not any(e["type"] not in ("label_created", "accepted") for e in events):
        return PlanOutcome(template="status_shipped", slots=slots, order_id=oid)
    return PlanOutcome(template="status_in_transit", slots=slots, order_id=oid)


def _return_reason(text: str) -> str:
    if _WRONG.search(text):
        return "wrong_item"
    if _DEFECT.search(text):
        return "defective"
    if re.search(r"\b(broken|cracked|damaged|dented|chipped|shattered|smashed|crushed|bent|torn)\b", text, re.I):
        return "damaged"
    return "changed_mind"


def _pick_item(p: PlanInput, items: list[dict[str, Any]]) -> dict[str, Any] | None:
    if len(items) == 1:
        return items[0]
    for sku in p.triage.entities.skus:
        for item in items:
            if item["sku"] == sku:
                return item
    words = {w for w in re.findall(r"[a-z]{4,}", p.text.lower())}
    scored = sorted(((len(words & set(re.findall(r"[a-z]{4,}", i["title"].lower()))), n) for n, i in enumerate(items)),
                    reverse=True)
    if scored and scored[0][0] > 0 and (len(scored) == 1 or scored[0][0] > scored[1][0]):
        return items[scored[0][1]]
    return None


def _return_slots(p: PlanInput, check: dict[str, Any]) -> dict[str, Any]:
    paid_by = check["return_shipping_paid_by"]
    fee = check["restocking_fee_pct"]
    return {
        "order_id": check["order_id"], "window_ends": format_date(check["window_ends"]),
        "shipping_line": "Return shipping is free for you. " if paid_by == "seller"
        else "Return shipping is paid by you (the label cost comes out of the refund). ",
        "fee_line": f"A {fee:g}% restocking fee applies to changed-mind returns. " if fee else "",
        "refund_days": check["refund_days_after_receipt"], "refund_day_kind": check["refund_day_kind"],
    }


def plan_return(p: PlanInput, *, damage: bool = False) -> PlanOutcome:
    answer = _answer_to_pending(p, "start_return", "creating the return")
    if isinstance(answer, PlanOutcome):
        return answer
    if answer is not None and p.pending_action is not None:
        done, oid = answer, p.pending_action.args["order_id"]
        check = p.run("check_return_eligibility", {"order_id": oid, "reason": p.pending_action.args["reason"]})
        slots = _return_slots(p, check.data) if check.ok else {"order_id": oid}  # type: ignore[arg-type]
        slots.update(done.data or {})
        slots["fee_line"] = f"A restocking fee of ${done.data['restocking_fee']} will come out of the refund. " \
            if done.data and done.data["restocking_fee"] not in ("0", "0.00") else ""
        return PlanOutcome(template="return_started", slots=slots, order_id=oid)
    order = _resolve_order(p)
    oid = order["order_id"]
    reason = _return_reason(p.text) if (damage or p.intent == "return_request") else "changed_mind"
    check = p.run("check_return_eligibility", {"order_id": oid, "reason": reason})
    if not check.ok:
        return PlanOutcome(template="handoff", order_id=oid, handoff_reason=check.error)
    c = check.data
    assert c is not None
    items = c["returnable_items"]
    problem = {"damaged": "arrived damaged", "defective": "isn't working properly",
               "wrong_item": "wasn't what you ordered"}.get(reason, "isn't right")
    if not c["eligible"]:
        code = c["reason_code"]
        if code == "window_closed":
            if damage or c["is_defect"]:
                item = (items or order["items"])[0]["title"]
                return PlanOutcome(template="damage_window_closed", order_id=oid,
                                   slots={"item": item, "order_id": oid, "problem": problem,
                                          "window_ends": format_date(c["window_ends"])},
                                   review_reason="defect after the return window: warranty decision")
            warranty = " If something is wrong with the product itself, our warranty may still cover it; reply " \
                       "with what happened and we'll check."
            return PlanOutcome(template="return_window_closed", order_id=oid,
                               slots={"order_id": oid, "window_ends": format_date(c["window_ends"]),
                                      "warranty_line": warranty})
        if code == "not_delivered":
            return PlanOutcome(template="return_not_delivered", order_id=oid,
                               slots={"order_id": oid, "window_note": f"{p.policy.returns.window_days} days after it's "
                                      "delivered" if p.policy.returns.window_starts == "delivery"
                                      else "the end of its return window"})
        if code == "not_shipped":
            return PlanOutcome(template="return_not_shipped", order_id=oid, slots={"order_id": oid})
        if code == "order_cancelled":
            return PlanOutcome(template="return_cancelled_order", order_id=oid, slots={"order_id": oid})
        existing = c["existing_returns"][-1] if c["existing_returns"] else {"return_id": "-", "status": "open"}
        return PlanOutcome(template="return_exists", order_id=oid,
                           slots={"order_id": oid, "return_id": existing["return_id"],
                                  "return_status": existing["status"].replace("_", " ")})
    item = _pick_item(p, items)
    if item is None:
        listing = "; ".join(f"{i['title']} (SKU {i['sku']})" for i in items)
        return PlanOutcome(template="which_item", order_id=oid, slots={"order_id": oid, "item_list": listing},
                           awaiting="order_id")
    slots = {**_return_slots(p, c), "item": item["title"], "problem": problem}
    if p.policy.returns.started_by == "buyer":  # the marketplace's own flow: say how, never offer our label
        return PlanOutcome(template="damage_in_marketplace" if damage else "return_in_marketplace", order_id=oid,
                           slots={**slots, "how_to_start": p.policy.returns.how_to_start},
                           review_reason="damaged or wrong item: confirm the remedy" if damage else None)
    args = {"order_id": oid, "sku": item["sku"], "quantity": 1 if damage else item["quantity"], "reason": reason}
    proposal = p.run("start_return", args)
    pending = _proposed(proposal)
    if pending is None:
        return PlanOutcome(template="handoff", order_id=oid, handoff_reason=proposal.error or "return proposal failed")
    return PlanOutcome(template="damage_offer" if damage else "return_offer", slots=slots, order_id=oid,
                       pending_action=pending, awaiting="confirmation",
                       review_reason="damaged or wrong item: confirm the remedy" if damage else None)


def plan_refund_status(p: PlanInput) -> PlanOutcome:
    order = _resolve_order(p)
    oid = order["order_id"]
    status = p.run("get_refund_status", {"order_id": oid})
    data = status.data or {}
    refunds = data.get("refunds", [])
    if refunds:
        r = refunds[-1]
        return PlanOutcome(template="refund_issued", order_id=oid, slots={
            "order_id": oid, "amount": r["amount"], "issued_date": format_date(r["issued_at"]),
            "posting_days": data["posting_days"], "expected_by": format_date(r["expected_by"])})
    returns = data.get("returns", [])
    if returns:
        r = returns[-1]
        if r["received_at"]:
            line = f"We received it on {format_date(r['received_at'])}, and the refund is due by {format_date(r['refund_due_by'])}."
        elif r["label_tracking"]:
            line = f"We haven't received it yet; you can follow it with return tracking {r['label_tracking']}. " \
                   "We refund as soon as it arrives and is checked."
        else:
            line = "Once the item is on its way back to us, the refund follows when it arrives."
        return PlanOutcome(template="refund_pending_return", order_id=oid,
                           slots={"order_id": oid, "return_status": r["status"].replace("_", " "), "return_line": line})
    if any(s["status"] == "lost" for s in order.get("shipments", [])):
        return plan_order_status(p)  # no refund yet because the parcel is lost: propose one for approval
    return PlanOutcome(template="refund_none", order_id=oid, slots={"order_id": oid})


def plan_cancel(p: PlanInput) -> PlanOutcome:
    answer = _answer_to_pending(p, "cancel_order", "cancellation")
    if isinstance(answer, PlanOutcome):
        return answer
    if answer is not None and p.pending_action is not None:
        done, oid = answer, p.pending_action.args["order_id"]
        refund_line = (f"A refund of ${done.data['refund_amount']} is on its way to your original payment method."
                       if done.data and done.data.get("refund_amount") else "You haven't been charged for it.")
        return PlanOutcome(template="cancel_done", order_id=oid, slots={"order_id": oid, "refund_line": refund_line})
    order = _resolve_order(p)
    oid = order["order_id"]
    status = order["status"]
    if status == "cancelled":
        return PlanOutcome(template="cancel_already", order_id=oid, slots={"order_id": oid, "refund_line": _refund_line(p, oid)})
    if status in ("pending", "unshipped"):
        proposal = p.run("cancel_order", {"order_id": oid})
        pending = _proposed(proposal)
        if pending is None:
            return PlanOutcome(template="handoff", order_id=oid, handoff_reason=proposal.error)
        charge_line = ("You'll get a full refund of ${} to your original payment method. ".format(order["total"])
                       if p.policy.refunds.charged_at == "order" and status != "pending"
                       else "You haven't been charged yet, so there's nothing to refund. ")
        return PlanOutcome(template="cancel_offer", order_id=oid, slots={"order_id": oid, "charge_line": charge_line},
                           pending_action=pending, awaiting="confirmation")
    shipment = _first_shipment(order) or {}
    if status == "delivered":
        check = p.run("check_return_eligibility", {"order_id": oid})
        return PlanOutcome(template="cancel_delivered", order_id=oid, slots={
            "order_id": oid, "delivered_date": format_date(shipment.get("delivered_at")),
            "window_ends": format_date((check.data or {}).get("window_ends"))})
    return PlanOutcome(template="cancel_too_late", order_id=oid, slots={
        "order_id": oid, "carrier": shipment.get("carrier", "the carrier"),
        "tracking_number": shipment.get("tracking_number", "in your order details"),
        "window_note": f"{p.policy.returns.window_days} days after delivery"
        if p.policy.returns.window_starts == "delivery" else "the end of its return window"})


_ADDRESS_GUIDANCE: dict[str, str] = {
    "amazon": "While it hasn't shipped, you can cancel it in Your Orders and place a new order with the right address.",
    "walmart": "While it hasn't shipped, you can cancel it in your Walmart purchase history and reorder with the right address.",
    "tiktok": "Before it ships you can edit the address yourself in the TikTok Shop app under Orders.",
    "ebay": "Please contact us through eBay before it ships and we'll cancel it so you can buy again with the right address.",
}


def plan_change_address(p: PlanInput) -> PlanOutcome:
    answer = _answer_to_pending(p, "change_shipping_address", "address change")
    if isinstance(answer, PlanOutcome):
        return answer
    if answer is not None and p.pending_action is not None:
        oid = p.pending_action.args["order_id"]
        return PlanOutcome(template="address_changed", order_id=oid,
                           slots={"order_id": oid, "new_address": (answer.data or {})["ship_to"]})
    order = _resolve_order(p)
    oid = order["order_id"]
    policy = p.policy
    if not policy.orders.address_change_allowed:
        return PlanOutcome(template="address_not_allowed", order_id=oid, slots={
            "order_id": oid, "platform_name": policy.display_name,
            "platform_guidance": _ADDRESS_GUIDANCE.get(p.platform, "")})
    if order["status"] not in ("pending", "unshipped"):
        shipment = _first_shipment(order) or {}
        return PlanOutcome(template="address_too_late", order_id=oid, slots={
            "order_id": oid, "carrier": shipment.get("carrier", "the carrier"),
            "tracking_number": shipment.get("tracking_number", "in your order details")})
    # order numbers come out first, or "order 1723 to 455 Juniper Ave" would start the street at 1723
    text = p.text
    for order_ref in p.triage.entities.order_ids:
        text = text.replace(order_ref, " ")
    text = re.sub(r"#\s?\d+", " ", text)
    match = find_address(text)
    if not match:
        return PlanOutcome(template="address_ask", order_id=oid, slots={"order_id": oid}, awaiting="address")
    if has_contact(match.group(0)):
        # a link, email or phone number in the "address" is never echoed back or written: a person looks
        return PlanOutcome(template="address_check", order_id=oid, slots={"order_id": oid},
                           review_reason="the new address contains a link, email or phone number")
    name = p.customer.name if p.customer else "Customer"
    args = {"order_id": oid, "name": name, "line1": match.group("line1").strip(), "city": match.group("city").strip(),
            "state": match.group("state").upper(), "zip": match.group("zip"),
            "line2": match.group("line2").strip() if match.group("line2") else None}
    pending = _proposed(p.run("change_shipping_address", args))
    if pending is None:
        return PlanOutcome(template="address_ask", order_id=oid, slots={"order_id": oid}, awaiting="address")
    new_address = pending.summary.split(" to ", 1)[-1]
    return PlanOutcome(template="address_offer", order_id=oid, slots={"order_id": oid, "new_address": new_address},
                       pending_action=pending, awaiting="confirmation")


_CHANNELS = {
    "amazon": r"amazon", "walmart": r"walmart", "tiktok": r"tiktok", "ebay": r"ebay",
    "shopify": r"online store|our (?:web)?site|northforkgoods\.com|subscribe (?:&|and) save",
    "facebook": r"facebook|instagram|meta", "instagram": r"facebook|instagram|meta",
}
MARKETPLACES = ("amazon", "walmart", "tiktok", "ebay")


_STAFF_GUIDANCE = re.compile(
    r"\b(the agent|agents|support agents?|customers should|rather than (the agent )?guessing|before saying no)\b|"
    r"^(keep|always|never|check|tell|ask|send|offer|do not|don't|make sure|note)\b", re.I)


def _staff_guidance(sentence: str) -> bool:
    """Articles also brief the support team ("Keep everything on eBay..."); those lines are not for customers."""
    return bool(_STAFF_GUIDANCE.search(sentence.strip()))


STORE_FAMILY = ("shopify", "facebook", "instagram")


def _about_another_channel(sentence: str, platform: str) -> bool:
    """A sentence about other channels does not answer this customer: a marketplace customer is never told
    about our other channels (it reads as off-platform contact), and a store or Meta customer is not given a
    marketplace's rule unless the sentence also covers the store."""
    if platform in MARKETPLACES:
        others = "|".join(pattern for channel, pattern in _CHANNELS.items() if channel != platform)
        return bool(re.search(rf"\b(?:{others})\b", sentence, re.I))
    own = "|".join(_CHANNELS[c] for c in STORE_FAMILY)
    marketplaces = "|".join(_CHANNELS[c] for c in MARKETPLACES)
    return bool(re.search(rf"\b(?:{marketplaces})\b", sentence, re.I)) and \
        not re.search(rf"\b(?:{own})\b", sentence, re.I)


SECTION_SENTENCES = 4  # a policy answer quotes up to this many sentences of the best section, in order


# What customers ask for, in the words the articles answer with ("policy" is answered by a window of days).
_EXPANSIONS: dict[str, set[str]] = {
    "polic": {"windo", "days", "withi"}, "long": {"days", "busin", "withi"}, "pays": {"paid", "cost", "free"},
    "pay": {"paid", "cost", "free", "pays"}, "sale": {"price", "diffe", "drops"}, "cheap": {"price", "diffe"},
    "drop": {"price", "diffe"}, "drope": {"price", "diffe"},
}
_QUESTION_WORDS = {"the", "and", "you", "does", "how", "can", "what", "whats", "your", "take", "this", "that"}


def _query_words(query: str) -> set[str]:
    words = {_key_word(w) for w in re.findall(r"[a-z0-9]{3,}", query.lower())} - _QUESTION_WORDS
    for word in list(words):
        words |= _EXPANSIONS.get(word, set())
    return words


def _key_word(word: str) -> str:
    """Words compared by their first five letters: 'refunds' meets 'refund', 'dishwaser' meets 'dishwasher'."""
    return word[:5]


def _extract(passages: list[Passage], query: str, limit: int = 3, platform: str = "shopify") -> tuple[str, list[str], bool]:
    """The sentences (or spec lines) across the passages that best match the question.

    Words of the document title are left out of the match: every section of a product page says
    "cast iron skillet", so only the rest of the question tells the sections apart. Returns the
    text, the ids of the passages it quotes, and whether any quoted sentence shares a word with the
    question beyond the title (the answer check: otherwise it is only the nearest text, not an answer).
    """
    title_words = {_key_word(w) for x in passages for w in re.findall(r"[a-z0-9]{3,}", x.title.lower())}
    words = _query_words(query) - title_words
    candidates: list[tuple[int, int, int, str]] = []  # (-score, passage order, sentence order, sentence)
    for pi, passage in enumerate(passages):
        body = passage.text.split("\n", 1)[-1]
        for si, sentence in enumerate(s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", body)):
            if len(sentence) > 15 and not _about_another_channel(sentence, platform) and not _staff_guidance(sentence):
                score = len(words & {_key_word(w) for w in re.findall(r"[a-z0-9]{3,}", sentence.lower())})
                candidates.append((-score, pi, si, sentence))
    if not candidates:
        return "", [], False
    matched = min(c[0] for c in candidates) < 0 or not words
    if len(passages) == 1 and len(candidates) <= limit:
        best = candidates  # a short section is quoted whole: the sentences around the match carry the answer
        text = " ".join(c[3].lstrip("- ") if c[3].endswith((".", "!", "?")) else c[3].lstrip("- ") + "."
                        for c in sorted(best, key=lambda c: c[2]))
        return text, [passages[0].id], matched
    best = sorted(candidates)[:limit]
    if best[0][0] == 0:
        best = [c for c in candidates if c[1] == 0][:limit]  # nothing matches: the top passage's opening
    best = [c for c in best if c[0] < 0] or best
    best.sort(key=lambda c: (c[1], c[2]))
    text = " ".join(c[3].lstrip("- ") if c[3].endswith((".", "!", "?")) else c[3].lstrip("- ") + "." for c in best)
    cited = list(dict.fromkeys(passages[c[1]].id for c in best))
    return text, cited, matched


def _best_section(p: PlanInput, top: Passage) -> Passage:
    """Among the sections of the best document, the one whose sentences answer the question best."""
    sections = [top] + [x for x in (p.search(p.text, top.doc_id) if p.search else []) if x.id != top.id]
    words = _query_words(p.text) - {_key_word(w) for w in re.findall(r"[a-z0-9]{3,}", top.title.lower())}

    def score(section: Passage) -> tuple[int, int]:
        body = section.text.split("\n", 1)[-1]
        overlaps = sorted((len(words & {_key_word(w) for w in re.findall(r"[a-z0-9]{3,}", s.lower())})
                           for s in re.split(r"(?<=[.!?])\s+", body)), reverse=True)
        return (sum(overlaps[:2]), -sections.index(section))

    return max(sections, key=score)


NO_ANSWER = "no passage answers the question: the nearest text is quoted for a person to check"


def plan_policy(p: PlanInput) -> PlanOutcome:
    usable = [x for x in p.passages if x.topic != "brand_voice"]
    if not usable:
        return PlanOutcome(template="handoff", handoff_reason="no knowledge-base passage answers this question")
    answer, cited, matched = "", [], False
    for candidate in usable[:3]:  # the best article first; the next one if it only speaks of other channels
        answer, cited, matched = _extract([_best_section(p, candidate)], p.text, limit=SECTION_SENTENCES,
                                          platform=p.platform)
        if answer:
            break
    if not answer:
        return PlanOutcome(template="handoff", handoff_reason="the matching articles are about other channels")
    return PlanOutcome(template="policy_answer", slots={"answer": answer}, citations=cited,
                       review_reason=None if matched else NO_ANSWER)


def plan_product(p: PlanInput) -> PlanOutcome:
    product = None
    for sku in p.triage.entities.skus:
        found = p.run("get_product", {"sku": sku})
        if found.ok:
            product = found.data
            break
    if product is None:
        found = p.run("search_products", {"query": p.text, "limit": 1})
        products = (found.data or {}).get("products", []) if found.ok else []
        product = products[0] if products else None
    passages = [x for x in p.passages if x.topic == "product"]
    if product:
        page = f"product-{product['product_id'].lower()}"
        own = p.search(p.text, page) if p.search else [x for x in passages if x.doc_id == page]
        passages = own + [x for x in passages if x.doc_id != page]
    if not passages:
        return PlanOutcome(template="handoff", handoff_reason="no product information answers this question")
    chosen = [x for x in passages if x.doc_id == passages[0].doc_id][:3]
    answer, cited, matched = _extract(chosen, p.text, limit=2, platform=p.platform)
    stock_line = ""
    if product and re.search(r"\b(stock|available|availability|back|restock|sold out|buy|get one|when)\b", p.text, re.I):
        lines = []
        for v in product["variants"]:
            if v["in_stock"]:
                lines.append(f"{v['title']} is in stock")
            elif v["restock_date"]:
                lines.append(f"{v['title']} is out of stock and expected back {format_date(v['restock_date'])}")
            else:
                lines.append(f"{v['title']} is out of stock")
        stock_line = f" Stock right now for the {product['name']}: " + "; ".join(lines) + "."
    return PlanOutcome(template="product_answer", slots={"answer": answer, "stock_line": stock_line}, citations=cited,
                       review_reason=None if matched or stock_line else NO_ANSWER)


def plan_damaged(p: PlanInput) -> PlanOutcome:
    return plan_return(p, damage=True)


def plan_subscription(p: PlanInput) -> PlanOutcome:
    answer = _answer_to_pending(p, "update_subscription", "subscription change")
    if isinstance(answer, PlanOutcome):
        return answer
    if answer is not None and p.pending_action is not None:
        d = answer.data or {}
        words = {"active": "active again", "paused": "paused", "cancelled": "cancelled"}[d["status"]]
        if p.pending_action.args["action"] == "skip":
            words = "still active, with the next delivery skipped"
        next_line = f" Your next order is on {format_date(d['next_charge_date'])}." if d.get("next_charge_date") else ""
        return PlanOutcome(template="subscription_done",
                           slots={"subscription_id": d["subscription_id"], "status_words": words, "next_line": next_line})
    listed = p.run("list_subscriptions", {})
    subs = [s for s in (listed.data or {}).get("subscriptions", []) if s["status"] != "cancelled"] if listed.ok else []
    if not subs:
        return PlanOutcome(template="subscription_none")
    sub = next((s for s in subs if s["sku"] in p.triage.entities.skus), subs[0])
    action = next((name for name, pattern in _SUB_ACTIONS if pattern.search(p.text)), None)
    if action is None:
        return PlanOutcome(template="subscription_which_action", slots={"subscription_id": sub["subscription_id"]})
    proposal = p.run("update_subscription", {"subscription_id": sub["subscription_id"], "action": action})
    pending = _proposed(proposal)
    if pending is None:
        return PlanOutcome(template="handoff", handoff_reason=proposal.error)
    words = {"skip": "skip the next delivery of", "pause": "pause", "resume": "resume", "cancel": "cancel"}[action]
    next_line = f", next order {format_date(sub['next_charge_date'])}" if sub.get("next_charge_date") else ""
    return PlanOutcome(template="subscription_offer", pending_action=pending,
                       awaiting="confirmation",
                       slots={"action_words": words, "subscription_id": sub["subscription_id"], "sku": sub["sku"],
                              "interval_days": sub["interval_days"], "next_line": next_line})


def plan_review_feedback(p: PlanInput) -> PlanOutcome:
    if "review_manipulation" in p.triage.risk_flags or re.search(r"\b(refund|discount|free|money)\b", p.text, re.I):
        return PlanOutcome(template="review_policy", review_reason="review or feedback tied to money")
    if _THANKS.search(p.text) and p.triage.sentiment == "positive":
        return PlanOutcome(template="thanks_reply", review_reason="feedback message")
    return PlanOutcome(template="handoff", handoff_reason="review or feedback needs a person")


PLANS: dict[str, Callable[[PlanInput], PlanOutcome]] = {
    "order_status": plan_order_status,
    "return_request": plan_return,
    "refund_status": plan_refund_status,
    "cancel_order": plan_cancel,
    "change_address": plan_change_address,
    "product_question": plan_product,
    "policy_question": plan_policy,
    "damaged_or_wrong_item": plan_damaged,
    "subscription_change": plan_subscription,
    "review_feedback": plan_review_feedback,
}

HANDOFF_INTENTS = {"claim_or_chargeback": "A-to-z claim, chargeback or dispute", "complaint": "complaint",
                   "privacy_request": "privacy request about personal data",
                   "other": "not a request the assistant can answer"}


def _run_confirmed_refund(p: PlanInput) -> PlanOutcome:
    answer = _answer_to_pending(p, "refund", "refund")
    if isinstance(answer, PlanOutcome) or answer is None:
        return answer or PlanOutcome(template="handoff", handoff_reason="refund was not confirmed")
    d = answer.data or {}
    oid = d["order_id"]
    return PlanOutcome(template="refund_done", order_id=oid, slots={
        "order_id": oid, "amount": d["amount"], "expected_by": format_date(d.get("expected_by"))})


def run_plan(p: PlanInput) -> PlanOutcome:
    """The plan for the intent; a handoff outcome for intents that always go to a person."""
    if p.confirmed and p.pending_action and p.pending_action.tool == "refund":
        return _run_confirmed_refund(p)
    if p.intent in HANDOFF_INTENTS:
        return PlanOutcome(template="handoff", handoff_reason=HANDOFF_INTENTS[p.intent])
    try:
        return PLANS[p.intent](p)
    except _NeedOrder as need:
        return need.outcome

