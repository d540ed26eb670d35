"""The intent classifier on held-out messages it was never trained or tuned on (evals/intent_holdout/*.yaml).

The scenario evals measure whole replies; this measures the first step alone, on messages written blind by
people who never read the agent, so a figure here is the classifier's honest accuracy on real wording.
Prints accuracy, macro-F1, per-intent recall, and how many messages clear the auto-send confidence (0.6)
with their accuracy there. Usage: `python -m evals.intent_holdout [--json]` (about a minute on 2 cores: it
trains the classifier as the service does, reusing the embedding cache under the data dir).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import yaml
from pydantic import BaseModel

HOLDOUT_DIR = Path(__file__).parent / "intent_holdout"
CONFIDENT = 0.6  # agent/triage/classifier.UNSURE: below it the agent does not auto-send on the reading alone


class HoldoutFigures(BaseModel):
    messages: int
    accuracy: float
    macro_f1: float
    recall: dict[str, float]
    confident_share: float
    confident_accuracy: float
    confusions: list[tuple[str, str, int]]


def load_holdout(directory: Path = HOLDOUT_DIR) -> list[tuple[str, str]]:
    """(text, intent) pairs from every YAML file of the folder (intent -> list of messages)."""
    pairs: list[tuple[str, str]] = []
    for file in sorted(directory.glob("*.yaml")):
        for intent, texts in (yaml.safe_load(file.read_text(encoding="utf-8")) or {}).items():
            pairs += [(str(t), str(intent)) for t in texts or []]
    return pairs


def figures(pairs: list[tuple[str, str]], guesses: list[tuple[str, float]]) -> HoldoutFigures:
    """The figures of a run: `guesses` are (intent, confidence) per message, in order."""
    gold = [g for _, g in pairs]
    got = [i for i, _ in guesses]
    labels = sorted(set(gold) | set(got))
    f1s: list[float] = []
    recall: dict[str, float] = {}
    for label in labels:
        tp = sum(1 for g, p in zip(gold, got, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, got, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, got, strict=True) if g == label and p != label)
        if label in gold:
            recall[label] = round(tp / (tp + fn), 3)
            f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    confident = [(g, p) for g, (p, c) in zip(gold, guesses, strict=True) if c >= CONFIDENT]
    wrong = Counter((g, p) for g, p in zip(gold, got, strict=True) if g != p)
    return HoldoutFigures(
        messages=len(pairs), accuracy=round(sum(g == p for g, p in zip(gold, got, strict=True)) / max(len(pairs), 1), 3),
        macro_f1=round(sum(f1s) / max(len(f1s), 1), 3), recall=recall,
        confident_share=round(len(confident) / max(len(pairs), 1), 3),
        confident_accuracy=round(sum(g == p for g, p in confident) / max(len(confident), 1), 3),
        confusions=[(g, p, n) for (g, p), n in wrong.most_common(10)])


def main() -> None:
    from agent.triage.classifier import IntentClassifier, load_examples
    from shopdesk.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    pairs = load_holdout()
    trained_on = {" ".join(t.lower().split()) for t in load_examples()[0]}
    leaked = [t for t, _ in pairs if " ".join(t.lower().split()) in trained_on]
    if leaked:
        raise SystemExit(f"{len(leaked)} held-out messages are in the training examples: the figure would not be honest")
    classifier = IntentClassifier(cache_dir=Settings().ensure_data_dir() / "cache")
    guesses = [(g.intent, g.confidence) for g in classifier.classify_many([t for t, _ in pairs])]
    result = figures(pairs, guesses)
    if args.json:
        print(result.model_dump_json(indent=1))
        return
    print(f"{result.messages} held-out messages: accuracy {result.accuracy:.1%}, macro-F1 {result.macro_f1:.3f}; "
          f"{result.confident_share:.1%} read with confidence >= {CONFIDENT} ({result.confident_accuracy:.1%} right)")
    for intent, r in sorted(result.recall.items(), key=lambda x: x[1]):
        print(f"  {intent:22} recall {r:.0%}")
    print("  most common confusions (expected -> read):", json.dumps(result.confusions))


if __name__ == "__main__":
    main()
