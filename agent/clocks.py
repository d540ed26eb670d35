"""Reply deadlines from each platform's clock (platforms.md: response clocks)."""

from __future__ import annotations

from datetime import datetime, timedelta

from tools.calendar import add_business_days
from tools.policy.loader import PlatformPolicy

URGENT_FLAGS = {"bbb_or_attorney_general"}


def reply_deadline(policy: PlatformPolicy, received_at: datetime, risk_flags: list[str]) -> datetime:
    """When the first reply is due. Walmart wants BBB/attorney-general complaints answered within an hour."""
    messaging = policy.messaging
    if messaging.urgent_reply_hours and URGENT_FLAGS & set(risk_flags):
        return received_at + timedelta(hours=messaging.urgent_reply_hours)
    if messaging.clock == "business":
        days, hours = divmod(messaging.first_reply_hours, 24)
        due = add_business_days(received_at.date(), days)
        return datetime.combine(due, received_at.timetz()) + timedelta(hours=hours)
    return received_at + timedelta(hours=messaging.first_reply_hours)
