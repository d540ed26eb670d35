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
from tools.models import Platform

_AMAZON = re.compile(r"\b\d{3}-\d{7}-\d{7}\b")
_EBAY = re.compile(r"\b\d{2}-\d{5}-\d{5}\b")
# possessive spaces: "order" followed by thousands of blanks must not be split every possible way
_STORE = re.compile(r"(?:#|order\s*+(?:number|no\.?|num)?\s*+:?\s*+#?)\s*+(\d{4,7})\b", re.IGNORECASE)
_TIKTOK = re.compile(r"(?<![\d-])\d{18}(?![\d-])")
_WALMART = re.compile(r"(?<![\d-])\d{13,15}(?![\d-])")
_USPS = re.compile(r"(?<!\d)9[2345]\d{2}\s?\d{4}\s?\d{4}\s?\d{4}\s?\d{4}\s?\d{2}(?!\d)")
_UPS = re.compile(r"\b1Z[0-9A-Z]{16}\b", re.IGNORECASE)
_AMZL = re.compile(r"\bTBA\d{12}\b", re.IGNORECASE)
_FEDEX = re.compile(r"(?<![\d-])(\d{12}|\d{15})(?![\d-])")
_SKU = re.compile(r"\bNF-[A-Z0-9]+(?:-[A-Z0-9]+)*\b", re.IGNORECASE)
_AMOUNT = re.compile(r"\$\s?\d+(?:,\d{3})*(?:\.\d{2})?")

STORE_PLATFORMS = ("shopify", "facebook", "instagram")


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
    orders += [f"#{m.group(1)}" for m in _STORE.finditer(text)]
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
