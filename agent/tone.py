"""How a reply opens: the honest answer to "are you a bot?", and one short acknowledgment for an upset customer.

Both come before the template's answer, right after the greeting (`templates.render(opening=...)`), and both
are fixed sentences, never generated:
- The seller's automated-replies-disclosure article: the assistant never claims to be human, and a customer
  who asks gets an honest answer with the offer of a person ("reply \"person\"": that word alone is a request
  for a person, agent/triage/rules.py, and goes to the team). The honest line goes first; the answer to the
  rest of the message follows.
- The brand-voice articles: apologize once, sincerely, for the specific problem, then move to the fix. So an
  upset customer (negative sentiment or abusive words) gets one sentence chosen by what the reply is about
  (a late order, an item that arrived wrong, money, a return, anything else), and none when the reply
  already apologizes, so a reply never says sorry twice. Neutral and happy customers get no opener.
The sentences say nothing about the order: they acknowledge, and the template states the facts.

A message that only asks whether a bot answers (`disclosure_only`) gets the disclosure as its whole reply
(`bot_disclosure`, chosen in agent/nodes/act.py and sent without review: it is always true). "I want a human"
never gets here: its flag hands the conversation to a person with the usual acknowledgment (agent/routing.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from agent.intents import INTENT_TABLE
from agent.requests import own_words
from agent.schemas import Triage
from agent.templates import TEMPLATES
from agent.triage import rules

Situation = Literal["late", "arrived_wrong", "money", "return", "general"]

DISCLOSURE_TEMPLATE = "bot_disclosure"  # the whole reply when the message only asks whether a bot answers

DISCLOSURE: dict[str, str] = {
    "en": "I'm Northfork Goods' AI assistant, not a person.",
    "es": "Soy el asistente de inteligencia artificial de Northfork Goods, no una persona.",
}
OFFER_PERSON: dict[str, str] = {
    "en": "If you'd rather talk with someone on our team, just reply \"person\".",
    "es": "Si prefiere hablar con alguien de nuestro equipo, solo responda \"persona\".",
}
EMPATHY: dict[str, dict[Situation, str]] = {
    "en": {
        "late": "I'm sorry for the wait and the worry over your order.",
        "arrived_wrong": "I'm sorry your order didn't arrive the way it should have.",
        "money": "I'm sorry for the trouble; I know waiting on money is stressful.",
        "return": "I'm sorry this one didn't work out for you.",
        "general": "I'm sorry this has been frustrating.",
    },
    "es": {
        "late": "Lamento la espera y la preocupación por su pedido.",
        "arrived_wrong": "Lamento que su pedido no haya llegado como debía.",
        "money": "Lamento la molestia; sé que esperar un reembolso es estresante.",
        "return": "Lamento que este artículo no le haya funcionado.",
        "general": "Lamento que esto haya sido frustrante.",
    },
}

# What the reply is about: the template first (the plan's finding), then the customer's intent.
_BY_TEMPLATE: tuple[tuple[str, Situation], ...] = (
    ("status_", "late"), ("delivered_not_received", "late"), ("refund_", "money"), ("damage_", "arrived_wrong"),
    ("return_", "return"), ("which_item", "return"),
)
_BY_INTENT: dict[str, Situation] = {name: s.tone for name, s in INTENT_TABLE.items() if s.tone}  # type: ignore[misc]
# Replies that take no opener: nothing drafted, the model's own words, thanks, or "no problem, nothing changed".
NO_OPENER = frozenset({"handoff", "llm_answer", "thanks_reply", "action_declined", "subscription_declined"})

_APOLOGY = re.compile(r"\b(?:sorry|apologi[sz]e|apologies|lamento|lamentamos|disculp\w*|perd[oó]n)\b", re.I)
# Words that say nothing beyond the bot question: greetings, thanks, fillers, and its own vocabulary
# ("am I talking to a real person or a computer?" leaves "or a computer" once the question is taken out).
_FILLER = frozenset(
    "hi hello hey hiya yo there ok okay so just quick question honest honestly seriously curious wondering lol haha "
    "um hmm please pls thanks thank you good morning afternoon evening or and a an the some real actual live "
    "human humans being person people bot bots robot robots chatbot ai computer machine automated automatic "
    "hola buenas buenos días tardes gracias por favor o y un una persona humano real robot máquina".split())


def upset(triage: Triage) -> bool:
    return triage.sentiment == "negative" or "abusive" in triage.risk_flags


def situation(template: str, intent: str) -> Situation:
    for prefix, found in _BY_TEMPLATE:
        if template.startswith(prefix):
            return found
    return _BY_INTENT.get(intent, "general")


def apologizes(template: str, slots: Mapping[str, Any], extra: list[dict[str, Any]]) -> bool:
    """The reply already says sorry somewhere: its template, a further answer, or a filled-in line."""
    parts = [(template, slots), *((p.get("template", ""), p.get("slots") or {}) for p in extra)]
    texts = [TEMPLATES.get(key, "") for key, _ in parts] + [str(v) for _, s in parts for v in s.values()]
    return any(_APOLOGY.search(t) for t in texts)


def opening(triage: Triage, template: str, slots: Mapping[str, Any] | None = None,
            extra: list[dict[str, Any]] | None = None, *, language: str | None = None) -> str | None:
    """The sentence(s) that open the reply, in the reply's language (the message's unless given), or None."""
    language = language or triage.language
    if language not in DISCLOSURE or template in ("handoff", "llm_answer"):
        return None
    if "asks_if_automated" in triage.risk_flags:  # the honest answer first; it replaces the empathy opener
        if template == DISCLOSURE_TEMPLATE:
            return DISCLOSURE[language]  # the template goes on to explain and offer a person
        return f"{DISCLOSURE[language]} {OFFER_PERSON[language]}"
    if not upset(triage) or template in NO_OPENER or apologizes(template, slots or {}, extra or []):
        return None
    return EMPATHY[language][situation(template, triage.intent)]


def opening_for(state: Mapping[str, Any], language: str | None = None) -> str | None:
    """`opening` for a graph state (the draft node's call, with the language it writes the reply in)."""
    outcome, triage = state.get("outcome"), state.get("triage")
    if not triage or not outcome or not outcome.template:
        return None
    return opening(triage, outcome.template, outcome.slots, outcome.extra, language=language)


def disclosure_only(text: str) -> bool:
    """The message asks whether a bot answers and nothing else (greetings and thanks aside): the disclosure
    is then the whole reply, whatever the classifier made of so short a message."""
    rest = rules.without_assistant_questions(own_words(text))
    return not [w for w in re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", rest.lower()) if w not in _FILLER]
