"""Fact preservation and deep grounding: a corpus of false and true rewordings of real demo-store drafts.

Every case starts from real tool results on the seeded store and the template the deterministic engine
would send. A false rewording changes one fact the way models were seen to (a wrong number or unit, the
last scan city said as the destination, another order's tracking number, an invented name, contact,
action or "no refund" when there is one); each must be caught. True rewordings say the same facts in other
words, and must pass, so the guard is not "always discard".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from agent.compliance import ComplianceInput, check_reply
from agent.grounding import (
    Evidence, bind, check_draft, check_rewording, evidence_facts, extract_facts, ground_draft,
)
from agent.templates import SIGN_OFF, format_date, render
from tools.context import ToolContext
from tools.models import Order
from tools.policy.loader import load_policies
from tools.registry import run_tool
from tools.results import PendingAction, ToolResult
from tools.sandbox.store import SandboxStore

POLICIES = load_policies()


@dataclass
class Case:
    name: str
    template: str
    evidence: Evidence
    false: dict[str, str]
    true: dict[str, str]


def _ctx(store: SandboxStore, order: Order, confirmed: PendingAction | None = None) -> ToolContext:
    return ToolContext(backend=store, customer_id=order.customer_id, platform=order.platform, clock=store.clock,
                       confirmed=confirmed)


def _done(store: SandboxStore, order: Order, tool: str, args: dict[str, Any]) -> ToolResult:
    """Run a write the way the agent does after the customer's yes."""
    proposed = run_tool(_ctx(store, order), tool, args)
    assert proposed.error_code == "confirmation_required", proposed
    action = PendingAction.model_validate(proposed.data["proposed"])  # type: ignore[index]
    result = run_tool(_ctx(store, order, action), tool, args)
    assert result.ok, result
    return result


def _evidence(store: SandboxStore, order: Order, results: list[ToolResult], customer_text: str = "",
              passages: tuple[str, ...] = ()) -> Evidence:
    return evidence_facts(
        [r.data for r in results if r.data], passages, customer_text=customer_text,
        customer_name=store.get_customer(order.customer_id).name, sign_offs=[SIGN_OFF],
        done_actions=[r.name for r in results if r.ok and r.write],
        policies=[POLICIES[order.platform].model_dump(mode="json")])


def _first(store: SandboxStore, order: Order) -> str:
    return store.get_customer(order.customer_id).name.split()[0]


def _short(value: Any) -> str:
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return f"{day:%b} {day.day}"


def _other_digit(value: str) -> str:
    return value[:-1] + ("1" if value[-1] != "1" else "2")


