"""A correction to part of an order's address: the forgotten apartment or unit, a ZIP or house-number typo.

"omg I forgot my apt number, it's 5B" is a complete address change: the order's street, city and state stay
and the unit is added. This module only reads which part the customer corrects; the new address itself is
built by the `change_shipping_address` tool from the order's current one (tools/actions.py), which refuses a
partial that would move the parcel to another street or area, so the same tool, confirmation and checks apply
as for a whole new address.

A street line in the message (a house number and a street name) is another address, never a correction: the
whole new address is read by `find_new_address` (with or without a known street suffix: "1 Market Plaza,
Suite 1200, San Francisco CA 94105"), and one given in a form it cannot split goes to a person
(`gives_whole_address`); the unit it carries is never added to the old street.

Why patterns and not an address parser: the corrections come as fragments inside chat ("it's 5B", "add unit
12 to my address"), which parsers trained on whole address lines (usaddress, a CRF) mis-tag or miss, and the
order's current address is already structured. Every pattern is bounded and runs on at most MAX_TEXT
characters (tests/agent/test_order_actions.py checks they stay linear).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_TEXT = 8_000  # a correction is typed by a person near the top; a huge paste is not read further
_I = re.IGNORECASE

# The unit designators people write, with the form the label gets (USPS Publication 28's secondary unit names)
UNIT_TYPES: dict[str, str] = {
    "apt": "Apt", "apartment": "Apt", "apto": "Apt", "apartamento": "Apt", "depto": "Apt", "departamento": "Apt",
    "unit": "Unit", "unidad": "Unit", "suite": "Suite", "ste": "Suite", "room": "Room", "rm": "Room",
    "floor": "Floor", "fl": "Floor", "bldg": "Bldg", "building": "Bldg", "lot": "Lot", "space": "Space",
    "spc": "Space", "trailer": "Trailer", "trlr": "Trailer", "dept": "Dept",
}
# Designators that are everyday words too ("the unit stopped working", "room for two"): their identifier must
# have a digit. The others may name a lettered unit ("Apt B").
_EVERYDAY = frozenset({"unit", "unidad", "room", "floor", "building", "lot", "space"})
_TYPE = "|".join(sorted(UNIT_TYPES, key=len, reverse=True))
# An identifier: letters and digits with at least one digit ("5B", "12", "3-C", "PH2"), or one capital letter
# (not "I": "my apt. I moved" is a sentence, not Apt I).
_ID = r"(?P<id>(?=[A-Za-z0-9-]{0,8}\d)[A-Za-z0-9][A-Za-z0-9-]{0,7}|(?-i:[A-HJ-Z]))(?![\w'-])"
_NUMBER_WORD = r"(?:number|num|no|n[uú]mero)\b\.?"
_SAYS = r"(?:(?:is|was|should be|should have been|would be|es|=|:)\s{0,3})"
# "apt 5B", "unit #12", "apartment number is 5B", "suite: 200"
_TYPED_UNIT = re.compile(
    rf"\b(?P<type>{_TYPE})\b\.?\s{{0,3}}(?:{_NUMBER_WORD}\s{{0,3}}|#\s{{0,2}})?{_SAYS}?#?\s{{0,2}}{_ID}", _I)
# "my apt number ..., it's 5B": the designator named without its value, the value a few words on
_NAMED_UNIT = re.compile(rf"\b(?P<type>{_TYPE})\b\.?\s{{0,3}}(?:{_NUMBER_WORD}|#)", _I)
_VALUE = re.compile(rf"(?:\bit'?s|\bit is|\bits|\bthat'?s|\bis|\bes|:|=)\s{{1,3}}#?\s{{0,2}}{_ID}", _I)
_VALUE_REACH = 80  # characters after "apt number" where its value may still come
_NEGATED = re.compile(r"(?:\bnot|\bisn'?t|\bwasn'?t|\binstead of|\bno es|\bin place of)\s{1,3}#?\s{0,2}$", _I)
_ZIP_WORD = re.compile(r"\b(?:zip(?:\s{0,2}code)?|zipcode|postal\s{1,3}code|c[oó]digo\s{1,3}postal)\b", _I)
_ZIP = re.compile(r"(?<![\d-])(\d{5}(?:-\d{4})?)(?![\d-])")
_ZIP_REACH = 60
_SENTENCE_END = re.compile(r"[.!?\n]")
_STREET_SUFFIX = (r"street|st|avenue|ave|road|rd|drive|dr|lane|ln|court|ct|way|blvd|boulevard|place|pl|terrace|ter|"
                  r"circle|cir|trail|trl|highway|hwy|parkway|pkwy")
# "125 Main St": a house number and a street, with no city after it (a whole address is read elsewhere)
_STREET_LINE = re.compile(
    rf"(?<![#\d\w-])(?P<line1>\d{{1,6}}[A-Za-z]?\s{{1,3}}(?:[NSEW]\.?\s{{1,3}})?[A-Za-z][A-Za-z0-9.'-]{{0,30}}"
    rf"(?:\s{{1,3}}[A-Za-z][A-Za-z0-9.'-]{{0,30}}){{0,3}}?\s{{1,3}}(?:{_STREET_SUFFIX}))\b\.?", _I)
# "1 Market Plaza, Suite 1200": a house number and a street with no known suffix, told by the unit after it
_STREET_BEFORE_UNIT = re.compile(
    rf"(?<![#\d\w-])(?P<line1>\d{{1,6}}[A-Za-z]?\s{{1,3}}(?:[NSEW]\.?\s{{1,3}})?[A-Za-z][A-Za-z0-9.'-]{{0,30}}"
    rf"(?:\s{{1,3}}[A-Za-z0-9][A-Za-z0-9.'-]{{0,30}}){{0,3}}?)\s{{0,3}},?\s{{0,3}}(?:(?:{_TYPE})\b|#\s{{0,2}}\w)", _I)
# "I forgot my apt number" without it: ask for just that
_UNIT_MISSING = re.compile(
    rf"\b(?:forgot|forgotten|left off|left out|missing|miss(?:ed)?|without|didn'?t (?:put|add|include)|no)\b"
    rf"[^.?!\n]{{0,40}}?\b(?:{_TYPE})\b|\b(?:{_TYPE})\b\.?\s{{0,3}}(?:{_NUMBER_WORD}|#)?\s{{0,3}}(?:is|was)?\s{{0,3}}"
    r"(?:missing|left off|left out)\b", _I)


@dataclass(frozen=True)
class Amendment:
    """The part of the current address the customer corrects; `None` parts stay as they are."""

    line2: str | None = None  # "Apt 5B"
    zip: str | None = None  # the corrected ZIP code
    line1: str | None = None  # the street line with a corrected house number, as the customer wrote it

    def args(self) -> dict[str, str]:
        """The `change_shipping_address` arguments for just this correction."""
        return {k: v for k, v in (("line2", self.line2), ("zip", self.zip), ("line1", self.line1)) if v}

    def describe(self) -> str:
        """What the change does, for the offer ("update its address to include Apt 5B", "correct its ZIP code to
        78702"): said the same whether the order had a unit before or not."""
        parts = []
        if self.line2:
            parts.append(f"update its address to include {self.line2}")
        if self.line1:
            parts.append(f"correct its street address to {self.line1}")
        if self.zip:
            parts.append(f"correct its ZIP code to {self.zip}")
        return " and ".join(parts)


# a count or a measure after the number: "the unit 2 weeks ago", "room for 4 people" is no unit number
_MEASURE_AFTER = re.compile(r"\s{0,2}(?:days?|weeks?|months?|years?|hours?|minutes?|times?|people|persons?|of|x|"
                            r"packs?|pcs?|pieces?|inch(?:es)?|in|ft|feet|qt|oz|lbs?|%|percent|dollars|bucks)\b", _I)


def _unit(kind: str, ident: str, text: str, end: int) -> str | None:
    if kind.lower() in _EVERYDAY and not any(ch.isdigit() for ch in ident):
        return None
    if _MEASURE_AFTER.match(text, end):
        return None
    return f"{UNIT_TYPES[kind.lower()]} {ident.upper()}"


def _negated(text: str, at: int) -> bool:
    return bool(_NEGATED.search(text[max(0, at - 16):at]))


def find_unit(text: str) -> str | None:
    """The apartment, suite or unit the message gives ("Apt 5B"), the first one not negated ("not 5A")."""
    text = text[:MAX_TEXT]
    found: list[tuple[int, str]] = []
    for m in _TYPED_UNIT.finditer(text):
        if not _negated(text, m.start("id")) and (unit := _unit(m.group("type"), m.group("id"), text, m.end("id"))):
            found.append((m.start(), unit))
    for m in _NAMED_UNIT.finditer(text):
        end = min(len(text), m.end() + _VALUE_REACH)
        for v in _VALUE.finditer(text, m.end(), end):
            if not _negated(text, v.start("id")) and (unit := _unit(m.group("type"), v.group("id"), text, v.end("id"))):
                found.append((v.start(), unit))
                break
    return min(found)[1] if found else None


def find_zip(text: str) -> str | None:
    """A ZIP code the message says the address should have: the one ZIP near "zip" that is not negated."""
    text = text[:MAX_TEXT]
    wanted: list[str] = []
    for m in _ZIP_WORD.finditer(text):
        stop = _SENTENCE_END.search(text, m.end(), m.end() + _ZIP_REACH)
        for z in _ZIP.finditer(text, m.end(), stop.start() if stop else min(len(text), m.end() + _ZIP_REACH)):
            if not _negated(text, z.start()) and z.group(1) not in wanted:
                wanted.append(z.group(1))
    return wanted[0] if len(wanted) == 1 else None


def find_amendment(text: str) -> Amendment | None:
    """The correction the message makes to part of the address, or None when it makes none (or gives two
    different ZIPs, or a street line with no house number: then the customer is asked for the full address)."""
    text = text[:MAX_TEXT]
    unit = find_unit(text)
    zip_code = find_zip(text)
    line1 = street_line(text)
    if unit is None and zip_code is None and line1 is None:
        return None
    return Amendment(line2=unit, zip=zip_code, line1=line1)


def street_line(text: str) -> str | None:
    """The first street line the message gives (not negated): a house number and a street with its suffix
    ("125 Main St"), or with none when a unit follows it ("1 Market Plaza, Suite 1200")."""
    text = text[:MAX_TEXT]
    found = [m for pattern in (_STREET_LINE, _STREET_BEFORE_UNIT) for m in pattern.finditer(text)
             if not _negated(text, m.start()) and not _is_unit_number(text, m.start())]
    first = min(found, key=lambda m: m.start(), default=None)
    return " ".join(first.group("line1").split()) if first else None


_UNIT_BEFORE = re.compile(rf"\b(?:{_TYPE})\b\.?\s{{0,3}}(?:{_NUMBER_WORD}\s{{0,3}})?#?\s{{0,2}}$", _I)


def _is_unit_number(text: str, at: int) -> bool:
    """"Suite 1200 San Francisco": the number belongs to the unit before it, it starts no street."""
    return bool(_UNIT_BEFORE.search(text[max(0, at - 24):at]))


def unit_missing(text: str) -> bool:
    """The customer says the apartment or unit is missing without giving it ("I forgot my apt number")."""
    return bool(_UNIT_MISSING.search(text[:MAX_TEXT])) and find_unit(text) is None


# ---------------------------------------------------------------- a whole new address

# USPS state and territory codes, and the states' names as people write them out ("Austin, Texas 78701")
STATE_NAMES: dict[str, str] = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA", "colorado": "CO",
    "connecticut": "CT", "delaware": "DE", "district of columbia": "DC", "florida": "FL", "georgia": "GA",
    "hawaii": "HI", "idaho": "ID", "illinois": "IL", "indiana": "IN", "iowa": "IA", "kansas": "KS", "kentucky": "KY",
    "louisiana": "LA", "maine": "ME", "maryland": "MD", "massachusetts": "MA", "michigan": "MI", "minnesota": "MN",
    "mississippi": "MS", "missouri": "MO", "montana": "MT", "nebraska": "NE", "nevada": "NV", "new hampshire": "NH",
    "new jersey": "NJ", "new mexico": "NM", "new york": "NY", "north carolina": "NC", "north dakota": "ND",
    "ohio": "OH", "oklahoma": "OK", "oregon": "OR", "pennsylvania": "PA", "rhode island": "RI",
    "south carolina": "SC", "south dakota": "SD", "tennessee": "TN", "texas": "TX", "utah": "UT", "vermont": "VT",
    "virginia": "VA", "washington": "WA", "west virginia": "WV", "wisconsin": "WI", "wyoming": "WY",
    "puerto rico": "PR",
}
STATE_CODES = frozenset(STATE_NAMES.values()) | {"GU", "VI", "AS", "MP", "AA", "AE", "AP"}
_STATE_NAME_RE = "|".join(sorted((n.replace(" ", r"\s{1,3}") for n in STATE_NAMES), key=len, reverse=True))
# "CA 94105", "Texas 78701": the end of a whole address
_TAIL = re.compile(rf"\b(?P<state>{_STATE_NAME_RE}|[A-Za-z]{{2}})\.?,?\s{{1,3}}(?P<zip>\d{{5}}(?:-\d{{4}})?)(?![\d-])",
                   _I)
