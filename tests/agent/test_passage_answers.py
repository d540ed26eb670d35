"""Answers quoted from knowledge passages (agent/passage_answers.py): only sentences written for customers,
about the customer's channel, and only when they answer the question."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from agent.passage_answers import (
    about_another_channel, audience, best_section, customer_part, extract, extract_answer, gives_value, narrowed,
    quotable, sentences, staff_guidance, unasked_case, units,
)
from agent.answer_check import focus_terms, question_parts
from agent.passage_focus import delivery_time, refers_back
from agent.plans import NO_ANSWER, PlanInput, plan_policy
from agent.schemas import Passage, Triage
from tools.policy.loader import load_policies, load_seller
from tools.results import ToolResult

FIXTURE = Path(__file__).with_name("kb_sentence_audience.yaml")


def _labelled(split: str | None = None) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))["sentences"]
    return [r for r in rows if split is None or r["split"] == split]


def _scores(rows: list[dict[str, str]]) -> tuple[float, float, float]:
    """(precision, recall) of the staff detector and the share of customer sentences it drops."""
    said = [(r["audience"], audience(r["text"]).audience) for r in rows]
    tp = sum(1 for truth, got in said if truth == got == "staff")
    fp = sum(1 for truth, got in said if truth == "customer" and got == "staff")
    fn = sum(1 for truth, got in said if truth == "staff" and got == "customer")
    customers = sum(1 for truth, _ in said if truth == "customer")
    return tp / (tp + fp), tp / (tp + fn), fp / customers


def test_the_fixture_labels_every_sentence_of_twelve_articles_or_more() -> None:
    rows = _labelled()
    assert len({r["doc"] for r in rows}) >= 12
    assert {r["audience"] for r in rows} == {"customer", "staff"}
    assert {r["split"] for r in rows} == {"development", "held_out", "held_out_2"}


@pytest.mark.parametrize("split", [None, "held_out", "held_out_2"])
def test_staff_sentences_are_found_and_few_customer_sentences_are_dropped(split: str | None) -> None:
    """A staff line quoted to a customer is worse than a customer line left out, so recall comes first;
    the share of customer sentences dropped stays small so answers keep their content."""
    precision, recall, dropped = _scores(_labelled(split))
    assert recall >= 0.97
    assert precision >= 0.95
    assert dropped <= 0.02


@pytest.mark.parametrize(("sentence", "rule"), [
    ("When a customer outside the US asks, say so plainly and kindly, and do not suggest a date.", "customer in the third person"),
    ("When the item is damaged or wrong, offer a replacement before a refund.", "instruction to the team"),
    ("If the box was crushed, ask for a photo of it as well.", "instruction to the team"),
    ("Because we do not ship abroad, agents should not advise on voltage converters.", "names the team"),
    ("Customers abroad sometimes ask whether a product will work in their country.", "customer in the third person"),
    ("Shoppers who write in about a late parcel want a date.", "customer in the third person"),
    ("We should tell them the exact day we will follow up.", "obligation for the team"),
    ("Never promise a delivery date the carrier has not given.", "instruction to the team"),
    ("Keep everything on eBay: no emails, phone numbers, or offers to settle outside eBay.", "instruction to the team"),
    ('For example: "You paid $34.99 and the price is now $29.99, so we\'ve refunded $5.00 to your card."', "sample wording"),
    ('Sample reply: Thanks for waiting, your parcel is on its way.', "sample wording"),
    ('Say "we expect it back around" the date.', "sample wording"),
    ("Internal: refunds above the threshold need a lead's approval.", "internal note"),
    ("We see the request in Seller Central.", "internal note"),
    ("Then the buyer's bank posts the credit to the account.", "customer in the third person"),
])
def test_lines_written_for_the_team(sentence: str, rule: str) -> None:
    assert audience(sentence).audience == "staff"
    assert audience(sentence).rule == rule
    assert staff_guidance(sentence)


@pytest.mark.parametrize("sentence", [
    "Northfork Goods does not ship internationally.",
    "After cooking: wash by hand with hot water, dry right away, then wipe on a thin coat of oil.",
    "Never put it in the dishwasher or leave it soaking.",
    "Hand washing is recommended; avoid metal scouring pads, which can scratch the enamel.",
    "If anything is wrong with the item, tell us and there is no fee.",
    "Please include your order number when you write to us.",
    "For a changed-mind eBay return, return shipping is paid by the buyer.",
    "eBay buyers start a return in My eBay: Purchases, choose the item, then Return this item, and pick the reason.",
    "Return shipping is free for damaged items, and Order numbers start with #.",
    "Customers get 10% off every delivery of an eligible consumable.",
    "TikTok Shop buyers can cancel in the app before shipment.",
    "Skip: skips the next delivery of an active subscription; the following one comes one interval later.",
    '"Label created" means we have printed the shipping label, but the carrier has not scanned it yet.',
    "Rust from storage or soaking is normal wear, not a warranty defect.",
    "If they smell propane, they should move away from the stove, keep flames away, and let the gas disperse.",
    "A person on the team reviews it under the limited lifetime warranty.",
])
def test_lines_a_customer_may_read(sentence: str) -> None:
    assert audience(sentence).audience == "customer", audience(sentence)


@pytest.mark.parametrize(("sentence", "kept"), [
    ("For a changed-mind return, return shipping is paid by the buyer, and Amazon takes the label cost out of the "
     "refund when the customer uses Amazon's label.", "For a changed-mind return, return shipping is paid by the buyer."),
    ("Once the order has shipped, the address can no longer change; the customer can ask the carrier for a redirect.",
     "Once the order has shipped, the address can no longer change."),
    ("We do not offer exchanges on eBay: the buyer returns the item and buys the other size.",
     "We do not offer exchanges on eBay."),
    ("Northfork Goods pays return shipping for damaged, defective, and the wrong items the customer receives.", None),
    ("Do not waive or invent fees in a reply; a person on the team decides any exception.", None),
    ("A refund always goes back to the original payment method.", "A refund always goes back to the original payment method."),
])
def test_the_opening_clauses_a_customer_may_read_are_kept(sentence: str, kept: str | None) -> None:
    assert customer_part(sentence) == kept


def test_sentences_keep_a_quotation_whole_and_read_abbreviations() -> None:
    text = ('Explain the fee. For example: "A 10% fee applies. If anything is wrong, tell us and there is no fee." '
            "It weighs approx. 3 lb, e.g. the 12 in. eBay orders follow the window.\n- Amazon: within 2 days\n"
            "- Walmart: within 2 calendar days")
    assert sentences(text) == [
        "Explain the fee.",
        'For example: "A 10% fee applies. If anything is wrong, tell us and there is no fee."',
        "It weighs approx. 3 lb, e.g. the 12 in.",
        "eBay orders follow the window.",
        "Amazon: within 2 days",
        "Walmart: within 2 calendar days",
    ]


def test_a_sample_reply_is_never_split_into_quotable_customer_sentences() -> None:
    passage = _passage("returns-restocking-fees#explaining", "Explaining a restocking fee", (
        'Our online store fee is 10%. For example: "Because this is a changed-mind return, a 10% restocking fee '
        'comes off the refund. If anything is wrong with the item, tell us and there is no fee."'))
    text, _, _ = extract([passage], "is there a fee if the item is wrong?", platform="shopify")
    assert "tell us" not in text and text == "Our online store fee is 10%."


@pytest.mark.parametrize(("sentence", "platform", "other"), [
    ("Amazon refunds the original payment method.", "ebay", True),
    ("eBay refunds the original payment method.", "ebay", False),
    ("Walmart charges the card when the order ships.", "shopify", True),
    ("Our online store and Walmart ship free over $35.", "facebook", False),
    ("Facebook Shop orders check out on our store.", "shopify", False),
])
def test_sentences_about_other_channels(sentence: str, platform: str, other: bool) -> None:
    assert about_another_channel(sentence, platform) is other


# ---------------------------------------------------------------- extract on small hand-built passages

def _passage(pid: str, heading: str, body: str, title: str = "Returns", topic: str = "returns") -> Passage:
    return Passage(id=pid, doc_id=pid.split("#")[0], title=title, platform="all", topic=topic, score=1.0,
                   text=f"{title} — {heading}\n{body}")


WINDOW = _passage("returns#window", "Return window", (
    "Orders can be returned for any reason within 30 days of delivery. "
    "When a customer asks about the window, give the exact date. "
    "Damaged items can be returned within 60 days of delivery. "
    "Exchanges ship once the return is on its way back to us. "
    "Gift receipts are available on request."))
REFUNDS = _passage("refunds#timing", "Refund timing", (
    "When the return reaches us, we issue the refund within 3 business days. "
    "The refund always goes back to the original payment method. "
    "The bank then takes 5–10 business days to post it. "
    "A refund is never more than the price paid. "
    "Refunds for cancelled orders are issued right away."))
STAFF_ONLY = _passage("refunds#explaining", "Explaining a refund", (
    "When a customer says the refund is missing, check whether it was issued and give the date. "
    "Never promise a faster refund than the bank posts. "
    "Agents should not guess at the bank's timing."))


def test_the_sentence_that_answers_is_quoted_and_matched() -> None:
    text, cited, matched = extract([WINDOW], "how long do I have to send it back?", limit=2)
    assert text.startswith("Orders can be returned for any reason within 30 days of delivery.")
    assert "customer" not in text and cited == ["returns#window"] and matched


def test_a_staff_line_is_not_quoted_even_when_it_matches_best() -> None:
    text, _, _ = extract([WINDOW], "what is the exact date of the return window?", limit=4)
    assert "give the exact date" not in text


def test_each_part_of_the_question_gets_its_best_sentence() -> None:
    found = extract_answer([REFUNDS], "how long do refunds take and does it go back on my card", limit=2)
    assert found.matched and found.unanswered == []
    assert "within 3 business days" in found.text and "original payment method" in found.text


def test_an_unanswered_part_is_named() -> None:
    found = extract_answer([REFUNDS], "how long do refunds take? do you ship to Canada?", limit=2)
    assert not found.matched
    assert found.unanswered == ["do you ship to Canada?"]


def test_nothing_relevant_gives_the_nearest_text_unmatched() -> None:
    text, cited, matched = extract([WINDOW, REFUNDS], "is the lid oven safe?", limit=2)
    assert text == "Orders can be returned for any reason within 30 days of delivery. Damaged items can be returned " \
                   "within 60 days of delivery." and cited == ["returns#window"] and not matched


def test_a_list_keeps_its_lead_in_and_a_lead_in_never_stands_alone() -> None:
    timeline = _passage("refunds#each", "Refund timeline", "Time to issue the refund after the return reaches us:\n"
                        "- Our online store: within 3 business days\n- Gift cards are never refunded in cash")
    text, _, matched = extract([timeline], "how long does a refund take?", limit=3)
    assert text.startswith("Time to issue the refund after the return reaches us: Our online store: within 3 business "
                           "days.") and matched
    # the lead-in matches best, but says nothing without a row of its list: it is quoted with the row
    text, _, _ = extract([timeline, WINDOW], "when do you issue the refund after the return reaches you?", limit=1)
    assert text == "Time to issue the refund after the return reaches us: Our online store: within 3 business days."


def test_a_section_only_for_the_team_gives_no_text() -> None:
    assert extract([STAFF_ONLY], "where is my refund?", limit=4) == ("", [], False)


def test_title_words_count_only_weakly_on_a_product_page() -> None:
    specs = _passage("product-p1#specs", "Specifications", "- Weight: 5.2 lb\n- Lid: glass, oven safe to 400°F\n"
                     "- Material: pre-seasoned cast iron", title="Northfork Cast Iron Skillet, 12 in", topic="product")
    text, _, matched = extract([specs], "is the cast iron skillet lid oven safe?", limit=1)
    assert text == "Lid: glass, oven safe to 400°F." and matched


def test_best_section_skips_a_section_only_for_the_team() -> None:
    def search(query: str, doc_id: str | None) -> list[Passage]:
        return [STAFF_ONLY, REFUNDS]

    assert best_section(STAFF_ONLY, "where is my refund? how long does it take?", search).id == "refunds#timing"


# ---------------------------------------------------------------- plan_policy

def _plan_input(text: str, passages: list[Passage], sections: dict[str, list[Passage]] | None = None,
                found: dict[str, list[Passage]] | None = None, platform: str = "shopify") -> PlanInput:
    """`sections`: a document's sections by doc id; `found`: what a search for a question finds."""
    def run(name: str, args: dict[str, Any]) -> ToolResult:
        raise AssertionError(f"a policy answer calls no tool ({name})")

    def search(query: str, doc_id: str | None) -> list[Passage]:
        return (sections or {}).get(doc_id, []) if doc_id else (found or {}).get(query, [])

    return PlanInput(intent="policy_question", triage=Triage(intent="policy_question", confidence=0.9), text=text,
                     platform=platform, customer=None, passages=passages, run=run, today=date(2026, 11, 26),  # type: ignore[arg-type]
                     policy=load_policies()[platform], seller=load_seller(), search=search)


