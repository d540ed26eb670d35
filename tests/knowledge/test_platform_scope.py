"""Which platforms a passage applies to, read from the article's structure (knowledge/scope.py), carried by
its chunks and enforced by retrieval: a section or list written for other platforms never answers a customer,
and a sentence that points at a list elsewhere in the article carries that list."""

from __future__ import annotations

import re
from datetime import date

import pytest

from agent.nodes.retrieve import PASSAGES
from agent.passage_answers import units
from agent.plans import PlanInput, PlanOutcome, plan_policy
from agent.schemas import Passage, Triage
from knowledge import loader
from knowledge.chunking import chunk_document
from knowledge.index import KnowledgeIndex
from knowledge.loader import KBDocument, load_documents
from knowledge.retriever import Retriever
from knowledge.scope import EVERY_PLATFORM, blocks, platforms_named, reference, section_scope
from tools.policy.loader import load_policies, load_seller

from kbdata import SMALL_DOCS, make_doc

HOLIDAY = KBDocument(id="holiday", title="Holiday returns", platform="all", topic="returns", updated=date(2026, 11, 1),
                     body="# Holiday returns\n\n"
                          "## How it works\n"
                          "Gifts bought in December can be returned until January 31 on the platforms listed below. "
                          "The date that counts is the purchase date.\n\n"
                          "## Platforms with the extension\n"
                          "The extension applies to orders from:\n"
                          "- Amazon (normally 30 days from delivery).\n"
                          "- Our own online store (normally 30 days from delivery).\n\n"
                          "## Platforms without the extension\n"
                          "There is no holiday extension on TikTok Shop or eBay. eBay orders follow the normal "
                          "30-day window from delivery.")


@pytest.mark.parametrize(("heading", "body", "doc_platform", "scope"), [
    ("Amazon, Walmart, eBay and TikTok Shop", "Sellers cannot edit the address.", "all",
     {"amazon", "walmart", "ebay", "tiktok"}),
    ("Free shipping on our online store", "Facebook Shop orders check out on our store, so it applies to them.",
     "all", {"shopify", "meta"}),
    ("Refund timeline on each platform", "- Amazon: 2 days\n- Walmart: 2 days\n- eBay: 2 days", "all",
     {"amazon", "walmart", "ebay"}),
    ("Platforms without the extension", "No extension on TikTok Shop or eBay.", "all", {"tiktok", "ebay"}),
    ("Lost packages on marketplace orders", "We send the replacement through the marketplace.", "all",
     {"amazon", "walmart", "tiktok", "ebay"}),
    ("How it works", "Returns are free on the platforms listed below.\n- Amazon\n- Walmart", "all", {"amazon", "walmart"}),
    ("Return window", "Orders can be returned within 30 days.", "all", EVERY_PLATFORM),
    ("Walmart refunds", "Refunds go out in 2 days.", "walmart", {"walmart"}),
])
def test_the_scope_of_a_section_comes_from_its_heading_lists_and_pointers(heading: str, body: str, doc_platform: str,
                                                                         scope: set[str]) -> None:
    assert section_scope(heading, body, doc_platform) == scope


def test_platform_names_and_blocks() -> None:
    assert platforms_named("Facebook Shop orders check out on our store") == {"meta", "shopify"}
    assert platforms_named("ebay and TikTok Shop") == {"ebay", "tiktok"}
    parts = blocks("Intro line.\nThe fee by platform:\n- Amazon: 0%\n- eBay: 0%\n\n| Platform | Window | Refund |\n"
                   "|---|---|---|\n| Amazon | 30 days | 2 business days |\nClosing line.")
    assert [b.kind for b in parts] == ["text", "text", "list", "table", "text"]
    assert parts[2].rows == ("Amazon: 0%", "eBay: 0%")
    assert parts[3].rows == ("Amazon: window 30 days, refund 2 business days",)


@pytest.mark.parametrize(("sentence", "direction", "noun"), [
    ("Gifts can be returned on the platforms listed below.", "forward", "platforms"),
    ("The following items are final sale:", "forward", "items"),
    ("Returns follow the rules as follows:", "forward", None),
    ("For these platforms, a gift can still be returned.", "back", "platforms"),
    ("Follow the steps above to reset it.", "back", "steps"),
    ("This table shows each window.", "near", "table"),
    ("Details are in the list (see below).", "forward", None),
])
def test_words_that_point_at_other_lines(sentence: str, direction: str, noun: str | None) -> None:
    found = reference(sentence)
    assert found is not None and (found.direction, found.noun) == (direction, noun)