def in_transit_case(store: SandboxStore) -> Case:
    """A Walmart parcel in transit with UPS, last scanned in a city that is not where it goes."""
    order = next(o for o in store.find_orders(platform="walmart", status="in_transit", limit=None)
                 if o.shipments[0].carrier == "UPS" and o.shipments[0].last_event is not None
                 and o.shipments[0].last_event.location
                 and o.shipping_address.city not in o.shipments[0].last_event.location
                 and sum(1 for x in store.customer_orders(o.customer_id) if x.shipments and x.id != o.id))
    other = next(x for x in store.customer_orders(order.customer_id) if x.shipments and x.id != order.id)
    results = [run_tool(_ctx(store, order), "get_order", {"order_id": order.id}),
               run_tool(_ctx(store, order), "track_shipment", {"order_id": order.id}),
               run_tool(_ctx(store, other), "get_order", {"order_id": other.id})]
    s = order.shipments[0]
    last = s.last_event
    assert last is not None and last.location
    scan_city = last.location.split(",")[0]
    first = _first(store, order)
    template = render("status_in_transit", {
        "order_id": order.id, "carrier": s.carrier, "tracking_number": s.tracking_number,
        "last_event": last.description, "last_location": f" in {last.location}",
        "last_event_date": format_date(last.at), "estimated_delivery": format_date(s.estimated_delivery)},
        first_name=first)
    body = template.split("\n\n")[1]
    eta, scanned = _short(s.estimated_delivery), _short(last.at)
    wrong_eta = _short(s.estimated_delivery + timedelta(days=1))
    dest = order.shipping_address.city

    def reply(text: str, hello: str = f"Hi {first},", bye: str = SIGN_OFF) -> str:
        return f"{hello}\n\n{text}\n\n{bye}"

    good = (f"Good news: your order {order.id} is on its way with UPS, tracking number {s.tracking_number}. "
            f"It was last scanned in {last.location} on {scanned}, and UPS expects to deliver it by {eta}.")
    return Case("walmart in transit", template, _evidence(store, order, results), false={
        "wrong number: tracking number": reply(body.replace(s.tracking_number, _other_digit(s.tracking_number))),
        "wrong number: order id": reply(body.replace(order.id, _other_digit(order.id))),
        "another order's tracking number": reply(body.replace(s.tracking_number, other.shipments[0].tracking_number)),
        "invented tracking number": reply(f"Your order {order.id} is on its way, tracking number 0x8A4E. "
                                          f"It should arrive by {eta}."),
        "wrong carrier": reply(good.replace("with UPS", "with FedEx")),
        "wrong place: last scan said as the destination": reply(
            f"Your order {order.id} has shipped to {scan_city} with UPS (tracking {s.tracking_number}) and "
            f"should arrive by {eta}."),
        "invented place": reply(good.replace(f"in {last.location}", "in Springfield, IL")),
        "wrong date": reply(good.replace(f"by {eta}", f"by {wrong_eta}")),
        "invented delivery station and time": reply(
            f"Your order {order.id} (UPS tracking {s.tracking_number}) is waiting at your local delivery station "
            f"and will arrive by 8 PM today."),
        "invented sign-off name": reply(good, bye="— Alex"),
        "invented sign-off after a closing word": reply(good, bye="Best,\nJamie"),
        "invented self-introduction": reply(f"I'm Sam from Northfork Goods. {good}"),
        "wrong customer name": reply(good, hello="Hi Jessica,"),
        "invented contact: reach out by email": reply(f"{good} If anything changes, reach out to me via email."),
        "invented contact: phone number": reply(f"{good} Questions? Call me at (919) 555-0142."),
        "invented contact: email address": reply(f"{good} You can also write to care@northforkgoods.com."),
        "meta-talk about the facts": reply("I'll keep my responses focused on facts from this JSON: []"),
        "cut off": template[: int(len(template) * 0.3)],
        "false action claim": reply(f"{good} I've upgraded your shipping to overnight at no cost."),
    }, true={
        "same facts, other words": reply(good),
        "same facts, closing word and team": reply(good, bye="Best,\nThe Northfork Goods team"),
        "destination said as the destination": reply(
            f"Your order {order.id} is headed to {dest} with UPS, tracking {s.tracking_number}. It was last "
            f"scanned in {last.location} and should arrive by {eta}."),
        "numeric date": reply(good.replace(f"by {eta}", f"by {s.estimated_delivery.month}/"
                                                        f"{s.estimated_delivery.day}")),
        "the template itself": template,
        "terse, same facts": reply(f"UPS has order {order.id} (tracking {s.tracking_number}). Last scan: "
                                   f"{last.location}, {scanned}. Expected delivery: {eta}."),
    })


