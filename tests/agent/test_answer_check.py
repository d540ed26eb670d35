"""The answer check (agent/answer_check.py): what a question asks, and whether a text answers it."""

from __future__ import annotations

import time

import pytest

from agent.answer_check import coverage, focus_terms, question_parts, stem


def _texts(question: str, kind: str | None = None) -> list[str]:
    return [t.text for t in focus_terms(question) if kind is None or t.kind == kind]


def test_focus_terms_say_what_is_asked_not_how() -> None:
    assert _texts("Hi there! Is there a restocking fee on returns? Thanks so much") == ["restocking fee", "returns"]
    assert _texts("Hello Northfork Goods, could you please tell me if you ship to a PO box?") == ["po box", "ship"]
    assert _texts("does the lid of the skillet go in the dishwasher?", "topic") == ["lid", "dishwasher"]
    assert _texts("does the lid of the skillet go in the dishwasher?", "product") == ["skillet"]


@pytest.mark.parametrize(("question", "asks"), [
    ("how long do I have to send it back?", "duration"),
    ("what's the return window?", "duration"),
    ("when will my refund arrive?", "time"),
    ("how much is shipping to Hawaii?", "amount"),
    ("how many lumens is the lantern?", "count"),
    ("how long is the cord on the kettle?", "count"),
    ("where do you ship from?", "place"),
    ("what colors does the tumbler come in?", "color"),
    ("does the Summit bottle come in green?", "color"),
    ("¿cuánto tiempo tarda el reembolso?", "duration"),
    ("¿cuándo llega mi pedido?", "time"),
])
def test_question_forms_ask_for_a_kind_of_answer(question: str, asks: str) -> None:
    assert [t.asks for t in focus_terms(question) if t.kind == "asks"] == [asks]


def test_when_as_a_conjunction_asks_for_no_time() -> None:
    assert not [t for t in focus_terms("when it arrives, can I still return it?") if t.kind == "asks"]


def test_a_phrasal_verb_meets_its_entry_whatever_the_object() -> None:
    assert _texts("if I send something back, how long until the refund shows up?", "asks") == ["how long"]
    assert "send back" in _texts("if I send something back, how long until the refund shows up?")
    assert coverage("can I send these back?", "You can return them within 30 days.").answered


def test_stems_meet_across_forms() -> None:
    assert stem("refunds") == stem("refunded") == stem("refunding") == stem("refund")
    assert stem("shipping") == stem("ships") == stem("shipped")
    assert stem("boxes") == stem("box") and stem("batteries") == stem("battery")
    assert stem("internationally") == stem("international")
    assert stem("colores") == stem("color")


@pytest.mark.parametrize(("question", "answer"), [
    ("is there a restocking fee on returns?", "A 10% restocking fee applies to changed-mind returns."),
    ("how long do I have to send it back?", "You can return it within 30 days of delivery."),
    ("do you ship internationally? I'm in Canada", "Northfork Goods does not ship internationally."),
    ("Do you ship to Canada?", "We ship only to addresses in the United States."),
    ("can I get my money back?", "We refund the original payment method."),
    ("does it go back on my card?", "A refund always goes back to the original payment method."),
    ("Is the lid oven safe?", "The skillet is oven safe to 650°F; its glass lid only to 400°F."),
    ("what colors does the tumbler come in?", "It comes in Slate, Juniper and Sand."),
    ("Do you ship to PO boxes?", "Northfork Goods can ship to PO Boxes with USPS."),
    ("how much is shipping?", "Shipping is free on orders of $35 or more, and $5.99 below that."),
    ("how many lumens is the lantern?", "Light output: 500 lumens."),
    ("what's the comfort rating of the sleeping bag?", "Temperature rating: comfort 40°F, lower limit 30°F."),
    ("is the warranty lifetime?", "All cast iron carries a limited lifetime warranty."),
    ("when do you charge my card?", "Our store charges the card when the order is placed."),
    ("¿Cuánto tiempo tarda el reembolso?", "We issue the refund within 3 business days."),
    ("¿Tienen garantía?", "Every product carries a written warranty."),
    ("¿Cuánto tiempo tarda el reembolso?", "Emitimos el reembolso dentro de 3 días hábiles."),
    ("if my sister hates hers can she send it back after the holidays?",  # the story's people are not the topic
     "Holiday gifts can be returned until January 31."),
    ("i shipped the stuff back weeks ago, did i get the money?", "We issued your refund on Friday, November 6."),
    ("Can I swap it for a different color?", "You can exchange an item for another size or color of the product."),
    ("do you ship to Hawaii? how much longer does it take?", "We ship to Hawaii and add up to 5 days in transit."),
])
def test_answered(question: str, answer: str) -> None:
    found = coverage(question, answer)
    assert found.answered, found


