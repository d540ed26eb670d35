"""Retrieval quality of the knowledge base on a labelled question set.

Each question is written the way customers write (typos, slang) with the platform they wrote on
and the documents that answer it. A question counts as found at k when any of its top-k passages
comes from an expected document; MRR uses the rank of the first such passage (within 10).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from knowledge.retriever import Retriever

DEPTH = 10


class RetrievalQuestion(BaseModel):
    id: str
    question: str = Field(min_length=3)
    platform: str
    expected: list[str] = Field(min_length=1, description="Doc ids, any of which answers the question.")


class QuestionResult(BaseModel):
    id: str
    question: str
    platform: str
    expected: list[str]
    retrieved: list[str]
    rank: int | None = Field(description="1-based rank of the first passage from an expected doc.")


class RetrievalReport(BaseModel):
    questions: int
    recall_at_1: float
    recall_at_3: float
    recall_at_5: float
    mrr: float
    mean_latency_ms: float
    lexical: bool
    misses_at_3: list[QuestionResult]
    results: list[QuestionResult]


def questions_path() -> Path:
    return Path(str(resources.files("evals"))) / "retrieval" / "questions.yaml"


def load_questions(path: Path | None = None) -> list[RetrievalQuestion]:
    raw = yaml.safe_load((path or questions_path()).read_text(encoding="utf-8"))
    questions = [RetrievalQuestion.model_validate(q) for q in raw]
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise ValueError("question ids must be unique")
    return questions


def score(results: Iterable[QuestionResult], *, lexical: bool, latency_ms: float) -> RetrievalReport:
    items = list(results)
    n = len(items) or 1

    def recall(k: int) -> float:
        return round(sum(1 for r in items if r.rank is not None and r.rank <= k) / n, 4)

    return RetrievalReport(
        questions=len(items), recall_at_1=recall(1), recall_at_3=recall(3), recall_at_5=recall(5),
        mrr=round(sum(1 / r.rank for r in items if r.rank) / n, 4), mean_latency_ms=round(latency_ms, 2),
        lexical=lexical, misses_at_3=[r for r in items if r.rank is None or r.rank > 3], results=items,
    )


def evaluate(retriever: Retriever, questions: list[RetrievalQuestion]) -> RetrievalReport:
    results = []
    started = time.perf_counter()
    for q in questions:
        passages = retriever.search(q.question, platform=q.platform, k=DEPTH)
        docs = [p.doc_id for p in passages]
        rank = next((i for i, d in enumerate(docs, start=1) if d in q.expected), None)
        results.append(QuestionResult(id=q.id, question=q.question, platform=q.platform, expected=q.expected,
                                      retrieved=docs[:5], rank=rank))
    latency = (time.perf_counter() - started) * 1000 / max(1, len(questions))
    return score(results, lexical=retriever.lexical, latency_ms=latency)
