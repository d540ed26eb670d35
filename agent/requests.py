"""The separate requests in one customer message ("where is it? and what's your return window?").

A message is cut into sentences (and at "also", "btw", "and one more thing"...), each long enough piece is
classified on its own, and every confident intent other than the message's main one becomes a further
request. The agent answers the ones it can answer without writing anything (status, refund status,
policy, product questions) in the same reply, and a request it cannot answer keeps the reply from going
out without a person (agent/nodes/act.py, the auto-send gate).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from agent.intents import intents_where
from agent.triage.classifier import IntentGuess

READ_ONLY_ANSWERS = intents_where(read_only=True)  # answering changes nothing: several share one reply
NOT_REQUESTS = intents_where(is_request=False)  # tone, thanks, venting: no answer owed
MIN_WORDS = 4
MIN_CONFIDENCE = 0.6
MAX_PIECES = 8

_PIECE = re.compile(r"(?:[^.?!\n;]|(?<=\d)\.(?=\d))+[.?!;]*")  # "$3.73" is not two sentences
_JOINER = re.compile(r"\b(?:also|btw|by the way|another (?:question|thing)|one more (?:question|thing)|plus|"
                     r"and (?:also|then|what about|how about|when|where|how|can|do|does|is|will)|"
                     r"tambi[eé]n|y (?:cu[aá]ndo|d[oó]nde|c[oó]mo|si))\b", re.I)
_QUOTED = re.compile(r"^[ \t]*(?:>|on .{4,80} wrote:|-{2,}\s*original message|from:|sent from my)", re.I | re.M)


@dataclass(frozen=True)
class Request:
    text: str
    intent: str
    confidence: float


def own_words(text: str) -> str:
    """The customer's own words: quoted history ("On ... wrote:", "> ...") and what follows it dropped."""
    quoted = _QUOTED.search(text)
    return text[:quoted.start()] if quoted else text


def sentence_pieces(text: str) -> list[str]:
    """Sentences, cut again at joiners ("also", "and when..."), stripped; short ones kept."""
    found: list[str] = []
    for sentence in _PIECE.findall(text):
        start = 0
        for m in _JOINER.finditer(sentence):
            if m.start() > start:
                found.append(sentence[start:m.start()])
            start = m.start()
        found.append(sentence[start:])
    return [p.strip() for p in found if p.strip()]


def pieces(text: str) -> list[str]:
    """Sentences of the customer's own words (quoted history and signatures dropped), cut again at joiners;
    pieces too short to classify on their own are left out."""
    return [p for p in sentence_pieces(own_words(text)) if len(p.split()) >= MIN_WORDS][:MAX_PIECES]


def split_requests(text: str, main_intent: str, classify: Callable[[list[str]], list[IntentGuess]]) -> list[Request]:
    """The further requests (not the main intent), one per intent, in the order they were asked. `classify`
    reads a batch of pieces at once (IntentClassifier.classify_many)."""
    parts = pieces(text)
    if len(parts) < 2:
        return []
    found: dict[str, Request] = {}
    for part, guess in zip(parts, classify(parts), strict=True):
        if guess.intent in NOT_REQUESTS or guess.intent == main_intent or guess.confidence < MIN_CONFIDENCE:
            continue
        if guess.intent not in found or guess.confidence > found[guess.intent].confidence:
            found[guess.intent] = Request(part, guess.intent, guess.confidence)
    return list(found.values())
