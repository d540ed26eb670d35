"""Which of the customer's orders a message means, from the cues people actually give.

Customers rarely quote an order number: they name the product ("the blue cooler", "the 10 inch skillet"),
its state ("still not here", "before it ships", "I sent it back"), a time ("the grill I ordered Monday",
"it came yesterday") or an amount ("the $5.88 refund"). Every order of the customer on the conversation's
channel is scored on those cues. When the best ones stay equally plausible, two tie-breakers that never
outweigh a cue decide: an order the request cannot apply to (cancelling a delivered one) loses, and for a
time-sensitive request one recent order beats months-old ones. The agent asks only when orders still tie,
and then lists just those. A request that changes an order (cancel it, change its address, return it) is
held to more: the message or the conversation must name the order, or it must be the only one in the state
the action needs; recency, a fair guess for a lookup, never picks the order an action is proposed on
(`Resolution.for_action`). A pure function of (text, intent, the `list_customer_orders` rows, today,
platform), so it is tested with hand-built orders and never sees another customer's data.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml

from agent.intents import DELIVERED, INTENT_TABLE, UNDELIVERED, UNSHIPPED, intents_where
from agent.order_cues import PROMISED, DeliveryCues, ProductRoles, delivery_cues, product_roles
from tools.platform_profiles import same_store  # one store behind the site and the Meta shops

_I = re.IGNORECASE

# How much each cue counts. The product named is the strongest everyday cue, then an amount (exact but
# rarely given), a time, the state described; the request's usual state only breaks ties.
PRODUCT_WEIGHT = 4.0
AMOUNT_WEIGHT = 3.0
DATE_WEIGHT = 2.0
STATE_WEIGHT = 1.5
QUANTITY_WEIGHT = 1.5  # "two griddles": the line ordered twice, as strong as a state
PLACE_WEIGHT = 2.0  # "the one going to Tampa": the ship-to city, as strong as a date (gifts, a second home)
RECENCY_WEIGHT = 2.0  # "my last order": the newest of the plausible ones, as strong as a date (and more than CLOSE)
LIKELY_STATE_WEIGHT = 0.5
# "not the one with the plates": every other order, as strong as a date (a product set against the one meant)
EXCLUDED_WEIGHT = 2.0
# "supposed to be here last week", "tracking hasn't moved": the order late against its promise or stalled, as
# strong as a date (the promise is one of the order's dates), shared among the situations the message describes
PROMISE_WEIGHT = 2.0
STALLED_DAYS = 3  # no scan for this long: "tracking hasn't moved in days"
CLOSE = 1.0  # orders scoring within this of the best are equally plausible
MIN_SCORE = 1.5  # at least one cue (a state, the weakest) must have matched to name an order
RECENT_DAYS = 21  # "a few weeks": an order still moving or just arrived, what a status question is about
STALE_DAYS = 45  # past every platform's delivery promise: long delivered or settled, rarely what "where is it" means
MAX_TEXT = 8_000  # the order is named near the top of any real message; a huge paste is not read further
MAX_TIMES = 8  # a real message gives a time or two; more is a paste, read no further
TIME_SENSITIVE = intents_where(time_sensitive=True)
# Requests whose plan proposes a write on the order it resolves (a cancellation, an address change, a return or
# a damaged item's return): the intent table's order requests that are not read-only.
ACTIONS = frozenset(name for name, s in INTENT_TABLE.items()
                    if s.order_states is not None and not s.read_only and s.is_request)

DateKind = Literal["placed", "shipped", "delivered", "returned", "cancelled", "promised", "any"]


def _day(value: object) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None


def _money(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


@dataclass(frozen=True)
class Candidate:
    """One order as `list_customer_orders` describes it. `item_prices` and `quantities` follow `items`
    line by line (empty when the tool did not say); the return dates are its latest return's."""

    order_id: str
    platform: str
    status: str
    placed_at: date
    total: Decimal | None
    items: tuple[str, ...]
    delivered_at: date | None = None
    has_return: bool = False
    refunded_amounts: tuple[Decimal, ...] = ()
    item_prices: tuple[Decimal, ...] = ()
    quantities: tuple[int, ...] = ()
    shipped_at: date | None = None
    cancelled_at: date | None = None
    return_requested_at: date | None = None
    return_received_at: date | None = None
    ship_to_city: str | None = None
    deliver_by: date | None = None  # the delivery promised to the customer
    ship_by: date | None = None
    parcels: tuple[str, ...] = ()  # each shipment's status (label_created, in_transit, exception, lost...)
    last_scan_at: date | None = None  # the latest tracking event of any of its parcels
    return_window_ends: date | None = None  # the last day a changed-mind return can start (None: not delivered)

    @classmethod
    def from_tool(cls, row: dict[str, object]) -> Candidate:
        def listed(key: str) -> list[object]:
            value = row.get(key)
            return list(value) if isinstance(value, (list, tuple)) else []

        prices = [_money(p) for p in listed("item_prices")]
        quantities = [q for q in listed("quantities") if isinstance(q, int)]
        return cls(order_id=str(row["order_id"]), platform=str(row["platform"]), status=str(row["status"]),
                   placed_at=_day(row["placed_at"]) or date.min, total=_money(row.get("total")),
                   items=tuple(str(i) for i in listed("items")),
                   delivered_at=_day(row.get("delivered_at")), has_return=bool(row.get("has_return")),
                   refunded_amounts=tuple(a for a in (_money(r) for r in listed("refunded_amounts")) if a),
                   item_prices=tuple(p for p in prices if p is not None) if None not in prices else (),
                   quantities=tuple(quantities) if len(quantities) == len(listed("quantities")) else (),
                   shipped_at=_day(row.get("shipped_at")), cancelled_at=_day(row.get("cancelled_at")),
                   return_requested_at=_day(row.get("return_requested_at")),
                   return_received_at=_day(row.get("return_received_at")),
                   ship_to_city=str(row["ship_to_city"]) if row.get("ship_to_city") else None,
                   deliver_by=_day(row.get("deliver_by")), ship_by=_day(row.get("ship_by")),
                   parcels=tuple(str(p) for p in listed("parcel_statuses")), last_scan_at=_day(row.get("last_scan_at")),
                   return_window_ends=_day(row.get("return_window_ends")))

    def dates(self, kind: DateKind) -> list[date]:
        """The order's dates a time in the message can be about: "ordered Monday" the order date, "came
        yesterday" the delivery, "you got it back Tuesday" the return; all of them when no verb says."""
        returned = [self.return_requested_at, self.return_received_at]
        by_kind: dict[str, list[date | None]] = {
            "placed": [self.placed_at], "shipped": [self.shipped_at], "delivered": [self.delivered_at],
            "returned": returned, "cancelled": [self.cancelled_at], "promised": [self.deliver_by, self.ship_by],
        }
        if kind == "promised":
            return [d for d in by_kind[kind] if d is not None]
        chosen = by_kind.get(kind) or [self.placed_at, self.shipped_at, self.delivered_at, self.cancelled_at,
                                       *returned]
        return [d for d in chosen if d is not None]

    def amounts(self) -> set[Decimal]:
        """Every amount a customer may quote about the order: its total, a refund, an item's price or line."""
        found = {a for a in (self.total, *self.refunded_amounts, *self.item_prices) if a is not None}
        if len(self.item_prices) == len(self.quantities):
            found |= {p * q for p, q in zip(self.item_prices, self.quantities, strict=True)}
        return found


