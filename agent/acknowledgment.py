"""The short reply a customer gets when their conversation goes to a person.

A handed-off message used to leave the customer in silence until someone picked it up, while the
marketplace's response clock ran. The acknowledgment says a person has it and by when (that platform's
clock), in the customer's language; a safety report's leads with concern and the safety step from the
knowledge base (get safe, call 911 for an injury, fire or gas leak, stop using the product). It states no
fact about the order, so it is safe to send before anyone has looked. Asked whether a bot answers, it says so
first (the disclosure article: an honest yes on every channel).
"""

from __future__ import annotations

import math
from datetime import datetime

from agent import templates_es
from agent.templates import GREETING, GREETING_ANON, SIGN_OFF, format_date
from agent.tone import DISCLOSURE
from tools.contacts import has_contact

SAFETY_FLAGS = frozenset({"injury_or_safety"})

_BODY = {
    "en": "Thanks for your message. I've passed it to a member of our team, who will reply {when}.",
    "es": "Gracias por su mensaje. Ya lo pasé a una persona de nuestro equipo, que le responderá {when}.",
}
_RECEIVED = {  # an attachment-only message: what arrived is named, and a person looks (agent/attachment_turn.py)
    ("en", "photo"): "Thanks, your photo came through. I've passed it to a member of our team, who will look at it "
                     "and reply {when}.",
    ("en", "file"): "Thanks, your file came through. I've passed it to a member of our team, who will look at it "
                    "and reply {when}.",
    ("es", "photo"): "Gracias, recibimos su foto. Ya la pasé a una persona de nuestro equipo, que la revisará y le "
                     "responderá {when}.",
    ("es", "file"): "Gracias, recibimos su archivo. Ya lo pasé a una persona de nuestro equipo, que lo revisará y "
                    "le responderá {when}.",
}
_SAFETY = {
    "en": "I'm so sorry this happened, and thank you for telling us. If anyone is hurt, or there is a fire or a gas "
          "leak, please get to a safe place and call 911 first, and please don't use the product again. Is everyone "
          "okay? A member of our team is taking this over right now.",
    "es": "Lamentamos mucho lo ocurrido y gracias por avisarnos. Si alguien está herido, o hay fuego o una fuga de "
          "gas, por favor póngase a salvo y llame al 911 primero, y no vuelva a usar el producto. ¿Están todos "
          "bien? Una persona de nuestro equipo se está encargando ahora mismo.",
}
_GREETING_ES, _GREETING_ES_ANON = templates_es.GREETING, templates_es.GREETING_ANON
_SIGN_OFF_ES = templates_es.SIGN_OFF


def _when(deadline: datetime, now: datetime, language: str) -> str:
    hours = max(1, math.ceil((deadline - now).total_seconds() / 3600))
    if language == "es":
        return "en la próxima hora" if hours <= 1 else f"en las próximas {hours} horas"
    if hours <= 1:
        return "within the hour"
    return f"within {hours} hours" if hours <= 48 else f"by {format_date(deadline)}"


def acknowledgment(*, risk_flags: list[str], language: str | None, deadline: datetime, now: datetime,
                   first_name: str | None, received: str | None = None) -> str:
    """The acknowledgment text: English unless the customer wrote in Spanish. `received` ("photo" or "file"):
    the message was that alone, and the text says it arrived."""
    lang = "es" if language == "es" else "en"
    plain = _RECEIVED[(lang, received)] if (lang, received) in _RECEIVED else _BODY[lang]
    body = _SAFETY[lang] if SAFETY_FLAGS & set(risk_flags) else plain.format(when=_when(deadline, now, lang))
    if "asks_if_automated" in risk_flags and not SAFETY_FLAGS & set(risk_flags):
        body = f"{DISCLOSURE[lang]} {body}"  # "is this a bot? I want a person": the honest answer, then the person
    if first_name and has_contact(first_name):
        first_name = None
    if lang == "es":
        greeting = _GREETING_ES.format(first_name=first_name) if first_name else _GREETING_ES_ANON
        return f"{greeting}\n\n{body}\n\n{_SIGN_OFF_ES}"
    greeting = GREETING.format(first_name=first_name) if first_name else GREETING_ANON
    return f"{greeting}\n\n{body}\n\n{SIGN_OFF}"
