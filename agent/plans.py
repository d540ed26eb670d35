"""A plan per known intent: which tools, in which order, and which template answers.

This is the deterministic engine's brain and also what the LLM engine relies on for the common
intents: facts come from tool results, policy from the tools, wording from templates. A plan
returns a `PlanOutcome`; it never writes without the customer's confirmed yes (the tools enforce
that too) and hands off what it cannot answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from agent.address_amend import find_amendment, find_new_address, gives_whole_address, unit_missing
from agent.answer_check import question_parts
from agent.answer_gate import questions
from agent.intents import INTENT_TABLE, handoff_intents
from agent.order_resolver import (ACTIONS, Candidate, amounts as said_amounts, names_products_of, on_channel, resolve,
                                  state_cues)
from agent.order_sets import asks_about_several, in_period, named_orders, refund_relevant
from agent.product_answers import (
    CATALOG_SECTIONS, answer as answer_from_catalog, find_products, from_pages, mentions, product_pages,
    rank as rank_products, unanswered_reason, warranty_sentence,
)
from agent.passage_answers import (  # passage answers (agent/passage_answers.py), under the plans' old names
    CHANNEL_NAMES, NO_ANSWER, QUESTION_WORDS as _QUESTION_WORDS,
    SECTION_SENTENCES, PassageAnswer, about_another_channel as _about_another_channel, best_section,
    extract as _extract, extract_answer, key_word as _key_word,
    MIN_SENTENCE, sentences as passage_sentences, staff_guidance,
)
from agent.refund_reasons import asks_what_for, customer_reason
from agent.return_timing import asked_return_time, asks_about_extension, asks_return_window, timing_lead
from agent.schemas import Passage, Triage
from agent.subscription_requests import ChangeRequest, action_asked, change_request
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
_DEFECT = re.compile(r"\b(stopped working|doesn'?t work|does not work|won'?t (?:work|turn on|start|charge|heat|light|"
                     r"power on|close|seal|lock)|defective|faulty|not working"
                     r"|no funciona|dej[oó] de funcionar|no (?:enciende|prende|calienta|carga|cierra|sella|sirve)|"
                     r"defectuos[oa]s?)\b", re.I)
_WRONG = re.compile(r"\bwrong\b|not what i ordered|different (one|item|color|size)"
                    r"|\b(?:equivocad[oa]s?|incorrect[oa]s?)\b|no es lo que (?:ped[ií]|orden[eé]|compr[eé])", re.I)
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
    sections: Callable[[str], list[Passage]] | None = None  # doc_id -> every section of it a search can reach
    active_order_id: str | None = None
    pending_action: PendingAction | None = None
    confirmed: bool = False
    declined: bool = False
    results: list[ToolResult] = field(default_factory=list)


class _NeedOrder(Exception):
    def __init__(self, outcome: PlanOutcome) -> None:
        self.outcome = outcome


# The customer says the request is for more than one thing ("both", "my other order too", "same thing"): the
# resolver's reading that the message names several orders is then the request's, not a word of context ("no
# combina con mi patio" names no patio table to return).
_MORE_THAN_ONE = re.compile(r"\b(?:both|each|all of them|two orders|other order|another order|second order|also|too|"
                            r"as well|same thing|same for|ambos|ambas|los dos|las dos|cada uno|tambi[eé]n)\b", re.I)


def _resolve_order(p: PlanInput) -> dict[str, Any]:
    """The order the customer means: named in the message, the one we were discussing, or the only recent one."""
    named_ids = list(dict.fromkeys(p.triage.entities.order_ids))
    if len(named_ids) >= 2 and p.intent in ACTIONS:
        raise _NeedOrder(_several_for_one_action(p, named_ids))
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
    if len(found.order_ids) >= 2 and p.intent in ACTIONS and _MORE_THAN_ONE.search(p.text):
        raise _NeedOrder(_several_for_one_action(p, found.order_ids))
    if not found.candidates:
        raise _NeedOrder(PlanOutcome(template="no_orders", awaiting="order_id"))
    listing = " or ".join(_order_line(c.order_id, c.items, c.placed_at) for c in found.candidates)
    raise _NeedOrder(PlanOutcome(template="which_order", slots={"order_list": listing}, awaiting="order_id"))


def _several_for_one_action(p: PlanInput, order_ids: Sequence[str]) -> PlanOutcome:
    """The message asks for one change on several orders it names ("switch both orders to my sister's address",
    "cancel 1717 and 1723"): a plan proposes a change on one order at a time, so acting on the first would drop
    the rest, and asking "which order?" asks what the customer already said. A person makes each change."""
    return PlanOutcome(template="handoff", handoff_reason=(
        f"the customer asks for the same {p.intent.replace('_', ' ')} on several orders ({', '.join(order_ids)}): "
        "make it on each"))


def order_named_by_product(p: PlanInput) -> str | None:
    """The order `p.text` points at by the products it names, when one order plausibly fits; else None. For a
    further request of a message about several orders ("1) the French press is still not here 2) when is the
    refund for the table?"): the main request's order must not answer a piece that names another one."""
    if p.triage.entities.order_ids or p.triage.entities.tracking_numbers:
        return None  # the message names its orders outright; the plan reads them
    listed = p.run("list_customer_orders", {"limit": 20})
    rows = (listed.data or {}).get("orders", []) if listed.ok else []
    found = resolve(p.text, p.intent, [Candidate.from_tool(r) for r in rows], today=p.today, platform=p.platform)
    if not found.order_id:
        return None
    if "product" in found.cues:
        return found.order_id
    only = found.candidates[0] if len(found.candidates) == 1 else None  # the only order: no cue was read
    return found.order_id if only is not None and names_products_of(p.text, only) else None


def _short_title(title: str) -> str:
    """"Northfork Basecamp 45 Qt Rolling Cooler - Juniper" -> "Basecamp 45 Qt Rolling Cooler - Juniper": the
    product as the customer knows it, without the brand every item carries."""
    return re.sub(r"^Northfork\s+", "", title)


def _product_names(titles: Iterable[str]) -> str:
    """"Skillet and Lid": products as the customer knows them, joined the way the Spanish twins read them
    (agent/templates_es.py `_items` splits on " and ")."""
    return " and ".join(_short_title(t) for t in titles)


def _first_shipment(order: dict[str, Any], named: Sequence[str] = ()) -> dict[str, Any] | None:
    """The parcel the answer is about: the one carrying the items the customer names, else the first still open."""
    shipments = order.get("shipments") or []
    if named and (carrying := [s for s in shipments if set(named) & set(s.get("items") or [])]):
        shipments = carrying
    open_ones = [s for s in shipments if s["status"] != "delivered"]
    return (open_ones or shipments or [None])[0]


def _named_items(text: str, titles: Sequence[str]) -> list[str]:
    """The order's item titles the message names ("where's the coffee grinder"), by the catalog-question ranking
    (agent/product_answers.py: the words of a title, its kind, everyday words for it); none when it names none."""
    if len(set(titles)) < 2:
        return []
    products = [{"product_id": str(n), "name": t.split(" - ")[0], "variants": []} for n, t in enumerate(titles)]
    ranked = rank_products(text, products)
    return [titles[int(s.product["product_id"])] for s in ranked if s.score == ranked[0].score]


def _item_titles(order: dict[str, Any]) -> list[str]:
    """The order's line titles (get_order gives each line as a dict, an order listing as its title)."""
    return [i["title"] if isinstance(i, dict) else str(i) for i in order.get("items") or []]


def _unshipped_items(order: dict[str, Any], shipments: Sequence[dict[str, Any]]) -> list[str]:
    """The order's items no parcel carries (a partly shipped order), by title, each as often as it is missing."""
    carried = [t for s in shipments for t in s.get("items") or []]
    missing: list[str] = []
    for title in _item_titles(order):
        if title in carried:
            carried.remove(title)
        else:
            missing.append(title)
    return missing


def _partly_shipped(p: PlanInput, order: dict[str, Any], slots: dict[str, Any], shipments: Sequence[dict[str, Any]],
                    missing: Sequence[str]) -> PlanOutcome:
    """Some items shipped, some are in no parcel: the reply names what has not shipped and when it is due, then
    every parcel with its items, never "your order has shipped". Past the ship-by date the customer may wait or
    cancel those items for a full refund (KB ftc-shipping-delay-rights): a person confirms the choice."""
    oid = order["order_id"]
    items = _product_names(dict.fromkeys(missing))
    full = {**slots, "items": items, "parcel_list": "; ".join(_parcel_line(s) for s in shipments)}
    if p.today > date.fromisoformat(order["ship_by"]):
        return PlanOutcome(template="status_partly_shipped_late", slots=full, order_id=oid, delay_notice=True,
                           review_reason=f"part of order {oid} ({items}) has not shipped and its ship-by date "
                                         f"{slots['ship_by']} has passed: confirm whether the customer waits or "
                                         "cancels those items for a full refund (KB ftc-shipping-delay-rights)")
    return PlanOutcome(template="status_partly_shipped", slots=full, order_id=oid)


def _place(shipment: dict[str, Any], with_town: bool = True) -> str:
    """Where the carrier's delivery scan says it left the parcel, with the scan's town when it has one
    ("left at: garage, Indianapolis, IN"): a customer looking for a parcel checks both. A split shipment's
    parcel line gives the spot only (the lines are already long, and all go to one address)."""
    last = shipment.get("last_event") or {}
    description = last.get("description") or "delivered"
    if not description.startswith("Delivered"):
        return description
    spot = description.replace("Delivered, ", "left at: ").lower()
    town = str(last.get("location") or "").strip()
    return f"{spot}, {town}" if with_town and spot.startswith("left at: ") and town and len(town) <= 60 else spot


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
    if status in ("pending", "unshipped") and (blocked := _cannot_ship_there(p, order)):
        return blocked
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
    outcome = _shipped_status(p, order, slots, tracking)
    parcels = (tracking.data if tracking.ok and tracking.data else order).get("shipments") or []
    if len(parcels) < 2 or outcome.template in ("status_unshipped", *_PARCELS_LISTED):
        return outcome
    return outcome.model_copy(update={"extra": [*outcome.extra, {"template": "parcels_summary", "slots": {
        "count": len(parcels), "parcel_list": "; ".join(_parcel_line(s) for s in parcels)}}]})


def _parcel_line(shipment: dict[str, Any]) -> str:
    """One parcel of a split shipment: what is in it, its carrier and tracking, and where it stands."""
    items = _product_names(shipment.get("items") or []) or "one parcel"
    place = _place(shipment, with_town=False)
    where = (f"delivered on {format_date(shipment['delivered_at'])}" + (f" ({place})" if place.startswith("left at")
                                                                          else "")
             if shipment.get("delivered_at")
             else f"on its way, expected by {format_date(shipment['estimated_delivery'])}")
    return f"the {items} with {shipment['carrier']}, tracking {shipment['tracking_number']}, {where}"


_PARCELS_LISTED = ("status_partly_shipped", "status_partly_shipped_late")  # templates that list every parcel


def _shipped_status(p: PlanInput, order: dict[str, Any], slots: dict[str, Any], tracking: ToolResult) -> PlanOutcome:
    """Where a shipped order stands, from the parcel carrying the items the customer names, else its first open
    parcel (all of them are listed after, by the caller); a partly shipped order says first what has not shipped."""
    oid, status = order["order_id"], order["status"]
    source = tracking.data if tracking.ok and tracking.data else order
    if (shipments := source.get("shipments") or []) and (missing := _unshipped_items(order, shipments)):
        return _partly_shipped(p, order, slots, shipments, missing)
    shipment = _first_shipment(source, _named_items(p.text, _item_titles(order)))
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
        return _delivered_answer(p, order, shipment, slots)
    if shipment["status"] == "lost":
        status = p.run("get_refund_status", {"order_id": oid})
        refunds = [r for r in (status.data or {}).get("refunds", []) if r.get("status") != "failed"] if status.ok else []
        refunded = sum((Decimal(r["amount"]) for r in refunds), Decimal(0))
        if refunds and refunded >= Decimal(str(order["total"])):
            r = refunds[-1]  # already refunded: say so with the amount and date, never promise it again
            expected = ""
            if r.get("expected_by"):  # a date already behind us is never stated as one still to come
                reach = "should have reached" if p.today > date.fromisoformat(r["expected_by"]) else "should reach"
                expected = f" It {reach} you by {format_date(r['expected_by'])}."
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
    if shipment["status"] == "out_for_delivery":
        return PlanOutcome(template="status_out_for_delivery", slots=slots, order_id=oid)
    events = (tracking.data or {}).get("events", []) if tracking.ok else []
    if stalled := _stalled(p, order, shipment, events, slots):
        return stalled
    late = p.today > date.fromisoformat(order["deliver_by"])  # past the promise, with a carrier date still ahead
    if shipment.get("delayed") or shipment["status"] == "exception" or late:
        return PlanOutcome(template="status_delayed", slots=slots, order_id=oid)
    if not any(e["type"] not in ("label_created", "accepted") for e in events):
        return PlanOutcome(template="status_shipped", slots=slots, order_id=oid)
    return PlanOutcome(template="status_in_transit", slots=slots, order_id=oid)


# Ship-to states outside the contiguous US (USPS codes, with the military ones), named as a reply says them
OUTSIDE_CONTIGUOUS = {"AK": "Alaska", "HI": "Hawaii", "PR": "Puerto Rico", "VI": "the US Virgin Islands",
                      "GU": "Guam", "AS": "American Samoa", "MP": "the Northern Mariana Islands",
                      "AA": "a military address", "AE": "a military address", "AP": "a military address"}


def _cannot_ship_there(p: PlanInput, order: dict[str, Any]) -> PlanOutcome | None:
    """An unshipped order with an item whose listing ships only within the contiguous US (propane: ground only)
    going to Alaska, Hawaii, Puerto Rico, a territory or a military address cannot ship as placed. "It ships by
    Friday" would be a promise the seller cannot keep: the reply says why it can't go there, and a person
    decides what happens to it (cancel the item for a refund, or another address) before anything is sent.
    The rule is the product's own listing (`get_product` specs), read only for such an address."""
    state = str((order.get("ship_to") or {}).get("state") or "").upper()
    if state not in OUTSIDE_CONTIGUOUS:
        return None
    blocked = []
    for item in order.get("items", []):
        found = p.run("get_product", {"sku": item["sku"]})
        specs = (found.data or {}).get("specs", {}) if found.ok else {}
        if any(re.search(r"\bcontiguous\b", str(v), re.I) for v in specs.values()):
            blocked.append(item["title"])
    if not blocked:
        return None
    oid = order["order_id"]
    rest = len(blocked) < len(order["items"])
    return PlanOutcome(
        template="status_cannot_ship_there", order_id=oid,
        review_reason=f"order holds {', '.join(blocked)}, which ships only within the contiguous US, and goes to "
                      f"{OUTSIDE_CONTIGUOUS[state]}: cancel it for a refund or take another address",
        slots={"order_id": oid, "items": " and ".join(blocked),
               "ship_place": f"{order['ship_to'].get('city')}, {state}",  # as the record says it (grounding reads it)
               "rest_line": " The rest of your order can still ship as planned." if rest else ""})


_STILL_MISSING = frozenset({"delivered, not received", "not arrived"})  # state cues: "says delivered but", "not here"
# KB delivered-not-received, "First steps": where a parcel marked delivered usually turns up
_SPOTS_TO_CHECK = ("the property", "the mailbox or parcel locker", "your building's mailroom or front desk")


_DELIVERY_COMPLAINT = ("the order was delivered and the customer complains without asking where it is (a late or "
                       "slow delivery, a missed date): the status is no answer, and an apology or goodwill for the "
                       "delay is the seller's call")


def complains_without_asking(p: PlanInput) -> bool:
    """An unhappy message that asks nothing ("10 days to get a grinder to San Juan. Not impressed.", "it showed up
    the 22nd, after the party"): about a delivered order it is a complaint about the delivery, not a question
    about where the parcel is, so neither its status nor the missing-parcel steps answer it."""
    return p.triage.sentiment == "negative" and not questions(p.text)


def _delivered_answer(p: PlanInput, order: dict[str, Any], shipment: dict[str, Any],
                      slots: dict[str, Any]) -> PlanOutcome:
    """A delivered order the customer asks about: unless they say they have it, they ask because they can't
    find it, so the answer is the seller's delivered-not-received steps (KB delivered-not-received): where the
    carrier left it, what to check, the wait before a claim, and the claim with a replacement or refund. Once
    the wait has passed and they say it is missing, the claim is due now: a person opens it."""
    oid = order["order_id"]
    cues = {name for name, _ in state_cues(p.text)}
    missing = bool(cues & _STILL_MISSING) or bool(_NOT_RECEIVED.search(p.text))
    if not missing and complains_without_asking(p):
        return PlanOutcome(template="status_delivered", slots=slots, order_id=oid, review_reason=_DELIVERY_COMPLAINT)
    if "received" in cues and not missing:
        return PlanOutcome(template="status_delivered", slots=slots, order_id=oid)
    wait = p.seller.shipping.delivered_not_received_wait_hours
    spot = _spot(shipment)
    slots = {**slots, "wait_hours": wait, "guidance": f"Most turn up within {wait} hours. ",
             "checks": _checks(spot),
             "marketplace_line": _shipped_by_marketplace(p, order, "you can also report it missing in your {name} "
                                                                   "account, where {name} can act on it directly")}
    dnr = next((x for x in p.passages if x.doc_id == "delivered-not-received"), None)
    cited = [dnr.id] if dnr else []
    if elsewhere := _scanned_elsewhere(order, shipment):
        return _delivered_elsewhere(order, elsewhere, slots, cited, missing=missing)
    if not missing:
        return PlanOutcome(template="status_delivered_help", slots=slots, order_id=oid, citations=cited)
    delivered = datetime.fromisoformat(shipment["delivered_at"]) if shipment.get("delivered_at") else None
    # the plan knows the day, not the hour: the wait has surely passed when it was over by the start of today
    if delivered and datetime.combine(p.today, time.min, tzinfo=UTC) >= delivered + timedelta(hours=wait):
        return PlanOutcome(template="delivered_not_received_claim", slots=slots, order_id=oid, citations=cited,
                           review_reason=f"marked delivered more than {wait} hours ago and the customer still "
                                         "doesn't have it: open a carrier claim and arrange a replacement or refund")
    return PlanOutcome(template="delivered_not_received", slots=slots, order_id=oid, citations=cited)


@dataclass(frozen=True)
class _Elsewhere:
    """A parcel whose delivery scan is in another place than the order's ship-to."""

    shipment: dict[str, Any]
    scan_place: str  # as the carrier wrote it: "Indianapolis, IN"
    ship_place: str  # the order's ship-to city and state: "Columbus, OH"


def _place_key(name: str) -> str:
    """"St. Louis" and "Saint Louis", "Ft Myers" and "Fort Myers" alike."""
    words = re.sub(r"[^\w\s]", " ", name.lower()).split()
    return " ".join({"saint": "st", "fort": "ft", "mount": "mt"}.get(w, w) for w in words)


def _scanned_elsewhere(order: dict[str, Any], first: dict[str, Any]) -> _Elsewhere | None:
    """A delivered parcel of the order (the one asked about first) whose carrier delivery scan is in another
    city or state than the order's ship-to: the carrier left it somewhere else, a misdelivery."""
    ship_to = order.get("ship_to") or {}
    city, state = str(ship_to.get("city") or ""), str(ship_to.get("state") or "").upper()
    if not city or not state:
        return None
    for shipment in (first, *(s for s in order.get("shipments") or [] if s is not first)):
        last = shipment.get("last_event") or {}
        where = str(last.get("location") or "").strip()
        if last.get("type") != "delivered" or not where:
            continue
        scan_city, _, rest = where.partition(",")
        scan_state = rest.split()[0].upper() if rest.split() else ""
        other_state = len(scan_state) == 2 and scan_state.isalpha() and scan_state != state
        if other_state or _place_key(scan_city) != _place_key(city):
            return _Elsewhere(shipment, where, f"{city}, {state}")
    return None


def _delivered_elsewhere(order: dict[str, Any], elsewhere: _Elsewhere, slots: dict[str, Any], cited: list[str],
                         *, missing: bool) -> PlanOutcome:
    """Marked delivered, but the delivery scan is in another place: the reply says where the carrier scanned it,
    and a person opens the carrier claim now (waiting for it to turn up at the customer's door is pointless)."""
    oid, shipment = order["order_id"], elsewhere.shipment
    slots = {**slots, "carrier": shipment["carrier"], "tracking_number": shipment["tracking_number"],
             "delivered_date": format_date(shipment.get("delivered_at")
                                           or (shipment.get("last_event") or {}).get("at")),
             "scan_place": elsewhere.scan_place, "ship_place": elsewhere.ship_place,
             "sorry_line": "I'm sorry your package hasn't turned up. " if missing else ""}
    return PlanOutcome(template="delivered_elsewhere", slots=slots, order_id=oid, citations=cited,
                       review_reason=f"{shipment['carrier']}'s delivery scan is in {elsewhere.scan_place}, not "
                                     f"{elsewhere.ship_place} where the order was going: likely misdelivered; open a "
                                     "carrier claim now and arrange a replacement or refund")


def _checks(spot: str) -> str:
    """Where to look, starting with where the carrier says it left the parcel (not listed twice)."""
    squeezed = spot.replace(" ", "")
    rest = [s for s in _SPOTS_TO_CHECK if not squeezed or squeezed not in s.replace(" ", "")]
    if spot:
        rest = [s.replace("the property", "the rest of the property") for s in rest]
        rest[0] = f"the {spot} first, then {rest[0]}"
    return ", ".join(rest) + ", and with neighbors and anyone else in your household"


def _spot(shipment: dict[str, Any]) -> str:
    """Where the carrier says it left the parcel ("Delivered, Parcel locker" -> "parcel locker"), or ""."""
    description = (shipment.get("last_event") or {}).get("description") or ""
    if not description.startswith("Delivered,"):
        return ""
    return " ".join(w if w.isupper() else w.lower() for w in description.split(",", 1)[1].split())


def _shipped_by_marketplace(p: PlanInput, order: dict[str, Any], what: str) -> str:
    """For an order the marketplace itself shipped (FBA, WFS), the KB's note that the marketplace can act on a
    missing or lost parcel too; "" for orders we ship ourselves."""
    if order.get("fulfillment") not in ("FBA", "WFS"):
        return ""
    name = p.policy.display_name
    return f" Because {name} shipped this order, " + what.format(name=name) + "."


def _last_scan(shipment: dict[str, Any], events: list[dict[str, Any]], one_parcel: bool) -> dict[str, Any]:
    """The carrier's last physical scan: a notice without a place ("No scan in 7 days: carrier has opened a
    package trace") is not one. Only a one-parcel order's event list is read, so it is this parcel's."""
    last = shipment.get("last_event") or {}
    if last.get("location") or not one_parcel:
        return last
    return next((e for e in reversed(events) if e.get("location")), last)


def _stalled(p: PlanInput, order: dict[str, Any], shipment: dict[str, Any], events: list[dict[str, Any]],
             slots: dict[str, Any]) -> PlanOutcome | None:
    """A parcel with no scan for the seller's trace threshold, or past the carrier's own estimate: never a date
    already behind us as a promise. The KB's next step (a carrier trace, then a replacement or refund) is a
    person's job, so the reply goes to review."""
    one_parcel = len(order.get("shipments") or []) <= 1
    scan = _last_scan(shipment, events, one_parcel)
    if not scan.get("at"):
        return None
    shipping = p.seller.shipping
    stale = (p.today - datetime.fromisoformat(scan["at"]).date()).days >= shipping.no_scan_trace_days
    if not stale and p.today <= date.fromisoformat(shipment["estimated_delivery"]):
        return None
    oid = order["order_id"]
    slots = {**slots, "last_event": scan.get("description", "in transit"),
             "last_location": f" in {scan['location']}" if scan.get("location") else "",
             "last_event_date": format_date(scan["at"]), "trace_days": shipping.no_scan_trace_days,
             "lost_days": shipping.lost_declared_days,
             "due_line": f": it was due by {slots['deliver_by']}" if p.today > date.fromisoformat(order["deliver_by"])
             else ""}
    if not stale:
        return PlanOutcome(template="status_stalled_late", slots=slots, order_id=oid,
                           review_reason="past the carrier's estimated delivery date: check with the carrier")
    if order.get("fulfillment") in ("FBA", "WFS"):
        return PlanOutcome(template="status_stalled_marketplace", order_id=oid,
                           slots={**slots, "marketplace": p.policy.display_name},
                           review_reason=f"no tracking scan for {shipping.no_scan_trace_days}+ days on an order "
                                         f"{p.policy.display_name} shipped: follow up with {p.policy.display_name}")
    return PlanOutcome(template="status_stalled_trace", slots=slots, order_id=oid,
                       review_reason=f"no tracking scan for {shipping.no_scan_trace_days}+ days: open a carrier trace; "
                                     f"replacement or refund if still no scan {shipping.lost_declared_days} days after "
                                     "the last one")


# "can I swap it for the white one", "exchange it for the 32 oz", "trade it for a different color", "cambiar por"
_EXCHANGE = re.compile(r"\b(?:swap\w*|exchang\w*|trade|switch\w*)\b|\bcambi(?:ar|o)\b", re.I)
_INSTEAD = re.compile(r"\binstead\b", re.I)
_NOT_A_VARIANT = re.compile(r"\b(?:refund|money|credit|cancel\w*|return)\b", re.I)  # "a refund instead" is no swap
_WRONG_SENT = re.compile(r"\bwrong\b|not what i ordered", re.I)  # in an exchange, "a different color" is the wish
_LATE = re.compile(r"\b(?:arrived|came|got here|showed up|delivered|was)\b(?:\s+[\w-]+){0,3}?\s+late\b"
                   r"|\blate (?:delivery|arrival)\b", re.I)


def _exchange_request(text: str) -> bool:
    """The customer wants another variant rather than their money back: a swap word, or "... instead" not about
    a refund, credit, cancellation or return."""
    if _EXCHANGE.search(text):
        return True
    return any(not _NOT_A_VARIANT.search(re.split(r"[.!?;,]", text[max(0, m.start() - 60):m.start()])[-1])
               for m in _INSTEAD.finditer(text))


_DAMAGED = re.compile(r"\b(broken|cracked|damaged|dented|chipped|shattered|smashed|crushed|bent|torn|"
                      r"rot[oa]s?|quebrad[oa]s?|dañad[oa]s?|abollad[oa]s?|rajad[oa]s?|astillad[oa]s?|"
                      r"estrellad[oa]s?|aplastad[oa]s?|doblad[oa]s?)\b", re.I)
# What undoes a fault word before it in its clause: a denial ("nothing wrong with it", "it isn't damaged", "no
# cracks") or the customer's own choice ("I ordered the wrong size", "we measured wrong").
_DENIED = re.compile(r"\b(?:nothing|not|no|never|none|without|isn'?t|wasn'?t|aren'?t|weren'?t|ain'?t|nada|sin)\b"
                     r"|n't\b|\b(?:i|we)\s+(?:\w+\s+)?(?:ordered|picked|chose|bought|selected|clicked|measured|"
                     r"grabbed|typed|entered)\b", re.I)
_CLAUSE_END = re.compile(r"[.!?;,\n]|\b(?:but|though|although|however|except)\b", re.I)


def _says(pattern: re.Pattern[str], text: str) -> bool:
    """A fault cue the customer asserts: some match of `pattern` with no denial or own-choice words among the
    (up to five) words before it in its clause. "Nothing wrong with it, we just measured badly" once read as a
    wrong item, and the auto-sent reply waived the restocking fee "because we sent the wrong item"."""
    for m in pattern.finditer(text):
        before = text[max(0, m.start() - 80):m.start()]
        clause = _CLAUSE_END.split(before)[-1]
        if not _DENIED.search(" ".join(clause.split()[-5:])):
            return True
    return False


def _return_reason(text: str, *, exchange: bool = False) -> str:
    """Why the customer sends it back, from the fault they assert (a denied one is no reason): it decides
    the restocking fee and who pays the label."""
    if _says(_WRONG_SENT if exchange else _WRONG, text):
        return "wrong_item"
    if _says(_DEFECT, text):
        return "defective"
    if _says(_DAMAGED, text):
        return "damaged"
    if _LATE.search(text):
        return "arrived_late"
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


# Why the seller's changed-mind restocking fee does not apply (KB returns-restocking-fees: never for these reasons).
_NO_FEE_BECAUSE = {"damaged": "the item arrived damaged", "defective": "the item is defective",
                   "wrong_item": "we sent the wrong item", "not_as_described": "the item isn't as described",
                   "arrived_late": "your order arrived late"}


def _return_slots(p: PlanInput, check: dict[str, Any]) -> dict[str, Any]:
    paid_by = check["return_shipping_paid_by"]
    fee = check["restocking_fee_pct"]
    fee_line = f"A {fee:g}% restocking fee applies to changed-mind returns. " if fee else ""
    because = _NO_FEE_BECAUSE.get(check.get("return_reason", ""))
    if not fee and because and p.policy.returns.restocking_fee_pct:  # the fee exists, but not for this return
        fee_line = f"There's no restocking fee on this return, because {because}. "
    elif not fee and re.search(r"\brestock|\bfees?\b", p.text, re.I):
        fee_line = "There's no restocking fee on this return. "
    return {
        "order_id": check["order_id"], "window_ends": format_date(check["window_ends"]),
        "shipping_line": "Return shipping is free for you. " if paid_by == "seller"
        else "Return shipping is paid by you (the label cost comes out of the refund). ",
        "fee_line": fee_line,
        "refund_days": check["refund_days_after_receipt"], "refund_day_kind": check["refund_day_kind"],
        **_window_slots(check),
    }


def _already_returned(p: PlanInput, oid: str, return_id: str) -> PlanOutcome:
    """Everything on the order already came back: when it arrived and what was refunded for it."""
    status = p.run("get_refund_status", {"order_id": oid})
    data = (status.data or {}) if status.ok else {}
    ret = next((r for r in data.get("returns", []) if r["return_id"] == return_id), None)
    refund = next((r for r in data.get("refunds", []) if r.get("status") != "failed" and ret
                   and _refund_return(r, [ret])), None)
    return PlanOutcome(template="return_already_back", order_id=oid, slots={
        "order_id": oid, "return_id": return_id,
        "back_line": f" We received it on {format_date(ret['received_at'])}." if ret and ret.get("received_at") else "",
        "refunded_line": f" We refunded ${refund['amount']} for it on {format_date(refund['issued_at'])}"
                         + (f", and {_bank_line(data, refund, p.today)}" if _posting(refund, p.today) else ".")
        if refund else ""})


def _posting(refund: dict[str, Any], today: date) -> bool:
    """The refund is issued and the bank may not have posted it yet: "I don't see it on my card" is still the
    bank's part of the wait, which the reply then says (a refund posted long ago needs no such line)."""
    return bool(refund.get("expected_by")) and today <= date.fromisoformat(refund["expected_by"])


def _timing_slots(p: PlanInput, check: dict[str, Any]) -> dict[str, str]:
    """The direct answer to "can she return it in January?" (agent/return_timing.py), and, when the customer
    asks around a holiday and no holiday extension sets this order's last day, that none does."""
    ends = date.fromisoformat(check["window_ends"]) if check.get("window_ends") else None
    lead = timing_lead(asked_return_time(p.text, p.today), ends, format_date(check["window_ends"]) if ends else "")
    holiday = ""
    if not check.get("holiday_extended") and not check.get("is_defect") and asks_about_extension(p.text):
        holiday = "No holiday extension applies to this order. "
    return {"timing_lead": lead, "holiday_line": holiday}


def _window_slots(check: dict[str, Any]) -> dict[str, str]:
    """How long the return window is, said beside its last day: the usual window's length, or the holiday
    extension when that is what sets the day (from `check_return_eligibility`)."""
    if check.get("holiday_extended"):
        return {"window_terms": ", under our holiday return extension", "window_name": "holiday return window"}
    days = check.get("window_days")
    if not days:
        return {"window_terms": "", "window_name": "return window"}
    return {"window_terms": f", the end of our {days}-day return window", "window_name": f"{days}-day return window"}


def _tokens(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def _wanted_variant(text: str, variants: list[dict[str, Any]], current_sku: str) -> dict[str, Any] | None:
    """The variant the customer asks for: the other variant whose distinguishing words ("32", "white") the
    message names most, ties broken by what it keeps of the current one (21 oz Juniper -> 32 oz Juniper)."""
    current = next((v for v in variants if v["sku"] == current_sku), None)
    others = [v for v in variants if v["sku"] != current_sku]
    if not others:
        return None
    common = set.intersection(*(_tokens(v["title"]) for v in variants))
    kept = _tokens(current["title"]) - common if current else set()
    asked = _tokens(text) - common - kept
    scored = sorted((((len((_tokens(v["title"]) - common) & asked)), len(_tokens(v["title"]) & kept), n)
                     for n, v in enumerate(others)), reverse=True)
    best = scored[0]
    if best[0] == 0 or (len(scored) > 1 and scored[1][:2] == best[:2]):
        return None
    return others[best[2]]


def _variant_line(wanted: dict[str, Any] | None, variants: list[dict[str, Any]], item: dict[str, Any],
                  paid: str) -> str:
    """Stock and price of the variant asked for against what was paid (KB returns-exchanges: we collect or
    refund the difference), or the other variants when the message names none."""
    def stock(v: dict[str, Any]) -> str:
        if v["in_stock"]:
            return "in stock"
        return f"out of stock, expected back {format_date(v['restock_date'])}" if v.get("restock_date") \
            else "out of stock"

    if wanted is None:
        others = [v for v in variants if v["sku"] != item["sku"]]
        if not others:
            return "This product comes in just one version, so there's no other size or color to swap it for. "
        listed = "; ".join(f"{v['title']} (${v['price']}, {stock(v)})" for v in others)
        return f"It also comes in: {listed}. Tell me which one you'd like. "
    if not wanted["in_stock"]:
        back = f" and expected back {format_date(wanted['restock_date'])}" if wanted.get("restock_date") else ""
        return (f"The {wanted['title']} is out of stock right now{back}; if you'd rather not wait, we can refund you "
                "instead. ")
    price, was = Decimal(wanted["price"]), Decimal(paid)
    settle = ("so we'd collect the difference" if price > was else "so we'd refund you the difference" if price < was
              else "so there's no difference to pay")
    return f"The {wanted['title']} is ${wanted['price']} and in stock; you paid ${paid} for yours, {settle}. "


def _exchange(p: PlanInput, order: dict[str, Any], item: dict[str, Any], check: dict[str, Any],
              slots: dict[str, Any]) -> PlanOutcome:
    """An exchange for another variant (KB returns-exchanges): on the store channels a person checks stock, sends
    the label and ships the new one, with the price difference from the catalog; on the marketplaces we cannot
    exchange, so the way is their return flow and a new order. The return answer stays in both."""
    oid = order["order_id"]
    found = p.run("get_product", {"sku": item["sku"]})
    variants = (found.data or {}).get("variants", []) if found.ok else []
    wanted = _wanted_variant(p.text, variants, item["sku"])
    kb = next((x.id for x in p.passages if x.doc_id == "returns-exchanges"), None)
    cited = [kb] if kb else []
    if not p.policy.returns.exchanges:
        return PlanOutcome(template="return_exchange_marketplace", order_id=oid, citations=cited, slots={
            **slots, "platform_name": p.policy.display_name, "how_to_start": p.policy.returns.how_to_start,
            "wanted": f"the {wanted['title']}" if wanted else "another size or color"})
    paid = next((str(i["unit_price"]) for i in order["items"] if i["sku"] == item["sku"]), None)
    variant_line = _variant_line(wanted, variants, item, paid) if variants and paid else ""
    return PlanOutcome(template="return_exchange_offer", order_id=oid, citations=cited, slots={
        **slots, "variant_line": variant_line,
        "exchange_shipping_line": "Return shipping for the exchange is on us. "
        if check["return_shipping_paid_by"] == "seller"
        else "Return shipping for a changed-mind exchange is paid by you. "},
        review_reason="exchange requested: check stock, send the return label and ship the new "
                      + (wanted["title"] if wanted else "variant the customer chooses"))


def plan_return(p: PlanInput, *, damage: bool = False) -> PlanOutcome:
    answer = _answer_to_pending(p, "start_return", "creating the return")
    if isinstance(answer, PlanOutcome):
        return answer
    if answer is None and (notice := _notice_question(p)) is not None:
        return notice
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
    exchange = not damage and _exchange_request(p.text)
    reason = _return_reason(p.text, exchange=exchange) if (damage or p.intent == "return_request") else "changed_mind"
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
                first = _pick_item(p, items or order["items"]) or (items or order["items"])[0]
                return PlanOutcome(template="damage_window_closed", order_id=oid,
                                   slots={"item": first["title"], "order_id": oid, "problem": problem,
                                          "window_ends": format_date(c["window_ends"]),
                                          **_warranty_slots(p, _damage_product(p, first["sku"]))},
                                   citations=_damage_citations(p),
                                   review_reason="defect after the return window: warranty decision")
            warranty = " If something is wrong with the product itself, our warranty may still cover it; reply " \
                       "with what happened and we'll check."
            return PlanOutcome(template="return_window_closed", order_id=oid,
                               slots={"order_id": oid, "window_ends": format_date(c["window_ends"]),
                                      "warranty_line": warranty, "window_name": _window_slots(c)["window_name"]})
        if code == "not_delivered":
            note = f"{p.policy.returns.window_days} days after it's delivered" \
                if p.policy.returns.window_starts == "delivery" else "the end of its return window"
            if c.get("holiday_return_by"):  # bought in the holiday period: the extension's day, or later
                note += f" (or until {format_date(c['holiday_return_by'])}, under our holiday return extension, " \
                        "if that is later)"
            return PlanOutcome(template="return_not_delivered", order_id=oid,
                               slots={"order_id": oid, "window_note": note})
        if code == "not_shipped":
            return PlanOutcome(template="return_not_shipped", order_id=oid, slots={"order_id": oid})
        if code == "order_cancelled":
            return PlanOutcome(template="return_cancelled_order", order_id=oid, slots={"order_id": oid})
        existing = c["existing_returns"][-1] if c["existing_returns"] else {"return_id": "-", "status": "open"}
        if existing["status"] in ("received", "refunded", "closed"):
            return _already_returned(p, oid, existing["return_id"])
        return PlanOutcome(template="return_exists", order_id=oid,
                           slots={"order_id": oid, "return_id": existing["return_id"],
                                  "return_status": existing["status"].replace("_", " ")})
    item = _pick_item(p, items)
    if item is None:
        listing = "; ".join(f"{i['title']} (SKU {i['sku']})" for i in items)
        return PlanOutcome(template="which_item", order_id=oid, slots={"order_id": oid, "item_list": listing},
                           awaiting="order_id")
    slots = {**_return_slots(p, c), "item": item["title"], "problem": problem, **_timing_slots(p, c)}
    if damage:
        marketplace = p.policy.returns.started_by == "buyer"
        slots |= {"replacement_line": _replacement_line(_damage_product(p, item["sku"]), item["sku"],
                                                         marketplace=marketplace),
                  "photo_line": _photo_line(reason)}
    if exchange:
        return _exchange(p, order, item, c, slots)
    if p.policy.returns.started_by == "buyer":  # the marketplace's own flow: say how, never offer our label
        return PlanOutcome(template="damage_in_marketplace" if damage else "return_in_marketplace", order_id=oid,
                           slots={**slots, "how_to_start": p.policy.returns.how_to_start},
                           citations=_damage_citations(p) if damage else [],
                           review_reason="damaged or wrong item: confirm the remedy" if damage else None)
    args = {"order_id": oid, "sku": item["sku"], "quantity": 1 if damage else item["quantity"], "reason": reason}
    proposal = p.run("start_return", args)
    pending = _proposed(proposal)
    if pending is None:
        return PlanOutcome(template="handoff", order_id=oid, handoff_reason=proposal.error or "return proposal failed")
    return PlanOutcome(template="damage_offer" if damage else "return_offer", slots=slots, order_id=oid,
                       pending_action=pending, awaiting="confirmation", citations=_damage_citations(p) if damage else [],
                       review_reason="damaged or wrong item: confirm the remedy" if damage else None)


# "why is my refund less", "was a restocking fee taken out", "did you keep the shipping": a question about the amount
_AMOUNT_QUESTION = re.compile(
    r"\b(?:less|short|partial(?:ly)?|deduct\w*|subtract\w*|withh[eo]ld\w*|difference|fees?|restocking|shipping"
    r"|(?:took|taken|take|taking) (?:out|off)|kept|rest of|remaining|balance"
    r"|(?:full|whole|entire) (?:amount|refund|price)|only (?:got|received|refunded|gave|get|sent)|not (?:the )?(?:full|whole|entire))\b", re.I)
_REASON_WORDS = {"changed_mind": "changed-mind", "no_longer_needed": "no-longer-needed", "damaged": "damaged-item",
                 "defective": "defective-item", "wrong_item": "wrong-item", "not_as_described": "not-as-described",
                 "arrived_late": "late-delivery"}


def _refund_return(refund: dict[str, Any], returns: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The return a refund pays for: the one the refund record links, else the one its recorded reason names."""
    if refund.get("return_id"):
        return next((r for r in returns if r["return_id"] == refund["return_id"]), None)
    reason = refund.get("reason") or ""
    return next((r for r in returns if re.search(rf"\b{re.escape(r['return_id'])}\b", reason)), None)


def _refund_timing(data: dict[str, Any], *, received: bool) -> str:
    """The two parts of every refund's wait (KB refund-timelines): our refund after the return arrives, then the
    bank's posting time; from the platform's policy, as the refund tool reports it. Not yet received: a clause
    ("we refund within ..."), to end a sentence or to start one capitalized."""
    posting = f"banks then usually post it within {data['posting_days']} business days."
    if received:
        return f"Once it's issued, {posting}"
    return (f"we refund within {data['refund_days_after_receipt']} {data['refund_day_kind']} days of receiving it, "
            f"and {posting}")


def _return_terms(p: PlanInput, order_id: str, ret: dict[str, Any], subject: str = "") -> tuple[str, bool]:
    """What the policy deducts from a return's refund (restocking fee, who pays return shipping), from
    `check_return_eligibility` for the return's recorded reason; and whether it was our fault."""
    check = p.run("check_return_eligibility", {"order_id": order_id, "reason": ret["reason"]})
    if not check.ok or not check.data:
        return "", False
    c, kind = check.data, _REASON_WORDS.get(ret["reason"], ret["reason"].replace("_", " "))
    fee = c["restocking_fee_pct"]
    subject = subject or f"Return {ret['return_id']}"
    fee_line = (f"{subject} was a {kind} return, so our {fee:g}% restocking fee applies to it." if fee
                else f"{subject} was a {kind} return, so no restocking fee applies to it.")
    shipping = ("Return shipping for it was on us." if c["return_shipping_paid_by"] == "seller"
                else f"Return shipping for a {kind} return is paid by you.")
    return f"{fee_line} {shipping}", bool(c["is_defect"])


def _refund_difference(p: PlanInput, order: dict[str, Any], data: dict[str, Any]) -> PlanOutcome:
    """Why a refund is less than what was paid, from the refund records (amounts, dates, recorded reasons) and
    the return policy for each return they pay for; a refund with no recorded reason goes to a person rather
    than a guess. The difference itself is not stated as a number: no tool returns it."""
    oid = data["order_id"]
    refunds = [r for r in data.get("refunds", []) if r.get("status") != "failed"]
    slots = {"order_id": oid, "paid": data["total"],
             "refunds": " and ".join(f"${r['amount']} on {format_date(r['issued_at'])}" for r in refunds)}
    timelines = next((x.id for x in p.passages if x.doc_id == "refund-timelines"), None)
    cited = [timelines] if timelines else []
    if sum((Decimal(r["amount"]) for r in refunds), Decimal(0)) >= Decimal(data["total"]):
        return PlanOutcome(template="refund_full", slots=slots, order_id=oid, citations=cited)
    lines: list[str] = []
    review: str | None = None
    returned = False
    for r in refunds:
        ret = _refund_return(r, data.get("returns", []))
        reason = (r.get("reason") or "").strip()
        if ret:
            returned = True
            terms, our_fault = _return_terms(p, oid, ret, subject="It")
            lines.append(f"The refund of ${r['amount']} is for your return {ret['return_id']}. {terms}".strip())
            if our_fault:  # KB refund-timelines: a person reviews the original shipping charge on our-fault returns
                lines.append("Because that return was our fault, a member of our team will also review the original "
                             "shipping charge.")
                review = "refund for an our-fault return: review the original shipping charge"
        elif words := customer_reason(r):  # what it was for, in the customer's words (agent/refund_reasons.py)
            lines.append(f"The refund of ${r['amount']} was {words}.")
        elif reason:
            lines.append(f"The refund of ${r['amount']} was recorded with the reason \"{reason}\".")
        else:
            lines.append(f"I don't see a reason recorded for the refund of ${r['amount']}, so a member of our team "
                         "will check the difference and explain it here.")
            review = "refund is less than the order total and no reason is recorded: check and explain the difference"
    if returned:  # KB refund-timelines, "Partial refunds and what is included"
        several = sum(int(i["quantity"]) for i in order["items"]) > 1
        lines.insert(0, "A return refund covers the price of the items sent back plus the sales tax paid on them, "
                        "minus any restocking fee that applies to a changed-mind return."
                        + (" When only some items of an order come back, only those items are refunded." if several
                           else ""))
    if Decimal(data.get("not_refunded") or "0") > 0:  # the difference, and the shipping charge it may hold
        shipping = Decimal(data.get("shipping") or "0")
        lines.insert(0, f"That leaves ${data['not_refunded']} of the order not refunded."
                        + (f" Of what you paid, ${data['shipping']} was the shipping charge." if returned and shipping > 0
                           else ""))
    latest = max(refunds, key=lambda r: r["issued_at"])  # "I don't see the 30 on my card yet": the bank's part
    if _posting(latest, p.today):
        lines.append(f"For the refund of ${latest['amount']}, {_bank_line(data, latest, p.today)}")
    return PlanOutcome(template="refund_difference", slots={**slots, "explanation": " ".join(lines)}, order_id=oid,
                       citations=cited, review_reason=review)


MAX_REFUND_ORDERS = 4  # "all my refunds": each order answered in turn, up to this many (more: which ones)
LISTED_ORDERS = 3  # "no refund on record": the orders named as what was checked
_NO_RECORD_SCOPES = {"account": "any of your recent orders", "period": "your orders from the time you mentioned",
                     "matching": "the orders that match your message"}


def plan_refund_status(p: PlanInput) -> PlanOutcome:
    """Where the refund for each order the customer means stands, and what each refund was for. Several orders
    named at once ("both the lights and the apron I sent back") are answered in turn; when no order the message
    can mean has a refund or a return, the reply says so and lists what was checked (a person reviews it: a
    customer is chasing money we don't see), never "which order do you mean?"."""
    orders = _refund_orders(p)
    if isinstance(orders, PlanOutcome):
        return orders
    if len(orders) == 1:
        return _refund_answer(p, orders[0])
    return _refunds_each(p, orders)


def _refund_orders(p: PlanInput) -> list[dict[str, Any]] | PlanOutcome:
    """The orders a refund question is about (`get_order` results), or the reply when that is none or unclear:
    order numbers in the message; several products named one by one (agent/order_sets.py); the order under
    discussion; the order the resolver finds from the message's cues; else the orders a refund can be about."""
    ids = list(dict.fromkeys(p.triage.entities.order_ids))
    if len(ids) > 1:
        return _get_orders(p, ids[:MAX_REFUND_ORDERS])
    if ids or p.triage.entities.tracking_numbers:
        return [_resolve_order(p)]
    listed = p.run("list_customer_orders", {"limit": 20})
    pool = on_channel([Candidate.from_tool(r) for r in ((listed.data or {}).get("orders", []) if listed.ok else [])],
                      p.platform)
    found = resolve(p.text, p.intent, pool, today=p.today, platform=p.platform)
    several = asks_about_several(p.text)
    named = found.order_ids or (named_orders(p.text, pool, intent=p.intent, today=p.today, platform=p.platform)
                                if several else [])
    if len(named) > 1:
        return _get_orders(p, named[:MAX_REFUND_ORDERS])
    if p.active_order_id:
        return [_resolve_order(p)]  # the order under discussion
    if not pool:
        return PlanOutcome(template="no_orders", awaiting="order_id")
    relevant = [c for c in pool if refund_relevant(c)]
    if not found.cues:  # nothing in the message tells the orders apart: the ones a refund can be about
        refunded = [c for c in relevant if c.refunded_amounts]
        if asks_what_for(p.text) and refunded:  # "what are these refunds for?": what each recent one was for
            return _refund_choice(p, refunded, each=True)
        if found.order_id and not several and any(c.order_id == found.order_id for c in relevant):
            return _get_orders(p, [found.order_id])  # the resolver's pick among them (the one settled, or recent)
        return _refund_choice(p, relevant, each=several) if relevant else _refund_no_record(p, pool, "account")
    period = in_period(p.text, pool, p.today)
    missed = period is not None and not any(c in period for c in relevant)  # none in the time the message names
    if found.order_id and (not missed or {"product", "amount"} & set(found.cues)):
        return _get_orders(p, [found.order_id])  # a product or amount named outweighs a misremembered time
    if missed:
        return _refund_no_record(p, period or found.candidates, "period")
    fitting = [c for c in found.candidates if refund_relevant(c)]
    return _refund_choice(p, fitting, each=several) if fitting else \
        _refund_no_record(p, found.candidates, "matching")


def _get_orders(p: PlanInput, order_ids: list[str]) -> list[dict[str, Any]] | PlanOutcome:
    """The orders by id (`get_order`); an id the customer gave that is not theirs asks for the right one."""
    orders = []
    for order_id in order_ids:
        found = p.run("get_order", {"order_id": order_id})
        if not found.ok:
            return PlanOutcome(template="order_not_found", slots={"requested": order_id}, awaiting="order_id")
        orders.append(found.data)
    return orders  # type: ignore[return-value]


def _refund_choice(p: PlanInput, options: list[Candidate], *,
                   each: bool = False) -> list[dict[str, Any]] | PlanOutcome:
    """Among the orders a refund can be about: the only one; `each` of them when the message speaks of several
    ("both", "all my refunds", "what are these refunds for?"); otherwise ask which, naming just those."""
    if len(options) == 1 or (each and len(options) <= MAX_REFUND_ORDERS):
        return _get_orders(p, [c.order_id for c in options])
    listing = " or ".join(_order_line(c.order_id, c.items, c.placed_at) for c in options[:MAX_REFUND_ORDERS])
    return PlanOutcome(template="which_order", slots={"order_list": listing}, awaiting="order_id")


def _order_line(order_id: str, titles: Sequence[str], placed_at: str | date) -> str:
    """'the Basecamp 45 Qt Rolling Cooler - Sand (order 112-..., placed Monday, October 5)'."""
    return (f"the {_product_names(list(titles)[:2])} (order {order_id}, placed "
            f"{format_date(placed_at)})")


def _refund_no_record(p: PlanInput, checked: list[Candidate], scope: str) -> PlanOutcome:
    """No refund and no return on the orders the message can mean: say so, name the (latest) orders checked, and
    ask whether something was sent back or a refund promised. A person reviews it before it goes."""
    shown = "; ".join(_order_line(c.order_id, c.items, c.placed_at) for c in checked[:LISTED_ORDERS])
    return PlanOutcome(template="refund_no_record", awaiting="order_id",
                       slots={"scope": _NO_RECORD_SCOPES[scope], "checked_orders": shown},
                       review_reason=f"refund asked about, but no refund or return is on record ({scope}: "
                                     f"{len(checked)} orders checked): check whether the customer sent something "
                                     "back or was told a refund was coming")


def _focused(p: PlanInput, order_id: str) -> PlanInput:
    """The plan input about one order (the one under discussion), whatever else the message names."""
    entities = p.triage.entities.model_copy(update={"order_ids": [], "tracking_numbers": []})
    return replace(p, active_order_id=order_id, triage=p.triage.model_copy(update={"entities": entities}))


def _refunds_each(p: PlanInput, orders: list[dict[str, Any]]) -> PlanOutcome:
    """Several orders: a line naming them by product, then each one's refund answer in turn. What any of them
    needs from a person (an overdue refund, a return we don't see) holds the whole reply for review."""
    parts = [_refund_answer(_focused(p, o["order_id"]), o) for o in orders]
    told = [x for x in parts if x.template != "handoff"]
    reasons = [x.review_reason for x in told if x.review_reason] + [
        f"order {x.order_id}: {x.handoff_reason}" for x in parts if x.template == "handoff"]
    proposing = [x for x in told if x.pending_action]
    listing = "; ".join(_order_line(o["order_id"], [i["title"] for i in o["items"]], o["placed_at"]) for o in orders)
    return PlanOutcome(
        template="refund_each_order", slots={"checked_orders": listing},
        extra=[part for x in told for part in ({"template": x.template, "slots": x.slots}, *x.extra)],
        pending_action=proposing[0].pending_action if len(proposing) == 1 else None,
        awaiting=proposing[0].awaiting if len(proposing) == 1 else None,
        review_reason="; ".join(reasons) or None, delay_notice=any(x.delay_notice for x in told),
        citations=list(dict.fromkeys(c for x in told for c in x.citations)))


def _refund_asked(p: PlanInput, refunds: list[dict[str, Any]]) -> dict[str, Any]:
    """The refund the message is about: the one whose amount it quotes ("the $5.88 refund"), else the latest."""
    said = said_amounts(p.text)
    return next((r for r in reversed(refunds) if any(abs(Decimal(r["amount"]) - a) <= Decimal("0.01") for a in said)),
                refunds[-1])


def _bank_line(data: dict[str, Any], refund: dict[str, Any], today: date) -> str:
    """The bank's part of a refund's wait, in the past tense once its posting window is over."""
    posting = f"banks usually post a refund within {data['posting_days']} business days"
    if not refund.get("expected_by"):
        return f"{posting}."
    if today > date.fromisoformat(refund["expected_by"]):
        return (f"{posting}, so it should have reached your original payment method by "
                f"{format_date(refund['expected_by'])}. If you don't see it there, reply here and a member of our "
                "team will look into it.")
    return f"{posting}, so you should see it on your original payment method by {format_date(refund['expected_by'])}."


def _refund_what_for(p: PlanInput, order: dict[str, Any], data: dict[str, Any],
                     refund: dict[str, Any]) -> PlanOutcome:
    """"What is this refund for?": what it was for first, in the customer's words (agent/refund_reasons.py), then
    when it was issued and reaches them. A reason with no customer wording is not guessed: a person explains it."""
    oid = order["order_id"]
    slots = {"order_id": oid, "amount": refund["amount"], "issued_date": format_date(refund["issued_at"]),
             "items": _product_names(i["title"] for i in order["items"][:2])}
    reason = customer_reason(refund)
    if reason is None:
        recorded = refund.get("reason") or "none"
        return PlanOutcome(template="refund_what_for_unknown", order_id=oid, slots=slots,
                           review_reason=f"the customer asks what the ${refund['amount']} refund was for, and its "
                                         f"recorded reason (\"{recorded}\") has no customer wording: explain it")
    return PlanOutcome(template="refund_what_for", order_id=oid, slots={
        **slots, "customer_reason": reason, "bank_line": _bank_line(data, refund, p.today)})


def _refund_answer(p: PlanInput, order: dict[str, Any]) -> PlanOutcome:
    """Where the refund for one order stands: an overdue refund escalated; why it is less than paid; what it was
    for (first, when the message asks); issued, with when it reaches the customer; the return it waits for;
    a lost parcel's refund proposed; a cancelled order's; or none on record."""
    oid = order["order_id"]
    status = p.run("get_refund_status", {"order_id": oid})
    data = status.data or {}
    refunds = data.get("refunds", [])
    returns = data.get("returns", [])
    overdue = [r for r in returns if r["status"] == "received" and r.get("refund_due_by")
               and p.today > date.fromisoformat(r["refund_due_by"])]
    if overdue:  # received, due date passed, no refund: an escalation, never "due by" a day behind us
        r = overdue[-1]
        return PlanOutcome(template="refund_overdue", order_id=oid, slots={
            "order_id": oid, "return_id": r["return_id"], "received_date": format_date(r["received_at"]),
            "due_date": format_date(r["refund_due_by"]), "posting_days": data["posting_days"]},
            review_reason=f"refund overdue: return {r['return_id']} was received and its refund was due by "
                          f"{r['refund_due_by']}; issue it now")
    if any(r.get("status") != "failed" for r in refunds) and _AMOUNT_QUESTION.search(p.text):
        return _refund_difference(p, order, data)
    if refunds:
        r = _refund_asked(p, refunds)
        if asks_what_for(p.text):
            return _refund_what_for(p, order, data, r)
        posted = bool(r.get("expected_by")) and p.today > date.fromisoformat(r["expected_by"])
        paid_for = _refund_return(r, returns)
        received_line = (f"We received your return {paid_for['return_id']} on {format_date(paid_for['received_at'])}. "
                         if paid_for and paid_for.get("received_at") else "")
        reason = customer_reason(r)  # what it was for, unless the line about its return already says so
        said = bool(received_line) and r.get("reason_kind") == "return"
        reason_line = f" It's {reason}." if reason and not said else ""
        return PlanOutcome(template="refund_issued_posted" if posted else "refund_issued", order_id=oid, slots={
            "order_id": oid, "amount": r["amount"], "issued_date": format_date(r["issued_at"]),
            "posting_days": data["posting_days"], "expected_by": format_date(r["expected_by"]),
            "received_line": received_line, "reason_line": reason_line})
    if returns:
        r = returns[-1]
        if r["received_at"]:
            # the due day with the rule it comes from, so the customer can check it (KB refund-timelines)
            line = (f"We received it on {format_date(r['received_at'])}. We refund within "
                    f"{data['refund_days_after_receipt']} {data['refund_day_kind']} days of receiving it, so the "
                    f"refund is due by {format_date(r['refund_due_by'])}. {_refund_timing(data, received=True)}")
            if _AMOUNT_QUESTION.search(p.text):
                line += " " + _return_terms(p, oid, r)[0]
        elif r["label_tracking"]:
            timing = _refund_timing(data, received=False)
            line = (f"We haven't received it yet; you can follow it with return tracking {r['label_tracking']}. "
                    f"{timing[:1].upper()}{timing[1:]}")
        else:
            line = f"Once the item is on its way back to us, {_refund_timing(data, received=False)}"
        return PlanOutcome(template="refund_pending_return", order_id=oid,
                           slots={"order_id": oid, "return_status": r["status"].replace("_", " "), "return_line": line})
    if any(s["status"] == "lost" for s in order.get("shipments", [])):
        return plan_order_status(_focused(p, oid))  # no refund yet because the parcel is lost: propose one
    if data.get("cancelled_at"):
        return _refund_for_cancelled(p, order, data)
    sent_back = any(name == "sent back" for name, _ in state_cues(p.text))
    return PlanOutcome(template="refund_none", order_id=oid, slots={"order_id": oid},
                       review_reason=f"the customer says they sent something back, but order {oid} has no return or "
                                     "refund on record: check it" if sent_back else None)


def _refund_for_cancelled(p: PlanInput, order: dict[str, Any], data: dict[str, Any]) -> PlanOutcome:
    """A cancelled order with no refund on record (KB order-cancellation, refund-timelines): where the platform
    charges at shipment and nothing shipped, there was never a charge, only an authorization the bank releases;
    where it charges at order, a missing refund is an escalation for a person, never "nothing to see"."""
    oid = order["order_id"]
    slots = {"order_id": oid, "cancelled_date": format_date(data["cancelled_at"]), "total": data["total"],
             "platform_name": p.policy.display_name}
    if data.get("charged_when") == "shipment" and not order.get("shipments"):
        return PlanOutcome(template="refund_cancelled_uncharged", order_id=oid, slots=slots)
    return PlanOutcome(template="refund_cancelled_missing", order_id=oid, slots=slots,
                       review_reason=f"order {oid} was cancelled and no refund is on record: check and issue it")


def _charge_line(p: PlanInput, order: dict[str, Any]) -> str:
    """What cancelling an unshipped order does to the customer's money, by when the platform charges."""
    if p.policy.refunds.charged_at == "order" and order["status"] != "pending":
        return "You'll get a full refund of ${} to your original payment method. ".format(order["total"])
    return "You haven't been charged yet, so there's nothing to refund. "


def _items_note(order: dict[str, Any]) -> str:
    """' (the Chimney Starter and Refresh Bar)': the order's products beside its number, so a customer who did
    not name the order (or has several) can tell which one the reply means before saying yes. An order of more
    than two products gets no note: half a list would mislead."""
    titles = _item_titles(order)
    if not titles or len(titles) > 2:
        return ""
    return f" (the {_product_names(titles)})"


def _return_route(p: PlanInput) -> str:
    """' Start it in ...': where the customer starts a return on a marketplace that runs its own return flow (the
    policy file's how_to_start); empty where the seller starts returns (store channels)."""
    return f" {p.policy.returns.how_to_start}" if p.policy.returns.how_to_start else ""


def plan_cancel(p: PlanInput) -> PlanOutcome:
    answer = _answer_to_pending(p, "cancel_order", "cancellation")
    if isinstance(answer, PlanOutcome):
        return answer
    if answer is not None and p.pending_action is not None:
        done, oid = answer, p.pending_action.args["order_id"]
        refunds = p.policy.refunds  # the money's last leg is the bank's: say how long it takes (the customer asks next)
        refund_line = (f"A refund of ${done.data['refund_amount']} is on its way to your original payment method; "
                       f"banks usually post it within {refunds.posting_days_min}-{refunds.posting_days_max} business "
                       "days." if done.data and done.data.get("refund_amount") else "You haven't been charged for it.")
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
        return PlanOutcome(template="cancel_offer", order_id=oid,
                           slots={"order_id": oid, "order_items": _items_note(order),
                                  "charge_line": _charge_line(p, order)},
                           pending_action=pending, awaiting="confirmation")
    shipment = _first_shipment(order) or {}
    if status == "delivered":
        check = p.run("check_return_eligibility", {"order_id": oid})
        return PlanOutcome(template="cancel_delivered", order_id=oid, slots={
            "order_id": oid, "order_items": _items_note(order), "return_route": _return_route(p),
            "delivered_date": format_date(shipment.get("delivered_at")),
            "window_ends": format_date((check.data or {}).get("window_ends"))})
    return PlanOutcome(template="cancel_too_late", order_id=oid, slots={
        "order_id": oid, "order_items": _items_note(order), "return_route": _return_route(p),
        "carrier": shipment.get("carrier", "the carrier"),
        "tracking_number": shipment.get("tracking_number", "in your order details"),
        "window_note": f"{p.policy.returns.window_days} days after delivery"
        if p.policy.returns.window_starts == "delivery" else "the end of its return window"})


_ADDRESS_GUIDANCE: dict[str, str] = {
    "amazon": "While it hasn't shipped, you can cancel it in Your Orders and place a new order with the right address.",
    "walmart": "While it hasn't shipped, you can cancel it in your Walmart purchase history and reorder with the right address.",
    "tiktok": "Before it ships you can edit the address yourself in the TikTok Shop app under Orders.",
    "ebay": "Please contact us through eBay before it ships and we'll cancel it so you can buy again with the right address.",
}
# Where the seller can't change the address and the buyer can't cancel to reorder on their own, the way to the
# right address is our cancellation (KB address-changes): offered in the reply, done on the customer's yes.
_CANCEL_TO_REORDER = frozenset({"ebay"})


def plan_change_address(p: PlanInput) -> PlanOutcome:
    if p.pending_action is not None and p.pending_action.tool == "cancel_order" and (p.confirmed or p.declined):
        return plan_cancel(p)  # the yes (or no) to the cancellation offered instead of an address change
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
    if order["status"] not in ("pending", "unshipped"):  # on every platform: shipped is shipped (KB address-changes)
        shipment = _first_shipment(order) or {}
        if order["status"] == "delivered" or shipment.get("delivered_at"):
            return PlanOutcome(template="address_delivered", order_id=oid, slots={
                "order_id": oid, "delivered_date": format_date(shipment.get("delivered_at"))})
        carrier = shipment.get("carrier", "the carrier")
        return PlanOutcome(template="address_too_late", order_id=oid, slots={
            "order_id": oid, "carrier": carrier, "tracking_number": shipment.get("tracking_number", "in your order details"),
            "shipped": f"already shipped with {carrier} on {format_date(shipment['shipped_at'])}"
            if shipment.get("shipped_at") else "has already shipped"})
    if not policy.orders.address_change_allowed:
        if p.platform in _CANCEL_TO_REORDER and order["status"] in policy.orders.cancellable_statuses:
            if pending := _proposed(p.run("cancel_order", {"order_id": oid})):
                return PlanOutcome(template="address_cancel_offer", order_id=oid, pending_action=pending,
                                   awaiting="confirmation", slots={
                                       "order_id": oid, "platform_name": policy.display_name,
                                       "charge_line": _charge_line(p, order)})
        return PlanOutcome(template="address_not_allowed", order_id=oid, slots={
            "order_id": oid, "platform_name": policy.display_name,
            "platform_guidance": _ADDRESS_GUIDANCE.get(p.platform, "")})
    # order numbers come out first, or "order 1723 to 455 Juniper Ave" would start the street at 1723
    text = p.text
    for order_ref in p.triage.entities.order_ids:
        text = text.replace(order_ref, " ")
    unit_text = text  # "apt #5B" keeps its "#"
    text = re.sub(r"#\s?\d+", " ", text)
    match = find_address(text)
    if not match:
        return _amend_address(p, oid, unit_text)
    return _offer_address(p, oid, match.group(0), {
        "line1": match.group("line1").strip(), "city": match.group("city").strip(),
        "state": match.group("state").upper(), "zip": match.group("zip"),
        "line2": match.group("line2").strip() if match.group("line2") else None})


def _offer_address(p: PlanInput, oid: str, written: str, parts: dict[str, str | None]) -> PlanOutcome:
    """A whole new address read from the message: proposed as it is, for the customer's yes."""
    if has_contact(written):
        # a link, email or phone number in the "address" is never echoed back or written: a person looks
        return PlanOutcome(template="address_check", order_id=oid, slots={"order_id": oid},
                           review_reason="the new address contains a link, email or phone number")
    name = p.customer.name if p.customer else "Customer"
    args = {"order_id": oid, "name": name, **parts}
    pending = _proposed(p.run("change_shipping_address", args))
    if pending is None:
        return PlanOutcome(template="address_ask", order_id=oid, slots={"order_id": oid}, awaiting="address")
    new_address = pending.summary.split(" to ", 1)[-1]
    return PlanOutcome(template="address_offer", order_id=oid, slots={"order_id": oid, "new_address": new_address},
                       pending_action=pending, awaiting="confirmation")


def _amend_address(p: PlanInput, oid: str, text: str) -> PlanOutcome:
    """No whole address in the message: a correction to part of the current one ("I forgot my apt number, it's
    5B", a ZIP or house-number typo) is a complete change. The tool builds the new address from the order's
    current one and refuses a partial that would move the parcel to another street or area; the offer states
    the whole new address for the customer's yes, like any address change. Anything else: ask for the address.
    A street with its city, state and ZIP is a whole new address, never a correction: read in full (any street
    name, "1 Market Plaza, Suite 1200, ..."), or, when it cannot be split surely, checked by a person."""
    if (new := find_new_address(text)) is not None:
        return _offer_address(p, oid, new.one_line(), new.args())
    if gives_whole_address(text):
        return PlanOutcome(template="address_check", order_id=oid, slots={"order_id": oid},
                           review_reason="a new address the agent could not read in full")
    amendment = find_amendment(text)
    if amendment is None:
        return PlanOutcome(template="address_ask_unit" if unit_missing(text) else "address_ask", order_id=oid,
                           slots={"order_id": oid}, awaiting="address")
    pending = _proposed(p.run("change_shipping_address", {"order_id": oid, **amendment.args()}))
    if pending is None:  # another street or ZIP area, or nothing new: the full address, please
        return PlanOutcome(template="address_ask", order_id=oid, slots={"order_id": oid}, awaiting="address")
    return PlanOutcome(template="address_amend_offer", order_id=oid, pending_action=pending, awaiting="confirmation",
                       slots={"order_id": oid, "correction": amendment.describe(),
                              "new_address": pending.summary.split(" to ", 1)[-1]})


def _best_section(p: PlanInput, top: Passage, question: str | None = None) -> Passage:
    """Among the sections of the best document, the one whose customer-facing sentences answer the question best."""
    return best_section(top, question or p.text, p.search, p.platform)


PART_SENTENCES = 2  # for a question in several parts, each part quotes up to this many sentences


def _policy_part(p: PlanInput, usable: list[Passage], question: str, limit: int) -> PassageAnswer:
    """One question's answer: the best section of each of the top articles in turn, the first that answers it
    (the next article when one only speaks of other channels or only briefs the team); else the nearest text."""
    nearest = PassageAnswer("", [], False, [question])
    for candidate in usable[:3]:
        found = extract_answer([_best_section(p, candidate, question)], question, limit=limit, platform=p.platform)
        if found.text and found.matched:
            return found
        if found.text and not nearest.text:
            nearest = found
    return nearest


def _own_articles(p: PlanInput, question: str, usable: list[Passage]) -> list[Passage]:
    found = [x for x in (p.search(question, None) if p.search else []) if x.topic != "brand_voice"]
    return list({x.doc_id: x for x in [*found, *usable]}.values())


def _return_of_own_purchase(p: PlanInput) -> PlanOutcome | None:
    """"How long do I have to return the pantry canisters?" asks the return policy of something the customer
    bought: the order's own last return day answers it (agent's return plan), where the policy articles give
    only the general rule and a search on the product's name finds its product page instead. Only when the
    message names the order, or the products it names point at one of the customer's orders."""
    if p.customer is None or not asks_return_window(p.text, p.today):
        return None
    as_return = replace(p, intent="return_request")
    if not p.triage.entities.order_ids:  # else the order it names is the one (the return plan reads it)
        oid = order_named_by_product(as_return)
        if oid is None:
            return None
        as_return = replace(as_return, active_order_id=oid)
    try:
        return plan_return(as_return)
    except _NeedOrder:
        return None


def plan_policy(p: PlanInput) -> PlanOutcome:
    """A policy question answered from the knowledge base, each of its parts ("how long do refunds take and
    does it go back on my card") from the section that answers it. Only sentences a customer may read are
    quoted; a part nothing answers sends the reply to review, naming the part. A return question about a
    product the customer bought is answered from their order."""
    if (own := _return_of_own_purchase(p)) is not None:
        return own
    usable = [x for x in p.passages if x.topic != "brand_voice"]
    if not usable:
        return PlanOutcome(template="handoff", handoff_reason="no knowledge-base passage answers this question")
    parts = question_parts(p.text) or [p.text]
    if len(parts) == 1:
        answers = [_policy_part(p, usable, parts[0], SECTION_SENTENCES)]
    else:  # each part looks for its own articles first: the message's may be about another part
        answers = [_policy_part(p, _own_articles(p, part, usable), part, PART_SENTENCES) for part in parts]
    quoted = list(dict.fromkeys(s for a in answers for s in a.sentences))
    if not quoted:
        return PlanOutcome(template="handoff", handoff_reason="no passage a customer may read answers this question "
                           "(the matching articles are about other channels or brief the team)")
    cited = list(dict.fromkeys(c for a in answers for c in a.cited))
    open_parts = [part for part, a in zip(parts, answers, strict=True) if not a.matched]
    review = None if not open_parts else NO_ANSWER if len(open_parts) == len(parts) else \
        "no passage answers part of the question: " + "; ".join(f'"{q}"' for q in open_parts)
    return PlanOutcome(template="policy_answer", slots={"answer": " ".join(quoted)}, citations=cited,
                       review_reason=review)


def plan_product(p: PlanInput) -> PlanOutcome:
    """A product question answered from the catalog (agent/product_answers.py): every attribute asked, one
    sentence each that names the product, a recommendation among the products of the kind named. What the
    catalog does not give is looked for in the product's pages; what is still unanswered keeps the reply for a
    person. Stock is stated only when asked; the product page is cited as the source."""
    found = find_products(p.text, p.triage.entities.skus, p.run, p.active_order_id)
    if found.mode != "unclear" and (notice := _product_notice(p, found.products)):
        return _notice_answer(p, notice)
    result = answer_from_catalog(p.text, found)
    if result.clarify:  # an attribute asked about no product named: ask which one
        return PlanOutcome(template="product_answer", slots={"answer": result.text, "stock_line": ""})
    used = [] if found.mode == "unclear" else \
        [x for x in found.products if x["product_id"] in result.product_ids] or found.products[:1]
    pages = product_pages(used, p.passages, p.search, p.text)
    own = [x for passages in pages.values() for x in passages]
    related = [x for x in p.passages if x.topic == "product" and x.doc_id not in pages]
    if found.mode == "unclear" or not (result.asked or result.sentences or result.stock_line):
        # many products named alike ("cast iron"), or nothing the catalog's fields answer: the nearest text
        passages = own + related
        if not passages:
            return PlanOutcome(template="handoff", handoff_reason="no product information answers this question")
        text, cited, matched = _extract([x for x in passages if x.doc_id == passages[0].doc_id][:3], p.text,
                                        limit=2, platform=p.platform)
        review = None
        if used:  # the product is known, what is asked of it is not
            review = ("the question asks about something the catalog does not list for this product: the nearest "
                      "product-page text is quoted for a person to check")
        elif not matched or any(not mentions(text, a) for a in result.asked):
            review = NO_ANSWER
        return PlanOutcome(template="product_answer", slots={"answer": text, "stock_line": ""}, citations=cited,
                           review_reason=review)
    texts, cited, unanswered = from_pages(result.unanswered, used, p.passages, p.search, _extract, p.platform)
    sentences = [*result.sentences, *texts]
    cited = [*(x[0].id for x in pages.values() if x), *cited]
    if not sentences and not result.stock_line:  # nothing found for what was asked: the nearest text, for a person
        nearest = [x for x in own if not x.id.endswith(CATALOG_SECTIONS)] or related
        text, cited, _ = _extract(nearest[:3], p.text, limit=2, platform=p.platform) if nearest else ("", [], False)
        if not text:
            return PlanOutcome(template="handoff", handoff_reason="no product information answers this question")
        sentences = [text]
    return PlanOutcome(template="product_answer", citations=list(dict.fromkeys(cited)),
                       slots={"answer": " ".join(sentences),
                              "stock_line": result.stock_line if sentences else result.stock_line.lstrip()},
                       review_reason=unanswered_reason(unanswered, used))


NOTICE_TOPICS = frozenset({"compliance"})  # articles that can be about one product: a recall, a safety notice
_TITLE_SKIP = frozenset({"northfork", "goods", "voluntary", "lots", "about", "from", "with", "this", "that", "their"})


def _title_keys(text: str) -> set[str]:
    return {_key_word(w) for w in re.findall(r"[a-z]{4,}", text.lower())} - _TITLE_SKIP - _QUESTION_WORDS


def _product_notice(p: PlanInput, products: Sequence[dict[str, Any]]) -> list[Passage]:
    """The sections of a notice article about a product the question names (the stove's recall) when the
    question asks about what the article is about ("was it recalled?"): its title names the product and shares
    a word with the question beyond the product's name. The catalog has no field for a recall, so without this
    the question got the product's warranty or description."""
    if not products:
        return []
    asked = _title_keys(p.text)
    retrieved = [*p.passages, *(p.search(p.text, None) if p.search else [])]
    for x in retrieved:
        if x.topic not in NOTICE_TOPICS:
            continue
        title = _title_keys(x.title)
        for product in products[:MAX_NOTICE_PRODUCTS]:
            name = _title_keys(product["name"])
            if len(name & title) >= 2 and (asked & title) - name:
                sections = [x, *(p.search(p.text, x.doc_id) if p.search else [])]
                return list({y.id: y for y in sections if y.doc_id == x.doc_id}.values())
    return []


MAX_NOTICE_PRODUCTS = 2


def _notice_answer(p: PlanInput, sections: list[Passage]) -> PlanOutcome:
    """The notice in brief: the opening sentence of each of its sections a customer may read (what is affected,
    what to do now, how to tell, the remedy). Whatever part of it was asked ("is mine affected?"), the customer
    needs the rest to act on it; a section that opens with guidance for the team is the team's and is left out."""
    doc = sections[0].doc_id
    found = {x.id: x for x in sections}
    if p.sections is not None:  # the whole notice: a search of three may miss "stop using it now"
        found |= {x.id: x for x in p.sections(doc) if x.id not in found}
    for query in [sections[0].title, *question_parts(p.text)]:
        found |= {x.id: x for x in (p.search(query, doc) if p.search else []) if x.id not in found}
    quoted: list[str] = []
    cited: list[str] = []
    for section in found.values():
        body = section.text.split("\n", 1)[-1]
        lead = next((x for x in passage_sentences(body) if len(x) >= MIN_SENTENCE), None)
        if lead is None or staff_guidance(lead) or _about_another_channel(lead, p.platform):
            continue
        quoted.append(lead)
        cited.append(section.id)
    if not quoted:
        return PlanOutcome(template="handoff", handoff_reason="no passage a customer may read answers this question")
    return PlanOutcome(template="product_answer", slots={"answer": " ".join(quoted), "stock_line": ""},
                       citations=cited)


def plan_damaged(p: PlanInput) -> PlanOutcome:
    return plan_return(p, damage=True)


def _notice_question(p: PlanInput) -> PlanOutcome | None:
    """A return or damage message that asks about a notice on the product (the stove's recall: "is mine one of
    the bad ones?") gets the notice, not a return offer: the remedy, the lot to check and what to do now are the
    notice's. The customer owns one, so a person arranges the remedy and reads the reply first."""
    if p.pending_action is not None or not any(x.topic in NOTICE_TOPICS for x in p.passages):
        return None  # no notice came up for the message: no catalog lookup on every return
    found = find_products(p.text, p.triage.entities.skus, p.run, p.active_order_id)
    if found.mode == "unclear" or not (notice := _product_notice(p, found.products)):
        return None
    if p.triage.language != "en":  # the notice is quoted from English articles: a person answers in Spanish
        return PlanOutcome(template="handoff", handoff_reason="a notice about a product the customer owns, asked "
                           "in a language the notice is not written in")
    answer = _notice_answer(p, notice)
    if answer.template == "handoff":
        return None
    return answer.model_copy(update={"review_reason": "a notice about a product the customer owns: a person "
                                                      "arranges the remedy"})


def _damage_citations(p: PlanInput) -> list[str]:
    """The damaged-and-defective article the remedy and the photo request come from, when it was retrieved."""
    return [x.id for x in p.passages if x.doc_id == "returns-damaged-defective"][:1]


def _damage_product(p: PlanInput, sku: str) -> dict[str, Any] | None:
    found = p.run("get_product", {"sku": sku})
    return found.data if found.ok else None


def _replacement_line(product: dict[str, Any] | None, sku: str, *, marketplace: bool) -> str:
    """The other remedy beside the refund (KB returns-damaged-defective: a replacement when the item is in stock,
    or a full refund), with the item's stock from `get_product`, so the customer asking for "a new one" hears
    whether one can go out. No product record: the policy's condition, said as it is."""
    variant = next((v for v in (product or {}).get("variants", []) if v["sku"] == sku), None)
    ask = "tell me here and a member of our team will arrange it" if marketplace else "just say so"
    if variant is None:
        return f"If you'd rather have a replacement than a refund, {ask}; we send one when the item is in stock. "
    if variant["in_stock"]:
        return f"If you'd rather have a replacement than a refund, {ask}: it's in stock right now. "
    back = f", expected back {format_date(variant['restock_date'])}" if variant.get("restock_date") else ""
    return (f"A replacement would have to wait: this item is out of stock right now{back}, so a full refund is the "
            "quicker way. ")


def _photo_line(reason: str) -> str:
    """What we ask for (KB returns-damaged-defective: a photo or short video of the damage, and of the box when it
    was crushed), and that the remedy never waits on it."""
    if reason == "damaged":
        what, why = "the damage and of the shipping box", "file a claim with the carrier and spot packing problems"
    else:
        what, why = "the problem", "see what went wrong"
    return (f"If you can, reply with a photo or short video of {what}; it helps us {why}, but your replacement or "
            "refund doesn't wait on it.")


def _warranty_slots(p: PlanInput, product: dict[str, Any] | None) -> dict[str, str]:
    """The product's written warranty (catalog, `get_product`) and what a claim needs (the seller's warranty
    terms), for a defect reported after the return window: what the customer can do next, not only that a
    person will look."""
    said = warranty_sentence(product, "the " + product["name"]) if product else None
    said = f"{said[0].upper()}{said[1:].rstrip('.')}." if said else None
    needs = p.seller.warranty.get("claim_needs")
    return {"warranty_line": f" {said}" if said else "",
            "claim_line": f" A warranty claim needs the {needs}, so please reply here with them." if needs else ""}


def _subscription_name(p: PlanInput, sub: dict[str, Any]) -> str:
    """A subscription as the customer knows it: by its product from the catalog ("Morning Ritual Unbleached Cone
    Coffee Filters, Size 02 (300-Count) subscription"), the variant named only when the product has several. The
    subscription id and SKU are internal: they appear only if the customer wrote them."""
    found = p.run("get_product", {"sku": sub["sku"]})
    name = "subscription"
    if found.ok and found.data:
        variants = found.data.get("variants") or []
        variant = next((v for v in variants if v["sku"] == sub["sku"]), None)
        label = _short_title(found.data["name"])
        name = f"{label} ({variant['title']}) subscription" if variant and len(variants) > 1 else f"{label} subscription"
    written = [ref for ref in (sub["subscription_id"], sub["sku"])
               if re.search(rf"(?<![\w-]){re.escape(ref)}(?![\w-])", p.text, re.I)]
    return f"{name} {' / '.join(written)}" if written else name


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
                           slots={"subscription": _subscription_name(p, d), "status_words": words, "next_line": next_line})
    listed = p.run("list_subscriptions", {})
    every = (listed.data or {}).get("subscriptions", []) if listed.ok else []
    subs = [s for s in every if s["status"] != "cancelled"]
    if not subs:
        if cancelled := [s for s in every if s["status"] == "cancelled"]:  # "is it really cancelled?": yes, each
            names = " and ".join(f"your {_subscription_name(p, s)}" for s in cancelled)
            return PlanOutcome(template="subscription_all_cancelled",
                               slots={"subscriptions": names, "verb": "is" if len(cancelled) == 1 else "are"})
        return _no_subscription(p)
    sub = next((s for s in subs if s["sku"] in p.triage.entities.skus), subs[0])
    action = action_asked(p.text)
    change = change_request(p.text)
    if change is not None and (action is None or change.kind != "interval" or change.interval_days is not None):
        offered = [int(d) for d in (listed.data or {}).get("intervals_offered_days", [])]
        return _change_by_person(p, sub, change, action, offered)  # "cancel it, too many piling up" is the cancel
    if action is None:
        return PlanOutcome(template="subscription_which_action", slots={"subscription": _subscription_name(p, sub)})
    proposal = p.run("update_subscription", {"subscription_id": sub["subscription_id"], "action": action})
    pending = _proposed(proposal)
    if pending is None:
        return PlanOutcome(template="handoff", handoff_reason=proposal.error)
    return PlanOutcome(template="subscription_offer", pending_action=pending,
                       awaiting="confirmation",
                       slots={"action_words": _ACTION_WORDS[action], "subscription": _subscription_name(p, sub),
                              "interval_days": sub["interval_days"], "next_line": _next_line(sub, action)})


_ACTION_WORDS = {"skip": "skip the next delivery of", "pause": "pause", "resume": "resume", "cancel": "cancel"}


def _next_line(sub: dict[str, Any], action: str) -> str:
    """The next order date, and the date a skip moves it to or a resume today sets (`list_subscriptions`)."""
    line = f", next order {format_date(sub['next_charge_date'])}" if sub.get("next_charge_date") else ""
    if action == "skip" and sub.get("next_charge_after_skip"):  # what the skip leaves: the order after it
        line += f"; skipping it moves your next order to {format_date(sub['next_charge_after_skip'])}"
    if action == "resume" and sub.get("next_charge_after_resume"):  # "when would the next one ship?"
        line += f"; resuming it today makes your next order {format_date(sub['next_charge_after_resume'])}"
    return line


def _fallback_offer(p: PlanInput, sub: dict[str, Any], action: str | None) -> tuple[str, PendingAction | None]:
    """The skip or pause a customer asks for beside a change only a person makes ("change it to every 60 days;
    if that can't be done before Sunday, at least skip this one"): proposed now, for their "yes", so the
    delivery they want to stop does not wait for the person. A cancel is never offered as a fallback: the
    person may make the change that keeps the subscription."""
    if action not in ("skip", "pause"):
        return "", None
    pending = _proposed(p.run("update_subscription", {"subscription_id": sub["subscription_id"], "action": action}))
    if pending is None:
        return "", None
    line = f" In the meantime I can {_ACTION_WORDS[action]} it (every {sub['interval_days']} days" \
           f"{_next_line(sub, action)}). Reply \"yes\" and I'll do that now."
    return line, pending


def _change_by_person(p: PlanInput, sub: dict[str, Any], change: ChangeRequest, action: str | None,
                      offered: list[int]) -> PlanOutcome:
    """An interval, quantity or product change: a person on the team makes it (the subscriptions article), so
    the reply says the request is passed on, with the intervals the store offers (`list_subscriptions`) when
    the one asked for is not among them, and a person reads it first (and makes the change, or the fallback
    the customer named: a skip or pause is proposed in the reply, to be done on their "yes")."""
    asked = ""
    offered_line = ""
    if change.kind == "interval" and change.interval_days in offered:  # a number the tool's list vouches for
        asked = f" (every {change.interval_days} days instead of every {sub['interval_days']})"
    elif change.kind == "interval" and offered:
        offered_line = f" We offer deliveries every {_join_or([str(d) for d in offered])} days, so they'll check " \
                       "which one suits you best."
    what = {"interval": "delivery interval", "quantity": "quantity", "product": "product"}[change.kind]
    reason = f"subscription {what} change: a person updates it" + (
        f" (every {change.interval_days} days asked, every {sub['interval_days']} now)" if change.interval_days else "")
    if action:
        reason += f"; the customer also mentions: {action}"
    fallback_line, pending = _fallback_offer(p, sub, action)
    return PlanOutcome(template="subscription_change_by_person", review_reason=reason, pending_action=pending,
                       awaiting="confirmation" if pending else None,
                       slots={"what": what, "subscription": _subscription_name(p, sub), "asked": asked,
                              "offered_line": offered_line, "fallback_line": fallback_line})


def _join_or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


NO_SUBSCRIPTION = "no subscription on file for this customer"
SUBSCRIPTIONS_ARTICLE = "subscriptions"  # the help-center article on the store's Subscribe & Save


def _no_subscription(p: PlanInput) -> PlanOutcome:
    """Nothing on file to change: the customer may ask how subscriptions work, or mean a marketplace's own
    program (Amazon's Subscribe & Save is Amazon's). Where the channel may read the store's subscription article,
    it answers what it can (where subscriptions are offered, how to manage one); either way a person looks
    before it goes: "I couldn't find one" alone answers neither question."""
    if not p.seller.subscriptions.offered(p.platform):  # a marketplace: its own program is not ours to manage
        # still read by a person: a customer may hold the marketplace's own subscription for our product
        channel = CHANNEL_NAMES[p.platform]
        reason = f"{NO_SUBSCRIPTION}; the seller offers no subscriptions on {channel}"
        return PlanOutcome(template="subscription_not_offered", slots={"channel": channel}, review_reason=reason)
    found = p.search(p.text, SUBSCRIPTIONS_ARTICLE) if p.search else []  # where the channel may see it
    policy = plan_policy(replace(p, passages=found) if found else p)
    if policy.template == "policy_answer":
        reason = NO_SUBSCRIPTION + (f"; {policy.review_reason}" if policy.review_reason else "")
        return policy.model_copy(update={"review_reason": reason})
    return PlanOutcome(template="subscription_none", review_reason=NO_SUBSCRIPTION)


def plan_review_feedback(p: PlanInput) -> PlanOutcome:
    if "review_manipulation" in p.triage.risk_flags or re.search(r"\b(refund|discount|free|money)\b", p.text, re.I):
        return PlanOutcome(template="review_policy", review_reason="review or feedback tied to money")
    if _THANKS.search(p.text) and p.triage.sentiment == "positive":
        return PlanOutcome(template="thanks_reply", review_reason="feedback message")
    return PlanOutcome(template="handoff", handoff_reason="review or feedback needs a person")


_PLAN_FUNCTIONS: dict[str, Callable[[PlanInput], PlanOutcome]] = {f.__name__: f for f in (
    plan_order_status, plan_return, plan_refund_status, plan_cancel, plan_change_address, plan_product, plan_policy,
    plan_damaged, plan_subscription, plan_review_feedback)}
PLANS: dict[str, Callable[[PlanInput], PlanOutcome]] = {
    name: _PLAN_FUNCTIONS[s.plan] for name, s in INTENT_TABLE.items() if s.plan}  # the intent table names them
HANDOFF_INTENTS = handoff_intents()


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

