"""The auto-send gate's question: does the reply answer everything the customer asked?

A reply goes out alone only when every question in the message is answered: the main request by its plan
(a tool result), each further request by its own plan, and every other question by words of the reply
that address it (agent/answer_check.py). A question nobody answered keeps the reply for a person, who
sees which one. Pure functions over the pieces of the message and the reply text, so the gate is tested
without a graph.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from agent.requests import own_words, sentence_pieces

# The first words of a question, after greetings, numbering and joiners ("1) where...", "Also, can you...").
_LEAD = re.compile(
    r"^(?:(?:hi|hello|hey|hiya|ok|okay|so|and|also|plus|but|oh|um|btw|quick question|one more thing|another "
    r"thing|by the way|question|first|second|secondly|lastly|finally|y|tambi[eé]n|pero|hola)\b[\s,:;.!-]*|"
    r"\(?\d{1,2}[).:-]\s*|[-*•]\s*)+", re.I)
_ASKING = re.compile(
    r"^(?:what|what's|whats|where|where's|wheres|when|why|how|how's|which|who|whose|can|could|would|will|won't|"
    r"is|isn't|are|aren't|was|were|do|does|doesn't|did|didn't|should|shall|may|might|has|have|hasn't|haven't|"
    r"any (?:idea|way|chance)|is there|are there|"
    r"qu[eé]|cu[aá]ndo|d[oó]nde|c[oó]mo|cu[aá]nto|cu[aá]ntos|cu[aá]l|por qu[eé]|puedo|pueden|puede|hay|tienen|"
    r"es|est[aá])\b", re.I)
_WANTS_TO_KNOW = re.compile(
    r"\b(?:i(?:'d| would) like to know|i was wondering|i'm wondering|wondering (?:if|whether|how|when|what)|"
    r"let me know|tell me|can you (?:tell|check|confirm)|please (?:confirm|advise|explain)|do you know|"
    r"need to know|want to know|not sure (?:if|whether|how)|quisiera saber|me pueden decir|me gustar[ií]a saber)\b",
    re.I)
MIN_QUESTION_WORDS = 2
# A question asked inside a sentence without a question mark, after a comma: an auxiliary with its subject
# ("ordered the set tuesday, is it shipping today") or a question word leading a verb ("..., when will it
# ship"). A bare auxiliary is not enough: "I ordered Tuesday, was charged twice" states.
_INNER_QUESTION = re.compile(
    r",\s*(?:and\s+|but\s+|so\s+)?(?:(?:is|are|was|were|do|does|did|can|could|will|would|should|has|have|r)\s+"
    r"(?:it|you|u|they|there|this|that|we|i|my|your|the|he|she)\b|(?:what|where|when|why|how|which)\s+"
    r"(?:is|are|was|were|do|does|did|can|could|will|would|should|long|much|many|soon)\b)", re.I)


@dataclass(frozen=True)
class Asked:
    """One question of the message, how the classifier read it, and whether a plan's tool result answers it.
    `plan_intent`: the intent whose plan's reply speaks to this question (the question the plan answers, or
    a further question on the same topic); the gate then checks only what the question asks beyond that
    intent's own words (agent/intent_vocabulary.py)."""

    text: str
    intent: str
    confidence: float
    answered_by_plan: bool = False
    plan_intent: str | None = None


def is_question(piece: str) -> bool:
    """A question or an ask for information, by its form: a question mark, an interrogative or auxiliary
    opening (after greetings, numbering and joiners), or "I was wondering / let me know / can you tell me"."""
    text = piece.strip()
    if len(re.findall(r"\w+", text)) < MIN_QUESTION_WORDS:
        return False
    if text.endswith("?") or text.startswith("¿") or "?" in text:
        return True
    opening = _LEAD.sub("", text)
    return bool(_ASKING.match(opening) or _WANTS_TO_KNOW.search(text) or _INNER_QUESTION.search(text))


def questions(text: str) -> list[str]:
    """The questions in the customer's own words (quoted history and signatures dropped), in order."""
    return [p for p in sentence_pieces(own_words(text)) if is_question(p)]


def unanswered(asked: Sequence[Asked], reply: str, covers: Callable[[str, str], bool],
               beyond_plan: Callable[[Asked, str], bool] | None = None) -> list[str]:
    """The questions the reply leaves open. `covers(question, reply)` is the answer check
    (agent.answer_check.coverage); `beyond_plan(asked, reply)` checks, for a question a plan speaks to
    (`plan_intent`), only what it asks beyond the plan's own topic (agent.answer_check.residual): "is it
    shipping today or are you closed for Thanksgiving?" is not answered by the order's status alone.
    Without `beyond_plan`, a question a plan answers counts as answered."""
    open_questions: list[str] = []
    for a in asked:
        if a.plan_intent is not None and beyond_plan is not None:
            answered = beyond_plan(a, reply)
        else:
            answered = a.answered_by_plan or covers(a.text, reply)
        if not answered:
            open_questions.append(a.text)
    return open_questions


def review_reason(open_questions: Iterable[str]) -> str | None:
    """What the reviewer reads: the questions themselves, shortened."""
    shown = [q if len(q) <= 90 else q[:87].rstrip() + "..." for q in open_questions]
    if not shown:
        return None
    return "the reply does not answer: " + "; ".join(f'"{q}"' for q in shown[:3]) + \
        (f" (and {len(shown) - 3} more)" if len(shown) > 3 else "")