_TAIL_REACH = 200  # characters before "ST 12345" where its street starts: longer than any street, unit and city
# a house number: "1", "2200", "12B", "12-14", followed by a word
_HOUSE = re.compile(r"(?<![\w#$.,-])\d{1,6}[A-Za-z]?(?:-\d{1,5})?\s{1,3}(?=[A-Za-z])")
_CLAUSE_END = re.compile(r"[?!;:\n]")
_STREET_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9.'/#-]{0,30}")
_CITY_WORD = re.compile(r"[A-Za-z][A-Za-z.'-]{0,30}")
_SEGMENT_UNIT = re.compile(
    rf"(?:\b(?P<type>{_TYPE})\b\.?\s{{0,3}}(?:{_NUMBER_WORD}\s{{0,3}})?#?\s{{0,2}}|#\s{{0,2}})"
    r"(?P<id>[A-Za-z0-9][A-Za-z0-9-]{0,7})(?![\w-])", _I)
_SUFFIX_WORD = re.compile(rf"\b(?:{_STREET_SUFFIX})\b\.?(?:\s{{1,3}}(?:NE|NW|SE|SW|N|S|E|W)\b\.?)?", _I)
MAX_STREET_WORDS = 8
MAX_CITY_WORDS = 4


@dataclass(frozen=True)
class NewAddress:
    """A whole address the message gives, split into the `change_shipping_address` arguments."""

    line1: str
    city: str
    state: str
    zip: str
    line2: str | None = None

    def args(self) -> dict[str, str | None]:
        return {"line1": self.line1, "line2": self.line2, "city": self.city, "state": self.state, "zip": self.zip}

    def one_line(self) -> str:
        return ", ".join(p for p in (self.line1, self.line2, self.city, f"{self.state} {self.zip}") if p)


