"""What a subscription message asks to change that the tools cannot: the interval, quantity or product.

`update_subscription` skips, pauses, resumes and cancels; the store's subscriptions article says that "to
change the product, quantity, or interval, a person on the team updates the subscription". Before this module
"every 60 days instead of 30" matched none of the four actions, so the reply offered them (or, with "else skip
Sunday's delivery" in the message, proposed the fallback as if it were the request) and went out alone. A
change only a person can make is read here, with the interval asked for, so the plan says a person makes it
and holds the reply for them. `action_asked` reads which of the four tool actions the message asks for
("turn it back on" is a resume, "saltar" a skip).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Change = Literal["interval", "quantity", "product"]

_UNIT_DAYS = {"day": 1, "days": 1, "week": 7, "weeks": 7, "month": 30, "months": 30}
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "eight": 8, "ten": 10,
                 "twelve": 12, "other": 2, "a": 1}
_EVERY = re.compile(r"\b(?:every|each|cada)\s+(\d{1,3}|one|two|three|four|five|six|eight|ten|twelve|other)?\s*"
                    r"(days?|weeks?|months?)\b", re.I)
_PER = re.compile(r"\b(?:once|one time)\s+(?:a|per|every)\s+(day|week|month)\b", re.I)
_BARE = {"monthly": 30, "bimonthly": 60, "quarterly": 90, "weekly": 7, "biweekly": 14, "mensual": 30}
_BARE_WORDS = re.compile(r"\b(" + "|".join(_BARE) + r")\b", re.I)
_INTERVAL = re.compile(
    r"\b(?:interval|frequency|how often|less often|more often|less frequent(?:ly)?|more frequent(?:ly)?|"
    r"spread (?:it|them|the deliveries) out|space (?:it|them|the deliveries) out|too (?:often|frequent)|"
    r"(?:too many|too much) (?:piling up|building up|stacking up)|piling up|"
    r"con menos frecuencia|cada cu[aá]nto)\b", re.I)
_CHANGE_VERB = re.compile(r"\b(?:change|switch|move|make|set|update|adjust|bump|push|go|cambiar|cambien|cambie)\b", re.I)
_QUANTITY = re.compile(
    r"\b(?:quantity|(?:fewer|less|more|smaller|bigger|larger)\s+(?:bags?|packs?|filters?|bars?|boxes|cartridges?|count|"
    r"units?|of them)|(?:the\s+)?\d{2,3}[- ]?(?:count|ct|pack)\b|(?:\d|one|two|three|four|six)[- ](?:pack|bag|box)s?\s+"
    r"instead|instead of\s+(?:\d|one|two|three|four|six)[- ]?(?:pack|bag|box|count)|cantidad)\b", re.I)
_PRODUCT = re.compile(r"\b(?:swap|switch|change)\s+(?:it|the\s+\w+|my\s+\w+)?\s*(?:to|for|over to)\s+(?:the\s+)?"
                      r"(?:ground|whole bean|decaf|other|different|\w+ (?:roast|flavor|scent|size|kind|version))\b", re.I)


# What the customer asks the four tool actions for. A verb or phrase, not a state the message reports ("I
# paused it in June, can you turn it back on?" is a resume): "paused" does not match pause's bare verb.
ACTIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("skip", re.compile(r"\bskip|\bsaltar(?:me|se)?\b|\bomitir\b|\bmiss (?:the|this|next|one) (?:next )?"
                        r"(?:one|delivery|shipment|order|month)\b", re.I)),
    ("pause", re.compile(r"\b(?:pause|hold|break|pausar|pausa|pausen)\b", re.I)),
    ("resume", re.compile(r"\b(?:resume|restart|unpause|un-pause|re-?activate|re-?start|reanudar|reactivar|"
                          r"start (?:it |them |that )?(?:back up|up again|again)|"
                          r"turn (?:it |them |that |my \w+ |the \w+ )?back on)\b", re.I)),
    ("cancel", re.compile(r"\b(?:cancel|stop|end|unsubscribe|cancelar|cancelen|cancele)\b", re.I)),
)


def action_asked(text: str) -> str | None:
    """The tool action (skip, pause, resume, cancel) the message asks for, the first in that order."""
    return next((name for name, pattern in ACTIONS if pattern.search(text)), None)


@dataclass(frozen=True)
class ChangeRequest:
    kind: Change
    interval_days: int | None = None  # the new interval asked for, when the message says one


def interval_days(text: str) -> list[int]:
    """Every interval the text names, in days, in order: "every 60 days" -> 60, "every 3 months" -> 90,
    "every other month" -> 60, "once a week" -> 7, "monthly" -> 30."""
    found: list[tuple[int, int]] = []
    for m in _EVERY.finditer(text):
        count = m.group(1)
        n = int(count) if count and count.isdigit() else _NUMBER_WORDS.get((count or "a").lower(), 1)
        found.append((m.start(), n * _UNIT_DAYS[m.group(2).lower()]))
    found += [(m.start(), _UNIT_DAYS[m.group(1).lower()]) for m in _PER.finditer(text)]
    found += [(m.start(), _BARE[m.group(1).lower()]) for m in _BARE_WORDS.finditer(text)]
    return [days for _, days in sorted(found)]


def change_request(text: str) -> ChangeRequest | None:
    """The change only a person can make that the message asks for, else None. An interval counts when the
    message names one beside a verb of change ("switch it to every 3 months instead of 2") or speaks of
    frequency ("less often", "too many piling up"); the first interval named after "to"/"instead" wins."""
    named = interval_days(text)
    if named and (_CHANGE_VERB.search(text) or re.search(r"\binstead\b|\brather than\b|\ben vez de\b", text, re.I)):
        return ChangeRequest("interval", _asked_interval(text, named))
    if _INTERVAL.search(text):
        return ChangeRequest("interval", _asked_interval(text, named) if named else None)
    if _QUANTITY.search(text):
        return ChangeRequest("quantity")
    if _PRODUCT.search(text):
        return ChangeRequest("product")
    return None


def _asked_interval(text: str, named: list[int]) -> int | None:
    """The new interval: the one after "to" (the one before "instead of" otherwise). "every 60 days instead of
    every 30" and "from every 30 days to every 60" both give 60; a bare number after "instead of" ("every 3
    months instead of 2") is the old one."""
    to = re.search(r"\b(?:to|a)\s+(?:every|each|cada|once)\b", text, re.I)
    if to:
        after = interval_days(text[to.start():])
        if after:
            return after[0]
        bare = re.match(r"\w+\s+(?:every|each|cada)\s+(\d{1,3})\b", text[to.start():], re.I)
        if bare and (unit := _EVERY.search(text)):  # "from every 30 days to every 45": the unit said once
            return int(bare.group(1)) * _UNIT_DAYS[unit.group(2).lower()]
    return named[0]