@dataclass
class Resolution:
    """`order_id` when one order is the plausible one; otherwise `candidates` to ask about (best first).
    `order_ids` when the message clearly names several orders ("the path lights and the apron"): then
    `order_id` is None and `candidates` are exactly those orders."""

    order_id: str | None
    candidates: list[Candidate] = field(default_factory=list)
    cues: list[str] = field(default_factory=list)
    reason: str = ""
    order_ids: list[str] = field(default_factory=list)
    for_action: bool = False  # no order: two or more could take the requested action, so the agent asks first


# ---------------------------------------------------------------- product words

_TOKEN = re.compile(r"[a-z][a-z'-]+", _I)  # run on folded text (`_fold`): "sartén" is one word, "sarten"
_STOP = frozenset(
    "the a an and or of for with to in on my our your it its this that these those one ones from by at is was "
    "are be been i me we you order orders ordered item items product thing stuff package parcel box northfork "
    "pack set size color colour new still not yet just got get have has had where when what which please hi "
    "hello hey thanks thank can could would will did do does don't didn't isn't hasn't haven't about also need "
    "want like last week weekend month day days ago sent back return refund cancel deliver delivered arrive "
    "arrived shipping shipped ship tracking both two three four five six seven eight nine ten eleven twelve "
    "morning night tonight today yesterday pair couple".split())
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5,
                 "seis": 6}
_NUMBER = r"\d{1,4}(?:\.\d{1,2})?"
# A bare "in" after a number is a size only when no ordinary word follows ("12 in skillet", not "2 in the box")
_NOT_AFTER_IN = frozenset(
    "the a an my our your his her their this that these those total all stock transit time it them one store "
    "cart hand mind person mail stores jan feb mar apr may jun jul aug sep sept oct nov dec january february "
    "march april june july august september october november december".split())


