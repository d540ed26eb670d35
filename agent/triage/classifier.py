"""Local intent classifier: logistic regression over MiniLM embeddings and character n-grams.

Trained at first use from the labelled examples in `agent/data/intent_examples*.yaml` (hand-written
examples, messages written blind by people who never read the agent (`intent_examples_written.yaml`), and
the first messages of the development scenarios exported by `python -m evals.training_data`; never the frozen
blind test split). The examples' embeddings are kept in the data dir, so only the first start pays for them. The embedding carries meaning ("the box never
came" is a where-is-my-order), the character n-grams carry spelling, typos and Spanish. Probabilities are
calibrated (sigmoid, 3-fold), so a confidence of 0.6 is right about 60% of the time and the route's
thresholds mean what they say. The trained model is shared by every instance in a process.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from agent.schemas import INTENTS, Intent
from knowledge.embeddings import MiniLMEmbeddingFunction

_MODELS: dict[str, _Trained] = {}
_MODELS_LOCK = threading.Lock()


# "what is your refund policy" and "where is my refund" share every topic word; what tells them apart is whether
# the customer speaks of their own order. When the classifier is unsure and its two best readings are a policy
# question and a lookup of an order, it is sure the message is one of the two (their probabilities add up),
# and the message's own words decide which: its own order ("my kettle", "I returned", "the one that came", an
# order number) is a lookup, a question without one a policy question; both kinds of words, or a confident
# classifier, leave its reading alone. Measured on held-out blind messages and the dev split (evals/README.md).
LOOKUPS = frozenset({"refund_status", "order_status", "return_request", "cancel_order"})
UNSURE = 0.6  # below this the classifier's own choice between the pair is close to a coin toss
_OWN = re.compile(
    # "my card" / "my bank" is where money lands, not an order: "how long do refunds take to show up on my card?"
    r"\b(?:my (?!(?:money|card|bank|account|credit|debit|statement|paypal|wallet|payment|visa|amex)\b)\w+|mine|"
    r"i (?:ordered|bought|returned|sent|paid|placed|received|got|purchased)|i've "
    r"(?:ordered|bought|returned|sent)|we (?:ordered|bought|returned)|our (?:order|package|refund|return)|"
    r"(?:the|this|these|that) \w+ (?:i|we) (?:ordered|bought|got)|came|arrived|mi|mis|me lleg\w*)\b"
    r"|#\s?\d{3,}|\b\d{3}-\d{7}-\d{7}\b|\b\d{2}-\d{5}-\d{5}\b|\b\d{9,}\b", re.I)
_GENERAL = re.compile(
    # "if I return an item" is general; "if I return the grill", "if my nephew doesn't like it" are about an order
    r"\b(?:polic(?:y|ies)|if (?:you|someone|somebody|a customer)|if (?:i|we) (?:\w+ ){0,3}?(?:a|an|any|items?|"
    r"products?|orders?)\b|something|anything|in general|usually|typically|"
    r"how do(?:es)? \w+ work|do you (?:offer|accept|ship|have|allow|charge)|what happens if)\b", re.I)


# a return the customer only considers: nothing of it can be looked up yet (no refund, no parcel)
_IF_RETURNED = re.compile(r"\bif (?:i|we) (?:\w+ ){0,2}?(?:return|send (?:\w+ ){0,2}?back)\b", re.I)


def policy_or_lookup(text: str, first: str, second: str) -> str | None:
    """Between a policy question and an order lookup (the classifier's two best), the one the message's own
    words choose; None when the two best readings are not that pair or the words point both ways."""
    pair = {first, second}
    if "policy_question" not in pair or len(pair) != 2 or not (pair - {"policy_question"}) <= LOOKUPS:
        return None
    lookup = (pair - {"policy_question"}).pop()
    if _IF_RETURNED.search(text[:2000]) and lookup != "return_request":
        return "policy_question"  # "if I return my blanket, how long till I get my money back?": no return yet
    own, general = bool(_OWN.search(text[:2000])), bool(_GENERAL.search(text[:2000]))
    if own and general:
        return None
    return (pair - {"policy_question"}).pop() if own else "policy_question"


@dataclass(frozen=True)
class IntentGuess:
    intent: Intent
    confidence: float
    nearest_similarity: float
    runner_up: Intent | None


def examples_path() -> Path:
    return Path(str(resources.files("agent"))) / "data" / "intent_examples.yaml"


def example_files() -> list[Path]:
    """Every labelled example file: the hand-written ones and the exported scenario messages."""
    return sorted(examples_path().parent.glob("intent_examples*.yaml"))


# libyaml's safe loader when PyYAML has it: the example files are ~4,000 messages (1.7 s in pure Python)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_examples(path: Path | None = None) -> tuple[list[str], list[Intent]]:
    """(texts, labels) from one file, or from every example file; duplicates dropped (first label wins)."""
    texts: list[str] = []
    labels: list[Intent] = []
    seen: set[str] = set()
    for file in [path] if path else example_files():
        raw = yaml.load(file.read_text(encoding="utf-8"), Loader=_YAML_LOADER) or {}
        unknown = set(raw) - set(INTENTS)
        if unknown:
            raise ValueError(f"{file.name}: unknown intent labels {sorted(unknown)}")
        for label, examples in raw.items():
            for example in examples or []:
                key = " ".join(str(example).lower().split())
                if key and key not in seen:
                    seen.add(key)
                    texts.append(str(example))
                    labels.append(label)
    return texts, labels


@dataclass
class _Trained:
    """The fitted vectorizer and, per calibration fold, the regression weights and the sigmoid calibration,
    as arrays: sklearn's predict_proba costs ~20 ms per message in input checks, this costs well under 1."""

    vectorizer: Any
    folds: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]  # coef, intercept, a, b
    vectors: np.ndarray
    classes: list[Intent]

    def proba(self, features: Any) -> np.ndarray:
        total = np.zeros(len(self.classes))
        for coef, intercept, a, b in self.folds:
            scores = np.asarray(features @ coef.T).ravel() + intercept
            p = 1.0 / (1.0 + np.exp(a * scores + b))
            total += p / p.sum() if p.sum() > 0 else np.full(len(p), 1.0 / len(p))
        return total / len(self.folds)


