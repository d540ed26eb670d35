"""BM25 over the knowledge chunks, for what embeddings blur: SKUs, product names, policy terms.

Small and in memory (an inverted index, so a query touches only the postings of its terms);
rebuilt when the index changes. Measured on the labelled retrieval set, fusing it with the
vector ranking raises recall (see evals/retrieval.py and the closing note of the KB issue).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

_TOKEN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
STOPWORDS = frozenset(
    "a an and are as at be but by can do does for from how i if in is it its my me of on or our so that the "
    "their them then there this to was we what when where which who will with you your i'm im it's".split()
)


def _stem(token: str) -> str:
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if token.endswith(suffix) and len(token) - len(suffix) >= 3 and not token.endswith("ss"):
            return token[: -len(suffix)] + keep
    return token


def tokenize(text: str) -> list[str]:
    """Lowercased word stems; hyphenated codes (nf-cis10) also yield their parts."""
    tokens: list[str] = []
    for raw in _TOKEN.findall(text.lower()):
        parts = raw.split("-")
        if len(parts) > 1:
            tokens.append(raw)
        tokens.extend(_stem(p) for p in parts if p not in STOPWORDS)
    return tokens


class BM25Index:
    def __init__(self, ids: list[str], texts: list[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.ids = ids
        self.k1, self.b = k1, b
        self.lengths = []
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for position, text in enumerate(texts):
            counts = Counter(tokenize(text))
            self.lengths.append(sum(counts.values()))
            for term, tf in counts.items():
                self.postings[term].append((position, tf))
        self.avg_length = (sum(self.lengths) / len(self.lengths)) if self.lengths else 1.0
        n = len(ids)
        self.idf = {t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.postings.items()}

    def search(self, query: str, limit: int, allowed: set[int] | None = None) -> list[tuple[str, float]]:
        """Top `limit` (id, score) pairs, only among positions in `allowed` when given."""
        scores: dict[int, float] = defaultdict(float)
        for term in set(tokenize(query)):
            idf = self.idf.get(term)
            if idf is None:
                continue
            for position, tf in self.postings[term]:
                if allowed is not None and position not in allowed:
                    continue
                norm = self.k1 * (1 - self.b + self.b * self.lengths[position] / self.avg_length)
                scores[position] += idf * tf * (self.k1 + 1) / (tf + norm)
        best = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
        return [(self.ids[p], s) for p, s in best]