def _fold(text: str) -> str:
    """Lower case without accents: Spanish is typed with and without them ("sartén", "sarten"), and a word
    with one must stay one word ("lámpara" is not "l" and "mpara")."""
    decomposed = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def _stem(word: str) -> str:
    """"griddles" and "griddle", "batteries" and "battery", "boxes" and "box", "knives" and "knife" alike."""
    word = _fold(word).strip("'-")
    for suffix, becomes in (("ies", "y"), ("ives", "ife"), ("sses", "ss"), ("shes", "sh"), ("ches", "ch"),
                            ("xes", "x"), ("zes", "z"), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + becomes
    return word


def terms_path() -> Path:
    return Path(str(resources.files("agent"))) / "data" / "product_terms.yaml"


def spanish_terms_path() -> Path:
    """Spanish words for the titles' descriptive words ("lana" for wool), kept apart (see its header)."""
    return terms_path().with_name("product_terms_es.yaml")


@dataclass(frozen=True)
class _Terms:
    """product_terms.yaml (and product_terms_es.yaml) read once: everyday words by stem, phrases matched as
    written, unit spellings."""

    single: dict[str, frozenset[str]]
    phrases: tuple[tuple[str, str], ...]
    units: dict[str, str]  # how it is written -> unit
    size: re.Pattern[str]


@lru_cache(maxsize=1)
def _terms() -> _Terms:
    raw = yaml.safe_load(terms_path().read_text(encoding="utf-8")) or {}
    spanish = yaml.safe_load(spanish_terms_path().read_text(encoding="utf-8")) or {}
    table: dict[str, set[str]] = {}
    phrases: list[tuple[str, str]] = []
    for catalog_word, everyday in [*raw.items(), *spanish.items()]:
        if str(catalog_word).startswith("_"):
            continue
        for word in everyday:
            if " " in str(word):
                phrases.append((_fold(str(word)), _stem(str(catalog_word))))
            else:
                table.setdefault(_stem(str(word)), set()).add(_stem(str(catalog_word)))
    written = sorted({str(a).lower() for aliases in (raw.get("_units") or {}).values() for a in aliases},
                     key=len, reverse=True)
    units = {re.sub(r"\s", "", str(alias).lower()): str(unit) for unit, aliases in (raw.get("_units") or {}).items()
             for alias in aliases}  # by the spelling without spaces: "fl oz" and "floz" alike
    spelled = "|".join(re.escape(a).replace(r"\ ", r"\s?") for a in written)
    words = "|".join(_NUMBER_WORDS)
    size = re.compile(rf"(?<![\w.$,])({_NUMBER}|{words})(?:\s{{0,2}}[x\u00d7]\s{{0,2}}({_NUMBER}))?"
                      rf"\s{{0,2}}-?\s{{0,2}}({spelled})(?![a-z0-9])|\bset of ({_NUMBER}|{words})\b", _I)
    return _Terms({k: frozenset(v) for k, v in table.items()}, tuple(phrases), units, size)


def _number(raw: str) -> str:
    if raw.lower() in _NUMBER_WORDS:
        return str(_NUMBER_WORDS[raw.lower()])
    return format(Decimal(raw).normalize(), "f")


def sizes(text: str) -> set[str]:
    """Sizes and capacities as one token each: "10 inch", '10"', "10in" and "10-inch" are all "10in";
    "45 quart" and "45 Qt" are "45qt"; "4-person" is "4person"; "Set of 4" is "4set"."""
    terms = _terms()
    found: set[str] = set()
    for m in terms.size.finditer(text):
        if m.group(4):
            found.add(_number(m.group(4)) + "set")
            continue
        unit = terms.units[re.sub(r"\s", "", m.group(3).lower())]
        if m.group(3).lower() == "in":
            following = text[m.end():m.end() + 20].split()
            if m.group(1).lower() in _NUMBER_WORDS or (following and following[0].lower().strip(".,") in _NOT_AFTER_IN):
                continue
        found |= {_number(n) + unit for n in (m.group(1), m.group(2)) if n}
    return found


def _words(text: str) -> set[str]:
    return {_stem(w) for w in _TOKEN.findall(_fold(text)) if w not in _STOP and len(w) > 2} | sizes(text) | _pairs(text)


_PHRASE_BREAK = re.compile(r"\s+-\s+|[,.;:!?()/\n]")


def _pairs(text: str) -> set[str]:
    """Adjacent words as one term ("red+plaid"), within a phrase: a variant told apart only by its words together
    ("the red plaid" when one order has a Red Plaid blanket and the other a Blue Plaid one and an Ember Red pot,
    so "red" and "plaid" alone are on both and weigh nothing)."""
    found: set[str] = set()
    for phrase in _PHRASE_BREAK.split(_fold(text)):
        words = [_stem(w) for w in _TOKEN.findall(phrase) if w not in _STOP and len(w) > 2]
        found |= {f"{a}+{b}" for a, b in zip(words, words[1:], strict=False)}
    return found


def _message_words(text: str) -> set[str]:
    words = _words(text)
    terms = _terms()
    lowered = _fold(text)
    return (words | {s for w in words for s in terms.single.get(w, ())}
            | {catalog for phrase, catalog in terms.phrases if phrase in lowered})


class _Titles:
    """The item titles of the orders in play, with how many orders carry each word: a word every order
    carries tells them apart no better than none."""

    def __init__(self, candidates: Sequence[Candidate]) -> None:
        self.lines = [[(t, _words(t), _words(t.split(" - ")[0])) for t in c.items] for c in candidates]
        self.containing: dict[str, int] = {}
        for per_order in self.lines:
            for word in set().union(*(w for _, w, _ in per_order)) if per_order else ():
                self.containing[word] = self.containing.get(word, 0) + 1
        self.n = len(candidates)

    def weight(self, asked: set[str], words: set[str]) -> float:
        """Rarer words weigh more; a phrase ("red+plaid") weighs as its two words found together would."""
        return sum(math.log((self.n + 1) / self.containing[w]) * (2 if "+" in w else 1) for w in asked & words)

    def scores(self, asked: set[str], *, names_only: bool = False) -> list[float]:
        """Per order: the weight of the asked words found in its best-matching title (or title's product
        name, without the variant, when `names_only`)."""
        return [max((self.weight(asked, name if names_only else words) for _, words, name in per_order),
                    default=0.0) for per_order in self.lines]


_QUANTITY = re.compile(
    r"(?<![\w.$,])(\d{1,2}|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dos|tres|cuatro|cinco|seis|"
    r"(?:a\s)?(?:pair|couple)\sof|un par de)\s+(?:(?:of|de)\s+(?:the|those|these|my|los|las|mis)\s+)?"
    r"([a-z][a-z'-]{1,20})(?:\s+([a-z][a-z'-]{1,20}))?", _I)


def _quantity_matches(text: str, candidates: Sequence[Candidate], titles: _Titles) -> list[bool]:
    """Per order: whether a quantity the message gives ("two griddles", "3 bags") is the quantity of a line
    whose title has the words that follow it."""
    hits = [False] * len(candidates)
    units = _terms().units
    for m in _QUANTITY.finditer(text):
        raw = m.group(1).lower()
        n = int(raw) if raw.isdigit() else _NUMBER_WORDS.get(raw, 2)
        if n < 2 or m.group(2).lower() in units:  # "12 inch skillet" is a size, not twelve skillets
            continue
        asked = _message_words(" ".join(g for g in m.groups()[1:] if g))
        for i, (c, lines) in enumerate(zip(candidates, titles.lines, strict=True)):
            if len(c.quantities) == len(c.items) and any(
                    q == n and asked & words for (_, words, _), q in zip(lines, c.quantities, strict=True)):
                hits[i] = True
    return hits


_SEPARATE = re.compile(r"\b(?:but|though|although|however|pero|aunque)\b|[.!?;\n]", _I)
_JOIN = re.compile(r",|&|\+|/|\b(?:and|plus|as well as|also|along with|together with|y|e|adem[aá]s)\b", _I)


def _named_orders(text: str, titles: _Titles) -> list[int]:
    """The orders the message names one by one ("both the path lights and the apron"): products joined by
    "and" or commas in one sentence, each naming one order's product clearly. Products set against each
    other ("the skillet is great, but the kettle never came") are not named together."""
    for part in _SEPARATE.split(text):
        named: list[int] = []
        for piece in _JOIN.split(part):
            scores = titles.scores(_message_words(piece), names_only=True)
            best = max(scores, default=0.0)
            if best <= 0:
                continue
            top = [i for i, s in enumerate(scores) if PRODUCT_WEIGHT * (best - s) / best < CLOSE]
            if len(top) == 1 and top[0] not in named:
                named.append(top[0])
        if len(named) >= 2:
            return named
    return []


# ---------------------------------------------------------------- state and amount

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
_INTENT_STATES: dict[str, frozenset[str]] = {  # the states each request can apply to (the intent table)
    name: s.order_states for name, s in INTENT_TABLE.items() if s.order_states is not None}
_AMOUNT = re.compile(r"\$\s?(\d{1,5}(?:,\d{3})*(?:\.\d{2})?)|\b(\d{1,5}\.\d{2})\b|\b(\d{1,5}) (?:dollars|bucks)\b", _I)


def _states_fit(candidate: Candidate, states: frozenset[str]) -> bool:
    if "returned" in states and candidate.has_return:
        return True
    return candidate.status in states


def _arrived(c: Candidate) -> bool:
    """Delivered, or a parcel of it delivered while the rest is still on its way."""
    return c.status == "delivered" or (c.status in UNDELIVERED and c.delivered_at is not None)


# What each request can be about at all: an order outside it makes the request impossible, not just unlikely.
_CAN_APPLY: dict[str, Callable[[Candidate], bool]] = {
    "cancel_order": lambda c: c.status in UNSHIPPED,
    "change_address": lambda c: c.status in UNDELIVERED,
    "return_request": _arrived,
    "damaged_or_wrong_item": _arrived,
    "refund_status": lambda c: c.has_return or bool(c.refunded_amounts) or c.status in ("cancelled", "returned"),
    "delivered, not received": _arrived,  # a state the message describes, whatever the intent
}


def state_cues(text: str) -> list[tuple[str, frozenset[str]]]:
    """The order states the message describes, most specific first ("says delivered but" beats "not here")."""
    found = [(name, states) for name, states, pattern in _CUES if pattern.search(text)]
    names = {n for n, _ in found}
    if "delivered, not received" in names:
        found = [f for f in found if f[0] not in ("not arrived", "received")]
    if "sent back" in names:
        found = [f for f in found if f[0] != "received"]
    return found


def amounts(text: str) -> list[Decimal]:
    found = []
    for m in _AMOUNT.finditer(text):
        raw = next(g for g in m.groups() if g)
        try:
            found.append(Decimal(raw.replace(",", "")))
        except InvalidOperation:
            continue
    return found


# ---------------------------------------------------------------- recency

# "my last order", "the order I just placed", "mi último pedido", "el pedido que acabo de hacer": the customer
# points at their newest order. Read on folded text (no accents). Never a time ("last week", "last month": those
# are dates, read below) and never something of ours ("the last one you sent"): an order or purchase of theirs.
# "What I ordered last" ends there ("what I ordered last week" is a time).
_LATEST = r"(?:very\s+)?(?:last|latest|most\s+recent|newest|recent)"
_BOUGHT = r"(?:placed|made|ordered|bought|purchased|submitted)"
_RECENT_ORDER = re.compile(
    rf"\b(?:my|our)\s+{_LATEST}\s+(?:order|purchase)(?![\w-])"
    rf"|\bthe\s+{_LATEST}\s+(?:order|purchase|thing|item|one)\s+(?:that\s+)?(?:i|we)(?:'ve|\s+have)?\s+"
    rf"(?:just\s+)?{_BOUGHT}\b"
    rf"|\b(?:the\s+)?(?:order|purchase)\s+(?:that\s+)?(?:i|we)(?:'ve|\s+have)?\s+(?:just|recently)\s+{_BOUGHT}\b"
    rf"|\b(?:what|the\s+one|the\s+thing|the\s+stuff)\s+(?:i|we)\s+(?:ordered|bought|purchased)\s+last\b(?!\s*[a-z])"
    r"|\b(?:mi|nuestro|nuestra)\s+(?:ultim[oa]|mas\s+reciente)\s+(?:pedido|compra|orden)\b"
    r"|\b(?:mi|el|la|nuestro|nuestra)\s+(?:pedido|compra|orden)\s+mas\s+reciente\b"
    r"|\b(?:el|la)\s+ultim[oa]\s+(?:pedido|compra|orden)\s+que\s+(?:hice|hicimos|realice|realizamos)\b"
    r"|\b(?:el|la|lo)\s+(?:pedido\s+|compra\s+|orden\s+)?que\s+acab(?:o|amos)\s+de\s+"
    r"(?:hacer|realizar|pedir|comprar|ordenar)\b"
    r"|\blo\s+ultimo\s+que\s+(?:pedi|compre|ordene)\b")
# "than my last order", "since my last order": another order set against it, or a time after it
_NOT_THIS = re.compile(r"\b(?:than|unlike|like|as|since|before|after|que|como|desde|antes\s+de|despues\s+de)\s+"
                       r"(?:with\s+|con\s+)?$")


def recency_cue(text: str) -> bool:
    """Whether the message points at the customer's newest order ("my last order", "mi último pedido")."""
    folded = _fold(text[:MAX_TEXT])
    return any(not _NOT_THIS.search(folded[max(0, m.start() - 20):m.start()])
               for m in _RECENT_ORDER.finditer(folded))


def _newest(pool: Sequence[Candidate], among: Iterable[int]) -> list[int]:
    """The newest of the orders `among` (several when placed the same day: recency cannot tell those apart)."""
    indexes = list(among)
    latest = max((pool[i].placed_at for i in indexes), default=None)
    return [i for i in indexes if pool[i].placed_at == latest]


# ---------------------------------------------------------------- time

@dataclass(frozen=True)
class TimeCue:
    """A time the message gives, as an inclusive window, which of the order's dates it is about (from the
    verb nearest to it), and where it is in the text."""

    start: date
    end: date
    refers_to: DateKind
    span: tuple[int, int]


_WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
             "lunes": 0, "martes": 1, "miercoles": 2, "miércoles": 2, "jueves": 3, "viernes": 4, "sabado": 5,
             "sábado": 5, "domingo": 6}