def test_policy_answer_for_each_part_from_its_own_article() -> None:
    out = plan_policy(_plan_input("How long do refunds take? And how long do I have to return it?", [REFUNDS, WINDOW],
                                  found={"And how long do I have to return it?": [WINDOW]}))
    assert out.template == "policy_answer" and out.review_reason is None
    assert "within 3 business days" in out.slots["answer"] and "within 30 days of delivery" in out.slots["answer"]
    assert set(out.citations) == {"refunds#timing", "returns#window"}


def test_policy_part_nothing_answers_goes_to_review_by_name() -> None:
    out = plan_policy(_plan_input("how long do refunds take and do you ship to PO boxes?", [REFUNDS, WINDOW]))
    assert out.template == "policy_answer"
    assert out.review_reason == 'no passage answers part of the question: "do you ship to PO boxes?"'


def test_policy_question_nothing_answers_is_the_nearest_text_for_review() -> None:
    out = plan_policy(_plan_input("is the lid oven safe?", [WINDOW]))
    assert out.template == "policy_answer" and out.review_reason == NO_ANSWER


def test_policy_articles_only_for_the_team_are_never_quoted() -> None:
    out = plan_policy(_plan_input("my refund is missing, where is it?", [STAFF_ONLY],
                                  sections={"refunds": [STAFF_ONLY]}))
    assert out.template == "handoff" and "brief the team" in (out.handoff_reason or "")


