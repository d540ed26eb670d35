"""Facts a reply states, bound to what they are about, checked against the evidence they come from.

Why this exists: a model that rewords a correct template can change a number, a unit, a city or whose
tracking number it is, and "does this value appear somewhere in the evidence" does not notice. Here every
fact carries its kind, a normalised value (and unit), and the entity the text ties it to (the order named
nearest to it). A fact maps when the evidence holds the same value for the same entity, or the template
draft (built only from evidence) states it. Strict kinds (tracking numbers, carriers, destinations) must
belong to the order the sentence is about; other kinds must at least not belong only to another order.

Two levels: `check_rewording`/`check_draft` (a model's text) need every fact to map; `ground_draft(...,
strict=False)` (every draft, in compliance) flags only contradictions and invented identifiers, because a
template or a person's edit may state policy the evidence does not spell out.

Pure functions and regexes: no model, no network, nothing read at import. Not checked soundly: a product
name not written "Northfork ..." and not in the evidence, a place named without a state, outside the known
cities and outside a "shipped/delivered to ..." phrase, a weekday that does not match its date, and
negations other than "no refund / return / tracking". Clock times map only to times written in a passage
or the template (a UTC timestamp does not say the parcel's local time).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Literal

from agent.speech_acts import act_changes
from tools.contacts import find_contacts
from tools.models import ID_BODY, ORDER_ID_ANY, TRACKING_ANY, US_STATES
from tools.sandbox import reference

FactKind = Literal[
    "order_id", "tracking_number", "amount", "date", "time", "quantity", "place", "carrier", "product_name",
    "person_name", "action_claim", "contact", "absence",
]


@dataclass(frozen=True)
class Fact:
    """One thing a text states. `value` is normalised so two wordings of the same fact compare equal."""

    kind: FactKind
    value: str
    text: str
    span: tuple[int, int] = (0, 0)
    unit: str | None = None
    entity: str | None = None  # the order id the text ties the fact to
    role: str | None = None  # place: destination | scan | street | facility; id: tracking | order
    implied: bool = False  # the text names no order: the entity is the only order the evidence is about


@dataclass(frozen=True)
class Unmapped:
    fact: Fact
    reason: str
    why: Literal["not_in_evidence", "other_entity", "contradicts"] = "not_in_evidence"


@dataclass(frozen=True)
class FactCheck:
    ok: bool
    unmapped: list[Unmapped] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


_I = re.IGNORECASE

# ---------------------------------------------------------------- vocabularies

STATE_NAMES: dict[str, str] = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA", "colorado": "CO",
    "connecticut": "CT", "delaware": "DE", "florida": "FL", "georgia": "GA", "hawaii": "HI", "idaho": "ID",
    "illinois": "IL", "indiana": "IN", "iowa": "IA", "kansas": "KS", "kentucky": "KY", "louisiana": "LA",
    "maine": "ME", "maryland": "MD", "massachusetts": "MA", "michigan": "MI", "minnesota": "MN",
    "mississippi": "MS", "missouri": "MO", "montana": "MT", "nebraska": "NE", "nevada": "NV",
    "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM", "new york": "NY", "north carolina": "NC",
    "north dakota": "ND", "ohio": "OH", "oklahoma": "OK", "oregon": "OR", "pennsylvania": "PA",
    "rhode island": "RI", "south carolina": "SC", "south dakota": "SD", "tennessee": "TN", "texas": "TX",
    "utah": "UT", "vermont": "VT", "virginia": "VA", "washington": "WA", "west virginia": "WV",
    "wisconsin": "WI", "wyoming": "WY", "puerto rico": "PR", "district of columbia": "DC",
}
# Cities the store ships to and its carriers route through; any other city is recognised with its state.
KNOWN_CITIES: frozenset[str] = frozenset(
    {c[0].lower() for c in reference.CITIES}
    | {loc.split(",")[0].lower() for locs in (*reference.HUBS.values(), *reference.ORIGINS.values())
       for loc in locs if "," in loc}
)
_CARRIERS = {"usps": "USPS", "u.s. postal service": "USPS", "us postal service": "USPS", "postal service": "USPS",
             "ups": "UPS", "fedex": "FedEx", "fed ex": "FedEx", "dhl": "DHL", "ontrac": "OnTrac",
             "lasership": "LaserShip", "amazon logistics": "Amazon Logistics", "amazon shipping": "Amazon Logistics"}
_CARRIER = re.compile(r"\b(?:USPS|U\.S\. Postal Service|US Postal Service|UPS|DHL)\b"
                      r"|(?i:\b(?:postal service|fed\s?ex|ontrac|lasership|amazon logistics|amazon shipping)\b)")
_NOT_PLACES = frozenset(
    "amazon walmart shopify tiktok ebay facebook instagram messenger northfork goods seller central your orders "
    "purchase history customer service support team order orders the a an our your this that my us".split()
)
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
          "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
          "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "forty-five": 45,
          "fifty": 50, "sixty": 60, "ninety": 90, "hundred": 100}
# Spanish number words ("dos días hábiles"); "once" (11) is left out: it is also an English word.
_WORDS_ES = {"un": 1, "una": 1, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
             "ocho": 8, "nueve": 9, "diez": 10, "doce": 12, "quince": 15, "veinte": 20, "treinta": 30,
             "cuarenta": 40, "cincuenta": 50, "sesenta": 60, "noventa": 90, "cien": 100}

# ---------------------------------------------------------------- ids

_ID = re.compile(rf"(?<![\w#-])(?:{ID_BODY})(?![\w-])", _I)
_TRACK_FULL = TRACKING_ANY
_ORDER_FULL = ORDER_ID_ANY
_GROUP = r"(?=[a-z]*\d)[a-z0-9]{2,6}"
_SPACED_ID = re.compile(rf"(?<![\w-]){_GROUP}(?: {_GROUP}){{2,}}(?![\w-])", _I)
# A label followed by a token with a digit: "tracking number 0x8A4E", "order no. A-77".
_LABELLED = re.compile(
    r"\b(?P<label>tracking|order)(?:\s+(?:number|no\.?|#|code|id|num))?(?:\s+(?:is|was|of|reads))?\s*[:#]?\s*"
    r"(?P<id>#?(?=[\w-]*\d)[A-Z0-9][A-Z0-9-]{3,}[A-Z0-9])(?![\w-])", _I)


def norm_id(value: str) -> str:
    return re.sub(r"[\s#]", "", value).upper()


def _ids(text: str) -> Iterator[Fact]:
    seen: set[tuple[int, int]] = set()
    for m in _ID.finditer(text):
        value = norm_id(m.group(0))
        role = "tracking" if _TRACK_FULL.fullmatch(value) and not _ORDER_FULL.fullmatch(m.group(0)) else "order"
        seen.add(m.span())
        yield Fact("order_id" if role == "order" else "tracking_number", value, m.group(0), m.span(), role=role)
    for m in _SPACED_ID.finditer(text):
        value = norm_id(m.group(0))
        if _TRACK_FULL.fullmatch(value) and not any(a <= m.start() < b for a, b in seen):
            seen.add(m.span())
            yield Fact("tracking_number", value, m.group(0), m.span(), role="tracking")
    for m in _LABELLED.finditer(text):
        span = m.span("id")
        if any(a <= span[0] < b or span[0] <= a < span[1] for a, b in seen):
            continue
        label = m.group("label").lower()
        yield Fact("tracking_number" if label == "tracking" else "order_id", norm_id(m.group("id")), m.group("id"),
                   span, role="labelled")


# ---------------------------------------------------------------- amounts, dates, times

_AMOUNT = re.compile(
    r"\$\s?(\d{1,3}(?:,\d{3})+|\d+)(\.\d{1,2})?(?!\d|\.\d)"
    r"|(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(\.\d{1,2})?\s?(?:USD|US\s+dollars|dollars)\b", _I)
_BARE_CENTS = re.compile(r"(?<![\w.])\d+\.\d{2}(?![\d.])")


def cents(value: object) -> str | None:
    try:
        return str(Decimal(str(value).replace(",", "").strip()).quantize(Decimal("0.01")))
    except (InvalidOperation, ValueError):
        return None


def _amounts(text: str) -> Iterator[Fact]:
    for m in _AMOUNT.finditer(text):
        whole, frac = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        value = cents(whole + (frac or ""))
        if value:
            yield Fact("amount", value, m.group(0).strip(), m.span())


_MONTH = (r"(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?"
          r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")
_MONTHS = {n: i for i, n in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                       "dec"), start=1)}
_DATE_MD = re.compile(rf"\b{_MONTH}\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?!\d)")
_DATE_DM = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\b")
_MONTH_ES = (r"(ene(?:ro)?|feb(?:rero)?|mar(?:zo)?|abr(?:il)?|may(?:o)?|jun(?:io)?|jul(?:io)?|ago(?:sto)?"
             r"|sep(?:tiembre)?|set(?:iembre)?|oct(?:ubre)?|nov(?:iembre)?|dic(?:iembre)?)")
_MONTHS_ES = {n: i for i, n in enumerate(("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov",
                                          "dic"), start=1)} | {"set": 9}
# "24 de noviembre", "1.º de mayo", "24 de nov."; and "noviembre 24" (full month names only: "mar" is a word)
_DATE_ES_DM = re.compile(rf"\b(\d{{1,2}})(?:\.?º|ro|er)?\s+de\s+{_MONTH_ES}\b", _I)
_DATE_ES_MD = re.compile(r"\b(enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre"
                         r"|noviembre|diciembre)\s+(\d{1,2})(?!\d)", _I)
_DATE_ISO = re.compile(r"(?<![\d-])(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_DATE_SLASH = re.compile(r"(?<![\d/.])(\d{1,2})/(\d{1,2})(/\d{4}|/\d{2})?(?![\d/])(?!\s*-?\s*(?:in\b|inch|\"|cups?\b"
                         r"|tsp|tbsp|oz\b|ounces?|lbs?\b|pounds?|qt\b|quarts?|gal|cm\b|mm\b|ft\b|feet|foot))", _I)
_DATETIME = re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?")


def _md(month: int, day: int) -> str | None:
    try:
        date(2024, month, day)  # a leap year, so February 29 counts
    except ValueError:
        return None
    return f"{month:02d}-{day:02d}"


def spanish_dates(text: str) -> Iterator[tuple[str, tuple[int, int], str]]:
    """(as written, span, 'MM-DD') for each Spanish calendar date ("martes, 24 de noviembre" states 11-24), so a
    Spanish reply's dates are verified like an English one's (the compliance check reads them too)."""
    for m in _DATE_ES_DM.finditer(text):
        if v := _md(_MONTHS_ES[m.group(2)[:3].lower()], int(m.group(1))):
            yield m.group(0), m.span(), v
    for m in _DATE_ES_MD.finditer(text):
        if v := _md(_MONTHS_ES[m.group(1)[:3].lower()], int(m.group(2))):
            yield m.group(0), m.span(), v


def _dates(text: str) -> Iterator[Fact]:
    for written, span, v in spanish_dates(text):
        yield Fact("date", v, written, span)
    for m in _DATE_MD.finditer(text):
        if v := _md(_MONTHS[m.group(1)[:3].lower()], int(m.group(2))):
            yield Fact("date", v, m.group(0), m.span())
    for m in _DATE_DM.finditer(text):
        if v := _md(_MONTHS[m.group(2)[:3].lower()], int(m.group(1))):
            yield Fact("date", v, m.group(0), m.span())
    for m in _DATE_ISO.finditer(text):
        if v := _md(int(m.group(2)), int(m.group(3))):
            yield Fact("date", v, m.group(0), m.span())
    for m in _DATE_SLASH.finditer(text):
        n, d = int(m.group(1)), int(m.group(2))
        mixed = re.search(r"\d\s$", text[: m.start()]) is not None
        if not m.group(3) and (mixed or (n < d and d in (2, 3, 4, 8))):
            continue  # kitchen fractions ("1/2 full", "1 3/4") are not dates
        if v := _md(n, d):
            yield Fact("date", v, m.group(0), m.span())


_TIME = re.compile(r"(?<![\d:])(\d{1,2})(?::(\d{2}))?\s*([ap])\.?\s?m\b\.?"
                   r"|(?<![\d:])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])", _I)


def _times(text: str) -> Iterator[Fact]:
    for m in _TIME.finditer(text):
        if m.group(1):
            hour, minute = int(m.group(1)) % 12 + (12 if m.group(3).lower() == "p" else 0), int(m.group(2) or 0)
        else:
            hour, minute = int(m.group(4)), int(m.group(5))
        if hour < 24:
            yield Fact("time", f"{hour:02d}:{minute:02d}", m.group(0).strip(), m.span())


# ---------------------------------------------------------------- quantities with units

_UNITS: tuple[tuple[str, str], ...] = (
    (r"(?:business|working|work)[\s-]days?|d[ií]as?\s+(?:h[aá]biles|laborables)", "business_days"),
    (r"(?:calendar[\s-])?days?|d[ií]as?(?:\s+(?:calendario|naturales|corridos))?", "days"),
    (r"hours?|hrs?\b|horas?\b", "hours"), (r"minutes?|mins?\b|minutos?\b", "minutes"), (r"weeks?|semanas?\b", "weeks"),
    (r"months?|mes(?:es)?\b", "months"), (r"years?|yrs?\b|años?\b", "years"),
    (r"lbs?\b|pounds?|libras?\b", "lb"), (r"fl\.?\s?oz\b|fluid\s+ounces?|oz\b|ounces?|onzas?\b", "oz"),
    (r"qt\b|quarts?", "qt"), (r"gal\b|gallons?|galones\b|gal[oó]n\b", "gal"), (r"(?:liters?|litres?|litros?|L)\b", "l"),
    (r"ml\b|milliliters?|mililitros?\b", "ml"), (r"cups?\b|tazas?\b", "cups"),
    (r"°\s?F\b|º\s?F\b|degrees?\s+(?:F\b|Fahrenheit)|grados\s+(?:F\b|Fahrenheit)|°F", "F"),
    (r"°\s?C\b|degrees?\s+(?:C\b|Celsius)|grados\s+(?:C\b|Celsius|cent[ií]grados)", "C"),
    (r"°|degrees?|grados?\b", "deg"),
    (r"inch(?:es)?\b|in\.?(?!\s+(?!(?:tall|wide|long|deep|high|diameter|thick|top|base|across)\b)[a-z])(?!\w)|\"|"
     r"pulgadas?\b", "in"),
    (r"ft\b|feet|foot|pies\b", "ft"), (r"cm\b|centimeters?|cent[ií]metros?\b", "cm"),
    (r"mm\b|millimeters?|mil[ií]metros?\b", "mm"),
    (r"%|percent\b|por\s+ciento\b", "percent"), (r"mAh\b", "mah"), (r"lumens?\b", "lumens"), (r"watts?\b|W\b", "w"),
    (r"volts?\b|V\b", "v"), (r"items?\b|units?\b|pieces?\b|pcs\b|art[ií]culos?\b|unidades\b|piezas?\b", "items"),
)
_UNIT = re.compile("|".join(f"(?P<u{i}>{p})" for i, (p, _) in enumerate(_UNITS)))
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|" + "|".join(sorted(_WORDS, key=len, reverse=True)) + \
    "|(?:" + "|".join(sorted(_WORDS_ES, key=len, reverse=True)) + r")\b"
_QUANTITY = re.compile(
    rf"(?<![\w.$/#-])(?P<a>{_NUM})(?:\s*(?:-|–|—|to)\s*(?P<b>{_NUM})|\s+a\s+(?P<c>{_NUM})(?=\s))?(?:\s*-\s*|\s*)(?=\S)",
    _I)


def _number(word: str) -> str:
    word = word.lower().replace(",", "")
    if word in _WORDS:
        return str(_WORDS[word])
    if word in _WORDS_ES:
        return str(_WORDS_ES[word])
    return format(Decimal(word).normalize(), "f")


def _quantities(text: str) -> Iterator[Fact]:
    for m in _QUANTITY.finditer(text):
        unit = _UNIT.match(text, m.end())
        if not unit:
            continue
        name = next(_UNITS[int(k[1:])][1] for k, v in unit.groupdict().items() if v is not None)
        if name == "in" and unit.group(0) == "in" and not re.match(r"\d", m.group("a")):
            continue  # "two in the box" is not inches
        if name in ("items", "w", "v", "l") and not re.match(r"\d", m.group("a")):
            continue
        end = m.group("b") or m.group("c")  # "3-5 days", "3 to 5 days", "3 a 5 días"
        value = _number(m.group("a")) + (f"-{_number(end)}" if end else "")
        yield Fact("quantity", value, text[m.start(): unit.end()].strip(), (m.start(), unit.end()), unit=name)


# ---------------------------------------------------------------- places, carriers, names, contacts

_CAP = r"[A-Z][a-zA-Z.'-]+"
_CITY_STATE = re.compile(rf"\b({_CAP}(?:\s+{_CAP}){{0,2}}),?\s+([A-Z]{{2}})\b")
_CITY_STATE_NAME = re.compile(rf"\b({_CAP}(?:\s+{_CAP}){{0,2}}),\s+({'|'.join(n.title() for n in STATE_NAMES)})\b")
_PLACE_PREP = re.compile(
    rf"\b(?:in|to|at|from|through|via|near|toward|towards|into|reached|left|leaving)\s+"
    rf"(?:the\s+)?({_CAP}(?:\s+(?:{_CAP}|of))*)", )
_DESTINATION = re.compile(
    r"\b(?:ship\w*|deliver\w*|head\w*|going|bound|way|route|sent|send\w*|arriv\w*|destined|destination|address\w*"
    r"|redirect\w*|forward\w*)\b(?:\s+[\w,-]+){0,4}?\s+(?:to|in|at|for)\s+(?:the\s+)?$", _I)
_SCAN = re.compile(r"\b(?:scan\w*|facility|hub|transit|through|via|left|leaving|departed|passed|from|sort\w*)\b"
                   r"(?:\s+[\w,\"-]+){0,6}?\s*$", _I)
_STREET = re.compile(
    r"\b\d{1,6}\s+(?:[NSEW]\.?\s+)?(?:[A-Z][a-z]+\s+){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Drive|Dr|Lane|Ln|Court|Ct"
    r"|Way|Boulevard|Blvd|Place|Pl|Terrace|Ter|Circle|Cir|Trail|Trl|Parkway|Pkwy|Highway|Hwy)\b\.?")
_FACILITY = re.compile(
    r"\b(?:delivery\s+station|sort(?:ing|ation)?\s+(?:center|centre|facility)|distribution\s+center"
    r"|post\s+office|(?:regional|local|origin|destination|carrier)\s+facility|depot|warehouse|fulfillment\s+center)\b",
    _I)


_PARCEL = re.compile(r"\b(?:your|it|it's|its|package|parcel|order|shipment|item|box|delivery)\b", _I)


def _role(text: str, start: int) -> str:
    """destination: "your parcel ships to X"; scan: "scanned in X"; unknown otherwise ("we ship to Alaska")."""
    before = text[max(0, start - 80): start]
    before = re.split(r"[.!?;\n]", before)[-1]
    if _DESTINATION.search(before):
        return "destination" if _PARCEL.search(before) else "unknown"
    if _SCAN.search(before):
        return "scan"
    return "unknown"


def _city_facts(city: str, state: str | None, m_start: int, span: tuple[int, int], text: str,
                written: str, cities: frozenset[str]) -> Iterator[Fact]:
    role = _role(text, m_start)
    words = city.split()
    # "Good news Raleigh, NC": the city is the longest run of known words before the state, else the last word
    suffixes = [" ".join(words[i:]).lower() for i in range(len(words))]
    city_name = next((c for c in suffixes if c in cities), suffixes[-1] if suffixes else "")
    if city_name and city_name not in _NOT_PLACES:
        yield Fact("place", f"city:{city_name}", written, span, role=role)
    if state:
        yield Fact("place", f"state:{state}", written, span, role=role)


def _places(text: str, extra_cities: Iterable[str] = ()) -> Iterator[Fact]:
    covered: list[tuple[int, int]] = []
    cities = frozenset(KNOWN_CITIES | {c.lower() for c in extra_cities})
    for m in _STREET.finditer(text):
        covered.append(m.span())
        yield Fact("place", "street:" + re.sub(r"\W+", " ", m.group(0)).strip().lower(), m.group(0), m.span(),
                   role="street")
    for m in _CITY_STATE.finditer(text):
        if m.group(2) not in US_STATES or any(a <= m.start() < b for a, b in covered):
            continue
        if m.group(2) in ("IN", "OR", "ME", "OK", "HI") and m.group(1).lower() not in cities and "," not in m.group(0):
            continue  # "Sam OR Alex", "Hi" are words; a known city or a comma makes it a place
        covered.append(m.span())
        yield from _city_facts(m.group(1), m.group(2), m.start(), m.span(), text, m.group(0), cities)
    for m in _CITY_STATE_NAME.finditer(text):
        if any(a <= m.start() < b for a, b in covered):
            continue
        covered.append(m.span())
        yield from _city_facts(m.group(1), STATE_NAMES[m.group(2).lower()], m.start(), m.span(), text, m.group(0),
                               cities)
    for m in _PLACE_PREP.finditer(text):
        name, start = m.group(1), m.start(1)
        if any(a <= start < b for a, b in covered):
            continue
        words = name.split()
        while words and words[-1] == "of":
            words.pop()
        lowered = " ".join(words).lower()
        state = STATE_NAMES.get(lowered)
        if state:
            covered.append(m.span(1))
            yield Fact("place", f"state:{state}", name, m.span(1), role=_role(text, start))
            continue
        known = next((" ".join(words[:k]).lower() for k in range(len(words), 0, -1)
                      if " ".join(words[:k]).lower() in cities), None)
        if known:
            covered.append(m.span(1))
            yield Fact("place", f"city:{known}", name, m.span(1), role=_role(text, start))
        elif _role(text, start) == "destination" and words and words[0].lower() not in _NOT_PLACES \
                and not _is_calendar_word(words[0]) and not _CARRIER.match(name):
            covered.append(m.span(1))
            yield Fact("place", f"city:{lowered}", name, m.span(1), role="destination")
    for m in _FACILITY.finditer(text):
        yield Fact("place", "facility:" + re.sub(r"\s+", " ", m.group(0).lower()), m.group(0), m.span(),
                   role="facility")


def _is_calendar_word(word: str) -> bool:
    return word.lower()[:3] in _MONTHS or word.lower() in (
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "today", "tomorrow")


def _carriers(text: str) -> Iterator[Fact]:
    for m in _CARRIER.finditer(text):
        yield Fact("carrier", _CARRIERS[re.sub(r"\s+", " ", m.group(0).lower())], m.group(0), m.span())


_GREETING = re.compile(r"^\s*(?i:hi|hello|hey|dear|good\s+(?:morning|afternoon|evening))\s+([A-Z][\w'-]*)", re.M)
_SIGN_WORD = (r"(?:best|best\s+regards|kind\s+regards|warm\s+regards|warmest\s+regards|regards|thanks|thank\s+you"
              r"|many\s+thanks|cheers|sincerely|warmly|take\s+care|all\s+the\s+best|with\s+thanks|yours(?:\s+truly)?)")
_SIGN_OFF = re.compile(
    rf"^[ \t]*(?:[—–~]|--?)[ \t]*(?P<a>[^\n]+?)[ \t]*$"
    rf"|^[ \t]*(?i:{_SIGN_WORD})[ \t]*[,!.]?[ \t]*(?:\n[ \t]*)?(?P<b>[A-Z][^\n]*?)[ \t]*$", re.M)
_INTRO = re.compile(r"(?i:\b(?:I'm|I am|my name is|this is|it's))\s+(?P<n>[A-Z][a-z]+)\b(?=\s*(?:from|at|with|here|on"
                    r"|,|\.|!|and|$))")
_NAME_STOP = frozenset(
    "the a an our your team support customer care service services northfork goods store shop from at with and of "
    "on amazon walmart shopify tiktok ebay facebook instagram there everyone all sorry happy glad here".split())
_CHANNEL = re.compile(
    r"\b(?:(?:e-?mail|call|text|phone|ring|dm)\s+(?:me|us)\b(?!\s+(?:here|back\s+here|in\s+this))"
    r"|(?:reach(?:\s+out)?(?:\s+to)?|contact|get\s+in\s+touch\s+with|write\s+to)\s+(?:me|us)\s+(?:directly\s+)?"
    r"(?:via|by|at|on|through|over)\s+(?:e-?mail|phone|text|sms|whatsapp|telegram|my\s+\w+)"
    r"|my\s+(?:personal\s+|direct\s+)?(?:e-?mail|phone|number|line|cell)\b"
    r"|(?:send|drop)\s+(?:me|us)\s+an?\s+(?:e-?mail|text)\b)", _I)


def _names(text: str) -> Iterator[Fact]:
    for m in _GREETING.finditer(text):
        if m.group(1).lower() not in ("there", "team", "again", "all", "everyone", "friend", "folks"):
            yield Fact("person_name", m.group(1).lower(), m.group(1), m.span(1), role="greeting")
    lines = [i for i, line in enumerate(text.splitlines(keepends=True)) if line.strip()]
    tail = sum(len(line) for line in text.splitlines(keepends=True)[: lines[-3]]) if len(lines) >= 3 else 0
    for m in _SIGN_OFF.finditer(text, tail):  # a sign-off is in the last lines, not a bullet of a list
        phrase = (m.group("a") or m.group("b") or "").strip()
        if not phrase or len(phrase.split()) > 6 or re.search(r"[.?!:]\s|\d", phrase):
            continue
        key = "a" if m.group("a") else "b"
        yield Fact("person_name", _sign_off_value(phrase), phrase, m.span(key), role="sign_off")
    for m in _INTRO.finditer(text):
        if m.group("n").lower() not in _NAME_STOP and not _is_calendar_word(m.group("n")):
            yield Fact("person_name", m.group("n").lower(), m.group("n"), m.span("n"), role="intro")


def _sign_off_value(phrase: str) -> str:
    """'The Northfork Goods team' -> its words; 'Alex from Northfork Goods' -> 'alex'."""
    words = [w.strip(",.!").lower() for w in phrase.split()]
    people = [w for w in words if w and w not in _NAME_STOP]
    return " ".join(people[:1]) if people else "team"


def _contacts(text: str) -> Iterator[Fact]:
    """Links, emails, phones and handles as `tools.contacts` finds them (the one home of those patterns)."""
    for contact in find_contacts(text):
        start = text.find(contact.text)
        span = (start, start + len(contact.text)) if start >= 0 else (0, 0)
        kind = "url" if contact.kind == "link" else contact.kind
        key = contact.key[-10:] if kind == "phone" else contact.key
        yield Fact("contact", f"{kind}:{key}", contact.text, span, role=kind)
    for m in _CHANNEL.finditer(text):
        said = m.group(0).lower()
        kind = "email" if "mail" in said else "phone" if re.search(r"call|phone|ring|number|line|cell|text|sms", said) \
            else "direct"
        yield Fact("contact", f"channel:{kind}", m.group(0), m.span(), role="channel")


# ---------------------------------------------------------------- claims: actions done, things absent

_BY_US = (r"\b(?P<who>I|we|and)(?:'ve|\s+have)?(?:\s+(?:just|now|already|also|successfully|personally"
          r"|gone\s+ahead\s+and|went\s+ahead\s+and))*\s+")
_VERBS = (r"(?P<v>refunded|reimbursed|credited|issued|processed|initiated|cancell?ed|started|opened|created|set\s+up"
          r"|generated|updated|changed|corrected|modified|edited|redirected|rerouted|paused|skipped|resumed|reactivated"
          r"|contacted|reached\s+out|escalated|filed|submitted|arranged|scheduled|sent|emailed|reshipped|re-shipped"
          r"|expedited|upgraded|added|notified|asked|requested|flagged|forwarded|applied|placed|replaced|ordered"
          r"|approved|authori[sz]ed|booked|logged|marked|removed|waived)\b")
_ACTIVE = re.compile(_BY_US + _VERBS, _I)
_PASSIVE = re.compile(
    r"\b(?P<s>refund|order|address|return|label|subscription|replacement|claim|case|request|shipment|package|delivery"
    r"|investigation|ticket)\b(?:\s+[\w#-]*\d[\w-]*)?(?:\s+(?:has|have)\s+(?:now\s+|already\s+|just\s+)?been"
    r"|'s\s+been|\s+is\s+now)\s+(?:successfully\s+)?" + _VERBS, _I)
_CONDITION = re.compile(r"\b(?:if|once|when|whenever|after|as\s+soon\s+as|until|before|unless|whether|can|could|will"
                        r"|would|shall|should|may|might|not|never|haven't|hasn't)\b", _I)


def _claim_kind(verb: str, after: str) -> str:
    verb, after = verb.lower(), after.lower()
    if re.search(r"refund|reimburs|credit", verb + " " + after[:40]) and verb not in ("contacted", "asked"):
        return "refund"
    if verb.startswith("cancel"):
        return "update_subscription" if "subscription" in after[:40] else "cancel_order"
    if re.search(r"\breturn|\blabel", after[:40]) and verb in (
            "started", "opened", "created", "set up", "generated", "initiated", "submitted", "approved", "authorized",
            "authorised", "sent", "emailed", "issued", "processed"):
        return "start_return"
    if re.search(r"address|\bto\s+\d+\s+[A-Za-z]", after[:60]) or verb in (
            "redirected", "rerouted"):
        return "change_shipping_address"
    if verb in ("paused", "skipped", "resumed", "reactivated") or "subscription" in after[:40]:
        return "update_subscription"
    return "other:" + re.sub(r"\s+", " ", verb)


def _claims(text: str) -> Iterator[Fact]:
    for pattern, subject in ((_ACTIVE, False), (_PASSIVE, True)):
        for m in pattern.finditer(text):
            head = re.split(r"[.!?;,:\n]", text[: m.start()])[-1]
            end = min([i for i in (text.find(c, m.end()) for c in ".!?\n") if i != -1] or [len(text)])
            if _CONDITION.search(head) or text[end: end + 1] == "?":
                continue  # "once we've refunded", "Shall I cancel it?" offer or condition, they do not claim
            if not subject and m.group("who").lower() == "and" and not re.search(
                    r"\b(?:I|we)\b", re.split(r"[.!?\n]", text[: m.start()])[-1], _I):
                continue  # "I've cancelled it and sent a label": "and" continues our claim; otherwise not ours
            after = (m.group("s") + " " if subject else "") + text[m.end(): m.end() + 80]
            kind = _claim_kind(m.group("v"), after)
            if subject and kind.startswith("other:") and m.group("s").lower() in ("order", "shipment", "package",
                                                                                  "delivery"):
                continue  # "your order has been shipped/placed" reports the order, not something we did now
            yield Fact("action_claim", kind, m.group(0), m.span())


_ABSENCE = re.compile(
    r"\b(?:no|not\s+any|without\s+(?:a|any))\s+(?:\w+\s+){0,2}?(?:information|info|record|records|details|sign|trace"
    r"|mention|data)\s+(?:about|of|on|for|regarding)\s+(?:a|an|any|the|your)?\s*(?P<a>refund|return|tracking)"
    r"|\b(?:no|not\s+(?:a|any))\s+(?P<b>refund|return|tracking)\b(?!\s+(?:window|policy|fee|shipping|label\s+fee))"
    r"|n't\s+(?:see|find|show|have|locate)\s+(?:a|any)\s+(?:\w+\s+)?(?P<c>refund|return|tracking)"
    r"|\b(?P<d>refund|return)\s+(?:has|have)(?:\s+not|n't)\s+(?:yet\s+)?been\s+(?:issued|processed|started|opened|made)"
    r"|\bnot\s+(?:yet\s+)?been\s+(?P<e>refund)ed\b", _I)


def _absences(text: str) -> Iterator[Fact]:
    for m in _ABSENCE.finditer(text):
        what = next(v for v in m.groupdict().values() if v)
        head = re.split(r"[.!?;,:\n]", text[: m.start()])[-1]
        if re.search(r"\b(?:if|once|when|unless|whether)\b", head, _I):
            continue
        yield Fact("absence", what.lower(), m.group(0), m.span())


# ---------------------------------------------------------------- products

_BRAND = "Northfork"
_PRODUCT = re.compile(rf"\b{_BRAND}(?:\s+(?:[A-Z0-9][\w'/-]*(?:\.\d+)?|&))+")


def _products(text: str, names: Iterable[str] = ()) -> Iterator[Fact]:
    found: list[tuple[int, int]] = []
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        for m in re.finditer(re.escape(name), text, _I):
            if not any(a <= m.start() < b for a, b in found):
                found.append(m.span())
                yield Fact("product_name", name.lower(), m.group(0), m.span())
    for m in _PRODUCT.finditer(text):
        phrase = m.group(0).rstrip(".,")
        if any(a <= m.start() < b for a, b in found) or phrase.split()[1].startswith("Goods"):
            continue
        yield Fact("product_name", phrase.lower(), phrase, m.span())


# ---------------------------------------------------------------- extraction and binding

def extract_facts(text: str, *, product_names: Iterable[str] = (), cities: Iterable[str] = ()) -> list[Fact]:
    """Every fact the text states, each tied to the order the text is talking about at that point.

    Memoised: the same tool-result strings, passages and policy texts are read for every draft and again by
    the compliance check, and extraction (a dozen patterns, phone and domain parsing) dominates the cost.
    """
    return list(_extract_cached(text, frozenset(product_names), frozenset(cities)))


@lru_cache(maxsize=8192)
def _extract_cached(text: str, product_names: frozenset[str], cities: frozenset[str]) -> tuple[Fact, ...]:
    return tuple(_extract(text, product_names, cities))


def _extract(text: str, product_names: Iterable[str], cities: Iterable[str]) -> list[Fact]:
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    facts = [*_ids(text), *_amounts(text), *_dates(text), *_times(text), *_quantities(text),
             *_places(text, cities), *_carriers(text), *_names(text), *_contacts(text), *_claims(text),
             *_absences(text), *_products(text, product_names)]
    ids = [f for f in facts if f.kind in ("order_id", "tracking_number")]
    facts = [f for f in facts if f.kind in ("order_id", "tracking_number") or not _inside(f, ids)]
    return sorted(facts, key=lambda f: f.span)


def _inside(fact: Fact, ids: list[Fact]) -> bool:
    """An order id's digits are not an amount, a date, a quantity or a phone number."""
    inside = any(i.span[0] <= fact.span[0] < i.span[1] for i in ids)
    return inside and (fact.kind in ("amount", "date", "time", "quantity") or fact.role == "phone")