_MONTHS = {"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4, "may": 5,
           "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
           "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
           "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7, "agosto": 8,
           "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12}
_WEEKDAY_RE = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_FULL_MONTH_RE = "|".join(m for m in sorted(_MONTHS, key=len, reverse=True)
                          if len(m) > 3 and m not in ("march", "sept"))  # bare "may", "march": verbs too
_COUNTS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
           "couple": 2, "few": 3, "several": 4, "un": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5,
           "seis": 6, "par": 2, "pocos": 3, "pocas": 3, "unos": 3, "unas": 3, "algunos": 3, "algunas": 4}
_UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "d": 1, "s": 7, "m": 30}  # día, semana, mes by first letter
_PARTS = {"early": "early", "beginning": "early", "start": "early", "principios": "early", "comienzos": "early",
          "mid": "mid", "middle": "mid", "mediados": "mid", "late": "late", "end": "late", "finales": "late",
          "fines": "late"}
Window = tuple[date, date]


def _last_weekday(today: date, name: str) -> Window:
    back = (today.weekday() - _WEEKDAYS[name.lower()]) % 7 or 7
    day = today - timedelta(days=back)
    return day, day


def _this_weekday(today: date, name: str) -> Window:
    """"this Monday" said on a Thursday is three days ago; "this Saturday" is still to come (an empty window)."""
    back = today.weekday() - _WEEKDAYS[name.lower()]
    day = today - timedelta(days=back)
    return (day, day) if back >= 0 else (today + timedelta(days=1), today)


def _month_window(today: date, month: int, part: str | None = None) -> Window | None:
    year = today.year if month <= today.month else today.year - 1
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    if part == "early":
        end = start + timedelta(days=9)
    elif part == "mid":
        start, end = start + timedelta(days=7), start + timedelta(days=21)
    elif part == "late":
        start = start + timedelta(days=19)
    return (start, min(end, today)) if start <= today else None


def _dated(today: date, month: int, day: int, year: int | None = None) -> Window | None:
    if year is None:
        year = today.year if month <= today.month else today.year - 1
    try:
        exact = date(year, month, day)
    except ValueError:
        return None
    return exact - timedelta(days=1), exact + timedelta(days=1)