def test_policy_answer_moves_past_a_staff_only_section_to_one_a_customer_may_read() -> None:
    out = plan_policy(_plan_input("when will my refund arrive?", [STAFF_ONLY],
                                  sections={"refunds": [STAFF_ONLY, REFUNDS]}))
    assert out.template == "policy_answer" and out.review_reason is None
    assert "within 3 business days" in out.slots["answer"] and "customer" not in out.slots["answer"]


# ---------------------------------------------------------------- sentences that stand on their own, on the right channel

def _scoped(pid: str, heading: str, body: str, title: str = "Holiday returns") -> Passage:
    return _passage(pid, heading, body, title=title)


WITH = _scoped("holiday#with", "Platforms with the extension", (
    "Gifts bought in December can be returned until January 31 on the platforms listed below.\n"
    "- Amazon (normally 30 days from delivery).\n- Walmart (normally 30 days from shipment).\n"
    "- Our own online store (normally 30 days from delivery).\n"
    "For these platforms, the date that counts is the purchase date."))
WITHOUT = _scoped("holiday#without", "Platforms without the extension", (
    "There is no holiday extension on TikTok Shop or eBay. eBay orders follow the normal 30-day window from delivery."))


@pytest.mark.parametrize(("sentence", "platform", "said"), [
    ("There is no holiday extension on TikTok Shop or eBay.", "ebay", "There is no holiday extension on eBay."),
    ("Exchanges are not offered on Amazon, Walmart, TikTok Shop, or eBay.", "walmart",
     "Exchanges are not offered on Walmart."),
    ("We cannot change the address of an Amazon, Walmart, or eBay order.", "walmart",
     "We cannot change the address of a Walmart order."),
    ("It ships free on our online store and on Walmart over $35.", "facebook", "It ships free on our online store over $35."),
    ("Amazon and Walmart charge the card when the order ships.", "amazon",
     "Amazon and Walmart charge the card when the order ships."),  # a subject: the verb agrees with both
    ("Refunds on Amazon and Walmart take 2 days.", "ebay", "Refunds on Amazon and Walmart take 2 days."),
])
def test_a_rule_stated_for_several_channels_is_cut_down_to_the_customers(sentence: str, platform: str, said: str) -> None:
    assert narrowed(sentence, platform) == said