@pytest.mark.parametrize("sentence", [
    "Items can be returned until January 31 of the following year.",
    "Skip: the following one comes one interval later.",
    "Keep the flame below the pan and never above the burner.",
    "It keeps drinks cold below 40°F.",
    "Orders ship within 2 business days.",
])
def test_words_that_point_at_nothing(sentence: str) -> None:
    assert reference(sentence) is None


def test_a_chunk_carries_the_list_its_sentence_points_at_and_the_platforms_it_applies_to() -> None:
    chunks = {c.section: c for c in chunk_document(HOLIDAY)}
    works = chunks["How it works"]
    assert "on the platforms listed below. The date that counts is the purchase date.\n- Amazon (normally" in works.text
    assert set(works.scope) == {"amazon", "shopify"}
    assert set(chunks["Platforms with the extension"].scope) == {"amazon", "shopify"}
    assert set(chunks["Platforms without the extension"].scope) == {"tiktok", "ebay"}
    assert set(chunk_document(make_doc("window-doc", "all", "returns", {"Window": "Thirty days."}))[0].scope) == EVERY_PLATFORM


def test_retrieval_never_returns_a_section_for_other_platforms_and_credits_the_customers_section(
        small_index: KnowledgeIndex) -> None:
    small_index.sync([*SMALL_DOCS, HOLIDAY])
    retriever = Retriever(small_index)
    question = "can gifts bought in December be returned until January 31?"
    ebay = retriever.search(question, platform="ebay", k=10)
    holiday = [p.id for p in ebay if p.doc_id == "holiday"]
    assert holiday == ["holiday#platforms-without-the-extension"]  # the match on "How it works" counts for it
    assert ebay[0].id == "holiday#platforms-without-the-extension"
    amazon = [p.id for p in retriever.search(question, platform="amazon", k=10) if p.doc_id == "holiday"]
    assert amazon == ["holiday#how-it-works"]
    sections = [p.id for p in retriever.search(question, platform="ebay", k=5, doc_id="holiday")]
    assert sections == ["holiday#platforms-without-the-extension"]
    assert {p.id for p in retriever.search(question, k=10, doc_id="holiday")} == {
        "holiday#how-it-works", "holiday#platforms-with-the-extension", "holiday#platforms-without-the-extension"}