def _ago(today: date, count: str, unit: str, or_two: bool = False) -> Window:
    n = int(count) if count.isdigit() else _COUNTS[count.lower()]
    unit_days = _UNIT_DAYS.get(unit.lower(), _UNIT_DAYS.get(unit.lower()[:1], 1))
    low, high = unit_days * n, unit_days * (n + 1 if or_two else n)
    slack = max(1, low // 3)
    return today - timedelta(days=high + slack), today - timedelta(days=max(0, low - slack))


def _nth(today: date, day: int) -> Window | None:
    month_start = today.replace(day=1)
    if day <= today.day:
        return _dated(today, today.month, day, today.year)
    previous = month_start - timedelta(days=1)
    return _dated(today, previous.month, day, previous.year)


_Handler = Callable[[re.Match[str], date], Window | None]
# (pattern, window from the match, whether the phrase needs a verb to be read as past, or the date it is about
# when the verb is part of it: "just ordered"). Earlier patterns win where two overlap ("Nov 14" before "in
# Nov"; "the day before yesterday" before "yesterday").
_TIMES: tuple[tuple[re.Pattern[str], _Handler, bool | DateKind], ...] = (
    (re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(20\d\d))?\b", _I),
     lambda m, t: _dated(t, _MONTHS[m.group(1).lower()], int(m.group(2)), int(m.group(3)) if m.group(3) else None),
     False),
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+|de\s+)?({_MONTH_RE})\b", _I),
     lambda m, t: _dated(t, _MONTHS[m.group(2).lower()], int(m.group(1))), False),
    (re.compile(r"(?<![\d/])(1[0-2]|0?[1-9])/(3[01]|[12]\d|0?[1-9])(?:/(\d{4}|\d{2}))?(?![\d/])"),
     lambda m, t: _dated(t, int(m.group(1)), int(m.group(2)),
                         (int(m.group(3)) % 100 + 2000) if m.group(3) else None), True),  # not "10/10, love it"
    (re.compile(r"\b(?:the day before yesterday|anteayer|antier|antes de ayer)\b", _I),
     lambda m, t: (t - timedelta(days=2), t - timedelta(days=2)), False),
    (re.compile(r"\b(?:yesterday|ayer)\b", _I), lambda m, t: (t - timedelta(days=1), t - timedelta(days=1)), False),
    (re.compile(r"\b(?:last night|anoche)\b", _I), lambda m, t: (t - timedelta(days=1), t), False),
    (re.compile(r"\b(?:earlier today|today|this morning|this afternoon|tonight|hoy|esta ma[ñn]ana|esta tarde|"
                r"an hour ago|a few hours ago)\b", _I), lambda m, t: (t, t), True),
    (re.compile(r"\bjust\s+(?:now\s+)?(?:ordered|bought|placed|purchased|paid)\b|\b(?:acabo|acabamos) de\s+"
                r"(?:pedir|comprar|ordenar|hacer (?:el|un) pedido)\b|\breci[ée]n (?:pedid|comprad)\w*", _I),
     lambda m, t: (t - timedelta(days=3), t), "placed"),
    (re.compile(r"\b(?:last weekend|past weekend|over the weekend|this past weekend|el fin de semana pasado|"
                r"este fin de semana pasado)\b", _I),
     lambda m, t: ((sat := t - timedelta(days=(t.weekday() - 5) % 7 or 7)) - timedelta(days=1),
                   sat + timedelta(days=1)), False),  # Friday night to Sunday
    (re.compile(r"\b(?:earlier this week|this week|esta semana)\b", _I),
     lambda m, t: (t - timedelta(days=t.weekday()), t), False),
    (re.compile(r"\b(?:last week|la semana pasada)\b", _I),
     lambda m, t: ((s := t - timedelta(days=t.weekday() + 7)), s + timedelta(days=6)), False),
    (re.compile(r"\b(?:last month|el mes pasado)\b", _I),
     lambda m, t: ((end := t.replace(day=1) - timedelta(days=1)).replace(day=1), end), False),
    (re.compile(r"\b(?:earlier this month|this month|este mes)\b", _I), lambda m, t: (t.replace(day=1), t), False),
    (re.compile(r"\b(?:a\s+|an\s+|one\s+)(day|week|month)\s+or\s+two\s+(?:ago|back|earlier)\b", _I),
     lambda m, t: _ago(t, "1", m.group(1), or_two=True), False),
    (re.compile(r"\b(?:a\s+)?(\d{1,2}|an?|one|two|three|four|five|six|seven|eight|couple|few|several)(?:\s+of)?\s+"
                r"(day|week|month)s?\s+(?:ago|back|earlier)\b", _I),
     lambda m, t: _ago(t, m.group(1), m.group(2)), False),
    (re.compile(r"\bhace\s+(?:un\s+)?(\d{1,2}|una?|dos|tres|cuatro|cinco|seis|par|pocos|pocas|unos|unas|algunos|"
                r"algunas)(?:\s+de)?\s+(d)[ií]as?\b|\bhace\s+(?:un\s+)?(\d{1,2}|una?|dos|tres|cuatro|cinco|seis|par|"
                r"pocas|unas|algunas)(?:\s+de)?\s+(s)emanas?\b|\bhace\s+(?:un\s+)?(\d{1,2}|una?|dos|tres|cuatro|par|"
                r"unos|algunos)(?:\s+de)?\s+(m)es(?:es)?\b", _I),
     lambda m, t: _ago(t, *[g for g in m.groups() if g][:2]), False),
    (re.compile(r"\b(?:the other day|el otro d[ií]a|a few days back|hace unos d[ií]as|hace poco)\b", _I),
     lambda m, t: (t - timedelta(days=10), t - timedelta(days=1)), False),
    (re.compile(rf"\b(?:(?:at|in|by|around|towards?)\s+)?(?:the\s+)?(early|beginning|start|mid|middle|late|end)"
                rf"(?:\s+of)?\s*-?\s*({_MONTH_RE})\b(?!\s*\d)", _I),
     lambda m, t: _month_window(t, _MONTHS[m.group(2).lower()], _PARTS[m.group(1).lower()]), False),
    (re.compile(rf"\b(?:a\s+)?(principios|comienzos|mediados|finales|fines)\s+de\s+({_MONTH_RE})\b", _I),
     lambda m, t: _month_window(t, _MONTHS[m.group(2).lower()], _PARTS[m.group(1).lower()]), False),
    (re.compile(rf"\b(?:in|during|en|de|del mes de)\s+({_MONTH_RE})\b(?!\s*\d)", _I),  # "back" stays a verb's
     lambda m, t: _month_window(t, _MONTHS[m.group(1).lower()]), False),
    (re.compile(rf"\b(?:last|this past|past)\s+({_WEEKDAY_RE})\b|\b(?:el\s+)?({_WEEKDAY_RE})\s+pasado\b", _I),
     lambda m, t: _last_weekday(t, m.group(1) or m.group(2)), False),
    (re.compile(rf"\b(?:from|del)\s+({_WEEKDAY_RE})\b", _I),
     lambda m, t: _last_weekday(t, m.group(1)), False),
    (re.compile(rf"\b(?:this|este)\s+({_WEEKDAY_RE})\b", _I), lambda m, t: _this_weekday(t, m.group(1)), True),
    (re.compile(rf"\b(?:on\s+|el\s+)?({_WEEKDAY_RE})(?:'s|\u2019s)?\b", _I),
     lambda m, t: _last_weekday(t, m.group(1)), True),
    (re.compile(r"\bon\s+the\s+(\d{1,2})(?:st|nd|rd|th)\b", _I), lambda m, t: _nth(t, int(m.group(1))), True),
    (re.compile(rf"\b({_FULL_MONTH_RE})(?:'s|\u2019s)?\b(?!\s*\d)", _I),
     lambda m, t: _month_window(t, _MONTHS[m.group(1).lower()]), True),
)

