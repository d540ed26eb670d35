"""A correction to part of an order's address: the forgotten apartment or unit, a ZIP or house-number typo.

"omg I forgot my apt number, it's 5B" is a complete address change: the order's street, city and state stay
and the unit is added. This module only reads which part the customer corrects; the new address itself is
built by the `change_shipping_address` tool from the order's current one (tools/actions.py), which refuses a
partial that would move the parcel to another street or area, so the same tool, confirmation and checks apply
as for a whole new address.

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
    line1 = None
    for m in _STREET_LINE.finditer(text):
        if not _negated(text, m.start()):
            line1 = " ".join(m.group("line1").split())
            break
    if unit is None and zip_code is None and line1 is None:
        return None
    return Amendment(line2=unit, zip=zip_code, line1=line1)


def unit_missing(text: str) -> bool:
    """The customer says the apartment or unit is missing without giving it ("I forgot my apt number")."""
    return bool(_UNIT_MISSING.search(text[:MAX_TEXT])) and find_unit(text) is None
