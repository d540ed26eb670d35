"""Retrieval: query + the customer's platform -> cited passages.

Passages are limited to the customer's platform plus general (`all`) content, so an Amazon buyer
is never quoted the Walmart return window, and within a general article to the sections that apply to
that platform (a chunk's `scope`, read from the article's structure by knowledge/scope.py: the
"Our online store" section of the address-change article never answers an Amazon buyer; a match on it
counts for the article's section that does apply, "Amazon, Walmart, eBay and TikTok Shop"). Vector search
(MiniLM in Chroma) and BM25 are fused by reciprocal rank; `lexical=False` gives pure vector search for
comparison.

Two measured choices (`shopdesk kb eval`, same result on either half of the question set): at most
one passage per document (`per_doc=1`), so the top results are distinct sources instead of three
sections of one product page; and a 10% boost for passages written for the customer's own
platform over general ones, because a platform's own rule answers its customers' questions.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from knowledge.index import KnowledgeIndex
from knowledge.lexical import BM25Index
from knowledge.loader import KB_PLATFORMS, KBPlatform, Topic, kb_platform
from tools.models import PLATFORMS

RRF_K = 60
CANDIDATES = 24


class Passage(BaseModel):
    """One cited piece of the knowledge base."""

    id: str = Field(description="Stable chunk id: <doc id>#<section slug>.")
    doc_id: str
    title: str
    section: str
    platform: KBPlatform
    topic: Topic
    score: float = Field(description="Fused rank score; higher is better.")
    similarity: float | None = Field(default=None, description="Cosine similarity of the vector match, if any.")
    text: str


def in_scope(meta: dict, platform: KBPlatform | None) -> bool:  # type: ignore[type-arg]
    """Whether a chunk applies to the customer's platform (a chunk without a recorded scope applies to all)."""
    scope = meta.get("scope")
    return platform is None or platform == "all" or not scope or platform in str(scope).split()


def platform_scope(platform: str | None) -> list[KBPlatform] | None:
    """Which KB platforms a customer on `platform` may be quoted; None = every platform."""
    if platform is None:
        return None
    key = platform.strip().lower()
    if key in PLATFORMS:
        return [kb_platform(key), "all"]  # type: ignore[arg-type]
    if key in KB_PLATFORMS:
        return [key, "all"] if key != "all" else ["all"]  # type: ignore[list-item]
    raise ValueError(f"unknown platform {platform!r}; choose one of: {', '.join(PLATFORMS)}, meta")


