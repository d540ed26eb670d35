"""Knowledge documents: front matter, policy placeholders, generated product pages, stable chunks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from knowledge.chunking import chunk_document
from knowledge.loader import KBDocument, KnowledgeError, catalog_documents, load_documents, parse_document, render
from tools.policy.loader import policy_data, policy_for
from tools.sandbox.generator import load_catalog

DOC = """---
id: returns-walmart
title: Returns on Walmart
platform: walmart
topic: returns
updated: 2026-11-02
---
# Returns on Walmart

Intro line about Walmart returns.

## Return window on Walmart

Walmart orders can be returned within {{ walmart.returns.window_days }} days, starting
{{ walmart.returns.window_start_offset_days }} days after the ship date.

## Refund timing on Walmart

Refunds go out within {{ walmart.refunds.days_after_receipt }} days of receiving the item.
"""


def test_placeholders_render_from_the_policy_files() -> None:
    doc = parse_document(DOC, where="x.md", data=policy_data())
    walmart = policy_for("walmart")
    assert f"within {walmart.returns.window_days} days" in doc.body
    assert f"starting\n{walmart.returns.window_start_offset_days} days" in doc.body
    assert "{{" not in doc.body


def test_render_formats_values_and_rejects_bad_paths() -> None:
    data = {"a": {"n": 35.0, "p": 5.99, "l": [30, 45], "flag": True, "s": {"x": 1}}}
    assert render("${{ a.n }} / ${{a.p}} / {{ a.l }}", data) == "$35 / $5.99 / 30, 45"
    with pytest.raises(KnowledgeError, match=r"doc.md: unknown placeholder \{\{ a.missing \}\}"):
        render("{{ a.missing }}", data, where="doc.md")
    with pytest.raises(KnowledgeError, match="booleans do not read as prose"):
        render("{{ a.flag }}", data)
    with pytest.raises(KnowledgeError, match="single value"):
        render("{{ a.s }}", data)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("no front matter here", "missing front matter"),
        ("---\nid: [unclosed\n---\nbody text long enough", "not valid YAML"),
        (DOC.replace("platform: walmart", "platform: etsy"), "platform"),
        (DOC.replace("topic: returns", "topic: gossip"), "topic"),
        (DOC.replace("id: returns-walmart", "id: Returns Walmart"), "id"),
    ],
)
def test_malformed_documents_name_the_file_and_problem(text: str, message: str) -> None:
    with pytest.raises(KnowledgeError, match=message) as info:
        parse_document(text, where="docs/bad.md", data=policy_data())
    assert "docs/bad.md" in str(info.value)


def test_folder_rules_ids_match_file_names(tmp_path: Path) -> None:
    (tmp_path / "returns-walmart.md").write_text(DOC)
    assert [d.id for d in load_documents(tmp_path)] == ["returns-walmart"]
    (tmp_path / "other-name.md").write_text(DOC)
    with pytest.raises(KnowledgeError, match="must equal the file name"):
        load_documents(tmp_path)


def test_chunks_follow_headings_with_stable_ids() -> None:
    doc = parse_document(DOC, where="x.md", data=policy_data())
    chunks = chunk_document(doc)
    assert [c.id for c in chunks] == [
        "returns-walmart#overview", "returns-walmart#return-window-on-walmart", "returns-walmart#refund-timing-on-walmart",
    ]
    assert chunks[1].text.startswith("Returns on Walmart — Return window on Walmart\n")
    assert all(c.platform == "walmart" and c.doc_hash == doc.content_hash for c in chunks)
    assert [c.id for c in chunk_document(doc)] == [c.id for c in chunks]  # same input, same ids


def test_long_sections_split_on_paragraphs_and_repeated_headings_stay_unique() -> None:
    paragraphs = "\n\n".join(f"Paragraph {i} " + "word " * 60 for i in range(6))
    body = f"# T\n\n## Details\n\n{paragraphs}\n\n## Details\n\nAgain."
    doc = KBDocument(id="long-doc", title="Long", platform="all", topic="shipping", updated=date(2026, 1, 1), body=body)
    chunks = chunk_document(doc, max_chars=800)
    ids = [c.id for c in chunks]
    assert ids[0] == "long-doc#details" and ids[1] == "long-doc#details-p2"
    assert ids[-1] == "long-doc#details-2"
    assert len(set(ids)) == len(ids)
    assert all(len(c.text) <= 800 + 40 for c in chunks)


def test_content_hash_ignores_the_date_but_not_the_text() -> None:
    doc = parse_document(DOC, where="x.md", data=policy_data())
    assert doc.model_copy(update={"updated": date(2026, 11, 20)}).content_hash == doc.content_hash
    assert doc.model_copy(update={"body": doc.body + " more"}).content_hash != doc.content_hash


def test_product_pages_come_from_the_catalog() -> None:
    products = load_catalog()
    pages = catalog_documents(products, updated=date(2026, 11, 26))
    assert len(pages) == len(products)
    skillet = next(p for p in products if "Skillet" in p.name)
    page = next(d for d in pages if d.id == f"product-{skillet.id.lower()}")
    for variant in skillet.variants:
        assert f"SKU {variant.sku}, ${variant.price}" in page.body
    for key, value in skillet.specs.items():
        assert f"- {key}: {value}" in page.body
    assert page.platform == "all" and page.topic == "product" and page.source == "catalog"
