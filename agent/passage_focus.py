"""What a quoted policy answer is about, and in what order its sentences go (used by agent/passage_answers.py).

A retrieved section holds the sentence that answers the question beside sentences about something else: the
return window beside the shipping rule, a carrier-delay rule beside the handling time. Quoted in the order of
the article, the answer can come last, after text the customer did not ask about. So each sentence gets a
rank against the question's focus (agent/answer_check.py terms: the destination, the duration, the fee): the
sentences that answer come first, those that only touch the focus after, and those that share nothing with it
are not quoted. A sentence that opens by pointing back ("Packages to these places...", "Still, ...") stays
right after the sentence it points to.

Some questions have an answer in more than one part, which the articles keep in separate sections:
"how long does shipping take?" is the handling time and then the carrier's transit time (`delivery_time`),
and "do you ship to Hawaii?" is whether we ship there plus the extra transit time and the items that cannot
go there (`destination`). These functions only read the question's terms; finding the sections is
agent/passage_answers.py's `best_section`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from agent.answer_check import Term, focus_terms, judge, reading_of

# Ranks of a quoted sentence: it answers; it answers but about a product the question does not name, or it
# touches a specific word of the question; it shares only a common word ("order") with it.
ANSWERS, SIDE, TOUCHES = 0, 1, 2
UNRELATED = 3  # shares nothing with the question: not quoted

# A sentence that opens by pointing at the one before it cannot lead, nor stand without it.
_BACK_REFERENCE = re.compile(r"^\W*(?:(?:these|this|that|those|they|them|it|its|there|such|still|also|however|so|"
                             r"then|otherwise|instead|both|either|neither|the same)\b|(?:[\w'-]+\s+){1,3}(?:these|"
                             r"those|such)\s+\w)", re.I)

# The parts of a delivery estimate, as the knowledge base names its sections ("Handling time for orders...",
# "Transit time by service"): the time before the package ships, then the carrier's time in transit.
DELIVERY_PARTS = ("handling time", "transit time")
DELIVERY_CONCEPTS = frozenset({"ship", "arrive"})
# Concepts that make a duration question about something else than delivery ("how long does a refund take").
_PLACE_CONCEPTS = frozenset({"international", "po_box", "military"})


# A demonstrative standing for a whole thing said before, early in a sentence ("We treat that as a normal US
# order"): a pronoun, not a determiner ("that order"), so a preposition or a stop follows it.
_PRONOUN = re.compile(r"^\W*(?:[\w'-]+\s+){0,5}?(?:this|that|these|those)(?:\s+(?:as|to|for|with|on|in|at|by)\b|"
                      r"\s*[.,;:])", re.I)


def refers_back(sentence: str) -> bool:
    """Whether the sentence opens by pointing at the one before it ("These places...", "Still, we check...",
    "Packages to these places..."), or stands for it early on ("We treat that as a normal US order")."""
    return bool(_BACK_REFERENCE.match(sentence) or _PRONOUN.match(sentence))


@lru_cache(maxsize=4096)
def _products(text: str) -> frozenset[str]:
    """The catalog product words a text names (the answer check's "product" terms: "propane", "cylinder")."""
    return frozenset(s for t in focus_terms(text) if t.kind == "product" for s in t.stems)


def rank(parts: Sequence[Sequence[Term]], text: str) -> int:
    """How the sentence stands to the question: it answers a part (`ANSWERS`; for "how long does shipping take?"
    a duration of shipping or delivery answers: `gives_delivery_time`), unless it is about a product the
    question does not name (then `SIDE`: "the propane 2-pack cannot go to Hawaii" after "we ship to Hawaii");
    it covers a specific word of the question (`SIDE`); it covers only a common one (`TOUCHES`); or nothing."""
    asked = frozenset(s for terms in parts for t in terms if t.kind == "product" for s in t.stems)
    best = UNRELATED
    for terms in parts:
        covered = judge(terms, text)
        if covered.answered and covered.score > 0 or delivery_time(terms) and gives_delivery_time(text):
            best = min(best, SIDE if _products(text) - asked else ANSWERS)
        elif any(t.text in covered.covered for t in terms if t.kind in ("topic", "asks")):
            best = min(best, SIDE)
        elif covered.score > 0:
            best = min(best, TOUCHES)
    return best


def delivery_time(terms: Sequence[Term]) -> bool:
    """Whether the question asks how long delivery takes ("how long does shipping take?", "how soon would it
    get here?"): a duration or a time, asked of shipping or arrival, and of nothing more specific than a place
    or a product (a refund, a return, a delay are other questions)."""
    asks = {t.asks for t in terms if t.kind == "asks"}
    if not asks & {"duration", "time"}:
        return False
    concepts = {c for t in terms for c in t.concepts}
    if not concepts & DELIVERY_CONCEPTS:
        return False
    return not any(t.concepts - DELIVERY_CONCEPTS - _PLACE_CONCEPTS for t in terms if t.kind in ("topic", "generic"))


def gives_delivery_time(text: str) -> bool:
    """Whether the text gives a part of a delivery estimate: a duration, said of shipping or delivery
    ("Orders ... leave within 2 business days", "in transit after the carrier picks up the package: 2-5 days")."""
    reading = reading_of(text)
    return "duration" in reading.kinds and bool(reading.concepts & DELIVERY_CONCEPTS)


def destination(terms: Sequence[Term], title: str) -> list[Term]:
    """The destination a shipping question asks about, when the article is about it: the question's specific
    words that the article's title names as words ("Hawaii" in "Shipping to Alaska, Hawaii, Puerto Rico...").
    Only for a question about shipping or delivery; empty otherwise."""
    if not any(t.concepts & DELIVERY_CONCEPTS for t in terms):
        return []
    said = reading_of(title).stems
    return [t for t in terms if t.kind == "topic" and t.stems and set(t.stems) <= said]


def names_all(terms: Sequence[Term], text: str) -> bool:
    """Whether the text names every one of the terms by its own words (a heading naming "Puerto Rico")."""
    said = reading_of(text).stems
    return bool(terms) and all(t.stems and set(t.stems) <= said for t in terms)