def bind(text: str, facts: list[Fact], orders: set[str], default: str | None = None) -> list[Fact]:
    """Tie each fact to the order named nearest before it in its paragraph (or in its sentence after it),
    else to `default` (the only order the evidence is about)."""
    text = text.replace("\u2019", "'")
    mentions = [(f.span[0], f.value) for f in facts if f.kind == "order_id" or (f.kind == "tracking_number"
                                                                                   and f.value in orders)]
    mentions = [(s, norm_id(v)) for s, v in mentions if norm_id(v) in orders or _ORDER_FULL.fullmatch(v)]
    bound = []
    for f in facts:
        if f.kind == "order_id":
            bound.append(f)
            continue
        para_start = text.rfind("\n\n", 0, f.span[0]) + 1
        sentence_end = min([i for i in (text.find(c, f.span[1]) for c in ".!?\n") if i != -1] or [len(text)])
        before = [v for s, v in mentions if para_start <= s < f.span[0]]
        after = [v for s, v in mentions if f.span[1] <= s <= sentence_end]
        earlier = [v for s, v in mentions if s < f.span[0]]
        entity = before[-1] if before else after[0] if after else earlier[-1] if earlier else None
        bound.append(Fact(f.kind, f.value, f.text, f.span, f.unit, entity or default, f.role, implied=entity is None))
    return bound


