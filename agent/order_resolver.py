"""Which of the customer's orders a message means, from the cues people actually give.

Customers rarely quote an order number: they name the product ("the blue cooler"), its state ("still not
here", "before it ships", "I sent it back"), a time ("ordered last weekend") or an amount. Every order of
the customer on the conversation's channel is scored on those cues; the agent asks only when two or more
remain equally plausible, and then lists just those. A pure function over the `list_customer_orders`
tool result, so it is tested with hand-built orders and never sees another customer's data.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from tools.context import STORE_FAMILY  # one store behind the site and the Meta shops

_I = re.IGNORECASE
UNDELIVERED = frozenset({"pending", "unshipped", "shipped", "in_transit"})
UNSHIPPED = frozenset({"pending", "unshipped"})
DELIVERED = frozenset({"delivered"})


@dataclass(frozen=True)
class Candidate:
    """One order as `list_customer_orders` describes it."""

    order_id: str
    platform: str
    status: str
    placed_at: date
    total: Decimal | None
    items: tuple[str, ...]
    delivered_at: date | None = None
    has_return: bool = False

    @classmethod
    def from_tool(cls, row: dict[str, object]) -> Candidate:
        def day(value: object) -> date | None:
            return date.fromisoformat(str(value)[:10]) if value else None

        try:
            total = Decimal(str(row.get("total"))) if row.get("total") is not None else None
        except InvalidOperation:
            total = None
        return cls(order_id=str(row["order_id"]), platform=str(row["platform"]), status=str(row["status"]),
                   placed_at=day(row["placed_at"]) or date.min, total=total,
                   items=tuple(str(i) for i in row.get("items", []) or []),  # type: ignore[union-attr]
                   delivered_at=day(row.get("delivered_at")), has_return=bool(row.get("has_return")))


@dataclass
class Resolution:
    """`order_id` when one order is the plausible one; otherwise `candidates` to ask about (best first)."""

    order_id: str | None
    candidates: list[Candidate] = field(default_factory=list)
    cues: list[str] = field(default_factory=list)
    reason: str = ""


# ---------------------------------------------------------------- product words

_TOKEN = re.compile(r"[a-z][a-z'-]+", _I)
_STOP = frozenset(
    "the a an and or of for with to in on my our your it its this that these those one ones from by at is was "
    "are be been i me we you order orders ordered item items product thing stuff package parcel box northfork "
    "pack set size color colour new still not yet just got get have has had where when what which please hi "
    "hello hey thanks thank can could would will did do does don't didn't isn't hasn't haven't about also need "
    "want like last week weekend month day days ago sent back return refund cancel deliver delivered arrive "
    "arrived shipping shipped ship tracking".split())


def _stem(word: str) -> str:
    word = word.lower().strip("'-")
    for suffix in ("ies", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def _words(text: str) -> set[str]:
    return {_stem(w) for w in _TOKEN.findall(text) if w.lower() not in _STOP and len(w) > 2}


def terms_path() -> Path:
    return Path(str(resources.files("agent"))) / "data" / "product_terms.yaml"


@lru_cache(maxsize=1)
def _synonyms() -> tuple[dict[str, frozenset[str]], tuple[tuple[str, str], ...]]:
    """Everyday words for catalog words ("pan" for a skillet): data, kept beside the intent examples.
    Single words by stem, and phrases ("frying pan") matched as written."""
    raw = yaml.safe_load(terms_path().read_text(encoding="utf-8")) or {}
    table: dict[str, set[str]] = {}
    phrases: list[tuple[str, str]] = []
    for catalog_word, everyday in raw.items():
        for word in everyday:
            if " " in str(word):
                phrases.append((str(word).lower(), _stem(str(catalog_word))))
            else:
                table.setdefault(_stem(str(word)), set()).add(_stem(str(catalog_word)))
    return {k: frozenset(v) for k, v in table.items()}, tuple(phrases)


def _message_words(text: str) -> set[str]:
    words = _words(text)
    single, phrases = _synonyms()
    lowered = text.lower()
    return (words | {s for w in words for s in single.get(w, ())}
            | {catalog for phrase, catalog in phrases if phrase in lowered})


def _product_scores(text: str, candidates: Sequence[Candidate]) -> list[tuple[float, str]]:
    """Per candidate: the weight of the message's product words found in its item titles (a word found in
    every candidate tells them apart no better than none) and the title that matched best."""
    asked = _message_words(text)
    titles = [[(t, _words(t)) for t in c.items] for c in candidates]
    containing: dict[str, int] = {}
    for per_order in titles:
        for word in set().union(*(w for _, w in per_order)) if per_order else ():
            containing[word] = containing.get(word, 0) + 1
    n = len(candidates)
    scores = []
    for per_order in titles:
        best, best_title = 0.0, ""
        for title, words in per_order:
            weight = sum(math.log((n + 1) / containing[w]) for w in asked & words)
            if weight > best:
                best, best_title = weight, title
        scores.append((best, best_title))
    return scores


# ---------------------------------------------------------------- state, time, amount

_CUES: tuple[tuple[str, frozenset[str], re.Pattern[str]], ...] = (
    ("sent back", frozenset({"returned"}), re.compile(
        r"\b(?:sent|mailed|shipped|dropped|took|brought|posted)\b[^.?!]{0,20}\bback\b|\breturned (?:it|them|the)\b"
        r"|\b(?:i|we) returned\b|\bdropped (?:it|them) off\b|\breturn (?:label|shipment) (?:was )?(?:used|scanned)\b"
        r"|\blo (?:devolv|regres)\w*|\bya (?:lo )?devolv\w*", _I)),
    ("not shipped", UNSHIPPED, re.compile(
        r"\bbefore (?:it|they|the \w+) (?:ships?|goes out|leaves?)\b|\b(?:hasn'?t|has not|haven'?t|not|didn'?t) "
        r"(?:\w+ )?(?:shipped|ship|sent out|left)\b|\bnot (?:yet )?shipped\b|\bstill processing\b|\bantes de que "
        r"(?:se )?env\w*", _I)),
    ("delivered, not received", DELIVERED, re.compile(
        r"\b(?:says|shows|marked|showing|tracking says)\b[^.?!]{0,20}\bdelivered\b|\bdelivered\b[^.?!]{0,30}"
        r"\b(?:but|not|never|no)\b", _I)),
    ("not arrived", UNDELIVERED, re.compile(
        r"\b(?:still|not|never|hasn'?t|has not|haven'?t|didn'?t|isn'?t|wasn'?t)\b[^.?!]{0,15}\b(?:here|arrived?|"
        r"come|came|received|gotten|got|showed up|delivered)\b|\bwhere(?:'s| is| are)\b|\bwhen will\b|\bstill "
        r"waiting\b|\bno (?:ha )?llega\w*|\btodav[ií]a no\b|\bd[oó]nde est[aá]", _I)),
    ("received", DELIVERED, re.compile(
        r"\b(?:arrived|received|came|got (?:it|them|the|my)|showed up|opened|unboxed|used it|tried it|"
        r"broke|broken|cracked|dented|damaged|defective|stopped working|doesn'?t work|missing (?:a |the )?part|"
        r"wrong (?:item|color|size|one))\b|\bme lleg[oó]\b|\blleg[oó]\b", _I)),
)
_INTENT_STATES: dict[str, frozenset[str]] = {
    "order_status": UNDELIVERED, "cancel_order": UNSHIPPED, "change_address": UNSHIPPED,
    "return_request": DELIVERED, "damaged_or_wrong_item": DELIVERED, "review_feedback": DELIVERED,
    "refund_status": frozenset({"returned", "cancelled"}),
}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_MONTH_RE = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "couple": 2,
                 "few": 3}
_AMOUNT = re.compile(r"\$\s?(\d{1,5}(?:,\d{3})*(?:\.\d{2})?)|\b(\d{1,5}\.\d{2})\b|\b(\d{1,5}) (?:dollars|bucks)\b", _I)


def _states_fit(candidate: Candidate, states: frozenset[str]) -> bool:
    if "returned" in states and candidate.has_return:
        return True
    return candidate.status in states


def state_cues(text: str) -> list[tuple[str, frozenset[str]]]:
    """The order states the message describes, most specific first ("says delivered but" beats "not here")."""
    found = [(name, states) for name, states, pattern in _CUES if pattern.search(text)]
    names = {n for n, _ in found}
    if "delivered, not received" in names:
        found = [f for f in found if f[0] not in ("not arrived", "received")]
    if "sent back" in names:
        found = [f for f in found if f[0] != "received"]
    return found


def date_window(text: str, today: date) -> tuple[date, date] | None:
    """When the customer says they ordered, as an inclusive window ("last weekend", "3 weeks ago", "on
    Monday", "in October", "Nov 14"); None when the message gives no time."""
    t = text.lower()
    if re.search(r"\byesterday\b|\bayer\b", t):
        return today - timedelta(days=1), today - timedelta(days=1)
    if re.search(r"\b(?:today|this morning|hoy)\b", t) and re.search(r"\b(?:order|bought|purchas|placed|compr)", t):
        return today, today
    if re.search(r"\blast weekend\b|\bpast weekend\b|\bover the weekend\b|\bel fin de semana pasado\b", t):
        saturday = today - timedelta(days=(today.weekday() - 5) % 7 or 7)
        return saturday - timedelta(days=1), saturday + timedelta(days=1)  # Fri night to Sun
    if re.search(r"\bthis week\b|\besta semana\b", t):
        return today - timedelta(days=today.weekday()), today
    if re.search(r"\blast week\b|\bla semana pasada\b", t):
        start = today - timedelta(days=today.weekday() + 7)
        return start, start + timedelta(days=6)
    if re.search(r"\blast month\b|\bel mes pasado\b", t):
        first = today.replace(day=1)
        prev_end = first - timedelta(days=1)
        return prev_end.replace(day=1), prev_end
    if re.search(r"\bearlier this month\b|\bthis month\b|\beste mes\b", t):
        return today.replace(day=1), today
    if m := re.search(r"\b(\d{1,2}|a|an|one|two|three|four|five|six|couple|few)(?: of)? (day|week|month)s? ago\b", t):
        n = int(m.group(1)) if m.group(1).isdigit() else _NUMBER_WORDS[m.group(1)]
        days = {"day": 1, "week": 7, "month": 30}[m.group(2)] * n
        slack = max(1, days // 3)
        return today - timedelta(days=days + slack), today - timedelta(days=max(0, days - slack))
    if m := re.search(rf"\b{_MONTH_RE}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b", t):
        month = next(i for i, name in enumerate(_MONTHS, 1) if name.startswith(m.group(1)[:3]))
        return _dated(today, month, int(m.group(2)))
    if m := re.search(r"\b(?:on|last|this past)\s+(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", t):
        back = (today.weekday() - _WEEKDAYS.index(m.group(1))) % 7 or 7
        day = today - timedelta(days=back)
        return day, day
    if m := re.search(rf"\b(?:in|early|mid|late|back in|during)\s+(?:-\s*)?{_MONTH_RE}(?!\s*\d)", t):
        month = next(i for i, name in enumerate(_MONTHS, 1) if name.startswith(m.group(1)[:3]))
        year = today.year if month <= today.month else today.year - 1
        start = date(year, month, 1)
        end = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1))
        return start, min(end, today)
    return None


