"""The seller's knowledge base: complete, well-formed, and in agreement with the policy data."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from evals.retrieval import evaluate, load_questions
from knowledge.loader import KB_PLATFORMS, _FRONT_MATTER, docs_dir, load_documents
from knowledge.retriever import Retriever
from tools.policy.loader import load_policies

DURATION = re.compile(
    r"\b\d+(?:\.\d+)?\s*(?:-|–|to)?\s*\d*\s*(?:business |calendar )?(?:days?|hours?|weeks?)\b|\b\d+\s?%"
)
SPELLED = re.compile(r"\b(one|two|three|five|seven|ten|fourteen|thirty|sixty|ninety)[ -](business |calendar )?(days?|hours?)\b", re.I)


def _raw_bodies() -> dict[str, tuple[str, str]]:
    """doc id -> (topic, raw body with placeholders blanked)."""
    out = {}
    for path in sorted(docs_dir().glob("*.md")):
        text = path.read_text(encoding="utf-8")
        match = _FRONT_MATTER.match(text)
        assert match, path
        topic = re.search(r"^topic:\s*(\w+)", match.group(1), re.M).group(1)  # type: ignore[union-attr]
        out[path.stem] = (topic, re.sub(r"\{\{[^}]*\}\}", "X", text[match.end():]))
    return out


def test_the_knowledge_base_is_complete() -> None:
    docs = load_documents()
    assert len(docs) >= 40
    assert set(Counter(d.topic for d in docs)) == {"product", "shipping", "returns", "compliance", "brand_voice"}
    ids = {d.id for d in docs}
    for platform in ("amazon", "walmart", "shopify", "tiktok", "ebay", "meta"):
        assert f"returns-{platform}" in ids
    assert {d.platform for d in docs} == set(KB_PLATFORMS)
    assert all("{{" not in d.body and "}}" not in d.body for d in docs)


def test_policy_numbers_are_never_typed_by_hand() -> None:
    """Windows, timelines, fees and limits come from the policy files through placeholders."""
    offenders = []
    for doc_id, (topic, body) in _raw_bodies().items():
        if topic == "product":
            continue  # product facts are checked against the catalog below
        offenders += [f"{doc_id}: {m.group(0)!r}" for m in DURATION.finditer(body)]
        offenders += [f"{doc_id}: {m.group(0)!r}" for m in SPELLED.finditer(body)]
    assert offenders == []


def test_product_guides_quote_the_catalog() -> None:
    catalog = (Path(__file__).resolve().parents[2] / "tools" / "sandbox" / "catalog.json").read_text()
    catalog_text = " ".join(json.loads(catalog).__repr__().split())
    missing = []
    for doc_id, (topic, body) in _raw_bodies().items():
        if topic != "product":
            continue
        for m in DURATION.finditer(body):
            number_and_unit = re.sub(r"\s+", " ", m.group(0))
            if number_and_unit.rstrip("s") not in catalog_text and number_and_unit not in catalog_text:
                missing.append(f"{doc_id}: {number_and_unit!r}")
    assert missing == []


def test_rendered_articles_state_what_the_tools_enforce() -> None:
    docs = {d.id: d for d in load_documents()}
    policies = load_policies()
    for platform, doc_id in (("amazon", "returns-amazon"), ("walmart", "returns-walmart"), ("tiktok", "returns-tiktok"),
                             ("ebay", "returns-ebay"), ("shopify", "returns-shopify"), ("facebook", "returns-meta")):
        body = docs[doc_id].body
        assert f"{policies[platform].returns.window_days} days" in body, doc_id
        assert str(policies[platform].refunds.days_after_receipt) in body, doc_id
    assert f"{policies['tiktok'].returns.defect_window_days} days" in docs["returns-tiktok"].body


CONTACT = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+|\(?\b\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b|https?://")


def test_marketplace_articles_carry_no_contact_details_or_links() -> None:
    for doc in load_documents():
        if doc.platform == "shopify":
            continue  # the own store may show its support email and its site
        assert not CONTACT.search(doc.body), doc.id


def test_retrieval_recall_meets_the_target(real_retriever: Retriever) -> None:
    questions = load_questions()
    assert len(questions) >= 80
    assert {q.platform for q in questions} == {"amazon", "walmart", "shopify", "tiktok", "ebay", "facebook", "instagram"}
    hybrid = evaluate(real_retriever, questions)
    assert hybrid.recall_at_3 >= 0.9, [m.id for m in hybrid.misses_at_3]
    vector_only = evaluate(Retriever(real_retriever.index, lexical=False), questions)
    assert hybrid.recall_at_3 >= vector_only.recall_at_3  # lexical matching stays only while it helps


@pytest.mark.parametrize("question", ["", "   "])
def test_empty_questions_return_nothing(real_retriever: Retriever, question: str) -> None:
    assert real_retriever.search(question, platform="amazon") == []


def test_the_subscriptions_article_names_the_channels_the_seller_offers_no_subscriptions_on() -> None:
    """seller.toml `subscriptions.offered_on` decides where a reply says there are none; the article says the
    same in prose, so the two cannot drift apart."""
    from agent.passage_answers import CHANNEL_NAMES
    from tools.policy.loader import load_seller

    offered = load_seller().subscriptions.offered_on
    body = next(d.body for d in load_documents() if d.id == "subscriptions")
    sentence = re.search(r"Subscriptions are not available on ([^.]+)\.", body)
    assert sentence, "the article states where subscriptions are not offered"
    named = {p for p, name in CHANNEL_NAMES.items() if name in sentence.group(1)}
    assert named == set(CHANNEL_NAMES) - set(offered), (named, offered)