# Which date a time is about: the verb nearest to it in its clause. Returns are looked for first, so "sent it
# back Monday" is the return and not a shipment.
_VERBS: tuple[tuple[DateKind, re.Pattern[str]], ...] = (
    ("returned", re.compile(
        r"\b(?:returned|sent|went|mailed|shipped|dropped|took|brought|posted|delivered|received|got|arrived|came)\b"
        r"(?:\s+[\w']{1,20}){0,3}?\s+back\b|\breturn(?:ed)?\s+(?:(?:package|parcel|shipment|box|label)\s+)?"
        r"(?:(?:was|got|has been|had been|is)\s+)?(?:delivered|received|arrived|scanned|dropped off)\b"
        r"|\bdropped\s+(?:it|them|(?:the|my)\s+\w{1,20})\s+off\b|\b(?:returned|devolv\w*|devolu\w*|regres[ée]\w*)\b"
        r"|\b(?:you|your (?:warehouse|store|team))\s+(?:have\s+|'ve\s+|already\s+)?(?:received|got|recieved)\b"
        r"|\b(?:received|got)\s+(?:the|my)\s+return\b|\b(?:delivered|arrived|came)\s+(?:back\s+)?to\s+(?:you|your)\b",
        _I)),
    ("cancelled", re.compile(r"\b(?:cancell?ed|cancel[ée]|cancelad[oa]|cancelamos)\b", _I)),
    ("placed", re.compile(
        r"\b(?:order(?:ed|s)?|orderd|bought|purchased?|placed|paid|checked out|pre-?ordered|ped[ií]|pedimos|"
        r"pedido|compr[ée]|compramos|comprad[oa]|orden[ée]|ordenamos)\b", _I)),
    ("shipped", re.compile(
        r"\b(?:shipped|ships|sent|sent out|dispatched|went out|left the warehouse|mandaron|enviaron|enviad[oa]|"
        r"envi[oó]|despach\w*)\b", _I)),
    ("delivered", re.compile(
        r"\b(?:arriv\w*|came|deliver\w*|got|gotten|received|showed up|turned up|landed|lleg\w*|recib\w*|entreg\w*)\b",
        _I)),
)
_CLAUSE = re.compile(r"[.!?;,\n]|\b(?:but|though|although|however|pero|aunque)\b", _I)
_CLAUSE_AFTER = re.compile(r"[.!?;,\n]|\b(?:but|though|although|however|pero|aunque|and|then|y|luego)\b", _I)
# An expected or future date ("supposed to arrive Monday", "estimated delivery Friday", "by Friday") is not
# a date the order has: it is not read as one.
_EXPECTED = re.compile(
    r"\b(?:supposed|due|expect\w*|estimated|scheduled|promised|eta|should|will|would|won'?t|wont|gonna|going to|"
    r"arriving|coming|delivering|shipping|se supon\w*|iba a|va a|deber[ií]a\w*|estimad\w*|previst\w*|"
    r"programad\w*|llegar[áa]n?|enviar[áa]n?)\b", _I)
_UPCOMING = re.compile(r"\b(?:by|until|till|til|before|next|coming|upcoming|para|antes del?|hasta|pr[oó]xim[oa])"
                       r"\s+(?:(?:this|the|el|la)\s+)?$", _I)
_VERB_REACH = 80  # characters: a verb further from the time than this says nothing about it
_NEGATED = re.compile(r"(?:\b(?:do|does|did|has|have|had|is|was|were|are|ca|wo|could|should|would)n'?t|\bnot|\bnever|"
                      r"\bno|\bnunca)\s+(?:(?:yet|been|even|me|lo|la|los|las|le|les|se|nos|ha|"
                      r"han|he|has)\s+){0,2}$", _I)
_NOUN = re.compile(r"(?:order|orders|pedido|purchase)", _I)
_NOUN_DISTANCE = 30  # the noun "order" names the order date less surely than a verb ("I cancelled order X Monday")


def _refers_to(text: str, span: tuple[int, int], needs_verb: bool, promised: bool = False) -> DateKind | None:
    """The date a time is about, from the nearest verb in its clause (a verb after it counts a little less:
    "Monday's order" still reads as the order date); None when the time is expected, not past, or, with
    `promised`, the order's promised dates when a past promise is told ("was supposed to be here Monday")."""
    start, end = span
    before = text[max(0, start - 160):start]
    cuts = [m.end() for m in _CLAUSE.finditer(before)]
    left = max(0, start - 160) + (cuts[-1] if cuts else 0)
    after = _CLAUSE_AFTER.search(text, end, min(len(text), end + 160))  # "ordered it Sunday and got an email"
    if after and after.group(0) == "," and not text[left:start].strip(" \t\"'(-"):
        after = _CLAUSE_AFTER.search(text, after.end(), min(len(text), end + 160))  # "On Monday, I ordered ..."
    right = after.start() if after else min(len(text), end + 160)
    best: tuple[float, DateKind, int, str] | None = None
    taken: list[tuple[int, int]] = []
    for kind, pattern in _VERBS:
        for m in pattern.finditer(text, left, right):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            taken.append(m.span())
            if _NEGATED.search(text[max(left, m.start() - 16):m.start()]):
                continue  # "hasn't shipped Monday's order": no date of shipping
            distance = start - m.end() if m.end() <= start else 1.5 * (m.start() - end)
            distance += _NOUN_DISTANCE if _NOUN.fullmatch(m.group(0)) else 0
            if 0 <= distance <= _VERB_REACH and (best is None or distance < best[0]):
                best = (distance, kind, m.start(), m.group(0))
    if promised and PROMISED.search(text[left:start]):
        return "promised"
    if _UPCOMING.search(text[max(left, start - 25):start]):
        return None
    if best is None:
        return None if needs_verb or _EXPECTED.search(text[left:start]) else "any"
    _, kind, verb_at, _ = best
    lead = text[max(left, min(verb_at, start) - 30):start]
    return None if _EXPECTED.search(lead) else kind