# ---------------------------------------------------------------- evidence

_MONEY_KEYS = {"total", "unit_price", "amount", "refund_amount", "price", "restocking_fee", "subtotal", "shipping",
               "tax"}
_TRACKING_KEYS = {"tracking_number", "label_tracking"}
_CARRIER_KEYS = {"carrier", "label_carrier"}


@dataclass
class Evidence:
    """The facts that are true, each under the entity it belongs to (None: not about one order)."""

    facts: dict[tuple[str, str], set[str | None]] = field(default_factory=dict)
    quantities: set[tuple[str, str]] = field(default_factory=set)
    destinations: dict[str, set[str]] = field(default_factory=dict)
    present: dict[str, set[str | None]] = field(default_factory=dict)  # "refund" -> orders that have one
    strict: dict[str, set[str]] = field(default_factory=dict)  # order -> kinds the evidence fully knows for it
    orders: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    done: set[str] = field(default_factory=set)
    products: set[str] = field(default_factory=set)
    cities: set[str] = field(default_factory=set)
    units: set[str] = field(default_factory=set)  # units a tool result or passage states a quantity in
    texts: list[str] = field(default_factory=list)
    customer_text: str = ""  # what the customer wrote: numbers they used may be said back to them

    def add(self, fact: Fact, entity: str | None, *, policy: bool = False) -> None:
        self.facts.setdefault((fact.kind, fact.value), set()).add(entity)
        if fact.kind == "quantity" and fact.unit:
            self.quantities.add((fact.value, fact.unit))
            if not policy:
                self.units.add(fact.unit)
            if "-" in fact.value:  # "3-5 business days" also supports "within 5 business days"
                for end in fact.value.split("-"):
                    self.quantities.add((end, fact.unit))

    def has(self, kind: str, value: str) -> bool:
        return (kind, value) in self.facts

    def owners(self, kind: str, value: str) -> set[str | None]:
        return self.facts.get((kind, value), set())

    @property
    def default_order(self) -> str | None:
        known = {o for o in self.strict}
        return next(iter(known)) if len(known) == 1 else None

    def add_text(self, text: str, entity: str | None = None) -> None:
        self.texts.append(text)
        for f in extract_facts(text, product_names=self.products, cities=self.cities):
            if f.kind in ("person_name", "action_claim"):
                continue
            if f.kind == "absence":
                continue
            self.add(f, entity)


