"""The Chroma index of the knowledge base, kept in step with the documents by content hash.

`sync` embeds only documents that are new or changed and deletes chunks of documents that are
gone, so re-indexing after editing one article costs one article. Chroma runs embedded (a
folder under the data dir) by default, or as a server when `SHOPDESK_CHROMA_URL` is set.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings
from pydantic import BaseModel

from knowledge.chunking import Chunk, chunk_document
from knowledge.embeddings import MiniLMEmbeddingFunction
from knowledge.loader import KBDocument

COLLECTION = "knowledge"
Progress = Callable[[int, int], None]


class IndexSettings(Protocol):
    """What `chroma_client` reads (shopdesk/settings.py `Settings` has it; knowledge/ does not import the
    application's settings, issue 16: the caller passes them in)."""

    chroma_url: str | None

    def ensure_data_dir(self) -> Path: ...


def chroma_client(settings: IndexSettings) -> ClientAPI:
    """Embedded persistent Chroma under the data dir, or an HTTP client for SHOPDESK_CHROMA_URL."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"SHOPDESK_CHROMA_URL must look like http://host:port, got {settings.chroma_url!r}")
        return chromadb.HttpClient(
            host=url.hostname, port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https", settings=chroma_settings,
        )
    path = settings.ensure_data_dir() / "chroma"
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


class SyncReport(BaseModel):
    added: list[str]
    updated: list[str]
    removed: list[str]
    unchanged: int
    chunks_embedded: int
    chunks_total: int
    seconds: float


class KnowledgeIndex:
    """One Chroma collection of knowledge chunks."""

    def __init__(self, client: ClientAPI, name: str = COLLECTION,
                 embedding_function: MiniLMEmbeddingFunction | None = None) -> None:
        self.client = client
        self.name = name
        self.embedding_function = embedding_function or MiniLMEmbeddingFunction()
        self.collection: Collection = self._open()
        self.generation = 0  # bumped on every change, so lexical caches know to rebuild

    def _open(self) -> Collection:
        return self.client.get_or_create_collection(
            name=self.name,
            embedding_function=self.embedding_function,  # type: ignore[arg-type]
            configuration={"hnsw": {"space": "cosine"}},
        )

    def _pages(self, include: list[str], page: int = 5000):  # type: ignore[no-untyped-def]
        """Read the whole collection in pages (one huge get() exceeds SQLite's variable limit)."""
        offset = 0
        while True:
            found = self.collection.get(include=include, limit=page, offset=offset)  # type: ignore[arg-type]
            if not found["ids"]:
                return
            yield found
            offset += len(found["ids"])

    def _indexed_hashes(self) -> dict[str, str]:
        return {
            m["doc_id"]: m["doc_hash"]  # type: ignore[misc]
            for found in self._pages(["metadatas"]) for m in found["metadatas"] or []
        }

    def sync(self, documents: Iterable[KBDocument], *, rebuild: bool = False,
             progress: Progress | None = None, batch_size: int = 64) -> SyncReport:
        started = time.perf_counter()
        docs = {d.id: d for d in documents}
        if rebuild:
            self.client.delete_collection(self.name)
            self.collection = self._open()
            self.generation += 1
        indexed = self._indexed_hashes()
        added = sorted(d for d in docs if d not in indexed)
        updated = sorted(d for d in docs if d in indexed and indexed[d] != docs[d].content_hash)
        removed = sorted(d for d in indexed if d not in docs)
        for doc_id in updated + removed:
            self.collection.delete(where={"doc_id": doc_id})
        chunks: list[Chunk] = [c for d in added + updated for c in chunk_document(docs[d])]
        for start in range(0, len(chunks), batch_size):
            batch = chunks[start:start + batch_size]
            self.collection.add(
                ids=[c.id for c in batch],
                documents=[c.text for c in batch],
                metadatas=[_metadata(c) for c in batch],
            )
            if progress:
                progress(min(start + batch_size, len(chunks)), len(chunks))
        if added or updated or removed:
            self.generation += 1
        return SyncReport(
            added=added, updated=updated, removed=removed,
            unchanged=len(docs) - len(added) - len(updated), chunks_embedded=len(chunks),
            chunks_total=self.collection.count(), seconds=round(time.perf_counter() - started, 3),
        )

    def count(self) -> int:
        return self.collection.count()

    def all_chunks(self) -> tuple[list[str], list[str], list[dict]]:  # type: ignore[type-arg]
        ids: list[str] = []
        texts: list[str] = []
        metas: list[dict] = []  # type: ignore[type-arg]
        for found in self._pages(["documents", "metadatas"]):
            ids += found["ids"]
            texts += found["documents"] or []
            metas += found["metadatas"] or []  # type: ignore[arg-type]
        return ids, texts, metas

    def stats(self) -> dict[str, object]:
        _, _, metas = self.all_chunks()
        by_platform: dict[str, int] = {}
        by_topic: dict[str, int] = {}
        docs: set[str] = set()
        for m in metas:
            by_platform[m["platform"]] = by_platform.get(m["platform"], 0) + 1
            by_topic[m["topic"]] = by_topic.get(m["topic"], 0) + 1
            docs.add(m["doc_id"])
        return {
            "collection": self.name, "documents": len(docs), "chunks": len(metas),
            "chunks_by_platform": dict(sorted(by_platform.items())), "chunks_by_topic": dict(sorted(by_topic.items())),
            "embedding_function": self.embedding_function.name(),
        }


def _metadata(chunk: Chunk) -> dict[str, str | int]:
    return {
        "doc_id": chunk.doc_id, "title": chunk.title, "section": chunk.section, "platform": chunk.platform,
        "topic": chunk.topic, "source": chunk.source, "position": chunk.position, "doc_hash": chunk.doc_hash,
        "scope": " ".join(chunk.scope),
    }
