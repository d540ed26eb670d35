"""A refund's reason in the customer's words, and whether the message asks what a refund was for.

A customer who sees money come back that they do not recognise ("got a $5.88 refund, what is that for?",
"you refunded me but I didn't return anything") needs the reason first, not the bank's posting time. The
refund tool reports each refund's kind (tools/refund_reasons.py reads it from the reason the store recorded);
here each kind has one plain phrase, in English and in Spanish, that completes "it's ..." ("a credit because
your order arrived late"). A refund whose reason no rule reads is never guessed at: the plan says a person will
explain it and the reply goes to review.
"""

from __future__ import annotations

import re
from typing import Any

# kind -> (English, Spanish); "{return_id}" is the refund's return, as the tool reports it
WORDING: dict[str, tuple[str, str]] = {
    "return": ("the refund for your return {return_id}", "el reembolso de su devolución {return_id}"),
    "damaged_kept": ("a refund for an item that arrived damaged, which you didn't need to send back",
                     "un reembolso por un artículo que llegó dañado, que no tuvo que devolver"),
    "lost_package": ("a refund because the carrier lost your package",
                     "un reembolso porque la empresa de transporte perdió su paquete"),
    "undeliverable": ("a refund because the carrier couldn't deliver your package to its address",
                      "un reembolso porque la empresa de transporte no pudo entregar su paquete en la dirección"),
    "late_delivery": ("a credit because your order arrived late", "un crédito porque su pedido llegó tarde"),
    "cancelled_order": ("the refund for your cancelled order", "el reembolso de su pedido cancelado"),
    "item_not_shipped": ("a refund for an item we couldn't ship", "un reembolso por un artículo que no pudimos enviar"),
    "damaged": ("a refund for an item that arrived damaged", "un reembolso por un artículo que llegó dañado"),
    "defective": ("a refund for a defective item", "un reembolso por un artículo defectuoso"),
    "wrong_item": ("a refund for a wrong item we sent", "un reembolso por un artículo equivocado que le enviamos"),
    "missing_item": ("a refund for an item that was missing from your order",
                     "un reembolso por un artículo que faltaba en su pedido"),
    "shipping": ("a refund of the shipping charge", "un reembolso del cargo de envío"),
    "price_adjustment": ("a price adjustment on your order", "un ajuste de precio en su pedido"),
    "tax": ("a refund of sales tax charged on your order",
            "un reembolso del impuesto sobre las ventas cobrado en su pedido"),
    "goodwill": ("a goodwill credit from our team", "un crédito de cortesía de nuestro equipo"),
}
GENERIC_RETURN = ("the refund for items you sent back", "el reembolso de los artículos que nos devolvió")


def customer_reason(refund: dict[str, Any]) -> str | None:
    """What a refund (a `get_refund_status` refund) was for, in the customer's words; None when its recorded
    reason says nothing the wording table covers."""
    kind = refund.get("reason_kind")
    if kind == "return":
        return_id = refund.get("return_id")
        return WORDING["return"][0].format(return_id=return_id) if return_id else GENERIC_RETURN[0]
    return WORDING[kind][0] if kind in WORDING else None


def phrase_pairs() -> list[tuple[str, str]]:
    """Every English wording with its Spanish twin (agent/templates_es.py reads the slot with these)."""
    return [*WORDING.values(), GENERIC_RETURN]


# "what is that for", "why did I get a refund", "I didn't return anything", "¿de qué es este reembolso?": the
# customer does not recognise money that came back. The kinds of question, not any one sentence.
_MONEY = r"(?:refund|credit|deposit|payment|money|amount|charge|reimbursement)"
_WHAT_FOR = re.compile(
    rf"\bwhat(?:'s|s| is| are| was| were)?\s+(?:(?:this|that|it|these|those|the)\s+)?(?:\$?\d[\d,.]*\s+)?"
    rf"(?:{_MONEY}s?\s+)?for\b(?!\s+(?:order|#|\d|my order|the order|pedido))"
    rf"|\bwhat {_MONEY}\b(?!\s+(?:policy|window|time))"
    r"|\bwhy (?:did|would|have|has) (?:you|u|y'?all|they|northfork)\b"
    r"(?![^.?!]{0,30}\b(?:only|just|half|partial\w*|less)\b)"  # "why did you only refund half": the amount
    r"[^.?!]{0,30}?\b(?:refund\w*|credit\w*|sen[dt]|gave|give|pa(?:id|y)|deposit\w*)\b"
    r"|\bwhy (?:did|do|have) (?:i|we)\b[^.?!]{0,30}?\b(?:get|got|gotten|receiv\w*)\b"
    r"|\bwhy (?:was|were|am|are) (?:i|we)\s+(?:being\s+)?(?:refund|credit)\w*"
    r"|\b(?:don'?t|do not|didn'?t|did not|can'?t|cannot)\s+(?:recogni[sz]e|know (?:what|why)|understand (?:what|why)|"
    r"remember (?:what|why|returning|asking|ordering))\b|\b(?:not sure|no idea) (?:what|why)\b"
    rf"|\bunexpected {_MONEY}|\b{_MONEY}\b[^.?!]{{0,30}}\bout of nowhere\b"
    r"|\b(?:didn'?t|did not|never|haven'?t|have not)\s+(?:return(?:ed)?|sen[dt])\s+(?:anything|a thing|nothing)\b"
    r"|\b(?:didn'?t|did not|never)\s+ask(?:ed)? for (?:a |any |this |that )?refund"
    r"|\b(?:de|para) qu[eé] (?:es|era|fue|son)\b|\ba qu[eé] se debe\b"
    r"|\bpor qu[eé]\s+(?:me\s+)?(?:reembols\w*|devolvieron|depositaron|enviaron|dieron|recib[ií])\b"
    r"|\bno (?:lo |la )?reconozco\b|\bno (?:devolv[ií]|he devuelto|envi[eé]) nada\b"
    r"|\bno (?:ped[ií]|solicit[eé]) (?:ning[uú]n|un|este|ese) reembolso\b", re.I)


def asks_what_for(text: str) -> bool:
    """Whether the message asks what a refund was for (or says the customer does not recognise it)."""
    return _WHAT_FOR.search(text or "") is not None