def _state(raw: str) -> str | None:
    name = " ".join(raw.lower().split())
    if name in STATE_NAMES:
        return STATE_NAMES[name]
    return raw.upper() if raw.upper() in STATE_CODES else None


def _unit_of(segment: str) -> str | None:
    """The segment as a unit ("Suite 1200", "apt #4B", "#12"), or None when it is something else."""
    m = _SEGMENT_UNIT.fullmatch(segment.strip())
    if not m:
        return None
    kind = m.group("type")
    return f"{UNIT_TYPES[kind.lower()]} {m.group('id').upper()}" if kind else f"#{m.group('id').upper()}"


def _street(segment: str) -> str | None:
    words = segment.split()
    if not 2 <= len(words) <= MAX_STREET_WORDS + 1 or not all(_STREET_WORD.fullmatch(w) for w in words):
        return None
    if any(_HOUSE.match(segment, m.start()) and not _is_unit_number(segment, m.start())
           for m in re.finditer(r"(?<=\s)\d", segment)):
        return None  # another house number inside: this one starts a sentence ("2 of them to 1 Market Plaza")
    return " ".join(words)


def _city(segment: str) -> str | None:
    words = segment.split()
    ok = 1 <= len(words) <= MAX_CITY_WORDS and all(_CITY_WORD.fullmatch(w) for w in words)
    return " ".join(words) if ok else None


