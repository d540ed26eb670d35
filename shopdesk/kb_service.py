"""Application layer over the knowledge base: build the documents, index them, search them."""

from __future__ import annotations

from pathlib import Path

from evals.retrieval import RetrievalReport, evaluate, load_questions
from knowledge.index import KnowledgeIndex, Progress, SyncReport, chroma_client
from knowledge.loader import KBDocument, catalog_documents, load_documents
from knowledge.retriever import Passage, Retriever
from shopdesk.settings import Settings
from shopdesk.store_service import open_store
from tools.sandbox.generator import default_anchor, load_catalog


def knowledge_documents(settings: Settings, docs_dir: Path | None = None) -> list[KBDocument]:
    """The seller's articles plus one generated page per product (from the store when seeded)."""
    with open_store(settings) as store:
        products = store.list_products() if store.is_seeded() else load_catalog()
    return load_documents(docs_dir) + catalog_documents(products, updated=default_anchor().date())


def open_index(settings: Settings) -> KnowledgeIndex:
    return KnowledgeIndex(chroma_client(settings))


def index_knowledge(settings: Settings, *, rebuild: bool = False, progress: Progress | None = None) -> SyncReport:
    return open_index(settings).sync(knowledge_documents(settings), rebuild=rebuild, progress=progress)


def ensure_indexed(settings: Settings) -> SyncReport:
    """Bring the index up to date (cheap when nothing changed)."""
    return index_knowledge(settings)


def search_knowledge(settings: Settings, query: str, *, platform: str | None = None, k: int = 5) -> list[Passage]:
    return Retriever(open_index(settings)).search(query, platform=platform, k=k)


def evaluate_retrieval(settings: Settings, *, lexical: bool = True) -> RetrievalReport:
    """Index if needed, then score retrieval on the labelled question set."""
    index = open_index(settings)
    index.sync(knowledge_documents(settings))
    return evaluate(Retriever(index, lexical=lexical), load_questions())
