"""Spanish messages about order status, returns, refund status and cancellations get Spanish replies (issue 11,
class 10): every template those plans can produce has a Spanish twin with the same slots, the reply follows
the message's language, dates read "martes, 24 de noviembre", and the checks after drafting verify Spanish
dates and quantities like English ones. Anything without Spanish wording goes to a person, never in English."""

from __future__ import annotations

import ast
import inspect
import json
from datetime import date, timedelta

import pytest

from agent import plans, templates_es
from agent.compliance import ComplianceInput, check_reply
from agent.grounding import check_draft, evidence_facts
from agent.templates import TEMPLATES, format_date, render
from agent.templates_es import NoSpanish, reply_language, slot_names, split_extra
from tools.context import ToolContext
from tools.models import Order
from tools.policy.loader import load_policies
from tools.registry import run_tool
from tools.sandbox.store import SandboxStore

from testdata import ANCHOR

POLICIES = load_policies()
ENGLISH_ONLY = ("Your order", "Hi ", "— The Northfork Goods team", "Would you like", "Reply \"yes\"")


def orders(store: SandboxStore, platform: str, status: str, pred=lambda o: True) -> Order:  # type: ignore[no-untyped-def]
    for order in store.find_orders(platform=platform, status=status, limit=None):  # type: ignore[arg-type]
        if not store.order_returns(order.id) and not store.order_refunds(order.id) and pred(order):
            return order
    raise LookupError(f"no {platform} {status} order")


def spanish(text: str, first_name: str | None) -> None:
    """A Spanish reply: the Spanish greeting and sign-off, no English template wording."""
    assert text.startswith(f"Hola {first_name}," if first_name else "Hola,"), text
    assert text.rstrip().endswith(templates_es.SIGN_OFF), text
    assert not any(phrase in text for phrase in ENGLISH_ONLY), text


def reason_check(trace) -> bool:  # type: ignore[no-untyped-def]
    """The review reason of a Spanish return offer: the plan read the return reason (fee, return shipping,
    window) from English words, so a person checks it before it goes."""
    return any(r.startswith("Spanish message: return_") and "return reason" in r for r in trace.reasons)


def first_name(store: SandboxStore, order: Order) -> str:
    return store.get_customer(order.customer_id).name.split(" ")[0]


def es_date(value: object) -> str:
    return format_date(value, language="es")  # type: ignore[arg-type]


# ------------------------------------------------------------------ the twins


def _plan_templates() -> set[str]:
    """Every template key the order status, return, refund status and cancellation plans can produce: the
    `template=` of each PlanOutcome in those plans and in every plans.py function they call."""
    tree = ast.parse(inspect.getsource(plans))
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    todo = [plans.PLANS[i].__name__ for i in templates_es.SPANISH_INTENTS] + ["_run_confirmed_refund"]
    seen: set[str] = set()
    keys: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen or name not in functions:
            continue
        seen.add(name)
        for node in ast.walk(functions[name]):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                todo.append(node.func.id)
                for kw in node.keywords:
                    if kw.arg == "template":
                        keys |= {c.value for c in ast.walk(kw.value) if isinstance(c, ast.Constant)
                                 and isinstance(c.value, str)}
    return keys


# Reached from those plans only on paths a Spanish message never takes: a declined subscription change needs a
# subscription offer (it still goes to a person in Spanish); a handoff has no text. The damaged-item intent's
# templates (plan_damaged is plan_return(damage=True)) are Spanish since it has twins, so the walk checks them.
# "product_answer": a return or damage message asking about a recall notice (plans._notice_question) quotes the
# notice's English sections; in Spanish that path hands off before it (tests/agent/test_complete_answers.py
# test_a_recall_question_in_a_return_message_gets_the_notice_and_in_spanish_a_person).
NOT_SPANISH_PATHS = {"handoff", "subscription_declined", "product_answer"}