@pytest.mark.parametrize(("question", "answer"), [
    ("is there a restocking fee on returns?", "Return shipping is free for you."),  # only the generic word
    ("how long do I have to send it back?", "Return shipping is paid by the buyer."),  # no duration
    ("Is the lid oven safe?", "None of them are dishwasher safe."),
    ("Do you ship to PO boxes?", "We ship to APO and FPO addresses through USPS."),
    ("what colors does the tumbler come in?", "The Commuter Tumbler is top-rack dishwasher safe."),
    ("how much is shipping to Hawaii?", "We ship to Alaska and Hawaii."),  # no amount
    ("does the cooler have wheels?", "The Basecamp cooler keeps ice up to 5 days."),  # the product, not the attribute
    ("when will my refund arrive?", "Your order is on its way with UPS."),
    ("¿Tienen garantía?", "Return shipping is free."),
    ("do you ship to Hawaii?", "We ship to Guam and the US Virgin Islands."),  # a neighbour is not a synonym
])
def test_not_answered(question: str, answer: str) -> None:
    found = coverage(question, answer)
    assert not found.answered, found


def test_coverage_names_what_is_covered_and_missing() -> None:
    found = coverage("is there a restocking fee on returns?", "Return shipping is free for you.")
    assert found.covered == ("returns",) and found.missing == ("restocking fee",)


@pytest.mark.parametrize("answer", ["It arrives by December 3.", "It arrives on Monday.", "It arrives within 2 days.",
                                    "It should arrive tomorrow.", "It arrives in 3-5 business days."])
def test_dates_and_durations_answer_when(answer: str) -> None:
    assert coverage("when will it arrive?", answer).answered


def test_product_names_count_only_weakly() -> None:
    question = "how bright is the Beacon lantern?"
    named = ["Northfork Beacon Rechargeable LED Lantern"]
    assert coverage(question, "Light output: 500 lumens.", product_names=named).answered
    assert not coverage(question, "The Beacon lantern comes with a limited 2-year warranty.", product_names=named).answered


def test_capitalised_names_inside_a_sentence_are_product_words() -> None:
    assert [(t.text, t.kind) for t in focus_terms("Does the Summit bottle come in green?")] == [
        ("summit", "product"), ("bottle", "product"), ("green", "asks")]
    assert coverage("Does the Summit bottle come in green?", "Juniper: SKU NF-SWB21-JUN, $29.99.").answered
    assert [t.kind for t in focus_terms("Do you ship to Canada or to a PO box?")] == ["topic", "generic", "topic"]


def test_a_question_with_nothing_to_check_is_answered() -> None:
    found = coverage("ok?", "Thanks!")
    assert found.answered and found.covered == () and found.missing == ()


def test_question_parts() -> None:
    assert question_parts("how long do refunds take and does it go back on my card") == [
        "how long do refunds take", "does it go back on my card"]
    assert question_parts("Hi! I bought a skillet. Is the lid oven safe? Also can it go in the dishwasher?") == [
        "Is the lid oven safe?", "Also can it go in the dishwasher?"]
    assert question_parts("Do you charge a restocking fee? how much?") == ["Do you charge a restocking fee? how much?"]
    assert question_parts("Tell me about your return policy.") == ["Tell me about your return policy."]
    assert question_parts("I love the color and I'm keeping it") == ["I love the color and I'm keeping it"]


def test_the_check_is_fast_and_deterministic() -> None:
    """It runs on every question of every message: a thousand fresh checks take well under a second
    when the machine is idle."""
    reply = ("Hi Sam,\n\nOrders can be returned for any reason within 30 days of delivery. A restocking fee of 10% "
             "applies to changed-mind returns only. Return shipping is paid by you.\n\n— The Northfork Goods team")
    first = coverage("is there a restocking fee on returns?", reply)
    start = time.perf_counter()
    for i in range(1000):
        coverage(f"is there a restocking fee on return number {i}?", reply + str(i))
    assert time.perf_counter() - start < 3.0  # about 0.2 ms each on an idle core; generous for a busy machine
    assert coverage("is there a restocking fee on returns?", reply) == first


def test_size_words_are_answered_by_the_dimension_they_ask_for() -> None:
    """"How wide is the bottom" is answered by a base diameter; "how tall" is not answered by a weight."""
    names = ["Northfork Big Haul Insulated Tumbler with Handle, 40 oz", "Northfork Beacon Rechargeable LED Lantern"]
    spec = "The Big Haul Insulated Tumbler with Handle, 40 oz measures 3.0 in base diameter x 12.3 in tall with lid."
    assert coverage("how wide is the bottom of the big haul 40 oz tumbler?", spec, names).answered
    assert not coverage("how tall is the Beacon lantern?", "The Beacon lantern weighs 1.2 lb.", names).answered


@pytest.mark.parametrize(("question", "reply", "answered"), [
    ("is there a fee for pausing", "I can pause your coffee filter subscription. Shall I go ahead?", False),
    ("is there a fee for pausing", "You can pause it any time at no cost.", True),
    ("are there any fees if I cancel?", "Cancelling is free before the next charge.", True),
    ("does it cost extra to ship to Hawaii?", "We ship to Hawaii with USPS.", False),
])
def test_a_yes_no_question_about_a_cost_wants_the_cost(question: str, reply: str, answered: bool) -> None:
    assert coverage(question, reply).answered is answered