def _timestamp_facts(value: str) -> Iterator[Fact]:
    """A UTC timestamp is a date in every US zone (UTC-4 to UTC-10) and in UTC. Not a clock time: without
    the parcel's zone a reply cannot state one, so a time must be written in a passage or the template."""
    m = _DATETIME.fullmatch(value.strip())
    if not m:
        return
    try:
        moment = datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}{m.group(3) or ''}")
    except ValueError:
        return
    shifts = (0, 4, 5, 6, 7, 8, 9, 10) if moment.tzinfo is not None else (0,)
    utc = moment.astimezone(UTC) if moment.tzinfo is not None else moment
    for hours in shifts:
        local = utc - timedelta(hours=hours)
        yield Fact("date", f"{local.month:02d}-{local.day:02d}", value)


def _quantity_from_key(key: str, value: Any, parent: dict[str, Any]) -> Fact | None:
    raw = str(value).strip()
    if not re.fullmatch(r"\d+(?:\.\d+)?(?:-\d+(?:\.\d+)?)?", raw):
        return None
    text = "-".join(_number(part) for part in raw.split("-"))
    if key == "posting_days":
        return Fact("quantity", text, text, unit="business_days")
    if key == "refund_days_after_receipt":
        kind = str(parent.get("refund_day_kind") or "")
        return Fact("quantity", text, text, unit="business_days" if kind == "business" else "days")
    if key.endswith("_days") or key == "days":
        return Fact("quantity", text, text, unit="days")
    if key.endswith("_hours"):
        return Fact("quantity", text, text, unit="hours")
    if key.endswith("_pct") or key.endswith("_percent"):
        return Fact("quantity", text, text, unit="percent")
    if key in ("quantity", "stock"):
        return Fact("quantity", text, text, unit="items")
    return None


