"""The time a customer asks to return something at, and the direct answer the return window gives to it.

"If she doesn't like the color can she send it back in January?", "can it be returned after Christmas?", "is it
too late by then?": the customer asks yes or no about a time still to come. The return plan knows the order's
last return day (`check_return_eligibility`); saying only that day leaves the customer to do the comparison,
and a reply that never says "no" to a "can I" reads as a yes. This module reads the future time (a holiday, a
month, a date, "next month") and compares it with the last day, so the reply can lead with yes, no or "only if
it starts by". Past times ("bought in early October") are the order resolver's, not read here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

_I = re.IGNORECASE
MAX_TEXT = 4_000  # the question is near the top; a long paste is not read further

_MONTHS = {"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
           "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
           "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
           "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7, "agosto": 8,
           "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
# The holidays a gift return is asked around, as (month, day) of the day itself.
_HOLIDAYS = {"christmas": (12, 25), "xmas": (12, 25), "x-mas": (12, 25), "navidad": (12, 25),
             "the holidays": (12, 25), "holidays": (12, 25), "las fiestas": (12, 25), "new year": (1, 1),
             "new years": (1, 1), "new year's": (1, 1), "año nuevo": (1, 1), "ano nuevo": (1, 1),
             "reyes": (1, 6), "three kings day": (1, 6), "el día de reyes": (1, 6), "thanksgiving": (11, 26),
             "valentine's": (2, 14), "valentines": (2, 14), "valentine's day": (2, 14)}
_HOLIDAY_RE = "|".join(sorted((re.escape(h) for h in _HOLIDAYS), key=len, reverse=True))
# Words that ask whether a holiday or extra time stretches the window (the holidays above, a gift, "extension",
# "more time"): the return reply then says whether a holiday extension applies to this order.
_EXTENSION_ASKED = re.compile(
    rf"\b(?:{_HOLIDAY_RE}|holidays?|gift\w*|present|extension|extend\w*|(?:extra|more) (?:time|days)|longer"
    r"|regalo|fiestas|m[aá]s tiempo)\b", _I)
_AFTER = r"after|past|following|once|despu[ée]s de(?:l)?|pasad[oa]s?"
_BY = r"by|before|until|till|til|antes de(?:l)?|hasta"
_IN = r"in|during|en|para|around|sometime in|early|late|mid"
# A return, said in the same sentence as the time: a time elsewhere ("it's for Christmas") is not the question.
_RETURN_WORDS = re.compile(
    r"\b(?:return\w*|send (?:it |them |this |these |that )?back|sent back|ship (?:it |them )?back|bring (?:it )?back"
    r"|exchang\w*|swap\w*|refund\w*|too late|still (?:be )?(?:able|ok|okay|fine|time)|devol\w*|regres\w*"
    r"|cambi(?:ar|o)|reembols\w*|demasiado tarde)\b", _I)
# A time said of what already happened ("bought it in January"): the order's date, not the return's.
_PAST = re.compile(
    r"\b(?:bought|ordered|purchased|placed|got|received|arrived|came|delivered|shipped|paid|gave|gifted"
    r"|compr[ée]|compramos|ped[ií]|recib[ií]\w*|lleg[oó]|regal[ée])\b", _I)
_SENTENCE = re.compile(r"(?<=[.!?\n])\s+")

Verdict = Literal["yes", "no", "partly"]


@dataclass(frozen=True)
class AskedTime:
    """The future time the customer asks a return at, as an inclusive window of days, and their words."""

    start: date
    end: date
    words: str


def _next(today: date, month: int, day: int) -> date:
    """The next time this day of the year comes (today included)."""
    this_year = date(today.year, month, day)
    return this_year if this_year >= today else date(today.year + 1, month, day)


def _month(today: date, month: int) -> tuple[date, date]:
    """The month as a window, this year's if it has not ended, else next year's."""
    year = today.year if month >= today.month else today.year + 1
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return start, end


def _day(today: date, month: int, day: int) -> date | None:
    try:
        return _next(today, month, day)
    except ValueError:  # "Feb 30"
        return None


def _holiday(today: date, name: str) -> date:
    month, day = _HOLIDAYS[name.lower()]
    return _next(today, month, day)


def _read(sentence: str, today: date) -> AskedTime | None:
    """The first future time the sentence gives, in the forms customers use."""
    forms: list[tuple[re.Pattern[str], Callable[[re.Match[str]], tuple[date, date] | None]]] = [
        (re.compile(rf"\b(?:{_AFTER})\s+(?:the\s+)?({_HOLIDAY_RE})\b", _I),
         lambda m: ((d := _holiday(today, m.group(1))) + timedelta(days=1), d + timedelta(days=1))),
        (re.compile(rf"\b(?:{_BY})\s+(?:the\s+)?({_HOLIDAY_RE})\b", _I),
         lambda m: (today, _holiday(today, m.group(1)))),
        (re.compile(rf"\b(?:{_AFTER}|{_BY}|{_IN}|on)?\s*({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b", _I),
         lambda m: _dated(today, m, _MONTHS[m.group(1).lower()], int(m.group(2)))),
        (re.compile(rf"\b(?:{_AFTER}|{_BY}|{_IN}|on)?\s*(?:the\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+|de\s+)"
                    rf"({_MONTH_RE})\b", _I),
         lambda m: _dated(today, m, _MONTHS[m.group(2).lower()], int(m.group(1)))),
        (re.compile(rf"\b({_AFTER}|{_BY}|{_IN})\s+(?:the\s+(?:end|start|beginning|middle)\s+of\s+)?({_MONTH_RE})\b"
                    rf"(?!\s*\d)", _I),
         lambda m: _in_month(today, m)),
        (re.compile(r"\b(?:next month|el (?:pr[oó]ximo )?mes (?:que viene|pr[oó]ximo)|el pr[oó]ximo mes)\b", _I),
         lambda m: _month(today, today.month % 12 + 1)),
        (re.compile(rf"\b(?:at|on|over|en)\s+({_HOLIDAY_RE})\b", _I),  # not "for Christmas": a gift's occasion
         lambda m: ((d := _holiday(today, m.group(1))), d)),
    ]
    found: list[tuple[int, AskedTime]] = []
    for pattern, window in forms:
        m = pattern.search(sentence)
        if m is None:
            continue
        got = window(m)
        if got is None:
            continue
        start, end = got
        if end < today or _said_of_the_past(sentence, m.start()):
            continue
        found.append((m.start(), AskedTime(max(start, today), end, m.group(0).strip())))
    return min(found, key=lambda f: f[0])[1] if found else None


def _said_of_the_past(sentence: str, at: int) -> bool:
    """Whether the nearest verb before the time is a past purchase or delivery rather than the return."""
    before = sentence[:at]
    past = [m.end() for m in _PAST.finditer(before)]
    asked = [m.end() for m in _RETURN_WORDS.finditer(before)]
    return bool(past) and (not asked or past[-1] > asked[-1])


def _dated(today: date, m: re.Match[str], month: int, day: int) -> tuple[date, date] | None:
    """One day; "after Jan 5" is the day after it, "by Jan 5" every day up to it."""
    when = _day(today, month, day)
    if when is None:
        return None
    lead = m.group(0).lower()
    if re.match(rf"(?:{_AFTER})\b", lead):
        return when + timedelta(days=1), when + timedelta(days=1)
    if re.match(rf"(?:{_BY})\b", lead):
        return today, when
    return when, when


def _in_month(today: date, m: re.Match[str]) -> tuple[date, date]:
    """"in January" the whole month, "after January" the day after it, "by January" up to its first day."""
    start, end = _month(today, _MONTHS[m.group(2).lower()])
    lead = m.group(1).lower()
    if re.fullmatch(_AFTER, lead):
        return end + timedelta(days=1), end + timedelta(days=1)
    if re.fullmatch(_BY, lead):
        return today, start
    return start, end


def asked_return_time(text: str, today: date) -> AskedTime | None:
    """The future time a return question is about, from the first sentence that asks about a return and gives
    one; None when no such sentence does. "Too late by then" refers back to the time of the sentence before."""
    sentences = _SENTENCE.split(text[:MAX_TEXT])
    for i, sentence in enumerate(sentences):
        if not _RETURN_WORDS.search(sentence):
            continue
        asked = _read(sentence, today)
        if asked is None and i > 0 and re.search(r"\b(?:by then|then|para entonces)\b", sentence, _I):
            asked = _read(sentences[i - 1], today)
        if asked is not None:
            return asked
    return None


def verdict(asked: AskedTime, window_ends: date) -> Verdict:
    """Whether a return can start at the asked time: all of it inside the window, none of it, or its start."""
    if window_ends >= asked.end:
        return "yes"
    if window_ends < asked.start:
        return "no"
    return "partly"


def timing_lead(asked: AskedTime | None, window_ends: date | None, day: str) -> str:
    """The sentence that answers the yes/no question before the reply gives the last day (`day`, written)."""
    if asked is None or window_ends is None:
        return ""
    said = verdict(asked, window_ends)
    if said == "yes":
        return "Yes, there's still time then. "
    if said == "no":
        return "No, that's after the return window ends. "
    return f"Yes, if you start the return by {day}. "


def asks_about_extension(text: str) -> bool:
    """Whether a return question is asked around a holiday, a gift or extra time (so the reply says whether a
    holiday extension applies)."""
    return bool(_EXTENSION_ASKED.search(text[:MAX_TEXT]))


# a question about sending something back ...
_RETURNING = re.compile(r"\b(?:return(?:s|ing|ed)?|send (?:it |them |this |these |that )?back|devolver(?:lo|la|los|las)?"
                        r"|devoluci[oó]n)\b", _I)
# ... that asks how long it can be: what the order's last return day answers (a fee, who pays the shipping or the
# condition it must be in is the policy articles' to answer)
_WINDOW_ASKED = re.compile(r"\b(?:how long|how many days|until when|till when|by when|deadline|last day|too late|"
                           r"still (?:be )?(?:able to |ok to |possible to |time to )?(?:return|send)|return window|"
                           r"cu[aá]nto tiempo|hasta cu[aá]ndo|plazo)\b", _I)


def asks_return_window(text: str, today: date) -> bool:
    """Whether a message asks how long something can be sent back ("how long do I have to return the canisters?",
    "can he return it after Christmas?"): the order's last return day answers it."""
    text = text[:MAX_TEXT]
    return bool(_RETURNING.search(text)) and (bool(_WINDOW_ASKED.search(text))
                                              or asked_return_time(text, today) is not None)