def _split(rest: str) -> tuple[str, str | None, str] | None:
    """(street line, unit, city) from the text between a house number and the state, or None when it cannot be
    split surely: commas part them, or else a unit or a street suffix ends the street."""
    parts = [p.strip() for p in rest.strip(" ,").split(",")]
    if any(not p for p in parts):
        return None
    head, last = parts[0], parts[-1]
    units: list[str | None] = []
    if len(parts) >= 2:
        units = [_unit_of(p) for p in parts[1:-1]]
        if len(units) > 2 or None in units:
            return None
    else:
        head, last = "", parts[0]
    # the unit and the city written without a comma between them: "Suite 1200 San Francisco"
    for where in ("last", "head"):
        text = last if where == "last" else head
        m = _SEGMENT_UNIT.search(text)
        if m is None or (where == "last" and head and m.start() != 0):
            continue
        before, unit, after = text[:m.start()].strip(" ,"), _unit_of(m.group(0)), text[m.end():].strip(" ,")
        if where == "last":
            head, last = (head or before), after
        else:
            head, last = before, (after + " " + last).strip() if after else last
        units.append(unit)
        break
    if not head:  # no comma and no unit: the street's suffix ends it ("2200 Congress Ave Austin")
        ends = list(_SUFFIX_WORD.finditer(last))
        if not ends:
            return None
        head, last = last[:ends[-1].end()], last[ends[-1].end():]
    street, city = _street(head), _city(last.strip(" ,"))
    if street is None or city is None or len(units) > 2:
        return None
    return street, " ".join(u for u in units if u) or None, city


