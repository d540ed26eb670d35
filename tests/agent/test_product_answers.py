"""Product questions answered from the catalog (agent/product_answers.py and plan_product): every attribute
asked, one sentence each naming the product with the catalog's value as written, what the catalog does not say
reported, and recommendations decided by the spec that decides them."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from agent.grounding import evidence_facts, ground_draft
from agent.plans import PlanInput, plan_product
from agent.product_answers import (
    Found, SpecSentence, answer, asked_attributes, find_products, kind, lexicon, need_of, plural, spec_clause,
    spec_pattern, yes_no_question,
)
from agent.schemas import Entities, Passage, Triage
from tools.policy.loader import load_policies, load_seller
from tools.results import ToolResult

CATALOG = Path(__file__).resolve().parents[2] / "tools" / "sandbox" / "catalog.json"


def _product(pid: str, name: str, specs: dict[str, str], variants: list[tuple[str, str]] | None = None,
             warranty: str = "limited-1y", description: str = "", category: str = "camping",
             stock: int = 5, restock: str | None = None) -> dict[str, Any]:
    """A product as get_product/search_products return it (tools/actions.py _product_view)."""
    return {"product_id": pid, "name": name, "category": category, "description": description, "specs": specs,
            "warranty": warranty, "subscription_eligible": False,
            "variants": [{"sku": f"NF-{pid}-{i}", "title": t, "price": p, "in_stock": stock > 0, "stock": stock,
                          "restock_date": restock} for i, (t, p) in enumerate(variants or [("Default", "19.99")])]}


SKILLET = _product("P101", "Northfork Cast Iron Skillet, 10 in", {
    "Weight": "5.3 lb", "Oven safe to": "650°F", "Care": "Hand wash, dry immediately, wipe with a thin coat of oil",
    "Dishwasher safe": "No", "Country of origin": "China"}, [("10 in", "29.99")], warranty="limited-lifetime",
    description="A 10-inch cast iron skillet. Works on gas, electric, induction, and glass cooktops, and over a "
                "campfire.", category="cookware")
TUMBLER = _product("P102", "Northfork Haul Insulated Tumbler with Handle, 40 oz", {
    "Capacity": "40 fl oz", "Dimensions": "3.0 in base diameter x 12.3 in tall with lid",
    "Temperature retention": "Up to 24 hours cold, 6 hours hot (lid closed)", "Dishwasher safe": "Yes (top rack)"},
    [("Juniper", "34.99"), ("Sand", "34.99"), ("Matte White", "36.99")], category="hydration")
SMALL_TENT = _product("P103", "Northfork Ridge 2-Person Backpacking Tent", {
    "Capacity": "2 person", "Packed weight": "3 lb 14 oz", "Peak height": "40 in"}, [("2-Person", "249.99")],
    warranty="limited-2y")
BIG_TENT = _product("P104", "Northfork Camp 4-Person Dome Tent", {
    "Capacity": "4 person", "Packed weight": "11 lb 6 oz", "Peak height": "72 in"}, [("4-Person", "199.99")],
    warranty="limited-2y")
BAG = _product("P105", "Northfork Cascade 30°F Synthetic Sleeping Bag", {
    "Temperature rating": "30°F lower limit, 40°F comfort", "Fits up to": "6 ft (Regular), 6 ft 6 in (Long)",
    "Weight": "2 lb 14 oz (Regular), 3 lb 2 oz (Long)"}, [("Regular", "119.99"), ("Long", "129.99")])
HARD_COOLER = _product("P106", "Northfork Camp 45 Qt Rolling Cooler", {
    "Capacity": "45 qt (up to 36 cans with ice)", "Ice retention": "Up to 5 days (pre-chilled, lid closed)"},
    [("Juniper", "269.99")])
SOFT_COOLER = _product("P107", "Northfork Daytrip 24-Can Soft Cooler", {
    "Capacity": "24 cans without ice, 18 cans with ice (20 qt)",
    "Ice retention": "Up to 2 days (pre-chilled, zipper closed)"}, [("Juniper", "89.99")])
STARTERS = _product("P108", "Northfork Quickstrike Fire Starters", {"Burn time": "About 8 minutes each"},
                    [("48-Count", "14.99"), ("144-Count", "36.99")], warranty="none", category="consumables")
LANTERN = _product("P109", "Northfork Beacon Rechargeable LED Lantern", {
    "Runtime": "5 hours on high, 40 hours on low", "Charging": "USB-C, about 4.5 hours",
    "Battery": "5,200 mAh lithium-ion, built-in"}, [("Black", "44.99")], stock=0, restock="2026-12-04",
    category="lighting")


def _one(product: dict[str, Any]) -> Found:
    return Found([product], "one")


def _sentences(question: str, *products: dict[str, Any]) -> list[str]:
    found = Found(list(products), "one" if len(products) == 1 else "several")
    return answer(question, found).sentences


# ---------------------------------------------------------------- one attribute, one sentence

def test_a_no_spec_is_a_negative_sentence_with_the_care_it_needs() -> None:
    said = _sentences("can the skillet go in the dishwasher?", SKILLET)  # a yes/no question: "No," first
    assert said == ["No, the Northfork Cast Iron Skillet, 10 in isn't dishwasher safe: hand wash, dry immediately, "
                    "wipe with a thin coat of oil."]
    said = _sentences("tell me about the skillet and the dishwasher", SKILLET)  # not a yes/no question: no lead
    assert said == ["The Northfork Cast Iron Skillet, 10 in isn't dishwasher safe: hand wash, dry immediately, wipe "
                    "with a thin coat of oil."]


def test_a_yes_spec_is_an_affirmative_sentence_keeping_its_condition() -> None:
    assert _sentences("is the haul tumbler dishwasher safe", TUMBLER) == [
        "Yes, the Northfork Haul Insulated Tumbler with Handle, 40 oz is dishwasher safe (top rack)."]


@pytest.mark.parametrize("text", ["can the cast iron skillet go in the dishwasher 😅", "hi! is it oven safe?",
                                  "quick question, does the tent have a footprint?"])
def test_yes_no_questions(text: str) -> None:
    assert yes_no_question(text)


@pytest.mark.parametrize("text", ["how do I wash the skillet?", "is it black or blue?", "is the coffee additive free?",
                                  "can I use the stove without the regulator?", "what does the kettle hold?"])
def test_not_yes_no_questions_or_ones_a_spec_would_answer_inverted(text: str) -> None:
    assert not yes_no_question(text)


def test_no_lead_when_the_products_answer_differently() -> None:
    said = _sentences("are they dishwasher safe?", SKILLET, TUMBLER)
    assert len(said) == 2 and not any(x.startswith(("Yes,", "No,")) for x in said)
    assert _sentences("are they dishwasher safe?", TUMBLER, TUMBLER | {"product_id": "p-other"})[0].startswith("Yes, ")


@pytest.mark.parametrize(("question", "expected"), [
    ("how much does the skillet weigh?", "The Northfork Cast Iron Skillet, 10 in weighs 5.3 lb."),
    ("what's the max temp in the oven for the skillet",
     "The Northfork Cast Iron Skillet, 10 in is oven safe to 650°F."),
    ("where is the skillet made?", "The Northfork Cast Iron Skillet, 10 in is made in China."),
    ("how tall is the haul tumbler, will it fit my cupholder",
     "The Northfork Haul Insulated Tumbler with Handle, 40 oz measures 3.0 in base diameter x 12.3 in tall with lid."),
    ("how much does the haul tumbler hold", "The Northfork Haul Insulated Tumbler with Handle, 40 oz has a capacity "
                                            "of 40 fl oz."),
    ("what's the warranty on the skillet?", "The Northfork Cast Iron Skillet, 10 in comes with a limited lifetime "
                                            "warranty from Northfork Goods."),
    ("how long does each quickstrike starter burn", "The Northfork Quickstrike Fire Starters burn for about 8 minutes "
                                                    "each."),
])
def test_each_attribute_class_is_one_sentence_naming_the_product(question: str, expected: str) -> None:
    product = next(p for p in (SKILLET, TUMBLER, STARTERS) if kind(p) in question.replace("starter", "starters"))
    assert _sentences(question, product) == [expected]


@pytest.mark.parametrize("question", ["what kind of warranty comes with the skillet?",
                                      "what warranty is included with the skillet?"])
def test_a_verb_of_having_after_the_attribute_is_that_attributes_question(question: str) -> None:
    """"What warranty comes with it" asks the warranty: "comes with" is its verb, not a second question about
    what is in the box that a person would have to answer."""
    result = answer(question, _one(SKILLET))
    assert result.sentences == ["The Northfork Cast Iron Skillet, 10 in comes with a limited lifetime warranty from "
                                "Northfork Goods."]
    assert result.unanswered == [] and "warranty" in result.answered


def test_what_is_in_the_box_is_still_its_own_question_when_nothing_comes_before_it() -> None:
    result = answer("the price of the skillet, and what comes with it?", _one(SKILLET))
    assert [a.attribute for a in result.unanswered] == ["included"]


def test_battery_run_time_is_the_run_time_not_the_charging_port() -> None:
    result = answer("how long does the beacon lantern battery last on a charge?", _one(LANTERN))
    assert result.sentences == ["The Northfork Beacon Rechargeable LED Lantern runs for 5 hours on high, 40 hours on "
                                "low."]
    assert result.answered == ["run_time"]


def test_two_attributes_in_one_question_are_both_answered() -> None:
    result = answer("does the haul tumbler fit a cup holder and can it go in the dishwasher?", _one(TUMBLER))
    assert len(result.sentences) == 2 and not result.unanswered
    assert "3.0 in base diameter" in result.sentences[0] and "dishwasher safe (top rack)" in result.sentences[1]
    assert result.sentences[1].startswith("The Haul Insulated Tumbler")  # the brand once, then the short name


def test_an_attribute_the_catalog_lacks_is_reported_unanswered() -> None:
    result = answer("how much does the skillet weigh and is it waterproof?", _one(SKILLET))
    assert result.sentences == ["The Northfork Cast Iron Skillet, 10 in weighs 5.3 lb."]
    assert [a.attribute for a in result.unanswered] == ["waterproof"]
    assert [lexicon().label(a) for a in result.answered] == ["weight"]


def test_the_description_answers_a_use_the_specs_do_not_list() -> None:
    result = answer("can I use the skillet over a campfire?", _one(SKILLET))
    assert result.sentences == ["From the product page of the Northfork Cast Iron Skillet, 10 in: Works on gas, "
                                "electric, induction, and glass cooktops, and over a campfire."]


def test_no_sentence_pastes_a_key_value_line() -> None:
    for product in (SKILLET, TUMBLER, BAG, LANTERN):
        for key in product["specs"]:
            clause = spec_clause(key, product, "the product")
            assert not re.search(rf"\b{re.escape(key)}:", clause), clause


# ---------------------------------------------------------------- variants: colours and prices

def test_colours_are_listed_from_the_variants() -> None:
    assert _sentences("what colors does the haul tumbler come in?", TUMBLER) == [
        "The Northfork Haul Insulated Tumbler with Handle, 40 oz comes in Juniper, Sand and Matte White."]


def test_a_colour_asked_for_is_confirmed_or_denied_from_the_variants() -> None:
    assert _sentences("does the haul tumbler come in white?", TUMBLER) == [
        "Yes, the Northfork Haul Insulated Tumbler with Handle, 40 oz comes in Matte White, and also in Juniper and "
        "Sand."]
    assert _sentences("do you have the haul tumbler in red?", TUMBLER) == [
        "The Northfork Haul Insulated Tumbler with Handle, 40 oz doesn't come in red; it comes in Juniper, Sand and "
        "Matte White."]


def test_prices_by_variant_only_when_asked() -> None:
    assert _sentences("how much is the haul tumbler?", TUMBLER) == [
        "The Northfork Haul Insulated Tumbler with Handle, 40 oz is $34.99 for Juniper and Sand and $36.99 for "
        "Matte White."]
    assert _sentences("how much are the quickstrike starters in the 144 count?", STARTERS) == [
        "The Northfork Quickstrike Fire Starters are $36.99 for 144-Count."]
    assert not any("$" in s for s in _sentences("how much does the haul tumbler hold", TUMBLER))


def test_stock_is_stated_only_when_asked() -> None:
    asked = answer("is the beacon lantern in stock?", _one(LANTERN))
    assert asked.stock_line == (" Stock right now for the Northfork Beacon Rechargeable LED Lantern: Black is out of "
                                "stock and expected back Friday, December 4.")
    assert answer("when I take the beacon lantern camping how long does it run?", _one(LANTERN)).stock_line == ""


# ---------------------------------------------------------------- recommendations and comparisons

def test_a_recommendation_by_capacity_says_why_with_the_values() -> None:
    result = answer("which of your tents suits a family of four?", Found([SMALL_TENT, BIG_TENT], "choose"))
    assert result.sentences == [
        "For a family of four, I'd go with the Northfork Camp 4-Person Dome Tent: it has a capacity of 4 person, "
        "while the Northfork Ridge 2-Person Backpacking Tent has a capacity of 2 person."]
    assert result.recommendation and set(result.product_ids) == {"P103", "P104"}


def test_a_height_picks_the_variant_that_fits() -> None:
    result = answer("which size sleeping bag for someone 6'3\"?", _one(BAG))
    assert result.sentences == [
        "For someone 6'3\", I'd go with the Long option of the Northfork Cascade 30°F Synthetic Sleeping Bag: it fits "
        "people up to 6 ft (Regular), 6 ft 6 in (Long)."]


def test_a_superlative_picks_by_the_spec_asked() -> None:
    result = answer("which cooler keeps ice longest?", Found([SOFT_COOLER, HARD_COOLER], "choose"))
    assert result.sentences[0].startswith("Of these, the Northfork Camp 45 Qt Rolling Cooler comes out longest: it "
                                          "keeps ice for up to 5 days")
    assert "Daytrip 24-Can Soft Cooler keeps ice for up to 2 days" in result.sentences[0]


def test_cans_decide_with_the_smallest_cooler_that_holds_them() -> None:
    picked = answer("which cooler holds 30 cans?", Found([SOFT_COOLER, HARD_COOLER], "choose")).sentences[0]
    assert picked.startswith("For 30 cans, I'd go with the Northfork Camp 45 Qt Rolling Cooler")
    roomy = answer("which cooler holds 20 cans?", Found([SOFT_COOLER, HARD_COOLER], "choose")).sentences[0]
    assert roomy.startswith("For 20 cans, I'd go with the Northfork Daytrip 24-Can Soft Cooler")


def test_when_the_catalog_cannot_decide_each_option_is_described() -> None:
    result = answer("what's the difference between the ridge and the camp tent?",
                    Found([SMALL_TENT, BIG_TENT], "choose"))
    assert result.sentences[0] == "Here's the difference between them."
    assert result.sentences[1] == ("The Northfork Ridge 2-Person Backpacking Tent has a capacity of 2 person, weighs 3 "
                                   "lb 14 oz packed and has a peak height of 40 in.")
    assert len(result.sentences) == 3


def test_a_need_no_option_meets_says_so_and_describes_them() -> None:
    result = answer("which tent for a group of six?", Found([SMALL_TENT, BIG_TENT], "choose"))
    assert result.sentences[0] == "None of them is listed for a group of six, so here's what each offers."


def test_needs_are_read_from_everyday_words() -> None:
    assert need_of("a tent for the two of us").value == 2  # type: ignore[union-attr]
    assert need_of("I'm 6 ft 2, which bag?").value == 74  # type: ignore[union-attr]
    assert need_of("the 12 inch skillet", names={"12"}) is None


# ---------------------------------------------------------------- which product

def _runner(products: list[dict[str, Any]], calls: list[tuple[str, dict[str, Any]]]):  # type: ignore[no-untyped-def]
    def run(name: str, args: dict[str, Any]) -> ToolResult:
        calls.append((name, args))
        if name == "search_products":
            return ToolResult(name=name, args=args, ok=True, data={"products": products})
        if name == "get_product":
            hit = next((p for p in products if any(v["sku"] == args.get("sku") for v in p["variants"])), None)
            return ToolResult(name=name, args=args, ok=hit is not None, data=hit, error=None if hit else "unknown")
        raise AssertionError(name)
    return run


def test_the_product_named_is_found_with_everyday_words() -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    found = find_products("is the frying pan oven safe?", [], _runner([TUMBLER, SKILLET, LANTERN], calls))
    assert found.mode == "one" and found.products == [SKILLET]
    assert calls[0][0] == "search_products" and "skillet" in calls[0][1]["query"]


def test_a_question_naming_no_product_asks_which() -> None:
    found = find_products("is it dishwasher safe?", [], _runner([TUMBLER, SKILLET], []))
    result = answer("is it dishwasher safe?", found)
    assert found.mode == "none" and result.clarify
    assert result.sentences == [lexicon().sentences["ask_which_product"]]


def test_a_recommendation_looks_at_every_product_of_the_kind_named() -> None:
    found = find_products("which of your tents suits a family of four?", [],
                          _runner([SKILLET, SMALL_TENT, BIG_TENT], []))
    assert found.mode == "choose" and {p["product_id"] for p in found.products} == {"P103", "P104"}


def test_a_comparison_keeps_both_products_its_numbers_name() -> None:
    big = _product("P111", "Northfork Cast Iron Skillet, 12 in", {"Weight": "7.6 lb", "Dishwasher safe": "No"},
                   [("12 in", "39.99")], category="cookware")
    found = find_products("what's the difference between the 10 and 12 inch skillet?", [],
                          _runner([big, SKILLET, TUMBLER], []))
    assert found.mode == "choose" and {p["product_id"] for p in found.products} == {"P101", "P111"}
    one = find_products("is the 12 inch skillet dishwasher safe?", [], _runner([big, SKILLET], []))
    assert one.mode == "one" and one.products == [big]


def test_a_need_in_cans_does_not_name_the_can_cooler() -> None:
    found = find_products("which cooler holds 30 cans", [], _runner([SOFT_COOLER, HARD_COOLER], []))
    assert found.mode == "choose" and len(found.products) == 2
    assert answer("which cooler holds 30 cans", found).sentences[0].startswith(
        "For 30 cans, I'd go with the Northfork Camp 45 Qt Rolling Cooler")


def test_the_product_name_is_not_read_as_an_attribute() -> None:
    oven = _product("P110", "Northfork Hearth Dutch Oven, 5.5 qt", {"Oven safe to": "500°F", "Weight": "12.8 lb"})
    asked = asked_attributes("how heavy is the hearth dutch oven?", [oven])
    assert [lexicon().label(a.attribute) for a in asked] == ["weight"]


def test_plural_names_take_plural_verbs() -> None:
    assert plural(STARTERS) and not plural(SKILLET)


# ---------------------------------------------------------------- the plan

PAGE = Passage(id="product-p101#specifications", doc_id="product-p101", title=SKILLET["name"], platform="all",
               topic="product", score=1.0, text="# Skillet\n- Weight: 5.3 lb")
OVERVIEW = Passage(id="product-p101#overview", doc_id="product-p101", title=SKILLET["name"], platform="all",
                   topic="product", score=1.0, text="# Skillet\nA 10-inch cast iron skillet with a helper handle for "
                                                         "lifting and two pour spouts.")


def _plan(text: str, products: list[dict[str, Any]], passages: list[Passage] | None = None,
          skus: list[str] | None = None) -> Any:
    def search(query: str, doc_id: str | None) -> list[Passage]:
        return [x for x in (passages or []) if doc_id is None or x.doc_id == doc_id]

    triage = Triage(intent="product_question", confidence=0.9, entities=Entities(skus=skus or []))
    return plan_product(PlanInput(intent="product_question", triage=triage, text=text, platform="amazon",
                                  customer=None, passages=passages or [], run=_runner(products, []),
                                  today=date(2026, 11, 26), policy=load_policies()["amazon"], seller=load_seller(),
                                  search=search))


def test_plan_answers_from_the_catalog_and_cites_the_product_page() -> None:
    out = _plan("can the cast iron skillet go in the dishwasher?", [SKILLET, TUMBLER], [PAGE, OVERVIEW])
    assert out.template == "product_answer" and out.review_reason is None
    assert out.slots["answer"].startswith("No, the Northfork Cast Iron Skillet, 10 in isn't dishwasher safe")
    assert out.slots["stock_line"] == "" and "product-p101#specifications" in out.citations


def test_plan_finds_an_attribute_in_the_product_page_when_the_catalog_has_no_field() -> None:
    out = _plan("does the cast iron skillet have a helper handle?", [SKILLET], [PAGE, OVERVIEW])
    assert "helper handle" in out.slots["answer"] and out.review_reason is None
    assert "product-p101#overview" in out.citations


def test_plan_sends_an_unanswered_attribute_to_review_by_name() -> None:
    out = _plan("how heavy is the cast iron skillet and is it waterproof?", [SKILLET], [PAGE])
    assert "weighs 5.3 lb" in out.slots["answer"]
    assert out.review_reason and "water resistance" in out.review_reason and "Cast Iron Skillet" in out.review_reason


def test_plan_keeps_the_stock_line_for_a_sku() -> None:
    out = _plan("is NF-P109-0 back in stock?", [LANTERN], skus=["NF-P109-0"])
    assert out.slots["stock_line"].startswith("Stock right now for the Northfork Beacon Rechargeable LED Lantern")
    assert out.review_reason is None


# ---------------------------------------------------------------- the catalog

def _catalog() -> list[dict[str, Any]]:
    rows = json.loads(CATALOG.read_text(encoding="utf-8"))
    return [_product(r["id"], r["name"], r["specs"], [(v["title"], str(v["price"])) for v in r["variants"]],
                     warranty=r["warranty"], description=r["description"], category=r["category"]) for r in rows]


def test_every_catalog_spec_key_is_answered_by_some_attribute() -> None:
    """A new catalog field must be added to agent/data/product_attributes.yaml, or it is silently unanswerable."""
    covered = {k for a in lexicon().attributes.values() for k in a.specs}
    keys = {k for p in _catalog() for k in p["specs"]}
    assert sorted(keys - covered) == []
    assert {p["warranty"] for p in _catalog()} <= set(lexicon().warranty)


def test_every_catalog_spec_sentence_states_the_value_and_passes_grounding() -> None:
    """Each sentence keeps the catalog's value as written, and every number, unit and name in it maps to the
    product as get_product returns it (agent/grounding.py, the check a draft goes through)."""
    for product in _catalog():
        evidence = evidence_facts([product])
        for key, value in product["specs"].items():
            text = spec_clause(key, product, "the " + product["name"]) + "."
            form = spec_pattern(key)
            said = [*form.yes_words, *form.no_words] if isinstance(form, SpecSentence) else []
            body = value
            for word in sorted(said, key=len, reverse=True):
                body = re.sub(rf"^{re.escape(word)}\b[,;]?\s*", "", body, flags=re.I)
            body = body.strip(" .")
            assert not body or body[1:] in text or body.lower() in text.lower(), (key, text)
            assert ground_draft(text, evidence) == [], (key, text)


# ---------------------------------------------------------------- the product named, not a use word its neighbour's title shares

def _real(*ids: str) -> list[dict[str, Any]]:
    by_id = {p["product_id"]: p for p in _catalog()}
    return [by_id[i] for i in ids]


@pytest.mark.parametrize(("question", "named", "other", "fact"), [
    ("Is the Basecamp 4 person tent alright for backpacking? how heavy is it when packed?", "P028", "P027",
     "11 lb 6 oz"),
    ("is the basecamp tent good for backpacking with 2 people, what does it weigh packed", "P028", "P027",
     "11 lb 6 oz"),
    ("is the daytrip cooler good for a basecamp weekend? how much does it weigh", "P034", "P033", "3.4 lb"),
    ("is the hearth dutch oven ok for campfire cooking? how heavy is it", "P003", "P006", "12.8 lb"),
])
def test_a_named_product_wins_over_one_whose_title_shares_a_use_word(question: str, named: str, other: str,
                                                                      fact: str) -> None:
    """"For backpacking" says what the customer will do, not which product: the tent they name by its own name is
    the one answered, never the "Backpacking Tent" (both orders of the search results)."""
    for order in ((named, other), (other, named)):
        found = find_products(question, [], _runner(_real(*order), []))
        assert found.mode == "one" and [p["product_id"] for p in found.products] == [named], (question, order)
        result = answer(question, found)
        assert any(fact in s for s in result.sentences) and result.product_ids == [named], result.sentences


def test_a_use_word_still_picks_the_product_made_for_it_when_none_is_named() -> None:
    found = find_products("which tent is best for backpacking?", [], _runner(_real("P028", "P027"), []))
    assert [p["product_id"] for p in found.products] == ["P027"]


def test_a_number_of_people_is_a_need_not_a_name_but_the_person_tent_is_a_name() -> None:
    found = find_products("which of your tents suits a family of four?", [], _runner(_real("P027", "P028"), []))
    assert found.mode == "choose" and answer("which of your tents suits a family of four?", found).sentences[0] \
        .startswith("For a family of four, I'd go with the Northfork Basecamp 4-Person Dome Tent")
    one = find_products("how tall is the 2 person tent inside?", [], _runner(_real("P028", "P027"), []))
    assert one.mode == "one" and one.products[0]["product_id"] == "P027"


# ---------------------------------------------------------------- several products, each named in its own words

def test_products_named_apart_are_each_answered_and_a_sibling_named_by_the_same_words_is_not() -> None:
    """"the Camp 45 rolling cooler and the Daytrip soft cooler": both are named, in words of their own, so the
    ice question is answered for each; the weight asked as one product's spec key ("Weight") is answered for the
    other from its own key of that attribute ("Empty weight")."""
    rolling = _product("P116", "Northfork Camp 45 Qt Rolling Cooler", {
        "Empty weight": "31 lb", "Ice retention": "Up to 5 days (pre-chilled, lid closed)"}, [("Juniper", "269.99")])
    soft = _product("P117", "Northfork Daytrip 24-Can Soft Cooler", {
        "Weight": "3.4 lb", "Ice retention": "Up to 2 days (pre-chilled, zipper closed)"}, [("Juniper", "59.99")])
    text = ("trying to decide between the Camp 45 rolling cooler and the Daytrip soft cooler. How long does ice last "
            "in each one? And how heavy are they?")
    found = find_products(text, [], _runner([rolling, BIG_TENT, soft], []))
    assert found.mode == "several" and [p["product_id"] for p in found.products] == ["P116", "P117"]
    said = " ".join(answer(text, found).sentences)
    assert "5 days" in said and "2 days" in said, said
    assert "31 lb" in said and "3.4 lb" in said, said
    # the same words naming two sizes of one product are not two products named apart
    big = _product("P111", "Northfork Cast Iron Skillet, 12 in", {"Weight": "7.6 lb"}, [("12 in", "39.99")])
    one = find_products("how heavy is the cast iron skillet, 12 in?", [], _runner([big, SKILLET], []))
    assert [p["product_id"] for p in one.products] == ["P111"]


def test_how_many_cans_asks_the_capacity_even_when_the_name_says_cans() -> None:
    text = "how many cans fit in the daytrip soft cooler w ice?"
    found = find_products(text, [], _runner([SOFT_COOLER, HARD_COOLER], []))
    assert [a.attribute for a in asked_attributes(text, found.products, found.name_positions)][0] == "capacity"
    assert "18 cans with ice" in " ".join(answer(text, found).sentences)
