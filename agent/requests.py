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
from agent.text_lines import unwrap
from agent.triage.classifier import IntentGuess

READ_ONLY_ANSWERS = intents_where(read_only=True)  # answering changes nothing: several share one reply
NOT_REQUESTS = intents_where(is_request=False)  # tone, thanks, venting: no answer owed
# intents answered with words only: a piece asking for an action is never part of such a request
QUESTIONS_ONLY = frozenset({"policy_question", "product_question"})
MIN_WORDS = 4
MIN_CONFIDENCE = 0.6
# below this similarity to every labelled example a piece has no reading of its own: it leans on the message
# around it ("still in the box", "did that actually happen??")
UNFAMILIAR = 0.5
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
    """Sentences (wrapped lines joined first), cut again at joiners ("also", "and when..."), stripped; short
    ones kept."""
    found: list[str] = []
    for sentence in _PIECE.findall(unwrap(text)):
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
        if guess.nearest_similarity < UNFAMILIAR and "?" not in part and not is_directive(part):
            continue  # a remark unlike every example ("still in the box"): context for the main request, not another
        if guess.intent not in found or guess.confidence > found[guess.intent].confidence:
            found[guess.intent] = Request(part, guess.intent, guess.confidence)
    return list(found.values())


# A piece that asks the seller to DO something (not a question, so the answer gate's question check never
# sees it): "I want to return something I bought", "please cancel the lamp", "can you swap it for the blue
# one", "quiero devolver el termo". The verbs are the actions a plan can take or a person must; the subject
# is the customer (I/we want, need, would like) or the request is addressed to the seller (please, can you,
# or the verb itself opening the sentence).
_ACTION_VERB = (r"(?:return|send\s+(?:it|them|this|that|these|those)\s+back|cancel|refund|exchange|swap|switch|"
                r"replace|change|update|correct|fix|reship|resend|re-send|re-ship|ship|send|redirect|reroute|"
                r"skip|pause|stop|resume|get\s+(?:a|my)\s+(?:refund|replacement|money)|have\s+(?:a|my)\s+refund)")
_DIRECTIVE = re.compile(
    rf"\b(?:i|we)(?:'d\s+(?:really\s+)?like|'m\s+trying|(?:\s+(?:really|just|still|also))?\s+(?:want|need|"
    rf"would\s+like|wanna|wish|am\s+trying|was\s+hoping|were\s+hoping))\s+(?:to\s+)?(?:you\s+to\s+)?{_ACTION_VERB}\b"
    rf"|^(?:please|pls|plz|kindly)\s+{_ACTION_VERB}\b"
    rf"|\b(?:can|could|would|will)\s+(?:you|u|y'all|someone)\s+(?:please\s+|pls\s+|just\s+)?{_ACTION_VERB}\b"
    r"|^(?:cancel|return|refund|exchange|swap|replace|resend|reship|redirect|reroute|skip|pause)\b(?!\s+(?:policy|window|label|date|status|of)\b)"
    r"|\b(?:quiero|queremos|necesito|necesitamos|quisiera|quisi[eé]ramos|me\s+gustar[ií]a)\s+"
    r"(?:que\s+(?:me\s+)?)?(?:devolver|cancelar|cambiar|reembols|un\s+reembolso|mi\s+dinero|otro|reemplaz|"
    r"pausar|saltar)"
    r"|^(?:por\s+favor\s+)?(?:cancel[ea]n?|devuelv[ae]n?|cambi[ea]n?|reemb[oó]ls[ea]n?)\b", re.I)


def is_directive(piece: str) -> bool:
    """The piece asks the seller to do something (return, cancel, refund, change, send...), in English or
    Spanish. Read on the piece after its leading joiners ("Also, please cancel...")."""
    text = re.sub(r"^(?:\W*(?:also|and|plus|but|so|oh|ok|okay|hi|hello|hey|btw|y|tambi[eé]n|pero|hola)\b)+\W*", "",
                  piece.strip(), flags=re.I)
    return bool(_DIRECTIVE.search(text))


def unsure_requests(parts: list[str], guesses: list[IntentGuess], main_intent: str, taken: set[str]) -> list[str]:
    """The intents of pieces that ask for an action but whose reading is too unsure to become a request of
    their own (below MIN_CONFIDENCE), other than the message's main request (its top reading, or its second
    one when the main request is an action) and the requests already found (`taken`). Left out, "I want to
    return something I bought. Also, do you ship to Canada?" auto-sent the shipping answer alone: the return
    was never read. Nothing answers these; they keep the reply for a person."""
    found: list[str] = []
    for part, guess in zip(parts, guesses, strict=True):
        if guess.confidence >= MIN_CONFIDENCE or guess.intent in NOT_REQUESTS or not is_directive(part):
            continue
        if guess.intent == main_intent or guess.intent in taken or guess.intent in found:
            continue
        if guess.runner_up == main_intent and main_intent not in QUESTIONS_ONLY:
            continue  # its other reading is the main request's own action: that plan answers it
        found.append(guess.intent)
    return found