def test_a_sentence_pointing_at_a_list_carries_the_customers_row_or_is_not_quoted() -> None:
    amazon = quotable(WITH, "amazon")
    assert amazon[0] == "Gifts bought in December can be returned until January 31 on Amazon."
    assert "For Amazon, the date that counts is the purchase date." in amazon
    shopify = quotable(WITH, "shopify")[0]
    assert shopify == "Gifts bought in December can be returned until January 31 on our own online store."
    assert not any("listed below" in s or "these platforms" in s for p in ("amazon", "walmart", "shopify")
                   for s in quotable(WITH, p))
    assert quotable(WITH, "ebay") == []  # the list leaves eBay out: none of it is for an eBay buyer
    assert quotable(WITHOUT, "ebay") == ["There is no holiday extension on eBay.",
                                         "eBay orders follow the normal 30-day window from delivery."]
    assert quotable(WITHOUT, "amazon") == []


def test_a_sentence_pointing_at_nothing_it_carries_is_not_quoted() -> None:
    passage = _passage("returns#x", "Return window", "Returns are accepted on the platforms listed below. "
                       "Follow the steps above to start one. Orders can be returned within 30 days.")
    assert quotable(passage, "amazon") == ["Orders can be returned within 30 days."]
    following = _passage("returns#y", "Return window", "Items can be returned until January 31 of the following year.")
    assert quotable(following, "amazon") == ["Items can be returned until January 31 of the following year."]


def test_a_table_is_quoted_by_row_with_the_sentence_that_introduces_it() -> None:
    passage = _passage("returns#table", "Return windows", "This table shows the return window on each platform.\n"
                       "| Platform | Window | Refund |\n|---|---|---|\n| Amazon | 30 days | 2 business days |\n"
                       "| eBay | 30 days | 2 business days |")
    assert quotable(passage, "ebay") == [
        "This table shows the return window on each platform: eBay: window 30 days, refund 2 business days.",
        "eBay: window 30 days, refund 2 business days"]


def test_a_list_is_quoted_by_row_under_its_lead_in_and_rows_of_one_list_share_it() -> None:
    passage = _passage("refunds#each", "Refund timeline", "Time to issue the refund after the return reaches us:\n"
                       "- Amazon: within 2 business days.\n- Our online store: within 3 business days.\n"
                       "- Facebook and Instagram Shops: within 3 business days.")
    assert [u.row for u in units(passage, "amazon")] == ["Amazon: within 2 business days."]
    found = extract_answer([passage], "how long does a refund take?", limit=3, platform="facebook")
    assert found.text == ("Time to issue the refund after the return reaches us: Our online store: within 3 business "
                          "days. Facebook and Instagram Shops: within 3 business days.")