def _features(vectorizer: Any, embedded: np.ndarray, texts: list[str]) -> Any:
    from scipy.sparse import csr_matrix, hstack

    return hstack([csr_matrix(embedded * 2.0), vectorizer.transform(texts)]).tocsr()


def _embedded(texts: list[str], embedder: MiniLMEmbeddingFunction, cache_dir: Path | None) -> np.ndarray:
    """The examples' embeddings: most of the training time (a minute or more on 2 cores for ~3,700 examples),
    so kept in the data dir keyed by the texts and the model, and read back (never unpickled) on the next start."""
    if cache_dir is None:
        return embedder.embed(texts)
    model = getattr(embedder, "model_name", type(embedder).__name__)
    key = hashlib.sha256(repr((model, texts)).encode()).hexdigest()[:24]
    path = cache_dir / f"intent-embeddings-{key}.npy"
    if path.exists():
        try:
            cached = np.load(path, allow_pickle=False)
            if cached.ndim == 2 and cached.shape[0] == len(texts):
                return cached
        except (OSError, ValueError):
            pass  # a torn or foreign file: compute again and replace it
    embedded = embedder.embed(texts)
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp.npy")
    np.save(partial, embedded.astype(np.float32), allow_pickle=False)
    os.replace(partial, path)
    return embedded


def _train(texts: list[str], labels: list[Intent], embedder: MiniLMEmbeddingFunction, c: float,
           cache_dir: Path | None = None) -> _Trained:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2,
                                 lowercase=True, max_features=80_000)
    vectorizer.fit(texts)
    embedded = _embedded(texts, embedder, cache_dir)
    features = _features(vectorizer, embedded, texts)
    base = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    folds = max(2, min(3, min(labels.count(label) for label in set(labels))))
    model = CalibratedClassifierCV(base, method="sigmoid", cv=folds).fit(features, labels)
    weights = [(fold.estimator.coef_, fold.estimator.intercept_, np.array([c.a_ for c in fold.calibrators]),
                np.array([c.b_ for c in fold.calibrators])) for fold in model.calibrated_classifiers_]
    return _Trained(vectorizer, weights, embedded, [str(c) for c in model.classes_])  # type: ignore[misc]


class IntentClassifier:
    def __init__(self, embedder: MiniLMEmbeddingFunction | None = None, *,
                 examples: tuple[list[str], list[Intent]] | None = None, c: float = 8.0, far: float = 0.35,
                 cache_dir: Path | None = None) -> None:
        self.embedder = embedder or MiniLMEmbeddingFunction()
        self.cache_dir = cache_dir  # where the examples' embeddings are kept between starts (None: not kept)
        self.c = c
        self.far = far  # below this similarity to every example, the message is unfamiliar: confidence damped
        self._examples = examples
        self._trained: _Trained | None = None
        self._lock = threading.Lock()

    def _ready(self) -> _Trained:
        with self._lock:
            if self._trained is None:
                texts, labels = self._examples or load_examples()
                key = hashlib.sha256(repr((texts, labels, self.c)).encode()).hexdigest()
                with _MODELS_LOCK:
                    if key not in _MODELS:
                        _MODELS[key] = _train(texts, labels, self.embedder, self.c, self.cache_dir)
                    self._trained = _MODELS[key]
            return self._trained

    def warm(self) -> None:
        """Train now (or take the process's trained model) rather than on the first message."""
        self._ready()

    def classify(self, text: str) -> IntentGuess:
        return self.classify_many([text])[0]

    def classify_many(self, texts: list[str]) -> list[IntentGuess]:
        """Several texts at once (the pieces of one message): one embedding batch, one vectorizer pass."""
        if not texts:
            return []
        trained = self._ready()
        queries = self.embedder.embed(texts)
        features = _features(trained.vectorizer, queries, texts)
        guesses = []
        for row, query in enumerate(queries):
            probs = trained.proba(features[row])
            order = np.argsort(-probs)
            nearest = float((trained.vectors @ query).max())
            damp = 1.0 if nearest >= self.far else max(0.0, nearest / self.far)
            intent, runner_up = trained.classes[order[0]], trained.classes[order[1]] if len(order) > 1 else None
            confidence = float(probs[order[0]])
            if runner_up is not None and confidence < UNSURE and (
                    chosen := policy_or_lookup(texts[row], intent, runner_up)) is not None:
                intent, runner_up = chosen, intent if chosen != intent else runner_up
                confidence = float(probs[order[0]] + probs[order[1]])
            guesses.append(IntentGuess(intent=intent, confidence=round(min(confidence, 1.0) * damp, 3),
                                       nearest_similarity=round(nearest, 3), runner_up=runner_up))
        return guesses