def add_policy(ev: Evidence, policy: dict[str, Any]) -> None:
    """The platform's (or seller's) policy file: its windows, timelines and fees are true for every order."""
    def walk(value: Any, parent: dict[str, Any]) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk_key(k, v, value)
        elif isinstance(value, list):
            for v in value:
                walk(v, parent)

    def walk_key(key: str, value: Any, parent: dict[str, Any]) -> None:
        if isinstance(value, (dict, list)):
            walk(value, parent)
            return
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            return
        base = re.sub(r"_(?:min|max)$", "", key)
        unit = "hours" if base.endswith("_hours") else "percent" if base.endswith("_pct") else \
            "days" if base.endswith("_days") else None
        if unit == "days" and (base.startswith("posting") or parent.get("day_kind") == "business"):
            unit = "business_days"
        if unit:
            ev.add(Fact("quantity", _number(str(value)), str(value), unit=unit), None, policy=True)
        if base != key and f"{base}_min" in parent and f"{base}_max" in parent and unit:
            span = f"{_number(str(parent[f'{base}_min']))}-{_number(str(parent[f'{base}_max']))}"
            ev.add(Fact("quantity", span, span, unit=unit), None, policy=True)
        if (c := cents(value)) is not None:
            ev.add(Fact("amount", c, str(value)), None, policy=True)

    walk(policy, {})