def time_cues(text: str, today: date, *, promised: bool = False) -> list[TimeCue]:
    """Every past time the message gives, in text order, each with the order date it is about; with
    `promised`, also past times a promise named ("you told me it would ship Monday")."""
    text = text[:MAX_TEXT]
    taken = bytearray(len(text))
    found: list[tuple[tuple[int, int], Window, bool | DateKind]] = []
    for pattern, handler, needs_verb in _TIMES:
        for m in pattern.finditer(text):
            if any(taken[m.start():m.end()]):
                continue
            window = handler(m, today)
            if window is None:  # not a date after all ("Feb 30"): another pattern may read these words
                continue
            taken[m.start():m.end()] = b"\x01" * (m.end() - m.start())
            if window[0] <= window[1]:  # an empty window is a time still to come ("this Saturday")
                found.append((m.span(), window, needs_verb))
    blanked = "".join(" " if flag else ch for ch, flag in zip(text, taken, strict=True))
    cues = []
    for span, (start, end), verb in sorted(found, key=lambda f: f[0])[:MAX_TIMES]:
        kind = verb if isinstance(verb, str) else _refers_to(blanked, span, needs_verb=verb, promised=promised)
        if kind is not None:
            cues.append(TimeCue(start, end, kind, span))
    return cues


def date_window(text: str, today: date) -> Window | None:
    """The first past time the message gives, as an inclusive window ("last weekend", "3 weeks ago",
    "Monday", "end of October", "Nov 14"); None when the message gives no time."""
    cues = time_cues(text, today)
    return (cues[0].start, cues[0].end) if cues else None


# ---------------------------------------------------------------- resolving

def on_channel(candidates: Iterable[Candidate], platform: str) -> list[Candidate]:
    """The orders a message on this channel can be about: the same marketplace, or the store family."""
    return [c for c in candidates if same_store(c.platform, platform)]


