"""Indexing is incremental by content hash; retrieval stays inside the customer's platform."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from knowledge.embeddings import MiniLMEmbeddingFunction
from knowledge.index import KnowledgeIndex
from knowledge.retriever import Retriever, platform_scope

from kbdata import SMALL_DOCS, make_doc


def test_embeddings_are_unit_vectors_that_rank_paraphrases_first() -> None:
    ef = MiniLMEmbeddingFunction()
    vectors = ef.embed(["how long do refunds take", "when will I get my money back", "season a cast iron pan"])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    sims = vectors @ vectors.T
    assert sims[0, 1] > sims[0, 2] + 0.2
    # batching and ordering do not change a vector
    again = ef.embed(["season a cast iron pan"])
    assert np.allclose(again[0], vectors[2], atol=1e-5)
    assert ef.embed([]).shape == (0, 384)


def test_second_sync_embeds_nothing(small_index: KnowledgeIndex) -> None:
    report = small_index.sync(SMALL_DOCS)
    assert report.chunks_embedded == 0 and report.added == report.updated == report.removed == []
    assert report.unchanged == len(SMALL_DOCS)


def test_changed_and_deleted_documents(small_index: KnowledgeIndex) -> None:
    changed = make_doc("cast-iron-care", "all", "product", {"Seasoning": "Oil it lightly after every wash."})
    docs = [d for d in SMALL_DOCS if d.id not in ("cast-iron-care", "shipping-methods")] + [changed]
    before = set(small_index.all_chunks()[0])
    report = small_index.sync(docs)
    assert report.updated == ["cast-iron-care"] and report.removed == ["shipping-methods"] and report.added == []
    assert report.chunks_embedded == 1
    ids, texts, metas = small_index.all_chunks()
    assert not any(i.startswith("shipping-methods#") for i in ids)
    assert "Oil it lightly" in texts[ids.index("cast-iron-care#seasoning")]
    assert set(ids) == before - {"shipping-methods#carriers"}


def test_rebuild_embeds_everything_again(small_index: KnowledgeIndex) -> None:
    report = small_index.sync(SMALL_DOCS, rebuild=True)
    assert report.chunks_embedded == small_index.count() == 5


def test_platform_filter_never_leaks_other_platforms(small_index: KnowledgeIndex) -> None:
    retriever = Retriever(small_index)
    passages = retriever.search("how long do refunds take", platform="walmart", k=10)
    assert passages[0].id == "returns-walmart#refund-timing-on-walmart"
    assert {p.platform for p in passages} <= {"walmart", "all"}
    amazon = retriever.search("refund timing", platform="amazon", k=10)
    assert amazon[0].doc_id == "returns-amazon" and {p.platform for p in amazon} <= {"amazon", "all"}
    assert {p.platform for p in retriever.search("refund", k=10)} >= {"walmart", "amazon"}
    assert retriever.search("   ", platform="walmart") == []


def test_platform_scope_maps_meta_and_rejects_unknown() -> None:
    assert platform_scope("instagram") == ["meta", "all"]
    assert platform_scope("facebook") == ["meta", "all"]
    assert platform_scope("shopify") == ["shopify", "all"]
    assert platform_scope(None) is None
    with pytest.raises(ValueError, match="unknown platform"):
        platform_scope("etsy")


def test_lexical_fusion_finds_exact_codes(small_index: KnowledgeIndex) -> None:
    extra = make_doc("product-sku", "all", "product", {"Sizes": "The 10 inch skillet is SKU NF-CIS10-BLK."})
    small_index.sync([*SMALL_DOCS, extra])
    hits = Retriever(small_index).search("NF-CIS10-BLK", k=1)
    assert hits[0].doc_id == "product-sku"


def test_collection_reopens_in_a_new_process(small_index: KnowledgeIndex, tmp_path: Path) -> None:
    """The embedding function is registered with Chroma, so a new process needs no wiring."""
    script = f"""
import json, chromadb
from chromadb.config import Settings
import knowledge.embeddings  # registers the function
client = chromadb.PersistentClient(path={str(tmp_path / 'chroma')!r}, settings=Settings(anonymized_telemetry=False))
col = client.get_collection("knowledge")
res = col.query(query_texts=["when do walmart refunds arrive"], n_results=1)
print(json.dumps({{"ef": col.configuration["embedding_function"].name(), "top": res["ids"][0][0]}}))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"ef": "shopdesk-minilm-int8", "top": "returns-walmart#refund-timing-on-walmart"}


def test_kb_search_for_walmart_refunds_puts_walmart_returns_first(real_retriever: Retriever) -> None:
    passages = real_retriever.search("how long do refunds take", platform="walmart", k=5)
    assert passages[0].platform == "walmart" and passages[0].topic == "returns"
    assert {p.platform for p in passages} <= {"walmart", "all"}


def test_every_real_passage_is_cited_with_its_fields(real_retriever: Retriever) -> None:
    for platform in ("amazon", "walmart", "shopify", "tiktok", "ebay", "facebook", "instagram"):
        passages = real_retriever.search("can I return this", platform=platform, k=5)
        assert passages, platform
        for p in passages:
            assert p.id.startswith(p.doc_id + "#") and p.title and p.text and p.score > 0
            assert p.platform in ({"meta"} if platform in ("facebook", "instagram") else {platform}) | {"all"}


def test_large_collections_are_read_in_pages(small_index: KnowledgeIndex) -> None:
    pages = list(small_index._pages(["metadatas"], page=2))
    assert [len(p["ids"]) for p in pages] == [2, 2, 1]
    assert len(small_index.all_chunks()[0]) == small_index.count() == 5