def _dated(today: date, month: int, day: int) -> tuple[date, date] | None:
    year = today.year if month <= today.month else today.year - 1
    try:
        exact = date(year, month, day)
    except ValueError:
        return None
    return exact - timedelta(days=1), exact + timedelta(days=1)


def amounts(text: str) -> list[Decimal]:
    found = []
    for m in _AMOUNT.finditer(text):
        raw = next(g for g in m.groups() if g)
        try:
            found.append(Decimal(raw.replace(",", "")))
        except InvalidOperation:
            continue
    return found


# ---------------------------------------------------------------- resolving

def on_channel(candidates: Iterable[Candidate], platform: str) -> list[Candidate]:
    """The orders a message on this channel can be about: the same marketplace, or the store family."""
    return [c for c in candidates if c.platform == platform or {c.platform, platform} <= STORE_FAMILY]


def resolve(text: str, intent: str, candidates: Sequence[Candidate], *, today: date, platform: str) -> Resolution:
    """The order the message means, or the few it may mean (best first) when the cues do not settle it."""
    pool = on_channel(candidates, platform)
    if not pool:
        return Resolution(None, reason="no orders on this channel")
    if len(pool) == 1:
        return Resolution(pool[0].order_id, pool, reason="the only order on this channel")
    cues: list[str] = []
    scores = [0.0] * len(pool)
    product = _product_scores(text, pool)
    if any(s for s, _ in product):
        top = max(s for s, _ in product)
        cues.append("product")
        for i, (s, _) in enumerate(product):
            scores[i] += 4.0 * s / top  # the best product match counts most, the others in proportion
    if said := amounts(text):
        cues.append("amount")
        for i, c in enumerate(pool):
            if c.total is not None and any(abs(c.total - a) <= Decimal("0.01") for a in said):
                scores[i] += 3.0
    if window := date_window(text, today):
        cues.append("date")
        start, end = window
        for i, c in enumerate(pool):
            if start <= c.placed_at <= end:
                scores[i] += 2.0
    described = [d for d in state_cues(text) if not (intent == "refund_status" and d[0] == "not arrived")]
    if described:
        cues.append("state")
        states = described[0][1]
        for i, c in enumerate(pool):
            if _states_fit(c, states):
                scores[i] += 1.5
    if not cues:  # nothing in the message: what the request needs (an unshipped order to cancel...) decides
        states = _INTENT_STATES.get(intent)
        fitting = [c for c in pool if states and _states_fit(c, states)]
        if len(fitting) == 1:
            return Resolution(fitting[0].order_id, fitting, reason=f"the only order that can be meant ({intent})")
        return Resolution(None, (fitting or pool)[:4], reason="no cue in the message")
    states = _INTENT_STATES.get(intent)
    if states:  # a tie-breaker only: a cue always outweighs what the intent makes likely
        for i, c in enumerate(pool):
            if _states_fit(c, states):
                scores[i] += 0.5
    ranked = sorted(range(len(pool)), key=lambda i: (-scores[i], -pool[i].placed_at.toordinal()))
    best = scores[ranked[0]]
    close = [pool[i] for i in ranked if best - scores[i] < 1.0]
    if len(close) == 1 and best >= 1.5:
        return Resolution(close[0].order_id, close, cues, reason="matched on " + ", ".join(cues))
    return Resolution(None, close[:4], cues, reason="several orders fit " + ", ".join(cues))
