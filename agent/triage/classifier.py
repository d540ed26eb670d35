"""Local intent classifier: nearest neighbours over labelled examples in MiniLM space.

No training step and no model beyond the packaged embedder: adding an example to
`agent/data/intent_examples.yaml` teaches it. Confidence is the similarity-weighted vote share of
the winning intent among the k nearest examples, damped when even the nearest example is far
away, so unfamiliar messages come out unconfident and go to the LLM or a person.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import yaml

from agent.schemas import INTENTS, Intent
from knowledge.embeddings import MiniLMEmbeddingFunction


@dataclass(frozen=True)
class IntentGuess:
    intent: Intent
    confidence: float
    nearest_similarity: float
    runner_up: Intent | None


def examples_path() -> Path:
    return Path(str(resources.files("agent"))) / "data" / "intent_examples.yaml"


def load_examples(path: Path | None = None) -> tuple[list[str], list[Intent]]:
    raw = yaml.safe_load((path or examples_path()).read_text(encoding="utf-8"))
    unknown = set(raw) - set(INTENTS)
    if unknown:
        raise ValueError(f"unknown intent labels in examples: {sorted(unknown)}")
    texts, labels = [], []
    for label, examples in raw.items():
        for example in examples:
            texts.append(str(example))
            labels.append(label)
    return texts, labels


class IntentClassifier:
    def __init__(self, embedder: MiniLMEmbeddingFunction | None = None, *, k: int = 7,
                 examples: tuple[list[str], list[Intent]] | None = None, far: float = 0.45) -> None:
        self.embedder = embedder or MiniLMEmbeddingFunction()
        self.k = k
        self.far = far
        self._examples = examples
        self._vectors: np.ndarray | None = None
        self._labels: list[Intent] = []
        self._lock = threading.Lock()

    def _ready(self) -> np.ndarray:
        with self._lock:
            if self._vectors is None:
                texts, labels = self._examples or load_examples()
                self._labels = list(labels)
                self._vectors = self.embedder.embed(texts)
            return self._vectors

    def classify(self, text: str, *, exclude: int | None = None) -> IntentGuess:
        vectors = self._ready()
        query = self.embedder.embed([text])[0]
        sims = vectors @ query
        if exclude is not None:
            sims[exclude] = -1.0
        top = np.argsort(-sims)[: self.k]
        votes: dict[Intent, float] = {}
        for i in top:
            votes[self._labels[i]] = votes.get(self._labels[i], 0.0) + max(float(sims[i]), 0.0) ** 2
        ranked = sorted(votes.items(), key=lambda kv: -kv[1])
        total = sum(votes.values()) or 1.0
        share = ranked[0][1] / total
        nearest = float(sims[top[0]])
        damp = 1.0 if nearest >= self.far else max(0.0, nearest / self.far)
        return IntentGuess(
            intent=ranked[0][0], confidence=round(share * damp, 3), nearest_similarity=round(nearest, 3),
            runner_up=ranked[1][0] if len(ranked) > 1 else None,
        )

    def leave_one_out_accuracy(self) -> float:
        """Accuracy when each example is classified by all the others (a quick health figure)."""
        self._ready()
        texts, labels = self._examples or load_examples()
        hits = sum(self.classify(t, exclude=i).intent == labels[i] for i, t in enumerate(texts))
        return hits / len(texts)