def test_an_index_built_by_older_chunking_is_rebuilt(small_index: KnowledgeIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    assert set(small_index.all_chunks()[2][0]["scope"].split()) == EVERY_PLATFORM
    monkeypatch.setattr(loader, "CHUNK_SCHEMA", "next")
    report = small_index.sync(SMALL_DOCS)
    assert sorted(report.updated) == sorted(d.id for d in SMALL_DOCS) and report.chunks_embedded == small_index.count()


# ---------------------------------------------------------------- the seller's knowledge base

def _passages() -> list[Passage]:
    return [Passage(id=c.id, doc_id=c.doc_id, title=c.title, platform=c.platform, topic=c.topic, score=1.0, text=c.text)
            for d in load_documents() for c in chunk_document(d)]


_DANGLING = re.compile(r"\b(?:listed|shown|named|described) (?:below|above)\b|\bsee (?:below|above)\b|"
                       r"\b(?:these|those) platforms\b|\bthe following:|\bas follows\b", re.I)
CHANNELS = ("amazon", "walmart", "shopify", "tiktok", "ebay", "facebook", "instagram")


@pytest.mark.parametrize("platform", CHANNELS)
def test_nothing_quoted_from_the_knowledge_base_points_at_lines_it_does_not_carry(platform: str) -> None:
    dangling = [(p.id, u.text) for p in _passages() for u in units(p, platform) if _DANGLING.search(u.text)]
    assert dangling == []
    lone_lead_ins = [(p.id, u.text) for p in _passages() for u in units(p, platform) if u.text.endswith(":")]
    assert lone_lead_ins == []


@pytest.mark.parametrize("platform", CHANNELS)
def test_the_holiday_deadline_is_quoted_only_where_the_policy_file_grants_it(platform: str) -> None:
    """The knowledge base and the policy files agree: a customer on a channel without the holiday extension
    is never quoted its deadline, and one on a channel with it can be."""
    deadline = load_seller().holiday_returns.return_by
    extended = load_policies()[platform].returns.holiday_extension
    quoted = [u.text for p in _passages() if p.platform in ("all", "meta" if platform in ("facebook", "instagram")
                                                                  else platform)
              for u in units(p, platform) if f"until {deadline}" in u.text]
    assert bool(quoted) is extended, quoted


# ---------------------------------------------------------------- the customer's own returns article

def _policy_answer(retriever: Retriever, platform: str, text: str) -> PlanOutcome:
    """`plan_policy` as the graph runs it: the retrieve node's passages, the act node's searcher (k=3)."""
    def found(query: str, k: int, doc_id: str | None = None) -> list[Passage]:
        return [Passage.model_validate(p.model_dump(exclude={"section", "similarity"}))
                for p in retriever.search(query, platform=platform, k=k, doc_id=doc_id)]

    def run(name: str, args: dict) -> None:  # type: ignore[type-arg]
        raise AssertionError(f"a policy answer calls no tool ({name})")

    return plan_policy(PlanInput(
        intent="policy_question", triage=Triage(intent="policy_question", confidence=0.9), text=text,
        platform=platform, customer=None, passages=found(text, PASSAGES), run=run, today=date(2026, 11, 26),  # type: ignore[arg-type]
        policy=load_policies()[platform], seller=load_seller(), search=lambda q, doc_id=None: found(q, 3, doc_id)))


NAMED = {"amazon": "Amazon", "walmart": "Walmart", "ebay": "eBay", "tiktok": "TikTok Shop",
         "shopify": "your online store", "facebook": "Facebook", "instagram": "Instagram"}


def _returns_article(platform: str) -> KBDocument:
    kb = "meta" if platform in ("facebook", "instagram") else platform
    return next(d for d in load_documents() if d.id == f"returns-{kb}")


@pytest.mark.parametrize("platform", CHANNELS)
def test_how_long_to_return_is_answered_by_the_channels_own_return_window(real_retriever: Retriever,
                                                                           platform: str) -> None:
    """Not by the holiday extension or the gift article: their sentences repeat "bought" and "returned until", but
    the customer asked for the window, which the channel's policy file sets."""
    out = _policy_answer(real_retriever, platform, f"How long do I have to return something I bought from you on "
                                                   f"{NAMED[platform]}?")
    answer = out.slots.get("answer", "")
    window = load_policies()[platform].returns
    article = _returns_article(platform).id
    assert out.template == "policy_answer" and out.review_reason is None, (out.review_reason, answer)
    assert out.citations and all(c.startswith(f"{article}#") for c in out.citations), out.citations
    assert f"{window.window_days} days" in answer or f"{window.window_days}-day" in answer, answer
    starts = f"{window.window_start_offset_days} days after the ship date" if window.window_starts == "ship_date" \
        else "from delivery"
    assert starts in answer, answer
    assert "Gifts follow" not in answer


@pytest.mark.parametrize("platform", CHANNELS)
def test_how_returns_work_is_answered_by_how_to_start_a_return_on_the_channel(real_retriever: Retriever,
                                                                             platform: str) -> None:
    """The channel's own "How to start" section, with the steps its policy file gives; the second part (mail it or
    take it to a store) has no sentence that answers it in the channel's words, so a person checks the reply."""
    store = "store" if platform == "shopify" else f"{NAMED[platform]} store"
    out = _policy_answer(real_retriever, platform, f"How do returns work for {NAMED[platform]} orders from your "
                                                   f"shop? Do I mail it to you or take it to a {store}?")
    answer = out.slots.get("answer", "")
    article = _returns_article(platform)
    start = next(c.id for c in chunk_document(article) if c.section.lower().startswith("how to start"))
    assert out.template == "policy_answer" and out.citations[0] == start, out.citations
    # a part nothing answers gets the nearest text, for a person: only the channel's article is ever sent alone
    assert out.review_reason or all(c.startswith(f"{article.id}#") for c in out.citations), out.citations
    # the menu steps of the policy file's "how to start" ("Account, Purchase history, ..., then Start a return")
    how = load_policies()[platform].returns.how_to_start
    steps = [x.strip(" .") for x in re.split(r",\s*(?:then\s+)?", how.split(":", 1)[-1]) if x.strip()[:1].isupper()]
    assert all(step in answer for step in steps), (steps, answer)
    assert "holiday extension applies" not in answer and "Gifts follow" not in answer