def test_these_orders_are_named_as_the_customers_own() -> None:
    passage = _passage("cancel#at-order", "Charged at order", "Our online store, TikTok Shop, and eBay charge when the "
                       "order is placed. When one of these orders is cancelled before it ships, the refund is immediate.")
    assert quotable(passage, "ebay") == ["When one of your eBay orders is cancelled before it ships, the refund is "
                                         "immediate."]
    assert quotable(passage, "amazon") == []


def test_a_section_headed_for_other_channels_gives_nothing_to_quote() -> None:
    store = _passage("address#store", "Our online store, Facebook and Instagram Shops",
                     "Once the order has shipped, the address can no longer change.")
    assert quotable(store, "amazon") == [] and quotable(store, "instagram") != []
    assert extract([store], "can you change my address?", platform="amazon") == ("", [], False)


def test_a_question_asking_for_a_value_gets_the_sentence_that_gives_it() -> None:
    passage = _passage("refunds#two-steps", "Refunds", (
        "Every refund has two parts: we issue the refund, then the bank posts the refund to your card. "
        "A refund always goes back to the original payment method. "
        "Refunds are issued within 3 business days of the return reaching us."))
    question = "how long till I get the money back?"
    assert gives_value(focus_terms(question), "Refunds are issued within 3 business days.")
    assert not gives_value(focus_terms(question), "Every refund has two parts.")
    found = extract_answer([passage, WINDOW], question, limit=1)
    assert found.text == "Refunds are issued within 3 business days of the return reaching us." and found.matched

    def search(query: str, doc_id: str | None) -> list[Passage]:
        return [STAFF_ONLY, GENERIC, REFUNDS]

    assert best_section(GENERIC, "how long do refunds take?", search).id == "refunds#timing"


GENERIC = _passage("refunds#overview", "About refunds", (
    "Every refund has two parts: we issue the refund and your bank posts the refund. "
    "A refund always goes back to the original payment method, and a refund is never more than you paid."))


@pytest.mark.parametrize("question", ["what is that for?", "why?", "is it?"])
def test_a_question_that_names_nothing_is_not_answered_from_a_passage(question: str) -> None:
    assert extract_answer([WINDOW, REFUNDS], question).text == ""
    out = plan_policy(_plan_input(question, [WINDOW, REFUNDS], sections={"returns": [WINDOW]}))
    assert out.template == "handoff"


def test_policy_answer_on_a_channel_the_article_leaves_out_gives_that_channels_own_rule() -> None:
    out = plan_policy(_plan_input("Is there a holiday return extension?", [WITH],
                                  sections={"holiday": [WITH, WITHOUT]}, platform="ebay"))
    assert out.template == "policy_answer" and out.citations == ["holiday#without"]
    assert "no holiday extension on eBay" in out.slots["answer"] and "January 31" not in out.slots["answer"]
    assert "TikTok" not in out.slots["answer"]
    amazon = plan_policy(_plan_input("Is there a holiday return extension?", [WITH],
                                     sections={"holiday": [WITH, WITHOUT]}, platform="amazon"))
    assert "until January 31 on Amazon" in amazon.slots["answer"] and "Walmart" not in amazon.slots["answer"]


def test_a_list_introduced_as_another_channels_is_not_quoted() -> None:
    passage = _passage("fees#amazon", "Fees", "On Amazon, the fees are:\n- Restocking: 0% of the item price\n"
                       "- Return label: taken out of the refund")
    assert quotable(passage, "ebay") == []
    assert quotable(passage, "amazon")[0] == "On Amazon, the fees are: Restocking: 0% of the item price."


# ---------------------------------------------------------------- the general rule before a special case

def _walmart(pid: str, heading: str, body: str) -> Passage:
    title = "Returns and refunds for Walmart orders"
    return Passage(id=pid, doc_id=pid.split("#")[0], title=title, platform="walmart", topic="returns", score=1.0,
                   text=f"{title} — {heading}\n{body}")


RULE = _walmart("wm#window", "Walmart return window and when it starts", (
    "Walmart orders can be returned for any reason within 30 days. "
    "On Walmart the window starts 7 days after the ship date."))
HOLIDAY_CASE = _walmart("wm#holiday", "Walmart holiday return extension", (
    "Walmart orders bought between November 1 and December 31 can be returned until January 31 of the following "
    "year. The extension only moves the deadline."))
REFUND_CASE = _walmart("wm#refund", "How long a Walmart refund takes", (
    "When a returned Walmart item reaches us, we issue the refund within 2 calendar days. "
    "Walmart sends the money back to the original payment method."))
START = _walmart("wm#start", "How to start a Walmart return", (
    "Walmart customers start a return in the Walmart app: Account, Purchase history, choose the order, then Start a "
    "return. Walmart shows the free label or drop-off options."))