def refund_case(store: SandboxStore) -> Case:
    """A Walmart order with a refund on record: amount, issue date, 3-5 business days to post."""
    order = next(o for o in store.find_orders(platform="walmart", limit=None)
                 if any(r.status == "processed" and r.expected_by for r in store.order_refunds(o.id)))
    status = run_tool(_ctx(store, order), "get_refund_status", {"order_id": order.id})
    refund = next(r for r in store.order_refunds(order.id) if r.status == "processed")
    assert refund.expected_by is not None
    first = _first(store, order)
    posting = status.data["posting_days"]  # type: ignore[index]
    template = render("refund_issued", {
        "amount": f"{refund.amount:.2f}", "order_id": order.id, "issued_date": format_date(refund.created_at),
        "posting_days": posting, "expected_by": format_date(refund.expected_by), "received_line": "",
        "reason_line": ""},
        first_name=first)
    lo, hi = posting.split("-")
    wrong_amount = f"{refund.amount + 1:.2f}"

    def reply(text: str) -> str:
        return f"Hi {first},\n\n{text}\n\n{SIGN_OFF}"

    base = (f"We issued a refund of ${refund.amount:.2f} for order {order.id} on {_short(refund.created_at)}. "
            f"Your bank should post it within {lo} to {hi} business days, so look for it by "
            f"{_short(refund.expected_by)}.")
    return Case("walmart refund issued", template, _evidence(store, order, [status]), false={
        "wrong number: posting days": reply(base.replace(f"within {lo} to {hi} business days",
                                                         "within seven working days")),
        "wrong unit: calendar days for business days": reply(base.replace(f"{lo} to {hi} business days",
                                                                          f"{lo}-{hi} days")),
        "wrong unit: hours": reply(base.replace(f"{lo} to {hi} business days", f"{lo}-{hi} hours")),
        "wrong amount": reply(base.replace(f"${refund.amount:.2f}", f"${wrong_amount}")),
        "negation of the refund on record": reply(
            f"I'm sorry, but I have no information about a refund on order {order.id} yet."),
        "says there is no refund": reply(f"There is no refund on order {order.id} yet; it should post by "
                                         f"{_short(refund.expected_by)}."),
        "false action: address changed": reply(f"{base} I've also updated the order to 88 Willow Court."),
        "false action: escalated": reply(f"{base} I've escalated this to our payments team as well."),
    }, true={
        "same facts, other words": reply(base),
        "upper end of the posting range": reply(
            f"Your ${refund.amount:.2f} refund for order {order.id} was issued on {_short(refund.created_at)}. "
            f"Banks take up to {hi} business days to post it, so you should see it by "
            f"{_short(refund.expected_by)}."),
        "number words": reply(base.replace(f"within {lo} to {hi} business days",
                                           f"within {_word(lo)} to {_word(hi)} business days")),
    })


def _word(n: str) -> str:
    return {"2": "two", "3": "three", "5": "five", "7": "seven", "10": "ten"}.get(n, n)


def product_case(store: SandboxStore) -> Case:
    """Specs with units from the catalog: ice retention in days, an oven limit in °F, a weight in lb."""
    cooler = next(p for p in store.list_products() if "Ice retention" in p.specs)
    skillet = next(p for p in store.list_products() if "Oven safe to" in p.specs and "Weight" in p.specs)
    results = [run_tool(ToolContext(backend=store, customer_id=None, platform="walmart", clock=store.clock),
                        "get_product", {"product_id": p.id}) for p in (cooler, skillet)]
    ice, oven, weight = cooler.specs["Ice retention"], skillet.specs["Oven safe to"], skillet.specs["Weight"]
    days = ice.split(" days")[0].split()[-1]
    degrees = oven.rstrip("°F").strip()
    pounds = weight.split(" lb")[0]
    template = render("product_answer", {
        "answer": f"The {cooler.name} has ice retention of {ice.lower()}. The {skillet.name} is oven safe to "
                  f"{oven} and weighs {weight}.", "stock_line": ""}, first_name=None)

    def reply(text: str) -> str:
        return f"Hi there,\n\n{text}\n\n{SIGN_OFF}"

    base = (f"The {cooler.name} keeps ice for {ice.lower()}, and the {skillet.name} can go in an oven up to "
            f"{oven}; it weighs {weight}.")
    evidence = evidence_facts([r.data for r in results if r.data], policies=[POLICIES["walmart"].model_dump()])
    return Case("product specs", template, evidence, false={
        "wrong number: ice retention": reply(base.replace(f"{ice.lower()}", "24-day ice retention")),
        "wrong unit: ice retention in hours": reply(base.replace(f"{days} days", f"{days} hours")),
        "wrong temperature": reply(base.replace(oven, f"{int(degrees) - 150}°F")),
        "wrong weight": reply(base.replace(weight, f"{float(pounds) + 2:.1f} lb")),
        "invented product name": reply(base.replace(cooler.name, "Northfork Summit Hard Cooler")),
    }, true={
        "same specs, other words": reply(base),
        "degrees spelled out": reply(base.replace(oven, f"{degrees} degrees F")),
        "pounds spelled out": reply(base.replace(weight, f"{pounds} pounds")),
    })


