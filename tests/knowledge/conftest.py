"""Knowledge fixtures: small synthetic docs for index mechanics, the real KB for retrieval quality."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kbdata import SMALL_DOCS, chroma
from knowledge.index import KnowledgeIndex
from knowledge.retriever import Retriever
from shopdesk import kb_service
from shopdesk.settings import Settings


@pytest.fixture
def small_index(tmp_path: Path) -> Iterator[KnowledgeIndex]:
    index = KnowledgeIndex(chroma(tmp_path / "chroma"))
    index.sync(SMALL_DOCS)
    yield index


@pytest.fixture(scope="session")
def real_retriever(kb_env: Settings) -> Retriever:
    """The full knowledge base (articles + catalog pages) of the shared session data dir."""
    return Retriever(kb_service.open_index(kb_env))