def _walk(ev: Evidence, value: Any, entity: str | None, key: str = "", parent: dict[str, Any] | None = None) -> None:
    if isinstance(value, dict):
        oid = value.get("order_id")
        if isinstance(oid, str) and oid:
            entity = norm_id(oid)
            ev.orders.add(entity)
            ev.add(Fact("order_id", entity, oid), entity)
        if "product_id" in value or (key == "items" and "title" in value):
            for name_key in ("name", "title"):
                if isinstance(value.get(name_key), str) and (key != "variants"):
                    ev.products.add(value[name_key])
        for k, v in value.items():
            _walk(ev, v, entity, k, value)
        _presence(ev, value, entity, key)
        return
    if isinstance(value, list):
        for item in value:
            _walk(ev, item, entity, key, parent)
        return
    if value is None or isinstance(value, bool):
        return
    if key in _TRACKING_KEYS and isinstance(value, str):
        ev.add(Fact("tracking_number", norm_id(value), value), entity)
        ev.present.setdefault("tracking", set()).add(entity)
        if entity:
            ev.strict.setdefault(entity, set()).update({"tracking_number", "carrier"})
        return
    if key in _CARRIER_KEYS and isinstance(value, str):
        carrier = _CARRIERS.get(value.lower(), value)
        ev.add(Fact("carrier", carrier, value), entity)
        return
    if key in ("city", "state") and parent is not None:
        where = f"city:{value.lower()}" if key == "city" else f"state:{str(value).upper()}"
        ev.add(Fact("place", where, str(value)), entity)
        if key == "city":
            ev.cities.add(str(value))
        if entity:
            ev.destinations.setdefault(entity, set()).add(where)
            ev.strict.setdefault(entity, set()).add("destination")
        return
    if key in _MONEY_KEYS and (value := cents(value)):
        ev.add(Fact("amount", value, value), entity)
        return
    if isinstance(value, (int, float, Decimal)) or (isinstance(value, str) and re.fullmatch(r"-?\d+(?:\.\d+)?", value)):
        if (c := cents(str(value).lstrip("-"))) is not None:
            ev.add(Fact("amount", c, str(value)), None)  # any number may be written as an amount
        if (q := _quantity_from_key(key, value, parent or {})) is not None:
            ev.add(q, entity)
        return
    if isinstance(value, str):
        if (q := _quantity_from_key(key, value, parent or {})) is not None:
            ev.add(q, entity)
            return
        stamps = list(_timestamp_facts(value))
        for f in stamps:
            ev.add(f, None)
        if not stamps:
            ev.add_text(value, entity)
            if key == "ship_to":
                for f in _places(value, ev.cities):
                    if entity:
                        ev.destinations.setdefault(entity, set()).add(f.value)


def _presence(ev: Evidence, value: dict[str, Any], entity: str | None, key: str) -> None:
    """Records that exist (a refund, a return), so a reply cannot say there is none."""
    if value.get("refunds") or value.get("refund_id") or value.get("status") == "refunded":
        ev.present.setdefault("refund", set()).add(entity)
    if value.get("returns") or value.get("existing_returns") or value.get("return_id") \
            or value.get("order_status") == "returned":
        ev.present.setdefault("return", set()).add(entity)
    if "cancelled" in (value.get("status"), value.get("order_status")) or value.get("cancellation_id"):
        ev.present.setdefault("cancelled", set()).add(entity)
    if value.get("subscription_id") and value.get("status") in ("cancelled", "paused"):
        ev.present.setdefault("subscription", set()).add(entity)  # "your subscription is cancelled" is on file


