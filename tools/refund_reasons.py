"""What a refund was for, as one closed kind, read from the reason the store recorded with it.

Stores record a refund's reason as free text or a marketplace code ("goodwill credit for late delivery",
"return R000123: damaged", Amazon's "PriceDifference", "order cancelled: customer request"). A customer who
does not recognise a refund asks what it was for, and the reply has to say it in their words without
guessing; so the tool reports the kind (`get_refund_status` -> `reason_kind`) and the agent words it
(agent/refund_reasons.py). A reason no rule reads is `None`: a person explains it, nothing is invented.

The rules are data: the first whose pattern the normalised reason matches gives the kind, most specific
first ("goodwill credit for late delivery" is a late-delivery credit, "order cancelled: item out of stock"
a cancelled order).
"""

from __future__ import annotations

import re
from typing import Literal

RefundKind = Literal[
    "return", "damaged_kept", "lost_package", "undeliverable", "late_delivery", "cancelled_order",
    "item_not_shipped", "damaged", "defective", "wrong_item", "missing_item", "shipping", "price_adjustment",
    "tax", "goodwill",
]

RULES: tuple[tuple[RefundKind, re.Pattern[str]], ...] = tuple((kind, re.compile(pattern)) for kind, pattern in (
    ("return", r"^return r\d+\b|\bcustomer return\b|\breturned (?:item|items|goods)\b|\breturn refund\b"),
    ("damaged_kept", r"\b(?:damag\w*|broken|defect\w*)\b.*\b(?:no return|returnless|keep (?:it|the item)|"
                     r"return not (?:required|needed))"),
    ("lost_package", r"\blost\b|\bnever (?:arrived|delivered)\b|\bnot delivered\b"),
    ("undeliverable", r"\bundeliverable\b|\breturn(?:ed)? to sender\b|\bcould ?n[o']?t (?:be )?deliver"),
    ("late_delivery", r"\blate\b|\bdelay\w*\b|\bdelivered after\b"),
    ("cancelled_order", r"\border cancel\w*|\bcancel\w* (?:the |your )?order\b|\bbuyer cancel\w*"),
    ("item_not_shipped", r"\bout of stock\b|\bno inventory\b|\bcould ?n[o']?t ship\b|\bunable to ship\b|"
                         r"\bitem cancel\w*|\bcancel\w* (?:the )?item\b"),
    ("cancelled_order", r"\bcancel\w*"),
    ("damaged", r"\bdamag\w*|\bbroken\b|\bcracked\b"),
    ("defective", r"\bdefect\w*|\bfaulty\b|\bnot working\b"),
    ("wrong_item", r"\bwrong (?:item|size|color|colour|product)\b|\bincorrect item\b"),
    ("missing_item", r"\bmissing (?:item|part|piece)s?\b|\bitems? missing\b|\bnot included\b"),
    ("shipping", r"\bshipping\b|\bpostage\b|\bdelivery (?:fee|charge)\b"),
    ("price_adjustment", r"\bprice\b|\bovercharg\w*|\bdiscount\b|\bcoupon\b|\bpromo\w*"),
    ("tax", r"\btax\b"),
    ("goodwill", r"\bgoodwill\b|\bcourtesy\b|\bapolog\w*|\bappeasement\b|\bconcession\b"),
))


def normalise(reason: str) -> str:
    """'PriceDifference' and 'price_difference' read as 'price difference'."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", reason or "")
    return re.sub(r"[\s_\-]+", " ", spaced).strip().lower()


def refund_kind(reason: str | None, return_id: str | None = None) -> RefundKind | None:
    """The kind of a refund: one paying a return is a return refund whatever its text says; otherwise the
    first rule its recorded reason matches; None when no rule reads it (a person explains it)."""
    if return_id:
        return "return"
    text = normalise(reason or "")
    if not text:
        return None
    return next((kind for kind, pattern in RULES if pattern.search(text)), None)