GIFT_CASE = _passage("gifts#returning", "Returning a gift", (
    "Gifts follow the return rules of the channel where they were bought. Items bought November 1 to December 31 on "
    "Walmart can be returned until January 31."), title="Gift orders, receipts and invoices", topic="product")
WINDOW_QUESTION = "How long do I have to return something I bought from you on Walmart?"


def _sections(*found: Passage):  # type: ignore[no-untyped-def]
    def search(query: str, doc_id: str | None) -> list[Passage]:
        return [x for x in found if x.doc_id == doc_id]
    return search


def test_a_policy_articles_title_names_what_is_asked_and_counts_in_full() -> None:
    """Weakened like a product page's title, "return" and "Walmart" would leave only "bought" to answer, which the
    window never says: the channel's own article could not answer, and one that repeats "bought" would."""
    found = extract_answer([RULE], WINDOW_QUESTION, limit=4, platform="walmart")
    assert found.matched and "within 30 days" in found.text


def test_the_general_rule_comes_before_a_special_case_the_question_does_not_ask_about() -> None:
    search = _sections(HOLIDAY_CASE, REFUND_CASE, RULE, START)
    assert best_section(HOLIDAY_CASE, WINDOW_QUESTION, search, "walmart").id == "wm#window"
    terms = focus_terms(WINDOW_QUESTION)
    assert unasked_case(HOLIDAY_CASE, WINDOW_QUESTION, terms, "walmart") == {"holiday"}
    assert unasked_case(REFUND_CASE, WINDOW_QUESTION, terms, "walmart") == {"refund"}
    assert unasked_case(RULE, WINDOW_QUESTION, terms, "walmart") == frozenset()


def test_a_special_case_the_question_does_not_ask_about_is_only_the_nearest_text() -> None:
    for case in (HOLIDAY_CASE, GIFT_CASE):
        found = extract_answer([case], WINDOW_QUESTION, limit=4, platform="walmart")
        assert found.text and not found.matched, case.id
    # the mail of "do I mail it back?" is not met by the money Walmart sends back
    assert not extract_answer([REFUND_CASE], "Do I mail it to you or take it to a Walmart store?",
                              platform="walmart").matched


@pytest.mark.parametrize("question", [
    "Can I still return my Walmart order in January?",
    "I got a Christmas present from your Walmart shop, how long do I have to return it?",
])
def test_a_question_that_names_the_case_gets_it(question: str) -> None:
    search = _sections(HOLIDAY_CASE, REFUND_CASE, RULE, START)
    assert unasked_case(HOLIDAY_CASE, question, focus_terms(question), "walmart") == frozenset()
    section = best_section(RULE, question, search, "walmart")
    assert section.id == "wm#holiday"
    found = extract_answer([section], question, limit=4, platform="walmart")
    assert found.matched and "until January 31" in found.text


def test_how_returns_work_is_answered_by_how_to_start_one() -> None:
    question = "How do returns work for Walmart orders?"
    section = best_section(RULE, question, _sections(RULE, HOLIDAY_CASE, START), "walmart")
    assert section.id == "wm#start"
    text = extract_answer([section], question, limit=4, platform="walmart").text
    assert "Purchase history" in text and "Start a return" in text


def test_a_named_month_is_met_by_the_dates_a_section_gives_and_not_by_the_channel_alone() -> None:
    window = _passage("ebay#window", "eBay return window", (
        "Northfork Goods accepts returns on eBay within 30 days, counted from delivery. We do not add a holiday "
        "extension on eBay, so December purchases follow the same 30-day window."), title="Returns for eBay orders")
    start = _passage("ebay#start", "How to start an eBay return", (
        "eBay buyers start a return in My eBay: Purchases, choose the item, then Return this item."),
        title="Returns for eBay orders")
    question = "Can I still return my eBay order in January?"
    assert best_section(start, question, _sections(start, window), "ebay").id == "ebay#window"
    assert extract_answer([window], question, platform="ebay").matched
    assert not extract_answer([start], question, platform="ebay").matched  # it names eBay and returns, not January


@pytest.mark.parametrize("sentence", [
    "Walmart customers start a return at Walmart.com or in the Walmart app: Account, Purchase history, choose the "
    "order, then Start a return.",
    "Customers who bought through Facebook or Instagram can start a return by signing in and opening Orders.",
])
def test_customer_steps_and_groups_of_customers_are_for_customers(sentence: str) -> None:
    assert audience(sentence).audience == "customer", audience(sentence)


@pytest.mark.parametrize("sentence", [
    "Check the order, then offer a refund.",
    "Shoppers who write in about a late parcel want a date.",
    "Buyers who missed the window get a polite no.",
    "Customers who ask can be told the date.",
])
def test_instructions_and_what_customers_say_stay_with_the_team(sentence: str) -> None:
    assert audience(sentence).audience == "staff"