def evidence_facts(tool_data: Iterable[dict[str, Any]], passages: Iterable[str] = (), *,
                   template_text: str | None = None, customer_text: str = "", customer_name: str | None = None,
                   sign_offs: Iterable[str] = (), done_actions: Iterable[str] = (),
                   policies: Iterable[dict[str, Any]] = ()) -> Evidence:
    """The evidence a reply may draw on: tool results (structured, so facts keep their order), passages and
    the customer's own words (unbound), the seller's sign-off and the customer's first name."""
    ev = Evidence()
    data = [d for d in tool_data if isinstance(d, dict)]
    for d in data:  # product names and cities first, so text extraction recognises them
        _collect_names(ev, d)
    for d in data:
        _walk(ev, d, None)
    for text in passages:
        ev.add_text(text)
    for policy in policies:
        add_policy(ev, policy)
    if customer_text:
        ev.add_text(customer_text)
        ev.customer_text = customer_text
    ev.done = set(done_actions)
    for state, action in (("refund", "refund"), ("return", "start_return"), ("cancelled", "cancel_order"),
                          ("subscription", "update_subscription")):
        if ev.present.get(state):  # a record on file makes "your order has been cancelled" true
            ev.done.add(action)
    if customer_name:
        ev.names.add(customer_name.split()[0].lower())
    for sign_off in sign_offs:
        ev.names.add(_sign_off_value(sign_off))
    ev.names.add("team")
    if template_text:
        ev.texts.append(template_text)
    return ev


def _collect_names(ev: Evidence, value: Any, key: str = "") -> None:
    if isinstance(value, dict):
        if "product_id" in value and isinstance(value.get("name"), str):
            ev.products.add(value["name"])
        if key == "items" and isinstance(value.get("title"), str):
            ev.products.add(value["title"])
        for k, v in value.items():
            if k == "city" and isinstance(v, str):
                ev.cities.add(v)
            _collect_names(ev, v, k)
    elif isinstance(value, list):
        for item in value:
            _collect_names(ev, item, key)


def evidence_from_strings(items: Iterable[str], *, done_actions: Iterable[str] = (),
                          policies: Iterable[dict[str, Any]] = ()) -> Evidence:
    """The compliance check's evidence (tool-result JSON and passage text) as structured evidence."""
    data: list[dict[str, Any]] = []
    texts: list[str] = []
    for item in items:
        try:
            parsed = json.loads(item)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            data.append(parsed)
        else:
            texts.append(item)
    return evidence_facts(data, texts, done_actions=done_actions, policies=policies)


# ---------------------------------------------------------------- checking

def _map(f: Fact, ev: Evidence, template: list[Fact]) -> Unmapped | None:
    """None when the fact maps to the evidence or the template for the same entity, else why not."""
    said = {(t.kind, t.value) for t in template}
    in_template = (f.kind, f.value) in said
    owners = ev.owners(f.kind, f.value)
    entity = f.entity
    if f.kind in ("tracking_number", "carrier") and entity and not f.implied:
        own = {(t.value) for t in template if t.kind == f.kind and t.entity == entity}
        if f.value in own or entity in owners:
            return None
        if entity in ev.strict and f.kind in ev.strict[entity]:
            other = sorted(o for o in owners if o and o != entity)
            why = f" (it belongs to order {other[0]})" if other else ""
            return Unmapped(f, f"the {_label(f)} {f.text!r} is not order {entity}'s{why}",
                            "other_entity" if other else "contradicts")
    if f.kind == "order_id":
        if in_template or owners or f.value.lstrip("#") in {o.lstrip("#") for o in ev.orders}:
            return None
        return Unmapped(f, f"the order id {f.text!r} is not in any tool result or passage")
    if f.kind == "tracking_number":
        if in_template or owners:
            return None
        return Unmapped(f, f"the tracking number {f.text!r} is not in any tool result")
    if f.kind == "amount" or f.kind == "date" or f.kind == "time" or f.kind == "carrier":
        if in_template:
            return None
        if owners and (None in owners or not entity or entity in owners or entity not in ev.orders):
            return None
        if owners:
            other = sorted(o for o in owners if o)
            return Unmapped(f, f"the {_label(f)} {f.text!r} belongs to order {other[0]}, not {entity}", "other_entity")
        return Unmapped(f, f"the {_label(f)} {f.text!r} is not in any tool result or passage")
    if f.kind == "quantity":
        if (f.value, f.unit) in ev.quantities or any(t.kind == "quantity" and t.value == f.value and t.unit == f.unit
                                                     for t in template):
            return None
        known = sorted(v for v, u in ev.quantities if u == f.unit and "-" not in v)[:4]
        return Unmapped(f, f"the quantity {f.text!r} ({f.value} {f.unit}) is not in the evidence"
                        + (f" (it says {', '.join(known)} {f.unit})" if known and f.unit in ev.units else ""),
                        "contradicts" if f.unit in ev.units else "not_in_evidence")
    if f.kind == "place":
        return _map_place(f, ev, template)
    if f.kind == "product_name":
        words = set(re.findall(r"[\w'-]+", f.value))
        known = [n.lower() for n in ev.products] + [t.value for t in template if t.kind == "product_name"] + [
            v for k, v in ev.facts if k == "product_name"]
        if any(words <= set(re.findall(r"[\w'-]+", n)) for n in known):
            return None
        return Unmapped(f, f"the product {f.text!r} is not one the evidence is about")
    if f.kind == "person_name":
        if f.value in ev.names or in_template:
            return None
        return Unmapped(f, f"the name {f.text!r} is neither the customer's nor the seller's sign-off")
    if f.kind == "contact":
        if in_template or any(f.value in _contact_values(t) for t in ev.texts):
            return None
        return Unmapped(f, f"the contact detail {f.text!r} is not in the draft or the evidence")
    if f.kind == "action_claim":
        if in_template or f.value in ev.done:
            return None
        return Unmapped(f, f"the reply claims {f.text.strip()!r} ({f.value}) but no tool did that")
    if f.kind == "absence":
        if in_template:
            return None
        holders = ev.present.get(f.value, set())
        if holders and (not entity or entity in holders or None in holders or not (holders - {None})):
            return Unmapped(f, f"the reply says there is no {f.value} but the evidence shows one", "contradicts")
        return None
    return None


def _map_place(f: Fact, ev: Evidence, template: list[Fact]) -> Unmapped | None:
    said = [t for t in template if t.kind == "place" and t.value == f.value]
    entity = f.entity or ev.default_order
    if f.role == "destination" and entity and entity in ev.destinations:
        if f.value in ev.destinations[entity] or any(t.role == "destination" for t in said):
            return None
        where = sorted(ev.destinations[entity], key=lambda v: not v.startswith("city:"))
        said = ", ".join(v.split(":", 1)[1].title() if v.startswith("city:") else v.split(":", 1)[1] for v in where)
        return Unmapped(f, f"the reply says order {entity} goes to {f.text!r}, but it ships to {said}",
                        "contradicts")
    if said:
        return None
    if f.role == "facility":
        if any(f.value.split(":", 1)[1] in t.lower() for t in ev.texts) or ev.has("place", f.value):
            return None
        return Unmapped(f, f"the facility {f.text!r} is not in the tracking or the evidence")
    if f.role == "street":
        if ev.has("place", f.value) or any(f.value.split(":", 1)[1] in re.sub(r"\W+", " ", t.lower())
                                           for t in ev.texts):
            return None
        return Unmapped(f, f"the address {f.text!r} is not in the evidence")
    owners = ev.owners("place", f.value)
    if owners and (None in owners or not entity or entity in owners or entity not in ev.orders):
        return None
    if owners:
        return Unmapped(f, f"the place {f.text!r} is about another order", "other_entity")
    return Unmapped(f, f"the place {f.text!r} is not in the tracking or the evidence")


def _contact_values(text: str) -> set[str]:
    return {f.value for f in _contacts(text)}


def _label(f: Fact) -> str:
    return {"tracking_number": "tracking number", "order_id": "order id"}.get(f.kind, f.kind)


def _facts(text: str, ev: Evidence) -> list[Fact]:
    facts = extract_facts(text, product_names=ev.products, cities=ev.cities)
    facts = [_retype(f, ev) for f in facts]
    return bind(text, facts, ev.orders, ev.default_order)


