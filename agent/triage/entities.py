"""Entities in a customer's message: order ids in each platform's format, tracking numbers of each
carrier, SKUs, amounts, and contact details the customer pasted (found by `tools/contacts.py`).

Formats overlap (a Walmart purchase order and a FedEx tracking number can both be 15 digits), so
the platform the customer wrote on decides: on Walmart a 13-15 digit number is an order id. The text is
read up to MAX_TEXT characters: ids and contacts sit in what a person types, not in pasted megabytes.
"""

from __future__ import annotations

import re

from agent.schemas import Entities
from tools.contacts import find_emails, find_phones
from tools.models import TRACKING_PATTERNS, Platform
from tools.platform_profiles import PROFILES, STORE_HOME


def _format(pattern: re.Pattern[str]) -> str:
    """An anchored format (`tools.models`) as a regex to find inside text; each finder adds its boundaries."""
    return pattern.pattern.removeprefix("^").removesuffix("$")


# Order ids in each platform's format (`tools/platform_profiles.py`). Dashed ids stop at word boundaries;
# all-digit ids must not touch another digit or a dash.
_AMAZON = re.compile(rf"\b{PROFILES['amazon'].order_id.pattern}\b")
_EBAY = re.compile(rf"\b{PROFILES['ebay'].order_id.pattern}\b")
_TIKTOK = re.compile(rf"(?<![\d-]){PROFILES['tiktok'].order_id.pattern}(?![\d-])")
_WALMART = re.compile(rf"(?<![\d-]){PROFILES['walmart'].order_id.pattern}(?![\d-])")
# A store order name ("#1001"; the whole family shares it) is often typed without its sign after an "order"
# cue ("order number 1001"). A person types at most 7 digits of it (the format allows more); the bound also
# keeps the scan linear. Possessive spaces: "order" followed by thousands of blanks must not be split every
# possible way.
_STORE_NAME = PROFILES[STORE_HOME].order_id
_STORE_NUMBER = r"\d{4,7}"
_STORE = re.compile(rf"(?:{_STORE_NAME.prefix}|order\s*+(?:number|no\.?|num)?\s*+:?\s*+{_STORE_NAME.prefix}?)\s*+"
                    rf"({_STORE_NUMBER})\b", re.IGNORECASE)
# Tracking numbers (`tools.models.TRACKING_PATTERNS`); USPS ones are often written in groups of four.
_USPS = re.compile(r"(?<!\d)9[2345]\d{2}\s?\d{4}\s?\d{4}\s?\d{4}\s?\d{4}\s?\d{2}(?!\d)")
_UPS = re.compile(rf"\b{_format(TRACKING_PATTERNS['UPS'])}\b", re.IGNORECASE)
_AMZL = re.compile(rf"\b{_format(TRACKING_PATTERNS['Amazon Logistics'])}\b", re.IGNORECASE)
_FEDEX = re.compile(rf"(?<![\d-]){_format(TRACKING_PATTERNS['FedEx'])}(?![\d-])")
_SKU = re.compile(r"\bNF-[A-Z0-9]+(?:-[A-Z0-9]+)*\b", re.IGNORECASE)
_AMOUNT = re.compile(r"\$\s?\d+(?:,\d{3})*(?:\.\d{2})?")


def _unique(values: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for v in values:
        seen.setdefault(v, None)
    return list(seen)


MAX_TEXT = 20_000


def extract_entities(text: str, platform: Platform) -> Entities:
    text = text[:MAX_TEXT]
    tracking = [m.group(0).replace(" ", "") for m in _USPS.finditer(text)]
    tracking += [m.group(0).upper() for m in _UPS.finditer(text)]
    tracking += [m.group(0).upper() for m in _AMZL.finditer(text)]
    orders = _AMAZON.findall(text) + _EBAY.findall(text)
    orders += [f"{_STORE_NAME.prefix}{m.group(1)}" for m in _STORE.finditer(text)]
    orders += _TIKTOK.findall(text)
    long_numbers = [n for n in _WALMART.findall(text) if n not in tracking and n not in orders]
    if platform == "walmart":
        orders += long_numbers
    fedex = [n for n in _FEDEX.findall(text) if n not in orders and n not in tracking and not any(n in t for t in tracking)]
    tracking += fedex
    return Entities(
        order_ids=_unique(orders),
        tracking_numbers=_unique(tracking),
        skus=_unique([m.upper() for m in _SKU.findall(text)]),
        amounts=_unique(_AMOUNT.findall(text)),
        emails=_unique([e.text for e in find_emails(text)]),
        phones=_unique([p.text for p in find_phones(text, known_ids=orders + tracking)]),
    )
