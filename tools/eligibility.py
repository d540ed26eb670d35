"""Whether an order's items can be returned: one rule for the read tool (`check_return_eligibility`) and the
store's write (`create_return`), so what the agent tells a customer and what the store then allows agree.

An order that has not been delivered (unshipped, cancelled, still moving) cannot be returned; a delivered one
can while its platform's window (`PlatformPolicy.return_window_end`, holiday extension included) is open, for
the units not already on a return that was not rejected.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from tools.models import LineItem, Order, Return, ReturnReason
from tools.policy.loader import PlatformPolicy

ReturnBlock = Literal["not_shipped", "order_cancelled", "not_delivered", "window_closed"]
ReturnCode = Literal["not_shipped", "order_cancelled", "not_delivered", "window_closed", "already_returned", "eligible"]


class ReturnStanding(BaseModel):
    """Where one order stands for a return today."""

    model_config = ConfigDict(frozen=True)

    block: ReturnBlock | None
    """What rules out any return of the order, checked in this order: its state, then the window."""
    window_ends: date | None
    returned: dict[str, int]
    """Units of each SKU already on a return that was not rejected (those cannot be returned twice)."""
    has_returns: bool
    """Some return of the order was not rejected."""

    def returnable(self, line: LineItem) -> int:
        """Units of the line that can still be returned, window aside."""
        return line.quantity - self.returned.get(line.sku, 0)

    def reason_code(self, lines: Iterable[LineItem]) -> ReturnCode:
        """The answer for these lines. Items already sent back are reported as that even once the window has
        closed (the customer asks about a return that exists, not about the window)."""
        left = any(self.returnable(line) > 0 for line in lines)
        if self.block in ("not_shipped", "order_cancelled", "not_delivered"):
            return self.block
        if not left and self.has_returns:
            return "already_returned"
        if self.block == "window_closed":
            return "window_closed"
        return "eligible" if left else "already_returned"


def return_standing(order: Order, policy: PlatformPolicy, reason: ReturnReason, today: date,
                    returns: Iterable[Return]) -> ReturnStanding:
    """The order's standing for a return of `reason` on `today`, given its returns so far."""
    window_ends = policy.return_window_end(order, reason)
    block: ReturnBlock | None = None
    if order.status in ("pending", "unshipped"):
        block = "not_shipped"
    elif order.status == "cancelled":
        block = "order_cancelled"
    elif order.status in ("shipped", "in_transit"):
        block = "not_delivered"
    elif window_ends is None or today > window_ends:
        block = "window_closed"
    returned: dict[str, int] = {}
    has_returns = False
    for earlier in returns:
        if earlier.status != "rejected":
            has_returns = True
            for item in earlier.items:
                returned[item.sku] = returned.get(item.sku, 0) + item.quantity
    return ReturnStanding(block=block, window_ends=window_ends, returned=returned, has_returns=has_returns)
