"""The words an intent's own plan answers, so the auto-send gate checks only what a question adds.

A plan answers the core of its intent: an order-status reply says where the order is, whatever words the
customer used for "where" or "package". What a question asks beyond that ("is it shipping today or are you
closed for Thanksgiving?", "is there a fee for pausing?") is not answered by running the plan, and must be
in the reply's words (agent/answer_check.py, `residual`). Which words are an intent's own is learned from the
classifier's labelled examples (agent/data/intent_examples*.yaml), not listed by hand: a word stem or a
concept of the synonym table belongs to an intent when it appears in at least `MIN_SHARE` of the intent's
examples and at least `MIN_LIFT` times as often there as across all examples ("pause" for subscription
changes, "money" for refund status; not "thanksgiving" for order status).
"""

from __future__ import annotations

from collections import Counter
from functools import cache

from agent.answer_check import Given, normalise, reading_of, stem, words
from agent.triage.classifier import load_examples

MIN_SHARE = 0.03
MIN_LIFT = 1.5


@cache
def vocabularies() -> dict[str, Given]:
    """Every intent's own stems and concepts, computed once from the labelled examples."""
    texts, labels = load_examples()
    stems: dict[str, Counter[str]] = {}
    concepts: dict[str, Counter[str]] = {}
    all_stems: Counter[str] = Counter()
    all_concepts: Counter[str] = Counter()
    sizes: Counter[str] = Counter(labels)
    for text, label in zip(texts, labels, strict=True):
        own_stems = {stem(w) for w in words(normalise(text))}
        own_concepts = reading_of(text).concepts
        stems.setdefault(label, Counter()).update(own_stems)
        concepts.setdefault(label, Counter()).update(own_concepts)
        all_stems.update(own_stems)
        all_concepts.update(own_concepts)
    total = len(texts)

    def own(counts: Counter[str], overall: Counter[str], size: int) -> frozenset[str]:
        return frozenset(k for k, n in counts.items()
                         if n / size >= MIN_SHARE and (n / size) / (overall[k] / total) >= MIN_LIFT)

    return {label: Given(stems=own(stems[label], all_stems, sizes[label]),
                         concepts=own(concepts[label], all_concepts, sizes[label])) for label in sizes}


def vocabulary(intent: str) -> Given:
    """The intent's own words (none for an intent without examples: then every asked word must be answered)."""
    return vocabularies().get(intent, Given())