class Retriever:
    def __init__(self, index: KnowledgeIndex, *, lexical: bool = True, per_doc: int = 1,
                 platform_boost: float = 0.1) -> None:
        self.index = index
        self.lexical = lexical
        self.per_doc = per_doc
        self.platform_boost = platform_boost
        self._bm25: BM25Index | None = None
        self._bm25_key: tuple[int, int] | None = None
        self._meta: dict[str, dict] = {}  # type: ignore[type-arg]
        self._text: dict[str, str] = {}
        self._positions: dict[str, int] = {}
        self._allowed_cache: dict[tuple[object, ...], set[int]] = {}
        self._meta_at: list[dict] = []  # type: ignore[type-arg]
        self._ids_at: list[str] = []
        self._doc_positions: dict[str, list[int]] = {}

    def _lexical_index(self) -> BM25Index:
        key = (self.index.generation, self.index.count())
        if self._bm25 is None or self._bm25_key != key:
            ids, texts, metas = self.index.all_chunks()
            self._bm25 = BM25Index(ids, texts)
            self._meta = dict(zip(ids, metas, strict=True))
            self._text = dict(zip(ids, texts, strict=True))
            self._positions = {chunk_id: i for i, chunk_id in enumerate(ids)}
            self._meta_at = metas
            self._ids_at = ids
            self._doc_positions = {}
            for i, m in enumerate(metas):
                self._doc_positions.setdefault(m["doc_id"], []).append(i)
            self._allowed_cache = {}
            self._bm25_key = key
        return self._bm25

    def _allowed(self, scope: list[KBPlatform] | None, topic: str | None, doc_id: str | None) -> set[int] | None:
        """Chunk positions a filter admits, computed once per filter and index version (not per query)."""
        if scope is None and topic is None and doc_id is None:
            return None
        key = (tuple(scope or ()), topic, doc_id)
        cached = self._allowed_cache.get(key)
        if cached is None and doc_id is not None:
            return {pos for pos in self._doc_positions.get(doc_id, [])
                    if (scope is None or self._meta_at[pos]["platform"] in scope)
                    and (topic is None or self._meta_at[pos]["topic"] == topic)}
        if cached is None:
            cached = {
                pos for cid, pos in self._positions.items()
                if (scope is None or self._meta[cid]["platform"] in scope)
                and (topic is None or self._meta[cid]["topic"] == topic)
                and (doc_id is None or self._meta[cid]["doc_id"] == doc_id)
            }
            self._allowed_cache[key] = cached
        return cached

    def _stand_in(self, doc_id: str, platform: KBPlatform | None) -> str | None:
        """The first section of the article written for some platforms only, the customer's among them: it
        answers them where a section for other platforms matched."""
        self._lexical_index()  # chunk metadata, loaded once per index version
        for pos in self._doc_positions.get(doc_id, []):
            found = self._meta_at[pos]
            scope = str(found.get("scope") or "").split()
            if platform in scope and len(scope) < len(KB_PLATFORMS) - 1:
                return self._ids_at[pos]
        return None

    def search(self, query: str, platform: str | None = None, k: int = 5, topic: Topic | None = None,
               doc_id: str | None = None) -> list[Passage]:
        """Top passages for the query; `doc_id` limits the search to one document (all its sections)."""
        if not query.strip():
            return []
        if k < 1:
            raise ValueError("k must be at least 1")
        scope = platform_scope(platform)
        where: dict = {}  # type: ignore[type-arg]
        clauses = []
        if scope is not None:
            clauses.append({"platform": {"$in": scope}})
        if topic is not None:
            clauses.append({"topic": topic})
        if doc_id is not None:
            clauses.append({"doc_id": doc_id})
        if len(clauses) == 1:
            where = clauses[0]
        elif clauses:
            where = {"$and": clauses}
        total = self.index.count()
        if total == 0:
            return []
        found = self.index.collection.query(
            query_texts=[query], n_results=min(CANDIDATES, total), where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        vector_ids: list[str] = found["ids"][0]
        meta = dict(zip(vector_ids, found["metadatas"][0], strict=True))  # type: ignore[index]
        text = dict(zip(vector_ids, found["documents"][0], strict=True))  # type: ignore[index]
        similarity = {i: 1.0 - d for i, d in zip(vector_ids, found["distances"][0], strict=True)}  # type: ignore[index]
        own = scope[0] if scope else None
        fused: dict[str, float] = {}

        def fuse(ranked: list[str]) -> None:
            """Reciprocal-rank credit for one ranked list. A hit on a section written for other platforms
            counts for the section of the same article that applies to the customer's ("Platforms without
            the holiday extension" for an eBay buyer), if there is one; each section once per list."""
            credited: set[str] = set()
            for chunk_id in ranked:
                target = chunk_id if in_scope(meta[chunk_id], own) else self._stand_in(meta[chunk_id]["doc_id"], own)
                if target is None or target in credited:
                    continue
                credited.add(target)
                fused[target] = fused.get(target, 0.0) + 1.0 / (RRF_K + len(credited))
                if target not in text:
                    meta[target], text[target] = self._meta[target], self._text[target]

        fuse(vector_ids)
        if self.lexical:
            bm25 = self._lexical_index()
            allowed = self._allowed(scope, topic, doc_id)
            lexical_ids = [chunk_id for chunk_id, _ in bm25.search(query, CANDIDATES, allowed)]
            for chunk_id in lexical_ids:
                meta.setdefault(chunk_id, self._meta[chunk_id])
            fuse(lexical_ids)
        if scope is not None and self.platform_boost:
            for chunk_id in fused:
                if meta[chunk_id]["platform"] != "all":
                    fused[chunk_id] *= 1 + self.platform_boost
        best: list[tuple[str, float]] = []
        taken: dict[str, int] = {}
        per_doc = k if doc_id is not None else self.per_doc
        for chunk_id, value in sorted(fused.items(), key=lambda item: (-item[1], item[0])):
            source = meta[chunk_id]["doc_id"]
            if taken.get(source, 0) >= per_doc:
                continue
            taken[source] = taken.get(source, 0) + 1
            best.append((chunk_id, value))
            if len(best) == k:
                break
        return [
            Passage(
                id=chunk_id, doc_id=meta[chunk_id]["doc_id"], title=meta[chunk_id]["title"],
                section=meta[chunk_id]["section"], platform=meta[chunk_id]["platform"],
                topic=meta[chunk_id]["topic"], score=round(score, 6),
                similarity=round(similarity[chunk_id], 4) if chunk_id in similarity else None,
                text=text[chunk_id],
            )
            for chunk_id, score in best
        ]