def test_every_template_of_the_four_plans_has_a_spanish_twin_with_the_same_slots() -> None:
    keys = _plan_templates() - NOT_SPANISH_PATHS
    assert {"status_in_transit", "return_offer", "refund_issued", "cancel_offer", "action_declined",
            "which_order", "order_not_found"} <= keys  # the walk finds what the plans produce
    missing = sorted(k for k in keys if k not in templates_es.TEMPLATES)
    assert not missing, f"English templates with no Spanish twin in agent/templates_es.py: {missing}"
    for key in keys:
        assert slot_names(templates_es.TEMPLATES[key]) == slot_names(TEMPLATES[key]), key
    for key, template in templates_es.TEMPLATES.items():
        assert key in TEMPLATES, key
        unknown = slot_names(template) - set(templates_es.SLOTS)
        assert not unknown, f"{key} shows slots with no Spanish wording: {unknown}"


def test_a_template_or_a_phrase_without_spanish_wording_raises_never_english() -> None:
    with pytest.raises(NoSpanish):
        render("product_answer", {"answer": "It holds 45 quarts.", "stock_line": ""}, first_name="Ana",
               language="es")
    with pytest.raises(NoSpanish):  # a phrase a plan writes that this module has never seen
        render("status_cancelled", {"order_id": "111-2223334-4445556", "cancelled_on": " on Monday, May 4",
                                    "refund_line": " Refunds take a while."}, first_name="Ana", language="es")
    kept, why = split_extra([{"template": "policy_answer", "slots": {"answer": "Returns are free."}},
                             {"template": "status_cancelled", "slots": {"order_id": "X1", "cancelled_on": "",
                                                                       "refund_line": ""}}])
    assert [p["template"] for p in kept] == ["status_cancelled"] and "policy_answer" in why[0]


def test_dates_and_phrases_read_in_spanish() -> None:
    assert format_date("2026-11-24", language="es") == "martes, 24 de noviembre"
    assert format_date(date(2026, 1, 1), language="es") == "jueves, 1 de enero"
    assert format_date("2026-11-24") == "Tuesday, November 24"
    text = render("status_cancelled", {"order_id": "111-2223334-4445556", "cancelled_on": " on Monday, May 4",
                                       "refund_line": " A refund of $30.33 was issued on Tuesday, May 5."},
                  first_name="Ana", language="es")
    assert "Su pedido 111-2223334-4445556 fue cancelado el lunes, 4 de mayo. Se emitió un reembolso de $30.33 " \
           "el martes, 5 de mayo." in text
    spanish(text, "Ana")


@pytest.mark.parametrize(("language", "text", "earlier", "expected"), [
    ("es", "¿Dónde está mi pedido? Lo compré hace dos semanas", [], "es"),
    ("en", "Sí", ["Por favor cancelen mi pedido, ya no lo quiero"], "es"),  # too short to tell: the conversation's
    ("en", "ok", ["where is my order, it has been two weeks"], "en"),
    ("en", "yes please go ahead", ["Por favor cancelen mi pedido, ya no lo quiero"], "en"),  # says enough itself
])
def test_the_reply_language_follows_the_message(language: str, text: str, earlier: list[str], expected: str) -> None:
    assert reply_language(language, text, earlier) == expected


# ------------------------------------------------------------------ through the graph