def test_the_words_of_an_articles_title_tell_its_sections_apart_only_weakly() -> None:
    """Every section of "Shipping to Alaska and Hawaii" is about Hawaii: what else is asked picks the section."""
    title = "Shipping to Alaska, Hawaii, Puerto Rico and US territories"
    extra = _passage("remote#extra", "Extra transit time for Alaska, Hawaii and Puerto Rico", (
        "Northfork Goods ships to Alaska, Hawaii, and Puerto Rico. Packages to these places travel farther, so we add "
        "up to 5 days to the normal transit time of the service. Handling time is the same as for any order: 2 "
        "business days for orders we ship ourselves."), title=title, topic="shipping")
    items = _passage("remote#items", "Items that cannot ship to Alaska, Hawaii or Puerto Rico", (
        "The Trailhead Propane Cylinder 2-Pack ships by ground only within the contiguous US, so it cannot be sent to "
        "Alaska, Hawaii, Puerto Rico, or any US territory. The camp stove itself can ship there."), title=title,
        topic="shipping")
    question = "do you ship to Hawaii? how much longer does it take?"
    assert best_section(items, question, _sections(items, extra), "amazon").id == "remote#extra"


# ---------------------------------------------------------------- the answer first, and the whole answer

def _shipping(pid: str, heading: str, body: str, title: str) -> Passage:
    return _passage(pid, heading, body, title=title, topic="shipping")


REMOTE_TITLE = "Shipping to Alaska, Hawaii, Puerto Rico and US territories"
REMOTE_EXTRA = _shipping("remote#extra", "Extra transit time for Alaska, Hawaii and Puerto Rico", (
    "Northfork Goods ships to Alaska, Hawaii, and Puerto Rico. Packages to these places travel farther, so we add up "
    "to 5 days to the normal transit time of the service. The delivery date shown at checkout already includes the "
    "extra days. Orders to these places count toward the free shipping threshold like any US order."), REMOTE_TITLE)
REMOTE_ITEMS = _shipping("remote#items", "Items that cannot ship to Alaska, Hawaii or Puerto Rico", (
    "The Trailhead Propane Cylinder 2-Pack ships by ground only within the contiguous US, so it cannot be sent to "
    "Alaska, Hawaii, Puerto Rico, or any US territory. The camp stove itself can ship there."), REMOTE_TITLE)
REMOTE_OTHER = _shipping("remote#other", "Other US territories", (
    "For Guam and the US Virgin Islands, availability depends on the carrier. Accepted orders follow the same extra "
    "transit time as Alaska and Hawaii."), REMOTE_TITLE)
HANDLING = _shipping("handling#ours", "Handling time for orders we ship", (
    "Handling time is how long it takes us to pick, pack, and hand an order to the carrier. Orders we ship leave "
    "within 2 business days of the order. Business days are Monday to Friday."), "Handling time before an order ships")
TRANSIT = _shipping("methods#transit", "Transit time by service", (
    "Typical time in transit after the carrier picks up the package:\n- USPS Ground Advantage: 2–5 days.\n"
    "- UPS Ground: 1–5 days.\n- FedEx Ground: 1–5 days."), "Shipping carriers, services and transit times")
DELAYS = _shipping("ftc#carrier", "Delays caused by the carrier", (
    "The rule is about when we ship, not how long the carrier takes afterward. Still, we check tracking and open a "
    "trace after 7 days without a scan."), "FTC shipping rules")


def _knowledge(*found: Passage):  # type: ignore[no-untyped-def]
    """A search over the hand-built sections: by article when one is named, else those sharing a word with the
    query, most shared first."""
    def search(query: str, doc_id: str | None) -> list[Passage]:
        if doc_id:
            return [x for x in found if x.doc_id == doc_id]
        asked = set(query.lower().split())
        shared = [(len(asked & set(x.text.lower().split())), i, x) for i, x in enumerate(found)]
        return [x for n, _, x in sorted(shared, key=lambda s: (-s[0], s[1])) if n][:3]
    return search


KNOWLEDGE = _knowledge(DELAYS, HANDLING, TRANSIT, REMOTE_EXTRA, REMOTE_ITEMS, REMOTE_OTHER)


@pytest.mark.parametrize("question", ["how long does shipping take?", "how soon would it get here if I order today?",
                                      "How many days does delivery take?"])
def test_how_long_shipping_takes_is_the_handling_time_then_the_transit_time(question: str) -> None:
    """Whatever section the retrieval puts first (a carrier-delay rule), the answer is both parts of the estimate."""
    out = plan_policy(replace(_plan_input(question, [DELAYS, HANDLING], platform="tiktok"), search=KNOWLEDGE))
    answer = out.slots["answer"]
    assert out.template == "policy_answer" and out.review_reason is None, out
    assert answer.startswith("Orders we ship leave within 2 business days of the order.")
    assert "USPS Ground Advantage: 2–5 days" in answer and "carrier takes afterward" not in answer
    assert answer.index("2 business days") < answer.index("in transit")
    assert set(out.citations) == {"handling#ours", "methods#transit"}


