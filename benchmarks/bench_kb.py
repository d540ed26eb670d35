"""Knowledge-base figures: embedding throughput, full index time, query latency at three sizes.

Run: .venv/bin/python benchmarks/bench_kb.py [--sizes 10000,100000]   (or `make bench`)

Query latency covers the whole retrieval (query embedding, Chroma vector search filtered by
platform, BM25 and fusion). The 10k and 100k collections are padded with synthetic chunks whose
vectors are random unit vectors (embedding 100k texts would measure the embedder, not search).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import date
from pathlib import Path

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings

from knowledge.embeddings import MiniLMEmbeddingFunction
from knowledge.index import KnowledgeIndex
from knowledge.loader import catalog_documents, load_documents
from knowledge.retriever import Retriever
from tools.sandbox.generator import load_catalog

QUERIES = [
    ("how long do refunds take", "walmart"), ("wheres my stuff", "amazon"), ("can i return a used tent", "tiktok"),
    ("package says delivered but not here", "ebay"), ("do you ship to hawaii", "shopify"),
    ("is the cooler in stock", "instagram"), ("cast iron rusted what do i do", "amazon"),
    ("whats the warranty on the lantern", "facebook"), ("change my address", "shopify"), ("cancel my order", "walmart"),
]
WORDS = ("order ship return refund skillet cooler tent lantern bottle warranty carrier label window days policy "
         "store delivery package kettle grill chair blanket stock price coupon damaged replacement tracking").split()


def _client(path: Path) -> chromadb.ClientAPI:
    return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))


def _latency(retriever: Retriever, rounds: int = 5) -> tuple[float, float]:
    retriever.search("warm up", platform="amazon")
    samples = []
    for _ in range(rounds):
        for query, platform in QUERIES:
            started = time.perf_counter()
            retriever.search(query, platform=platform, k=5)
            samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return samples[len(samples) // 2], samples[int(len(samples) * 0.95)]


def _pad(index: KnowledgeIndex, target: int, seed: int = 3) -> None:
    rng = random.Random(seed)
    nprng = np.random.default_rng(seed)
    platforms = ["all", "amazon", "walmart", "shopify", "tiktok", "ebay", "meta"]
    n = index.count()
    while n < target:
        batch = min(5000, target - n)
        vectors = nprng.normal(size=(batch, 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        index.collection.add(
            ids=[f"synthetic-{n + i}#s" for i in range(batch)],
            embeddings=vectors.tolist(),
            documents=[" ".join(rng.choices(WORDS, k=60)) for _ in range(batch)],
            metadatas=[{"doc_id": f"synthetic-{n + i}", "title": "Synthetic", "section": "s",
                        "platform": rng.choice(platforms), "topic": "shipping", "source": "doc",
                        "position": 0, "doc_hash": "x"} for i in range(batch)],
        )
        n += batch
    index.generation += 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000", help="synthetic collection sizes to measure")
    args = parser.parse_args()
    documents = load_documents() + catalog_documents(load_catalog(), updated=date(2026, 11, 26))
    ef = MiniLMEmbeddingFunction()
    ef.embed(["load the model"])
    from knowledge.chunking import chunk_document

    texts = [c.text for d in documents for c in chunk_document(d)]
    started = time.perf_counter()
    ef.embed(texts)
    chunk_rate = len(texts) / (time.perf_counter() - started)
    short = [q for q, _ in QUERIES] * 20
    started = time.perf_counter()
    ef.embed(short)
    short_rate = len(short) / (time.perf_counter() - started)
    print(f"embedding: {chunk_rate:.0f} KB chunks/s (mean {np.mean([len(t) for t in texts]):.0f} chars), "
          f"{short_rate:.0f} short questions/s, batch 32, {ef.threads} threads")
    with tempfile.TemporaryDirectory() as tmp:
        index = KnowledgeIndex(_client(Path(tmp) / "kb"), embedding_function=ef)
        report = index.sync(documents)
        print(f"full index: {len(documents)} documents, {report.chunks_total} chunks in {report.seconds:.2f} s; "
              f"re-sync with nothing changed {index.sync(documents).seconds:.2f} s")
        p50, p95 = _latency(Retriever(index))
        print(f"query at {index.count():>7} chunks: p50 {p50:6.1f} ms  p95 {p95:6.1f} ms (hybrid)")
        p50, p95 = _latency(Retriever(index, lexical=False))
        print(f"query at {index.count():>7} chunks: p50 {p50:6.1f} ms  p95 {p95:6.1f} ms (vector only)")
        for size in [int(s) for s in args.sizes.split(",") if s]:
            started = time.perf_counter()
            _pad(index, size)
            fill = time.perf_counter() - started
            retriever = Retriever(index)
            started = time.perf_counter()
            retriever.search("warm up", platform="amazon")
            build = time.perf_counter() - started
            p50, p95 = _latency(retriever)
            print(f"query at {index.count():>7} chunks: p50 {p50:6.1f} ms  p95 {p95:6.1f} ms (hybrid; "
                  f"insert {fill:.1f} s, BM25 build {build:.1f} s)")
            p50, p95 = _latency(Retriever(index, lexical=False))
            print(f"query at {index.count():>7} chunks: p50 {p50:6.1f} ms  p95 {p95:6.1f} ms (vector only)")


if __name__ == "__main__":
    main()