def test_spanish_order_status_is_answered_in_spanish(say, runtime, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order = orders(store, "amazon", "in_transit", lambda o: not any(e.type in ("delayed", "exception", "lost")
                                                                     for s in o.shipments for e in s.events))
    trace = say(order.customer_id, "amazon", f"Hola, ¿dónde está mi pedido {order.id}? Gracias")
    assert trace.language == "es" and trace.intent == "order_status"
    assert [c.name for c in trace.tool_calls] == ["get_order", "track_shipment"]
    shipment = order.shipments[0]
    assert f"Su pedido {order.id}" in trace.draft and shipment.tracking_number in trace.draft
    assert shipment.carrier in trace.draft and es_date(shipment.estimated_delivery) in trace.draft
    spanish(trace.draft, first_name(store, order))
    assert trace.compliance["ok"] and trace.route == "auto_send" and trace.status == "sent"
    assert [r.message.text for r in runtime.context.outbox.for_conversation(trace.thread)] == [trace.draft]


def test_a_mostly_english_message_with_a_spanish_name_gets_english(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order = orders(store, "amazon", "in_transit")
    trace = say(order.customer_id, "amazon", f"Hi, this is José Hernández García. Where is my order {order.id}?")
    assert trace.language == "en" and f"Your order {order.id}" in trace.draft and "Hola" not in trace.draft


def test_spanish_return_on_the_store_offers_then_starts_it(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order = orders(store, "shopify", "delivered", lambda o: len(o.items) == 1 and o.delivered_at > ANCHOR - timedelta(days=8))
    first = say(order.customer_id, "shopify", f"Necesito devolver mi pedido {order.id}, ya no lo necesito. ¿Cómo inicio "
                                              "la devolución?")
    assert first.language == "es" and first.intent == "return_request"
    assert first.pending_action["tool"] == "start_return" and store.order_returns(order.id) == []
    assert "se puede devolver hasta el" in first.draft and "¿Quiere que inicie la devolución?" in first.draft
    assert "días hábiles" in first.draft and order.items[0].title in first.draft
    spanish(first.draft, first_name(store, order))
    # the plans read the return reason (fee, return shipping) from English words: a person checks the offer first
    assert first.compliance["ok"] and first.route == "review" and reason_check(first)
    second = say(order.customer_id, "shopify", "Sí", thread=first.thread)  # too short to tell: stays Spanish
    returns = store.order_returns(order.id)
    assert len(returns) == 1 and returns[0].label.tracking_number in second.draft
    assert f"Su devolución del pedido {order.id} está lista" in second.draft
    spanish(second.draft, first_name(store, order))
    assert second.compliance["ok"] and second.route == "auto_send" and second.pending_action is None


def test_spanish_marketplace_return_says_where_to_start_it(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order = orders(store, "amazon", "delivered", lambda o: len(o.items) == 1 and o.delivered_at > ANCHOR - timedelta(days=8))
    trace = say(order.customer_id, "amazon", f"Necesito devolver mi pedido {order.id}, ya no lo necesito. ¿Cómo inicio "
                                             "la devolución?")
    assert trace.intent == "return_request" and trace.pending_action is None
    assert "Iníciela en su cuenta de Amazon" in trace.draft and "Return or Replace Items" in trace.draft
    spanish(trace.draft, first_name(store, order))
    assert trace.compliance["ok"] and trace.route == "review" and reason_check(trace)


def test_spanish_refund_status_quotes_the_refund(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    refund = next(r for r in store.list_records("refunds") if r.return_id and r.status == "processed")
    order = store.get_order(refund.order_id)
    trace = say(order.customer_id, order.platform, f"Hola, ¿ya procesaron el reembolso de mi pedido {order.id}?")
    assert trace.language == "es" and trace.intent == "refund_status"
    assert f"Emitimos un reembolso de ${refund.amount} para el pedido {order.id} {'el ' + es_date(refund.created_at)}" \
        in trace.draft, trace.draft
    assert "días hábiles" in trace.draft and es_date(refund.expected_by) in trace.draft
    spanish(trace.draft, first_name(store, order))
    assert trace.compliance["ok"] and trace.route == "auto_send", trace.reasons


def test_spanish_cancel_is_offered_then_done_after_si(say, runtime, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order = orders(store, "shopify", "unshipped")
    first = say(order.customer_id, "shopify", f"Por favor cancelen mi pedido {order.id}, ya no lo quiero. Gracias")
    assert first.language == "es" and first.intent == "cancel_order"
    assert first.pending_action["tool"] == "cancel_order" and store.get_order(order.id).status == "unshipped"
    titles = [item.title.removeprefix("Northfork ") for item in order.items]
    note = f" ({' y '.join(titles)})" if len(titles) <= 2 else ""  # the products beside the number, in Spanish
    assert f"El pedido {order.id}{note} todavía no se ha enviado, así que puedo cancelarlo." in first.draft
    assert f"${order.total}" in first.draft and "Responda \"sí\" para confirmar" in first.draft
    spanish(first.draft, first_name(store, order))
    assert first.compliance["ok"]
    second = say(order.customer_id, "shopify", "Sí", thread=first.thread)
    assert store.get_order(order.id).status == "cancelled"
    assert f"Listo: el pedido {order.id} está cancelado." in second.draft and f"${order.total}" in second.draft
    spanish(second.draft, first_name(store, order))
    assert second.compliance["ok"] and second.route == "auto_send" and second.status == "sent"


def test_a_spanish_no_leaves_the_order_as_it_is(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order = orders(store, "shopify", "unshipped")
    first = say(order.customer_id, "shopify", f"Quiero cancelar mi pedido {order.id}, por favor")
    before = store.content_hash()
    second = say(order.customer_id, "shopify", "No, mejor no. Lo quiero conservar.", thread=first.thread)
    assert store.content_hash() == before
    assert f"no haré ningún cambio en el pedido {order.id}" in second.draft
    spanish(second.draft, first_name(store, order))


def test_a_spanish_message_about_something_else_still_goes_to_a_person(say, runtime, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    customer = next(c for c in store.list_customers() if "walmart" in c.platforms)
    trace = say(customer.id, "walmart", "Tengo una pregunta sobre la garantía: ¿cuántos años de garantía tiene la "
                                        "sartén de hierro fundido? Gracias")
    assert trace.language == "es" and trace.intent not in templates_es.SPANISH_INTENTS
    assert trace.route == "handoff" and any("message not in English (es)" in r for r in trace.reasons)
    assert trace.draft is None and trace.tool_calls == []
    assert "Ya lo pasé a una persona de nuestro equipo" in trace.acknowledgment
    assert [r.message.text for r in runtime.context.outbox.for_conversation(trace.thread)] == [trace.acknowledgment]


def test_other_languages_still_go_to_a_person(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order = orders(store, "shopify", "in_transit")
    trace = say(order.customer_id, "shopify", f"Bonjour, où est ma commande {order.id}? Je n'ai pas reçu le colis. Merci")
    assert trace.language == "fr" and trace.route == "handoff" and trace.tool_calls == []


def test_a_reply_with_no_spanish_twin_goes_to_a_person_not_out_in_english(say, runtime, store: SandboxStore,  # type: ignore[no-untyped-def]
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(templates_es.TEMPLATES, "status_in_transit")  # as if a new English template had no twin
    order = orders(store, "amazon", "in_transit", lambda o: not any(e.type in ("delayed", "exception", "lost")
                                                                     for s in o.shipments for e in s.events))
    trace = say(order.customer_id, "amazon", f"Hola, ¿dónde está mi pedido {order.id}? Gracias")
    assert trace.route == "handoff" and trace.draft is None
    assert any("no Spanish reply" in r and "status_in_transit" in r for r in trace.reasons), trace.reasons
    assert [r.message.text for r in runtime.context.outbox.for_conversation(trace.thread)] == [trace.acknowledgment]
    assert "Ya lo pasé a una persona de nuestro equipo" in trace.acknowledgment


def test_a_further_answer_with_no_spanish_twin_sends_the_reply_to_review(make_runtime, store: SandboxStore,  # type: ignore[no-untyped-def]
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The main answer in Spanish, the further answer it cannot say in Spanish left out for a person."""
    from agent.nodes import act as act_node

    order = orders(store, "amazon", "in_transit", lambda o: not any(e.type in ("delayed", "exception", "lost")
                                                                     for s in o.shipments for e in s.events))
    real = act_node._further_requests

    def with_policy_answer(ctx, main, outcome):  # type: ignore[no-untyped-def]
        found = real(ctx, main, outcome)
        updated = found[0].model_copy(update={"extra": [
            {"template": "policy_answer", "slots": {"answer": "Returns are free within 30 days."}}]})
        return (updated, *found[1:])

    monkeypatch.setattr(act_node, "_further_requests", with_policy_answer)
    from agent.schemas import InboundMessage

    rt = make_runtime()
    trace = rt.handle(InboundMessage(platform="amazon", customer_id=order.customer_id, received_at=store.clock.now(),
                                     text=f"Hola, ¿dónde está mi pedido {order.id}? Gracias"))
    assert trace.route == "review" and any("no Spanish wording" in r for r in trace.reasons), trace.reasons
    assert "Returns are free" not in trace.draft and f"Su pedido {order.id}" in trace.draft
    spanish(trace.draft, first_name(store, order))


# ------------------------------------------------------------------ the checks read Spanish


def _status_case(store: SandboxStore) -> tuple[Order, str, list[str], list[dict]]:  # type: ignore[type-arg]
    order = orders(store, "amazon", "in_transit", lambda o: not any(e.type in ("delayed", "exception", "lost")
                                                                     for s in o.shipments for e in s.events))
    ctx = ToolContext(backend=store, customer_id=order.customer_id, platform=order.platform, clock=store.clock)
    results = [run_tool(ctx, "get_order", {"order_id": order.id}), run_tool(ctx, "track_shipment",
                                                                             {"order_id": order.id})]
    shipment = order.shipments[0]
    last = shipment.events[-1]
    text = render("status_in_transit", {
        "order_id": order.id, "carrier": shipment.carrier, "tracking_number": shipment.tracking_number,
        "last_event": last.description, "last_location": f" in {last.location}" if last.location else "",
        "last_event_date": format_date(last.at), "estimated_delivery": format_date(shipment.estimated_delivery)},
        first_name="Ana", language="es")
    data = [r.data for r in results if r.data]
    return order, text, [json.dumps(d, default=str) for d in data], data  # type: ignore[misc]


def test_compliance_catches_a_wrong_spanish_date(store: SandboxStore) -> None:
    order, text, evidence, _ = _status_case(store)
    policy = POLICIES[order.platform]
    good = check_reply(ComplianceInput(text=text, platform=order.platform, evidence=evidence), policy)
    assert good.ok, good.violations
    right = es_date(order.shipments[0].estimated_delivery)
    wrong_day = order.shipments[0].estimated_delivery + timedelta(days=9)
    wrong = text.replace(right, es_date(wrong_day))
    assert wrong != text
    report = check_reply(ComplianceInput(text=wrong, platform=order.platform, evidence=evidence), policy)
    assert not report.ok and any(v.rule == "ungrounded_fact" and f"{wrong_day.day} de" in (v.evidence or "")
                                 for v in report.violations), report.violations


def test_grounding_reads_spanish_dates_and_quantities(store: SandboxStore) -> None:
    order, text, _, data = _status_case(store)
    evidence = evidence_facts(data, policies=[POLICIES[order.platform].model_dump(mode="json")],
                              sign_offs=[templates_es.SIGN_OFF], customer_name="Ana")
    right = es_date(order.shipments[0].estimated_delivery)
    wrong = text.replace(right, es_date(order.shipments[0].estimated_delivery + timedelta(days=3)))
    checked = check_draft(wrong, evidence)
    assert any(u.fact.kind == "date" for u in checked.unmapped), checked.reasons
    assert not any(u.fact.kind == "date" for u in check_draft(text, evidence).unmapped)
    # a quantity in Spanish units is a fact too: one no tool result or policy states is caught
    said = check_draft("Los bancos suelen reflejarlo en un plazo de 45 días hábiles.", evidence)
    assert any(u.fact.kind == "quantity" and u.fact.unit == "business_days" for u in said.unmapped), said.reasons


def test_a_spanish_claim_of_an_action_no_tool_did_is_caught(store: SandboxStore) -> None:
    """Action honesty reads Spanish claims: a cancellation said done with no cancel (a plan bug) fails."""
    order = orders(store, "shopify", "unshipped")
    policy = POLICIES["shopify"]
    text = render("cancel_done", {"order_id": order.id, "refund_line": "You haven't been charged for it."},
                  first_name="Ana", language="es")
    claimed = check_reply(ComplianceInput(text=text, platform="shopify", evidence=[]), policy)
    assert any(v.rule == "action_honesty" and "cancelado" in (v.evidence or "") for v in claimed.violations)
    done = check_reply(ComplianceInput(text=text, platform="shopify", done_actions=["cancel_order"]), policy)
    assert not any(v.rule == "action_honesty" for v in done.violations)
    offer = render("cancel_offer", {"order_id": order.id, "order_items": "", "charge_line": ""}, first_name="Ana",
                   language="es")
    assert not any(v.rule == "action_honesty" for v in check_reply(
        ComplianceInput(text=offer, platform="shopify"), policy).violations)  # "¿Quiere que lo cancele?" offers


def test_model_wording_is_never_applied_to_a_spanish_reply(make_runtime, say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    """The guards on a model's wording (grounding, speech acts, compliance) read English first: a Spanish reply
    is always the template, even where the seller turned model wording on."""
    from agent_fixtures import wording_on
    from fake_llm import ScriptedChatModel

    order = orders(store, "amazon", "in_transit", lambda o: not any(e.type in ("delayed", "exception", "lost")
                                                                     for s in o.shipments for e in s.events))
    model = ScriptedChatModel([])  # any call fails the test
    trace = say(order.customer_id, "amazon", f"Hola, ¿dónde está mi pedido {order.id}? Gracias",
                rt=make_runtime(llm=model, settings=wording_on()))
    assert model.received == [] and f"Su pedido {order.id}" in trace.draft
    spanish(trace.draft, first_name(store, order))


# ------------------------------------------------------------------ damaged, defective or wrong items

# Words of the English damage replies and of the sentences their plan writes into slots: none may be left in a
# Spanish reply (product names stay as the catalog writes them, so these are the plan's words, not a title's).
DAMAGE_ENGLISH = ("I'm sorry", "If you", "replacement", "refund", "in stock", "out of stock", "photo", "warranty",
                  "shipping box", "return shipping", "Shall I", "arrived damaged", "isn't", "wasn't", "doesn't")


def no_english_damage_words(text: str) -> None:
    left = [w for w in DAMAGE_ENGLISH if w in text]
    assert not left, (left, text)


def _catalog() -> list[dict]:  # type: ignore[type-arg]
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "tools" / "sandbox" / "catalog.json"
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_every_sentence_the_damage_plan_writes_into_a_slot_reads_in_spanish() -> None:
    """The replacement line (every stock state, store and marketplace), the photo request (every reason), the
    fault the reply names, and the written warranty of every catalog product with what a claim needs: each has a
    Spanish form with the same facts (dates as dates), and none leaves an English word behind."""
    from types import SimpleNamespace

    from tools.policy.loader import load_seller

    def product(in_stock: bool, restock: str | None) -> dict:  # type: ignore[type-arg]
        return {"variants": [{"sku": "NF-X1", "in_stock": in_stock, "restock_date": restock}]}

    for found in (None, product(True, None), product(False, "2026-12-14"), product(False, None)):
        for marketplace in (True, False):
            line = plans._replacement_line(found, "NF-X1", marketplace=marketplace)
            said = templates_es.SLOTS["replacement_line"](line)
            no_english_damage_words(said)
            assert ("reemplazo" in said) and ("14 de diciembre" in said) == ("December 14" in line), said
    for reason in ("damaged", "defective", "wrong_item", "changed_mind", "arrived_late"):
        said = templates_es.SLOTS["photo_line"](plans._photo_line(reason))
        assert "una foto o un video corto" in said and "no depende de ello" in said, said
        no_english_damage_words(said)
    for fault in ("arrived damaged", "isn't working properly", "wasn't what you ordered", "isn't right"):
        no_english_damage_words(templates_es.SLOTS["problem"](fault))
    seller = SimpleNamespace(seller=load_seller())
    for item in _catalog():
        slots = plans._warranty_slots(seller, item)  # type: ignore[arg-type]
        for name in ("warranty_line", "claim_line"):
            said = templates_es.SLOTS[name](slots[name])
            no_english_damage_words(said)
            assert said.startswith(" ") or not said, said
        assert item["name"] in templates_es.SLOTS["warranty_line"](slots["warranty_line"])


def test_a_damage_reply_renders_in_spanish_with_the_english_replys_facts() -> None:
    """The Spanish twin of each damage template says what the English one says: the ids, dates and counts of the
    English reply are all in the Spanish one."""
    slots = {"item": "Northfork Glass Food Storage Container Set, 18-Piece", "order_id": "112-2837108-9902721",
             "problem": "arrived damaged", "window_ends": "Sunday, January 31", "refund_days": 2,
             "refund_day_kind": "business",
             "how_to_start": "Start it in your Amazon account: Your Orders, choose the order, then Return or Replace "
                             "Items.",
             "replacement_line": plans._replacement_line(
                 {"variants": [{"sku": "NF-X1", "in_stock": False, "restock_date": "2026-12-14"}]}, "NF-X1",
                 marketplace=True),
             "photo_line": plans._photo_line("damaged"),
             "warranty_line": " The Northfork Precision Electric Gooseneck Kettle, 0.9 L comes with a limited 2-year "
                              "warranty from Northfork Goods.",
             "claim_line": " A warranty claim needs the order number and a photo or short video of the problem, so "
                           "please reply here with them."}
    for key in ("damage_offer", "damage_in_marketplace", "damage_window_closed"):
        english = render(key, slots, first_name="Ana")
        text = render(key, slots, first_name="Ana", language="es")
        spanish(text, "Ana")
        no_english_damage_words(text.replace(slots["item"], ""))
        assert slots["order_id"] in text and slots["item"] in text and text.startswith("Hola Ana,\n\nLamento que")
        for number in ("2-year", "2 business days", "January 31", "December 14"):
            if number in english:
                assert {"2-year": "2 años", "2 business days": "2 días hábiles", "January 31": "31 de enero",
                        "December 14": "14 de diciembre"}[number] in text, (number, text)


def _damage_case(store: SandboxStore, platform: str) -> tuple[Order, ToolContext]:
    order = orders(store, platform, "delivered", lambda o: len(o.items) == 1
                   and o.delivered_at > ANCHOR - timedelta(days=8))
    return order, ToolContext(backend=store, customer_id=order.customer_id, platform=order.platform,
                              clock=store.clock)


def _stock_words(ctx: ToolContext, sku: str) -> str:
    """How the Spanish replacement line must state the item's stock, from `get_product`."""
    found = run_tool(ctx, "get_product", {"sku": sku})
    variant = next(v for v in found.data["variants"] if v["sku"] == sku)  # type: ignore[index]
    if variant["in_stock"]:
        return "ahora mismo lo tenemos disponible"
    return "este artículo está agotado por ahora" + (
        f", y esperamos tenerlo de nuevo el {es_date(variant['restock_date'])}" if variant.get("restock_date") else "")


def damage_check(trace) -> bool:  # type: ignore[no-untyped-def]
    """The review reason of a Spanish damage reply: the fault it names was read from English words."""
    return any("Spanish message: damage_" in r and "English words" in r for r in trace.reasons)


def test_a_spanish_broken_item_on_the_store_gets_the_remedy_in_spanish(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order, ctx = _damage_case(store, "shopify")
    item = order.items[0]
    trace = say(order.customer_id, "shopify", f"Hola, mi pedido {order.id} llegó roto, la tapa viene rajada y el "
                                              "vidrio está quebrado. ¿Qué puedo hacer?")
    assert trace.language == "es" and trace.intent == "damaged_or_wrong_item"
    assert trace.pending_action["tool"] == "start_return" and store.order_returns(order.id) == []
    text = trace.draft
    assert f"Lamento que su {item.title} del pedido {order.id}" in text
    assert "reembolso completo" in text and ("Si prefiere un reemplazo" in text or "Un reemplazo tendría" in text)
    assert _stock_words(ctx, item.sku) in text
    assert "Si puede, responda con una foto o un video corto" in text and "no depende de ello" in text
    assert "Responda \"sí\" para confirmar" in text
    spanish(text, first_name(store, order))
    no_english_damage_words(text.replace(item.title, ""))
    # a person confirms the remedy, told that the fault was read from English words
    assert trace.compliance["ok"], trace.compliance
    assert trace.route == "review" and damage_check(trace), trace.reasons


def test_a_spanish_broken_item_on_a_marketplace_says_where_to_return_it_in_spanish(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order, ctx = _damage_case(store, "amazon")
    item = order.items[0]
    trace = say(order.customer_id, "amazon", f"Buenas tardes, mi pedido {order.id} llegó roto, la tapa viene rajada y "
                                             "el vidrio está quebrado. ¿Qué puedo hacer?")
    assert trace.language == "es" and trace.intent == "damaged_or_wrong_item" and trace.pending_action is None
    checked = next(c for c in trace.tool_calls if c.name == "check_return_eligibility")
    eligibility = run_tool(ctx, "check_return_eligibility", checked.args).data
    text = trace.draft
    assert f"Lamento que su {item.title} del pedido {order.id}" in text
    assert f"reembolso completo hasta el {es_date(eligibility['window_ends'])}" in text  # type: ignore[index]
    assert f"dentro de los {eligibility['refund_days_after_receipt']} días" in text  # type: ignore[index]
    assert "Iníciela en su cuenta de Amazon" in text and "Return or Replace Items" in text
    assert "dígamelo aquí y una persona de nuestro equipo lo gestionará" in text or "Un reemplazo tendría" in text
    assert _stock_words(ctx, item.sku) in text
    assert "Si puede, responda con una foto o un video corto" in text
    spanish(text, first_name(store, order))
    no_english_damage_words(text.replace(item.title, ""))
    assert trace.compliance["ok"] and trace.route == "review" and damage_check(trace), trace.reasons


def test_a_damage_sentence_with_no_spanish_wording_sends_the_reply_to_a_person(say, runtime, store: SandboxStore,  # type: ignore[no-untyped-def]
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A slot sentence the Spanish tables have never seen (a plan's new wording): the reply goes to a person with
    the Spanish acknowledgment, never out in English or half translated."""
    monkeypatch.setattr(plans, "_photo_line", lambda reason: "Pictures help us a lot.")
    order, _ = _damage_case(store, "shopify")
    trace = say(order.customer_id, "shopify", f"Hola, mi pedido {order.id} llegó roto, la tapa viene rajada y el "
                                              "vidrio está quebrado. ¿Qué puedo hacer?")
    assert trace.intent == "damaged_or_wrong_item" and trace.route == "handoff" and trace.draft is None
    assert any("no Spanish reply" in r and "Pictures help us" in r for r in trace.reasons), trace.reasons
    assert [r.message.text for r in runtime.context.outbox.for_conversation(trace.thread)] == [trace.acknowledgment]
    assert "Ya lo pasé a una persona de nuestro equipo" in trace.acknowledgment


def test_the_twin_walk_covers_the_damaged_item_intent() -> None:
    """The damaged-item intent answers in Spanish, so the walk above checks its plan's templates too."""
    assert "damaged_or_wrong_item" in templates_es.SPANISH_INTENTS
    assert {"damage_offer", "damage_in_marketplace", "damage_window_closed"} <= _plan_templates() - NOT_SPANISH_PATHS
    assert templates_es.read_from_english("damage_offer") == ["damage_offer"]  # its fault was read from English