def address_case(store: SandboxStore) -> Case:
    """Walmart does not let sellers change an address: nothing was changed, whatever the wording says."""
    order = next(o for o in store.find_orders(platform="walmart", status="unshipped", limit=None)
                 if o.shipping_address.city != "Raleigh")
    asked = "Please ship order {} to 88 Willow Court, Raleigh, NC 27608 instead".format(order.id)
    results = [run_tool(_ctx(store, order), "get_order", {"order_id": order.id}),
               run_tool(_ctx(store, order), "change_shipping_address", {
                   "order_id": order.id, "name": "A B", "line1": "88 Willow Court", "city": "Raleigh", "state": "NC",
                   "zip": "27608"})]
    assert not results[1].ok
    first = _first(store, order)
    template = render("address_not_allowed", {
        "platform_name": "Walmart", "order_id": order.id,
        "platform_guidance": "If the order has not shipped, you can cancel it and order again."}, first_name=first)

    def reply(text: str) -> str:
        return f"Hi {first},\n\n{text}\n\n{SIGN_OFF}"

    return Case("walmart address change", template, _evidence(store, order, results, customer_text=asked), false={
        "false action: updated to the new street": reply(
            f"I've updated order {order.id} to 88 Willow Court. If the order has not shipped, you can also cancel "
            f"it and order again."),
        "false action: address changed": reply(
            f"Good news: I've changed your shipping address for order {order.id}, so nothing else is needed."),
        "wrong place: a destination the order does not have": reply(
            f"Your order {order.id} will now ship to Raleigh, NC. If it has not shipped, you can cancel it and "
            f"order again."),
        "false action: cancelled": reply(f"I've cancelled order {order.id} so you can order again with the new "
                                         f"address."),
    }, true={
        "the rule in other words": reply(
            f"Walmart doesn't allow sellers to edit the shipping address, so I can't change it for order "
            f"{order.id}. If the order has not shipped, you can cancel it and order again."),
    })


def done_case(store: SandboxStore) -> Case:
    """Writes that really happened: a cancellation and a return, each said in the model's words."""
    unshipped = next(o for o in store.find_orders(platform="shopify", status="unshipped", limit=None))
    cancelled = _done(store, unshipped, "cancel_order", {"order_id": unshipped.id})
    first = _first(store, unshipped)
    template = render("cancel_done", {"order_id": unshipped.id, "refund_line": ""}, first_name=first)

    def reply(text: str) -> str:
        return f"Hi {first},\n\n{text}\n\n{SIGN_OFF}"

    none = run_tool(_ctx(store, unshipped), "get_refund_status", {"order_id": unshipped.id})
    return Case("cancellation done", template, _evidence(store, unshipped, [cancelled, none]), false={
        "false action: a write that did not happen": reply(f"I've cancelled order {unshipped.id} and sent you a "
                                                           f"prepaid return label."),
    }, true={
        "the write in the model's words": reply(f"I've cancelled your order {unshipped.id} for you."),
        "the write said in the passive": reply(f"Your order {unshipped.id} has been cancelled."),
    })