# a phone number or an id dressed as an address ("44 +44 20 7946 0958 Road", "1 212_555_0199 Ave"): a run of
# digits and separators longer than any house number, or an underscore, is never part of a street line
_JUNK = re.compile(r"\d[\d _+().-]{6,}\d|_|\+\d")


def _clean_street(head: str, at: int) -> bool:
    """The street line starting at `at` is no phone number or id, and its house number is not the tail of one."""
    before = head[max(0, at - 3):at]
    return not _JUNK.search(head[max(0, at - 12):]) and not re.search(r"[\d+_]\s*$", before)


def find_new_address(text: str) -> NewAddress | None:
    """The last whole US address the message gives: a house number and street, an optional unit, the city, state
    and ZIP ("1 Market Plaza, Suite 1200, San Francisco CA 94105", "2200 Congress Ave Ste 1200 Austin TX 78701").
    Any street name, with or without a known suffix, when commas or a unit part it from the city. None when
    there is none or it cannot be split surely (then `gives_whole_address` sends it to a person)."""
    text = text[:MAX_TEXT]
    for tail in reversed(list(_TAIL.finditer(text))[-3:]):
        state = _state(tail.group("state"))
        if state is None:
            continue
        start = max(0, tail.start() - _TAIL_REACH)
        cut = [m.end() for m in _CLAUSE_END.finditer(text, start, tail.start())]
        head = text[cut[-1] if cut else start:tail.start()]
        for house in _HOUSE.finditer(head):
            if _is_unit_number(head, house.start()) or not _clean_street(head, house.start()):
                continue
            if (parts := _split(head[house.start():])) is not None:
                street, unit, city = parts
                return NewAddress(line1=street, line2=unit, city=city, state=state, zip=tail.group("zip"))
    return None


def gives_whole_address(text: str) -> bool:
    """A whole address, even one `find_new_address` cannot split: a state and ZIP after a house number, or a
    state written as one ("CA 94105", "Texas 78701", not "in 78702"). Never read as a correction to the old one."""
    text = text[:MAX_TEXT]
    for tail in list(_TAIL.finditer(text))[-3:]:
        raw = tail.group("state")
        if _state(raw) is None:
            continue
        head = text[max(0, tail.start() - _TAIL_REACH):tail.start()]
        cut = [m.end() for m in _CLAUSE_END.finditer(head)]
        if _JUNK.search(head[cut[-1] if cut else 0:]):
            continue  # a phone number or an id in the address's own clause: no address, asked for again
        if raw.isupper() or len(raw) > 2:
            return True
        if any(not _is_unit_number(head, m.start()) and _clean_street(head, m.start())
               for m in _HOUSE.finditer(head)):
            return True
    return False