@pytest.mark.parametrize("question", ["how long do refunds take?", "how long do I have to return it?",
                                      "is shipping free?", "do you ship to Hawaii?"])
def test_other_questions_are_not_delivery_time_questions(question: str) -> None:
    assert not delivery_time(focus_terms(question))


@pytest.mark.parametrize("question", ["do you guys ship to Hawaii?", "Can you ship both to Puerto Rico?"])
def test_a_destination_question_says_we_ship_there_then_the_extra_days_and_what_cannot_go(question: str) -> None:
    section = best_section(REMOTE_ITEMS, question, KNOWLEDGE, "facebook")
    assert {x.id for x in getattr(section, "complements", ())} | {section.id} == {"remote#extra", "remote#items"}
    found = extract_answer([section], question, limit=4, platform="facebook")
    assert found.matched and found.text.startswith("Northfork Goods ships to Alaska, Hawaii, and Puerto Rico. Packages "
                                                   "to these places travel farther, so we add up to 5 days")
    assert "Propane Cylinder 2-Pack" in found.text and "Guam" not in found.text
    assert found.text.index("up to 5 days") < found.text.index("Propane")


def test_a_sentence_that_shares_nothing_with_the_question_is_not_quoted_and_the_answer_leads() -> None:
    section = _passage("returns#short", "Returns", "Gift receipts are available on request. Orders can be returned "
                       "within 30 days of delivery.")
    found = extract_answer([section], "how long do I have to return it?", limit=4)
    assert found.text == "Orders can be returned within 30 days of delivery." and found.matched
    found = extract_answer([DELAYS, HANDLING], "how long does it take you to ship an order out?", limit=2,
                           platform="tiktok")
    assert found.text.startswith("Orders we ship leave within 2 business days")


def test_a_sentence_leaning_on_one_written_for_the_team_is_not_quoted() -> None:
    section = _passage("intl#forwarders", "Freight forwarders", (
        "A customer abroad can order for delivery to a US forwarding address. We treat that as a normal US order. "
        "We cannot help with customs duties."))
    assert quotable(section, "shopify") == ["We cannot help with customs duties."]


def test_a_clause_about_another_channel_is_cut_and_the_customers_clause_kept() -> None:
    section = _passage("estimate#two-parts", "How to estimate a delivery date", (
        "Orders we ship ourselves leave within 2 business days; orders fulfilled by Amazon or Walmart leave within 1 "
        "business day."))
    assert quotable(section, "tiktok") == ["Orders we ship ourselves leave within 2 business days."]
    assert quotable(section, "amazon") == ["Orders we ship ourselves leave within 2 business days; orders fulfilled by "
                                           "Amazon leave within 1 business day."]


def test_a_section_naming_the_place_beats_one_related_to_it_loosely() -> None:
    title = "International shipping"
    only_us = _shipping("intl#us-only", "We ship within the United States only", (
        "Northfork Goods does not ship internationally. That means no shipping to Canada or Mexico."), title)
    abroad = _shipping("intl#abroad", "Orders from abroad", (
        "Returns and warranty claims go through the channel where the order was placed, from a US address."), title)
    question = "Can I still order from you and have it shipped to Canada?"
    assert question_parts(question) == [question]  # "and have it shipped" is no second question
    assert best_section(abroad, question, _sections(abroad, only_us), "shopify").id == "intl#us-only"


@pytest.mark.parametrize(("sentence", "leans"), [
    ("Packages to these places travel farther.", True),
    ("We treat that as a normal US order.", True),
    ("Still, we check tracking.", True),
    ("Items that cannot ship to Alaska are listed here.", False),
    ("Orders that we ship leave within 2 business days.", False),
])
def test_a_sentence_pointing_back_at_the_one_before(sentence: str, leans: bool) -> None:
    assert refers_back(sentence) is leans


def test_a_sentence_after_one_about_another_channel_still_stands() -> None:
    section = _passage("intl#us-only", "US only", (
        "Northfork Goods does not ship internationally. On Walmart and eBay we ship only to US addresses. That means "
        "no shipping to Canada."))
    assert quotable(section, "amazon") == ["Northfork Goods does not ship internationally.",
                                           "That means no shipping to Canada."]


def test_a_list_spelling_out_every_channel_is_left_out() -> None:
    sentence = ("On every channel, our online store, Amazon, Walmart, TikTok Shop, eBay, and Facebook and Instagram "
                "Shops, we ship only to addresses in the United States.")
    assert narrowed(sentence, "amazon") == "On every channel, we ship only to addresses in the United States."
    assert narrowed(sentence, "instagram") == "On every channel, we ship only to addresses in the United States."