def return_closed_case(store: SandboxStore) -> Case:
    """The window closed: every fact can survive a wording that still turns the "no" into a "yes" (the blind
    make test-llm run auto-sent "Please go ahead and return" here); agent/speech_acts.py catches it."""
    order = next(o for o in store.find_orders(platform="shopify", status="delivered", limit=None)
                 if o.delivered_at and (store.clock.now() - o.delivered_at).days > 60)
    checked = run_tool(_ctx(store, order), "check_return_eligibility", {"order_id": order.id})
    assert checked.ok and not checked.data["eligible"], checked  # type: ignore[index]
    first = _first(store, order)
    closed = format_date(checked.data["window_ends"])  # type: ignore[index]
    window = f"{checked.data['window_days']}-day return window"  # type: ignore[index]
    template = render("return_window_closed", {"order_id": order.id, "window_ends": closed, "warranty_line": "",
                                               "window_name": window}, first_name=first)

    def reply(text: str) -> str:
        return f"Hi {first},\n\n{text}\n\n{SIGN_OFF}"

    return Case("return window closed", template, _evidence(store, order, [checked]), false={
        "the no turned into go ahead": reply(
            f"The return window for order {order.id} was {closed}. Please go ahead and return it to us."),
        "the no turned into an offer": reply(
            f"Your return window for order {order.id} ran until {closed}. Would you like me to open a return?"),
        "an action the draft does not mention": reply(
            f"I'm sorry: the return window for order {order.id} closed on {closed}, so I can't open a return for "
            f"it. I'll send you a replacement instead."),
    }, true={
        "the no in other words": reply(
            f"Unfortunately the {window} for order {order.id} closed on {closed}, so a return isn't possible "
            f"for it."),
    })


@pytest.fixture
def corpus(store: SandboxStore) -> list[Case]:
    return [in_transit_case(store), refund_case(store), product_case(store), address_case(store), done_case(store),
            return_closed_case(store)]


def test_every_false_rewording_is_caught(corpus: list[Case]) -> None:
    missed = [(c.name, label, text) for c in corpus for label, text in c.false.items()
              if check_rewording(c.template, text, c.evidence).ok]
    total = sum(len(c.false) for c in corpus)
    assert total >= 30
    assert missed == [], f"caught {total - len(missed)}/{total}"


def test_every_true_rewording_is_kept(corpus: list[Case]) -> None:
    checks = [(c.name, label, check_rewording(c.template, text, c.evidence)) for c in corpus
              for label, text in c.true.items()]
    refused = [(name, label, check.reasons) for name, label, check in checks if not check.ok]
    assert sum(len(c.true) for c in corpus) >= 15
    assert refused == []


def test_a_wording_that_leaves_out_a_quantity_of_its_draft_is_discarded(store: SandboxStore) -> None:
    """True but thinner: the posting window is gone. A wording is phrasing, so it keeps every quantity its
    draft states; the draft goes out instead (a model that drops "5 days" may also have said "we don't ship")."""
    case = refund_case(store)
    order_id = next(iter(case.evidence.orders))
    refund = next(r for r in store.order_refunds(order_id) if r.status == "processed" and r.expected_by)
    text = (f"Hi,\n\nWe've refunded ${refund.amount:.2f} for order {order_id}. It should reach you by "
            f"{_short(refund.expected_by)}.\n\n— The Northfork Goods team")
    check = check_rewording(case.template, text, case.evidence)
    assert not check.ok and any("drops the quantity" in r for r in check.reasons)


def test_a_wording_may_not_add_a_number_its_draft_does_not_state(store: SandboxStore) -> None:
    """Policy files hold many true quantities about other things ("2 business days" to refund is no ice
    retention, no battery life): a number the draft does not state is new content, not phrasing."""
    case = in_transit_case(store)
    added = case.true["same facts, other words"].replace("Good news: ", "Good news (2 years of service!): ")
    check = check_rewording(case.template, added, case.evidence)
    assert not check.ok and any("'2'" in r or "2 years" in r for r in check.reasons)
    spec = check_rewording("The blade is X50CrMoV15 steel.", "The blade is made of quality steel.", case.evidence)
    assert not spec.ok and any("x50crmov15" in r for r in spec.reasons)