def _blank(text: str, spans: Iterable[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def ready_for(intent: str, group: Sequence[Candidate]) -> list[Candidate]:
    """The orders of `group` in a state the action can be taken on now (unshipped for a cancellation or an
    address change, delivered for a return); every order for a request that is not an action."""
    states = _INTENT_STATES.get(intent)
    if intent not in ACTIONS or states is None:
        return list(group)
    return [c for c in group if _states_fit(c, states)]


def _tie_break(group: list[Candidate], intent: str, described: list[str], today: date,
               dated: bool) -> tuple[list[Candidate], str]:
    """Among equally plausible orders: drop those the request cannot apply to; for an action, keep the one
    order it can be taken on now, and never let recency choose among several that could take it; otherwise,
    for a time-sensitive request with no time given, prefer the one recent order over months-old ones."""
    why = ""
    rules = [_CAN_APPLY[k] for k in (intent, *described) if k in _CAN_APPLY]
    possible = [c for c in group if all(rule(c) for rule in rules)]
    if possible and len(possible) < len(group):
        group, why = possible, "the only one the request can apply to"
    if intent in ACTIONS and len(group) > 1 and (ready := ready_for(intent, group)):
        if len(ready) == 1:
            return ready, "the only one in the state the action needs"
        if intent == "return_request" and len(open_ := _window_open(ready, today)) == 1:
            return open_, "the only one still inside its return window"
        return group, why  # several could take the action: which one is the customer's to say, not a guess
    if len(group) > 1 and not dated and (intent in TIME_SENSITIVE or "delivered, not received" in described):
        age = {c.order_id: (today - max(c.dates("any"))).days for c in group}  # since it last moved
        recent = [c for c in group if age[c.order_id] <= RECENT_DAYS]
        if len(recent) == 1 and all(age[c.order_id] >= STALE_DAYS for c in group if c is not recent[0]):
            group, why = recent, "the only recent one"
    return group, why


def _window_open(group: Sequence[Candidate], today: date) -> list[Candidate]:
    """The delivered orders a changed-mind return can still start on: one whose window closed cannot take the
    action any more than an unshipped one can (a defect's remedy past the window is the damage plan's)."""
    return [c for c in group if c.return_window_ends is not None and c.return_window_ends >= today]


def _place_matches(text: str, pool: Sequence[Candidate]) -> list[bool]:
    """Which orders ship to a city the message names, as whole words ("va para Tampa", "my mom's in St. Louis")."""
    def named(city: str | None) -> bool:
        if not city or len(city) < 3:
            return False
        words = r"\W+".join(re.escape(w) for w in re.findall(r"\w+", city))
        return bool(words) and re.search(rf"(?<!\w){words}(?!\w)", text, _I) is not None
    return [named(c.ship_to_city) for c in pool]


def resolve(text: str, intent: str, candidates: Sequence[Candidate], *, today: date, platform: str) -> Resolution:
    """The order the message means, or the few it may mean (best first) when the cues do not settle it."""
    pool = on_channel(candidates, platform)
    if not pool:
        return Resolution(None, reason="no orders on this channel")
    if len(pool) == 1:
        return Resolution(pool[0].order_id, pool, reason="the only order on this channel")
    text = text[:MAX_TEXT]
    times = time_cues(text, today, promised=any(c.deliver_by or c.ship_by for c in pool))
    said = amounts(text)
    words_text = _blank(text, [t.span for t in times] + [m.span() for m in _AMOUNT.finditer(text)])
    titles = _Titles(pool)
    cues: list[str] = []
    scores = [0.0] * len(pool)
    roles = product_roles(words_text)
    words_text = _blank(words_text, roles.aside + roles.excluded)  # what the request itself names
    product = _product_scores(titles, _message_words(words_text), roles, text)
    if any(product):
        top = max(product)
        cues.append("product")
        for i, s in enumerate(product):
            scores[i] += PRODUCT_WEIGHT * s / top  # the best product match counts most, the others in proportion
    others = _not_excluded(titles, roles, text)
    if any(others) and not all(others):
        cues.append("not that one")
        for i, hit in enumerate(others):
            scores[i] += EXCLUDED_WEIGHT * hit
    quantity = _quantity_matches(words_text, pool, titles)
    if any(quantity):
        cues.append("quantity")
        for i, hit in enumerate(quantity):
            scores[i] += QUANTITY_WEIGHT * hit
    if said:
        cues.append("amount")
        for i, c in enumerate(pool):
            if any(abs(have - a) <= Decimal("0.01") for have in c.amounts() for a in said):
                scores[i] += AMOUNT_WEIGHT
    places = _place_matches(words_text, pool)
    if any(places) and not all(places):  # a city every order goes to tells none apart
        cues.append("place")
        for i, hit in enumerate(places):
            scores[i] += PLACE_WEIGHT * hit
    date_hits = [0] * len(pool)
    if times:
        cues.append("date")
        for i, c in enumerate(pool):
            date_hits[i] = sum(any(t.start <= d <= t.end for d in c.dates(t.refers_to)) for t in times)
            scores[i] += DATE_WEIGHT * date_hits[i] / len(times)
    described = [d for d in state_cues(text) if not (intent == "refund_status" and d[0] == "not arrived")]
    if described:
        cues.append("state")
        for i, c in enumerate(pool):
            if _states_fit(c, described[0][1]):
                scores[i] += STATE_WEIGHT
    promise = _promise_fits(delivery_cues(text), pool, today)
    if any(promise) and len(set(promise)) > 1:  # a situation every order is in tells none apart
        cues.append("delivery")
        for i, share in enumerate(promise):
            scores[i] += PROMISE_WEIGHT * share
    if recency_cue(text):  # the newest of the orders the other cues leave plausible: the customer's own pointer
        cues.append("recency")
        top = max(scores)
        for i in _newest(pool, (i for i, s in enumerate(scores) if top - s < CLOSE)):
            scores[i] += RECENCY_WEIGHT
    names = [d[0] for d in described]
    states = _INTENT_STATES.get(intent)
    if not cues:  # nothing in the message: what the request needs (an unshipped order to cancel...) decides
        fitting = [c for c in pool if states and _states_fit(c, states)]
        group, why = _tie_break(fitting or pool, intent, names, today, dated=False)
        if len(group) == 1:
            return Resolution(group[0].order_id, group,
                              reason=f"the only order that can be meant ({intent})" + (f": {why}" if why else ""))
        return _ask(intent, group, [], "no cue in the message")
    if states:  # a tie-breaker only: a cue always outweighs what the intent makes likely
        for i, c in enumerate(pool):
            if _states_fit(c, states):
                scores[i] += LIKELY_STATE_WEIGHT
    ranked = sorted(range(len(pool)), key=lambda i: (-scores[i], -pool[i].placed_at.toordinal()))
    best = scores[ranked[0]]
    named = _named_orders(words_text, titles) if "product" in cues else []
    if len(named) >= 2 and ranked[0] in named:  # several orders named together, and the request is about them
        return Resolution(None, [pool[i] for i in named], cues, reason="the message names several orders",
                          order_ids=[pool[i].order_id for i in named])
    by_id = {c.order_id: scores[i] for i, c in enumerate(pool)}
    close_at = [i for i in ranked if best - scores[i] < CLOSE]
    close = [pool[i] for i in close_at]
    # a time that fits none of them ("delivered Saturday" when the scan says Sunday) tells them apart no better
    # than no time at all: recency may still decide
    dated = any(date_hits[i] for i in close_at)
    group, why = _tie_break(close, intent, names, today, dated=dated) if best >= MIN_SCORE else (close, "")
    reason = "matched on " + ", ".join(cues) + (f"; {why}" if why else "")
    if len(group) == 1 and by_id[group[0].order_id] >= MIN_SCORE:
        return Resolution(group[0].order_id, group, cues, reason=reason)
    return _ask(intent, group, cues, "several orders fit " + ", ".join(cues))


def names_products_of(text: str, candidate: Candidate) -> bool:
    """Whether the message names a product of this order ("return the tailgate grill"), by the same product
    match the resolver scores orders with; for an order the resolver picked as the only one, with no cue read."""
    text = text[:MAX_TEXT]
    roles = product_roles(text)
    return any(_product_scores(_Titles([candidate]), _message_words(_blank(text, roles.aside + roles.excluded)),
                               roles, text))


def _spans_text(text: str, spans: Iterable[tuple[int, int]]) -> str:
    return " . ".join(text[s:e] for s, e in spans)


def _product_scores(titles: _Titles, asked: set[str], roles: ProductRoles, text: str) -> list[float]:
    """Per order, the product cue: the products the request names. A product set aside (kept, fine, sent by
    mistake) counts only when the request names none of its own ("the grinders shipped, fine, cancel the
    rest": the grinders' order), and then, for "the rest", only orders with lines besides it."""
    scores = titles.scores(asked)
    if any(scores) or not roles.aside:
        return _undominated(titles, asked, scores)
    aside = _message_words(_spans_text(text, roles.aside))
    scores = titles.scores(aside)
    if roles.rest:
        scores = [s if any(not titles.weight(aside, words) for _, words, _ in lines) else 0.0
                  for s, lines in zip(scores, titles.lines, strict=True)]
    return scores


def _undominated(titles: _Titles, asked: set[str], scores: list[float]) -> list[float]:
    """Scores with an order dropped when another order carries every word of the request it carries and more:
    "the High Desert coffee bags" fits the High Desert coffee orders, not the High Desert blanket's, although
    the blanket shares the line name (weighed by rarity alone, the shared words kept it close)."""
    matched = [asked & set().union(*(words for _, words, _ in lines)) if lines else set() for lines in titles.lines]
    return [0.0 if s and any(matched[i] < other for other in matched) else s for i, s in enumerate(scores)]


def _not_excluded(titles: _Titles, roles: ProductRoles, text: str) -> list[bool]:
    """Per order, whether it carries none of the products the message sets against the one meant ("not the
    one with the plates"); all False when it sets none against it."""
    if not roles.excluded:
        return [False] * titles.n
    return [not s for s in titles.scores(_message_words(_spans_text(text, roles.excluded)))]


def _situation_fits(kind: str, c: Candidate, today: date) -> bool:
    """Whether the order's records show the situation the message describes; unknown (the tool did not say)
    fits nothing, so an order is never favoured on a record it lacks."""
    open_parcels = [p for p in c.parcels if p != "delivered"]
    if kind == "late_delivery":
        return c.status in UNDELIVERED and c.deliver_by is not None and c.deliver_by < today
    if kind == "late_ship":
        unsent = c.status in UNSHIPPED or "label_created" in c.parcels
        return unsent and c.ship_by is not None and c.ship_by < today
    if kind == "stalled":
        quiet = c.last_scan_at is not None and (today - c.last_scan_at).days >= STALLED_DAYS
        return c.status in UNDELIVERED and bool(open_parcels) and (
            quiet or any(p in ("label_created", "exception", "lost") for p in open_parcels))
    if kind == "label_only":
        return "label_created" in c.parcels
    if kind == "traced":
        return any(p in ("exception", "lost") for p in c.parcels)
    return False


def _promise_fits(said: DeliveryCues, pool: Sequence[Candidate], today: date) -> list[float]:
    """Per order, the share of the parcel situations the message describes that its records show."""
    kinds = said.kinds()
    if not kinds:
        return [0.0] * len(pool)
    return [sum(_situation_fits(k, c, today) for k in kinds) / len(kinds) for c in pool]


def _ask(intent: str, group: list[Candidate], cues: list[str], reason: str) -> Resolution:
    """No order settled: the few to ask about. For an action, whether two or more of them could take it (the
    agent then asks which, and never proposes the action on either)."""
    ready = ready_for(intent, group) if intent in ACTIONS else []
    if len(ready) >= 2:
        reason = f"ambiguous for an action: {len(ready)} orders could take it ({reason})"
    return Resolution(None, group[:4], cues, reason=reason, for_action=len(ready) >= 2)
