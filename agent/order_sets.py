"""Which of a customer's orders a refund question is about when it may be several of them, or none.

The order resolver (agent/order_resolver.py) finds the one order a message means, or the few it may mean.
A refund question asks two more things of the customer's orders: "were both the path lights and the apron I
sent back refunded?" is about two orders, each answered in turn; "where's my refund?" from a customer with
no refund or return on any order is about none, and saying so beats asking "which order?". Pure functions
over `list_customer_orders` rows (as resolver `Candidate`s), tested with hand-built orders.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from agent.intents import SETTLED
from agent.order_resolver import Candidate, resolve, time_cues

_I = re.IGNORECASE

# "both", "each", "all of my ...", "two orders", "my refunds": the message means more than one order
_SEVERAL = re.compile(
    r"\b(?:both|each|every|either|all (?:of )?(?:my|the|these|those|them)|(?:two|three|four|2|3|4) "
    r"(?:orders|refunds|returns|items|things|packages|purchases)|refunds|ambos|ambas|cada|tod[oa]s (?:mis|los|las)"
    r"|(?:dos|tres|cuatro) (?:pedidos|reembolsos|devoluciones)|reembolsos)\b", _I)
# products named together: "the lights and the apron", "the kettle, the mugs"; sentences stay apart
_SENTENCE = re.compile(r"(?<!\d)[.](?!\d)|[!?;\n]|\b(?:but|though|although|however|pero|aunque)\b", _I)
_JOIN = re.compile(r",|&|\+|/|\b(?:and|plus|as well as|also|along with|together with|y|e|adem[aá]s)\b", _I)


def refund_relevant(order: Candidate) -> bool:
    """Whether a refund question can be about this order: it has a refund or a return on record, or it was
    cancelled or returned (what a refund follows)."""
    return order.has_return or bool(order.refunded_amounts) or order.status in SETTLED


def asks_about_several(text: str) -> bool:
    """Whether the message speaks of more than one order ("both", "each", "all my refunds", "two orders")."""
    return _SEVERAL.search(text or "") is not None


def named_orders(text: str, pool: Sequence[Candidate], *, intent: str, today: date, platform: str) -> list[str]:
    """The orders a message names one product at a time ("both the wool blanket and the filter cartridges I
    sent back"): each product named alongside the others is resolved on its own among the customer's orders,
    its own cues (the state and time said with it) and the request breaking ties as they do for one order;
    an ambiguous product names nothing. Two or more distinct orders, in the order named; otherwise []."""
    for sentence in _SENTENCE.split(text or ""):
        found: list[str] = []
        for piece in _JOIN.split(sentence):
            if not piece.strip():
                continue
            one = resolve(piece, intent, pool, today=today, platform=platform)
            if "product" not in one.cues:
                continue
            order_id = one.order_id
            if order_id is None:  # the product is on several orders: the one a refund can be about, if only one
                fitting = [c.order_id for c in one.candidates if refund_relevant(c)]
                order_id = fitting[0] if len(fitting) == 1 else None
            if order_id and order_id not in found:
                found.append(order_id)
        if len(found) >= 2:
            return found
    return []


def in_period(text: str, orders: Sequence[Candidate], today: date) -> list[Candidate] | None:
    """The orders with a date in the time the message names ("the ones I sent back in September": their
    return dates), or None when the message names no time."""
    cues = time_cues(text or "", today)
    if not cues:
        return None
    return [c for c in orders if any(t.start <= d <= t.end for t in cues for d in c.dates(t.refers_to))]