def _retype(f: Fact, ev: Evidence) -> Fact:
    """A 15-digit number is a Walmart order or a FedEx tracking number: the evidence says which."""
    if f.kind == "order_id" and ev.has("tracking_number", f.value) and f.value not in ev.orders:
        return Fact("tracking_number", f.value, f.text, f.span, f.unit, f.entity, "tracking")
    if f.kind == "tracking_number" and f.value in ev.orders:
        return Fact("order_id", f.value, f.text, f.span, f.unit, f.entity, "order")
    return f


def ground_draft(text: str, evidence: Evidence, template_text: str | None = None, *,
                 strict: bool = True) -> list[Unmapped]:
    """Every fact of `text` that does not map to the evidence (or to the template draft, when given).

    strict=False keeps only what the evidence contradicts or an invented identifier: another order's
    tracking number or amount, a carrier or destination that is not the named order's, a quantity in a
    unit the evidence states otherwise, "no refund" when there is one, "tracking number 0x8A4E". That is
    the level every draft is held to (templates and people's edits too); a model's own text is strict."""
    template = _facts(template_text, evidence) if template_text else []
    found = [u for f in _facts(text, evidence) if (u := _map(f, evidence, template)) is not None]
    if strict:
        return found
    return [u for u in found if u.why != "not_in_evidence" or (u.fact.role == "labelled")
            or u.fact.kind in ("order_id", "tracking_number", "amount", "date")]


_META = re.compile(
    r"\bJSON\b|\btemplate\b|\bas an AI\b|\b(?:AI|language)\s+model\b|\bsystem\s+prompt\b|\bplaceholder|\{\{|\}\}"
    r"|\b(?:these|the|this|those|following|given|provided|above)\s+facts\b|\bfacts\s+(?:provided|given|above)\b"
    r"|\b(?:the\s+)?(?:data|information|context)\s+(?:provided|given|above|you\s+(?:gave|provided))\b"
    r"|\b(?:draft|original)\s+(?:reply|response|message)\b|\bI\s+(?:cannot|can't|am\s+unable\s+to)\s+(?:see|access)\b"
    r"|\bI'll\s+keep\s+my\s+responses\b|\bhere(?:'s| is)\s+(?:a|the|my)\s+(?:re-?worded|re-?phrased|revised|rewritten)",
    _I)
_KEEP = ("order_id", "tracking_number", "amount", "quantity")
"""What a wording must keep of its template: the ids, money and quantities the customer acts on (a date it leaves
out, like a last scan's, is less said, not a different thing said)."""
_NUMERIC = ("amount", "date", "time", "quantity")
_DIGIT_TOKEN = re.compile(r"[^\W_](?:[\w.,/:-]*[^\W_])?")
_MAX_LENGTH, _SLACK = 1.8, 60  # phrasing may add a greeting and warmth, not paragraphs of its own
_MIN_LENGTH = 0.4  # a wording under 40% of the draft's length lost most of it (cut off or summarised away)


def check_draft(text: str, evidence: Evidence, template: str | None = None) -> FactCheck:
    """A model-written draft: every fact maps to the evidence (or the template draft), no talk about JSON,
    facts or templates. A long-tail answer or a rewrite that fails goes to a person, never out by itself."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    reasons: list[str] = []
    if m := _META.search(text):
        reasons.append(f"talks about its instructions ({m.group(0)!r})")
    unmapped = ground_draft(text, evidence, template)
    reasons += list(dict.fromkeys(u.reason for u in unmapped))
    return FactCheck(ok=not reasons, unmapped=unmapped, reasons=reasons)


def check_rewording(template: str, rewritten: str, evidence: Evidence) -> FactCheck:
    """Whether the model's wording says what the template says and nothing the evidence does not.

    Fails on any fact that does not map, on a dropped order id, tracking number, amount or quantity, on a
    number the template does not state, on a reply much shorter or much longer than the template or cut off
    mid-sentence, on talk about JSON, facts or templates, and on a change of what the reply does about an
    action (agent/speech_acts.py: a "no" turned into "go ahead", an offer turned into a promise)."""
    rewritten = rewritten.replace("\u2019", "'").replace("\u2018", "'")
    checked = check_draft(rewritten, evidence, template)
    reasons, unmapped = list(checked.reasons), checked.unmapped
    if len(rewritten.strip()) < _MIN_LENGTH * len(template.strip()):
        reasons.append(f"much shorter than the draft ({len(rewritten.strip())} of {len(template.strip())} characters)")
    elif _cut_off(rewritten):
        reasons.append("ends mid-sentence")
    if len(rewritten.strip()) > _MAX_LENGTH * len(template.strip()) + _SLACK:
        reasons.append(f"much longer than the draft ({len(rewritten.strip())} of {len(template.strip())} characters):"
                       " a wording adds sentences the draft does not say")
    said, meant = _facts(rewritten, evidence), _facts(template, evidence)
    kept = {k for f in said for k in _keys(f)}
    for f in meant:
        if f.kind in _KEEP and not kept & set(_keys(f)):
            reasons.append(f"drops the {_label(f)} {f.text!r}")
            kept.update(_keys(f))
    reasons += _number_changes(template, rewritten, meant, said, evidence)
    reasons += act_changes(template, rewritten)
    return FactCheck(ok=not reasons, unmapped=unmapped, reasons=reasons)


def _key(f: Fact) -> tuple[str, str, str | None]:
    return f.kind, f.value, f.unit


def _keys(f: Fact) -> list[tuple[str, str, str | None]]:
    """The fact and, for a range ("3-5 business days"), each end: "within 5 business days" says the same."""
    ends = f.value.split("-") if f.kind == "quantity" and "-" in f.value else []
    return [_key(f), *((f.kind, end, f.unit) for end in ends)]


def _digit_tokens(text: str, outside: list[Fact] | None = None) -> set[str]:
    """Words holding a digit ("X50CrMoV15", "3.5", "2"), optionally only those outside the given facts."""
    spans = [f.span for f in outside or []]
    return {m.group(0).lower() for m in _DIGIT_TOKEN.finditer(text) if any(c.isdigit() for c in m.group(0))
            and not any(a <= m.start() < b for a, b in spans)}


def _number_changes(template: str, rewritten: str, meant: list[Fact], said: list[Fact], ev: Evidence) -> list[str]:
    """A wording is phrasing, not new content: every number it states must come from the template (or the
    customer's own message), and every number-bearing word of the template (a spec like "X50CrMoV15" that no
    fact kind covers) must survive. Policy files hold many true quantities that are not about this
    question ("2 business days" to refund is no ice retention), so evidence alone is not enough here."""
    reasons: list[str] = []
    customer = _facts(ev.customer_text, ev) if ev.customer_text else []
    allowed = {k for f in (*meant, *customer) for k in _keys(f)}
    for f in said:
        if f.kind in _NUMERIC and _key(f) not in allowed:
            reasons.append(f"adds the {_label(f)} {f.text!r}, which the draft does not state")
            allowed.add(_key(f))
    known = _digit_tokens(template) | _digit_tokens(ev.customer_text)
    for token in sorted(_digit_tokens(rewritten, said) - known):
        reasons.append(f"adds the number {token!r}, which the draft does not state")
    words = _digit_tokens(rewritten)
    for token in sorted(_digit_tokens(template, meant) - words):
        reasons.append(f"drops {token!r}")
    return reasons


def _cut_off(text: str) -> bool:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return True
    last = lines[-1]
    if re.search(r"[.!?)\"'\u201d]$", last) or len(last.split()) <= 6:
        return False  # a sentence end, or a short sign-off line
    return True