def test_the_reason_names_the_fact_and_what_is_true(store: SandboxStore) -> None:
    case = in_transit_case(store)
    check = check_rewording(case.template, case.false["wrong place: last scan said as the destination"], case.evidence)
    assert not check.ok and any("ships to" in r for r in check.reasons)
    other = check_rewording(case.template, case.false["another order's tracking number"], case.evidence)
    assert any("belongs to order" in r for r in other.reasons)
    refund = refund_case(store)
    posting = check_rewording(refund.template, refund.false["wrong number: posting days"], refund.evidence)
    assert any("7 business_days" in r for r in posting.reasons)


def test_a_model_written_answer_is_held_to_the_evidence(store: SandboxStore) -> None:
    """A long-tail answer has no template: each fact must be in the tool results or passages."""
    case = in_transit_case(store)
    order_line = next(line for line in case.template.splitlines() if "tracking" in line)
    assert check_draft(case.template, case.evidence).ok
    assert not check_draft(order_line.replace("with UPS", "with FedEx"), case.evidence).ok
    assert not check_draft("Your parcel is at the Raleigh delivery station and arrives by 6 PM.", case.evidence).ok


def test_facts_carry_units_and_the_order_they_are_about() -> None:
    text = ("Order 112-3456789-1234567 went out with UPS, tracking 1ZV8W3190312345678. Order 113-1111111-2222222 "
            "is still being packed. Refunds post in 3-5 business days; the cooler holds ice for five days at 90°F "
            "and weighs 18.5 lbs.")
    facts = extract_facts(text)
    quantities = {(f.value, f.unit) for f in facts if f.kind == "quantity"}
    assert {("3-5", "business_days"), ("5", "days"), ("90", "F"), ("18.5", "lb")} <= quantities
    bound = bind(text, facts, {"112-3456789-1234567", "113-1111111-2222222"})
    tracking = next(f for f in bound if f.kind == "tracking_number")
    assert tracking.entity == "112-3456789-1234567"


def test_compliance_catches_contradictions_in_every_draft(store: SandboxStore) -> None:
    """The check step holds templates and people's edits to the entity-bound facts too (not to names)."""
    case = in_transit_case(store)
    order = next(o for o in store.find_orders(platform="walmart", status="in_transit", limit=None)
                 if o.id in case.template)
    evidence = [json_of(r) for r in (run_tool(_ctx(store, order), "get_order", {"order_id": order.id}),
                                     run_tool(_ctx(store, order), "track_shipment", {"order_id": order.id}))]
    policy = POLICIES["walmart"]

    def rules(text: str) -> list[str]:
        return check_reply(ComplianceInput(text=text, platform="walmart", evidence=evidence), policy).rules

    assert rules(case.template) == []
    assert rules(case.false["wrong place: last scan said as the destination"]) == ["ungrounded_fact"]
    assert rules(case.false["invented tracking number"]) == ["ungrounded_fact"]
    assert rules(case.false["wrong carrier"]) == ["ungrounded_fact"]
    refund = refund_case(store)
    assert not ground_draft(refund.template, refund.evidence, strict=False)
    assert ground_draft(refund.false["negation of the refund on record"], refund.evidence, strict=False)
    assert ground_draft(refund.false["wrong number: posting days"], refund.evidence, strict=False)


def json_of(result: ToolResult) -> str:
    return json.dumps(result.data, default=str)


def test_a_wording_much_longer_than_its_draft_is_discarded(store: SandboxStore) -> None:
    """Paragraphs of the model's own (a returns process it made up, questions back to the customer) are
    content, not phrasing, even when every number in them is the draft's."""
    case = in_transit_case(store)
    padded = case.template + "\n\n" + "We appreciate your patience and we are happy to help with anything else. " * 8
    check = check_rewording(case.template, padded, case.evidence)
    assert not check.ok and any("much longer" in r for r in check.reasons)
    assert check_rewording(case.template, case.template, case.evidence).ok
